//! Change points in a performance history (one value per run, oldest first): E-Divisive
//! (Matteson & James 2014, "A nonparametric approach for multiple change point analysis of
//! multivariate data", JASA 109:334-345) on ranks, with its permutation test, windowed as Hunter
//! does (Fleming et al. 2023, "Hunter: using change point detection to hunt for performance
//! regressions", ICPE).
//!
//! # Method
//!
//! A segment of `L` runs is replaced by its ranks (ties share a mid-rank) and split at the
//! `tau` maximising Matteson & James's divergence with exponent 1 and `kappa` fixed at the
//! segment's end (as MongoDB's and Hunter's E-Divisive means do):
//! `Q(tau) = m n / (m + n) * (2 B / (m n) - Wx / C(m, 2) - Wy / C(n, 2))`, where `B` sums
//! `|x - y|` between the `m` runs before `tau` and the `n` from it, `Wx` and `Wy` `|x_i - x_j|`
//! within each. On ranks this is (up to the U-statistic form of the within terms) the two-sample
//! Cramér-von Mises statistic: blind to any monotone transform of the data, and a stall or an
//! outlier weighs one rank, not its size. The split is kept when a permutation test (`max_tau
//! Q` over shuffles of the segment) gives `p <= alpha`; both sides are then split again (binary
//! segmentation). With no change the runs of a segment are exchangeable, so the test is exact
//! whatever their distribution: heavy tails, stalls or a process landing in a slow mode
//! independently per run are no change. Drift is not exchangeable and comes out as steps. No
//! change is placed within `min_segment` runs of an end.
//!
//! # Cost
//!
//! `Q` for every `tau` comes from one sweep with a Fenwick tree over ranks: `O(L log L)`.
//! Without ties the ranks are a permutation of `0..L`, so the null distribution of `max Q`
//! depends on `L` alone: it is drawn once per length and shared by every segment of that length
//! (and every series a [`Detector`] sees); a tied segment shuffles itself. The test is
//! sequential (Besag & Clifford 1991): it stops once `alpha` is out of reach, so a quiet
//! segment costs a few draws. A series longer than `window` is cut into windows overlapping by
//! half, each answering for the runs nearer its centre than any other's. So the permutation
//! work is at most `permutations * sum of L log L` over the distinct lengths tested (`L <=
//! window`) whatever the series' length, plus `O(n log window)` per level of splitting.
//! Deterministic given `Options::seed`.

use crate::compare::simulate::SplitMix64;
use crate::stats::median;
use std::collections::HashMap;

/// A change of regime: from `index` on, the series runs at `after` instead of `before`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChangePoint {
    /// First index of the new regime.
    pub index: usize,
    /// Median of the segment before (from the previous change point, or the start).
    pub before: f64,
    /// Median of the segment after (up to the next change point, or the end).
    pub after: f64,
    /// `after / before - 1` (-0.1 = 10% lower).
    pub change: f64,
    /// Permutation p-value of the split when found; at least `1 / (permutations + 1)`.
    pub p_value: f64,
}

/// Settings of [`detect`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    /// Significance level of each split (clamped to [1e-4, 0.5]).
    pub alpha: f64,
    /// Fewest runs in a segment (at least 2).
    pub min_segment: usize,
    /// Draws per test (at most 99999); raised to `1 / alpha - 1` so that `alpha` is reachable.
    pub permutations: usize,
    /// Longest stretch analysed at once (at least `4 * min_segment`, at most 65536).
    pub window: usize,
    /// Seeds the shuffles: the same seed gives the same change points.
    pub seed: u64,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            alpha: 0.01,
            min_segment: 5,
            permutations: 199,
            window: 200,
            seed: 0xC4A9_6E5D_0B1F_2024,
        }
    }
}

/// Change points of `series` (positive values, e.g. throughputs), sorted by index. Empty if a
/// value is not finite and positive or the series is shorter than `2 * min_segment`.
pub fn detect(series: &[f64], opts: &Options) -> Vec<ChangePoint> {
    Detector::new(opts).detect(series)
}

