//! The producer/consumer driver shared by the correct queues: a closed-loop credit window per
//! producer, sojourn latency, end-of-sample sentinels and exactly-once tallies.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use crossbeam_utils::{Backoff, CachePadded};

use super::Msg;
use super::channels::Channel;
use crate::proof::check_delivery;
use crate::spin::Think;
use crate::{Params, SampleCheck, WorkerCtx, WorkerTally, Workload};

/// Producers tell the watchdog they progress once per this many messages.
const TICK_EVERY: u64 = 64;
/// Consumers return credits to producers at least once per this many messages (and always
/// before they wait for an empty queue), so one shared-line write serves many messages.
const MAX_FLUSH_EVERY: u64 = 32;

/// A correct queue variant: `threads` split into producers and consumers (see
/// [`Params::queue_split`]); with one thread, that thread alternates a burst of sends and the
/// matching receives.
///
/// Closed loop: a producer sends only while fewer than `window` of its messages are unreceived,
/// so latency is the queue's sojourn time at a bounded occupancy (at most producers x window
/// messages), not the backlog of a saturated queue. The credit wait spins, then yields
/// (crossbeam `Backoff`), identically for every variant.
///
/// Think work (`--think-work`): a producer spends it once per message, after its credit wait and
/// before it stamps and sends the message, so it slows the send rate but is not part of any
/// message's sojourn. The one-thread burst spends the whole burst's think work before the
/// burst's first send, for the same reason.
///
/// End of sample: a producer stops at the window's close; the last one to stop enqueues one
/// sentinel per consumer. Queues are FIFO, so a consumer that dequeues a sentinel knows every
/// message was dequeued before it; consumers therefore drain the (at most producers x window)
/// messages still in flight, which count as received.
pub struct Queue<C: Channel> {
    chan: C,
    threads: usize,
    producers: usize,
    consumers: usize,
    window: u64,
    burst: usize,
    flush_every: u64,
    payload_bytes: usize,
    pub(crate) think: Think,
    /// Per producer: how many of its messages consumers have received (returned credits).
    credits: Box<[CachePadded<AtomicU64>]>,
    /// Producers that have stopped sending in this sample.
    finished_producers: AtomicUsize,
}

impl<C: Channel> Queue<C> {
    pub fn new(p: &Params, threads: usize) -> Self {
        let (producers, consumers) = p.queue_split(threads);
        let window = p.queue_window() as u64;
        Queue {
            chan: C::with_capacity(p.capacity),
            threads,
            producers,
            consumers,
            window,
            burst: p.queue_window().min(p.capacity.max(1)),
            flush_every: (window / 2).clamp(1, MAX_FLUSH_EVERY),
            payload_bytes: p.payload_bytes,
            think: Think::new(p.think_work),
            credits: (0..producers)
                .map(|_| CachePadded::new(AtomicU64::new(0)))
                .collect(),
            finished_producers: AtomicUsize::new(0),
        }
    }

    /// One send: builds message `seq` of `producer` stamped with the shared clock, enqueues it,
    /// and returns its check value (see [`Msg::check`]).
    #[inline]
    pub fn produce(&self, ctx: &WorkerCtx, producer: usize, seq: u64) -> u64 {
        let msg = Msg::new(producer, seq, ctx.now_ns(), self.payload_bytes);
        let check = Msg::check(msg.tag(), self.payload_bytes);
        self.chan.send(msg);
        check
    }

    /// Dequeues a message if one is ready.
    #[inline]
    pub fn try_recv(&self) -> Option<Msg> {
        self.chan.try_recv()
    }

    /// One receipt: records the message's sojourn (now - send stamp, ns) and returns its check
    /// value, read from the message itself (every payload byte is read).
    #[inline]
    pub fn consume(&self, ctx: &mut WorkerCtx, msg: &Msg) -> u64 {
        ctx.record(ctx.now_ns().saturating_sub(msg.sent_ns()));
        msg.received_check()
    }

