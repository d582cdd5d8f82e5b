//! Adaptive sampling for interleaved A/B runs: after each pair, sample more or stop; and for a
//! scheduler, how many pairs a case would still need.
//!
//! Looking at the data after every pair and stopping at the first "significant" result inflates
//! false alarms (optional stopping). The rule looks only at a fixed schedule of pair counts,
//! doubling from `first_look` up to `max_pairs` (default 10, 20, 40, 80: four looks), and keeps
//! the probability that *any* look's interval misses the true change within `1 - confidence`
//! (1%), so a case with no true change is called regressed at most 0.5% of the time however the
//! looks fall out.
//!
//! # Error spending ([`Spending`])
//!
//! The intervals are sign-test intervals on the per-pair log ratios (module `estimate`). Across
//! looks the sign statistic is a simple random walk, so the probability that some look misses is
//! computed exactly (module `sequential`) rather than bounded. The old rule split the 1% evenly
//! (Bonferroni, 99.75% per look); because the looks are correlated and the sign test is
//! discrete, those four looks together miss only 0.62% of the time. The default,
//! [`Spending::ExactFinal`], keeps the interim looks exactly as before (so quiet cases stop at
//! the same looks) and lets the **last** analysis spend everything the interim looks left: at 80
//! pairs the interval is `[d_(28), d_(53)]` instead of `[d_(27), d_(54)]` (99.51% alone instead
//! of 99.77%), and the four looks together miss 0.85% of the time, exactly.
//!
//! Measured end to end on the simulated shapes (module `coverage`, 2000 trials per cell): the
//! exact last look detected 10% slowdowns 53.0% of the time pooled over shapes against 48.7%
//! with Bonferroni (fork-dominated 56.4% vs 47.7%, bimodal 83.2% vs 77.4%, stall-prone 20.5% vs
//! 14.9%, noisy 5.1% vs 3.5%, quiet 100% both), with the same pairs (69.9 on average), misses of
//! 0.4-0.7% per shape and A/A intervals beyond +-5% in 0.04% of cases. The old rule (signed-rank,
//! Bonferroni, MDC guard) detected 32.6%.
//!
//! O'Brien-Fleming-like spending (almost nothing early, nearly all at the end) was measured
//! too: it detects 10% slowdowns 6-9 points more often again (one more order statistic at 80
//! pairs), but at these looks its first two can give no finite interval at all (10 pairs need
//! 0.195% of error for `[min d, max d]`), so no case can stop before 40 pairs: quiet cases take
//! twice the pairs (40 against 21 in A/A), which a time-budgeted gate over 30+ cases cannot
//! afford. Pocock-like and linear spending reach the same last look as the default, but at 99%
//! they give the first look just under the 0.195% it needs, so they lose it.
//!
//! A final analysis forced early by the time budget ([`StoppingRule::finish`]) counts the
//! interim looks already taken and spends what is left, so the bound holds there too.

use super::estimate::{
    Estimate, SampleError, Verdict, check_confidence, family_confidence, log_ratios,
    paired_estimate_with_cut,
};
use super::ranks::{normal_quantile, sign_cut};
use super::sequential::{SignWalk, miss_probability};

/// How the stopping rule shares its error budget among looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Spending {
    /// Each look at `1 - (1 - confidence) / looks`, as if alone (the rule before; kept for
    /// comparison).
    Bonferroni,
    /// Interim looks as [`Spending::Bonferroni`]; the last analysis spends all the error they
    /// left, computed exactly for the sign walk (the default).
    #[default]
    ExactFinal,
}

/// When the adaptive A/B loop looks at its pairs, and how strictly.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StoppingRule {
    /// Pairs at the first look (then doubling). Default 10: fewer pairs cannot give a finite
    /// interval at the per-look confidence anyway (the sign test needs `2 / 2^n <= alpha`).
    pub first_look: usize,
    /// Pairs at the last look; the loop stops there even if undecided. Default 80.
    pub max_pairs: usize,
    /// Overall two-sided confidence across all looks (default 0.99).
    pub confidence: f64,
    /// How the error budget is shared among looks (default [`Spending::ExactFinal`]).
    pub spending: Spending,
    /// Cases judged together in the run (default 1). A change verdict needs its own sequence of
    /// intervals at [`family_confidence`]`(confidence, family)`, so that an A/A run calls any of
    /// its cases changed with probability at most `1 - confidence`; `unchanged` keeps `confidence`.
    pub family: usize,
}

