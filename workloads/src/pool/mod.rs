//! The pool family: a fixed set of worker threads runs many small tasks fed by one submitter,
//! in three correct ways plus one with racy completion tracking.

mod channel;
mod driver;
#[cfg(test)]
mod load_tests;
mod racy;
mod sources;

use crate::proof::mix64;
use crate::spin::busy;
use crate::variant::{Family, Style, VariantInfo};

pub use channel::{ChannelWorkers, Done};
pub use driver::{ExactTracker, Pool, TaskSource, Tracker};
pub use racy::RacyTracker;
pub use sources::{SharedQueue, WorkStealing};

/// `pool/shared-queue`.
pub type SharedQueuePool = Pool<SharedQueue, ExactTracker>;
/// `pool/work-stealing`.
pub type WorkStealingPool = Pool<WorkStealing, ExactTracker>;
/// `pool/racy-completion`: work stealing for tasks, an unsynchronized counter for completions.
pub type RacyCompletionPool = Pool<WorkStealing, RacyTracker>;

pub const VARIANTS: &[VariantInfo] = &[
    VariantInfo {
        name: "pool/shared-queue",
        family: Family::Pool,
        style: Style::SharedMemory,
        expected_race: false,
        expected_deadlock: false,
        opt_in: false,
        about: "workers pull from one std Mutex<VecDeque>; idle workers park on a Condvar; a submitter thread (extra) feeds it",
        build: |p, t| Box::new(SharedQueuePool::new(p, t)),
    },
    VariantInfo {
        name: "pool/work-stealing",
        family: Family::Pool,
        style: Style::SharedMemory,
        expected_race: false,
        expected_deadlock: false,
        opt_in: false,
        about: "crossbeam-deque Injector + per-worker deques with stealing; idle workers spin then yield; a submitter thread (extra) feeds it",
        build: |p, t| Box::new(WorkStealingPool::new(p, t)),
    },
    VariantInfo {
        name: "pool/channel-workers",
        family: Family::Pool,
        style: Style::MessagePassing,
        expected_race: false,
        expected_deadlock: false,
        opt_in: false,
        about: "Go pattern: a crossbeam jobs channel fanned out to workers, a results channel fanned in to the submitter thread (extra)",
        build: |p, t| Box::new(ChannelWorkers::new(p, t)),
    },
    VariantInfo {
        name: "pool/racy-completion",
        family: Family::Pool,
        style: Style::SharedMemory,
        expected_race: true,
        expected_deadlock: false,
        opt_in: true,
        about: "DELIBERATELY RACY: work-stealing pool whose completion count is a non-atomic read-increment-write (lost completions stall the submitter)",
        build: |p, t| Box::new(RacyCompletionPool::new(p, t)),
    },
];

/// A task: its id (0, 1, ... per sample) and submit time in ns since the case's epoch.
#[derive(Debug, Clone, Copy)]
pub struct Task {
    pub id: u64,
    pub submit_ns: u64,
}

