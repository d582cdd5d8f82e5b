//! Uncontended atomics on one thread: load, store, compare_exchange and fetch_add on a
//! `AtomicU64` no other thread touches (the line stays in this core's cache).

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// Operations per timed batch.
pub const OPS: u64 = 10_000;
/// Timed batches (after [`WARMUP_BATCHES`] untimed).
pub const BATCHES: u32 = 25;
const WARMUP_BATCHES: u32 = 2;

/// The operations, as (cost name, label, method).
pub const OPERATIONS: [(&str, &str, &str); 4] = [
    (
        "atomic_load",
        "atomic load (Acquire)",
        "AtomicU64::load(Acquire) of a value no other thread writes",
    ),
    (
        "atomic_store",
        "atomic store (Release)",
        "AtomicU64::store(i, Release) of the loop counter",
    ),
    (
        "atomic_cas",
        "atomic compare_exchange (AcqRel)",
        "AtomicU64::compare_exchange(i, i + 1, AcqRel, Acquire), always expected to succeed",
    ),
    (
        "atomic_fetch_add",
        "atomic fetch_add (AcqRel)",
        "AtomicU64::fetch_add(1, AcqRel)",
    ),
];

/// What every atomic's method adds to its own line.
pub const METHOD_TAIL: &str = "on one pinned thread, 10 000 per batch in a loop (its increment \
    and compare included), ns per op = batch time / ops, 25 batches after 2 untimed; median and \
    spread over batches; validated: the final value (or the loads' sum) is what the operations \
    must have left, and every compare_exchange succeeded";

/// Runs `batch` (given its index, warm-ups first) `WARMUP_BATCHES + batches` times; ns per op
/// of each timed batch of `ops` operations.
pub fn timed_batches(batches: u32, ops: u64, mut batch: impl FnMut(u64)) -> Vec<f64> {
    let mut per_op = Vec::with_capacity(batches as usize);
    for i in 0..u64::from(WARMUP_BATCHES + batches) {
        let t0 = Instant::now();
        batch(i);
        let dt = t0.elapsed().as_nanos() as f64 / ops as f64;
        if i >= u64::from(WARMUP_BATCHES) {
            per_op.push(dt);
        }
    }
    per_op
}

/// ns per operation of `OPERATIONS[which]`, one figure per batch, on a thread pinned to `cpu`.
pub fn measure(cpu: usize, which: usize) -> Result<Vec<f64>, String> {
    super::pinned::on_cpu(cpu, move || {
        let cell = AtomicU64::new(0);
        let a = black_box(&cell);
        let total = u64::from(WARMUP_BATCHES + BATCHES) * OPS;
        let (per_op, expected, got) = match which {
            0 => {
                a.store(7, Ordering::Relaxed);
                let mut sum = 0u64;
                let t = timed_batches(BATCHES, OPS, |_| {
                    for _ in 0..OPS {
                        sum = sum.wrapping_add(a.load(Ordering::Acquire));
                    }
                });
                (t, 7 * total, black_box(sum))
            }
            1 => {
                let t = timed_batches(BATCHES, OPS, |b| {
                    for i in b * OPS..(b + 1) * OPS {
                        a.store(i + 1, Ordering::Release);
                    }
                });
                (t, total, a.load(Ordering::Acquire))
            }
            2 => {
                let mut failed = 0u64;
                let t = timed_batches(BATCHES, OPS, |b| {
                    for i in b * OPS..(b + 1) * OPS {
                        let r = a.compare_exchange(i, i + 1, Ordering::AcqRel, Ordering::Acquire);
                        failed += u64::from(r.is_err());
                    }
                });
                if failed > 0 {
                    return Err(format!("{failed} compare_exchange(s) failed uncontended"));
                }
                (t, total, a.load(Ordering::Acquire))
            }
            _ => {
                let t = timed_batches(BATCHES, OPS, |_| {
                    for _ in 0..OPS {
                        a.fetch_add(1, Ordering::AcqRel);
                    }
                });
                (t, total, a.load(Ordering::Acquire))
            }
        };
        if got != expected {
            return Err(format!(
                "{}: the operations left {got}, expected {expected}",
                OPERATIONS[which].0
            ));
        }
        Ok(per_op)
    })
}
