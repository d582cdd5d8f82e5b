//! A minimal in-process driver for unit tests and benches: runs one sample of a workload on
//! unpinned scoped threads for a fixed time. The harness's runner is the real one (pinning,
//! warm-up, rendezvous, watchdog); this exists so each variant's proof can be tested alone.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::{SampleCheck, WorkerCtx, WorkerTally, Workload};

/// Runs one sample of `workload` with `threads` workers (plus its helpers) for about `millis` ms.
pub fn run_sample(workload: &dyn Workload, threads: usize, millis: u64) -> SampleCheck {
    let total = threads + workload.helper_threads();
    let stop = AtomicBool::new(false);
    let progress: Vec<AtomicU64> = (0..total).map(|_| AtomicU64::new(0)).collect();
    let epoch = Instant::now();
    workload.begin_sample();
    let tallies: Vec<WorkerTally> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..total)
            .map(|i| {
                let (stop, progress) = (&stop, &progress[i]);
                s.spawn(move || {
                    workload.run(&mut WorkerCtx::new(i, threads, stop, progress, epoch, 42))
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(millis));
        stop.store(true, Ordering::Relaxed);
        handles
            .into_iter()
            .map(|h| h.join().expect("worker panicked"))
            .collect()
    });
    workload.end_sample(&tallies)
}
