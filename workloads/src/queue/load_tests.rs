//! The queue's loads: saturated with sampled stamps, open loop at an offered rate, and the bare
//! reference's loop.

use std::time::{Duration, Instant};

use super::{Crossbeam, Flume, LockFree, Queue, VARIANTS};
use crate::testing::run_sample_recorded;
use crate::{Load, Outcome, Params, Workload};

#[test]
fn saturated_stamps_one_message_in_n() {
    for v in VARIANTS.iter().filter(|v| !v.expected_race) {
        for threads in [1, 2] {
            let w = (v.build)(&Params::default(), threads);
            assert!(w.set_load(Load::Saturated { stamp_every: 8 }), "{}", v.name);
            let (check, tallies, recorded) = run_sample_recorded(w.as_ref(), threads, 15);
            assert_eq!(check.outcome, Outcome::Valid, "{} at {threads}", v.name);
            let sent: u64 = tallies.iter().map(|t| t.items).sum();
            // One producer numbers its messages from 0: seq 0, 8, 16, ... are stamped.
            assert_eq!(recorded.len(), sent.div_ceil(8), "{} at {threads}", v.name);
        }
    }
}

#[test]
fn stamp_every_is_rounded_up_to_a_power_of_two() {
    let w = Queue::<Crossbeam>::new(&Params::default(), 2);
    assert!(w.set_load(Load::Saturated { stamp_every: 5 }));
    let (_, tallies, recorded) = run_sample_recorded(&w, 2, 10);
    let sent: u64 = tallies.iter().map(|t| t.items).sum();
    assert_eq!(recorded.len(), sent.div_ceil(8));
}

#[test]
fn offered_load_never_runs_ahead_of_its_schedule_and_times_every_message() {
    let per_s = 200_000.0;
    for v in VARIANTS.iter().filter(|v| !v.expected_race) {
        let w = (v.build)(&Params::default(), 2);
        assert!(w.set_load(Load::offered(per_s)), "{}", v.name);
        let started = Instant::now();
        let (check, tallies, recorded) = run_sample_recorded(w.as_ref(), 2, 20);
        let wall = started.elapsed().as_secs_f64();
        assert_eq!(check.outcome, Outcome::Valid, "{}", v.name);
        let sent: u64 = tallies.iter().map(|t| t.items).sum();
        assert!(sent > 0, "{} sent nothing", v.name);
        // Message k is due k/rate after the producer starts: it can never send faster.
        assert!(
            sent as f64 <= per_s * wall + 1.0,
            "{}: {sent} sent in {wall:.3} s at {per_s}/s",
            v.name
        );
        assert_eq!(
            recorded.len(),
            check.ops,
            "{}: every message is timed",
            v.name
        );
    }
}

#[test]
fn latency_counts_from_the_intended_send_time_when_producers_fall_behind() {
    // An offered rate no queue can take: every message is due at the window's start, so the
    // last ones wait about the whole window (a closed loop would report a short sojourn).
    let w = Queue::<LockFree>::new(&Params::default(), 2);
    assert!(w.set_load(Load::offered(1e15)));
    let (check, _, recorded) = run_sample_recorded(&w, 2, 20);
    assert_eq!(check.outcome, Outcome::Valid);
    assert!(
        recorded.max() >= Duration::from_millis(10).as_nanos() as u64,
        "max {} ns",
        recorded.max()
    );
}

#[test]
fn offered_load_needs_a_producer_and_a_consumer_and_a_positive_rate() {
    let one = Queue::<Flume>::new(&Params::default(), 1);
    assert!(!one.set_load(Load::offered(1000.0)));
    let two = Queue::<Flume>::new(&Params::default(), 2);
    for bad in [0.0, -5.0, f64::NAN, f64::INFINITY] {
        assert!(!two.set_load(Load::offered(bad)), "{bad}");
    }
    assert!(two.set_load(Load::offered(1000.0)));
}

#[test]
fn the_bare_loop_proves_delivery_reads_no_clock_and_needs_a_pair() {
    let payload = Params {
        payload_bytes: 24,
        ..Params::default()
    };
    for v in VARIANTS.iter().filter(|v| !v.expected_race) {
        let w = (v.build)(&payload, 2);
        assert!(w.set_load(Load::Bare), "{}", v.name);
        let (check, tallies, recorded) = run_sample_recorded(w.as_ref(), 2, 10);
        assert_eq!(check.outcome, Outcome::Valid, "{}", v.name);
        assert!(check.ops > 0, "{} received nothing", v.name);
        // The consumer read every message's check value (tag and payload), which the proof
        // matched against what the producer sent.
        assert_ne!(
            tallies[1].checksum, 0,
            "{}: the bare consumer read no check",
            v.name
        );
        assert_eq!(
            recorded.len(),
            0,
            "{}: the bare loop reads no clock",
            v.name
        );
        // And back to the harness's own loop on the same queue.
        assert!(w.set_load(Load::Saturated { stamp_every: 1 }));
        let (check, _, recorded) = run_sample_recorded(w.as_ref(), 2, 10);
        assert_eq!(check.outcome, Outcome::Valid, "{}", v.name);
        assert_eq!(recorded.len(), check.ops, "{}", v.name);
        let one = (v.build)(&Params::default(), 1);
        assert!(!one.set_load(Load::Bare), "{} at one thread", v.name);
    }
}

#[test]
fn offered_load_stamps_one_message_in_n_with_its_due_time() {
    let per_s = 200_000.0;
    for v in VARIANTS.iter().filter(|v| !v.expected_race) {
        let w = (v.build)(&Params::default(), 2);
        let load = Load::Offered {
            per_s,
            stamp_every: 6, // rounded up to 8
        };
        assert!(w.set_load(load), "{}", v.name);
        let (check, tallies, recorded) = run_sample_recorded(w.as_ref(), 2, 20);
        assert_eq!(check.outcome, Outcome::Valid, "{}", v.name);
        let sent: u64 = tallies.iter().map(|t| t.items).sum();
        assert!(sent > 8, "{} sent {sent}", v.name);
        // One producer: seq 0, 8, 16, ... carry their due time; every message was received.
        assert_eq!(recorded.len(), sent.div_ceil(8), "{}", v.name);
    }
}
