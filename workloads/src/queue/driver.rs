//! The producer/consumer driver shared by the correct queues: saturated or open-loop producers,
//! sampled or complete latency, end-of-sample sentinels and exactly-once tallies.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use std::sync::atomic::AtomicU8;

use super::Msg;
use super::channels::Channel;
use crate::open_loop::OpenLoop;
use crate::proof::check_delivery;
use crate::spin::Think;
use crate::{Load, LoadModes, Params, SampleCheck, WorkerCtx, WorkerTally, Workload};

/// Threads tell the watchdog they progress once per this many messages.
const TICK_EVERY: u64 = 64;

/// Which [`Load`] drives the next samples (`Queue::load`).
const SATURATED: u8 = 0;
const OFFERED: u8 = 1;
const BARE: u8 = 2;

/// A correct queue variant: `threads` split into producers and consumers (see
/// [`Params::queue_split`]); with one thread, that thread alternates a burst of sends and the
/// matching receives.
///
/// How producers send is the [`Load`] set by the runner ([`Workload::set_load`]) (and the bare
/// reference's windows run the crate's calls alone on the same threads):
/// - saturated (the default, every message stamped): as fast as the queue takes them, a full
///   queue holding them back. One message in `stamp_every` (a power of two) carries its send
///   time; the consumer records the sojourn of those only. At saturation that sojourn is mostly
///   the backlog of a full queue: throughput is this mode's figure.
/// - offered: each producer sends on a fixed schedule (its share of the rate) and stamps one
///   message in `stamp_every` with its intended send time; a producer behind schedule sends at
///   once, and the consumer's latency counts from the intended time (coordinated omission
///   corrected).
///
/// Think work (`--think-work`): a producer spends it once per message, before it stamps and
/// sends it, so it slows the send rate but is not part of a saturated message's sojourn. The
/// one-thread burst spends the whole burst's think work before the burst's first send.
///
/// End of sample: a producer stops at the window's close; the last one to stop enqueues one
/// sentinel per consumer. Queues are FIFO, so a consumer that dequeues a sentinel knows every
/// message was dequeued before it; consumers therefore drain what is still queued (at most
/// the capacity), which counts as received.
pub struct Queue<C: Channel> {
    chan: C,
    threads: usize,
    producers: usize,
    consumers: usize,
    burst: usize,
    payload_bytes: usize,
    pub(crate) think: Think,
    /// [`SATURATED`], [`OFFERED`] or [`BARE`].
    load: AtomicU8,
    /// Saturated: one message in this many is stamped (a power of two).
    stamp_every: AtomicU64,
    /// Open loop: the offered rate over all producers, messages/s (`f64` bits).
    offered_per_s: AtomicU64,
    /// Producers that have stopped sending in this sample.
    finished_producers: AtomicUsize,
}

impl<C: Channel> Queue<C> {
    pub fn new(p: &Params, threads: usize) -> Self {
        let (producers, consumers) = p.queue_split(threads);
        Queue {
            chan: C::with_capacity(p.capacity),
            threads,
            producers,
            consumers,
            burst: p.queue_window().min(p.capacity.max(1)),
            payload_bytes: p.payload_bytes,
            think: Think::new(p.think_work),
            load: AtomicU8::new(SATURATED),
            stamp_every: AtomicU64::new(1),
            offered_per_s: AtomicU64::new(0),
            finished_producers: AtomicUsize::new(0),
        }
    }

    /// One send: builds message `seq` of `producer` stamped `stamp_ns` ([`Msg::UNSTAMPED`] for
    /// none) and enqueues it. What consumers must read back is computed after the window from
    /// the count sent ([`Msg::checks_sent`]), so it costs the producer nothing here.
    #[inline]
    fn produce(&self, producer: usize, seq: u64, stamp_ns: u64) {
        self.chan
            .send(Msg::new(producer, seq, stamp_ns, self.payload_bytes));
    }

    /// One receipt: records a stamped message's latency (now - stamp, ns) and returns its check
    /// value, read from the message itself (every payload byte is read).
    #[inline]
    fn consume(&self, ctx: &mut WorkerCtx, msg: &Msg) -> u64 {
        if msg.sent_ns() != Msg::UNSTAMPED {
            ctx.record(ctx.now_ns().saturating_sub(msg.sent_ns()));
        }
        msg.received_check()
    }

    /// One stamped message through the queue on the calling thread: send, then receive and
    /// consume it; returns its check value (for single-thread benches; 0 if it did not arrive).
    pub fn send_and_receive_one(&self, ctx: &mut WorkerCtx, seq: u64) -> u64 {
        self.produce(0, seq, ctx.now_ns());
        match self.chan.try_recv() {
            Some(msg) => self.consume(ctx, &msg),
            None => 0,
        }
    }

    /// The mask that picks the stamped sequence numbers (`seq & mask == 0`).
    fn stamp_mask(&self) -> u64 {
        self.stamp_every.load(Ordering::Relaxed) - 1
    }

    /// Stamps one message in `n` from now on (a power of two, at most 2^20).
    fn set_stamp_every(&self, n: u64) {
        self.stamp_every
            .store(Load::stamp_interval(n), Ordering::Relaxed);
    }

    fn producer(&self, ctx: &WorkerCtx, p: usize) -> WorkerTally {
        let sent = match self.load.load(Ordering::Relaxed) {
            OFFERED => self.send_offered(ctx, p),
            BARE => self.send_bare(ctx, p),
            _ => self.send_saturated(ctx, p, self.stamp_mask()),
        };
        if self.finished_producers.fetch_add(1, Ordering::AcqRel) + 1 == self.producers {
            for _ in 0..self.consumers {
                self.chan.send(Msg::end());
            }
        }
        WorkerTally {
            ops: 0,
            items: sent,
            checksum: 0,
        }
    }

