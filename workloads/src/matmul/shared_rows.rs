//! `matmul/shared-rows`: threads write disjoint tiles of one shared C.

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicU64, Ordering};

use super::schedule::Schedule;
use super::{Matrices, Tiling, multiply_tile_raw, proof};
use crate::{Params, SampleCheck, WorkerCtx, WorkerTally, Workload};

/// One shared C; work unit = a tile computed by [`multiply_tile_raw`] straight into C. (The name
/// is from when units were row blocks; at low thread counts they still are full-width blocks.)
pub struct SharedRows {
    m: Matrices,
    tiling: Tiling,
    c: Box<[UnsafeCell<f64>]>,
    /// Per tile: 1 + the product that last wrote it (proves the last product wrote every tile).
    stamps: Box<[AtomicU64]>,
    pub(super) schedule: Schedule,
}

// SAFETY: C's cells are only written through `write_tile`, for the (product, tile) ticket a
// thread drew from `schedule`: tickets are unique, so within a product tiles are written by one
// thread each and are disjoint rectangles; products never overlap in time (see `Schedule`'s
// Release/Acquire chain), and C is read only in begin/end_sample, when no thread runs.
// Everything else is immutable or atomic.
unsafe impl Sync for SharedRows {}

impl SharedRows {
    pub fn new(p: &Params, threads: usize) -> Self {
        let m = Matrices::new(p);
        let tiling = Tiling::for_threads(m.n, threads);
        SharedRows {
            c: (0..m.n * m.n).map(|_| UnsafeCell::new(f64::NAN)).collect(),
            stamps: (0..tiling.count()).map(|_| AtomicU64::new(0)).collect(),
            schedule: Schedule::new(
                (0..tiling.count()).map(|t| tiling.think_rows(t)).collect(),
                p.think_work,
            ),
            tiling,
            m,
        }
    }

    /// Computes tile `t` into C.
    ///
    /// # Safety
    /// No other thread may access tile `t`'s cells meanwhile.
    unsafe fn write_tile(&self, t: usize) {
        let (rows, cols) = (self.tiling.rows(t), self.tiling.cols(t));
        // SAFETY: the tile's corner lies inside C (n x n), every cell the kernel writes at row
        // stride n stays inside C, UnsafeCell<f64> has f64's layout, and the caller guarantees
        // exclusive access to the tile.
        unsafe {
            let corner =
                UnsafeCell::raw_get(self.c.as_ptr().add(rows.start * self.m.n + cols.start));
            multiply_tile_raw(&self.m, &self.tiling, t, corner, self.m.n);
        }
    }

    /// One full product C = A x B on the calling thread, tile by tile through the same kernel
    /// call the workers make (`&mut self`: exclusive, for single-thread benches).
    pub fn product_alone(&mut self) {
        for t in 0..self.tiling.count() {
            // SAFETY: `&mut self` excludes every other access to C.
            unsafe { self.write_tile(t) };
        }
    }

    /// The tiling a product is cut into.
    pub fn tiling(&self) -> Tiling {
        self.tiling
    }

    fn c(&self) -> &[f64] {
        // SAFETY: only called from end_sample, when no thread writes C.
        unsafe { std::slice::from_raw_parts(UnsafeCell::raw_get(self.c.as_ptr()), self.c.len()) }
    }
}

impl Workload for SharedRows {
    fn begin_sample(&self) {
        for cell in self.c.iter() {
            // SAFETY: no thread runs between samples.
            unsafe { *cell.get() = f64::NAN };
        }
        self.stamps
            .iter()
            .for_each(|s| s.store(0, Ordering::Relaxed));
        self.schedule.reset();
    }

    fn run(&self, ctx: &mut WorkerCtx) -> WorkerTally {
        self.schedule.run(
            ctx,
            |product, t| {
                // SAFETY: this thread drew the unique ticket (product, t); see `unsafe impl Sync`.
                unsafe { self.write_tile(t) };
                self.stamps[t].store(product + 1, Ordering::Release);
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
