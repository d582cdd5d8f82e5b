//! `queue/racy-ring`: a single-producer/single-consumer ring whose index handoff is a real
//! publication race, so the race detector has a true positive and the damage is countable.

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crossbeam_utils::{Backoff, CachePadded};

use super::{Msg, SEQ_BITS};
use crate::proof::mix64;
use crate::spin::Think;
use crate::{Outcome, Params, SampleCheck, WorkerCtx, WorkerTally, Workload};

/// Tag of a slot nobody has written in this sample (never a valid message tag).
const EMPTY: u64 = u64::MAX;
/// After the window closes, a consumer waits at most this long (ns) for its producer's last
/// messages before it gives up and leaves them counted as lost: the race must never hang us.
const GIVE_UP_NS: u64 = 200_000_000;

/// One SPSC ring: `slots[i % len]` holds `[tag, send time ns]`.
struct Ring {
    slots: Box<[UnsafeCell<[u64; 2]>]>,
    /// Next slot the producer fills; written by the producer only, read by the consumer.
    tail: CachePadded<UnsafeCell<u64>>,
    /// Next slot the consumer reads; written by the consumer only, read by the producer.
    head: CachePadded<UnsafeCell<u64>>,
    /// The producer has stopped for this sample (a correct Release/Acquire flag, so shutdown is clean).
    done: AtomicBool,
}

// SAFETY: it is NOT safe: `tail`, `head` and the slots are read and written by two threads
// without synchronization (data races, which ThreadSanitizer reports), and the consumer even
// reads a slot before it checks that the slot is published. That is what this variant exists to demonstrate.
// Every racy value is a plain `u64` (no pointers, no drop glue), so torn or stale reads only
// produce wrong numbers, which the consumer classifies as damage. Opt-in only.
unsafe impl Sync for Ring {}

impl Ring {
    fn new(len: usize) -> Self {
        Ring {
            slots: (0..len.max(1))
                .map(|_| UnsafeCell::new([EMPTY, 0]))
                .collect(),
            tail: CachePadded::new(UnsafeCell::new(0)),
            head: CachePadded::new(UnsafeCell::new(0)),
            done: AtomicBool::new(false),
        }
    }

    fn reset(&self) {
        for s in self.slots.iter() {
            // SAFETY: called from begin_sample, when no thread of the case runs.
            unsafe { *s.get() = [EMPTY, 0] };
        }
        // SAFETY: as above.
        unsafe {
            *self.tail.get() = 0;
            *self.head.get() = 0;
        }
        self.done.store(false, Ordering::Relaxed);
    }

    fn len(&self) -> u64 {
        self.slots.len() as u64
    }

    /// Racy read of the other side's index (volatile: one real load per call).
    fn tail(&self) -> u64 {
        // SAFETY: deliberately racy (see `unsafe impl Sync`); a plain u64 load.
        unsafe { self.tail.get().read_volatile() }
    }

    fn head(&self) -> u64 {
        // SAFETY: deliberately racy; a plain u64 load.
        unsafe { self.head.get().read_volatile() }
    }

    /// Fills slot `t`, then publishes `tail = t + 1`: program order is right, but both are plain
    /// stores, so nothing orders them for the other thread.
    fn push(&self, t: u64, tag: u64, sent_ns: u64) {
        // SAFETY: deliberately racy plain stores of u64 values (see `unsafe impl Sync`); the
        // slot index is in bounds (`t % len`).
        unsafe {
            self.slots[(t % self.len()) as usize]
                .get()
                .write_volatile([tag, sent_ns]);
            self.tail.get().write_volatile(t + 1);
        }
    }

    /// Reads slot `h` without knowing whether it is published yet: the consumer's half of the
    /// bug (see [`RacyRing`]).
    fn peek(&self, h: u64) -> [u64; 2] {
        // SAFETY: deliberately racy plain load of u64 values; index in bounds.
        unsafe { self.slots[(h % self.len()) as usize].get().read_volatile() }
    }

    /// Releases slot `h` to the producer (`head = h + 1`).
    fn release(&self, h: u64) {
        // SAFETY: deliberately racy plain store of a u64.
        unsafe { self.head.get().write_volatile(h + 1) }
    }
}
/// What a consumer saw, checked against the strict FIFO order of its single producer.
#[derive(Default)]
struct Receipts {
    /// Messages received in order (or after a gap): delivered.
    ok: u64,
    sum: u64,
    /// Stale slots: a message already received (or from an earlier lap) read again.
    duplicates: u64,
    /// Slots holding no message of this ring's producer (never written, or torn).
    corrupt: u64,
    expected: u64,
}

