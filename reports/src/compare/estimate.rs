//! Throughput change between two sample sets: point estimate, confidence interval, minimum
//! detectable change (MDC), and the verdict against a threshold.
//!
//! Everything works on the log of throughput, so a change is a ratio `head / base` and noise that
//! scales with throughput is treated alike at every speed.
//!
//! - Independent samples: the Hodges-Lehmann shift (median of all `n m` pairwise differences
//!   `ln head_j - ln base_i`) with its distribution-free interval from the Mann-Whitney
//!   distribution (exact for `n m <= 10000`).
//! - Paired samples: the Hodges-Lehmann centre of the per-pair log ratios `ln(head_i / base_i)`
//!   (median of their Walsh averages) with its interval from the Wilcoxon signed-rank
//!   distribution (exact for `n <= 100`). Drift that hits both members of a pair cancels.
//!
//! The MDC is the half-width of the interval, as a ratio: `exp((U - L) / 2) - 1` for the log
//! interval `[L, U]`. A true change smaller than the MDC could not have been told from none.

use std::fmt;

use super::ranks::{rank_sum_cut, signed_rank_cut};

/// The outcome of comparing one case, by its exact name in tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verdict {
    /// The head failed validation, deadlocked, crashed, timed out, or did no work where the base
    /// ran fine: it fails the gate whatever the numbers say.
    Broken,
    /// The whole interval of the change lies below `-threshold`.
    Regressed,
    /// The whole interval of the change lies above `+threshold`.
    Improved,
    /// Could not decide: the interval straddles a threshold, or the MDC exceeds the threshold.
    Inconclusive,
    /// The whole interval lies within `(-threshold, +threshold)`, and the MDC is within the threshold.
    Unchanged,
    /// One side cannot be trusted or compared (failed validation, no samples, different units...).
    NotComparable,
    /// Only in head.
    Added,
    /// Only in base.
    Removed,
}

impl Verdict {
    /// Every verdict, in the order tables list them (regressions first).
    pub const ALL: [Verdict; 8] = [
        Verdict::Broken,
        Verdict::Regressed,
        Verdict::Improved,
        Verdict::Inconclusive,
        Verdict::Unchanged,
        Verdict::NotComparable,
        Verdict::Added,
        Verdict::Removed,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Verdict::Broken => "broken",
            Verdict::Regressed => "regressed",
            Verdict::Improved => "improved",
            Verdict::Inconclusive => "inconclusive",
            Verdict::Unchanged => "unchanged",
            Verdict::NotComparable => "not comparable",
            Verdict::Added => "added",
            Verdict::Removed => "removed",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How the two sample sets relate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Base and head were run separately (two results files).
    Independent,
    /// Sample `i` of base and of head were taken back to back (interleaved A/B).
    Paired,
}

/// Why a sample set cannot be analysed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SampleError {
    #[error("no samples")]
    Empty,
    #[error("paired samples need equal counts, got {base} base and {head} head")]
    Unpaired { base: usize, head: usize },
    #[error("sample {index} has throughput {value}, not a positive finite number")]
    NotPositive { index: usize, value: f64 },
    #[error("confidence {0} is not between 0 and 1")]
    Confidence(f64),
}

/// The estimated change of throughput `head / base`, with its interval.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    pub method: Method,
    /// Point estimate of `head / base` (1.0 = no change, 0.9 = 10% slower).
    pub ratio: f64,
    /// Confidence interval of the ratio; `None` when the samples are too few for `confidence`.
    pub interval: Option<(f64, f64)>,
    /// Two-sided confidence of `interval` (0.99 = 99%).
    pub confidence: f64,
    /// Minimum detectable change: interval half-width as a ratio, `exp((U - L) / 2) - 1` on the
    /// log interval `[L, U]` (0.04 = 4%); infinite when there is no interval.
    pub mdc: f64,
    /// Samples used from base and head (equal for paired: the number of pairs).
    pub base_samples: usize,
    pub head_samples: usize,
}

