//! The deadlock family: the primer's bank transfer between two accounts, with and without a
//! global lock order. Half the workers move money from account 0 to 1, the other half back.

use crate::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::spin::{Think, busy};
use crate::variant::{Family, Style, VariantInfo};
use crate::{Outcome, Params, SampleCheck, WorkerCtx, WorkerTally, Workload};

pub const VARIANTS: &[VariantInfo] = &[
    VariantInfo {
        name: "deadlock/ordered-locks",
        family: Family::Deadlock,
        style: Style::SharedMemory,
        expected_race: false,
        expected_deadlock: false,
        opt_in: false,
        about: "transfers lock both accounts in one global order (lower index first): cannot deadlock",
        build: |p, t| Box::new(Bank::new(p, t, LockOrder::Global)),
    },
    VariantInfo {
        name: "deadlock/naive-locks",
        family: Family::Deadlock,
        style: Style::SharedMemory,
        expected_race: false,
        expected_deadlock: true,
        opt_in: true,
        about: "DEADLOCK-PRONE: each transfer locks its source, then its target; opposite transfers wait on each other forever",
        build: |p, t| Box::new(Bank::new(p, t, LockOrder::SourceFirst)),
    },
];

/// Starting balance of each account.
const OPENING_BALANCE: i64 = 1_000_000_000;
/// `waiting_for` value of a thread that waits for no lock.
const NOT_WAITING: usize = usize::MAX;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockOrder {
    /// Lock the lower-numbered account first, whatever the direction (the fix).
    Global,
    /// Lock the source account, then the target (the classic deadlock).
    SourceFirst,
}

/// Two accounts and the workers transferring between them.
pub struct Bank {
    accounts: [Mutex<i64>; 2],
    order: LockOrder,
    /// Per thread: the account it is waiting to lock, or `NOT_WAITING`.
    waiting_for: Box<[AtomicUsize]>,
    /// Per thread: the account it holds while waiting for the other, or `NOT_WAITING`.
    holding: Box<[AtomicUsize]>,
    cs_work: u32,
    pub(crate) think: Think,
    /// Busy iterations the workers paying from account 1 spend before their first transfer: a
    /// quarter of a think, so with think work the opposite transfers start out of phase
    /// (`contend tsan` relies on it to see the lock-order inversion in a run that cannot
    /// deadlock). Zero without think work.
    stagger: u32,
}

impl Bank {
    pub fn new(p: &Params, threads: usize, order: LockOrder) -> Self {
        let slots = || {
            (0..threads.max(1))
                .map(|_| AtomicUsize::new(NOT_WAITING))
                .collect()
        };
        Bank {
            accounts: [Mutex::new(OPENING_BALANCE), Mutex::new(OPENING_BALANCE)],
            order,
            waiting_for: slots(),
            holding: slots(),
            cs_work: p.cs_work,
            think: Think::new(p.think_work),
            stagger: p.think_work / 4,
        }
    }

    /// Worker `index`'s direction: even workers pay from 0 to 1, odd ones from 1 to 0.
    fn direction(index: usize) -> (usize, usize) {
        if index.is_multiple_of(2) {
            (0, 1)
        } else {
            (1, 0)
        }
    }

    /// Moves one unit from `from` to `to`, locking per the variant's order; `me` is the thread index.
    #[inline]
    pub fn transfer(&self, me: usize, from: usize, to: usize) {
        let (first, second) = match self.order {
            LockOrder::Global => (from.min(to), from.max(to)),
            LockOrder::SourceFirst => (from, to),
        };
        let lock = |i: usize| self.accounts[i].lock().unwrap_or_else(|e| e.into_inner());
        let mut a = lock(first);
        self.holding[me].store(first, Ordering::Relaxed);
        self.waiting_for[me].store(second, Ordering::Relaxed);
        let mut b = lock(second);
        self.waiting_for[me].store(NOT_WAITING, Ordering::Relaxed);
        self.holding[me].store(NOT_WAITING, Ordering::Relaxed);
        busy(self.cs_work);
        let (src, dst) = if first == from {
            (&mut *a, &mut *b)
        } else {
            (&mut *b, &mut *a)
        };
        *src -= 1;
        *dst += 1;
        drop(b);
        drop(a);
        self.think.op();
    }