impl Default for StoppingRule {
    fn default() -> Self {
        StoppingRule {
            first_look: 10,
            max_pairs: 80,
            confidence: 0.99,
            spending: Spending::default(),
            family: 1,
        }
    }
}

/// What the A/B loop should do next for a case.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Keep sampling until there are `until` pairs, then ask again.
    NeedMore { until: usize },
    /// The interval decides: `regressed`, `improved` or `unchanged`. Stop sampling this case.
    Decided {
        verdict: Verdict,
        estimate: Estimate,
    },
    /// The last look did not decide: report `inconclusive` with this estimate and its MDC.
    Exhausted { estimate: Estimate },
}

/// What more pairs would likely buy a case ([`StoppingRule::pairs_to_decide`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outlook {
    /// Fewer than 3 pairs: too few to estimate their spread. Sample to the first look.
    Unknown,
    /// About `pairs` pairs in all (`more` beyond those so far) should let a look decide. May
    /// exceed `max_pairs`: then the case is unlikely to decide within the rule.
    Needs { pairs: usize, more: usize },
    /// The median ratio sits on a threshold: no number of pairs is expected to decide.
    Never,
}

impl StoppingRule {
    /// The pair counts at which the per-case route (`unchanged`) looks, ascending
    /// (`first_look * 2^k`, capped at `max_pairs`).
    pub fn looks(&self) -> Vec<usize> {
        self.looks_for(self.alpha())
    }

    /// The pair counts at which the change route (`regressed`, `improved`) looks: the same
    /// doubling schedule, starting where its interim share of the family's error first allows an
    /// interval (15 pairs for 34 cases: 10 pairs cannot reach 99.99%), so no look is wasted.
    pub fn change_looks(&self) -> Vec<usize> {
        self.looks_for(self.change_alpha())
    }

    /// Doubling looks from the first pair count at which a sign-test interval exists at
    /// `alpha` / (number of looks), and at least `first_look`.
    fn looks_for(&self, alpha: f64) -> Vec<usize> {
        let schedule = |first: usize| {
            let mut looks = Vec::new();
            let mut n = first;
            while n < self.max_pairs {
                looks.push(n);
                n *= 2;
            }
            looks.push(self.max_pairs.max(first));
            looks
        };
        let mut first = self.first_look.max(1);
        loop {
            let looks = schedule(first);
            if first >= self.max_pairs || sign_cut(first, alpha / looks.len() as f64) > 0 {
                return looks;
            }
            first += 1;
        }
    }

    fn alpha(&self) -> f64 {
        1.0 - self.confidence
    }

    /// The error a change verdict may spend over all looks (see [`Self::family`]).
    fn change_alpha(&self) -> f64 {
        1.0 - family_confidence(self.confidence, self.family)
    }

    /// The rule a change verdict follows: the same looks at the family's confidence, one case.
    pub fn change_rule(&self) -> StoppingRule {
        StoppingRule {
            confidence: family_confidence(self.confidence, self.family),
            family: 1,
            ..*self
        }
    }

    /// Error of one interim look at overall error `alpha`: the Bonferroni share.
    fn interim_alpha(&self, alpha: f64) -> f64 {
        alpha / self.looks_for(alpha).len() as f64
    }

    /// Cut of the last analysis, at `n` pairs, after the interim looks below `n`.
    fn final_cut(&self, n: usize, alpha: f64) -> usize {
        match self.spending {
            Spending::Bonferroni => sign_cut(n, self.interim_alpha(alpha)),
            Spending::ExactFinal => {
                let mut walk = SignWalk::new();
                for look in self.looks_for(alpha).into_iter().filter(|&l| l < n) {
                    walk.advance(look);
                    walk.look(sign_cut(look, self.interim_alpha(alpha)));
                }
                walk.advance(n);
                walk.largest_cut_within(alpha)
            }
        }
    }

