//! The pool driver shared by the queue-based pools: a submitter helper with a closed-loop
//! window, workers that run tasks until the pool is closed and drained, exactly-once tallies.

use std::sync::atomic::{AtomicU64, Ordering};

use crossbeam_utils::{Backoff, CachePadded};

use super::{Task, execute};
use crate::open_loop::OpenLoop;
use crate::proof::{check_delivery, mix64};
use crate::spin::Think;
use crate::{Load, LoadModes, Outcome, Params, SampleCheck, WorkerCtx, WorkerTally, Workload};

/// Where workers get tasks: the part of a pool that differs between variants.
pub trait TaskSource: Send + Sync + 'static {
    /// A worker's own handle, held for the whole sample (e.g. its work-stealing deque).
    type Local<'a>
    where
        Self: 'a;
    fn new(workers: usize) -> Self;
    fn local(&self, worker: usize) -> Self::Local<'_>;
    /// Submits a task (never blocks: the submitter's window bounds what is queued).
    fn push(&self, task: Task);
    /// The next task for `worker`, waiting while none is available; `None` once the pool is
    /// closed and nothing is left that this worker is responsible for.
    fn next(&self, local: &mut Self::Local<'_>, worker: usize) -> Option<Task>;
    /// No more tasks in this sample: wake idle workers so they drain and leave.
    fn close(&self);
    /// Reopens the pool for the next sample (no thread runs).
    fn reset(&self);
}

/// How completions reach the submitter (whose window depends on them).
pub trait Tracker: Send + Sync + 'static {
    /// Whether this tracker is the deliberately racy one (damage is then expected).
    const RACY: bool;
    fn new(workers: usize) -> Self;
    /// Worker `worker` completed one task.
    fn complete(&self, worker: usize);
    /// Tasks completed so far in this sample (as far as the tracker knows).
    fn completed(&self) -> u64;
    fn reset(&self);
}

/// Correct completion tracking: one counter per worker, each on its own cache line, written
/// only by its worker (no read-modify-write contention) and summed by the submitter.
pub struct ExactTracker(Box<[CachePadded<AtomicU64>]>);

impl Tracker for ExactTracker {
    const RACY: bool = false;
    fn new(workers: usize) -> Self {
        ExactTracker(
            (0..workers.max(1))
                .map(|_| CachePadded::new(AtomicU64::new(0)))
                .collect(),
        )
    }
    fn complete(&self, worker: usize) {
        let c = &self.0[worker];
        c.store(c.load(Ordering::Relaxed) + 1, Ordering::Release);
    }
    fn completed(&self) -> u64 {
        self.0.iter().map(|c| c.load(Ordering::Acquire)).sum()
    }
    fn reset(&self) {
        self.0.iter().for_each(|c| c.store(0, Ordering::Relaxed));
    }
}

/// A pool of `threads` workers fed by one submitter helper thread (index `threads`).
///
/// The submitter stamps each task with the shared clock and keeps at most `window` tasks
/// submitted but not completed (closed loop); at the window's close it stops submitting and
/// closes the pool; workers finish every queued task, then return. Completed tasks count, so
/// the up to `window` tasks drained after the close count too.
///
/// Think work (`--think-work`) is added to each task's body by the worker that runs it
/// (`task_work + think_work` busy iterations in one run, outside any lock), so every pool's
/// per-task time grows by the same amount: on the side that scales with the workers (the lone
/// submitter would cap, not scale, the rate), and in one dependency chain with the task's own
/// work (a separate spin after it hides its first ~50 iterations in the out-of-order shadow).
/// It is therefore part of the submit-to-complete latency, like `task_work`.
pub struct Pool<S: TaskSource, T: Tracker> {
    source: S,
    tracker: T,
    window: u64,
    task_work: u32,
    pub(crate) think: Think,
    /// The latency mode's offered rate, tasks/s (`f64` bits); 0 = closed loop (see
    /// [`offered_rate`]).
    offered_per_s: AtomicU64,
}

impl<S: TaskSource, T: Tracker> Pool<S, T> {
    pub fn new(p: &Params, threads: usize) -> Self {
        Pool {
            source: S::new(threads),
            tracker: T::new(threads),
            window: p.pool_window(threads) as u64,
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
        self.source.push(Task { id, submit_ns });
    }

    /// Worker `worker`'s handle on the pool (hold it while calling [`Pool::work_one`]).
    pub fn local(&self, worker: usize) -> S::Local<'_> {
        self.source.local(worker)
    }

