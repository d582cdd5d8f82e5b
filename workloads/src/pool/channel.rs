//! `pool/channel-workers`: the Go pattern: a jobs channel fanned out to workers, a results
//! channel fanned in to a collector (the submitter helper).

use std::sync::atomic::AtomicU64;
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, bounded};

use super::driver::{offered_rate, set_offered};
use super::{Task, execute};
use crate::open_loop::OpenLoop;
use crate::proof::{check_delivery, mix64};
use crate::spin::Think;
use crate::{Load, LoadModes, Params, SampleCheck, WorkerCtx, WorkerTally, Workload};

/// The collector re-checks the window at least this often while waiting for results.
const POLL: Duration = Duration::from_millis(10);
/// After the close, the collector waits at most this long for one outstanding result before
/// it gives up (validation then reports the missing results instead of the run hanging).
const DRAIN_TIMEOUT: Duration = Duration::from_secs(2);

enum Job {
    Run(Task),
    /// The worker's last job of the sample.
    Stop,
}

/// A completed task's id and result, sent back to the collector.
pub struct Done {
    pub id: u64,
    pub result: u64,
}

/// Workers `0..threads` loop on `jobs.recv()`; the helper thread submits (keeping at most the
/// window in flight), collects results, and at the close drains every outstanding result and
/// then sends each worker a `Stop`. A worker adds `--think-work` to each task's body, as in the
/// other pools (see [`super::Pool`]).
pub struct ChannelWorkers {
    jobs_tx: Sender<Job>,
    jobs_rx: Receiver<Job>,
    results_tx: Sender<Done>,
    results_rx: Receiver<Done>,
    workers: usize,
    window: u64,
    task_work: u32,
    pub(crate) think: Think,
    /// The latency mode's offered rate, tasks/s (`f64` bits); 0 = closed loop.
    offered_per_s: AtomicU64,
}

impl ChannelWorkers {
    pub fn new(p: &Params, threads: usize) -> Self {
        let window = p.pool_window(threads);
        let (jobs_tx, jobs_rx) = bounded(p.capacity.max(window) + threads);
        let (results_tx, results_rx) = bounded(window + threads);
        ChannelWorkers {
            jobs_tx,
            jobs_rx,
            results_tx,
            results_rx,
            workers: threads,
            window: window as u64,
            task_work: p.task_work,
            think: Think::new(p.think_work),
            offered_per_s: AtomicU64::new(0),
        }
    }

    /// Submits task `id`, stamped with the shared clock.
    #[inline]
    pub fn submit(&self, ctx: &WorkerCtx, id: u64) {
        self.submit_stamped(id, ctx.now_ns());
    }

    /// Submits task `id` stamped `submit_ns` (its due time in the latency mode).
    #[inline]
    fn submit_stamped(&self, id: u64, submit_ns: u64) {
        let job = Job::Run(Task { id, submit_ns });
        self.jobs_tx
            .send(job)
            .unwrap_or_else(|_| unreachable!("self holds the receiver"));
    }

    /// A worker's step: receives a job (waiting), runs it, records its submit-to-complete
    /// latency (ns) and sends the result; false on `Stop`. The task's body is extended by
    /// `think_work` (see [`super::Pool`]).
    #[inline]
    pub fn work_one(&self, ctx: &mut WorkerCtx) -> bool {
        let Ok(Job::Run(task)) = self.jobs_rx.recv() else {
            return false;
        };
        let result = execute(self.think.op_within(self.task_work), task.id);
        ctx.record(ctx.now_ns().saturating_sub(task.submit_ns));
        // The results channel has room for the whole window, so this never waits.
        self.results_tx
            .send(Done {
                id: task.id,
                result,
            })
            .unwrap_or_else(|_| unreachable!("self holds the receiver"));
        true
    }

    /// The collector's step: a result if one is ready.
    #[inline]
    pub fn try_collect(&self) -> Option<Done> {
        self.results_rx.try_recv().ok()
    }

    /// Submits (closed loop: whenever the window has room; latency mode: each task at its due
    /// time on an open-loop schedule, stamped with it, a full window charging its wait to the
    /// task's latency), collects, and at the close drains.
    fn collector(&self, ctx: &WorkerCtx) -> WorkerTally {
        let (mut submitted, mut collected, mut expected_sum, mut collected_sum) =
            (0u64, 0u64, 0u64, 0u64);
        let mut take = |d: Done, collected: &mut u64| {
            collected_sum = collected_sum.wrapping_add(d.result);
            *collected += 1;
        };
        let schedule = offered_rate(&self.offered_per_s).map(|r| OpenLoop::start(ctx, r));
        while ctx.running() {
            let due = match &schedule {
                Some(s) => match s.wait_for(ctx, submitted) {
                    Some(due) => Some(due),
                    None => break,
                },
                None => None,
            };
            while let Some(d) = self.try_collect() {
                take(d, &mut collected);
            }
            if submitted - collected < self.window {
                self.submit_stamped(submitted, due.unwrap_or_else(|| ctx.now_ns()));
                expected_sum = expected_sum.wrapping_add(mix64(submitted));
                submitted += 1;
                if submitted % 64 == 0 {
                    ctx.tick(64);
                }
            } else if let Ok(d) = self.results_rx.recv_timeout(POLL) {
                take(d, &mut collected);
            }
        }
        while collected < submitted {
            match self.results_rx.recv_timeout(DRAIN_TIMEOUT) {
                Ok(d) => take(d, &mut collected),
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
            }
        }
        for _ in 0..self.workers {
            self.jobs_tx
                .send(Job::Stop)
                .unwrap_or_else(|_| unreachable!("self holds the receiver"));
        }
        WorkerTally {
            ops: 0,
            items: submitted,
            checksum: expected_sum.wrapping_sub(collected_sum),
        }
    }
}

impl Workload for ChannelWorkers {
    fn helper_threads(&self) -> usize {
        1
    }

    fn begin_sample(&self) {
        while self.jobs_rx.try_recv().is_ok() {}
        while self.results_rx.try_recv().is_ok() {}
    }

    fn run(&self, ctx: &mut WorkerCtx) -> WorkerTally {
        if ctx.is_helper() {
            return self.collector(ctx);
        }
        let mut ops = 0u64;
        while self.work_one(ctx) {
            ops += 1;
        }
        // Workers count runs; the collector proves every result arrived exactly once.
        WorkerTally {
            ops,
            ..Default::default()
        }
    }

    fn end_sample(&self, tallies: &[WorkerTally]) -> SampleCheck {
        check_delivery(tallies, "tasks")
    }

    fn load_modes(&self) -> LoadModes {
        LoadModes {
            offered: true,
            ..LoadModes::default()
        }
    }

    fn set_load(&self, load: Load) -> bool {
        set_offered(&self.offered_per_s, load)
    }
}