/// [`detect`] keeping its null distributions between series: for many series of similar
/// lengths (a history's cases) the permutations are then drawn once.
pub struct Detector {
    /// Normalised as documented.
    opts: Options,
    /// Per segment length, the maxima of `Q` over shuffled tie-free ranks drawn so far.
    nulls: HashMap<usize, Null>,
    scratch: Scratch,
}

/// Shuffled ranks `0..len`, and `max Q` of each shuffle so far.
struct Null {
    ranks: Scratch,
    rng: SplitMix64,
    maxima: Vec<f64>,
}

impl Detector {
    pub fn new(opts: &Options) -> Self {
        let mut o = *opts;
        o.alpha = o.alpha.clamp(1e-4, 0.5); // NaN stays NaN: nothing is detected.
        o.min_segment = o.min_segment.max(2);
        let least = ((1.0 / o.alpha).ceil() as usize).saturating_sub(1); // 0 for NaN
        o.permutations = o.permutations.clamp(least, 99_999);
        o.window = o.window.clamp(4 * o.min_segment, 1 << 16);
        Self {
            opts: o,
            nulls: HashMap::new(),
            scratch: Scratch::default(),
        }
    }

    /// As [`detect`].
    pub fn detect(&mut self, series: &[f64]) -> Vec<ChangePoint> {
        let n = series.len();
        let valid = |x: &f64| x.is_finite() && *x > 0.0;
        let (min_segment, w) = (self.opts.min_segment, self.opts.window);
        if n < 2 * min_segment || self.opts.alpha.is_nan() || !series.iter().all(valid) {
            return Vec::new();
        }
        let h = w / 2;
        let mut starts: Vec<usize> = (0..n.saturating_sub(w).div_ceil(h))
            .map(|k| k * h)
            .collect();
        starts.push(n.saturating_sub(w));
        let mut found: Vec<(usize, f64)> = Vec::new(); // (index, p-value) of kept splits
        for (i, &start) in starts.iter().enumerate() {
            // This window answers for the runs nearer its centre than any other window's.
            let lo = i.checked_sub(1).map_or(0, |j| (starts[j] + start + w) / 2);
            let hi = starts.get(i + 1).map_or(n, |next| (start + next + w) / 2);
            let mut stack = vec![(start, (start + w).min(n))];
            while let Some((s, e)) = stack.pop() {
                if let Some((at, p)) = self.split(series, s, e) {
                    if (lo..hi).contains(&at) {
                        found.push((at, p));
                    }
                    stack.extend([(s, at), (at, e)]);
                }
            }
        }
        found.sort_by_key(|s| s.0);
        // Neighbouring windows may place one change a few runs apart: keep the stronger.
        found.dedup_by(|later, kept| {
            let same = later.0 - kept.0 < min_segment;
            if same && later.1 < kept.1 {
                *kept = *later;
            }
            same
        });
        let mut bounds = vec![0];
        bounds.extend(found.iter().map(|s| s.0));
        bounds.push(n);
        (found.iter().enumerate())
            .map(|(k, &(index, p_value))| {
                let before = median(&series[bounds[k]..index]);
                let after = median(&series[index..bounds[k + 2]]);
                let change = after / before - 1.0;
                ChangePoint {
                    index,
                    before,
                    after,
                    change,
                    p_value,
                }
            })
            .collect()
    }

