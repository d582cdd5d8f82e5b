//! Message-passing counters: an owner thread owns the count; workers send it increments,
//! saturated (the default, with a credit window), on an open-loop schedule, or as the bare
//! reference.

use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};

use crossbeam_channel::{Receiver, Sender, bounded};
use crossbeam_utils::{Backoff, CachePadded};

use super::check_exact;
use crate::open_loop::OpenLoop;
use crate::spin::{Think, busy};
use crate::{Load, LoadModes, Params, SampleCheck, WorkerCtx, WorkerTally, Workload};

/// Capacity of the owner's mailbox (messages).
const MAILBOX: usize = 4096;

/// The owner tells the watchdog it progresses once per this many messages.
const TICK_EVERY: u64 = 64;

/// Saturated and bare: messages a worker may have sent that the owner has not yet counted.
const CREDIT_WINDOW: u64 = 64;

/// The owner hands a worker's credit back once per this many of its messages, so a worker that
/// ran out waits for a batch of credit, not for each message (see [`Actor`]).
const CREDIT_RETURN: u64 = CREDIT_WINDOW / 2;

/// Which [`Load`] drives the next samples (`Actor::load`).
const SATURATED: u8 = 0;
const OFFERED: u8 = 1;
const BARE: u8 = 2;

/// A message carries this instead of a due time when it is not timed (saturated, bare).
const UNTIMED: u64 = u64::MAX;

enum Msg {
    /// `n` increments from worker `from`; `due_ns` is when the first of them was due (open
    /// loop), or [`UNTIMED`].
    Add { n: u64, due_ns: u64, from: u32 },
    /// A worker has stopped sending for this sample.
    Done,
}

/// `counter/actor` (batch 1) and `counter/actor-batched` (batch > 1).
///
/// How workers send is the [`Load`] set by the runner ([`Workload::set_load`]):
/// - saturated (the default): as fast as the owner counts, each increment in the counter
///   family's timed batches (one increment per batch timed alone: the send's cost, waiting for
///   credit included). A worker keeps at most [`CREDIT_WINDOW`] messages uncounted; the owner
///   returns credit [`CREDIT_RETURN`] messages at a time, and a worker out of credit waits for
///   it spinning, then yielding. Without the window a worker that outruns the owner keeps the
///   mailbox full and the two sides contend for its slots: on a 2-vCPU VM the processes of the
///   2-worker actor then settled anywhere from 5.6 to 37 M increments/s, with the window at
///   24-35 (README, "The actors' credit window"); an actor client with a bounded window of outstanding messages is also how actor systems
///   apply back-pressure;
/// - offered: each worker's increments fall due on an open-loop schedule (its share of the
///   rate); a message goes when its batch's last increment is due, carries the due time of its
///   *first*, and the owner records the time from that due time until it has counted the
///   message: how long an increment waited to be counted, batching included, with coordinated
///   omission corrected (a worker behind schedule sends at once, and the delay is charged);
/// - bare (one worker only): the same counting without the harness: the worker counts locally
///   and sends every `batch` increments within its credit window, the owner receives, adds and
///   returns credit, nothing else (no clock, no progress ticks, no think or critical-section
///   work).
pub struct Actor {
    tx: Sender<Msg>,
    rx: Receiver<Msg>,
    /// The count the owner reached in the last sample (written by the owner, read after the sample).
    owned: AtomicU64,
    /// Per worker: how many of its messages the owner has counted this sample, published every
    /// [`CREDIT_RETURN`] (the worker's credit is this plus [`CREDIT_WINDOW`]).
    counted: Box<[CachePadded<AtomicU64>]>,
    batch: u64,
    cs_work: u32,
    workers: usize,
    pub(crate) think: Think,
    /// [`SATURATED`], [`OFFERED`] or [`BARE`].
    load: AtomicU8,
    /// Open loop: the offered rate over all workers, increments/s (`f64` bits).
    offered_per_s: AtomicU64,
    /// Open loop: one message in this many (a power of two) carries its due time.
    stamp_every: AtomicU64,
}

