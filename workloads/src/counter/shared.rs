//! Shared-memory counters: a mutex, one atomic, padded per-thread shards, and unpadded shards.

use crate::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crossbeam_utils::CachePadded;

use super::check_exact;
use crate::spin::{Think, busy};
use crate::{Params, SampleCheck, WorkerCtx, WorkerTally, Workload};

/// `counter/mutex`: one `u64` behind `std::sync::Mutex`.
pub struct Locked {
    count: Mutex<u64>,
    cs_work: u32,
    pub(crate) think: Think,
}

impl Locked {
    pub fn new(p: &Params) -> Self {
        Locked {
            count: Mutex::new(0),
            cs_work: p.cs_work,
            think: Think::new(p.think_work),
        }
    }

    /// One increment: lock, work, add, unlock, then think.
    #[inline]
    pub fn increment(&self) {
        {
            let mut c = self.count.lock().unwrap_or_else(|e| e.into_inner());
            busy(self.cs_work);
            *c += 1;
        }
        self.think.op();
    }

    fn value(&self) -> u64 {
        *self.count.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Workload for Locked {
    fn begin_sample(&self) {
        *self.count.lock().unwrap_or_else(|e| e.into_inner()) = 0;
    }
    fn run(&self, ctx: &mut WorkerCtx) -> WorkerTally {
        WorkerTally {
            ops: ctx.timed_batches(|| self.increment()),
            ..Default::default()
        }
    }
    fn end_sample(&self, tallies: &[WorkerTally]) -> SampleCheck {
        check_exact(tallies, self.value())
    }
}

/// `counter/atomic`: one `AtomicU64`, `fetch_add(1, Relaxed)` (a `lock xadd` on x86 whatever the ordering).
pub struct Atomic {
    count: CachePadded<AtomicU64>,
    pub(crate) think: Think,
}

impl Atomic {
    pub fn new(p: &Params) -> Self {
        Atomic {
            count: CachePadded::new(AtomicU64::new(0)),
            think: Think::new(p.think_work),
        }
    }

    /// One increment, then think.
    #[inline]
    pub fn increment(&self) {
        self.count.fetch_add(1, Ordering::Relaxed);
        self.think.op();
    }
}

impl Workload for Atomic {
    fn begin_sample(&self) {
        self.count.store(0, Ordering::Relaxed);
    }
    fn run(&self, ctx: &mut WorkerCtx) -> WorkerTally {
        WorkerTally {
            ops: ctx.timed_batches(|| self.increment()),
            ..Default::default()
        }
    }
    fn end_sample(&self, tallies: &[WorkerTally]) -> SampleCheck {
        check_exact(tallies, self.count.load(Ordering::Relaxed))
    }
}

/// `counter/sharded`: one atomic per thread, each on its own cache line; the count is their sum.
pub struct Sharded {
    shards: Box<[CachePadded<AtomicU64>]>,
    pub(crate) think: Think,
}

impl Sharded {
    pub fn new(p: &Params, threads: usize) -> Self {
        Sharded {
            shards: (0..threads.max(1))
                .map(|_| CachePadded::new(AtomicU64::new(0)))
                .collect(),
            think: Think::new(p.think_work),
        }
    }

    /// One increment of thread `i`'s shard, then think.
    #[inline]
    pub fn increment(&self, i: usize) {
        self.shards[i].fetch_add(1, Ordering::Relaxed);
        self.think.op();
    }
}

impl Workload for Sharded {
    fn begin_sample(&self) {
        self.shards
            .iter()
            .for_each(|s| s.store(0, Ordering::Relaxed));
    }
    fn run(&self, ctx: &mut WorkerCtx) -> WorkerTally {
        let i = ctx.index();
        WorkerTally {
            ops: ctx.timed_batches(|| self.increment(i)),
            ..Default::default()
        }
    }
    fn end_sample(&self, tallies: &[WorkerTally]) -> SampleCheck {
        check_exact(
            tallies,
            self.shards.iter().map(|s| s.load(Ordering::Relaxed)).sum(),
        )
    }
}

/// Eight counters that share one 64-byte cache line.
#[repr(C, align(64))]
#[derive(Default)]
struct Line([AtomicU64; 8]);

/// `counter/false-sharing`: like `Sharded`, but up to eight threads' counters share a cache line.
pub struct FalseSharing {
    lines: Box<[Line]>,
    pub(crate) think: Think,
}

impl FalseSharing {
    pub fn new(p: &Params, threads: usize) -> Self {
        FalseSharing {
            lines: (0..threads.max(1).div_ceil(8))
                .map(|_| Line::default())
                .collect(),
            think: Think::new(p.think_work),
        }
    }

    fn slot(&self, i: usize) -> &AtomicU64 {
        &self.lines[i / 8].0[i % 8]
    }

    /// One increment of thread `i`'s counter, then think.
    #[inline]
    pub fn increment(&self, i: usize) {
        self.slot(i).fetch_add(1, Ordering::Relaxed);
        self.think.op();
    }

    fn slots(&self) -> impl Iterator<Item = &AtomicU64> {
        self.lines.iter().flat_map(|l| l.0.iter())
    }
}

impl Workload for FalseSharing {
    fn begin_sample(&self) {
        self.slots().for_each(|s| s.store(0, Ordering::Relaxed));
    }
    fn run(&self, ctx: &mut WorkerCtx) -> WorkerTally {
        let i = ctx.index();
        WorkerTally {
            ops: ctx.timed_batches(|| self.increment(i)),
            ..Default::default()
        }
    }
    fn end_sample(&self, tallies: &[WorkerTally]) -> SampleCheck {
        check_exact(
            tallies,
            self.slots().map(|s| s.load(Ordering::Relaxed)).sum(),
        )
    }
}
