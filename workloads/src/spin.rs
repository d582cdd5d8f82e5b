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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_iterations_is_a_no_op() {
        busy(0);
        busy(10);
    }
}
