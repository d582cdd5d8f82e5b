//! The actor counters' loads: saturated (the default), open loop at an offered rate, and the
//! bare reference's loop.

use std::time::{Duration, Instant};

use super::{Actor, VARIANTS};
use crate::testing::run_sample_recorded;
use crate::{Load, LoadModes, Outcome, Params, Workload};

fn actors() -> impl Iterator<Item = &'static crate::VariantInfo> {
    VARIANTS.iter().filter(|v| v.has_latency_mode())
}

/// An actor with one worker sending `batch` increments per message.
fn one_worker_actor(batch: u32) -> Actor {
    let p = Params {
        batch,
        ..Params::default()
    };
    Actor::new(&p, 1, batch)
}

#[test]
fn only_the_actors_have_loads_and_only_one_worker_has_a_bare_reference() {
    let names: Vec<&str> = actors().map(|v| v.name).collect();
    assert_eq!(names, ["counter/actor", "counter/actor-batched"]);
    for v in actors() {
        let one = (v.build)(&Params::default(), 1).load_modes();
        let two = (v.build)(&Params::default(), 2).load_modes();
        let expect = |bare| LoadModes {
            sampled_stamps: false,
            bare,
            offered: true,
        };
        assert_eq!((one, two), (expect(true), expect(false)), "{}", v.name);
        assert!(!(v.build)(&Params::default(), 2).set_load(Load::Bare));
    }
    for v in VARIANTS.iter().filter(|v| !v.has_latency_mode()) {
        let w = (v.build)(&Params::default(), 2);
        assert_eq!(w.load_modes(), LoadModes::default(), "{}", v.name);
        assert!(!w.set_load(Load::offered(1e6)), "{}", v.name);
    }
}

#[test]
fn offered_load_never_runs_ahead_of_its_schedule_and_times_every_message() {
    let per_s = 400_000.0;
    for v in actors() {
        for workers in [1, 2] {
            let p = Params {
                batch: 4,
                ..Params::default()
            };
            let w = (v.build)(&p, workers);
            assert!(w.set_load(Load::offered(per_s)), "{}", v.name);
            let started = Instant::now();
            let (check, _, recorded) = run_sample_recorded(w.as_ref(), workers, 20);
            let wall = started.elapsed().as_secs_f64();
            assert_eq!(check.outcome, Outcome::Valid, "{} at {workers}", v.name);
            assert!(check.ops > 0, "{} counted nothing", v.name);
            // Increment k is due k/rate after its worker starts: none can be sent earlier.
            assert!(
                check.ops as f64 <= per_s * wall + 8.0,
                "{}: {} increments in {wall:.3} s at {per_s}/s",
                v.name,
                check.ops
            );
            let batch = if v.name == "counter/actor" { 1 } else { 4 };
            assert_eq!(
                recorded.len() * batch,
                check.ops,
                "{}: every message is timed, each carrying a batch",
                v.name
            );
        }
    }
}

#[test]
fn offered_load_times_one_message_in_n_counting_increments() {
    // `stamp_every` counts increments: with 4 increments per message, 32 of them make one timed
    // message in 8.
    let w = one_worker_actor(4);
    let load = Load::Offered {
        per_s: 400_000.0,
        stamp_every: 32,
    };
    assert!(w.set_load(load));
    let (check, _, recorded) = run_sample_recorded(&w, 1, 20);
    assert_eq!(check.outcome, Outcome::Valid);
    let messages = check.ops / 4;
    assert!(messages > 8, "{messages} messages");
    assert_eq!(recorded.len(), messages.div_ceil(8));
}

#[test]
fn latency_counts_from_the_due_time_when_the_owner_falls_behind() {
    // The owner spends ~50 us per message and every increment is due at the start: the last
    // ones counted waited about the whole window, which a closed loop would not report.
    let p = Params {
        cs_work: 20_000,
        ..Params::default()
    };
    let w = Actor::new(&p, 1, 1);
    assert!(w.set_load(Load::offered(1e15)));
    let (check, _, recorded) = run_sample_recorded(&w, 1, 30);
    assert_eq!(check.outcome, Outcome::Valid);
    assert!(
        recorded.max() >= Duration::from_millis(10).as_nanos() as u64,
        "max {} ns",
        recorded.max()
    );
}

#[test]
fn a_batched_message_is_charged_from_its_first_increment() {
    // 64 increments per message at 64k increments/s per worker: a message leaves when its last
    // increment is due, about 1 ms after its first, so no message waited less than that.
    let w = one_worker_actor(64);
    assert!(w.set_load(Load::offered(64_000.0)));
    let (check, _, recorded) = run_sample_recorded(&w, 1, 30);
    assert_eq!(check.outcome, Outcome::Valid);
    assert!(!recorded.is_empty());
    assert!(
        recorded.min() >= 980_000,
        "min {} ns: the batch's fill time is part of the wait",
        recorded.min()
    );
}

#[test]
fn the_bare_loop_counts_only_and_the_default_comes_back() {
    for v in actors() {
        let w = (v.build)(&Params::default(), 1);
        assert!(w.set_load(Load::Bare), "{}", v.name);
        let (check, _, recorded) = run_sample_recorded(w.as_ref(), 1, 10);
        assert_eq!(check.outcome, Outcome::Valid, "{}", v.name);
        assert!(check.ops > 0, "{} counted nothing", v.name);
        assert!(
            recorded.is_empty(),
            "{}: the bare loop reads no clock",
            v.name
        );
        assert!(w.set_load(Load::Saturated { stamp_every: 1 }));
        let (check, _, recorded) = run_sample_recorded(w.as_ref(), 1, 10);
        assert_eq!(check.outcome, Outcome::Valid, "{}", v.name);
        assert!(!recorded.is_empty(), "{}: timed batches again", v.name);
    }
}

#[test]
fn a_rate_that_is_not_finite_and_positive_is_refused() {
    let w = Actor::new(&Params::default(), 1, 1);
    for bad in [0.0, -5.0, f64::NAN, f64::INFINITY] {
        assert!(!w.set_load(Load::offered(bad)), "{bad}");
    }
}
