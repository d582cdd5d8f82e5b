//! Throughput change between two sets of per-fork values: point estimate, confidence interval,
//! minimum detectable change (MDC), and the verdict against a threshold.
//!
//! Everything works on the log of throughput, so a change is a ratio `head / base` and noise that
//! scales with throughput is treated alike at every speed. Callers pass **one value per fork**
//! (fresh process, see `forks`): on the 2-vCPU KVM runners processes differ far more
//! than samples inside one process do, so samples of one process are not replicates.
//!
//! - **Independent runs** ([`independent_estimate`]): the Hodges-Lehmann shift (median of all
//!   `n m` differences `ln head_j - ln base_i` of fork values) with its distribution-free interval
//!   from the Mann-Whitney distribution (exact for `n m <= 10000`). Valid whenever each side's
//!   fork values are exchangeable and the change is a shift in logs, whatever their distribution:
//!   heavy tails, a second placement mode, stalled samples (a fork's median absorbs those).
//!   Simulated (module `coverage`, 6000 trials per row): misses 0.5-1.2% per shape at 10-80
//!   forks (pooled 0.84-0.93%), where treating the samples of one process as replicates missed
//!   5-25%. What no analysis of one run per side can cover is a level shared by every fork of a
//!   run (a host change between the runs): with a 1% sd offset per run the quiet shape's intervals
//!   missed 28% at 10 forks and 73% at 80, yet never lay beyond 5%. Interleave (`contend ab`)
//!   when that matters.
//! - **Paired runs** ([`paired_estimate`]): the median of the per-pair log ratios
//!   `d_i = ln(head_i / base_i)` (base and head fork measured back to back, so drift that hits both
//!   cancels) with the **sign-test** interval `[d_(c), d_(n+1-c)]` (exact binomial cut `c`).
//!
//! # Why the sign test for pairs, not the Wilcoxon signed-rank interval
//!
//! Both were measured by simulation on data shaped like ours (module `simulate`: fork effects
//! of 1-9% with normal or t3 tails, a +60% / -40% placement mode in 5-10% of processes, 0.3-20%
//! per-sample noise, 1-5% of samples stalled at 1-10% of normal, drift shared within pairs;
//! module `coverage` has the harness and the table, its tests assert the rates):
//!
//! - *The stall values themselves do not break the signed-rank interval*: with base and head
//!   exchangeable within pairs, `d` is symmetric about the true change however wild its tails,
//!   and the signed-rank interval held its 99% coverage on every shape and size (miss 0.80-1.13%
//!   at 10-80 pairs, 6000 trials per row), as did the sign test (pooled 0.14%, 0.21%, 0.60%,
//!   0.96% at 10, 20, 40, 80 pairs: conservative at small counts, where the binomial is coarse).
//! - *Asymmetry does*: the signed-rank interval is for the centre of symmetry of `d` (its Walsh
//!   averages' median), so anything that hits one side more than the other moves it: with stalls
//!   or the slow mode in 10% of the head's processes only, it missed the typical change 13% of
//!   the time at 80 pairs, the sign test 4.6% (4000 trials). The sign test needs no symmetry,
//!   only that the median ratio splits the pairs in half; a stalled pair counts once, as one
//!   sign, whatever its size, whereas it enters `n` of the signed-rank statistic's Walsh averages.
//! - *Power is a wash*: pooled over the shapes, both detected a 10% slowdown equally often at 20-80
//!   pairs (e.g. 57.2% vs 57.3% at 80). The sign interval was narrower on the bimodal, stalling
//!   and quiet shapes (the mode's +-47% pairs widen every Walsh average they touch) and about 10%
//!   wider on Gaussian-like fork noise; at 10 pairs and 99.75% both are `[min d, max d]`.
//! - *Sequential looks*: across looks at growing pair counts the sign statistic is a simple
//!   random walk, so the stopping rule (module `adaptive`) computes its overall error exactly and
//!   can spend what Bonferroni leaves unused.
//!
//! An A/A interval wholly below -5% at 10 pairs (`[-66%, -7.2%]` was seen on two stall-prone
//! cases in one run) means every one of the 10 pairs had the head more than 7% slower. With the
//! sides exchangeable within pairs, that has probability at most `2^-10` per case whatever the
//! noise, stalls and modes, for either interval; two such cases in one run point at something
//! that treats the sides differently (two separate builds of one source differing in code layout,
//! their working directories, an orchestrator busy while one side runs), not at the statistic.
//!
//! The MDC is the half-width of the interval, as a ratio: `exp((U - L) / 2) - 1` for the log
//! interval `[L, U]`. A true change smaller than the MDC could not have been told from none.

