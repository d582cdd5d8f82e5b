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
    /// Calibration only (`--head-scale-throughput`): the head's measured throughput is multiplied
    /// by this as it is read (1 otherwise): a change of exactly known size with the real noise.
    pub head_scale: f64,
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

/// Multiplies every sample's work and throughput by `factor` (calibration's exact injection).
fn scale_throughput(results: &mut Results, factor: f64) {
    for case in &mut results.cases {
        for s in &mut case.samples {
            s.throughput *= factor;
            s.ops = (s.ops as f64 * factor).round() as u64;
        }
    }
}

/// Why a measured fork should not count, for a reason that does not depend on the build: the
/// runner marked one of its samples disturbed (steal time, preemption, run-queue wait, migration).
pub fn disturbance(results: &Results) -> Option<String> {
    results.cases[0]
        .samples
        .iter()
        .filter_map(|s| s.evidence.as_ref())
        .find(|e| !e.disturbed.is_empty())
        .map(|e| e.disturbed.join(", "))
}

/// Forks of one case so far that completed no work, per side.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Idle {
    pub base: u32,
    pub head: u32,
}

/// A side that did no work this many times is broken (the head) or unmeasurable (the base):
/// once may be the host stalling the vCPUs for a whole window (seen here: 0 products in a 92 ms
/// window of `matmul/shared-rows@2`, on an A/A); twice is the build.
pub const IDLE_LIMIT: u32 = 2;

/// Measures one pair of `case`: both sides in `order`, each killed after `timeout`.
/// `Err` is bad input for the whole A/B (a binary that does not run or rejects the options).
pub fn pair(
    case: &AbCase,
    base: &Side,
    head: &Side,
    order: Order,
    timeout: Duration,
    idle: &mut Idle,
) -> Result<PairResult<Measured>, UsageError> {
    let measure = |side: &Side| {
        let args = if side.name == "head" {
            &case.head_args
        } else {
            &case.base_args
        };
        let result = run_fork(&side.binary, args, &case.key, &side.scratch, timeout);
        match result {
            ForkResult::Measured(mut r) if side.name == "head" && case.head_scale != 1.0 => {
                scale_throughput(&mut r, case.head_scale);
                ForkResult::Measured(r)
            }
            other => other,
        }
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
    judge(b, h, idle)
}

/// What a pair of fork results means for the gate; `idle` counts the case's idle forks so far.
pub fn judge(
    base: ForkResult,
    head: ForkResult,
    idle: &mut Idle,
) -> Result<PairResult<Measured>, UsageError> {
    Ok(match (base, head) {
        (ForkResult::Rejected(why), _) => return Err(UsageError::new(format!("base: {why}"))),
        (_, ForkResult::Rejected(why)) => return Err(UsageError::new(format!("head: {why}"))),
        (ForkResult::Measured(b), ForkResult::Measured(h)) => {
            let (base, head) = (Measured { results: *b }, Measured { results: *h });
            let why: Vec<String> = [("base", &base), ("head", &head)]
                .iter()
                .filter_map(|(name, m)| disturbance(&m.results).map(|d| format!("{name}: {d}")))
                .collect();
            if why.is_empty() {
                PairResult::Pair { base, head }
            } else {
                PairResult::Discard {
                    why: format!("disturbed: {}", why.join("; ")),
                    base,
                    head,
                }
            }
        }
        (b @ (ForkResult::Idle { .. } | ForkResult::Measured(_)), h @ ForkResult::Idle { .. })
        | (b @ ForkResult::Idle { .. }, h @ ForkResult::Measured(_)) => {
            let idle_why = |r: &ForkResult| match r {
                ForkResult::Idle { why, .. } => Some(why.clone()),
                _ => None,
            };
            let (bw, hw) = (idle_why(&b), idle_why(&h));
            idle.base += u32::from(bw.is_some());
            idle.head += u32::from(hw.is_some());
            let said = [("base", &bw), ("head", &hw)]
                .iter()
                .filter_map(|(side, w)| w.as_ref().map(|w| format!("{side}: {w}")))
                .collect::<Vec<_>>()
                .join("; ");
            if idle.head >= IDLE_LIMIT && idle.base == 0 {
                PairResult::Broken(format!(
                    "head did no work in {} forks where the base always did ({said})",
                    idle.head
                ))
            } else if idle.base >= IDLE_LIMIT || idle.head >= IDLE_LIMIT {
                PairResult::NotComparable(format!(
                    "forks did no work (base {}, head {} times; {said})",
                    idle.base, idle.head
                ))
            } else {
                PairResult::Retry(format!("did no work once, measured again ({said})"))
            }
        }
        (ForkResult::Measured(_) | ForkResult::Idle { .. }, ForkResult::Broken { why, .. }) => {
            PairResult::Broken(format!("head: {why} (the base ran fine)"))
        }
        (ForkResult::Broken { why, .. }, ForkResult::Measured(_) | ForkResult::Idle { .. }) => {
            PairResult::NotComparable(format!("base: {why} (the head ran fine)"))
        }
        (ForkResult::Broken { why: b, .. }, ForkResult::Broken { why: h, .. }) => {
            PairResult::NotComparable(format!("both sides broken: base: {b}; head: {h}"))
        }
    })
}
