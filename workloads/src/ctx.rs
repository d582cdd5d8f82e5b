//! What a worker thread sees of the runner: its index, the stop signal, a shared clock, and its
//! own latency histogram (per-thread, merged by the runner after the sample).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use hdrhistogram::Histogram;

/// Largest latency the histograms hold: 60 s in ns (larger values are clamped).
pub const MAX_LATENCY_NS: u64 = 60_000_000_000;
/// Significant decimal digits kept by latency histograms.
pub const HISTOGRAM_SIGFIG: u8 = 3;

/// A batch of timed operations is grown until it lasts at least this long, so that the two
/// clock reads around it (~25 ns each on these VMs) cost under 1% of the batch.
const BATCH_TARGET_MIN_NS: u64 = 8_000;
/// ... and shrunk when it lasts longer than this, so stop requests are honoured quickly.
const BATCH_TARGET_MAX_NS: u64 = 64_000;
const MAX_BATCH: u64 = 1 << 20;

/// A fresh latency histogram in ns with the crate's bounds.
pub fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_LATENCY_NS, HISTOGRAM_SIGFIG)
        .expect("static histogram bounds are valid")
}

/// The per-thread view of a running case.
pub struct WorkerCtx<'a> {
    index: usize,
    workers: usize,
    stop: &'a AtomicBool,
    progress: &'a AtomicU64,
    epoch: Instant,
    histogram: Histogram<u64>,
    batch: u64,
    seed: u64,
}

impl<'a> WorkerCtx<'a> {
    /// A context for thread `index` of a case with `workers` worker threads (helpers have
    /// `index >= workers`). `epoch` must be the same instant for every thread of the case.
    pub fn new(
        index: usize,
        workers: usize,
        stop: &'a AtomicBool,
        progress: &'a AtomicU64,
        epoch: Instant,
        seed: u64,
    ) -> Self {
        WorkerCtx {
            index,
            workers,
            stop,
            progress,
            epoch,
            histogram: new_histogram(),
            batch: 1,
            seed,
        }
    }

    /// This thread's index: `0..workers()` for workers, `workers()..` for helpers.
    pub fn index(&self) -> usize {
        self.index
    }

    /// Number of worker threads in the case (the case's thread count).
    pub fn workers(&self) -> usize {
        self.workers
    }

    /// Whether this thread is a helper (e.g. an actor's owner) rather than a worker.
    pub fn is_helper(&self) -> bool {
        self.index >= self.workers
    }

    /// A per-thread seed derived from the run's seed.
    pub fn seed(&self) -> u64 {
        self.seed ^ (self.index as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
    }

    /// False once the runner has closed the sample's window.
    #[inline]
    pub fn running(&self) -> bool {
        !self.stop.load(Ordering::Relaxed)
    }

    /// Nanoseconds since the case's shared epoch: comparable across the case's threads
    /// (used for message timestamps).
    #[inline]
    pub fn now_ns(&self) -> u64 {
        self.epoch.elapsed().as_nanos() as u64
    }

    /// Records one latency in ns and tells the watchdog this thread made progress.
    #[inline]
    pub fn record(&mut self, latency_ns: u64) {
        self.record_n(latency_ns, 1);
    }

    /// Records `count` operations of `latency_ns` each.
    #[inline]
    pub fn record_n(&mut self, latency_ns: u64, count: u64) {
        let v = latency_ns.clamp(1, MAX_LATENCY_NS);
        self.histogram.saturating_record_n(v, count);
        self.progress.fetch_add(count, Ordering::Relaxed);
    }

    /// Tells the watchdog this thread made progress without recording a latency.
    #[inline]
    pub fn tick(&self, count: u64) {
        self.progress.fetch_add(count, Ordering::Relaxed);
    }

    /// Runs `op` in timed batches until the window closes and returns how many times it ran.
    ///
    /// Latency recorded per operation is the mean of its batch (batch time / batch size); batches
    /// adapt to last 8-64 us, so the clock costs under 1% and a disturbed batch (contention,
    /// preemption) shows as a tail.
    #[inline]
    pub fn timed_batches(&mut self, mut op: impl FnMut()) -> u64 {
        let mut ops = 0u64;
        while self.running() {
            let batch = self.batch;
            let start = Instant::now();
            for _ in 0..batch {
                op();
            }
            let ns = start.elapsed().as_nanos() as u64;
            self.record_n(ns / batch, batch);
            ops += batch;
            if ns < BATCH_TARGET_MIN_NS && batch < MAX_BATCH {
                self.batch = batch * 2;
            } else if ns > BATCH_TARGET_MAX_NS && batch > 1 {
                self.batch = batch / 2;
            }
        }
        ops
    }

    /// Hands over this sample's histogram and starts a fresh one for the next sample.
    pub fn take_histogram(&mut self) -> Histogram<u64> {
        std::mem::replace(&mut self.histogram, new_histogram())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timed_batches_stop_when_the_window_closes_and_count_every_op() {
        let stop = AtomicBool::new(false);
        let progress = AtomicU64::new(0);
        let mut ctx = WorkerCtx::new(0, 1, &stop, &progress, Instant::now(), 1);
        let mut calls = 0u64;
        let ops = ctx.timed_batches(|| {
            calls += 1;
            if calls == 10_000 {
                stop.store(true, Ordering::Relaxed);
            }
        });
        assert_eq!(ops, calls);
        assert!(ops >= 10_000);
        let h = ctx.take_histogram();
        assert_eq!(h.len(), ops);
        assert_eq!(progress.load(Ordering::Relaxed), ops);
        assert_eq!(
            ctx.take_histogram().len(),
            0,
            "a taken histogram is replaced by an empty one"
        );
    }

    #[test]
    fn helpers_are_numbered_after_workers() {
        let stop = AtomicBool::new(false);
        let progress = AtomicU64::new(0);
        let ctx = WorkerCtx::new(2, 2, &stop, &progress, Instant::now(), 1);
        assert!(ctx.is_helper());
        assert_ne!(
            ctx.seed(),
            WorkerCtx::new(1, 2, &stop, &progress, Instant::now(), 1).seed()
        );
    }
}
