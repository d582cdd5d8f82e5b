//! The runner: spawns a case's threads once, pins them, and drives the warm-up and timed samples
//! through a start gate and a done count; it proves every sample and watches for stalls.
//!
//! All hand-offs between the runner and its threads go through atomics (Release/Acquire), so they
//! stay visible to ThreadSanitizer even when std itself is not instrumented.

pub mod load;
mod shared;
mod sweep;
mod wait;
mod window;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;
use std::time::Duration;

use contend_reports::schema::{Case, CaseStatus, Sample, Validation};
use contend_reports::stats::summarize;
use contend_workloads::{Load, Params, VariantInfo};

use shared::{Shared, thread_main};
use wait::{Wait, wait_for};
use window::{WindowSpec, run_checked};

use crate::evidence::{CaseShape, fork_evidence, sample_evidence, tick_ns};
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
    /// The queue family's modes (ignored by families without them).
    pub load: &'a load::LoadPlan,
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
    let modes = shared.workload.load_modes();
    // Queue: saturated samples, stamping one message in N (sized from the warm-up).
    let saturated = modes.sampled_stamps
        && shared.workload.set_load(Load::Saturated {
            stamp_every: load::WARMUP_STAMP_EVERY,
        });
    let mut stamp_every = saturated.then_some(load::WARMUP_STAMP_EVERY);
    // The bare reference is of one sender and one receiver.
    let bare_pair = modes.bare && req.load.bare_reference;
    let mut bare_windows = Vec::new();
    let window_spec = WindowSpec {
        stall_timeout: timing.stall_timeout,
        workers: req.threads,
        expected_race: v.expected_race,
    };
    // Windows run so far (warm-up, samples, bare, sweep): the case threads' gate numbers.
    let mut windows = 0u64;

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
        let length = if warm { timing.warmup } else { timing.duration };
        windows += 1;
        let checked = run_checked(
            &shared,
            windows,
            length,
            &window_spec,
            &mut proof,
            &mut cpus_observed,
        );
        let (run, check) = match checked {
            Ok(checked) => checked,
            Err(s) => {
                status = s;
                break;
            }
        };
        let throughput = check.ops as f64 * 1e9 / run.elapsed_ns as f64;
        if warm {
            if saturated {
                let n = load::stamp_every(throughput, load::stamp_cost_ns());
                shared.workload.set_load(Load::Saturated { stamp_every: n });
                stamp_every = Some(n);
            }
            continue;
        }
        histogram
            .add(&run.histogram)
            .expect("histograms share bounds");
        batch_histogram
            .add(&run.batch_histogram)
            .expect("histograms share bounds");
        samples.push(Sample {
            fork: 0,
            ops: check.ops,
            elapsed_ns: run.elapsed_ns,
            throughput,
            evidence: Some(sample_evidence(
                &shape,
                run.stat_before.as_ref(),
                run.stat_after.as_ref(),
                &run.spans,
                check.ops,
                run.elapsed_ns,
                tick_ns,
            )),
        });
        on_sample(n - warmups, timing.samples);
        if bare_pair && load::bare_after(n - warmups, timing.samples) {
            // The bare loop on the same threads and queue, right after this sample.
            shared.workload.set_load(Load::Bare);
            windows += 1;
            let bare = run_checked(
                &shared,
                windows,
                timing.duration,
                &window_spec,
                &mut proof,
                &mut cpus_observed,
            );
            let (bare, check) = match bare {
                Ok(bare) => bare,
                Err(s) => {
                    status = s;
                    break;
                }
            };
            let bare_per_s = check.ops as f64 * 1e9 / bare.elapsed_ns as f64;
            bare_windows.push((samples.len() - 1, bare_per_s));
            shared.workload.set_load(Load::Saturated {
                stamp_every: stamp_every.unwrap_or(load::WARMUP_STAMP_EVERY),
            });
        }
    }
    let throughputs: Vec<f64> = samples.iter().map(|s| s.throughput).collect();
    let load_sweeps = if status.is_ok() && req.load.sweep && modes.offered && !samples.is_empty() {
        let spec = sweep::SweepSpec {
            rates: &req.load.rates,
            sample_window: timing.duration,
            window: &window_spec,
        };
        let sweep = sweep::run_sweep(
            &shared,
            &spec,
            windows,
            contend_reports::stats::median(&throughputs),
            &mut proof,
            &mut cpus_observed,
        );
        match sweep {
            Ok(sweep) => sweep.into_iter().collect(),
            Err(s) => {
                status = s;
                Vec::new()
            }
        }
    } else {
        Vec::new()
    };

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
    Case {
        helper_threads: total_threads - req.threads,
        oversubscribed,
        cpus_requested,
        cpus_observed,
        throughput: summarize(&throughputs),
        samples,
        latency: latency_summary(&histogram),
        batch_latency: (!batch_histogram.is_empty()).then(|| latency_summary(&batch_histogram)),
        stamp_every,
        bare_reference: load::bare_reference(&throughputs, &bare_windows),
        load_sweeps,
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
        stamp_every: None,
        bare_reference: None,
        load_sweeps: Vec::new(),
        validation: Validation::NotRun,
        status: CaseStatus::Ok,
    }
}

#[cfg(test)]
mod tests;