use std::fmt;

use super::ranks::{rank_sum_cut, sign_cut};

/// The outcome of comparing one case, by its exact name in tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verdict {
    /// The head failed validation, deadlocked, crashed, timed out, or did no work where the base
    /// did. Fails the gate like [`Verdict::Regressed`]; the row's notes say why.
    Broken,
    /// Surely slower (the whole interval below `-threshold / 10`), by an estimated
    /// `threshold / 2` or more.
    Regressed,
    /// Surely faster (the whole interval above `+threshold / 10`), by an estimated
    /// `threshold / 2` or more.
    Improved,
    /// Could not decide: no interval (too few forks or pairs), or it straddles a threshold.
    Inconclusive,
    /// The whole interval lies within `(-threshold, +threshold)`.
    Unchanged,
    /// One side cannot be trusted or compared (base failed, no samples, different units...).
    NotComparable,
    /// Only in head.
    Added,
    /// Only in base.
    Removed,
}

impl Verdict {
    /// Every verdict, in the order tables list them (broken, then regressions, first).
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

/// How the two sets of values relate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Base and head were run separately (two results files): one value per fork.
    Independent,
    /// Value `i` of base and of head were measured back to back (interleaved A/B).
    Paired,
}

impl Method {
    /// What one value is: `forks` (independent) or `pairs` (paired).
    pub fn unit(self) -> &'static str {
        match self {
            Method::Independent => "forks",
            Method::Paired => "pairs",
        }
    }
}

/// Why a set of values cannot be analysed.
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
    /// Confidence interval of the ratio; `None` when the values are too few for `confidence`.
    pub interval: Option<(f64, f64)>,
    /// Two-sided confidence of `interval` (0.99 = 99%).
    pub confidence: f64,
    /// Minimum detectable change: interval half-width as a ratio, `exp((U - L) / 2) - 1` on the
    /// log interval `[L, U]` (0.04 = 4%); infinite when there is no interval.
    pub mdc: f64,
    /// Values used from base and head: forks (independent) or pairs (paired, equal).
    pub base_samples: usize,
    pub head_samples: usize,
    /// The interval a `regressed` or `improved` verdict needs, at [`Self::change_confidence`]:
    /// the same as `interval` when one case is judged alone, wider when a run judges several
    /// (see [`family_confidence`]).
    pub change_interval: Option<(f64, f64)>,
    pub change_confidence: f64,
}

/// The confidence each of `cases` cases judged together needs for a change verdict, so that a run
/// where nothing changed calls any case regressed or improved with probability at most
/// `1 - confidence` (Bonferroni over the cases; the cases of one run share a machine and a
/// session, so their errors are not independent, and Bonferroni holds whatever their dependence).
///
/// Why: at a per-case 99% a 34-case A/A run calls some case changed about one run in seven (the
/// simulated per-case rate was 0.43%; measured on this VM, 1 false alarm in 340 A/A case
/// comparisons), and a gate that fails one pull request in seven at random gets ignored.
/// `unchanged` keeps the per-case interval: a wrong `unchanged` is a missed change, which the
/// detection rates measure, not a false alarm.
pub fn family_confidence(confidence: f64, cases: usize) -> f64 {
    1.0 - (1.0 - confidence) / cases.max(1) as f64
}

