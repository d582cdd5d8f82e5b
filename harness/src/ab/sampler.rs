//! One pair of the A/B: a fork of the base build and a fork of the head build of one case, back to
//! back in the given order, each a fresh `BIN run` process ([`crate::fork`]); and what the pair
//! means for the gate (measured, broken head, base not measurable, or measure again).

use std::path::PathBuf;
use std::time::Duration;

use contend_reports::schema::Results;

use super::schedule::{Order, PairResult, Throughput};
use crate::cli::RunArgs;
use crate::error::UsageError;
use crate::fork::{ForkResult, fork_value, run_fork};

/// One side of the A/B: a binary and where its forks write.
#[derive(Debug, Clone)]
pub struct Side {
    /// `base` or `head`.
    pub name: &'static str,
    pub binary: PathBuf,
    /// Scratch directory for this side's forks.
    pub scratch: PathBuf,
}

/// One case of the A/B: its key and each side's `run` options for one fork of it.
#[derive(Debug, Clone)]
pub struct AbCase {
    pub key: String,
    pub threshold: f64,
    pub base_args: RunArgs,
    pub head_args: RunArgs,
}

/// One measured fork of one side: its results file with exactly one proven case.
#[derive(Debug, Clone)]
pub struct Measured {
    pub results: Results,
}

impl Throughput for Measured {
    /// The fork's value: the median of its samples.
    fn throughput(&self) -> f64 {
        fork_value(&self.results)
    }
}

/// Measures one pair of `case`: both sides in `order`, each killed after `timeout`.
/// `Err` is bad input for the whole A/B (a binary that does not run or rejects the options).
pub fn pair(
    case: &AbCase,
    base: &Side,
    head: &Side,
    order: Order,
    timeout: Duration,
) -> Result<PairResult<Measured>, UsageError> {
    let measure = |side: &Side| {
        let args = if side.name == "head" {
            &case.head_args
        } else {
            &case.base_args
        };
        run_fork(&side.binary, args, &case.key, &side.scratch, timeout)
    };
    let (b, h) = match order {
        Order::BaseFirst => {
            let b = measure(base);
            (b, measure(head))
        }
        Order::HeadFirst => {
            let h = measure(head);
            (measure(base), h)
        }
    };
    judge(b, h)
}

/// What a pair of fork results means for the gate.
pub fn judge(base: ForkResult, head: ForkResult) -> Result<PairResult<Measured>, UsageError> {
    Ok(match (base, head) {
        (ForkResult::Rejected(why), _) => return Err(UsageError::new(format!("base: {why}"))),
        (_, ForkResult::Rejected(why)) => return Err(UsageError::new(format!("head: {why}"))),
        (ForkResult::Measured(b), ForkResult::Measured(h)) => {
            let (base, head) = (Measured { results: *b }, Measured { results: *h });
            PairResult::Pair { base, head }
        }
        (ForkResult::Measured(_), ForkResult::Broken { why, .. }) => {
            PairResult::Broken(format!("head: {why} (the base ran fine)"))
        }
        (ForkResult::Broken { why, .. }, ForkResult::Measured(_)) => {
            PairResult::NotComparable(format!("base: {why} (the head ran fine)"))
        }
        (ForkResult::Broken { why: b, .. }, ForkResult::Broken { why: h, .. }) => {
            PairResult::NotComparable(format!("both sides broken: base: {b}; head: {h}"))
        }
    })
}