    /// The best split of `series[s..e]` and its p-value, if the permutation test keeps it.
    fn split(&mut self, series: &[f64], s: usize, e: usize) -> Option<(usize, f64)> {
        let (min, permutations, seed) = (
            self.opts.min_segment,
            self.opts.permutations,
            self.opts.seed,
        );
        if e - s < 2 * min {
            return None;
        }
        let scratch = &mut self.scratch;
        scratch.load(&series[s..e]);
        let (tau, q) = scratch.best_split(min);
        let floor = q - 1e-9 * q.abs();
        // Significant while exceedances <= alpha (permutations + 1) - 1.
        let allowed = (self.opts.alpha * (permutations + 1) as f64 - 1.0 + 1e-9).floor() as usize;
        // Shared mid-ranks change the null distribution: a tied segment shuffles itself.
        let mut rng = seeded(seed ^ ((s as u64) << 32 | e as u64));
        let mut null = (!scratch.tied).then(|| {
            self.nulls
                .entry(e - s)
                .or_insert_with(|| Null::new(e - s, seed))
        });
        let mut exceeded = 0;
        for k in 0..permutations {
            let max = match null.as_deref_mut() {
                Some(null) => null.draw(k, min),
                None => {
                    scratch.shuffle(&mut rng);
                    scratch.best_split(min).1
                }
            };
            exceeded += usize::from(max >= floor);
            if exceeded > allowed {
                return None; // Besag-Clifford: alpha is out of reach.
            }
        }
        let p_value = (exceeded + 1) as f64 / (permutations + 1) as f64;
        Some((s + tau, p_value))
    }
}