impl Estimate {
    pub(crate) fn from_logs(
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
            mdc: half_width(interval),
            base_samples,
            head_samples,
            change_interval: interval.map(|(lo, hi)| (lo.exp(), hi.exp())),
            change_confidence: confidence,
        }
    }

    /// This estimate with the change interval of `strict` (the same values at a higher
    /// confidence, see [`family_confidence`]).
    pub fn with_change_interval(self, strict: &Estimate) -> Self {
        Estimate {
            change_interval: strict.interval,
            change_confidence: strict.confidence,
            ..self
        }
    }

    /// The smallest change a `regressed` or `improved` verdict could have been given for: the
    /// change interval's half-width as a ratio (equal to `mdc` when one case is judged alone).
    pub fn change_mdc(&self) -> f64 {
        half_width(self.change_interval.map(|(lo, hi)| (lo.ln(), hi.ln())))
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
    /// - `regressed`: the whole interval lies below `-t/10` (surely slower, with a margin) **and**
    ///   the point estimate is at least `t / 2` slower. An interval wholly below `-t` always
    ///   qualifies.
    /// - `improved`: the mirror image (`lo > 1 + t/10` and `ratio >= 1 + t/2`).
    /// - `unchanged`: otherwise, when both bounds lie within `(1 - t, 1 + t)`.
    /// - `inconclusive`: everything else, or no interval.
    ///
    /// Why not "the whole interval below `-t`" (the rule before): that only calls a true change of
    /// exactly `t` half the time at best, so a 5% slowdown was almost never caught at a 5%
    /// threshold (12 of 102 trials on this VM). Why not "wholly below no change": that is wrong
    /// with probability up to `(1 - confidence) / 2` per case when nothing changed, which over a
    /// 34-case suite fails about one A/A run in ten (measured: 1 false alarm in 170 A/A case
    /// comparisons, an interval of [-4.8%, -0.3%]). Requiring the interval to clear `-t/10`
    /// means it must miss the truth by a further `t/10`, which is rarer (on that calibration's
    /// data it removed the false alarm and kept 64 of 70 detections of a 5% slowdown where the
    /// MDC was at most 5%; a margin of `t/5` kept 57); the `t / 2` floor on the estimate keeps
    /// small real changes from failing the gate on a tight interval.
    /// Measured by simulation (module `coverage`) and on this VM (README, "The gate's own
    /// quality, measured").
    ///
    /// `regressed` and `improved` are judged on [`Self::change_interval`], `unchanged` on
    /// [`Self::interval`]; they are the same interval unless several cases are judged together
    /// (see [`family_confidence`]).
    ///
    /// The interval alone decides significance, whatever its width: the simulations showed the
    /// fork-level and pair-level intervals keep their coverage on heavy-tailed, bimodal and
    /// stalling data. A wide interval still cannot be `unchanged`.
    pub fn judge(&self, threshold: f64) -> (Verdict, Option<String>) {
        self.judge_routes(threshold, true, true)
    }

    /// [`Self::judge`] with only some verdicts allowed: `change` for `regressed` and `improved`,
    /// `unchanged` for `unchanged` (a sequential rule looks at each route on its own schedule).
    pub(crate) fn judge_routes(
        &self,
        threshold: f64,
        change: bool,
        unchanged: bool,
    ) -> (Verdict, Option<String>) {
        let t = threshold;
        let Some((lo, hi)) = self.interval else {
            let alpha = 1.0 - self.confidence;
            let need = match self.method {
                Method::Independent => format!("at least {} per side", min_forks(alpha)),
                Method::Paired => format!("at least {}", min_pairs(alpha)),
            };
            let why = format!(
                "too few {} for a {} interval ({need})",
                self.method.unit(),
                super::render::percent_label(self.confidence)
            );
            return (Verdict::Inconclusive, Some(why));
        };
        let slower = |hi: f64| hi < 1.0 - t * MARGIN && self.ratio <= 1.0 - t / 2.0;
        let faster = |lo: f64| lo > 1.0 + t * MARGIN && self.ratio >= 1.0 + t / 2.0;
        if let Some((clo, chi)) = self.change_interval.filter(|_| change) {
            if slower(chi) {
                return (Verdict::Regressed, None);
            }
            if faster(clo) {
                return (Verdict::Improved, None);
            }
        }
        let why = if lo > 1.0 - t && hi < 1.0 + t && unchanged {
            return (Verdict::Unchanged, None);
        } else if slower(hi) || faster(lo) {
            let short = if self.change_interval.is_none() {
                let alpha = 1.0 - self.change_confidence;
                match self.method {
                    Method::Independent => {
                        format!(
                            " (which needs at least {} forks per side)",
                            min_forks(alpha)
                        )
                    }
                    Method::Paired => format!(" (which needs at least {} pairs)", min_pairs(alpha)),
                }
            } else {
                String::new()
            };
            format!(
                "{} at {} but not at the {} a change verdict needs when several cases are judged{short}",
                if slower(hi) { "slower" } else { "faster" },
                super::render::percent_label(self.confidence),
                super::render::percent_label(self.change_confidence)
            )
        } else if self.mdc > t {
            // The per-case interval's half-width (the table's MDC column is the change
            // interval's, which is wider when several cases are judged).
            format!(
                "too noisy: interval half-width {} > threshold {}",
                super::render::mdc_label(self.mdc),
                super::render::percent_label(t)
            )
        } else {
            let side = if lo <= 1.0 - t { "-" } else { "+" };
            format!("interval crosses {side}{}", super::render::percent_label(t))
        };
        (Verdict::Inconclusive, Some(why))
    }
}

