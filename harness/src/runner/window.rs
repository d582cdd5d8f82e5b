//! One window of a case: reset the workload, release its parked threads, time the window, wait
//! for every thread's report (or declare the case deadlocked), and hand back what they did.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use contend_reports::schema::CaseStatus;
use contend_workloads::{SampleCheck, WorkerTally};
use hdrhistogram::Histogram;

use super::shared::{Shared, ThreadReport};
use super::wait::{Wait, wait_for};
use crate::evidence::{StatSnapshot, ThreadSpan};
use crate::proof::Proof;

/// What the case's threads did in one window.
pub(super) struct WindowRun {
    /// Per thread (workers, then helpers), in order; empty when one panicked.
    pub tallies: Vec<WorkerTally>,
    /// The first panic, as `thread N panicked: ...`.
    pub panicked: Option<String>,
    pub histogram: Histogram<u64>,
    pub batch_histogram: Histogram<u64>,
    /// Per thread: the CPU it was seen on at the start and at the end of its work.
    pub cpus: Vec<[Option<usize>; 2]>,
    pub spans: Vec<ThreadSpan>,
    /// From the window's opening to the last thread's end, ns.
    pub elapsed_ns: u64,
    pub stat_before: Option<StatSnapshot>,
    pub stat_after: Option<StatSnapshot>,
}

impl WindowRun {
    /// Adds each thread's observed CPUs (start and end of its work) to `observed`.
    fn observe_cpus(&self, observed: &mut [Vec<usize>]) {
        for (seen, cpus) in observed.iter_mut().zip(&self.cpus) {
            seen.extend(cpus.iter().flatten());
        }
    }
}

/// Runs window `n` (numbered from 1 across the case, warm-up and sweeps included) for `length`;
/// `Err` is the case's status when its threads did not arrive or stalled.
fn run_window(
    shared: &Shared,
    n: u64,
    length: Duration,
    stall_timeout: Duration,
    workers: usize,
) -> Result<WindowRun, CaseStatus> {
    shared.workload.begin_sample();
    shared.stop.store(false, Ordering::Relaxed);
    shared.done.store(0, Ordering::Relaxed);
    shared.arrived.store(0, Ordering::Relaxed);
    shared.open_gate(n);
    // The window opens once every thread is running, so none can miss it.
    if let Wait::Stalled { stall } = wait_for(shared, &shared.arrived, stall_timeout) {
        return Err(CaseStatus::Error {
            message: format!(
                "threads did not reach window {n} within {} ms",
                stall.as_millis()
            ),
        });
    }
    // Steal is read around the window, by this thread, outside it.
    let stat_before = StatSnapshot::read();
    let start = Instant::now();
    shared.go.store(n, Ordering::Release);
    std::thread::sleep(length);
    shared.stop.store(true, Ordering::Relaxed);
    if let Wait::Stalled { stall } = wait_for(shared, &shared.done, stall_timeout) {
        return Err(deadlocked(shared, stall, workers));
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
    let mut run = WindowRun {
        tallies: Vec::with_capacity(reports.len()),
        panicked: None,
        histogram: contend_workloads::ctx::new_histogram(),
        batch_histogram: contend_workloads::ctx::new_histogram(),
        cpus: Vec::with_capacity(reports.len()),
        spans: Vec::with_capacity(reports.len()),
        elapsed_ns: finished.saturating_duration_since(start).as_nanos().max(1) as u64,
        stat_before,
        stat_after,
    };
    for (i, r) in reports.into_iter().enumerate() {
        run.cpus.push(r.cpus);
        run.spans.push(r.span);
        match r.tally {
            Ok(t) => run.tallies.push(t),
            Err(msg) => {
                run.panicked
                    .get_or_insert(format!("thread {i} panicked: {msg}"));
            }
        }
        run.histogram
            .add(&r.histogram)
            .expect("histograms share bounds");
        run.batch_histogram
            .add(&r.batch_histogram)
            .expect("histograms share bounds");
    }
    Ok(run)
}

/// What a window needs to know of its case to be run and proven.
pub(super) struct WindowSpec {
    pub stall_timeout: Duration,
    pub workers: usize,
    pub expected_race: bool,
}

/// Runs window `n` for `length` (see [`run_window`]), adds its threads' CPUs to `observed`, and
/// proves it into `proof`. `Err`: the case's status when the window stalled or a thread panicked
/// (the panic also fails the proof).
pub(super) fn run_checked(
    shared: &Shared,
    n: u64,
    length: Duration,
    spec: &WindowSpec,
    proof: &mut Proof,
    observed: &mut [Vec<usize>],
) -> Result<(WindowRun, SampleCheck), CaseStatus> {
    let mut run = run_window(shared, n, length, spec.stall_timeout, spec.workers)?;
    run.observe_cpus(observed);
    if let Some(message) = run.panicked.take() {
        proof.fail(message.clone());
        return Err(CaseStatus::Error { message });
    }
    let check = shared.workload.end_sample(&run.tallies);
    proof.add(check.outcome.clone(), spec.expected_race);
    Ok((run, check))
}

/// The status of a case whose threads made no progress for `stall`: who waits for what.
fn deadlocked(shared: &Shared, stall: Duration, workers: usize) -> CaseStatus {
    let blocked = (0..shared.slots.len())
        .filter(|&i| shared.slots[i].lock().map(|s| s.is_none()).unwrap_or(true))
        .map(|i| {
            let role = if i < workers { "worker" } else { "helper" };
            let units = shared.progress[i].load(Ordering::Relaxed);
            match shared.workload.blocked_on(i) {
                Some(what) => format!("{role} {i}: {what} (after {units} units)"),
                None => format!("{role} {i}: no progress after {units} units"),
            }
        })
        .collect();
    CaseStatus::Deadlocked {
        stall_ms: stall.as_millis() as u64,
        blocked,
    }
}