impl Actor {
    pub fn new(p: &Params, threads: usize, batch: u32) -> Self {
        // Room for every worker's credit window, so the window, not the mailbox, holds them back.
        let (tx, rx) = bounded(MAILBOX.max(threads.max(1) * CREDIT_WINDOW as usize));
        Actor {
            tx,
            rx,
            owned: Default::default(),
            counted: (0..threads.max(1)).map(|_| Default::default()).collect(),
            batch: u64::from(batch.max(1)),
            cs_work: p.cs_work,
            workers: threads.max(1),
            think: Think::new(p.think_work),
            load: AtomicU8::new(SATURATED),
            offered_per_s: AtomicU64::new(0),
            stamp_every: AtomicU64::new(1),
        }
    }

    /// The owner: adds what arrives until every worker said it is done, telling the watchdog
    /// it progresses once per [`TICK_EVERY`] messages; returns the count. Open loop: records
    /// each message's wait from its due time.
    fn own(&self, ctx: &mut WorkerCtx, timed: bool) -> u64 {
        // Read once: the loop calls into the channel, after which fields would be reloaded, and
        // a few instructions more per message change which side of the mailbox waits.
        let (workers, cs_work) = (ctx.workers(), self.cs_work);
        let (mut count, mut messages, mut done) = (0u64, 0u64, 0);
        let mut credit = Credit::new(self.counted.len());
        while done < workers {
            match self.rx.recv() {
                Ok(Msg::Add { n, due_ns, from }) => {
                    credit.counted(&self.counted, from);
                    busy(cs_work);
                    count += n;
                    if timed && due_ns != UNTIMED {
                        ctx.record(ctx.now_ns().saturating_sub(due_ns));
                    }
                    messages += 1;
                    if messages.is_multiple_of(TICK_EVERY) {
                        ctx.tick(TICK_EVERY);
                    }
                }
                Ok(Msg::Done) => done += 1,
                Err(_) => break, // unreachable: `self` holds a sender
            }
        }
        count
    }