/// Half-width of the log interval `[L, U]` as a ratio: `exp((U - L) / 2) - 1`; infinite for none.
fn half_width(log_interval: Option<(f64, f64)>) -> f64 {
    log_interval.map_or(f64::INFINITY, |(lo, hi)| ((hi - lo) / 2.0).exp() - 1.0)
}

/// How far beyond no change, as a fraction of the threshold, an interval must lie to call a
/// regression or an improvement (see [`Estimate::judge`]).
pub const MARGIN: f64 = 0.1;

/// Fewest forks per side (equal counts) for a finite two-sided `1 - alpha` rank-sum interval.
pub(crate) fn min_forks(alpha: f64) -> usize {
    (1..64)
        .find(|&k| rank_sum_cut(k, k, alpha) > 0)
        .unwrap_or(64)
}

/// Fewest pairs for a finite two-sided `1 - alpha` sign-test interval.
pub(crate) fn min_pairs(alpha: f64) -> usize {
    (1..1100).find(|&n| sign_cut(n, alpha) > 0).unwrap_or(1100)
}

/// Logs of positive finite throughputs.
pub(crate) fn logs(values: &[f64]) -> Result<Vec<f64>, SampleError> {
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

pub(crate) fn check_confidence(confidence: f64) -> Result<f64, SampleError> {
    if confidence > 0.0 && confidence < 1.0 {
        Ok(1.0 - confidence)
    } else {
        Err(SampleError::Confidence(confidence))
    }
}

/// Median and `cut`-trimmed interval (the `cut`-th smallest and largest) of candidate estimates
/// (the values are reordered; selection, not a full sort).
pub(crate) fn centre_and_interval(values: &mut [f64], cut: usize) -> (f64, Option<(f64, f64)>) {
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

/// Change between independently measured runs, `head / base`, from one throughput value per
/// fork (units/s; see `forks::fork_values`).
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

/// Per-pair log ratios `ln(head_i / base_i)`.
pub(crate) fn log_ratios(base: &[f64], head: &[f64]) -> Result<Vec<f64>, SampleError> {
    if base.len() != head.len() {
        return Err(SampleError::Unpaired {
            base: base.len(),
            head: head.len(),
        });
    }
    let (x, y) = (logs(base)?, logs(head)?);
    Ok(y.iter().zip(&x).map(|(yi, xi)| yi - xi).collect())
}

/// Change between paired fork values (units/s): `base[i]` and `head[i]` were measured back to
/// back, one value per fork. The estimate is the median per-pair ratio `head_i / base_i`, with
/// the sign-test interval (see the module docs for why).
pub fn paired_estimate(
    base: &[f64],
    head: &[f64],
    confidence: f64,
) -> Result<Estimate, SampleError> {
    let alpha = check_confidence(confidence)?;
    let cut = sign_cut(base.len(), alpha);
    paired_estimate_with_cut(base, head, cut, confidence)
}

/// [`paired_estimate`] with the interval `[d_(cut), d_(n+1-cut)]` chosen by the caller (the
/// stopping rule's looks); `confidence` is what the caller states for it.
pub(crate) fn paired_estimate_with_cut(
    base: &[f64],
    head: &[f64],
    cut: usize,
    confidence: f64,
) -> Result<Estimate, SampleError> {
    let mut d = log_ratios(base, head)?;
    let (centre, interval) = centre_and_interval(&mut d, cut);
    Ok(Estimate::from_logs(
        Method::Paired,
        centre,
        interval,
        confidence,
        (d.len(), d.len()),
    ))
}

#[cfg(test)]
#[path = "estimate_tests.rs"]
mod tests;