impl Estimate {
    fn from_logs(
        method: Method,
        centre: f64,
        interval: Option<(f64, f64)>,
        confidence: f64,
        (base_samples, head_samples): (usize, usize),
    ) -> Self {
        Estimate {
            method,
            ratio: centre.exp(),
            interval: interval.map(|(lo, hi)| (lo.exp(), hi.exp())),
            confidence,
            mdc: interval.map_or(f64::INFINITY, |(lo, hi)| ((hi - lo) / 2.0).exp() - 1.0),
            base_samples,
            head_samples,
        }
    }

    /// The change as a fraction (`ratio - 1`; -0.1 = 10% slower).
    pub fn change(&self) -> f64 {
        self.ratio - 1.0
    }

    /// The verdict against `threshold` (a fraction, 0.05 = 5%).
    pub fn verdict(&self, threshold: f64) -> Verdict {
        self.judge(threshold).0
    }

    /// The verdict against `threshold`, and for an inconclusive one, why.
    ///
    /// `regressed`: upper bound of the ratio `< 1 - t`; `improved`: lower bound `> 1 + t`;
    /// `unchanged`: both bounds within `(1 - t, 1 + t)`; otherwise `inconclusive`. Whatever the
    /// interval says, an MDC above `t` (including no interval at all) is `inconclusive`: the run
    /// could not resolve changes of the size the threshold cares about, so it neither fails the
    /// gate nor vouches for the case.
    pub fn judge(&self, threshold: f64) -> (Verdict, Option<String>) {
        let t = threshold;
        let Some((lo, hi)) = self.interval else {
            let why = format!(
                "too few samples for a {} interval",
                super::render::percent_label(self.confidence)
            );
            return (Verdict::Inconclusive, Some(why));
        };
        let mdc_note = || {
            format!(
                "MDC {} > threshold {}",
                super::render::mdc_label(self.mdc),
                super::render::percent_label(t)
            )
        };
        if self.mdc > t {
            let why = if hi < 1.0 - t {
                format!("slower beyond threshold, but {}: not gated", mdc_note())
            } else if lo > 1.0 + t {
                format!("faster beyond threshold, but {}", mdc_note())
            } else {
                mdc_note()
            };
            return (Verdict::Inconclusive, Some(why));
        }
        if hi < 1.0 - t {
            (Verdict::Regressed, None)
        } else if lo > 1.0 + t {
            (Verdict::Improved, None)
        } else if lo > 1.0 - t && hi < 1.0 + t {
            (Verdict::Unchanged, None)
        } else {
            let side = if lo <= 1.0 - t { "-" } else { "+" };
            (
                Verdict::Inconclusive,
                Some(format!(
                    "interval crosses {side}{}",
                    super::render::percent_label(t)
                )),
            )
        }
    }
}

/// Logs of positive finite throughputs.
fn logs(values: &[f64]) -> Result<Vec<f64>, SampleError> {
    if values.is_empty() {
        return Err(SampleError::Empty);
    }
    values
        .iter()
        .enumerate()
        .map(|(index, &value)| {
            if value.is_finite() && value > 0.0 {
                Ok(value.ln())
            } else {
                Err(SampleError::NotPositive { index, value })
            }
        })
        .collect()
}

fn check_confidence(confidence: f64) -> Result<f64, SampleError> {
    if confidence > 0.0 && confidence < 1.0 {
        Ok(1.0 - confidence)
    } else {
        Err(SampleError::Confidence(confidence))
    }
}