    /// The interval's cut and stated confidence at `n` pairs, for overall error `alpha`: an
    /// interim look, or the last.
    fn cut_at(&self, n: usize, last: bool, alpha: f64) -> (usize, f64) {
        if !last || self.spending == Spending::Bonferroni {
            (
                sign_cut(n, self.interim_alpha(alpha)),
                1.0 - self.interim_alpha(alpha),
            )
        } else {
            match self.final_cut(n, alpha) {
                0 => (0, 1.0 - alpha), // no interval: say which confidence it lacked
                cut => (cut, 1.0 - miss_probability(n, cut)),
            }
        }
    }

    /// Two-sided confidence of each look's interval taken alone, in [`Self::looks`] order: the
    /// Bonferroni share for interim looks; for the last, its exact marginal confidence.
    pub fn look_confidences(&self) -> Vec<f64> {
        let looks = self.looks();
        let last = looks.len() - 1;
        looks
            .iter()
            .enumerate()
            .map(|(i, &n)| self.cut_at(n, i == last, self.alpha()).1)
            .collect()
    }

    /// The smallest per-look confidence ([`Self::look_confidences`]): every look's interval is
    /// at least this confident on its own (0.9975 for Bonferroni at the defaults; 0.9951 for
    /// [`Spending::ExactFinal`], whose last look spends what the others left). All looks
    /// together cover with [`Self::confidence`].
    pub fn per_look_confidence(&self) -> f64 {
        self.look_confidences()
            .into_iter()
            .fold(f64::INFINITY, f64::min)
    }

    fn analyse(&self, base: &[f64], head: &[f64], last: bool) -> Result<Estimate, SampleError> {
        check_confidence(self.confidence)?;
        let (cut, confidence) = self.cut_at(base.len(), last, self.alpha());
        let estimate = paired_estimate_with_cut(base, head, cut, confidence)?;
        if self.family <= 1 {
            return Ok(estimate);
        }
        let (cut, confidence) = self.cut_at(base.len(), last, self.change_alpha());
        let strict = paired_estimate_with_cut(base, head, cut, confidence)?;
        Ok(estimate.with_change_interval(&strict))
    }

    /// Given the pairs so far (`base[i]`, `head[i]`: one fork value each, measured back to back,
    /// units/s) and the case's threshold (fraction), whether to sample more or stop. Call after
    /// every pair: between looks it only says how many pairs to collect next. At a look of the
    /// per-case route only `unchanged` can decide, at a look of the change route only
    /// `regressed` or `improved`, so each route's error is spent on its own looks only.
    pub fn step(&self, base: &[f64], head: &[f64], threshold: f64) -> Result<Step, SampleError> {
        if base.len() != head.len() {
            return Err(SampleError::Unpaired {
                base: base.len(),
                head: head.len(),
            });
        }
        let n = base.len();
        let last = n >= self.max_pairs;
        let (case_looks, change_looks) = (self.looks(), self.change_looks());
        let next = case_looks
            .iter()
            .chain(&change_looks)
            .copied()
            .filter(|&l| l > n)
            .min()
            .unwrap_or(self.max_pairs);
        let (case_look, change_look) = (
            last || case_looks.contains(&n),
            last || change_looks.contains(&n),
        );
        if !case_look && !change_look {
            return Ok(Step::NeedMore { until: next });
        }
        let estimate = self.analyse(base, head, last)?;
        let (verdict, _) = estimate.judge_routes(threshold, change_look, case_look);
        Ok(match verdict {
            Verdict::Regressed | Verdict::Improved | Verdict::Unchanged => {
                Step::Decided { verdict, estimate }
            }
            _ if last => Step::Exhausted { estimate },
            _ => Step::NeedMore { until: next },
        })
    }

    /// The final verdict when the loop stops early for any reason (time budget): the last
    /// analysis at the pairs there are, spending what the interim looks below that left.
    pub fn finish(
        &self,
        base: &[f64],
        head: &[f64],
        threshold: f64,
    ) -> Result<(Verdict, Estimate), SampleError> {
        let estimate = self.analyse(base, head, true)?;
        Ok((estimate.verdict(threshold), estimate))
    }