    /// The bare owner: receives, adds and returns credit, nothing else.
    fn own_bare(&self, workers: usize) -> u64 {
        let mut count = 0u64;
        let mut done = 0;
        let mut credit = Credit::new(self.counted.len());
        while done < workers {
            match self.rx.recv() {
                Ok(Msg::Add { n, from, .. }) => {
                    credit.counted(&self.counted, from);
                    count += n;
                }
                Ok(Msg::Done) => done += 1,
                Err(_) => break,
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
        self.send(n, UNTIMED, 0);
        match self.rx.try_recv() {
            Ok(Msg::Add { n, .. }) => self.apply(n),
            _ => 0,
        }
    }

    fn send(&self, n: u64, due_ns: u64, from: u32) {
        // The owner outlives every send of the sample (it waits for each worker's Done).
        let _ = self.tx.send(Msg::Add { n, due_ns, from });
    }

    /// Sends `n` increments as `out`'s worker's next message, first waiting, when its credit
    /// has run out, until the owner has counted enough of its earlier messages to give more.
    /// (The worker reads the owner's count only then. Not inlined: a batched worker's loop
    /// stays the increment alone.)
    #[inline(never)]
    fn send_within_credit(&self, out: &mut Outbox, n: u64) {
        if out.sent >= out.limit {
            let counted = &self.counted[out.from as usize];
            let backoff = Backoff::new();
            out.limit = counted.load(Ordering::Acquire) + CREDIT_WINDOW;
            while out.sent >= out.limit {
                backoff.snooze();
                out.limit = counted.load(Ordering::Acquire) + CREDIT_WINDOW;
            }
        }
        self.send(n, UNTIMED, out.from);
        out.sent += 1;
    }

    /// Saturated: increments in timed batches, one message per `batch` of them, within the
    /// worker's credit window.
    fn send_saturated(&self, ctx: &mut WorkerCtx) -> u64 {
        let (batch, mut out) = (self.batch, Outbox::new(ctx));
        let mut pending = 0u64;
        let mut count = || {
            pending += 1;
            if pending == batch {
                self.send_within_credit(&mut out, pending);
                pending = 0;
            }
        };
        let ops = if self.think.per_op() == 0 {
            ctx.timed_batches(count)
        } else {
            ctx.timed_batches(|| {
                count();
                self.think.op();
            })
        };
        if pending > 0 {
            self.send_within_credit(&mut out, pending);
        }
        ops
    }

    /// Open loop: increment `i` of this worker is due at `start + i x interval`; a message of
    /// `batch` increments goes when its last is due, and one message in `stamp_every` carries
    /// the due time of its first (the others go untimed, so the owner's clock stays cheap).
    fn send_offered(&self, ctx: &WorkerCtx) -> u64 {
        let per_s = f64::from_bits(self.offered_per_s.load(Ordering::Relaxed));
        let schedule = OpenLoop::start(ctx, per_s / self.workers as f64);
        let mask = self.stamp_every.load(Ordering::Relaxed) - 1;
        let from = worker_id(ctx);
        let (mut sent, mut messages) = (0u64, 0u64);
        while schedule.wait_for(ctx, sent + self.batch - 1).is_some() {
            self.think
                .ops(u32::try_from(self.batch).unwrap_or(u32::MAX));
            let due = if messages & mask == 0 {
                schedule.due_ns(sent)
            } else {
                UNTIMED
            };
            self.send(self.batch, due, from);
            sent += self.batch;
            messages += 1;
            if messages.is_multiple_of(TICK_EVERY) {
                ctx.tick(TICK_EVERY * self.batch);
            }
        }
        sent
    }

    /// Bare: the same algorithm without the harness: count locally, send every `batch`
    /// increments within the credit window (the crate's send, nothing else: no clock, no think
    /// work, no progress ticks).
    fn send_bare(&self, ctx: &WorkerCtx) -> u64 {
        let (mut out, mut pending, mut sent) = (Outbox::new(ctx), 0u64, 0u64);
        while ctx.running() {
            pending += 1;
            if pending == self.batch {
                self.send_within_credit(&mut out, pending);
                sent += pending;
                pending = 0;
            }
        }
        if pending > 0 {
            self.send_within_credit(&mut out, pending);
        }
        sent + pending
    }
}

impl Workload for Actor {
    fn helper_threads(&self) -> usize {
        1
    }

    fn begin_sample(&self) {
        self.owned.store(0, Ordering::Relaxed);
        for counted in self.counted.iter() {
            counted.store(0, Ordering::Relaxed);
        }
    }

    fn run(&self, ctx: &mut WorkerCtx) -> WorkerTally {
        let load = self.load.load(Ordering::Relaxed);
        if ctx.is_helper() {
            let count = match load {
                BARE => self.own_bare(ctx.workers()),
                OFFERED => self.own(ctx, true),
                _ => self.own(ctx, false),
            };
            self.owned.store(count, Ordering::Relaxed);
            return WorkerTally::default();
        }
        let ops = match load {
            OFFERED => self.send_offered(ctx),
            BARE => self.send_bare(ctx),
            _ => self.send_saturated(ctx),
        };
        let _ = self.tx.send(Msg::Done);
        WorkerTally {
            ops,
            ..Default::default()
        }
    }

    fn end_sample(&self, tallies: &[WorkerTally]) -> SampleCheck {
        check_exact(tallies, self.owned.load(Ordering::Relaxed))
    }

    fn load_modes(&self) -> LoadModes {
        LoadModes {
            sampled_stamps: false,
            bare: self.workers == 1,
            offered: true,
        }
    }

    fn set_load(&self, load: Load) -> bool {
        let kind = match load {
            Load::Saturated { .. } => SATURATED,
            Load::Offered { per_s, stamp_every } if per_s.is_finite() && per_s > 0.0 => {
                self.offered_per_s.store(per_s.to_bits(), Ordering::Relaxed);
                // `stamp_every` counts increments; a message carries `batch` of them.
                let messages = Load::stamp_interval(stamp_every / self.batch);
                self.stamp_every.store(messages, Ordering::Relaxed);
                OFFERED
            }
            Load::Bare if self.workers == 1 => BARE,
            Load::Offered { .. } | Load::Bare => return false,
        };
        self.load.store(kind, Ordering::Relaxed);
        true
    }
}

/// A worker's index as a message carries it.
fn worker_id(ctx: &WorkerCtx) -> u32 {
    u32::try_from(ctx.index()).expect("fewer than 2^32 workers")
}

/// A saturated or bare worker's side of the credit window.
struct Outbox {
    from: u32,
    /// Messages sent this sample.
    sent: u64,
    /// Messages it may send before it must read the owner's count again.
    limit: u64,
}

impl Outbox {
    fn new(ctx: &WorkerCtx) -> Self {
        Outbox {
            from: worker_id(ctx),
            sent: 0,
            limit: 0,
        }
    }
}

/// The owner's side of the credit window: messages counted per worker this sample, published to
/// the worker every [`CREDIT_RETURN`] of them.
struct Credit {
    counted: Vec<u64>,
}

impl Credit {
    fn new(workers: usize) -> Self {
        Credit {
            counted: vec![0; workers],
        }
    }

    /// The owner has counted one more message of worker `from`.
    #[inline]
    fn counted(&mut self, published: &[CachePadded<AtomicU64>], from: u32) {
        let from = from as usize;
        self.counted[from] += 1;
        if self.counted[from].is_multiple_of(CREDIT_RETURN) {
            published[from].store(self.counted[from], Ordering::Release);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    /// Waits up to 5 s for the mailbox to hold `n` messages and stay there for 50 ms.
    fn mailbox_settles_at(actor: &Actor, n: usize) -> bool {
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if actor.rx.len() == n {
                std::thread::sleep(Duration::from_millis(50));
                return actor.rx.len() == n;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        false
    }

    #[test]
    fn a_worker_keeps_at_most_its_window_uncounted_and_resumes_on_returned_credit() {
        const SENT: u64 = 200;
        let actor = Actor::new(&Params::default(), 1, 1);
        actor.begin_sample();
        let mut credit = Credit::new(1);
        let mut own = |messages: u64| {
            for _ in 0..messages {
                match actor.rx.recv_timeout(Duration::from_secs(5)) {
                    Ok(Msg::Add { from, .. }) => credit.counted(&actor.counted, from),
                    _ => panic!("no message within 5 s"),
                }
            }
        };
        let settled = std::thread::scope(|s| {
            s.spawn(|| {
                let mut out = Outbox {
                    from: 0,
                    sent: 0,
                    limit: 0,
                };
                for _ in 0..SENT {
                    actor.send_within_credit(&mut out, 1);
                }
            });
            // No owner yet: the worker stops after its window.
            let full = mailbox_settles_at(&actor, CREDIT_WINDOW as usize);
            // Counting fewer than a return's worth gives no credit back...
            own(CREDIT_RETURN - 1);
            let held = mailbox_settles_at(&actor, (CREDIT_WINDOW - CREDIT_RETURN + 1) as usize);
            // ...the return's last message gives back a return's worth at once.
            own(1);
            let refilled = mailbox_settles_at(&actor, CREDIT_WINDOW as usize);
            // Own the rest whatever was seen, so the worker finishes and the scope ends.
            own(SENT - CREDIT_RETURN);
            [full, held, refilled]
        });
        assert_eq!(settled, [true; 3]);
        assert!(actor.rx.is_empty());
    }
}