    /// Takes the next task (waiting if none), runs it (its body extended by `think_work`),
    /// records its submit-to-complete latency (ns) and reports the completion; returns the
    /// task's result, or `None` once the pool is closed and drained.
    #[inline]
    pub fn work_one(
        &self,
        ctx: &mut WorkerCtx,
        local: &mut S::Local<'_>,
        worker: usize,
    ) -> Option<u64> {
        let task = self.source.next(local, worker)?;
        let result = execute(self.think.op_within(self.task_work), task.id);
        ctx.record(ctx.now_ns().saturating_sub(task.submit_ns));
        self.tracker.complete(worker);
        Some(result)
    }

    /// Closed loop: submits whenever the window has room. Latency mode (an offered rate): task
    /// `n` is due at its time on an open-loop schedule and stamped with it; a full window holds
    /// it back, and the wait is charged to its latency.
    fn submitter(&self, ctx: &WorkerCtx) -> WorkerTally {
        let (mut submitted, mut completed, mut sum) = (0u64, 0u64, 0u64);
        let schedule = offered_rate(&self.offered_per_s).map(|r| OpenLoop::start(ctx, r));
        let backoff = Backoff::new();
        while ctx.running() {
            let due = match &schedule {
                Some(s) => match s.wait_for(ctx, submitted) {
                    Some(due) => Some(due),
                    None => break,
                },
                None => None,
            };
            if submitted.saturating_sub(completed) >= self.window {
                completed = self.tracker.completed();
                if submitted.saturating_sub(completed) >= self.window {
                    backoff.snooze();
                    continue;
                }
                backoff.reset();
            }
            self.submit_stamped(submitted, due.unwrap_or_else(|| ctx.now_ns()));
            sum = sum.wrapping_add(mix64(submitted));
            submitted += 1;
            if submitted % 64 == 0 {
                ctx.tick(64);
            }
        }
        self.source.close();
        WorkerTally {
            ops: 0,
            items: submitted,
            checksum: sum,
        }
    }

    fn worker(&self, ctx: &mut WorkerCtx) -> WorkerTally {
        let w = ctx.index();
        let mut local = self.source.local(w);
        let (mut ops, mut sum) = (0u64, 0u64);
        while let Some(result) = self.work_one(ctx, &mut local, w) {
            ops += 1;
            sum = sum.wrapping_add(result);
        }
        WorkerTally {
            ops,
            items: 0,
            checksum: 0u64.wrapping_sub(sum),
        }
    }
}

impl<S: TaskSource, T: Tracker> Workload for Pool<S, T> {
    fn helper_threads(&self) -> usize {
        1
    }

    fn begin_sample(&self) {
        self.source.reset();
        self.tracker.reset();
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

    fn run(&self, ctx: &mut WorkerCtx) -> WorkerTally {
        if ctx.is_helper() {
            self.submitter(ctx)
        } else {
            self.worker(ctx)
        }
    }

    fn end_sample(&self, tallies: &[WorkerTally]) -> SampleCheck {
        let check = check_delivery(tallies, "tasks");
        if !T::RACY {
            return check;
        }
        let ran: u64 = tallies.iter().map(|t| t.ops).sum();
        let lost = ran.saturating_sub(self.tracker.completed());
        let outcome = match check.outcome {
            Outcome::Valid if lost == 0 => Outcome::RaceUnobserved,
            Outcome::Valid => Outcome::RaceDamage {
                damage: lost,
                detail: format!(
                    "{lost} of {ran} completions lost by the unsynchronized counter (each one a window slot \
                     the submitter believes is still busy)"
                ),
            },
            Outcome::Invalid(why) => Outcome::RaceDamage {
                damage: lost.max(1),
                detail: why,
            },
            other => other,
        };
        SampleCheck {
            ops: check.ops,
            outcome,
        }
    }
}

/// The offered rate stored in `cell`, if the latency mode is on.
pub(crate) fn offered_rate(cell: &AtomicU64) -> Option<f64> {
    let per_s = f64::from_bits(cell.load(Ordering::Relaxed));
    (per_s > 0.0).then_some(per_s)
}

/// A pool's answer to [`Workload::set_load`]: an offered rate turns the latency mode on; anything
/// else turns it off and returns false (pools have no sampled-stamp or bare mode: every task is
/// stamped, and the submitter is part of what a pool is).
pub(crate) fn set_offered(cell: &AtomicU64, load: Load) -> bool {
    match load {
        Load::Offered { per_s, .. } if per_s.is_finite() && per_s > 0.0 => {
            cell.store(per_s.to_bits(), Ordering::Relaxed);
            true
        }
        _ => {
            cell.store(0, Ordering::Relaxed);
            false
        }
    }
}
