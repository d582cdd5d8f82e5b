//! The cost of reading the clock: `Instant::now()`, what every timed window pays twice.

use std::hint::black_box;
use std::time::Instant;

use super::atomics::{BATCHES, OPS, timed_batches};

pub const METHOD: &str = "Instant::now() (clock_gettime(CLOCK_MONOTONIC) through the vDSO) \
    called 10 000 times in a batch on one pinned thread, every reading checked to be no earlier \
    than the one before; ns per call = batch time / calls, 25 batches after 2 untimed; median and \
    spread over batches";

/// ns per `Instant::now()`, one figure per batch.
pub fn measure(cpu: usize) -> Result<Vec<f64>, String> {
    super::pinned::on_cpu(cpu, || {
        let mut backwards = 0u64;
        let mut last = Instant::now();
        let per_call = timed_batches(BATCHES, OPS, |_| {
            for _ in 0..OPS {
                let now = black_box(Instant::now());
                backwards += u64::from(now < last);
                last = now;
            }
        });
        if backwards > 0 {
            return Err(format!("the clock went backwards {backwards} times"));
        }
        Ok(per_call)
    })
}
