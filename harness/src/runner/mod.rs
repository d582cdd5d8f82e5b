//! The runner: spawns a case's threads once, pins them, and drives the warm-up and timed samples
//! through a start gate and a done count; it proves every sample and watches for stalls.
//!
//! All hand-offs between the runner and its threads go through atomics (Release/Acquire), so they
//! stay visible to ThreadSanitizer even when std itself is not instrumented.

mod shared;
mod wait;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use contend_reports::schema::{Case, CaseStatus, Sample, Validation};
use contend_reports::stats::summarize;
use contend_workloads::{Params, VariantInfo};

use shared::{Shared, ThreadReport, thread_main};
use wait::{Wait, wait_for};

use crate::evidence::{CaseShape, StatSnapshot, fork_evidence, sample_evidence, tick_ns};
use crate::latency::latency_summary;
use crate::proof::Proof;
use crate::topology::{Placement, assign};

/// How long each phase of a case lasts.
#[derive(Debug, Clone, PartialEq)]
pub struct Timing {
    /// One untimed (but validated) warm-up sample of this length; zero skips it.
    pub warmup: Duration,
    /// Timed samples per case.
    pub samples: u32,
    /// Length of each timed sample's window.
    pub duration: Duration,
    /// A case whose threads make no progress for this long is declared deadlocked.
    pub stall_timeout: Duration,
}

/// One case to run: a variant at a thread count, placed on CPUs.
pub struct CaseRequest<'a> {
    pub variant: &'static VariantInfo,
    pub threads: usize,
    pub placement: Placement,
    /// CPUs in the order the placement uses them (empty when unpinned).
    pub cpu_order: &'a [usize],
    /// How many CPUs the process may use (for the oversubscription flag).
    pub available_cpus: usize,
    pub params: &'a Params,
    pub timing: &'a Timing,
}

