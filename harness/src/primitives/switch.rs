//! Context switches: two threads hand a token back and forth, each parking (a futex wait) until
//! the other unparks it. On one CPU every hand-off is a switch from one thread to the other; on
//! two CPUs it is a cross-CPU wake-up.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::pinned::{pair, park_until, token};
use crate::evidence::ThreadCounters;

/// Untimed round trips first.
const WARMUP: u64 = 20;
/// Round trips per timed batch.
const BATCH: u64 = 16;
/// At most this many batches ...
const MAX_BATCHES: usize = 200;
/// ... or this much measuring.
const BUDGET: Duration = Duration::from_millis(25);
/// Written by A when it is done.
const STOP: u64 = u64::MAX;

pub const METHOD: &str = "threads A and B hand a token back and forth: A writes 2k+1 and \
    unparks B, then parks until the token is 2k+2; B, parked until it sees 2k+1, writes 2k+2 and \
    unparks A (std::thread::park/unpark: futex wait and wake). One hand-off = round trip / 2: on \
    one CPU a switch from one thread to the other (syscalls included), on two CPUs a cross-CPU \
    wake-up. A waits 1 ms before the first token, so B is asleep. Batches of 16 round trips for \
    25 ms after 20 untimed; median and spread over batches. Validated: every token is the next in \
    sequence, and the threads were switched out (context switches, voluntary or not, of both \
    threads) in at least 90% of the hand-offs; else the partner answered before the waiter \
    slept, a spinning hand-off, not a switch";

/// Hand-offs in which a thread must have been switched out, at least.
const SWITCHED_AT_LEAST: f64 = 0.9;

/// Context switches of the calling thread so far, voluntary (it blocked) or not (preempted,
/// e.g. by the thread it woke on its own CPU).
fn switches(counters: &ThreadCounters) -> u64 {
    let r = counters.read();
    r.voluntary + r.involuntary
}

/// One hand-off, ns (one per batch), with A on `cpus[0]` and B on `cpus[1]`, and the round trips
/// timed.
pub fn measure(cpus: [usize; 2]) -> Result<(Vec<f64>, u64), String> {
    let tok = AtomicU64::new(0);
    let a = |b: &std::thread::Thread| -> Result<(Vec<f64>, u64, u64, u64), String> {
        let counters = ThreadCounters::open_procfs();
        let before = switches(&counters);
        // B parks first: the hand-offs start with a sleeping partner (and stay so, each wake-up
        // taking longer than the waker needs to fall asleep).
        std::thread::sleep(Duration::from_millis(1));
        let mut k = 0u64;
        let round_trip = |k: &mut u64| -> Result<(), String> {
            tok.store(2 * *k + 1, Ordering::Release);
            b.unpark();
            park_until("waiting for the token", || {
                token(tok.load(Ordering::Acquire), 2 * *k + 1, 2 * *k + 2)
            })?;
            *k += 1;
            Ok(())
        };
        let result = (|| {
            for _ in 0..WARMUP {
                round_trip(&mut k)?;
            }
            let start = Instant::now();
            let mut batches = Vec::new();
            while batches.len() < MAX_BATCHES && (batches.is_empty() || start.elapsed() < BUDGET) {
                let t0 = Instant::now();
                for _ in 0..BATCH {
                    round_trip(&mut k)?;
                }
                batches.push(t0.elapsed().as_nanos() as f64 / (2 * BATCH) as f64);
            }
            let timed = batches.len() as u64 * BATCH;
            Ok((batches, timed))
        })();
        let slept = switches(&counters).saturating_sub(before);
        tok.store(STOP, Ordering::Release);
        b.unpark();
        result.map(|(batches, timed)| (batches, timed, k, slept))
    };
    let b = |a: &std::thread::Thread| -> Result<u64, String> {
        let counters = ThreadCounters::open_procfs();
        let before = switches(&counters);
        let mut k = 0u64;
        loop {
            let mut stop = false;
            park_until("waiting for the token", || {
                let seen = tok.load(Ordering::Acquire);
                stop = seen == STOP;
                Ok(stop || token(seen, 2 * k, 2 * k + 1)?)
            })?;
            if stop {
                return Ok(switches(&counters).saturating_sub(before));
            }
            tok.store(2 * k + 2, Ordering::Release);
            a.unpark();
            k += 1;
        }
    };
    let ((batches, timed, round_trips, slept_a), slept_b) = pair(cpus, a, b)?;
    slept(slept_a + slept_b, 2 * round_trips)?;
    Ok((batches, timed))
}

/// Checks that the threads were switched out in enough of the `hand_offs`.
fn slept(switches: u64, hand_offs: u64) -> Result<(), String> {
    if (switches as f64) < SWITCHED_AT_LEAST * hand_offs as f64 {
        return Err(format!(
            "the threads were switched out {switches} times in {hand_offs} hand-offs: the \
             partner answered before the waiter slept (a spinning hand-off, not a switch)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_offs_without_sleep_are_an_error_not_a_figure() {
        assert!(slept(100, 100).is_ok());
        assert!(slept(95, 100).is_ok());
        assert!(slept(3, 100).unwrap_err().contains("spinning hand-off"));
    }
}