/// Median and `cut`-trimmed interval (the `cut`-th smallest and largest) of candidate estimates
/// (the values are reordered; selection, not a full sort).
fn centre_and_interval(values: &mut [f64], cut: usize) -> (f64, Option<(f64, f64)>) {
    let len = values.len();
    let mut nth = |k: usize| *values.select_nth_unstable_by(k, f64::total_cmp).1;
    let centre = if len % 2 == 1 {
        nth(len / 2)
    } else {
        (nth(len / 2 - 1) + nth(len / 2)) / 2.0
    };
    let interval = (cut >= 1 && cut <= len - cut).then(|| (nth(cut - 1), nth(len - cut)));
    (centre, interval)
}

/// Change between independently measured throughput samples (units/s), `head / base`.
pub fn independent_estimate(
    base: &[f64],
    head: &[f64],
    confidence: f64,
) -> Result<Estimate, SampleError> {
    let alpha = check_confidence(confidence)?;
    let (x, y) = (logs(base)?, logs(head)?);
    let mut diffs: Vec<f64> = y
        .iter()
        .flat_map(|yj| x.iter().map(move |xi| yj - xi))
        .collect();
    let cut = rank_sum_cut(x.len(), y.len(), alpha);
    let (centre, interval) = centre_and_interval(&mut diffs, cut);
    Ok(Estimate::from_logs(
        Method::Independent,
        centre,
        interval,
        confidence,
        (x.len(), y.len()),
    ))
}