    /// Saturated: sends until the window closes; returns the messages sent.
    fn send_saturated(&self, ctx: &WorkerCtx, p: usize, mask: u64) -> u64 {
        let mut seq = 0u64;
        while ctx.running() {
            self.think.op();
            let stamp = if seq & mask == 0 {
                ctx.now_ns()
            } else {
                Msg::UNSTAMPED
            };
            self.produce(p, seq, stamp);
            seq += 1;
            if seq.is_multiple_of(TICK_EVERY) {
                ctx.tick(TICK_EVERY);
            }
        }
        seq
    }

    /// Bare: the crate's send and nothing else per message; returns the messages sent.
    fn send_bare(&self, ctx: &WorkerCtx, p: usize) -> u64 {
        let mut seq = 0u64;
        while ctx.running() {
            self.chan
                .send(Msg::new(p, seq, Msg::UNSTAMPED, self.payload_bytes));
            seq += 1;
        }
        seq
    }

    /// Open loop: message `seq` is due at `start + seq x interval` (this producer's share of the
    /// offered rate); the producer waits for that time, or sends at once when it is behind, and
    /// stamps one message in `stamp_every` with its due time.
    fn send_offered(&self, ctx: &WorkerCtx, p: usize) -> u64 {
        let per_s = f64::from_bits(self.offered_per_s.load(Ordering::Relaxed));
        let schedule = OpenLoop::start(ctx, per_s / self.producers as f64);
        let mask = self.stamp_mask();
        let mut seq = 0u64;
        while let Some(due) = schedule.wait_for(ctx, seq) {
            self.think.op();
            let stamp = if seq & mask == 0 { due } else { Msg::UNSTAMPED };
            self.produce(p, seq, stamp);
            seq += 1;
            if seq.is_multiple_of(TICK_EVERY) {
                ctx.tick(TICK_EVERY);
            }
        }
        seq
    }

    /// Receives until the end-of-sample sentinel and proves what it read. The bare reference's
    /// consumer (a lone one) reads each message's check value and nothing else: no clock, no
    /// progress ticks, so the two loops differ only by what the harness measures.
    fn consumer(&self, ctx: &mut WorkerCtx) -> WorkerTally {
        let (mut ops, mut sum) = (0u64, 0u64);
        if self.load.load(Ordering::Relaxed) == BARE {
            self.chan.receive_while(true, |msg| {
                if msg.is_end() {
                    return false;
                }
                sum = sum.wrapping_add(msg.received_check());
                ops += 1;
                true
            });
        } else {
            self.chan.receive_while(self.consumers == 1, |msg| {
                if msg.is_end() {
                    return false;
                }
                sum = sum.wrapping_add(self.consume(ctx, &msg));
                ops += 1;
                if ops.is_multiple_of(TICK_EVERY) {
                    ctx.tick(TICK_EVERY);
                }
                true
            });
        }
        WorkerTally {
            ops,
            items: 0,
            checksum: 0u64.wrapping_sub(sum),
        }
    }

    /// One thread: think for a burst of `min(--in-flight, capacity)` messages, enqueue them
    /// (stamping one in `stamp_every`), then dequeue them all.
    fn solo(&self, ctx: &mut WorkerCtx) -> WorkerTally {
        let (mut seq, mut received, mut received_sum) = (0u64, 0u64, 0u64);
        let burst_ops = u32::try_from(self.burst).unwrap_or(u32::MAX);
        let mask = self.stamp_mask();
        'window: while ctx.running() {
            self.think.ops(burst_ops);
            for _ in 0..self.burst {
                let stamp = if seq & mask == 0 {
                    ctx.now_ns()
                } else {
                    Msg::UNSTAMPED
                };
                self.produce(0, seq, stamp);
                seq += 1;
            }
            for _ in 0..self.burst {
                let Some(msg) = self.chan.try_recv() else {
                    break 'window;
                };
                received_sum = received_sum.wrapping_add(self.consume(ctx, &msg));
                received += 1;
            }
            ctx.tick(burst_ops.into());
        }
        WorkerTally {
            ops: received,
            items: seq,
            checksum: 0u64.wrapping_sub(received_sum),
        }
    }
}

impl<C: Channel> Workload for Queue<C> {
    fn begin_sample(&self) {
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

    /// Proves delivery (the bare reference's too): as many received as sent, and the check
    /// values consumers read sum to those of the messages sent.
    fn end_sample(&self, tallies: &[WorkerTally]) -> SampleCheck {
        let senders = if self.threads < 2 { 1 } else { self.producers };
        let mut tallies = tallies.to_vec();
        for (p, t) in tallies.iter_mut().enumerate().take(senders) {
            let sent = Msg::checks_sent(p, t.items, self.payload_bytes);
            t.checksum = t.checksum.wrapping_add(sent);
        }
        check_delivery(&tallies, "messages")
    }

    fn load_modes(&self) -> LoadModes {
        LoadModes {
            sampled_stamps: true,
            bare: self.producers == 1 && self.consumers == 1 && self.threads == 2,
            offered: self.threads >= 2,
        }
    }

    fn set_load(&self, load: Load) -> bool {
        let pair = self.threads >= 2;
        let kind = match load {
            Load::Saturated { stamp_every } => {
                self.set_stamp_every(stamp_every);
                SATURATED
            }
            Load::Offered { per_s, stamp_every } if pair && per_s.is_finite() && per_s > 0.0 => {
                self.offered_per_s.store(per_s.to_bits(), Ordering::Relaxed);
                self.set_stamp_every(stamp_every);
                OFFERED
            }
            Load::Bare if pair => BARE,
            Load::Offered { .. } | Load::Bare => return false,
        };
        self.load.store(kind, Ordering::Relaxed);
        true
    }
}