    fn producer(&self, ctx: &WorkerCtx, p: usize) -> WorkerTally {
        let credit = &self.credits[p];
        let (mut seq, mut sum) = (0u64, 0u64);
        let backoff = Backoff::new();
        'window: while ctx.running() {
            while seq - credit.load(Ordering::Acquire) >= self.window {
                if !ctx.running() {
                    break 'window;
                }
                backoff.snooze();
            }
            backoff.reset();
            self.think.op();
            sum = sum.wrapping_add(self.produce(ctx, p, seq));
            seq += 1;
            if seq % TICK_EVERY == 0 {
                ctx.tick(TICK_EVERY);
            }
        }
        if self.finished_producers.fetch_add(1, Ordering::AcqRel) + 1 == self.producers {
            for _ in 0..self.consumers {
                self.chan.send(Msg::end());
            }
        }
        WorkerTally {
            ops: 0,
            items: seq,
            checksum: sum,
        }
    }

    fn consumer(&self, ctx: &mut WorkerCtx) -> WorkerTally {
        let mut owed = vec![0u64; self.producers];
        let mut owed_total = 0u64;
        let flush = |owed: &mut [u64], total: &mut u64| {
            for (credit, n) in self.credits.iter().zip(owed.iter_mut()) {
                if *n > 0 {
                    credit.fetch_add(std::mem::take(n), Ordering::Release);
                }
            }
            *total = 0;
        };
        let (mut ops, mut sum) = (0u64, 0u64);
        loop {
            let msg = match self.chan.try_recv() {
                Some(msg) => msg,
                None => {
                    // Return credits before waiting, or a producer could wait on us forever.
                    flush(&mut owed, &mut owed_total);
                    self.chan.recv()
                }
            };
            if msg.is_end() {
                break;
            }
            sum = sum.wrapping_add(self.consume(ctx, &msg));
            ops += 1;
            if let Some(n) = owed.get_mut(msg.producer()) {
                *n += 1;
                owed_total += 1;
            }
            if owed_total >= self.flush_every {
                flush(&mut owed, &mut owed_total);
            }
        }
        flush(&mut owed, &mut owed_total);
        WorkerTally {
            ops,
            items: 0,
            checksum: 0u64.wrapping_sub(sum),
        }
    }

    /// One thread: think for a burst of `min(window, capacity)` messages, enqueue them, then
    /// dequeue them all.
    fn solo(&self, ctx: &mut WorkerCtx) -> WorkerTally {
        let (mut seq, mut sent_sum, mut received, mut received_sum) = (0u64, 0u64, 0u64, 0u64);
        let burst_ops = u32::try_from(self.burst).unwrap_or(u32::MAX);
        'window: while ctx.running() {
            self.think.ops(burst_ops);
            for _ in 0..self.burst {
                sent_sum = sent_sum.wrapping_add(self.produce(ctx, 0, seq));
                seq += 1;
            }
            for _ in 0..self.burst {
                let Some(msg) = self.chan.try_recv() else {
                    break 'window;
                };
                received_sum = received_sum.wrapping_add(self.consume(ctx, &msg));
                received += 1;
            }
        }
        WorkerTally {
            ops: received,
            items: seq,
            checksum: sent_sum.wrapping_sub(received_sum),
        }
    }
}

impl<C: Channel> Workload for Queue<C> {
    fn begin_sample(&self) {
        self.credits
            .iter()
            .for_each(|c| c.store(0, Ordering::Relaxed));
        self.finished_producers.store(0, Ordering::Relaxed);
        while self.chan.try_recv().is_some() {} // empty after a correct sample; defensive
    }

    fn run(&self, ctx: &mut WorkerCtx) -> WorkerTally {
        let i = ctx.index();
        if self.threads < 2 {
            if i == 0 {
                self.solo(ctx)
            } else {
                WorkerTally::default()
            }
        } else if i < self.producers {
            self.producer(ctx, i)
        } else if i < self.producers + self.consumers {
            self.consumer(ctx)
        } else {
            WorkerTally::default()
        }
    }

    fn end_sample(&self, tallies: &[WorkerTally]) -> SampleCheck {
        check_delivery(tallies, "messages")
    }
}
