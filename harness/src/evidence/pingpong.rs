//! The cache-line probe: how far apart two vCPUs are in this process, measured by bouncing a value
//! through one cache line between two threads pinned on them.
//!
//! The initiator writes an odd value and spins until the responder answers with the next even
//! one; a round trip moves the line there and back, so one-way latency = round trip / 2. Round
//! trips are timed in batches (the clock costs ~25 ns, as much as a round trip between SMT
//! siblings) and the result is the median over batches. Every answer is checked (the value must
//! come back exactly), and the initiator gives up when the responder does not answer within the
//! partner timeout: the probe never hangs, it reports why it has no figure.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crossbeam_utils::CachePadded;

/// Written by the initiator to tell the responder to quit.
const STOP: u64 = u64::MAX;

/// How long and how hard the probe measures.
#[derive(Debug, Clone, Copy)]
pub struct ProbeConfig {
    /// Untimed round trips first (both threads up to speed, the line settled).
    pub warmup_round_trips: u32,
    /// Round trips per timed batch.
    pub batch: u32,
    /// At most this many batches ...
    pub max_batches: u32,
    /// ... or this much measuring, whichever comes first.
    pub budget: Duration,
    /// Give up when the responder does not answer (or start) within this long.
    pub partner_timeout: Duration,
}

/// The probe run at the start of each case: 1.5 ms of measuring (~10 000 round trips at 60-70 ns
/// one way). Measured on the 2-vCPU VM, 3 processes x 300 probes, quiet machine: 1.8 ms wall time
/// in the median, p99 2.1-2.4 ms, at most 2.8 ms, spawning and joining both threads included.
pub const DEFAULT: ProbeConfig = ProbeConfig {
    warmup_round_trips: 1000,
    batch: 32,
    max_batches: 1000,
    budget: Duration::from_micros(1500),
    partner_timeout: Duration::from_millis(100),
};

/// The line the two threads bounce, and the responder's flags on a line of their own.
#[derive(Default)]
pub struct Line {
    value: CachePadded<AtomicU64>,
    /// Set by each thread once it runs on its CPU. Until both are set, both yield rather than
    /// spin: a new thread starts on its parent's CPU and must run there to move away, so a spinning
    /// partner would hold it back for a whole time slice (measured: 2.6 ms).
    initiator_ready: AtomicBool,
    responder_ready: AtomicBool,
    exited: CachePadded<AtomicBool>,
}

/// What the probe measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Measurement {
    /// Median over batches of (batch time / round trips / 2), ns.
    pub one_way_ns: f64,
    /// Timed round trips.
    pub round_trips: u64,
}

/// A responder's body: answers every odd value with the next even one until [`STOP`].
pub type Responder = fn(&Line);

/// The real responder.
pub fn respond(line: &Line) {
    let mut expected = 1u64;
    loop {
        let v = line.value.load(Ordering::Acquire);
        if v == STOP {
            return;
        }
        if v == expected {
            line.value.store(expected + 1, Ordering::Release);
            expected += 2;
        } else {
            std::hint::spin_loop();
        }
    }
}

/// Measures the one-way cache-line latency between `cpus[0]` (initiator) and `cpus[1]`
/// (responder) with [`DEFAULT`] settings.
pub fn cache_line_one_way(cpus: [usize; 2]) -> Result<Measurement, String> {
    probe_with(cpus, &DEFAULT, respond)
}

/// The probe with its settings and responder given (tests use a responder that never answers).
pub fn probe_with(
    cpus: [usize; 2],
    cfg: &ProbeConfig,
    responder: Responder,
) -> Result<Measurement, String> {
    let line = Arc::new(Line::default());
    let responder_line = Arc::clone(&line);
    let cfg_copy = *cfg;
    let spawned = std::thread::Builder::new()
        .name("probe-responder".into())
        .spawn(move || {
            if pin(cpus[1]) {
                responder_line
                    .responder_ready
                    .store(true, Ordering::Release);
                if wait_for(&responder_line.initiator_ready, cfg_copy.partner_timeout) {
                    responder(&responder_line);
                }
            }
            responder_line.exited.store(true, Ordering::Release);
        });
    let responder_thread = spawned.map_err(|e| format!("cannot spawn the responder: {e}"))?;
    let (tx, rx) = mpsc::channel();
    let initiator_line = Arc::clone(&line);
    let initiator_thread = std::thread::Builder::new()
        .name("probe-initiator".into())
        .spawn(move || {
            let result = if pin(cpus[0]) {
                initiate(&initiator_line, &cfg_copy)
            } else {
                Err(format!("cannot pin the initiator to CPU {}", cpus[0]))
            };
            initiator_line.value.store(STOP, Ordering::Release);
            let _ = tx.send(result);
        });
    let Ok(initiator_thread) = initiator_thread else {
        line.value.store(STOP, Ordering::Release);
        return Err("cannot spawn the initiator".into());
    };
    // The initiator bounds itself (budget, partner timeout); this bounds the wait for it too.
    let limit = cfg.budget + cfg.partner_timeout * 2 + Duration::from_millis(100);
    let result = match rx.recv_timeout(limit) {
        Ok(r) => {
            let _ = initiator_thread.join();
            r
        }
        Err(_) => {
            line.value.store(STOP, Ordering::Release);
            Err(format!(
                "the initiator did not finish within {} ms",
                limit.as_millis()
            ))
        }
    };
    // A responder that never ran exits whenever it runs (it sees STOP); wait a little for it so
    // it does not spin into the case, but never hang on it.
    let waited = Instant::now();
    while !line.exited.load(Ordering::Acquire) && waited.elapsed() < cfg.partner_timeout {
        std::thread::sleep(Duration::from_micros(50));
    }
    if line.exited.load(Ordering::Acquire) {
        let _ = responder_thread.join();
    }
    result
}

