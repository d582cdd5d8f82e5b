//! State shared by the runner and a case's threads (start gate, arrival count, window signal,
//! done count, per-thread progress and report slots) and the body every case thread runs.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use contend_workloads::{WorkerCtx, WorkerTally, Workload};
use crossbeam_utils::CachePadded;
use hdrhistogram::Histogram;

use crate::evidence::{ThreadCounters, ThreadSpan};

/// What one thread handed back after a sample.
pub(super) struct ThreadReport {
    pub(super) tally: Result<WorkerTally, String>,
    pub(super) histogram: Histogram<u64>,
    /// Batch means of timed batches (empty for families that time single operations only).
    pub(super) batch_histogram: Histogram<u64>,
    pub(super) finished: Instant,
    pub(super) cpus: [Option<usize>; 2],
    /// The thread's switches and migrations from its arrival to the end of its work.
    pub(super) span: ThreadSpan,
}

/// State shared by the runner and the case's threads.
pub(super) struct Shared {
    pub(super) workload: Box<dyn Workload>,
    workers: usize,
    seed: u64,
    epoch: Instant,
    /// The sample number (1-based) the threads may start; `u64::MAX` releases them to quit.
    gate: AtomicU64,
    gate_lock: Mutex<()>,
    gate_signal: Condvar,
    pub(super) stop: AtomicBool,
    pub(super) ready: AtomicUsize,
    /// Threads that passed the gate of the current sample and wait for `go`.
    pub(super) arrived: AtomicUsize,
    /// The sample number whose window is open: set once every thread has arrived, so a thread the
    /// OS has not scheduled yet cannot miss the window.
    pub(super) go: AtomicU64,
    pub(super) done: AtomicUsize,
    pub(super) progress: Vec<CachePadded<AtomicU64>>,
    pub(super) slots: Vec<Mutex<Option<ThreadReport>>>,
    /// Wakes the runner when the last thread reported on `ready`, `arrived` or `done`, so the
    /// runner waits blocked instead of polling on the workers' CPUs.
    report_lock: Mutex<()>,
    report_signal: Condvar,
}

impl Shared {
    /// State for `threads` threads (workers then helpers) of `workload`, `workers` of them workers.
    pub(super) fn new(
        workload: Box<dyn Workload>,
        workers: usize,
        threads: usize,
        seed: u64,
    ) -> Self {
        Shared {
            workload,
            workers,
            seed,
            epoch: Instant::now(),
            gate: AtomicU64::new(0),
            gate_lock: Mutex::new(()),
            gate_signal: Condvar::new(),
            stop: AtomicBool::new(false),
            ready: AtomicUsize::new(0),
            arrived: AtomicUsize::new(0),
            go: AtomicU64::new(0),
            done: AtomicUsize::new(0),
            progress: (0..threads)
                .map(|_| CachePadded::new(AtomicU64::new(0)))
                .collect(),
            slots: (0..threads).map(|_| Mutex::new(None)).collect(),
            report_lock: Mutex::new(()),
            report_signal: Condvar::new(),
        }
    }

    /// Counts this thread on `counter` (`ready`, `arrived` or `done`); the last one wakes the
    /// runner.
    pub(super) fn report_on(&self, counter: &AtomicUsize) {
        if counter.fetch_add(1, Ordering::Release) + 1 == self.slots.len() {
            let _guard = self.report_lock.lock().unwrap_or_else(|e| e.into_inner());
            self.report_signal.notify_all();
        }
    }

    /// Blocks until every thread reported on `counter` or `timeout` passed; true when all did.
    pub(super) fn wait_reports(&self, counter: &AtomicUsize, timeout: Duration) -> bool {
        let all = |c: &AtomicUsize| c.load(Ordering::Acquire) >= self.slots.len();
        let guard = self.report_lock.lock().unwrap_or_else(|e| e.into_inner());
        if all(counter) {
            return true;
        }
        let _ = self
            .report_signal
            .wait_timeout_while(guard, timeout, |_| !all(counter));
        all(counter)
    }

    pub(super) fn open_gate(&self, sample: u64) {
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
        self.report_on(&self.arrived);
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

    pub(super) fn progress(&self) -> u64 {
        self.progress
            .iter()
            .map(|p| p.load(Ordering::Relaxed))
            .fold(0, u64::wrapping_add)
    }
}

fn panic_message(p: Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".into())
}

pub(super) fn thread_main(shared: Arc<Shared>, index: usize, cpu: Option<usize>) {
    if let Some(id) = cpu {
        crate::pin::pin_current(id);
    }
    let mut ctx = WorkerCtx::new(
        index,
        shared.workers,
        &shared.stop,
        &shared.progress[index],
        shared.epoch,
        shared.seed,
    );
    // Opened after pinning, so the pin itself is not counted as a migration.
    let counters = ThreadCounters::open();
    shared.report_on(&shared.ready);
    let mut sample = 0;
    loop {
        sample += 1;
        if !shared.wait_gate(sample) {
            return;
        }
        // Read before arriving: the window cannot open until every thread has arrived.
        let before = counters.read();
        shared.arrive_and_wait_go(sample);
        let first_cpu = crate::pin::current_cpu();
        let tally =
            catch_unwind(AssertUnwindSafe(|| shared.workload.run(&mut ctx))).map_err(panic_message);
        let finished = Instant::now();
        let last_cpu = crate::pin::current_cpu();
        let span = ThreadSpan {
            source: counters.source(),
            counts: counters.read().since(&before),
        };
        let report = ThreadReport {
            tally,
            histogram: ctx.take_histogram(),
            batch_histogram: ctx.take_batch_histogram(),
            finished,
            cpus: [first_cpu, last_cpu],
            span,
        };
        *shared.slots[index]
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(report);
        shared.report_on(&shared.done);
    }
}
