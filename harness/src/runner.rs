//! The runner: spawns a case's threads once, pins them, and drives the warm-up and timed samples
//! through a start gate and a done count; it proves every sample and watches for stalls.
//!
//! All hand-offs between the runner and its threads go through atomics (Release/Acquire), so they
//! stay visible to ThreadSanitizer even when std itself is not instrumented.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use contend_reports::schema::{Case, CaseStatus, Sample, Validation};
use contend_reports::stats::summarize;
use contend_workloads::{Params, VariantInfo, WorkerCtx, WorkerTally, Workload};
use crossbeam_utils::CachePadded;
use hdrhistogram::Histogram;

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

/// What one thread handed back after a sample.
struct ThreadReport {
    tally: Result<WorkerTally, String>,
    histogram: Histogram<u64>,
    finished: Instant,
    cpus: [Option<usize>; 2],
}

/// State shared by the runner and the case's threads.
struct Shared {
    workload: Box<dyn Workload>,
    workers: usize,
    seed: u64,
    epoch: Instant,
    /// The sample number (1-based) the threads may start; `u64::MAX` releases them to quit.
    gate: AtomicU64,
    gate_lock: Mutex<()>,
    gate_signal: Condvar,
    stop: AtomicBool,
    ready: AtomicUsize,
    /// Threads that passed the gate of the current sample and wait for `go`.
    arrived: AtomicUsize,
    /// The sample number whose window is open: set once every thread has arrived, so a thread the
    /// OS has not scheduled yet cannot miss the window.
    go: AtomicU64,
    done: AtomicUsize,
    progress: Vec<CachePadded<AtomicU64>>,
    slots: Vec<Mutex<Option<ThreadReport>>>,
}

impl Shared {
    fn open_gate(&self, sample: u64) {
        self.gate.store(sample, Ordering::Release);
        let _guard = self.gate_lock.lock().unwrap_or_else(|e| e.into_inner());
        self.gate_signal.notify_all();
    }

    /// Waits until sample `sample` may start; false when the case is over.
    fn wait_gate(&self, sample: u64) -> bool {
        let open = |g: u64| g >= sample;
        let spin_until = Instant::now() + Duration::from_micros(200);
        while !open(self.gate.load(Ordering::Acquire)) {
            if Instant::now() < spin_until {
                std::hint::spin_loop();
                continue;
            }
            let guard = self.gate_lock.lock().unwrap_or_else(|e| e.into_inner());
            if !open(self.gate.load(Ordering::Acquire)) {
                let _ = self
                    .gate_signal
                    .wait_timeout(guard, Duration::from_millis(10));
            }
        }
        self.gate.load(Ordering::Acquire) != u64::MAX
    }

