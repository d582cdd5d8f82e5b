//! Per-product scheduling for the shared-memory matmuls: threads claim work units of one
//! product at a time, and the thread that finishes a product's last unit opens the next one
//! (or ends the sample), so nobody waits on a barrier a stopped thread will never reach.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crossbeam_utils::{Backoff, CachePadded};

use crate::spin::Think;
use crate::{WorkerCtx, WorkerTally};

/// Tickets `0, 1, 2, ...` name (product, unit) pairs: ticket `t` is unit `t % units` of
/// product `t / units`. A thread takes a ticket, waits until its product is the current one,
/// runs the unit, and counts it finished; whoever finishes a product's last unit counts the
/// product and decides: window still open -> the next one opens; closed -> the sample is over.
/// So the product in flight at the close is completed (C stays consistent and is validated)
/// and counted, and the sample's time runs until every thread has returned, after it: the
/// throughput is whole products over the time they took, with no window bias (counting only the
/// products finished before the close, over a time that includes the one after, undercounted
/// by `1 / (K + 1)` for K products in a window); tickets of the never-opened next product are
/// dropped.
///
/// Memory order: unit writes -> `finished.fetch_add(AcqRel)` (a release sequence, so the last
/// finisher acquires every unit of the product) -> `generation.store(Release)` -> the waiting
/// threads' `generation.load(Acquire)` -> their writes for the next product. Products never
/// overlap in time, so units of one product may write any cells units of other products touch.
///
/// Units are whatever the variant cuts a product into (tiles of C for `shared-rows`, k-slices of
/// B for `racy-overlap`); each has a number of rows. Think work (`--think-work`) is spent per row:
/// before running a unit, once its product is open, the thread thinks for the unit's rows,
/// outside the unit's recorded duration.
pub struct Schedule {
    /// Rows of each unit (for think work); their count is the units per product.
    unit_rows: Vec<u32>,
    units: u64,
    pub(crate) think: Think,
    ticket: CachePadded<AtomicU64>,
    finished: CachePadded<AtomicU64>,
    /// The product currently open (after the sample: the last product, completed).
    generation: CachePadded<AtomicU64>,
    over: AtomicBool,
}

impl Schedule {
    /// The schedule of products cut into units of `unit_rows` rows each, thinking `think_work`
    /// iterations per row.
    pub fn new(unit_rows: Vec<u32>, think_work: u32) -> Self {
        Schedule {
            units: unit_rows.len().max(1) as u64,
            unit_rows,
            think: Think::new(think_work),
            ticket: Default::default(),
            finished: Default::default(),
            generation: Default::default(),
            over: AtomicBool::new(false),
        }
    }

    pub fn units(&self) -> u64 {
        self.units
    }

    /// Rows of unit `u`.
    fn rows(&self, u: u64) -> u32 {
        self.unit_rows.get(u as usize).copied().unwrap_or(0)
    }

    /// Rewinds to product 0 (no thread runs).
    pub fn reset(&self) {
        self.ticket.store(0, Ordering::Relaxed);
        self.finished.store(0, Ordering::Relaxed);
        self.generation.store(0, Ordering::Relaxed);
        self.over.store(false, Ordering::Relaxed);
    }

    /// After a sample: the index of its last product (the one completed after the close).
    pub fn last_product(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// One thread's part of a sample: runs `unit(product, unit)` for the tickets it draws and
    /// records each unit's duration (ns) as a latency; `product_done(product)` runs on the
    /// thread that completes a product, before the next one opens (it has C to itself).
    /// Returns `ops` = products this thread completed (the last one, after the close, included),
    /// `items` = units it ran.
    pub fn run(
        &self,
        ctx: &mut WorkerCtx,
        mut unit: impl FnMut(u64, usize),
        mut product_done: impl FnMut(u64),
    ) -> WorkerTally {
        let (mut products, mut units) = (0u64, 0u64);
        let backoff = Backoff::new();
        loop {
            let t = self.ticket.fetch_add(1, Ordering::Relaxed);
            let (product, u) = (t / self.units, t % self.units);
            backoff.reset();
            while self.generation.load(Ordering::Acquire) != product {
                if self.over.load(Ordering::Acquire) {
                    return WorkerTally {
                        ops: products,
                        items: units,
                        checksum: 0,
                    };
                }
                backoff.snooze();
            }
            self.think.ops(self.rows(u));
            let start = ctx.now_ns();
            unit(product, u as usize);
            ctx.record(ctx.now_ns() - start);
            units += 1;
            if self.finished.fetch_add(1, Ordering::AcqRel) + 1 == (product + 1) * self.units {
                product_done(product);
                products += 1;
                if ctx.running() {
                    self.generation.store(product + 1, Ordering::Release);
                } else {
                    self.over.store(true, Ordering::Release);
                }
            }
        }
    }
}
