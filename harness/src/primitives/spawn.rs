//! Thread spawn + join: what a fork-join of one empty thread costs.

use std::time::Instant;

/// Untimed spawns first.
const WARMUP: u64 = 10;
/// Timed spawns.
pub const ROUNDS: u64 = 200;

pub const METHOD: &str = "a thread pinned to the CPU spawns a thread (std::thread::spawn, \
    default stack) that returns its round number, and joins it; each spawn + join is timed alone \
    and the returned number checked. The child inherits the parent's one-CPU affinity, so both \
    run on that CPU. 200 after 10 untimed; median and spread over spawns";

/// Each spawn + join, ns.
pub fn measure(cpu: usize) -> Result<Vec<f64>, String> {
    super::pinned::on_cpu(cpu, || {
        let mut times = Vec::with_capacity(ROUNDS as usize);
        for k in 0..WARMUP + ROUNDS {
            let t0 = Instant::now();
            let child = std::thread::Builder::new()
                .spawn(move || std::hint::black_box(k))
                .map_err(|e| format!("cannot spawn a thread: {e}"))?;
            let got = child
                .join()
                .map_err(|_| "the spawned thread panicked".to_string())?;
            let dt = t0.elapsed().as_nanos() as f64;
            if got != k {
                return Err(format!("thread {k} returned {got}"));
            }
            if k >= WARMUP {
                times.push(dt);
            }
        }
        Ok(times)
    })
}
