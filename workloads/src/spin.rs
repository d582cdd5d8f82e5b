//! Calibrated busy work: the knob users turn to model work inside and between operations.

use std::hint::black_box;

/// Spins for `iterations` dependent integer steps (~1 cycle each) that the optimizer cannot remove.
#[inline]
pub fn busy(iterations: u32) {
    // Free when unused: no black_box store, which after a locked instruction would wait for the
    // store buffer to drain and distort the very operation being measured.
    if iterations == 0 {
        return;
    }
    let mut x = 0u64;
    for i in 0..iterations {
        x = black_box(x.wrapping_add(u64::from(i)));
    }
    black_box(x);
}

/// A workload's `think_work` knob ([`crate::Params::think_work`]): [`busy`] iterations per
/// operation, spent outside any lock and outside any timed latency where the family allows.
///
/// Outside unit tests this is just the `u32`: [`Think::op`] compiles to exactly `busy(n)`, so
/// `think_work = 0` costs one compare and branch on a field and no store. Unit tests also count
/// the operations thought for, so they can prove the knob is applied once per operation.
#[derive(Debug)]
pub struct Think {
    per_op: u32,
    #[cfg(test)]
    ops: std::sync::atomic::AtomicU64,
}

impl Think {
    /// `per_op` busy iterations per operation.
    pub fn new(per_op: u32) -> Self {
        Think {
            per_op,
            #[cfg(test)]
            ops: Default::default(),
        }
    }

    /// Busy iterations per operation.
    pub fn per_op(&self) -> u32 {
        self.per_op
    }

    /// Thinks for one operation.
    #[inline]
    pub fn op(&self) {
        self.ops(1);
    }

    /// Thinks for `ops` operations at once (`per_op * ops` iterations, saturating), for callers
    /// that do a batch of operations in one go (a burst of messages, a block of rows).
    #[inline]
    pub fn ops(&self, ops: u32) {
        if self.per_op == 0 {
            return;
        }
        #[cfg(test)]
        self.ops
            .fetch_add(u64::from(ops), std::sync::atomic::Ordering::Relaxed);
        busy(self.per_op.saturating_mul(ops));
    }

    /// Thinks for one operation inside a [`busy`] run the caller makes anyway: returns the
    /// iterations to spin, `work + per_op` (saturating). One dependency chain instead of two
    /// back to back, so the think cannot hide in the out-of-order shadow of `work` (measured:
    /// `busy(1000); busy(100)` costs ~100 ns less than `busy(1100)`), and the cost is linear in
    /// `per_op` from the first iteration.
    #[inline]
    pub fn op_within(&self, work: u32) -> u32 {
        if self.per_op == 0 {
            return work;
        }
        #[cfg(test)]
        self.ops.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        work.saturating_add(self.per_op)
    }

    /// Test hook: operations thought for so far (0 whenever `per_op` is 0).
    #[cfg(test)]
    pub(crate) fn thought(&self) -> u64 {
        self.ops.load(std::sync::atomic::Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_iterations_is_a_no_op() {
        busy(0);
        busy(10);
    }

    #[test]
    fn think_counts_operations_only_when_it_has_work() {
        let idle = Think::new(0);
        idle.op();
        idle.ops(64);
        assert_eq!(idle.thought(), 0);
        assert_eq!(idle.op_within(1000), 1000);
        assert_eq!(idle.thought(), 0);
        let t = Think::new(3);
        t.op();
        t.ops(64);
        assert_eq!(t.op_within(1000), 1003);
        assert_eq!((t.per_op(), t.thought()), (3, 66));
    }
}
