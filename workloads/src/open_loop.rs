//! An open-loop schedule, wrk2's: item `seq` is due at `start + seq x interval`, whatever
//! happened to the items before it. A sender behind schedule sends at once, and the item is
//! stamped with its due time, so the delay is charged to the items it owes (coordinated omission
//! corrected). Shared by the queue's producers and the pools' submitters.

use crate::WorkerCtx;

/// Waits longer than this yield the CPU instead of spinning (a pool's submitter shares the CPUs
/// with the workers); the last stretch before a due time is spun, so a send is not late by a
/// scheduler round.
const SPIN_NS: u64 = 20_000;

/// The schedule of one sender.
#[derive(Debug, Clone, Copy)]
pub struct OpenLoop {
    start_ns: u64,
    interval_ns: f64,
}

impl OpenLoop {
    /// A schedule of `per_s` items per second (finite, > 0) starting now.
    pub fn start(ctx: &WorkerCtx, per_s: f64) -> OpenLoop {
        OpenLoop {
            start_ns: ctx.now_ns(),
            interval_ns: 1e9 / per_s,
        }
    }

    /// The due time of item `seq` (ns on the shared clock).
    pub fn due_ns(&self, seq: u64) -> u64 {
        self.start_ns + (seq as f64 * self.interval_ns) as u64
    }

    /// Waits until item `seq` is due and returns its due time; `None` when the window closed
    /// first (the item is then not sent).
    pub fn wait_for(&self, ctx: &WorkerCtx, seq: u64) -> Option<u64> {
        let due = self.due_ns(seq);
        loop {
            if !ctx.running() {
                return None;
            }
            let now = ctx.now_ns();
            if now >= due {
                return Some(due);
            }
            if due - now > SPIN_NS {
                std::thread::yield_now();
            } else {
                std::hint::spin_loop();
            }
        }
    }
}