/// Change between paired throughput samples (units/s): `base[i]` and `head[i]` were measured
/// back to back. The estimate is of the typical per-pair ratio `head_i / base_i`.
pub fn paired_estimate(
    base: &[f64],
    head: &[f64],
    confidence: f64,
) -> Result<Estimate, SampleError> {
    let alpha = check_confidence(confidence)?;
    if base.len() != head.len() {
        return Err(SampleError::Unpaired {
            base: base.len(),
            head: head.len(),
        });
    }
    let (x, y) = (logs(base)?, logs(head)?);
    let d: Vec<f64> = y.iter().zip(&x).map(|(yi, xi)| yi - xi).collect();
    let mut walsh = Vec::with_capacity(d.len() * (d.len() + 1) / 2);
    for (i, di) in d.iter().enumerate() {
        for dj in &d[i..] {
            walsh.push((di + dj) / 2.0);
        }
    }
    let cut = signed_rank_cut(d.len(), alpha);
    let (centre, interval) = centre_and_interval(&mut walsh, cut);
    Ok(Estimate::from_logs(
        Method::Paired,
        centre,
        interval,
        confidence,
        (d.len(), d.len()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::simulate::SplitMix64;

    const CONF: f64 = 0.99;
    const T: f64 = 0.05;

    fn independent(seed: u64, n: usize, cv: f64, ratio: f64) -> Estimate {
        let mut rng = SplitMix64::new(seed);
        let base = rng.lognormal_samples(1e6, cv, n);
        let head = rng.lognormal_samples(1e6 * ratio, cv, n);
        independent_estimate(&base, &head, CONF).unwrap()
    }

    fn paired(seed: u64, n: usize, cv: f64, ratio: f64) -> Estimate {
        let mut rng = SplitMix64::new(seed);
        let base = rng.lognormal_samples(1e6, cv, n);
        let head = rng.lognormal_samples(1e6 * ratio, cv, n);
        paired_estimate(&base, &head, CONF).unwrap()
    }

    #[test]
    fn ten_percent_shifts_are_detected_both_ways() {
        for seed in 0..20 {
            let slower = independent(seed, 30, 0.03, 0.90);
            assert_eq!(
                slower.verdict(T),
                Verdict::Regressed,
                "seed {seed}: {slower:?}"
            );
            let faster = independent(seed, 30, 0.03, 1.10);
            assert_eq!(
                faster.verdict(T),
                Verdict::Improved,
                "seed {seed}: {faster:?}"
            );
            let slower = paired(seed, 30, 0.03, 0.90);
            assert_eq!(
                slower.verdict(T),
                Verdict::Regressed,
                "seed {seed}: {slower:?}"
            );
            let faster = paired(seed, 30, 0.03, 1.10);
            assert_eq!(
                faster.verdict(T),
                Verdict::Improved,
                "seed {seed}: {faster:?}"
            );
        }
    }

    #[test]
    fn identical_samples_are_unchanged_with_zero_mdc() {
        let v = [5.0, 6.0, 7.0, 5.5, 6.5, 6.0, 5.8, 6.1, 6.2, 5.9, 6.0, 6.3];
        let e = independent_estimate(&v, &v, CONF).unwrap();
        assert_eq!(e.ratio, 1.0);
        assert_eq!(
            e.verdict(T),
            Verdict::Inconclusive,
            "spread of 40% across samples: {e:?}"
        );
        let e = paired_estimate(&v, &v, CONF).unwrap();
        assert_eq!((e.ratio, e.mdc, e.interval), (1.0, 0.0, Some((1.0, 1.0))));
        assert_eq!(e.verdict(T), Verdict::Unchanged);
    }

    #[test]
    fn too_few_samples_are_inconclusive_never_unchanged() {
        let base = [100.0, 100.5, 99.8];
        let head = [100.1, 99.9, 100.2];
        for e in [
            independent_estimate(&base, &head, CONF).unwrap(),
            paired_estimate(&base, &head, CONF).unwrap(),
            independent_estimate(&base[..2], &head[..2], CONF).unwrap(),
        ] {
            assert!(e.interval.is_none() && e.mdc.is_infinite(), "{e:?}");
            let (verdict, why) = e.judge(T);
            assert_eq!(verdict, Verdict::Inconclusive);
            assert_eq!(why.unwrap(), "too few samples for a 99% interval");
        }
    }

    #[test]
    fn noisy_cases_are_never_unchanged_when_mdc_exceeds_threshold() {
        let mut wide = 0;
        for seed in 0..300 {
            let n = 4 + (seed as usize % 20);
            for e in [independent(seed, n, 0.25, 1.0), paired(seed, n, 0.25, 1.0)] {
                if e.mdc > T {
                    wide += 1;
                    assert_eq!(e.verdict(T), Verdict::Inconclusive, "{e:?}");
                }
                assert_ne!(e.verdict(T), Verdict::Regressed, "{e:?}");
            }
        }
        assert!(
            wide > 500,
            "the sweep should mostly be too noisy to resolve 5%: {wide}"
        );
    }

    #[test]
    fn clear_regression_on_a_noisy_case_is_noted_but_not_gated() {
        let e = independent(3, 12, 0.25, 0.5);
        let (verdict, why) = e.judge(T);
        assert_eq!(verdict, Verdict::Inconclusive, "{e:?}");
        assert!(why.unwrap().starts_with("slower beyond threshold, but MDC"));
        // A threshold at the case's noise level makes it gateable.
        assert_eq!(e.verdict(0.35), Verdict::Regressed, "{e:?}");
    }

    #[test]
    fn bad_samples_are_typed_errors() {
        assert_eq!(
            independent_estimate(&[], &[1.0], CONF),
            Err(SampleError::Empty)
        );
        assert_eq!(
            paired_estimate(&[1.0, 2.0], &[1.0], CONF),
            Err(SampleError::Unpaired { base: 2, head: 1 })
        );
        assert_eq!(
            independent_estimate(&[1.0, 0.0], &[1.0], CONF),
            Err(SampleError::NotPositive {
                index: 1,
                value: 0.0
            })
        );
        assert_eq!(
            independent_estimate(&[1.0], &[1.0], 1.0),
            Err(SampleError::Confidence(1.0))
        );
    }

    #[test]
    fn mdc_is_the_half_width_of_the_ratio_interval() {
        let e = paired(11, 30, 0.05, 1.0);
        let (lo, hi) = e.interval.unwrap();
        assert!((e.mdc - ((hi / lo).ln() / 2.0).exp_m1()).abs() < 1e-12);
        assert!(lo < e.ratio && e.ratio < hi);
    }
}
