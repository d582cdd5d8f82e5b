//! The pools' latency mode: tasks submitted on an open-loop schedule, stamped with their due
//! time; every other load leaves the pool closed-loop.

use std::time::{Duration, Instant};

use super::VARIANTS;
use crate::testing::run_sample_recorded;
use crate::{Load, Outcome, Params};

fn small() -> Params {
    Params {
        task_work: 200,
        ..Params::default()
    }
}

#[test]
fn offered_load_never_runs_ahead_of_its_schedule_and_times_every_task() {
    let per_s = 20_000.0;
    for v in VARIANTS.iter().filter(|v| !v.expected_race) {
        let w = (v.build)(&small(), 2);
        assert!(w.set_load(Load::offered(per_s)), "{}", v.name);
        let started = Instant::now();
        let (check, tallies, recorded) = run_sample_recorded(w.as_ref(), 2, 20);
        let wall = started.elapsed().as_secs_f64();
        assert_eq!(check.outcome, Outcome::Valid, "{}", v.name);
        let submitted: u64 = tallies.iter().map(|t| t.items).sum();
        assert!(submitted > 0, "{} submitted nothing", v.name);
        // Task k is due k/rate after the submitter starts: it can never submit faster.
        assert!(
            submitted as f64 <= per_s * wall + 1.0,
            "{}: {submitted} submitted in {wall:.3} s at {per_s}/s",
            v.name
        );
        assert_eq!(recorded.len(), check.ops, "{}: every task is timed", v.name);
    }
}

#[test]
fn latency_counts_from_the_due_time_when_the_window_holds_tasks_back() {
    // A rate no pool can take: every task is due at the window's start, and the window (a few
    // tasks per worker) holds the rest back, so late tasks wait about the whole window. A closed
    // loop would report only their time in the pool.
    for v in VARIANTS.iter().filter(|v| !v.expected_race) {
        let w = (v.build)(&small(), 2);
        assert!(w.set_load(Load::offered(1e15)), "{}", v.name);
        let (check, _, recorded) = run_sample_recorded(w.as_ref(), 2, 20);
        assert_eq!(check.outcome, Outcome::Valid, "{}", v.name);
        assert!(
            recorded.max() >= Duration::from_millis(10).as_nanos() as u64,
            "{}: max {} ns",
            v.name,
            recorded.max()
        );
    }
}

#[test]
fn only_an_offered_rate_turns_the_latency_mode_on() {
    for v in VARIANTS.iter().filter(|v| !v.expected_race) {
        let w = (v.build)(&small(), 2);
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(!w.set_load(Load::offered(bad)), "{}: {bad}", v.name);
        }
        assert!(
            !w.set_load(Load::Saturated { stamp_every: 8 }),
            "{}",
            v.name
        );
        assert!(!w.set_load(Load::Bare), "{}", v.name);
        // Back to the closed loop: a sample runs as before.
        assert!(w.set_load(Load::offered(1000.0)));
        assert!(!w.set_load(Load::Saturated { stamp_every: 1 }));
        let (check, _, recorded) = run_sample_recorded(w.as_ref(), 2, 15);
        assert_eq!(check.outcome, Outcome::Valid, "{}", v.name);
        assert!(
            check.ops > 20,
            "{}: closed loop ran {} tasks",
            v.name,
            check.ops
        );
        assert_eq!(recorded.len(), check.ops);
    }
}
