//! The cache-line probe: how far apart two vCPUs are in this process, measured by bouncing a value
//! through one cache line between two threads pinned on them. Each fork runs it on the first two
//! CPUs of its case; the `primitives` family runs it on every pair of CPUs, with both methods.
//!
//! The initiator writes the odd values 1, 3, 5, ... and the responder answers each with the next
//! even one; a round trip moves the line there and back, so one-way latency = round trip / 2.
//! [`Method::StoreLoad`] waits with loads and answers with a store; [`Method::Cas`] waits and
//! answers in one compare-and-swap (as a spinlock hand-off does). Round trips are timed in batches
//! (the clock costs ~25 ns, as much as a round trip between SMT siblings); the figure is the median
//! over batches, and every batch's figure is kept for the spread.
//!
//! Validated on both sides: a waiting thread may only see its own last value or the one it waits
//! for, so a value lost, repeated or out of order is an error (the responder publishes [`FAULT`] and
//! what it saw), and at the end the responder must have answered exactly the round trips the
//! initiator made. The initiator gives up when the responder does not answer within the partner
//! timeout: the probe never hangs, it reports why it has no figure.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crossbeam_utils::CachePadded;

/// Written by the initiator to tell the responder to quit.
const STOP: u64 = u64::MAX;
/// Written by the responder when it saw a value out of sequence (what it saw is in `Line::fault`).
pub const FAULT: u64 = u64::MAX - 1;

/// How the two threads wait and answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Spin on loads until the awaited value arrives, then store the answer.
    StoreLoad,
    /// Spin on compare-and-swap from the awaited value to the answer.
    Cas,
}

/// How long and how hard the probe measures.
#[derive(Debug, Clone, Copy)]
pub struct ProbeConfig {
    pub method: Method,
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
    method: Method::StoreLoad,
    warmup_round_trips: 1000,
    batch: 32,
    max_batches: 1000,
    budget: Duration::from_micros(1500),
    partner_timeout: Duration::from_millis(100),
};

/// The line the two threads bounce, and the responder's flags on a line of their own.
pub struct Line {
    value: CachePadded<AtomicU64>,
    method: Method,
    /// Set by each thread once it runs on its CPU. Until both are set, both yield rather than
    /// spin: a new thread starts on its parent's CPU and must run there to move away, so a spinning
    /// partner would hold it back for a whole time slice (measured: 2.6 ms).
    initiator_ready: AtomicBool,
    responder_ready: AtomicBool,
    exited: CachePadded<AtomicBool>,
    /// Round trips the responder answered, written when it exits.
    answered: AtomicU64,
    /// The out-of-sequence value the responder saw, when it published [`FAULT`].
    fault: AtomicU64,
}

impl Line {
    pub fn new(method: Method) -> Line {
        Line {
            value: CachePadded::new(AtomicU64::new(0)),
            method,
            initiator_ready: AtomicBool::new(false),
            responder_ready: AtomicBool::new(false),
            exited: CachePadded::new(AtomicBool::new(false)),
            answered: AtomicU64::new(0),
            fault: AtomicU64::new(0),
        }
    }
}

/// What the probe measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Measurement {
    /// Median over batches of (batch time / round trips / 2), ns.
    pub one_way_ns: f64,
    /// Timed round trips.
    pub round_trips: u64,
    /// Every batch's one-way figure, ns, ascending.
    pub batches: Vec<f64>,
}

/// A responder's body: answers every odd value with the next even one until [`STOP`].
pub type Responder = fn(&Line);

/// What a thread waiting on the line met.
enum Wait {
    /// The awaited value, and the answer is written.
    Done,
    /// Neither its own last value nor the awaited one.
    Fault(u64),
}

/// Spins until the line holds `want`, then writes `next` (a store after the load, or one CAS),
/// while the line may hold only `own` (the caller's last write) in between. `stop` returns true
/// to give up (checked every 1024 spins, with the value last seen).
#[inline(always)]
fn await_then_write(
    line: &Line,
    want: u64,
    own: u64,
    next: u64,
    mut stop: impl FnMut(u64) -> bool,
) -> Wait {
    let mut spins = 0u32;
    loop {
        let seen = match line.method {
            Method::StoreLoad => {
                let v = line.value.load(Ordering::Acquire);
                if v == want {
                    line.value.store(next, Ordering::Release);
                    return Wait::Done;
                }
                v
            }
            Method::Cas => {
                match line
                    .value
                    .compare_exchange(want, next, Ordering::AcqRel, Ordering::Acquire)
                {
                    Ok(_) => return Wait::Done,
                    Err(v) => v,
                }
            }
        };
        if seen != own {
            return Wait::Fault(seen);
        }
        spins = spins.wrapping_add(1);
        if spins.is_multiple_of(1024) && stop(seen) {
            return Wait::Fault(seen);
        }
        std::hint::spin_loop();
    }
}

