//! Multimodality: whether a case's forks (or, with fewer than four forks, its samples) fall into
//! two separate modes, as on VMs where a whole process lands on fast or slow vCPU placement.
//!
//! # Test
//!
//! On log throughput (a mode is a ratio), the values are split into a low and a high group where
//! the within-group sum of squares is least (the optimal two-group split of one dimension,
//! Fisher 1958 / Jenks; it is 2-means). The split is a second mode when both:
//! - the groups are far apart for their spread: `(mean_hi - mean_lo) / s >= C(n)`, `s`
//!   the pooled within-group standard deviation (n - 2 degrees of freedom), floored at 0.5% so
//!   that near-identical values do not make every small difference a mode;
//! - and far apart in absolute terms: the high group's median is at least `MIN_RATIO` times the
//!   low one's (10%: less is noise for a report, whatever the test says).
//!
//! A mode may be a single fork (one process of six in the other placement is exactly what this
//! looks for); among samples a mode needs two (one slow window is a stall: the warnings and the
//! evidence report those). `C(n)` ([`critical_separation`]) was chosen by simulation on data shaped
//! like ours (`print_flag_rates` in the tests; they assert these with margins): unimodal
//! log-normal noise is flagged in 0.1-0.6% of sets at CV 5% and 0.8-1.4% at CV 30%, for 4 to 80
//! values; a heavy (Student-t3) tail's far values look like a mode in 0.8-5% (worst at 8 values);
//! the 1-in-6 fork at 2.7x of the motivating VM in more than 99%.

use crate::schema::Case;
use crate::stats::median;

/// Pooled-SD separation a split of `n` values needs to be a second mode: about the 99th
/// percentile of the best split's separation in unimodal log-normal noise (measured by
/// `print_separation_quantiles` in the tests), interpolated between the measured `n`. Small sets
/// need far more: with four values the best split leaves one or two degrees of freedom.
pub fn critical_separation(n: usize) -> f64 {
    const TABLE: [(usize, f64); 10] = [
        (4, 24.0),
        (5, 14.0),
        (6, 10.3),
        (8, 7.5),
        (9, 6.5),
        (12, 5.5),
        (16, 4.9),
        (20, 4.5),
        (40, 3.75),
        (80, 3.3),
    ];
    match TABLE.iter().position(|&(m, _)| m >= n) {
        None => TABLE[TABLE.len() - 1].1,
        Some(0) => TABLE[0].1,
        Some(i) => {
            let ((a, ca), (b, cb)) = (TABLE[i - 1], TABLE[i]);
            ca + (cb - ca) * (n - a) as f64 / (b - a) as f64
        }
    }
}
/// The high mode's median over the low one's, at least.
pub const MIN_RATIO: f64 = 1.10;
/// Floor of the pooled within-group SD of log values (0.5%).
const SPREAD_FLOOR: f64 = 0.005;
/// Fewest values the test looks at.
const MIN_VALUES: usize = 4;

/// What the modes are made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Forks,
    Samples,
}

impl Unit {
    pub fn name(self, n: usize) -> &'static str {
        match (self, n) {
            (Unit::Forks, 1) => "fork",
            (Unit::Forks, _) => "forks",
            (Unit::Samples, 1) => "sample",
            (Unit::Samples, _) => "samples",
        }
    }
}

/// One mode: its median and which values (indices into the input) belong to it.
#[derive(Debug, Clone, PartialEq)]
pub struct Mode {
    pub median: f64,
    pub members: Vec<usize>,
}

/// Two modes found in a set of values, low first.
#[derive(Debug, Clone, PartialEq)]
pub struct Modes {
    pub unit: Unit,
    pub low: Mode,
    pub high: Mode,
    /// `(mean_hi - mean_lo) / s` of the log values.
    pub separation: f64,
}

impl Modes {
    /// `2 modes: 67.1 M/s (5 forks), 185 M/s (1 fork)`, in `unit`/s.
    pub fn describe(&self, unit: &str) -> String {
        let one = |m: &Mode| {
            format!(
                "{} {unit}/s ({} {})",
                crate::format::si(m.median),
                m.members.len(),
                self.unit.name(m.members.len())
            )
        };
        format!("2 modes: {}, {}", one(&self.low), one(&self.high))
    }
}

/// The best two-group split of `values` (at least `min_members` each), as the sorted order, the
/// split point in it and the separation; None for too few or non-positive values.
fn best_split(values: &[f64], min_members: usize) -> Option<(Vec<usize>, usize, f64)> {
    let n = values.len();
    let min_members = min_members.max(1);
    if n < MIN_VALUES.max(2 * min_members) || values.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
        return None;
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let logs: Vec<f64> = order.iter().map(|&i| values[i].ln()).collect();
    let ss = |part: &[f64]| {
        let mean = part.iter().sum::<f64>() / part.len() as f64;
        (mean, part.iter().map(|x| (x - mean).powi(2)).sum::<f64>())
    };
    let (k, within, gap) = (min_members..=n - min_members)
        .map(|k| {
            let ((ml, sl), (mh, sh)) = (ss(&logs[..k]), ss(&logs[k..]));
            (k, sl + sh, mh - ml)
        })
        .min_by(|a, b| a.1.total_cmp(&b.1))?;
    let s = (within / (n - 2) as f64).sqrt().max(SPREAD_FLOOR);
    Some((order, k, gap / s))
}

/// The best two-group split of `values` with at least `min_members` in each group, if it is two
/// modes by the test above. None for fewer than four values or any non-positive value.
pub fn two_modes(values: &[f64], min_members: usize, unit: Unit) -> Option<Modes> {
    let (order, k, separation) = best_split(values, min_members)?;
    let mode = |idx: &[usize]| Mode {
        median: median(&idx.iter().map(|&i| values[i]).collect::<Vec<_>>()),
        members: {
            let mut m = idx.to_vec();
            m.sort_unstable();
            m
        },
    };
    let (low, high) = (mode(&order[..k]), mode(&order[k..]));
    (separation >= critical_separation(values.len()) && high.median >= MIN_RATIO * low.median)
        .then_some(Modes {
            unit,
            low,
            high,
            separation,
        })
}

/// Fewest forks a mode needs among `n`: one among up to eight (a lone process in the other
/// placement is what this looks for), then one per eight forks (among many, a few far values are
/// as likely a heavy tail as a mode).
pub fn min_members(n: usize) -> usize {
    n.div_ceil(8).max(1)
}

/// A case's modes: over its forks' medians when it has four or more forks (fork ids, in
/// ascending order, are the members), else over its samples (indices into `case.samples`).
pub fn case_modes(case: &Case) -> Option<Modes> {
    let forks = crate::compare::fork_values(&case.samples);
    if forks.len() >= MIN_VALUES {
        let ids: Vec<u32> = {
            let mut ids: Vec<u32> = case.samples.iter().map(|s| s.fork).collect();
            ids.sort_unstable();
            ids.dedup();
            ids
        };
        let mut m = two_modes(&forks, min_members(forks.len()), Unit::Forks)?;
        for mode in [&mut m.low, &mut m.high] {
            mode.members = mode.members.iter().map(|&i| ids[i] as usize).collect();
        }
        return Some(m);
    }
    let samples: Vec<f64> = case.samples.iter().map(|s| s.throughput).collect();
    two_modes(&samples, 2, Unit::Samples)
}

#[cfg(test)]
#[path = "modes_tests.rs"]
mod tests;