/// Yields until `flag` is set; false after `timeout`.
fn wait_for(flag: &AtomicBool, timeout: Duration) -> bool {
    let start = Instant::now();
    while !flag.load(Ordering::Acquire) {
        if start.elapsed() > timeout {
            return false;
        }
        std::thread::yield_now();
    }
    true
}

/// Pins the calling thread to `cpu` and checks it runs there.
fn pin(cpu: usize) -> bool {
    crate::pin::pin_current(cpu) && crate::pin::current_cpu() == Some(cpu)
}

/// The initiator's side: warm-up, then timed batches until the budget or the batch count is spent.
fn initiate(line: &Line, cfg: &ProbeConfig) -> Result<Measurement, String> {
    line.initiator_ready.store(true, Ordering::Release);
    if !wait_for(&line.responder_ready, cfg.partner_timeout) {
        if line.exited.load(Ordering::Acquire) {
            return Err("the partner could not be pinned to its CPU".into());
        }
        return Err(format!(
            "the partner did not answer within {} ms (it never started)",
            cfg.partner_timeout.as_millis()
        ));
    }
    // A responder that answers, but only now and then (descheduled), must not stretch the probe.
    let deadline = Instant::now() + cfg.budget + cfg.partner_timeout;
    let mut next = 1u64;
    let round_trip = |next: &mut u64| -> Result<(), String> {
        line.value.store(*next, Ordering::Release);
        let sent = Instant::now();
        let mut spins = 0u32;
        loop {
            let v = line.value.load(Ordering::Acquire);
            if v == *next + 1 {
                *next += 2;
                return Ok(());
            }
            if v != *next {
                return Err(format!(
                    "the line held {v}, expected {} or {}",
                    *next,
                    *next + 1
                ));
            }
            spins = spins.wrapping_add(1);
            if spins.is_multiple_of(1024) {
                let now = Instant::now();
                if now.saturating_duration_since(sent) > cfg.partner_timeout {
                    return Err(format!(
                        "the partner did not answer within {} ms",
                        cfg.partner_timeout.as_millis()
                    ));
                }
                if now > deadline {
                    return Err(format!(
                        "the partner answered too slowly to finish within {} ms",
                        (cfg.budget + cfg.partner_timeout).as_millis()
                    ));
                }
            }
            std::hint::spin_loop();
        }
    };
    for _ in 0..cfg.warmup_round_trips {
        round_trip(&mut next)?;
    }
    let started = Instant::now();
    let mut per_batch = Vec::with_capacity(cfg.max_batches as usize);
    while per_batch.len() < cfg.max_batches as usize
        && (per_batch.is_empty() || started.elapsed() < cfg.budget)
    {
        let t0 = Instant::now();
        for _ in 0..cfg.batch {
            round_trip(&mut next)?;
        }
        per_batch.push(t0.elapsed().as_nanos() as f64 / f64::from(cfg.batch) / 2.0);
    }
    if per_batch.is_empty() {
        return Err("no round trip was timed (max_batches is 0)".into());
    }
    per_batch.sort_by(f64::total_cmp);
    Ok(Measurement {
        one_way_ns: per_batch[per_batch.len() / 2],
        round_trips: per_batch.len() as u64 * u64::from(cfg.batch),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_cpus() -> Option<[usize; 2]> {
        let cpus = crate::machine::available_cpus();
        match cpus[..] {
            [a, b, ..] => Some([a, b]),
            _ => {
                eprintln!("skipped: the probe needs 2 CPUs, this process may use {cpus:?}");
                None
            }
        }
    }

    #[test]
    fn the_probe_measures_a_positive_latency_between_two_cpus() {
        let Some(cpus) = two_cpus() else { return };
        let m = cache_line_one_way(cpus).expect("the responder answers");
        assert!(m.one_way_ns > 0.0, "{m:?}");
        assert!(m.round_trips >= u64::from(DEFAULT.batch));
    }

    #[test]
    fn the_probe_gives_up_when_its_partner_never_answers() {
        let Some(cpus) = two_cpus() else { return };
        fn absent(_: &Line) {}
        let cfg = ProbeConfig {
            partner_timeout: Duration::from_millis(20),
            ..DEFAULT
        };
        let err = probe_with(cpus, &cfg, absent).unwrap_err();
        assert!(err.contains("the partner"), "{err}");
    }

    #[test]
    fn the_probe_gives_up_when_its_partner_is_stuck_and_does_not_wait_for_it() {
        let Some(cpus) = two_cpus() else { return };
        // Runs, but only answers (quits) long after the timeout: the probe returns without it.
        fn stuck(line: &Line) {
            while line.value.load(Ordering::Acquire) != STOP {
                std::thread::sleep(Duration::from_millis(1));
            }
            std::thread::sleep(Duration::from_millis(300));
        }
        let cfg = ProbeConfig {
            partner_timeout: Duration::from_millis(20),
            ..DEFAULT
        };
        let err = probe_with(cpus, &cfg, stuck).unwrap_err();
        assert!(err.contains("the partner"), "{err}");
    }

    #[test]
    fn a_wrong_answer_is_an_error_not_a_figure() {
        let Some(cpus) = two_cpus() else { return };
        fn liar(line: &Line) {
            while line.value.load(Ordering::Acquire) != 1 {
                std::hint::spin_loop();
            }
            line.value.store(7, Ordering::Release);
        }
        let err = probe_with(cpus, &DEFAULT, liar).unwrap_err();
        assert!(err.contains("held 7"), "{err}");
    }
}
