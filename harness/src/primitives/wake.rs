//! Wake-up latency: a thread parked in the kernel (a futex, through `std::thread::park`) is
//! unparked by another, and notes when it runs again.

use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::pinned::{PARTNER_TIMEOUT, pair, park_until, token};

/// Untimed wake-ups first.
const WARMUP: u64 = 5;
/// Timed wake-ups.
pub const ROUNDS: u64 = 100;

pub const METHOD: &str = "thread B parks (std::thread::park, a futex wait); thread A waits until \
    /proc says B is asleep (state S), reads the clock and unparks B; B reads the clock when it runs \
    again: latency = B's reading - A's (CLOCK_MONOTONIC, one clock for all CPUs). 100 wake-ups \
    after 5 untimed, each checked to be the round B waits for; median and spread over wake-ups. \
    On one CPU, A then blocks (sleeps), so B runs once A is off the CPU or preempts it";

/// Wake-up latencies, ns, with the waker on `cpus[0]` and the sleeper on `cpus[1]`.
pub fn measure(cpus: [usize; 2]) -> Result<Vec<f64>, String> {
    let round = AtomicU64::new(0);
    let parked = AtomicU64::new(0);
    let sent_ns = AtomicU64::new(0);
    let sleeper_tid = AtomicI32::new(0);
    let epoch = Instant::now();
    let now_ns = || epoch.elapsed().as_nanos() as u64;
    let waker = |sleeper: &std::thread::Thread| -> Result<(), String> {
        for k in 1..=WARMUP + ROUNDS {
            poll_until("the sleeper never parked", || {
                parked.load(Ordering::Acquire) == k
            })?;
            let tid = sleeper_tid.load(Ordering::Acquire);
            poll_until("the sleeper never fell asleep", || asleep(tid))?;
            sent_ns.store(now_ns(), Ordering::Release);
            round.store(k, Ordering::Release);
            sleeper.unpark();
        }
        Ok(())
    };
    let sleeper = |_: &std::thread::Thread| -> Result<Vec<f64>, String> {
        sleeper_tid.store(crate::platform::thread_id(), Ordering::Release);
        let mut latencies = Vec::with_capacity(ROUNDS as usize);
        for k in 1..=WARMUP + ROUNDS {
            parked.store(k, Ordering::Release);
            park_until("waiting to be woken", || {
                token(round.load(Ordering::Acquire), k - 1, k)
            })?;
            let woke = now_ns();
            if k > WARMUP {
                latencies.push(woke.saturating_sub(sent_ns.load(Ordering::Acquire)) as f64);
            }
        }
        Ok(latencies)
    };
    pair(cpus, waker, sleeper).map(|((), latencies)| latencies)
}

/// Sleeps 20 us at a time until `done()`; an error naming `what` after the partner timeout.
fn poll_until(what: &str, mut done: impl FnMut() -> bool) -> Result<(), String> {
    let start = Instant::now();
    while !done() {
        if start.elapsed() > PARTNER_TIMEOUT {
            return Err(format!("{what} within {} ms", PARTNER_TIMEOUT.as_millis()));
        }
        std::thread::sleep(Duration::from_micros(20));
    }
    Ok(())
}

/// Whether thread `tid` of this process is asleep (`S`) by `/proc/self/task/TID/stat`; true when
/// /proc cannot say (then the 20 us polls before are the only margin).
fn asleep(tid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")) {
        Ok(stat) => state(&stat) == Some('S'),
        Err(_) => true,
    }
}

/// The state letter of a `stat` line: the first field after the command's closing parenthesis.
fn state(stat: &str) -> Option<char> {
    stat.rsplit_once(')')?.1.trim_start().chars().next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_is_read_after_the_command_even_with_parentheses_in_it() {
        assert_eq!(state("123 (a) b) S 1 2 3"), Some('S'));
        assert_eq!(state("7 (contend) R 1"), Some('R'));
        assert_eq!(state("garbage"), None);
    }
}