impl Null {
    fn new(len: usize, seed: u64) -> Self {
        let mut ranks = Scratch::default();
        ranks.load(&(0..len).map(|i| i as f64).collect::<Vec<_>>());
        let rng = seeded(seed ^ (len as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let maxima = Vec::new();
        Self { ranks, rng, maxima }
    }

    /// The `k`-th draw of `max Q`, drawn now if it is the next one.
    fn draw(&mut self, k: usize, min: usize) -> f64 {
        if k == self.maxima.len() {
            self.ranks.shuffle(&mut self.rng);
            self.maxima.push(self.ranks.best_split(min).1);
        }
        self.maxima[k]
    }
}

fn seeded(key: u64) -> SplitMix64 {
    SplitMix64::new(SplitMix64::new(key).next_u64())
}

/// One run of a segment: `value` is twice its mid-rank, `ord` its rank with ties broken by
/// position (its slot in the tree), `spread` the sum of `|value - v|` over the segment.
#[derive(Debug, Clone, Copy, Default)]
struct Point {
    value: u64,
    ord: u32,
    spread: u64,
}

/// A segment's points (in series order, or shuffled) and buffers to compute `Q` over them.
#[derive(Default)]
struct Scratch {
    points: Vec<Point>,
    /// Fenwick tree over `ord` of `count << 40 | sum of values` (values < 2^17, so sums < 2^40).
    tree: Vec<u64>,
    /// Per `tau`, the weights of `Wx` and `Wy` in `Q` (they depend on sizes only).
    weights: Vec<[f64; 2]>,
    /// Sum of `|v_i - v_j|` over all pairs.
    within: u64,
    tied: bool,
}

const COUNT: u64 = 1 << 40;

impl Scratch {
    fn load(&mut self, values: &[f64]) {
        let l = values.len();
        let mut order: Vec<u32> = (0..l as u32).collect();
        order.sort_by(|&a, &b| values[a as usize].total_cmp(&values[b as usize]));
        self.points.clear();
        self.points.resize(l, Point::default());
        self.tied = false;
        let mut k = 0;
        while k < l {
            let value = values[order[k] as usize];
            let end = (k..l)
                .find(|&j| values[order[j] as usize] != value)
                .unwrap_or(l);
            self.tied |= end > k + 1;
            for (ord, &i) in order.iter().enumerate().take(end).skip(k) {
                let p = &mut self.points[i as usize];
                (p.value, p.ord) = ((k + end - 1) as u64, ord as u32);
            }
            k = end;
        }
        // Spreads from prefix sums in rank order (a tied value adds 0 on either side).
        let total: u64 = self.points.iter().map(|p| p.value).sum();
        let mut below = 0;
        for (ord, &i) in order.iter().enumerate() {
            let p = &mut self.points[i as usize];
            let above = total - below - p.value;
            p.spread = p.value * ord as u64 - below + above - p.value * (l - 1 - ord) as u64;
            below += p.value;
        }
        self.within = self.points.iter().map(|p| p.spread).sum::<u64>() / 2;
        self.weights.clear();
        self.weights.extend((0..l).map(|tau| {
            let (m, n) = (tau as f64, (l - tau) as f64);
            let scale = m * n / (m + n);
            [2.0 * scale / (m * (m - 1.0)), 2.0 * scale / (n * (n - 1.0))]
        }));
    }

    fn shuffle(&mut self, rng: &mut SplitMix64) {
        for i in (1..self.points.len()).rev() {
            let j = ((u128::from(rng.next_u64()) * (i as u128 + 1)) >> 64) as usize;
            self.points.swap(i, j);
        }
    }

    /// `(tau, Q(tau))` maximising `Q` over splits leaving `min` points each side, in one sweep:
    /// `Wx` grows by each point's distance to those before it (from the tree), `B` is the sum
    /// of the spreads so far less `2 Wx`, and `Wy` is what remains of `within`.
    fn best_split(&mut self, min: usize) -> (usize, f64) {
        let l = self.points.len();
        self.tree.clear();
        self.tree.resize(l + 1, 0);
        let (mut wx, mut spreads, mut sum) = (0u64, 0u64, 0u64);
        let mut best = (min, f64::NEG_INFINITY);
        for (tau, p) in self.points.iter().enumerate() {
            if tau >= min && tau + min <= l {
                let between = (spreads - 2 * wx) as f64;
                let wy = (self.within + wx - spreads) as f64;
                let [cx, cy] = self.weights[tau];
                let q = between * 2.0 / l as f64 - cx * wx as f64 - cy * wy;
                if q > best.1 {
                    best = (tau, q);
                }
            }
            let (mut i, mut packed) = (p.ord as usize, 0);
            while i > 0 {
                packed += self.tree[i];
                i &= i - 1;
            }
            let (below, below_sum) = (packed / COUNT, packed % COUNT);
            let above = tau as u64 - below;
            wx += (p.value * below - below_sum) + (sum - below_sum - p.value * above);
            let mut i = p.ord as usize + 1;
            while i <= l {
                self.tree[i] += COUNT | p.value;
                i += i & i.wrapping_neg();
            }
            spreads += p.spread;
            sum += p.value;
        }
        best
    }
}

pub mod simulate {
    //! Synthetic histories shaped like ours (per-run medians, CV ~5%, heavy tails, stalls,
    //! bimodal processes, drift) and the detector's error rates on them. Deterministic.

    use super::{Detector, Options};
    use crate::compare::simulate::{SplitMix64, lognormal_sigma};

    /// A detection must lie within this many runs of the true step, with its sign.
    pub const TOLERANCE: usize = 3;
    /// Per-run coefficient of variation of the lognormal noise.
    pub const CV: f64 = 0.05;
    /// Fewest runs either side of a step.
    pub const MARGIN: usize = 10;

    /// Per-run noise around the level.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Noise {
        Lognormal,
        /// Student-t (3 d.f.) in logs, same sd: heavy tails.
        HeavyTails,
        /// Lognormal, and 5% of runs stalled at 0.3-0.6x.
        Stalls,
        /// Lognormal, and each run's process independently in a 0.4x mode 20% of the time.
        Bimodal,
    }

    /// A kind of series, replayed with fresh noise in every trial.
    #[derive(Debug, Clone, PartialEq)]
    pub struct Scenario {
        pub name: &'static str,
        pub runs: usize,
        pub noise: Noise,
        /// One step of this size (0.1: x1.1 or x0.9), random sign, at a uniform position
        /// leaving [`MARGIN`] runs each side; 0: none.
        pub step: f64,
        /// Total linear drift over the series, random sign (0.1 = 10%).
        pub drift: f64,
    }

    impl Scenario {
        /// 100 runs.
        pub fn new(name: &'static str, noise: Noise, step: f64, drift: f64) -> Self {
            let runs = 100;
            Self {
                name,
                runs,
                noise,
                step,
                drift,
            }
        }

        /// The scenarios of the README table.
        pub fn presets() -> Vec<Scenario> {
            use Noise::*;
            vec![
                Scenario::new("no change", Lognormal, 0.0, 0.0),
                Scenario::new("no change, heavy tails (t3)", HeavyTails, 0.0, 0.0),
                Scenario::new("no change, 5% stalls at 0.3-0.6x", Stalls, 0.0, 0.0),
                Scenario::new("no change, bimodal 80/20 at 1.0/0.4", Bimodal, 0.0, 0.0),
                Scenario::new("10% step", Lognormal, 0.10, 0.0),
                Scenario::new("10% step, heavy tails (t3)", HeavyTails, 0.10, 0.0),
                Scenario::new("10% step, 5% stalls", Stalls, 0.10, 0.0),
                Scenario::new("10% step, bimodal 80/20", Bimodal, 0.10, 0.0),
                Scenario::new("5% step", Lognormal, 0.05, 0.0),
                Scenario::new("5% step, 5% stalls", Stalls, 0.05, 0.0),
                Scenario::new("drift 10% over 100 runs", Lognormal, 0.0, 0.10),
            ]
        }

        /// One series and its true step `(index, sign)`, if any.
        pub fn series(&self, rng: &mut SplitMix64) -> (Vec<f64>, Option<(usize, f64)>) {
            let step = (self.step > 0.0).then(|| {
                let span = (self.runs + 1).saturating_sub(2 * MARGIN) as f64;
                let at = MARGIN + (rng.next_f64() * span) as usize;
                (at, rng.sign())
            });
            let drift = self.drift * rng.sign() / (self.runs.max(2) - 1) as f64;
            let sigma = lognormal_sigma(CV);
            let series = (0..self.runs).map(|i| {
                let mut x = 1e6 * (1.0 + drift * i as f64);
                if let Some((_, sign)) = step.filter(|&(at, _)| i >= at) {
                    x *= 1.0 + sign * self.step;
                }
                let z = match self.noise {
                    Noise::HeavyTails => rng.student_t3_unit(),
                    _ => rng.normal(),
                };
                x *= (sigma * z).exp();
                match self.noise {
                    Noise::Stalls if rng.chance(0.05) => x * rng.uniform(0.3, 0.6),
                    Noise::Bimodal if rng.chance(0.2) => x * 0.4,
                    _ => x,
                }
            });
            (series.collect(), step)
        }
    }

    /// What the trials of a scenario gave.
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct Rates {
        pub trials: usize,
        /// Share of the trials whose step was found (within [`TOLERANCE`], right sign).
        pub recall: f64,
        /// Change points other than the one matching the step, per series.
        pub false_per_series: f64,
        /// Mean over detections of (found - true index), and of its absolute value.
        pub mean_offset: f64,
        pub mean_abs_offset: f64,
    }

    /// Runs `trials` series of `scenario` through one [`Detector`].
    pub fn measure(scenario: &Scenario, opts: &Options, trials: usize, seed: u64) -> Rates {
        let (mut rng, mut detector) = (SplitMix64::new(seed), Detector::new(opts));
        let (mut detected, mut false_cps, mut offsets, mut abs_offsets) = (0, 0, 0, 0);
        for _ in 0..trials {
            let (series, step) = scenario.series(&mut rng);
            let cps = detector.detect(&series);
            let hit = step.and_then(|(at, sign)| {
                let near = cps.iter().filter(|c| c.index.abs_diff(at) <= TOLERANCE);
                let right = near.filter(|c| c.change * sign > 0.0);
                right
                    .map(|c| c.index as i64 - at as i64)
                    .min_by_key(|d| d.abs())
            });
            if let Some(offset) = hit {
                (detected, offsets, abs_offsets) =
                    (detected + 1, offsets + offset, abs_offsets + offset.abs());
            }
            false_cps += cps.len() - usize::from(hit.is_some());
        }
        let per = |sum: f64, n: usize| sum / n.max(1) as f64;
        Rates {
            trials,
            recall: per(detected as f64, trials),
            false_per_series: per(false_cps as f64, trials),
            mean_offset: per(offsets as f64, detected),
            mean_abs_offset: per(abs_offsets as f64, detected),
        }
    }
}

#[cfg(test)]
#[path = "changepoint_tests.rs"]
mod tests;