impl Receipts {
    fn accept(
        &mut self,
        ctx: &mut WorkerCtx,
        producer: u64,
        [tag, sent_ns]: [u64; 2],
        now_ns: u64,
    ) {
        if tag == EMPTY || tag >> SEQ_BITS != producer {
            self.corrupt += 1;
            return;
        }
        let seq = tag & ((1 << SEQ_BITS) - 1);
        if seq < self.expected {
            self.duplicates += 1;
            return;
        }
        // seq > expected means messages were skipped: they show as lost (sent - ok).
        self.expected = seq + 1;
        self.ok += 1;
        self.sum = self.sum.wrapping_add(mix64(tag));
        ctx.record(now_ns.saturating_sub(sent_ns));
    }
}

/// The race: indexes and slots are plain (volatile) loads and stores, as if every atomic were
/// `Relaxed`, and the consumer reads slot `head` (and stamps its receipt) *before* it loads
/// `tail` to see whether that slot is published, the load-load reordering Relaxed loads permit (and weakly ordered CPUs
/// and compilers perform). x86 never reorders loads in hardware, and a missing fence alone
/// stays invisible there, so the code makes the reordering explicit: a consumer that catches
/// up with its producer reads a stale slot (a duplicate from the previous lap, or an
/// unwritten one), accepts it, and skips the real message (lost).
///
/// `queue/racy-ring`: `threads / 2` producer/consumer pairs (even thread = producer of pair
/// `index / 2`, odd = its consumer; an odd thread out idles), each with its own racy ring of
/// `min(in-flight window, capacity)` slots. With one thread, that thread alternates a burst of
/// pushes and pops on one ring (no race possible). Producers think (`--think-work`) as in the
/// correct queues: once per message before stamping it, or for the whole burst before it.
pub struct RacyRing {
    rings: Box<[Ring]>,
    threads: usize,
    burst: u64,
    pub(crate) think: Think,
    duplicates: AtomicU64,
    corrupt: AtomicU64,
}

impl RacyRing {
    pub fn new(p: &Params, threads: usize) -> Self {
        let len = p.queue_window().min(p.capacity.max(1));
        RacyRing {
            rings: (0..(threads / 2).max(1)).map(|_| Ring::new(len)).collect(),
            threads,
            burst: len as u64,
            think: Think::new(p.think_work),
            duplicates: AtomicU64::new(0),
            corrupt: AtomicU64::new(0),
        }
    }

    fn tag(producer: usize, seq: u64) -> u64 {
        Msg::new(producer, seq, 0, 0).tag()
    }

    fn producer(&self, ctx: &WorkerCtx, r: usize) -> WorkerTally {
        let ring = &self.rings[r];
        let (mut seq, mut sum) = (0u64, 0u64);
        let backoff = Backoff::new();
        'window: while ctx.running() {
            while seq.saturating_sub(ring.head()) >= ring.len() {
                if !ctx.running() {
                    break 'window;
                }
                backoff.snooze();
            }
            backoff.reset();
            self.think.op();
            let tag = Self::tag(r, seq);
            ring.push(seq, tag, ctx.now_ns());
            sum = sum.wrapping_add(mix64(tag));
            seq += 1;
            if seq % 64 == 0 {
                ctx.tick(64);
            }
        }
        ring.done.store(true, Ordering::Release);
        WorkerTally {
            ops: 0,
            items: seq,
            checksum: sum,
        }
    }

    fn consumer(&self, ctx: &mut WorkerCtx, r: usize) -> WorkerTally {
        let ring = &self.rings[r];
        let mut seen = Receipts::default();
        let (mut h, mut stop_seen_ns) = (0u64, None);
        let backoff = Backoff::new();
        loop {
            let slot = ring.peek(h);
            // Stamping the receipt here (a clock read, ~25 ns) widens the window in which the
            // producer can publish slot `h` between our read of it and our check of `tail`.
            let now = ctx.now_ns();
            if h < ring.tail() {
                backoff.reset();
                ring.release(h);
                h += 1;
                seen.accept(ctx, r as u64, slot, now);
                continue;
            }
            if ring.done.load(Ordering::Acquire) && ring.tail() <= h {
                break;
            }
            if !ctx.running() {
                let now = ctx.now_ns();
                if now - *stop_seen_ns.get_or_insert(now) > GIVE_UP_NS {
                    break;
                }
            }
            backoff.snooze();
        }
        self.record_damage(&seen);
        WorkerTally {
            ops: seen.ok,
            items: 0,
            checksum: 0u64.wrapping_sub(seen.sum),
        }
    }

    fn solo(&self, ctx: &mut WorkerCtx) -> WorkerTally {
        let ring = &self.rings[0];
        let (mut seq, mut sum, mut seen) = (0u64, 0u64, Receipts::default());
        let burst_ops = u32::try_from(self.burst).unwrap_or(u32::MAX);
        while ctx.running() {
            self.think.ops(burst_ops);
            for _ in 0..self.burst {
                let tag = Self::tag(0, seq);
                ring.push(seq, tag, ctx.now_ns());
                sum = sum.wrapping_add(mix64(tag));
                seq += 1;
            }
            for h in seq - self.burst..seq {
                let slot = ring.peek(h);
                ring.release(h);
                seen.accept(ctx, 0, slot, ctx.now_ns());
            }
        }
        self.record_damage(&seen);
        WorkerTally {
            ops: seen.ok,
            items: seq,
            checksum: sum.wrapping_sub(seen.sum),
        }
    }

    fn record_damage(&self, seen: &Receipts) {
        self.duplicates
            .fetch_add(seen.duplicates, Ordering::Relaxed);
        self.corrupt.fetch_add(seen.corrupt, Ordering::Relaxed);
    }
}

