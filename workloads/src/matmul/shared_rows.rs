//! `matmul/shared-rows`: threads write disjoint row blocks of one shared C.

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicU64, Ordering};

use super::schedule::Schedule;
use super::{Matrices, multiply_rows, proof};
use crate::{Params, SampleCheck, WorkerCtx, WorkerTally, Workload};

/// One shared C; work unit = a block of rows computed by [`multiply_rows`] straight into C.
pub struct SharedRows {
    m: Matrices,
    c: Box<[UnsafeCell<f64>]>,
    /// Per block: 1 + the product that last wrote it (proves the last product wrote every block).
    stamps: Box<[AtomicU64]>,
    pub(super) schedule: Schedule,
}

// SAFETY: C's cells are only written through `block_mut`, for the (product, block) ticket a
// thread drew from `schedule`: tickets are unique, so within a product blocks are written by
// one thread each and are disjoint row ranges; products never overlap in time (see
// `Schedule`'s Release/Acquire chain), and C is read only in begin/end_sample, when no thread
// runs. Everything else is immutable or atomic.
unsafe impl Sync for SharedRows {}

impl SharedRows {
    pub fn new(p: &Params, _threads: usize) -> Self {
        let m = Matrices::new(p);
        let blocks = m.blocks();
        SharedRows {
            c: (0..m.n * m.n).map(|_| UnsafeCell::new(f64::NAN)).collect(),
            stamps: (0..blocks).map(|_| AtomicU64::new(0)).collect(),
            schedule: Schedule::new(m.n, p.think_work),
            m,
        }
    }

    /// Rows of C of block `b`.
    ///
    /// # Safety
    /// No other reference to these rows may exist while the slice lives.
    #[allow(clippy::mut_from_ref)]
    unsafe fn block_mut(&self, b: usize) -> &mut [f64] {
        let rows = self.m.rows(b);
        let n = self.m.n;
        // SAFETY: `rows` lies within C (n x n); UnsafeCell<f64> has f64's layout, and the
        // caller guarantees exclusive access to these cells.
        unsafe {
            std::slice::from_raw_parts_mut(
                UnsafeCell::raw_get(self.c.as_ptr().add(rows.start * n)),
                rows.len() * n,
            )
        }
    }

    /// One full product C = A x B on the calling thread, block by block through the same kernel
    /// call the workers make (`&mut self`: exclusive, for single-thread benches).
    pub fn product_alone(&mut self) {
        for b in 0..self.m.blocks() {
            // SAFETY: `&mut self` excludes every other access to C.
            let c = unsafe { self.block_mut(b) };
            multiply_rows(self.m.n, self.m.a_rows(b), &self.m.b, c);
        }
    }

    fn c(&self) -> &[f64] {
        // SAFETY: only called from end_sample, when no thread writes C.
        unsafe { std::slice::from_raw_parts(UnsafeCell::raw_get(self.c.as_ptr()), self.c.len()) }
    }
}

impl Workload for SharedRows {
    fn begin_sample(&self) {
        // SAFETY: no thread runs between samples.
        unsafe { (0..self.m.blocks()).for_each(|b| self.block_mut(b).fill(f64::NAN)) };
        self.stamps
            .iter()
            .for_each(|s| s.store(0, Ordering::Relaxed));
        self.schedule.reset();
    }

    fn run(&self, ctx: &mut WorkerCtx) -> WorkerTally {
        self.schedule.run(
            ctx,
            |product, b| {
                // SAFETY: this thread drew the unique ticket (product, b); see `unsafe impl Sync`.
                let c = unsafe { self.block_mut(b) };
                multiply_rows(self.m.n, self.m.a_rows(b), &self.m.b, c);
                self.stamps[b].store(product + 1, Ordering::Release);
            },
            |_| {},
        )
    }

    fn end_sample(&self, tallies: &[WorkerTally]) -> SampleCheck {
        let last = self.schedule.last_product();
        let stamps: Vec<u64> = self
            .stamps
            .iter()
            .map(|s| s.load(Ordering::Acquire))
            .collect();
        proof(
            &self.m,
            self.c(),
            &stamps,
            last,
            tallies,
            self.schedule.units(),
        )
    }
}
