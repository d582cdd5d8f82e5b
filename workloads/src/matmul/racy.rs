//! `matmul/racy-overlap`: every work unit read-modify-writes all of C through a shared raw
//! pointer (a k-slice accumulated without a reduction), so concurrent units lose updates.

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicU64, Ordering};

use super::schedule::Schedule;
use super::{BLOCK, Matrices, wrong_cells};
use crate::{Outcome, Params, SampleCheck, WorkerCtx, WorkerTally, Workload};

/// Work unit = a slice of `BLOCK` columns of A (rows of B): C += A[:, k0..k1] x B[k0..k1, :],
/// computed with `matrixmultiply::dgemm` into a private buffer, then added to the whole of C
/// cell by cell. The units' output blocks all
/// overlap (each is all of C), and nothing serializes their read-modify-writes, so two threads
/// updating the same tile at once lose one update. After every product the thread that
/// completes it counts the wrong cells (inside the window: ~2 n^2 ops, small next to 2 n^3)
/// and zeroes C for the next product.
pub struct RacyOverlap {
    m: Matrices,
    c: Box<[UnsafeCell<f64>]>,
    pub(super) schedule: Schedule,
    wrong: AtomicU64,
    bad_products: AtomicU64,
}

// SAFETY: it is NOT safe: concurrent units read and write the same cells of C through raw
// pointers without synchronization (a data race, reported by ThreadSanitizer, losing updates).
// C holds plain f64s, so the damage is wrong numbers, which are counted. `product_done` and
// begin/end_sample do have C to themselves (see `Schedule`). Opt-in only.
unsafe impl Sync for RacyOverlap {}

impl RacyOverlap {
    pub fn new(p: &Params, _threads: usize) -> Self {
        let m = Matrices::new(p);
        RacyOverlap {
            c: (0..m.n * m.n).map(|_| UnsafeCell::new(0.0)).collect(),
            schedule: Schedule::new(
                (0..m.n.div_ceil(BLOCK))
                    // At most BLOCK (64) rows of B per slice: fits.
                    .map(|s| BLOCK.min(m.n - s * BLOCK) as u32)
                    .collect(),
                p.think_work,
            ),
            m,
            wrong: AtomicU64::new(0),
            bad_products: AtomicU64::new(0),
        }
    }

    fn c_ptr(&self) -> *mut f64 {
        UnsafeCell::raw_get(self.c.as_ptr())
    }

    fn accumulate_slice(&self, s: usize) {
        thread_local! {
            /// This thread's partial product of one k-slice (n x n), reused across units.
            static PARTIAL: std::cell::RefCell<Vec<f64>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        let n = self.m.n;
        let k0 = s * BLOCK;
        let k = BLOCK.min(n - k0);
        PARTIAL.with_borrow_mut(|partial| {
            partial.clear();
            partial.resize(n * n, 0.0);
            // SAFETY: A's columns k0..k0+k (row stride n) and B's rows k0..k0+k are in bounds of
            // the n x n matrices; `partial` is this thread's own n x n buffer.
            unsafe {
                matrixmultiply::dgemm(
                    n,
                    k,
                    n,
                    1.0,
                    self.m.a.as_ptr().add(k0),
                    n as isize,
                    1,
                    self.m.b.as_ptr().add(k0 * n),
                    n as isize,
                    1,
                    0.0,
                    partial.as_mut_ptr(),
                    n as isize,
                    1,
                );
            }
            // The deliberate race: C += partial, one scalar read-modify-write per cell, with no
            // synchronization against other units doing the same. Volatile keeps each cell an
            // 8-byte load and store (no wide SIMD stores, which ThreadSanitizer does not track).
            let c = self.c_ptr();
            for (i, p) in partial.iter().enumerate() {
                // SAFETY: i < n * n = C's length; concurrent access is the deliberate data race
                // (see `unsafe impl Sync`): plain f64s, no memory unsafety beyond the race itself.
                unsafe {
                    let cell = c.add(i);
                    cell.write_volatile(cell.read_volatile() + p);
                }
            }
        });
    }

    /// Counts C's wrong cells and zeroes C. Caller must have C to itself.
    fn check_and_clear(&self) {
        // SAFETY: the caller has exclusive access to C (product_done or begin_sample).
        let c = unsafe { std::slice::from_raw_parts_mut(self.c_ptr(), self.c.len()) };
        let wrong = wrong_cells(&self.m, c) as u64;
        if wrong > 0 {
            self.wrong.fetch_add(wrong, Ordering::Relaxed);
            self.bad_products.fetch_add(1, Ordering::Relaxed);
        }
        c.fill(0.0);
    }
}

impl Workload for RacyOverlap {
    fn begin_sample(&self) {
        // SAFETY: no thread runs between samples.
        unsafe { std::slice::from_raw_parts_mut(self.c_ptr(), self.c.len()).fill(0.0) };
        self.schedule.reset();
        self.wrong.store(0, Ordering::Relaxed);
        self.bad_products.store(0, Ordering::Relaxed);
    }

    fn run(&self, ctx: &mut WorkerCtx) -> WorkerTally {
        self.schedule.run(
            ctx,
            |_, s| self.accumulate_slice(s),
            |_| self.check_and_clear(),
        )
    }

    fn end_sample(&self, tallies: &[WorkerTally]) -> SampleCheck {
        let products = self.schedule.last_product() + 1;
        let wrong = self.wrong.load(Ordering::Relaxed);
        let outcome = if wrong == 0 {
            Outcome::RaceUnobserved
        } else {
            Outcome::RaceDamage {
                damage: wrong,
                detail: format!(
                    "{wrong} wrong cells in {} of {products} products (lost read-modify-write updates)",
                    self.bad_products.load(Ordering::Relaxed)
                ),
            }
        };
        SampleCheck {
            ops: tallies.iter().map(|t| t.ops).sum(),
            outcome,
        }
    }
}