impl Workload for RacyRing {
    fn begin_sample(&self) {
        self.rings.iter().for_each(Ring::reset);
        self.duplicates.store(0, Ordering::Relaxed);
        self.corrupt.store(0, Ordering::Relaxed);
    }

    fn run(&self, ctx: &mut WorkerCtx) -> WorkerTally {
        let i = ctx.index();
        if self.threads < 2 {
            return if i == 0 {
                self.solo(ctx)
            } else {
                WorkerTally::default()
            };
        }
        match (i / 2, i % 2) {
            (r, 0) if r < self.rings.len() => self.producer(ctx, r),
            (r, _) if r < self.rings.len() => self.consumer(ctx, r),
            _ => WorkerTally::default(),
        }
    }

    fn end_sample(&self, tallies: &[WorkerTally]) -> SampleCheck {
        let sent: u64 = tallies.iter().map(|t| t.items).sum();
        let delivered: u64 = tallies.iter().map(|t| t.ops).sum();
        let residue = tallies.iter().fold(0u64, |s, t| s.wrapping_add(t.checksum));
        let lost = sent.saturating_sub(delivered);
        let duplicates = self.duplicates.load(Ordering::Relaxed);
        let corrupt = self.corrupt.load(Ordering::Relaxed);
        let outcome = if lost == 0 && duplicates == 0 && corrupt == 0 && residue == 0 {
            Outcome::RaceUnobserved
        } else {
            Outcome::RaceDamage {
                damage: lost + duplicates + corrupt,
                detail: format!(
                    "{lost} of {sent} messages lost, {duplicates} stale duplicates, {corrupt} corrupt slots read{}",
                    if residue != 0 && lost == 0 {
                        " (checksum mismatch)"
                    } else {
                        ""
                    }
                ),
            }
        };
        SampleCheck {
            ops: delivered,
            outcome,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;
    use std::time::Instant;

    #[test]
    fn stale_and_unpublished_slots_are_classified_as_damage() {
        let (stop, progress) = (AtomicBool::new(false), AtomicU64::new(0));
        let mut ctx = WorkerCtx::new(1, 2, &stop, &progress, Instant::now(), 1);
        let tag = |producer: u64, seq: u64| (producer << SEQ_BITS) | seq;
        let mut r = Receipts::default();
        r.accept(&mut ctx, 0, [tag(0, 0), 0], 10);
        r.accept(&mut ctx, 0, [tag(0, 0), 0], 10); // read again: a stale slot
        r.accept(&mut ctx, 0, [EMPTY, 0], 10); // never published
        r.accept(&mut ctx, 0, [tag(1, 5), 0], 10); // another ring's message: torn
        r.accept(&mut ctx, 0, [tag(0, 2), 0], 10); // seq 1 skipped: lost
        assert_eq!((r.ok, r.duplicates, r.corrupt, r.expected), (2, 1, 2, 3));
    }
}