/// The real responder: answers 2k + 1 with 2k + 2 until [`STOP`]; anything else out of sequence
/// is published as [`FAULT`] (and what it saw in `fault`), and it quits.
pub fn respond(line: &Line) {
    let mut answered = 0u64;
    loop {
        let want = 2 * answered + 1;
        match await_then_write(line, want, want - 1, want + 1, |_| false) {
            Wait::Done => answered += 1,
            Wait::Fault(STOP) => break,
            Wait::Fault(seen) => {
                line.answered.store(answered, Ordering::Relaxed);
                line.fault.store(seen, Ordering::Relaxed);
                line.value.store(FAULT, Ordering::Release);
                break;
            }
        }
    }
    line.answered.store(answered, Ordering::Release);
}

/// Measures the one-way cache-line latency between `cpus[0]` (initiator) and `cpus[1]`
/// (responder) with [`DEFAULT`] settings.
pub fn cache_line_one_way(cpus: [usize; 2]) -> Result<Measurement, String> {
    probe_with(cpus, &DEFAULT, respond)
}

/// The probe with its settings and responder given (tests use responders that misbehave).
pub fn probe_with(
    cpus: [usize; 2],
    cfg: &ProbeConfig,
    responder: Responder,
) -> Result<Measurement, String> {
    let line = Arc::new(Line::new(cfg.method));
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
    if !line.exited.load(Ordering::Acquire) {
        return result.map(|(m, _)| m);
    }
    let _ = responder_thread.join();
    let (m, sent) = result?;
    let answered = line.answered.load(Ordering::Acquire);
    if answered != sent {
        return Err(format!(
            "the responder answered {answered} round trips, the initiator made {sent}"
        ));
    }
    Ok(m)
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

/// Why the initiator met `seen` instead of an answer.
fn out_of_sequence(line: &Line, seen: u64, own: u64, want: u64) -> String {
    if seen == FAULT {
        let theirs = line.fault.load(Ordering::Relaxed);
        let answered = line.answered.load(Ordering::Relaxed);
        format!(
            "the responder saw {theirs} where it expected {} or {}: a value was lost, repeated or \
             reordered",
            2 * answered,
            2 * answered + 1
        )
    } else {
        format!(
            "the line held {seen}, expected {own} or {want}: a value was lost, repeated or reordered"
        )
    }
}

/// The initiator's side: warm-up, then timed batches until the budget or the batch count is spent;
/// returns the measurement and every round trip made (warm-up included).
fn initiate(line: &Line, cfg: &ProbeConfig) -> Result<(Measurement, u64), String> {
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
    let mut sent = 0u64;
    let mut why = None;
    // Round trip k: wait for the answer 2k (0 at first), then send 2k + 1; the batch's time is
    // from one send to the send B round trips later, i.e. B answers.
    let mut round_trip = |sent: &mut u64, send: bool| -> Result<(), String> {
        let want = 2 * *sent;
        let own = want.saturating_sub(1);
        let since = Instant::now();
        let stop = |_: u64| {
            let now = Instant::now();
            if now.saturating_duration_since(since) > cfg.partner_timeout {
                why = Some(format!(
                    "the partner did not answer within {} ms",
                    cfg.partner_timeout.as_millis()
                ));
            } else if now > deadline {
                why = Some(format!(
                    "the partner answered too slowly to finish within {} ms",
                    (cfg.budget + cfg.partner_timeout).as_millis()
                ));
            }
            why.is_some()
        };
        // The last wait only takes the answer (writing it back keeps the line as it is).
        let next = if send { want + 1 } else { want };
        match await_then_write(line, want, own, next, stop) {
            Wait::Done => {
                *sent += u64::from(send);
                Ok(())
            }
            Wait::Fault(seen) => Err(why
                .take()
                .unwrap_or_else(|| out_of_sequence(line, seen, own, want))),
        }
    };
    for _ in 0..cfg.warmup_round_trips {
        round_trip(&mut sent, true)?;
    }
    let started = Instant::now();
    let mut per_batch = Vec::with_capacity(cfg.max_batches as usize);
    while per_batch.len() < cfg.max_batches as usize
        && (per_batch.is_empty() || started.elapsed() < cfg.budget)
    {
        let t0 = Instant::now();
        for _ in 0..cfg.batch {
            round_trip(&mut sent, true)?;
        }
        per_batch.push(t0.elapsed().as_nanos() as f64 / f64::from(cfg.batch) / 2.0);
    }
    round_trip(&mut sent, false)?;
    if per_batch.is_empty() {
        return Err("no round trip was timed (max_batches is 0)".into());
    }
    per_batch.sort_by(f64::total_cmp);
    Ok((
        Measurement {
            one_way_ns: per_batch[per_batch.len() / 2],
            round_trips: per_batch.len() as u64 * u64::from(cfg.batch),
            batches: per_batch,
        },
        sent,
    ))
}

#[cfg(test)]
#[path = "pingpong_tests.rs"]
mod tests;
