//! `counter/racy`: the classic lost update, on purpose, so the race detector has a true positive.

use std::cell::UnsafeCell;

use crate::spin::{Think, busy};
use crate::{Outcome, Params, SampleCheck, WorkerCtx, WorkerTally, Workload};

/// A `u64` that every worker reads, increments and writes back without synchronization.
pub struct Racy {
    count: UnsafeCell<u64>,
    cs_work: u32,
    pub(crate) think: Think,
}

// SAFETY: it is NOT safe: concurrent unsynchronized access to `count` is a data race, which is
// exactly what this variant exists to demonstrate (lost updates, and a ThreadSanitizer report).
// It is opt-in only and never part of the default suite.
unsafe impl Sync for Racy {}

impl Racy {
    pub fn new(p: &Params) -> Self {
        Racy {
            count: UnsafeCell::new(0),
            cs_work: p.cs_work,
            think: Think::new(p.think_work),
        }
    }

    /// Read, (work), write back read + 1: two threads interleaving here lose an update.
    #[inline]
    fn increment(&self) {
        let p = self.count.get();
        // SAFETY: deliberately racy (see `unsafe impl Sync`); volatile keeps one read and one
        // write per increment so the compiler does not fold the loop into one addition.
        let v = unsafe { p.read_volatile() };
        busy(self.cs_work);
        // SAFETY: as above.
        unsafe { p.write_volatile(v + 1) };
        self.think.op();
    }
}

impl Workload for Racy {
    fn begin_sample(&self) {
        // SAFETY: no worker runs between samples.
        unsafe { *self.count.get() = 0 };
    }

    fn run(&self, ctx: &mut WorkerCtx) -> WorkerTally {
        WorkerTally {
            ops: ctx.timed_batches(|| self.increment()),
            ..Default::default()
        }
    }

    fn end_sample(&self, tallies: &[WorkerTally]) -> SampleCheck {
        let expected: u64 = tallies.iter().map(|t| t.ops).sum();
        // SAFETY: every worker has finished (joined on the runner's rendezvous).
        let counted = unsafe { *self.count.get() };
        let outcome = if counted == expected {
            Outcome::RaceUnobserved
        } else {
            let lost = expected.saturating_sub(counted);
            Outcome::RaceDamage {
                damage: lost,
                detail: format!(
                    "lost {lost} of {expected} updates ({:.2}%)",
                    100.0 * lost as f64 / expected.max(1) as f64
                ),
            }
        };
        SampleCheck {
            ops: expected,
            outcome,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{TRIES_TO_SEE_DAMAGE, run_sample, sample_until_damage};

    #[test]
    fn lost_updates_are_reported_as_damage_not_failure() {
        let w = Racy::new(&Params {
            cs_work: 20,
            ..Params::default()
        });
        // A race needs the two threads to overlap; sample until they did (a 2-core machine gives
        // that within milliseconds unless it is very busy).
        let outcomes = sample_until_damage(&w, 2, 20, TRIES_TO_SEE_DAMAGE);
        assert!(
            outcomes
                .iter()
                .all(|o| matches!(o, Outcome::RaceDamage { .. } | Outcome::RaceUnobserved))
        );
        assert!(
            outcomes
                .iter()
                .any(|o| matches!(o, Outcome::RaceDamage { damage, .. } if *damage > 0)),
            "{outcomes:?}"
        );
    }

    #[test]
    fn one_thread_loses_nothing() {
        let w = Racy::new(&Params::default());
        assert_eq!(run_sample(&w, 1, 5).outcome, Outcome::RaceUnobserved);
    }
}