/// A task's work: `task_work` busy iterations; its result is `mix64(id)`, which the submitter
/// can predict, so results prove which tasks ran.
#[inline]
pub fn execute(task_work: u32, id: u64) -> u64 {
    busy(task_work);
    mix64(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spin::Think;
    use crate::testing::{TRIES_TO_SEE_DAMAGE, run_sample, sample_until_damage};
    use crate::{Outcome, Params, WorkerTally, Workload};

    fn small() -> Params {
        Params {
            task_work: 200,
            ..Params::default()
        }
    }

    #[test]
    fn every_correct_pool_runs_each_task_once_and_collects_its_result() {
        for v in VARIANTS.iter().filter(|v| !v.expected_race) {
            for threads in [1, 2, 3] {
                let w = (v.build)(&small(), threads);
                let check = run_sample(w.as_ref(), threads, 15);
                assert_eq!(
                    check.outcome,
                    Outcome::Valid,
                    "{} at {threads} threads",
                    v.name
                );
                assert!(
                    check.ops > 0,
                    "{} at {threads} threads completed nothing",
                    v.name
                );
            }
        }
    }

    #[test]
    fn pools_survive_several_samples_and_tiny_windows() {
        let p = Params {
            task_work: 50,
            in_flight: Some(1),
            capacity: 1,
            ..Params::default()
        };
        for v in VARIANTS.iter().filter(|v| !v.expected_race) {
            let w = (v.build)(&p, 2);
            for _ in 0..3 {
                assert_eq!(
                    run_sample(w.as_ref(), 2, 5).outcome,
                    Outcome::Valid,
                    "{}",
                    v.name
                );
            }
        }
    }

    #[test]
    fn think_work_does_not_break_validation() {
        let p = Params {
            think_work: 100,
            ..small()
        };
        for (name, threads, check) in crate::testing::assert_correct_variants_validate(VARIANTS, &p)
        {
            assert!(check.ops > 0, "{name} at {threads} threads");
        }
    }

    #[test]
    fn think_work_is_spent_once_per_task_by_every_pool() {
        let p = Params {
            think_work: 3,
            ..small()
        };
        for threads in [1, 2] {
            let (shared, stealing) = (
                SharedQueuePool::new(&p, threads),
                WorkStealingPool::new(&p, threads),
            );
            let (channel, racy) = (
                ChannelWorkers::new(&p, threads),
                RacyCompletionPool::new(&p, threads),
            );
            let cases: [(&str, &dyn Workload, &Think); 4] = [
                ("pool/shared-queue", &shared, &shared.think),
                ("pool/work-stealing", &stealing, &stealing.think),
                ("pool/channel-workers", &channel, &channel.think),
                ("pool/racy-completion", &racy, &racy.think),
            ];
            for (name, w, think) in cases {
                // Every pool's `ops` are the tasks its workers ran, racy or not.
                let check = run_sample(w, threads, 10);
                assert!(check.ops > 0, "{name} at {threads} threads ran nothing");
                assert_eq!(think.thought(), check.ops, "{name} at {threads} threads");
            }
        }
    }

    #[test]
    fn a_task_that_did_not_run_is_caught() {
        let w = SharedQueuePool::new(&small(), 1);
        let submitter = WorkerTally {
            ops: 0,
            items: 3,
            checksum: mix64(0).wrapping_add(mix64(1)).wrapping_add(mix64(2)),
        };
        let worker = WorkerTally {
            ops: 2,
            items: 0,
            checksum: 0u64.wrapping_sub(mix64(0).wrapping_add(mix64(2))),
        };
        assert!(matches!(
            w.end_sample(&[worker, submitter]).outcome,
            Outcome::Invalid(_)
        ));
        let twice = WorkerTally {
            ops: 3,
            items: 0,
            checksum: 0u64.wrapping_sub(mix64(0).wrapping_add(mix64(0)).wrapping_add(mix64(2))),
        };
        assert!(matches!(
            w.end_sample(&[twice, submitter]).outcome,
            Outcome::Invalid(_)
        ));
    }

    #[test]
    fn a_lost_result_in_the_channel_pool_is_caught() {
        let w = ChannelWorkers::new(&small(), 1);
        // Both tasks ran, but the collector only got the result of task 0.
        let collector = WorkerTally {
            ops: 0,
            items: 2,
            checksum: mix64(1),
        };
        let worker = WorkerTally {
            ops: 2,
            ..Default::default()
        };
        assert!(matches!(
            w.end_sample(&[worker, collector]).outcome,
            Outcome::Invalid(_)
        ));
    }

    #[test]
    fn racy_completion_reports_damage_never_failure_and_does_not_hang() {
        let p = Params {
            task_work: 0,
            in_flight: Some(1 << 20),
            ..Params::default()
        };
        let w = RacyCompletionPool::new(&p, 2);
        let outcomes = sample_until_damage(&w, 2, 15, TRIES_TO_SEE_DAMAGE);
        assert!(
            outcomes
                .iter()
                .all(|o| matches!(o, Outcome::RaceDamage { .. } | Outcome::RaceUnobserved)),
            "{outcomes:?}"
        );
        assert!(
            outcomes
                .iter()
                .any(|o| matches!(o, Outcome::RaceDamage { damage, .. } if *damage > 0)),
            "{outcomes:?}"
        );
        // With the default window, lost completions can stall the submitter; it still returns.
        let w = RacyCompletionPool::new(
            &Params {
                task_work: 0,
                ..Params::default()
            },
            3,
        );
        let o = run_sample(&w, 3, 10).outcome;
        assert!(
            matches!(o, Outcome::RaceDamage { .. } | Outcome::RaceUnobserved),
            "{o:?}"
        );
    }

    #[test]
    fn racy_completion_on_one_worker_loses_nothing() {
        let w = RacyCompletionPool::new(&small(), 1);
        assert_eq!(run_sample(&w, 1, 5).outcome, Outcome::RaceUnobserved);
    }
}
