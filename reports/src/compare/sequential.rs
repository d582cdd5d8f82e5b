//! Exact group-sequential error of sign-test intervals: the chance that *any* of several looks at
//! growing sample sizes misses the true median, and the cuts that keep it within a budget.
//!
//! Under the true median `m`, the signs of `d_i - m` of independent values are fair coins,
//! whatever the distribution of `d` (no symmetry needed). The interval at a look of `n` values
//! with cut `c` is `[d_(c), d_(n+1-c)]`; it misses `m` exactly when `B`, the number of values
//! above `m`, is `<= c - 1` or `>= n - c + 1`. Across looks `B` is a simple random walk, so the
//! joint probability of missing at one look or another is a sum over walk paths, computed here
//! exactly by dynamic programming (`O(n^2)` for `n` values at the last look). The correlation
//! between looks is thereby used, not bounded away as Bonferroni does.

/// The sign walk's probability mass over paths on which no look has missed yet.
#[derive(Debug, Clone)]
pub(crate) struct SignWalk {
    /// `alive[b]`: probability that no look so far missed and `b` of the values so far lie
    /// above the median.
    alive: Vec<f64>,
    /// Probability that some look so far missed.
    missed: f64,
}

impl SignWalk {
    pub(crate) fn new() -> Self {
        SignWalk {
            alive: vec![1.0],
            missed: 0.0,
        }
    }

    /// Values so far.
    pub(crate) fn n(&self) -> usize {
        self.alive.len() - 1
    }

    /// Probability that some look so far missed.
    #[cfg(test)]
    pub(crate) fn missed(&self) -> f64 {
        self.missed
    }

    /// Adds values up to `n` in all (fair coin steps).
    pub(crate) fn advance(&mut self, n: usize) {
        assert!(n >= self.n(), "looks must not shrink");
        for _ in self.n()..n {
            let mut next = vec![0.0; self.alive.len() + 1];
            for (b, p) in self.alive.iter().enumerate() {
                next[b] += 0.5 * p;
                next[b + 1] += 0.5 * p;
            }
            self.alive = next;
        }
    }

    /// Additional miss probability of a look with `cut` now (tails `b < cut`, `b > n - cut`).
    fn tails(&self, cut: usize) -> f64 {
        let n = self.n();
        (0..=n)
            .filter(|&b| b < cut || b + cut > n)
            .map(|b| self.alive[b])
            .sum()
    }

    /// The largest cut (narrowest interval) whose look now keeps the total miss probability
    /// within `budget`; 0 = none (no finite interval).
    pub(crate) fn largest_cut_within(&self, budget: f64) -> usize {
        let n = self.n();
        let mut cut = 0;
        while 2 * (cut + 1) <= n && self.missed + self.tails(cut + 1) <= budget * (1.0 + 1e-12) {
            cut += 1;
        }
        cut
    }

    /// Takes a look with `cut` now: its misses join the missed mass.
    pub(crate) fn look(&mut self, cut: usize) {
        let n = self.n();
        self.missed += self.tails(cut);
        for b in (0..=n).filter(|&b| b < cut || b + cut > n) {
            self.alive[b] = 0.0;
        }
    }
}

/// Probability that a single look of `n` values with `cut` misses: `2 P(B <= cut - 1)`.
pub(crate) fn miss_probability(n: usize, cut: usize) -> f64 {
    let mut walk = SignWalk::new();
    walk.advance(n);
    walk.tails(cut)
}

/// Cuts for looks at `sizes` (non-decreasing), each as large as keeps the probability that some
/// look among the first `k` misses within `cumulative_alpha[k]`; with that exact probability
/// after each look.
#[cfg(test)]
pub(crate) fn sequential_sign_cuts(
    sizes: &[usize],
    cumulative_alpha: &[f64],
) -> (Vec<usize>, Vec<f64>) {
    let mut walk = SignWalk::new();
    let (mut cuts, mut spent) = (Vec::new(), Vec::new());
    for (&size, &budget) in sizes.iter().zip(cumulative_alpha) {
        walk.advance(size);
        let cut = walk.largest_cut_within(budget);
        walk.look(cut);
        cuts.push(cut);
        spent.push(walk.missed());
    }
    (cuts, spent)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::ranks::sign_cut;
    use crate::compare::simulate::SplitMix64;

    #[test]
    fn a_single_look_is_the_fixed_sample_sign_test() {
        for (n, alpha) in [(10, 0.01), (20, 0.0025), (80, 0.01), (7, 0.05), (3, 0.01)] {
            let (cuts, spent) = sequential_sign_cuts(&[n], &[alpha]);
            assert_eq!(cuts[0], sign_cut(n, alpha), "n {n} alpha {alpha}");
            assert!(spent[0] <= alpha);
        }
    }

    #[test]
    fn bonferroni_looks_leave_budget_unspent() {
        // The default schedule's Bonferroni cuts (99% over 4 looks, 99.75% each) miss together
        // with probability 0.62%, not 1%: the rest is what the stopping rule's last look spends.
        let mut walk = SignWalk::new();
        for (n, cut) in [(10, 1), (20, 3), (40, 11), (80, 27)] {
            assert_eq!(sign_cut(n, 0.0025), cut);
            walk.advance(n);
            walk.look(cut);
        }
        assert!((walk.missed() - 0.006214).abs() < 1e-6, "{}", walk.missed());
        let mut walk = SignWalk::new();
        for (n, cut) in [(10, 1), (20, 3), (40, 11)] {
            walk.advance(n);
            walk.look(cut);
        }
        walk.advance(80);
        assert_eq!(walk.largest_cut_within(0.01), 28);
        walk.look(28);
        assert!((walk.missed() - 0.008533).abs() < 1e-6, "{}", walk.missed());
    }

    #[test]
    fn the_exact_union_matches_a_simulation_of_the_walk() {
        let looks = [10, 20, 40, 80];
        let (cuts, spent) = sequential_sign_cuts(&looks, &[0.01, 0.03, 0.06, 0.10]);
        let mut rng = SplitMix64::new(17);
        let trials = 20_000;
        let mut missed = 0;
        for _ in 0..trials {
            let (mut b, mut n, mut miss) = (0, 0, false);
            for (&size, &c) in looks.iter().zip(&cuts) {
                while n < size {
                    b += usize::from(rng.next_u64() >> 63 == 1);
                    n += 1;
                }
                miss |= c > 0 && (b < c || b > size - c);
            }
            missed += usize::from(miss);
        }
        let rate = missed as f64 / trials as f64;
        // Binomial sd at 0.1 over 20000 trials: 0.0021; allow 4 sd.
        assert!((rate - spent[3]).abs() < 0.0085, "{rate} vs {}", spent[3]);
    }

    #[test]
    fn a_repeated_look_at_the_same_size_spends_only_what_is_left() {
        let (cuts, spent) = sequential_sign_cuts(&[20, 20], &[0.0025, 0.01]);
        assert_eq!(cuts[0], sign_cut(20, 0.0025));
        assert_eq!(cuts[1], sign_cut(20, 0.01));
        assert!(spent[1] <= 0.01);
    }
}
