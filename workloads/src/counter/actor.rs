//! Message-passing counters: an owner thread owns the count; workers send it increments.

use std::cell::Cell;

use crossbeam_channel::{Receiver, Sender, bounded};

use super::check_exact;
use crate::spin::{Think, busy};
use crate::{Params, SampleCheck, WorkerCtx, WorkerTally, Workload};

/// Capacity of the owner's mailbox (messages).
const MAILBOX: usize = 4096;

enum Msg {
    Add(u64),
    /// A worker has stopped sending for this sample.
    Done,
}

/// `counter/actor` (batch 1) and `counter/actor-batched` (batch > 1).
pub struct Actor {
    tx: Sender<Msg>,
    rx: Receiver<Msg>,
    /// The count the owner reached in the last sample (written by the owner, read after the sample).
    owned: std::sync::atomic::AtomicU64,
    batch: u64,
    cs_work: u32,
    pub(crate) think: Think,
}

impl Actor {
    pub fn new(p: &Params, _threads: usize, batch: u32) -> Self {
        let (tx, rx) = bounded(MAILBOX);
        Actor {
            tx,
            rx,
            owned: Default::default(),
            batch: u64::from(batch.max(1)),
            cs_work: p.cs_work,
            think: Think::new(p.think_work),
        }
    }

    /// The owner: adds what arrives until every worker said it is done; returns the count.
    fn own(&self, ctx: &WorkerCtx) -> u64 {
        let mut count = 0u64;
        let mut done = 0;
        while done < ctx.workers() {
            match self.rx.recv() {
                Ok(Msg::Add(n)) => {
                    count += self.apply(n);
                    ctx.tick(n);
                }
                Ok(Msg::Done) => done += 1,
                Err(_) => break, // unreachable: `self` holds a sender
            }
        }
        count
    }

    /// The owner's handling of one `Add(n)`: the critical-section work; returns what to add.
    #[inline]
    fn apply(&self, n: u64) -> u64 {
        busy(self.cs_work);
        n
    }

    /// One uncontended round on the calling thread: a client's send of `n` increments, then
    /// the owner's receipt of it; returns what the owner added (for single-thread benches).
    pub fn send_and_own_one(&self, n: u64) -> u64 {
        self.send(n);
        match self.rx.try_recv() {
            Ok(Msg::Add(n)) => self.apply(n),
            _ => 0,
        }
    }

    fn send(&self, n: u64) {
        // The owner outlives every send of the sample (it waits for each worker's Done).
        let _ = self.tx.send(Msg::Add(n));
    }
}

impl Workload for Actor {
    fn helper_threads(&self) -> usize {
        1
    }

    fn begin_sample(&self) {
        self.owned.store(0, std::sync::atomic::Ordering::Relaxed);
    }

    fn run(&self, ctx: &mut WorkerCtx) -> WorkerTally {
        if ctx.is_helper() {
            let count = self.own(ctx);
            self.owned
                .store(count, std::sync::atomic::Ordering::Relaxed);
            return WorkerTally::default();
        }
        let pending = Cell::new(0u64);
        let ops = ctx.timed_batches(|| {
            pending.set(pending.get() + 1);
            if pending.get() == self.batch {
                self.send(pending.replace(0));
            }
            self.think.op();
        });
        if pending.get() > 0 {
            self.send(pending.get());
        }
        let _ = self.tx.send(Msg::Done);
        WorkerTally {
            ops,
            ..Default::default()
        }
    }

    fn end_sample(&self, tallies: &[WorkerTally]) -> SampleCheck {
        check_exact(
            tallies,
            self.owned.load(std::sync::atomic::Ordering::Relaxed),
        )
    }
}