    /// How many pairs a case would need to decide, from its pairs so far: for a scheduler that
    /// spends the budget on cases that can still decide.
    ///
    /// Deciding needs the interval's half-width below the distance from the median ratio to the
    /// bound it must clear: `-t/10` or `+t/10` for regressed or improved (when the median is at
    /// least `t / 2` away from no change; the change interval, see [`Self::family`]), or both
    /// `-t` and `+t` for unchanged (when it lies within them); the easier of the two when both
    /// apply. The half-width at a look of `L` pairs with cut `c` is
    /// predicted from the order statistic that bounds it, `s * Phi^-1((L + 1 - c - 3/8) /
    /// (L + 1/4))` (Blom's approximation), with `s` the spread of the per-pair log ratios
    /// (1.4826 x their median absolute deviation: robust to stalls and placement modes). The
    /// answer is the first look at or after the current pairs predicted to decide; beyond the
    /// last look, the pairs at which `z * 1.2533 * s / sqrt(N)` (the sample median's standard
    /// error at the last look's confidence) would. An estimate: the median moves as pairs come.
    pub fn pairs_to_decide(
        &self,
        base: &[f64],
        head: &[f64],
        threshold: f64,
    ) -> Result<Outlook, SampleError> {
        let d = log_ratios(base, head)?;
        let n = d.len();
        if n < 3 {
            return Ok(Outlook::Unknown);
        }
        let centre = crate::stats::median(&d);
        let deviations: Vec<f64> = d.iter().map(|x| (x - centre).abs()).collect();
        let spread = 1.4826 * crate::stats::median(&deviations);
        let (lo, hi) = ((1.0 - threshold).ln(), (1.0 + threshold).ln());
        let half = ((1.0 - threshold / 2.0).ln(), (1.0 + threshold / 2.0).ln());
        let margin = threshold * super::estimate::MARGIN;
        let sure = ((1.0 - margin).ln(), (1.0 + margin).ln());
        // The widest half-width that still decides, for each verdict the centre allows: a change
        // (judged at the change error) and unchanged (at the per-case error).
        let mut change_gap = 0.0f64;
        if centre <= half.0 {
            change_gap = change_gap.max(sure.0 - centre); // regressed: the upper bound below -t/10
        }
        if centre >= half.1 {
            change_gap = change_gap.max(centre - sure.1); // improved: the lower bound above +t/10
        }
        let unchanged_gap = if lo < centre && centre < hi {
            (centre - lo).min(hi - centre) // unchanged: both within +-t
        } else {
            0.0
        };
        let routes: Vec<(f64, f64, Vec<usize>)> = [
            (change_gap, self.change_alpha(), self.change_looks()),
            (unchanged_gap, self.alpha(), self.looks()),
        ]
        .into_iter()
        .filter(|(gap, _, _)| *gap > 0.0)
        .collect();
        if routes.is_empty() {
            return Ok(Outlook::Never);
        }
        let needs = |pairs: usize| Outlook::Needs {
            pairs,
            more: pairs - n,
        };
        let last = self.max_pairs;
        let mut soonest: Option<usize> = None;
        for (gap, alpha, looks) in &routes {
            for &look in looks.iter().filter(|&&l| l >= n) {
                let (cut, _) = self.cut_at(look, look >= last, *alpha);
                let p = (look as f64 + 1.0 - cut as f64 - 0.375) / (look as f64 + 0.25);
                if cut > 0 && spread * normal_quantile(p) < *gap {
                    soonest = Some(soonest.map_or(look, |s| s.min(look)));
                    break;
                }
            }
        }
        if let Some(look) = soonest {
            return Ok(needs(look));
        }
        let pairs = routes
            .iter()
            .map(|(gap, alpha, _)| {
                let z = normal_quantile(1.0 - (1.0 - self.cut_at(last, true, *alpha).1) / 2.0);
                (z * 1.2533 * spread / gap).powi(2).ceil()
            })
            .fold(f64::INFINITY, f64::min);
        let floor = n.max(last + 1);
        Ok(needs(if pairs < 1e9 {
            (pairs as usize).max(floor)
        } else {
            usize::MAX / 2
        }))
    }
}

#[cfg(test)]
#[path = "adaptive_tests.rs"]
mod tests;
