//! The counter family: many threads add 1 to one logical count, in six ways plus a racy one.

mod actor;
#[cfg(test)]
mod load_tests;
mod racy;
mod shared;

use crate::variant::{Family, Style, VariantInfo};
use crate::{Outcome, SampleCheck, WorkerTally};

pub use actor::Actor;
pub use racy::Racy;
pub use shared::{Atomic, FalseSharing, Locked, Sharded};

pub const VARIANTS: &[VariantInfo] = &[
    VariantInfo {
        name: "counter/mutex",
        family: Family::Counter,
        style: Style::SharedMemory,
        expected_race: false,
        expected_deadlock: false,
        opt_in: false,
        about: "one u64 behind std::sync::Mutex; cs-work runs while holding the lock",
        build: |p, _| Box::new(Locked::new(p)),
    },
    VariantInfo {
        name: "counter/atomic",
        family: Family::Counter,
        style: Style::SharedMemory,
        expected_race: false,
        expected_deadlock: false,
        opt_in: false,
        about: "one AtomicU64, fetch_add(1)",
        build: |p, _| Box::new(Atomic::new(p)),
    },
    VariantInfo {
        name: "counter/sharded",
        family: Family::Counter,
        style: Style::SharedMemory,
        expected_race: false,
        expected_deadlock: false,
        opt_in: false,
        about: "one AtomicU64 per thread, each padded to its own cache line, summed at the end",
        build: |p, t| Box::new(Sharded::new(p, t)),
    },
    VariantInfo {
        name: "counter/false-sharing",
        family: Family::Counter,
        style: Style::SharedMemory,
        expected_race: false,
        expected_deadlock: false,
        opt_in: false,
        about: "one AtomicU64 per thread, adjacent in one cache line: the cost of false sharing",
        build: |p, t| Box::new(FalseSharing::new(p, t)),
    },
    VariantInfo {
        name: "counter/actor",
        family: Family::Counter,
        style: Style::MessagePassing,
        expected_race: false,
        expected_deadlock: false,
        opt_in: false,
        about: "an owner thread (extra) owns the count; workers send each increment over a bounded crossbeam channel",
        build: |p, t| Box::new(Actor::new(p, t, 1)),
    },
    VariantInfo {
        name: "counter/actor-batched",
        family: Family::Counter,
        style: Style::MessagePassing,
        expected_race: false,
        expected_deadlock: false,
        opt_in: false,
        about: "as counter/actor, but workers add locally and send one message per --batch increments",
        build: |p, t| Box::new(Actor::new(p, t, p.batch.max(1))),
    },
    VariantInfo {
        name: "counter/racy",
        family: Family::Counter,
        style: Style::SharedMemory,
        expected_race: true,
        expected_deadlock: false,
        opt_in: true,
        about: "DELIBERATELY RACY: non-atomic read-increment-write through UnsafeCell (lost updates)",
        build: |p, _| Box::new(Racy::new(p)),
    },
];

/// Sum of the workers' operations: what a correct counter must end up holding.
fn expected_total(tallies: &[WorkerTally]) -> u64 {
    tallies.iter().map(|t| t.ops).sum()
}

/// Proves a correct counter: the final count equals the operations the workers performed.
fn check_exact(tallies: &[WorkerTally], counted: u64) -> SampleCheck {
    let expected = expected_total(tallies);
    let outcome = if counted == expected {
        Outcome::Valid
    } else {
        Outcome::Invalid(format!(
            "count is {counted}, expected {expected} (difference {})",
            expected as i128 - counted as i128
        ))
    };
    SampleCheck {
        ops: expected,
        outcome,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::Params;
    use crate::testing::run_sample;

    #[test]
    fn every_correct_counter_counts_exactly() {
        for v in VARIANTS.iter().filter(|v| !v.expected_race) {
            for threads in [1, 2, 3] {
                let w = (v.build)(&Params::default(), threads);
                let check = run_sample(w.as_ref(), threads, 20);
                assert_eq!(
                    check.outcome,
                    Outcome::Valid,
                    "{} at {threads} threads",
                    v.name
                );
                assert!(check.ops > 0, "{} did no work", v.name);
            }
        }
    }

    #[test]
    fn a_wrong_count_is_caught() {
        let tallies = [
            WorkerTally {
                ops: 10,
                ..Default::default()
            },
            WorkerTally {
                ops: 5,
                ..Default::default()
            },
        ];
        assert!(matches!(
            check_exact(&tallies, 14).outcome,
            Outcome::Invalid(_)
        ));
        assert_eq!(check_exact(&tallies, 15).outcome, Outcome::Valid);
    }

    #[test]
    fn knobs_do_not_break_validation() {
        let p = Params {
            cs_work: 50,
            think_work: 50,
            batch: 7,
            ..Params::default()
        };
        for v in VARIANTS.iter().filter(|v| !v.expected_race) {
            let w = (v.build)(&p, 2);
            assert_eq!(
                run_sample(w.as_ref(), 2, 10).outcome,
                Outcome::Valid,
                "{}",
                v.name
            );
        }
    }

    #[test]
    fn think_work_is_spent_once_per_increment_in_every_counter() {
        let p = Params {
            think_work: 3,
            batch: 7,
            ..Params::default()
        };
        let threads = 2;
        let (locked, atomic) = (Locked::new(&p), Atomic::new(&p));
        let (sharded, false_sharing) = (Sharded::new(&p, threads), FalseSharing::new(&p, threads));
        let (actor, batched) = (Actor::new(&p, threads, 1), Actor::new(&p, threads, p.batch));
        let racy = Racy::new(&p);
        let cases: [(&str, &dyn crate::Workload, &crate::spin::Think); 7] = [
            ("counter/mutex", &locked, &locked.think),
            ("counter/atomic", &atomic, &atomic.think),
            ("counter/sharded", &sharded, &sharded.think),
            (
                "counter/false-sharing",
                &false_sharing,
                &false_sharing.think,
            ),
            ("counter/actor", &actor, &actor.think),
            ("counter/actor-batched", &batched, &batched.think),
            ("counter/racy", &racy, &racy.think),
        ];
        for (name, w, think) in cases {
            let check = run_sample(w, threads, 10);
            assert!(check.ops > 0, "{name} did no work");
            assert_eq!(
                think.thought(),
                check.ops,
                "{name}: one think per increment"
            );
            if name != "counter/racy" {
                assert_eq!(check.outcome, Outcome::Valid, "{name}");
            }
        }
    }

    #[test]
    fn think_work_zero_thinks_about_nothing() {
        let w = Atomic::new(&Params::default());
        assert!(run_sample(&w, 1, 5).ops > 0);
        assert_eq!(w.think.thought(), 0);
    }
}