    fn balance(&self, i: usize) -> i64 {
        *self.accounts[i].lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Workload for Bank {
    fn begin_sample(&self) {
        for a in &self.accounts {
            *a.lock().unwrap_or_else(|e| e.into_inner()) = OPENING_BALANCE;
        }
    }

    fn run(&self, ctx: &mut WorkerCtx) -> WorkerTally {
        let me = ctx.index();
        let (from, to) = Self::direction(me);
        if from == 1 {
            busy(self.stagger);
        }
        WorkerTally {
            ops: ctx.timed_batches(|| self.transfer(me, from, to)),
            ..Default::default()
        }
    }

    fn end_sample(&self, tallies: &[WorkerTally]) -> SampleCheck {
        check_balances(tallies, [self.balance(0), self.balance(1)])
    }

    fn blocked_on(&self, index: usize) -> Option<String> {
        let waiting = self.waiting_for.get(index)?.load(Ordering::Relaxed);
        let holding = self.holding[index].load(Ordering::Relaxed);
        (waiting != NOT_WAITING)
            .then(|| format!("holds account {holding}'s lock, waits for account {waiting}'s"))
    }
}

/// Proves the ledger: money is conserved and account 0 moved by exactly (odd - even) transfers.
fn check_balances(tallies: &[WorkerTally], balances: [i64; 2]) -> SampleCheck {
    let sent = |parity: usize| -> i64 {
        tallies
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 2 == parity)
            .map(|(_, t)| t.ops as i64)
            .sum()
    };
    let expected0 = OPENING_BALANCE - sent(0) + sent(1);
    let ops = tallies.iter().map(|t| t.ops).sum();
    let outcome = if balances[0] + balances[1] != 2 * OPENING_BALANCE {
        Outcome::Invalid(format!(
            "money not conserved: balances {balances:?} sum to {}",
            balances[0] + balances[1]
        ))
    } else if balances[0] != expected0 {
        Outcome::Invalid(format!(
            "account 0 holds {}, expected {expected0}",
            balances[0]
        ))
    } else {
        Outcome::Valid
    };
    SampleCheck { ops, outcome }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::run_sample;

    #[test]
    fn ordered_transfers_conserve_money_at_any_thread_count() {
        for threads in [1, 2, 3, 4] {
            let w = Bank::new(&Params::default(), threads, LockOrder::Global);
            assert_eq!(
                run_sample(&w, threads, 20).outcome,
                Outcome::Valid,
                "{threads} threads"
            );
        }
    }

    #[test]
    fn think_work_is_spent_once_per_transfer_and_the_ledger_still_balances() {
        let p = Params {
            think_work: 3,
            ..Params::default()
        };
        for threads in [1, 2, 3] {
            let w = Bank::new(&p, threads, LockOrder::Global);
            let check = run_sample(&w, threads, 10);
            assert_eq!(check.outcome, Outcome::Valid, "{threads} threads");
            assert!(check.ops > 0, "{threads} threads");
            assert_eq!(w.think.thought(), check.ops, "{threads} threads");
        }
    }

    #[test]
    fn naive_transfers_are_correct_alone() {
        // One thread cannot deadlock: the naive order is only dangerous with opposite transfers.
        let w = Bank::new(&Params::default(), 1, LockOrder::SourceFirst);
        assert_eq!(run_sample(&w, 1, 10).outcome, Outcome::Valid);
    }

    #[test]
    fn a_broken_ledger_is_caught() {
        let t = |ops| WorkerTally {
            ops,
            ..Default::default()
        };
        let ok = check_balances(&[t(5), t(2)], [OPENING_BALANCE - 3, OPENING_BALANCE + 3]);
        assert_eq!(ok.outcome, Outcome::Valid);
        assert!(matches!(
            check_balances(&[t(5), t(2)], [OPENING_BALANCE - 3, OPENING_BALANCE + 2]).outcome,
            Outcome::Invalid(_)
        ));
        assert!(matches!(
            check_balances(&[t(5), t(2)], [OPENING_BALANCE - 4, OPENING_BALANCE + 4]).outcome,
            Outcome::Invalid(_)
        ));
    }

    #[test]
    fn a_waiting_thread_says_what_it_holds_and_waits_for() {
        let w = Bank::new(&Params::default(), 2, LockOrder::SourceFirst);
        assert_eq!(w.blocked_on(0), None);
        w.holding[1].store(1, Ordering::Relaxed);
        w.waiting_for[1].store(0, Ordering::Relaxed);
        assert_eq!(
            w.blocked_on(1).unwrap(),
            "holds account 1's lock, waits for account 0's"
        );
    }
}
