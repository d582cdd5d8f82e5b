//! What a worker thread sees of the runner: its index, the stop signal, a shared clock, and its
//! own latency histograms (per-thread, merged by the runner after the sample).

use std::sync::OnceLock;
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

/// The clock that times single operations: the TSC calibrated to ns against the monotonic
/// clock (quanta), or the monotonic clock where there is no invariant TSC; and its floor, the
/// smallest difference of two back-to-back reads (ns), which every timed operation includes and
/// which is subtracted from it.
fn op_clock() -> &'static (quanta::Clock, u64) {
    static CLOCK: OnceLock<(quanta::Clock, u64)> = OnceLock::new();
    CLOCK.get_or_init(|| {
        let clock = quanta::Clock::new();
        let floor = (0..10_000)
            .map(|_| {
                let a = clock.raw();
                let b = clock.raw();
                clock.delta_as_nanos(a, b)
            })
            .min()
            .unwrap_or(0);
        (clock, floor)
    })
}

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
    /// Per-operation batch means of [`Self::timed_batches`] (empty for other families).
    batch_histogram: Histogram<u64>,
    batch: u64,
    seed: u64,
    /// xorshift state choosing which operation of a batch is timed alone.
    pick: u64,
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
        // Calibrate the op clock now, once per process, outside any sample's window.
        op_clock();
        WorkerCtx {
            index,
            workers,
            stop,
            progress,
            epoch,
            histogram: new_histogram(),
            batch_histogram: new_histogram(),
            batch: 1,
            seed,
            pick: (seed ^ (index as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)) | 1,
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
    /// Two figures come out of it:
    /// - **single operations** (the latency histogram): in every batch one operation, at a
    ///   pseudo-random position, is timed alone by the op clock (the TSC, see `op_clock`),
    ///   minus the clock's floor. So the percentiles and the max are latencies of individual
    ///   operations, sampled about once per batch (a stall in an operation that was not sampled
    ///   shows only in the batch figure and in throughput);
    /// - **batch means** (the batch histogram): every operation recorded as its batch's mean
    ///   (batch time / batch size), as before.
    ///
    /// Batches adapt to last 8-64 us, so the clock reads (two per batch, two more for the
    /// sampled operation) cost under 1% of the work.
    #[inline]
    pub fn timed_batches(&mut self, mut op: impl FnMut()) -> u64 {
        let (clock, floor) = op_clock();
        let mut ops = 0u64;
        while self.running() {
            let batch = self.batch;
            self.pick ^= self.pick << 13;
            self.pick ^= self.pick >> 7;
            self.pick ^= self.pick << 17;
            let timed = self.pick % batch;
            let start = Instant::now();
            for _ in 0..timed {
                op();
            }
            let t0 = clock.raw();
            op();
            let t1 = clock.raw();
            for _ in timed + 1..batch {
                op();
            }
            let ns = start.elapsed().as_nanos() as u64;
            let single = clock.delta_as_nanos(t0, t1).saturating_sub(*floor);
            self.histogram
                .saturating_record(single.clamp(1, MAX_LATENCY_NS));
            self.batch_histogram
                .saturating_record_n((ns / batch).clamp(1, MAX_LATENCY_NS), batch);
            self.progress.fetch_add(batch, Ordering::Relaxed);
            ops += batch;
            if ns < BATCH_TARGET_MIN_NS && batch < MAX_BATCH {
                self.batch = batch * 2;
            } else if ns > BATCH_TARGET_MAX_NS && batch > 1 {
                self.batch = batch / 2;
            }
        }
        ops
    }

    /// Hands over this sample's batch-mean histogram (empty unless [`Self::timed_batches`] ran)
    /// and starts a fresh one.
    pub fn take_batch_histogram(&mut self) -> Histogram<u64> {
        std::mem::replace(&mut self.batch_histogram, new_histogram())
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
        let batches = ctx.take_batch_histogram();
        assert_eq!(batches.len(), ops, "every operation has its batch's mean");
        let singles = ctx.take_histogram();
        assert!(
            !singles.is_empty() && singles.len() < ops / 4,
            "one operation timed per batch: {} of {ops}",
            singles.len()
        );
        assert_eq!(progress.load(Ordering::Relaxed), ops);
        assert_eq!(
            ctx.take_histogram().len(),
            0,
            "a taken histogram is replaced by an empty one"
        );
    }

    #[test]
    fn a_stalled_operation_shows_in_the_single_operation_max() {
        // Every operation stalls 1 ms: batches shrink to one operation, so each one is timed
        // alone, and the max (and the median) of single operations is at least the stall.
        let stop = AtomicBool::new(false);
        let progress = AtomicU64::new(0);
        let mut ctx = WorkerCtx::new(0, 1, &stop, &progress, Instant::now(), 1);
        let mut calls = 0u64;
        ctx.timed_batches(|| {
            std::thread::sleep(std::time::Duration::from_millis(1));
            calls += 1;
            if calls == 12 {
                stop.store(true, Ordering::Relaxed);
            }
        });
        let singles = ctx.take_histogram();
        assert!(singles.max() >= 1_000_000, "max {} ns", singles.max());
        assert!(singles.value_at_quantile(0.5) >= 1_000_000);
    }

    #[test]
    fn a_single_stall_among_fast_operations_is_timed_when_sampled() {
        // One operation in a stream of fast ones stalls 1 ms. It lands in the single-operation
        // max when its batch happens to time it; it always lands in its batch's time, so the batch
        // figure's max is at least 1 ms / batch size. Here the stall is the first operation of
        // the sample, whose batch holds only it (batches start at one operation).
        let stop = AtomicBool::new(false);
        let progress = AtomicU64::new(0);
        let mut ctx = WorkerCtx::new(0, 1, &stop, &progress, Instant::now(), 1);
        let mut calls = 0u64;
        ctx.timed_batches(|| {
            if calls == 0 {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            calls += 1;
            if calls == 100_000 {
                stop.store(true, Ordering::Relaxed);
            }
        });
        let singles = ctx.take_histogram();
        assert!(singles.max() >= 1_000_000, "max {} ns", singles.max());
        assert!(
            singles.value_at_quantile(0.5) < 1_000_000,
            "the other operations are fast"
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
