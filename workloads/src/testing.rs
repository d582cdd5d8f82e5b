//! A minimal in-process driver for unit tests and benches: runs one sample of a workload on
//! unpinned scoped threads for a fixed time. The harness's runner is the real one (pinning,
//! warm-up, rendezvous, watchdog); this exists so each variant's proof can be tested alone.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use crate::variant::VariantInfo;
use crate::{Outcome, Params, SampleCheck, WorkerCtx, WorkerTally, Workload};

/// Runs one sample of `workload` with `threads` workers (plus its helpers) for about `millis` ms
/// after the first unit of work.
pub fn run_sample(workload: &dyn Workload, threads: usize, millis: u64) -> SampleCheck {
    run_sample_with_tallies(workload, threads, millis).0
}

/// As [`run_sample`], also returning every thread's tally (workers, then helpers).
pub fn run_sample_with_tallies(
    workload: &dyn Workload,
    threads: usize,
    millis: u64,
) -> (SampleCheck, Vec<WorkerTally>) {
    let (check, tallies, _) = run_sample_recorded(workload, threads, millis);
    (check, tallies)
}

/// As [`run_sample_with_tallies`], also returning every latency the threads recorded.
pub fn run_sample_recorded(
    workload: &dyn Workload,
    threads: usize,
    millis: u64,
) -> (SampleCheck, Vec<WorkerTally>, Histogram<u64>) {
    let total = threads + workload.helper_threads();
    let stop = AtomicBool::new(false);
    let progress: Vec<AtomicU64> = (0..total).map(|_| AtomicU64::new(0)).collect();
    let epoch = Instant::now();
    workload.begin_sample();
    let mut recorded = crate::ctx::new_histogram();
    let tallies: Vec<WorkerTally> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..total)
            .map(|i| {
                let (stop, progress) = (&stop, &progress[i]);
                s.spawn(move || {
                    let mut ctx = WorkerCtx::new(i, threads, stop, progress, epoch, 42);
                    (workload.run(&mut ctx), ctx.take_histogram())
                })
            })
            .collect();
        // On a loaded machine threads may start late: open the window once work has begun
        // (or after 5 s), so a short window still sees work.
        let started = Instant::now();
        while progress.iter().all(|p| p.load(Ordering::Relaxed) == 0)
            && started.elapsed() < Duration::from_secs(5)
        {
            std::thread::sleep(Duration::from_millis(1));
        }
        std::thread::sleep(Duration::from_millis(millis));
        stop.store(true, Ordering::Relaxed);
        handles
            .into_iter()
            .map(|h| {
                let (tally, histogram) = h.join().expect("worker panicked");
                recorded.add(&histogram).expect("histograms share bounds");
                tally
            })
            .collect()
    });
    (workload.end_sample(&tallies), tallies, recorded)
}

/// Serializes the racy-variant tests: a race needs its threads to overlap, which two cores
/// shared with other racy tests rarely give.
static RACE_TESTS: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// How many samples a test that must see a race's damage may take: lost updates need both
/// threads running at once, which a 2-CPU machine busy with the crate's other tests can withhold
/// for dozens of samples (40 saw none in 3 of 9 full test runs of the pool's racy variant here;
/// alone, 10 of 10 saw some). [`sample_until_damage`] stops at the first damage, so the bound
/// costs time only when unlucky.
pub const TRIES_TO_SEE_DAMAGE: usize = 200;

/// Runs samples of a deliberately racy `workload` until one shows damage or `max_samples` ran;
/// returns every outcome (the last one is the damage, if any was seen).
pub fn sample_until_damage(
    workload: &dyn Workload,
    threads: usize,
    millis: u64,
    max_samples: usize,
) -> Vec<Outcome> {
    let _exclusive = RACE_TESTS.lock().unwrap_or_else(|e| e.into_inner());
    let mut outcomes = Vec::new();
    for _ in 0..max_samples {
        let outcome = run_sample(workload, threads, millis).outcome;
        let damaged = matches!(outcome, Outcome::RaceDamage { .. });
        outcomes.push(outcome);
        if damaged {
            break;
        }
    }
    outcomes
}

/// Runs one 10 ms sample of every correct variant in `variants` at 1 and 2 threads with `p`,
/// asserting each validates; returns `(name, threads, check)` for further assertions.
pub fn assert_correct_variants_validate(
    variants: &[VariantInfo],
    p: &Params,
) -> Vec<(&'static str, usize, SampleCheck)> {
    let mut checks = Vec::new();
    for v in variants.iter().filter(|v| !v.expected_race) {
        for threads in [1, 2] {
            let w = (v.build)(p, threads);
            let check = run_sample(w.as_ref(), threads, 10);
            assert_eq!(
                check.outcome,
                Outcome::Valid,
                "{} at {threads} threads",
                v.name
            );
            checks.push((v.name, threads, check));
        }
    }
    checks
}