/// Runs one case: warm-up, then timed samples, each proven; `on_sample(done, total)` reports progress.
pub fn run_case(req: &CaseRequest, on_sample: &mut dyn FnMut(u32, u32)) -> Case {
    let v = req.variant;
    let workload = (v.build)(req.params, req.threads);
    let total_threads = req.threads + workload.helper_threads();
    let cpus_requested = assign(req.cpu_order, total_threads);
    let oversubscribed = total_threads > req.available_cpus;
    let shape = CaseShape::new(&cpus_requested, oversubscribed);
    // Before the case's threads exist, on the CPUs they will be pinned to.
    let fork_evidence = vec![fork_evidence(0, &shape)];
    let tick_ns = tick_ns();
    let shared = Arc::new(Shared::new(
        workload,
        req.threads,
        total_threads,
        req.params.seed,
    ));
    let mut handles: Vec<JoinHandle<()>> = Vec::with_capacity(total_threads);
    let mut status = CaseStatus::Ok;
    for (index, &cpu) in cpus_requested.iter().enumerate() {
        let s = Arc::clone(&shared);
        match std::thread::Builder::new()
            .name(format!("{}#{index}", v.short_name()))
            .spawn(move || thread_main(s, index, cpu))
        {
            Ok(h) => handles.push(h),
            Err(e) => {
                status = CaseStatus::Error {
                    message: format!("cannot spawn thread {index}: {e}"),
                };
                break;
            }
        }
    }

    let timing = req.timing;
    let warmups = u32::from(!timing.warmup.is_zero());
    let total_samples = warmups + timing.samples;
    let mut proof = Proof::default();
    let mut samples = Vec::new();
    let mut histogram = contend_workloads::ctx::new_histogram();
    let mut batch_histogram = contend_workloads::ctx::new_histogram();
    let mut cpus_observed: Vec<Vec<usize>> = vec![Vec::new(); total_threads];

    if status.is_ok()
        && let Wait::Stalled { stall } = wait_for(&shared, &shared.ready, timing.stall_timeout)
    {
        status = CaseStatus::Error {
            message: format!("threads did not start within {} ms", stall.as_millis()),
        };
    }
    for n in 1..=total_samples {
        if !status.is_ok() {
            break;
        }
        if crate::interrupt::requested() {
            // Ctrl-C: the case is abandoned here (the caller drops it), finished ones are kept.
            status = CaseStatus::Error {
                message: "interrupted".into(),
            };
            break;
        }
        let warm = n <= warmups;
        shared.workload.begin_sample();
        shared.stop.store(false, Ordering::Relaxed);
        shared.done.store(0, Ordering::Relaxed);
        shared.arrived.store(0, Ordering::Relaxed);
        shared.open_gate(u64::from(n));
        // The window opens once every thread is running, so none can miss it.
        if let Wait::Stalled { stall } = wait_for(&shared, &shared.arrived, timing.stall_timeout) {
            status = CaseStatus::Error {
                message: format!(
                    "threads did not reach sample {n} within {} ms",
                    stall.as_millis()
                ),
            };
            break;
        }
        // Steal is read around the window, by this thread, outside it.
        let stat_before = StatSnapshot::read();
        let start = Instant::now();
        shared.go.store(u64::from(n), Ordering::Release);
        std::thread::sleep(if warm { timing.warmup } else { timing.duration });
        shared.stop.store(true, Ordering::Relaxed);
        if let Wait::Stalled { stall } = wait_for(&shared, &shared.done, timing.stall_timeout) {
            let blocked = (0..total_threads)
                .filter(|&i| shared.slots[i].lock().map(|s| s.is_none()).unwrap_or(true))
                .map(|i| {
                    let role = if i < req.threads { "worker" } else { "helper" };
                    let units = shared.progress[i].load(Ordering::Relaxed);
                    match shared.workload.blocked_on(i) {
                        Some(what) => format!("{role} {i}: {what} (after {units} units)"),
                        None => format!("{role} {i}: no progress after {units} units"),
                    }
                })
                .collect();
            status = CaseStatus::Deadlocked {
                stall_ms: stall.as_millis() as u64,
                blocked,
            };
            break;
        }
        let stat_after = StatSnapshot::read();
        let reports: Vec<ThreadReport> = shared
            .slots
            .iter()
            .map(|s| {
                s.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .take()
                    .expect("every thread reported")
            })
            .collect();
        let finished = reports.iter().map(|r| r.finished).max().unwrap_or(start);
        let elapsed_ns = finished.saturating_duration_since(start).as_nanos().max(1) as u64;
        let mut tallies = Vec::with_capacity(total_threads);
        let mut panicked = None;
        let spans: Vec<_> = reports.iter().map(|r| r.span).collect();
        for (i, r) in reports.into_iter().enumerate() {
            cpus_observed[i].extend(r.cpus.iter().flatten());
            match r.tally {
                Ok(t) => tallies.push(t),
                Err(msg) => panicked = Some(format!("thread {i} panicked: {msg}")),
            }
            if !warm {
                histogram
                    .add(&r.histogram)
                    .expect("histograms share bounds");
                batch_histogram
                    .add(&r.batch_histogram)
                    .expect("histograms share bounds");
            }
        }
        if let Some(message) = panicked {
            proof.fail(message.clone());
            status = CaseStatus::Error { message };
            break;
        }
        let check = shared.workload.end_sample(&tallies);
        proof.add(check.outcome, v.expected_race);
        if !warm {
            samples.push(Sample {
                fork: 0,
                ops: check.ops,
                elapsed_ns,
                throughput: check.ops as f64 * 1e9 / elapsed_ns as f64,
                evidence: Some(sample_evidence(
                    &shape,
                    stat_before.as_ref(),
                    stat_after.as_ref(),
                    &spans,
                    check.ops,
                    elapsed_ns,
                    tick_ns,
                )),
            });
            on_sample(n - warmups, timing.samples);
        }
    }

    // Release every thread to quit; join them unless the case stalled (then they are abandoned:
    // they only hold an `Arc` of the shared state, so nothing they own dangles).
    shared.stop.store(true, Ordering::Relaxed);
    shared.go.store(u64::MAX, Ordering::Release);
    shared.open_gate(u64::MAX);
    if !matches!(status, CaseStatus::Deadlocked { .. }) {
        handles.into_iter().for_each(|h| {
            let _ = h.join();
        });
    }

    for cpus in &mut cpus_observed {
        cpus.sort_unstable();
        cpus.dedup();
    }
    let validation = proof.validation(v.expected_race);
    if status.is_ok() && matches!(validation, Validation::Failed { .. }) {
        status = CaseStatus::Failed;
    }
    let throughputs: Vec<f64> = samples.iter().map(|s| s.throughput).collect();
    Case {
        helper_threads: total_threads - req.threads,
        oversubscribed,
        cpus_requested,
        cpus_observed,
        throughput: summarize(&throughputs),
        samples,
        latency: latency_summary(&histogram),
        batch_latency: (!batch_histogram.is_empty()).then(|| latency_summary(&batch_histogram)),
        validation,
        status,
        fork_evidence,
        ..case_shell(v, req.threads, req.placement, req.params)
    }
}

/// What every case of `v` at `threads` starts from: its identity, units and unit factors, and
/// nothing measured (no samples, an empty histogram, validation `not_run`, status ok).
pub fn case_shell(v: &VariantInfo, threads: usize, placement: Placement, params: &Params) -> Case {
    Case {
        family: v.family.name().into(),
        variant: v.name.into(),
        style: v.style.name().into(),
        expected_race: v.expected_race,
        expected_deadlock: v.expected_deadlock,
        threads,
        helper_threads: 0,
        placement: placement.name().into(),
        oversubscribed: false,
        scaling_baseline: v.family.scaling_baseline(threads),
        cpus_requested: Vec::new(),
        cores_requested: Vec::new(),
        cpus_observed: Vec::new(),
        unit: v.family.unit().into(),
        latency_meaning: v.family.latency_meaning().into(),
        unit_factors: v
            .family
            .unit_factors(params)
            .into_iter()
            .map(|(k, f)| (k.to_string(), f))
            .collect(),
        samples: Vec::new(),
        fork_evidence: Vec::new(),
        throughput: summarize(&[]),
        latency: latency_summary(&contend_workloads::ctx::new_histogram()),
        batch_latency: None,
        validation: Validation::NotRun,
        status: CaseStatus::Ok,
    }
}

#[cfg(test)]
mod tests;
