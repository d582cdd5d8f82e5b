//! `matmul/fan-out`: workers receive tile jobs over a channel and send result tiles back; the
//! collector (a helper thread) owns C and assembles it.

use crate::sync::{Mutex, MutexGuard};

use crossbeam_channel::{Receiver, Sender, bounded};

use super::{Matrices, Tiling, multiply_tile, proof};
use crate::spin::Think;
use crate::{Params, SampleCheck, WorkerCtx, WorkerTally, Workload};

enum Job {
    /// Compute tile `b` into `buf` (a recycled buffer, moved to the worker and back).
    Block {
        b: usize,
        buf: Vec<f64>,
    },
    Stop,
}

/// What only the collector touches (locked by it for a whole sample, then by `end_sample`).
struct Owned {
    c: Vec<f64>,
    /// Per tile: 1 + the product whose result was placed there.
    stamps: Vec<u64>,
    spare: Vec<Vec<f64>>,
    last_product: u64,
}

/// The collector sends every block of a product as a job, places the results as they come
/// back, and starts the next product once all are in (the window still open) or sends each
/// worker a `Stop` (closed). As in `shared-rows`, the product in flight at the close completes,
/// is validated and is counted (the sample's time includes it). Buffers travel with the messages, so nothing is allocated
/// after the first product and no memory is shared but the immutable A and B. A worker thinks
/// (`--think-work`) per row of each block it receives, before it times the block.
pub struct FanOut {
    m: Matrices,
    tiling: Tiling,
    jobs_tx: Sender<Job>,
    jobs_rx: Receiver<Job>,
    results_tx: Sender<(usize, Vec<f64>)>,
    results_rx: Receiver<(usize, Vec<f64>)>,
    owned: Mutex<Owned>,
    workers: usize,
    pub(crate) think: Think,
}

impl FanOut {
    pub fn new(p: &Params, threads: usize) -> Self {
        let m = Matrices::new(p);
        let tiling = Tiling::for_threads(m.n, threads);
        let blocks = tiling.count();
        let (jobs_tx, jobs_rx) = bounded(blocks + threads);
        let (results_tx, results_rx) = bounded(blocks);
        let owned = Owned {
            c: vec![f64::NAN; m.n * m.n],
            stamps: vec![0; blocks],
            spare: Vec::new(),
            last_product: 0,
        };
        FanOut {
            m,
            tiling,
            jobs_tx,
            jobs_rx,
            results_tx,
            results_rx,
            owned: Mutex::new(owned),
            workers: threads,
            think: Think::new(p.think_work),
        }
    }

    fn owned(&self) -> MutexGuard<'_, Owned> {
        self.owned.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A worker's job: tile `b` of C into `buf` (resized to the tile, row-major, its own width).
    #[inline]
    pub fn compute_block(&self, b: usize, buf: &mut Vec<f64>) {
        buf.resize(self.tiling.cells(b), 0.0);
        let width = self.tiling.cols(b).len();
        multiply_tile(&self.m, &self.tiling, b, buf, width);
    }

    /// The collector's job: copy a result tile into C, row by row.
    #[inline]
    pub fn place(&self, c: &mut [f64], b: usize, buf: &[f64]) {
        let (rows, cols, n) = (self.tiling.rows(b), self.tiling.cols(b), self.m.n);
        for (r, src) in rows.zip(buf.chunks_exact(cols.len())) {
            c[r * n + cols.start..][..cols.len()].copy_from_slice(src);
        }
    }

    /// One full product on the calling thread through the same two steps (for benches).
    pub fn product_alone(&self, buf: &mut Vec<f64>) {
        let mut owned = self.owned();
        for b in 0..self.tiling.count() {
            self.compute_block(b, buf);
            self.place(&mut owned.c, b, buf);
        }
    }

    fn collector(&self, ctx: &WorkerCtx) -> WorkerTally {
        let mut guard = self.owned();
        let owned = &mut *guard;
        let mut product = 0u64;
        loop {
            for b in 0..self.tiling.count() {
                let buf = owned.spare.pop().unwrap_or_default();
                self.jobs_tx
                    .send(Job::Block { b, buf })
                    .unwrap_or_else(|_| unreachable!("self holds the receiver"));
            }
            for _ in 0..self.tiling.count() {
                // Every job sent is answered: workers only leave on Stop, sent below.
                let (b, buf) = self
                    .results_rx
                    .recv()
                    .unwrap_or_else(|_| unreachable!("self holds a sender"));
                self.place(&mut owned.c, b, &buf);
                owned.stamps[b] = product + 1;
                owned.spare.push(buf);
            }
            ctx.tick(1);
            if !ctx.running() {
                break;
            }
            product += 1;
        }
        owned.last_product = product;
        for _ in 0..self.workers {
            self.jobs_tx
                .send(Job::Stop)
                .unwrap_or_else(|_| unreachable!("self holds the receiver"));
        }
        WorkerTally {
            ops: product + 1,
            ..Default::default()
        }
    }

    fn worker(&self, ctx: &mut WorkerCtx) -> WorkerTally {
        let mut blocks = 0u64;
        while let Ok(Job::Block { b, mut buf }) = self.jobs_rx.recv() {
            self.think.ops(self.tiling.think_rows(b));
            let start = ctx.now_ns();
            self.compute_block(b, &mut buf);
            ctx.record(ctx.now_ns() - start);
            blocks += 1;
            // Room for every block of a product: never waits.
            self.results_tx
                .send((b, buf))
                .unwrap_or_else(|_| unreachable!("self holds the receiver"));
        }
        WorkerTally {
            items: blocks,
            ..Default::default()
        }
    }
}

impl Workload for FanOut {
    fn helper_threads(&self) -> usize {
        1
    }

    fn begin_sample(&self) {
        let mut owned = self.owned();
        owned.c.fill(f64::NAN);
        owned.stamps.fill(0);
        owned.last_product = 0;
    }

    fn run(&self, ctx: &mut WorkerCtx) -> WorkerTally {
        if ctx.is_helper() {
            self.collector(ctx)
        } else {
            self.worker(ctx)
        }
    }

    fn end_sample(&self, tallies: &[WorkerTally]) -> SampleCheck {
        let owned = self.owned();
        proof(
            &self.m,
            &owned.c,
            &owned.stamps,
            owned.last_product,
            tallies,
            self.tiling.count() as u64,
        )
    }
}