    /// Announces arrival at sample `sample` and spins (yielding) until its window opens.
    fn arrive_and_wait_go(&self, sample: u64) {
        self.arrived.fetch_add(1, Ordering::Release);
        let mut spins = 0u32;
        while self.go.load(Ordering::Acquire) < sample {
            spins += 1;
            if spins < 1000 {
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
    }

    fn progress(&self) -> u64 {
        self.progress
            .iter()
            .map(|p| p.load(Ordering::Relaxed))
            .fold(0, u64::wrapping_add)
    }
}

/// The CPU the calling thread runs on now, if the OS says.
fn current_cpu() -> Option<usize> {
    // SAFETY: sched_getcpu has no preconditions; it returns -1 on error.
    let cpu = unsafe { libc::sched_getcpu() };
    usize::try_from(cpu).ok()
}

fn panic_message(p: Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".into())
}

fn thread_main(shared: Arc<Shared>, index: usize, cpu: Option<usize>) {
    if let Some(id) = cpu {
        core_affinity::set_for_current(core_affinity::CoreId { id });
    }
    let mut ctx = WorkerCtx::new(
        index,
        shared.workers,
        &shared.stop,
        &shared.progress[index],
        shared.epoch,
        shared.seed,
    );
    shared.ready.fetch_add(1, Ordering::Release);
    let mut sample = 0;
    loop {
        sample += 1;
        if !shared.wait_gate(sample) {
            return;
        }
        shared.arrive_and_wait_go(sample);
        let first_cpu = current_cpu();
        let tally =
            catch_unwind(AssertUnwindSafe(|| shared.workload.run(&mut ctx))).map_err(panic_message);
        let finished = Instant::now();
        let report = ThreadReport {
            tally,
            histogram: ctx.take_histogram(),
            finished,
            cpus: [first_cpu, current_cpu()],
        };
        *shared.slots[index]
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(report);
        shared.done.fetch_add(1, Ordering::Release);
    }
}

/// How waiting for a sample's threads ended.
enum Wait {
    Done,
    Stalled { stall: Duration },
}

/// Waits until `count` threads reported on `counter`, or until no thread made progress for `stall`.
fn wait_for(shared: &Shared, counter: &AtomicUsize, count: usize, stall: Duration) -> Wait {
    let mut last = shared.progress();
    let mut last_change = Instant::now();
    let poll = Duration::from_micros(500).min(stall);
    let spin_until = Instant::now() + Duration::from_millis(1);
    while counter.load(Ordering::Acquire) < count {
        if Instant::now() < spin_until {
            std::thread::yield_now();
            continue;
        }
        std::thread::sleep(poll);
        let now = shared.progress();
        if now != last {
            (last, last_change) = (now, Instant::now());
        } else if last_change.elapsed() >= stall {
            return Wait::Stalled {
                stall: last_change.elapsed(),
            };
        }
    }
    Wait::Done
}

/// Runs one case: warm-up, then timed samples, each proven; `on_sample(done, total)` reports progress.
pub fn run_case(req: &CaseRequest, on_sample: &mut dyn FnMut(u32, u32)) -> Case {
    let v = req.variant;
    let workload = (v.build)(req.params, req.threads);
    let total_threads = req.threads + workload.helper_threads();
    let cpus_requested = assign(req.cpu_order, total_threads);
    let shared = Arc::new(Shared {
        workload,
        workers: req.threads,
        seed: req.params.seed,
        epoch: Instant::now(),
        gate: AtomicU64::new(0),
        gate_lock: Mutex::new(()),
        gate_signal: Condvar::new(),
        stop: AtomicBool::new(false),
        ready: AtomicUsize::new(0),
        arrived: AtomicUsize::new(0),
        go: AtomicU64::new(0),
        done: AtomicUsize::new(0),
        progress: (0..total_threads)
            .map(|_| CachePadded::new(AtomicU64::new(0)))
            .collect(),
        slots: (0..total_threads).map(|_| Mutex::new(None)).collect(),
    });
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
    let mut cpus_observed: Vec<Vec<usize>> = vec![Vec::new(); total_threads];

    if status.is_ok()
        && let Wait::Stalled { stall } =
            wait_for(&shared, &shared.ready, total_threads, timing.stall_timeout)
    {
        status = CaseStatus::Error {
            message: format!("threads did not start within {} ms", stall.as_millis()),
        };
    }
    for n in 1..=total_samples {
        if !status.is_ok() {
            break;
        }
        let warm = n <= warmups;
        shared.workload.begin_sample();
        shared.stop.store(false, Ordering::Relaxed);
        shared.done.store(0, Ordering::Relaxed);
        shared.arrived.store(0, Ordering::Relaxed);
        shared.open_gate(u64::from(n));
        // The window opens once every thread is running, so none can miss it.
        if let Wait::Stalled { stall } = wait_for(
            &shared,
            &shared.arrived,
            total_threads,
            timing.stall_timeout,
        ) {
            status = CaseStatus::Error {
                message: format!(
                    "threads did not reach sample {n} within {} ms",
                    stall.as_millis()
                ),
            };
            break;
        }
        let start = Instant::now();
        shared.go.store(u64::from(n), Ordering::Release);
        std::thread::sleep(if warm { timing.warmup } else { timing.duration });
        shared.stop.store(true, Ordering::Relaxed);
        if let Wait::Stalled { stall } =
            wait_for(&shared, &shared.done, total_threads, timing.stall_timeout)
        {
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
        family: v.family.name().into(),
        variant: v.name.into(),
        style: v.style.name().into(),
        expected_race: v.expected_race,
        expected_deadlock: v.expected_deadlock,
        threads: req.threads,
        helper_threads: total_threads - req.threads,
        placement: req.placement.name().into(),
        oversubscribed: total_threads > req.available_cpus,
        cpus_requested,
        cpus_observed,
        unit: v.family.unit().into(),
        latency_meaning: v.family.latency_meaning().into(),
        unit_factors: v
            .family
            .unit_factors(req.params)
            .into_iter()
            .map(|(k, f)| (k.to_string(), f))
            .collect(),
        throughput: summarize(&throughputs),
        samples,
        latency: latency_summary(&histogram),
        validation,
        status,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use contend_workloads::{Family, Outcome, SampleCheck, Style};

    fn timing(samples: u32) -> Timing {
        Timing {
            warmup: Duration::from_millis(5),
            samples,
            duration: Duration::from_millis(10),
            stall_timeout: Duration::from_millis(300),
        }
    }

    fn run(variant: &'static VariantInfo, threads: usize, samples: u32) -> Case {
        let req = CaseRequest {
            variant,
            threads,
            placement: Placement::None,
            cpu_order: &[],
            available_cpus: 2,
            params: &Params::default(),
            timing: &timing(samples),
        };
        run_case(&req, &mut |_, _| {})
    }

    /// A worker body for test variants, chosen by `MODE`.
    struct Broken(fn(&mut WorkerCtx) -> WorkerTally);
    impl Workload for Broken {
        fn run(&self, ctx: &mut WorkerCtx) -> WorkerTally {
            (self.0)(ctx)
        }
        fn end_sample(&self, tallies: &[WorkerTally]) -> SampleCheck {
            let ops = tallies.iter().map(|t| t.ops).sum();
            SampleCheck {
                ops,
                outcome: Outcome::Invalid("count is 41, expected 42".into()),
            }
        }
    }

    fn variant(
        name: &'static str,
        build: fn(&Params, usize) -> Box<dyn Workload>,
    ) -> &'static VariantInfo {
        Box::leak(Box::new(VariantInfo {
            name,
            family: Family::Counter,
            style: Style::SharedMemory,
            expected_race: false,
            expected_deadlock: false,
            opt_in: true,
            about: "test",
            build,
        }))
    }

    #[test]
    fn every_sample_is_timed_validated_and_recorded() {
        let case = run(
            contend_workloads::find_variant("counter/atomic").unwrap(),
            2,
            3,
        );
        assert_eq!(case.status, CaseStatus::Ok);
        assert_eq!(
            case.validation,
            Validation::Passed { samples_checked: 4 },
            "warm-up is validated too"
        );
        assert_eq!(case.samples.len(), 3);
        assert!(
            case.samples
                .iter()
                .all(|s| s.ops > 0 && s.elapsed_ns >= 10_000_000)
        );
        assert!(case.latency.count > 0);
        assert_eq!(case.cpus_observed.len(), 2);
        assert!(
            case.cpus_observed.iter().all(|c| !c.is_empty()),
            "sched_getcpu evidence is recorded"
        );
        assert!(!case.oversubscribed);
    }

    #[test]
    fn helper_threads_count_towards_oversubscription() {
        let case = run(
            contend_workloads::find_variant("counter/actor").unwrap(),
            2,
            1,
        );
        assert_eq!((case.threads, case.helper_threads), (2, 1));
        assert!(case.oversubscribed, "3 threads on 2 CPUs");
        assert_eq!(case.status, CaseStatus::Ok);
    }

    #[test]
    fn a_wrong_result_fails_the_case() {
        let v = variant("counter/test-wrong", |_, _| {
            Box::new(Broken(|ctx| WorkerTally {
                ops: ctx.timed_batches(|| {}),
                ..Default::default()
            }))
        });
        let case = run(v, 1, 2);
        assert_eq!(case.status, CaseStatus::Failed);
        assert!(
            matches!(&case.validation, Validation::Failed { samples_failed: 3, first_error } if first_error.contains("41"))
        );
    }

    #[test]
    fn a_stalled_case_is_reported_deadlocked_without_hanging_the_runner() {
        let v = variant("counter/test-stuck", |_, _| {
            Box::new(Broken(|_| {
                loop {
                    std::thread::park();
                }
            }))
        });
        let started = Instant::now();
        let case = run(v, 2, 2);
        assert!(started.elapsed() < Duration::from_secs(5));
        match &case.status {
            CaseStatus::Deadlocked { stall_ms, blocked } => {
                assert!(*stall_ms >= 300);
                assert_eq!(blocked.len(), 2, "{blocked:?}");
            }
            other => panic!("expected deadlocked, got {other:?}"),
        }
        assert_eq!(case.validation, Validation::NotRun);
    }

    #[test]
    fn a_panicking_worker_is_an_error_not_a_hang() {
        let v = variant("counter/test-panic", |_, _| {
            Box::new(Broken(|_| panic!("boom")))
        });
        let case = run(v, 2, 2);
        assert!(
            matches!(&case.status, CaseStatus::Error { message } if message.contains("boom")),
            "{:?}",
            case.status
        );
    }
}
