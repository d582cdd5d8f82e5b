//! Deterministic synthetic measurements for calibrating and testing the gate (no clock, no OS
//! entropy), shaped like what these 2-vCPU KVM machines produce.
//!
//! Public so that a calibration script can replay the same simulations as the tests with other
//! noise levels, sample counts or thresholds.
//!
//! # The data model ([`Shape`])
//!
//! The process (fork), not the sample, is the unit of variance. For one case, sample `k` of
//! fork `j` has log throughput
//!
//! ```text
//! ln x = level + change (head only) + drift(t_j) + F_j + M_j + e_jk + S_jk
//! ```
//!
//! - `F_j`, the **fork effect**: normal with sd `fork_sd`, or Student-t with 3 d.f. scaled to
//!   the same sd (heavy tails: a few forks far off). Measured between-fork sd of fork medians:
//!   0.4-27%, median ~5%.
//! - `M_j`, the **placement mode**: with probability `mode_probability` the fork lands in the
//!   other host placement and runs at `mode_factor` (1.6 = +60%, 0.6 = -40%) of normal; seen as
//!   1 process in 20 at 185 M/s against 63-70 M/s.
//! - `e_jk`, **per-sample noise**: normal, sd `sample_sd` (measured 0.3-21%).
//! - `S_jk`, **stalls**: with probability `stall_probability` a sample runs at 1-10% of
//!   normal (log-uniform), as whole 50 ms windows of queue cases at 0.0-0.1 M msg/s.
//! - `drift(t)`, slow **drift** over the session, `t` in [0, 1]: a linear trend of total size
//!   up to `trend` (uniform, random sign) centred on the session, plus with probability 1/2 a
//!   step of `step` (random sign) at a uniform time. Back-to-back A/B pairs share one session:
//!   both members of a pair see the same drift. Independent runs each get their own session,
//!   so their drift paths differ; each path is centred on its run (see [`independent_runs`]:
//!   an offset of a whole run's level is modelled separately, by `run_offset`, because no
//!   analysis of one run per side can tell it from a change).
//!
//! The presets ([`Shape::presets`]) span the measured quick suite: a quiet matmul-like case
//! (forks 1%, samples 0.3%), a fork-dominated counter/atomic@1-like one (8% / 0.4%), a bimodal
//! one (t3 forks 5%, +60% mode in 10% of forks), a stall-prone queue@2-like one (forks 9%, 5% of
//! samples stalled, -40% mode in 8% of forks) and a noisy actor-like one (t3 forks 9%, samples
//! 20%, 3% stalls).
//!
//! A true change multiplies every head throughput by the same ratio (a pure shift in logs).

use crate::schema::Sample;

/// SplitMix64: a tiny, fast, well-mixed 64-bit generator; the same seed gives the same stream.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1), 53 bits.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in [lo, hi).
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.next_f64()
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.next_f64() < p
    }

    /// +1 or -1, equally likely.
    pub fn sign(&mut self) -> f64 {
        if self.next_u64() >> 63 == 0 {
            1.0
        } else {
            -1.0
        }
    }

    /// Standard normal (Box-Muller; one of the pair is discarded to keep the stream simple).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.next_f64(); // (0, 1]: ln is finite
        let u2 = self.next_f64();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// Student-t with 3 degrees of freedom scaled to unit variance (`t3 / sqrt(3)`): heavy tails.
    pub fn student_t3_unit(&mut self) -> f64 {
        let z = self.normal();
        let chi2: f64 = (0..3).map(|_| self.normal().powi(2)).sum();
        z / (chi2 / 3.0).sqrt() / 3f64.sqrt()
    }

    /// One lognormal throughput sample with the given median and coefficient of variation.
    pub fn lognormal(&mut self, median: f64, cv: f64) -> f64 {
        median * (lognormal_sigma(cv) * self.normal()).exp()
    }

    /// `n` lognormal samples with the given median and coefficient of variation (0.05 = 5%).
    pub fn lognormal_samples(&mut self, median: f64, cv: f64, n: usize) -> Vec<f64> {
        (0..n).map(|_| self.lognormal(median, cv)).collect()
    }
}

/// The log-scale standard deviation of a lognormal distribution with coefficient of variation `cv`.
pub fn lognormal_sigma(cv: f64) -> f64 {
    (1.0 + cv * cv).ln().sqrt()
}

/// Distribution of the fork effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tails {
    Normal,
    /// Student-t, 3 d.f., scaled to the same standard deviation.
    StudentT3,
}

/// How one case's measurements vary (see the module docs). Log-scale sizes: 0.05 ~ 5%.
#[derive(Debug, Clone, PartialEq)]
pub struct Shape {
    pub name: &'static str,
    /// Sd of the fork (process) effect on log throughput.
    pub fork_sd: f64,
    pub tails: Tails,
    /// Probability that a fork lands in the other placement mode.
    pub mode_probability: f64,
    /// Throughput factor of that mode (1.6 = +60%, 0.6 = -40%).
    pub mode_factor: f64,
    /// Sd of per-sample noise on log throughput.
    pub sample_sd: f64,
    /// Probability that a sample stalls (runs at 1-10% of normal).
    pub stall_probability: f64,
    /// Largest total size of the linear trend over a session.
    pub trend: f64,
    /// Size of the step that happens in half the sessions.
    pub step: f64,
    /// Sd of a level offset between two independent runs (0 in the presets; see
    /// [`independent_runs`]).
    pub run_offset: f64,
}

impl Shape {
    /// Shapes spanning what was measured on the quick suite (34 cases, 10 forks x 5 samples).
    pub fn presets() -> Vec<Shape> {
        let base = Shape {
            name: "",
            fork_sd: 0.05,
            tails: Tails::Normal,
            mode_probability: 0.05,
            mode_factor: 1.6,
            sample_sd: 0.02,
            stall_probability: 0.01,
            trend: 0.02,
            step: 0.02,
            run_offset: 0.0,
        };
        vec![
            // matmul-like: both spreads small.
            Shape {
                name: "quiet (fork 1%, sample 0.3%)",
                fork_sd: 0.01,
                sample_sd: 0.003,
                trend: 0.01,
                step: 0.01,
                ..base.clone()
            },
            // counter/atomic@1-like: tight samples, processes apart.
            Shape {
                name: "fork-dominated (fork 8%, sample 0.4%)",
                fork_sd: 0.08,
                sample_sd: 0.004,
                ..base.clone()
            },
            // counter/atomic@2-like: the fast SMT-sibling mode now and then.
            Shape {
                name: "bimodal +60% (10%), t3 forks 5%",
                tails: Tails::StudentT3,
                mode_probability: 0.10,
                sample_sd: 0.04,
                ..base.clone()
            },
            // queue/flume@2, mutex-deque@2: stalls and a slow mode.
            Shape {
                name: "stall-prone (5% stalls), -40% mode, fork 9%",
                fork_sd: 0.09,
                mode_factor: 0.6,
                mode_probability: 0.08,
                sample_sd: 0.05,
                stall_probability: 0.05,
                ..base.clone()
            },
            // counter/actor@1-like: noisy everywhere, heavy tails.
            Shape {
                name: "noisy (t3 forks 9%, sample 20%, 3% stalls)",
                fork_sd: 0.09,
                tails: Tails::StudentT3,
                mode_factor: 0.6,
                sample_sd: 0.20,
                stall_probability: 0.03,
                trend: 0.04,
                step: 0.03,
                ..base
            },
        ]
    }

    /// The drift path of one session: `t` in [0, 1] to a log offset.
    pub fn drift(&self, rng: &mut SplitMix64) -> Drift {
        Drift {
            slope: self.trend * rng.uniform(-1.0, 1.0),
            step: if rng.chance(0.5) {
                self.step * rng.sign()
            } else {
                0.0
            },
            at: rng.next_f64(),
        }
    }

    /// Log offset of one fork: its effect plus its placement mode.
    pub fn fork_offset(&self, rng: &mut SplitMix64) -> f64 {
        let effect = match self.tails {
            Tails::Normal => rng.normal(),
            Tails::StudentT3 => rng.student_t3_unit(),
        } * self.fork_sd;
        let mode = if rng.chance(self.mode_probability) {
            self.mode_factor.ln()
        } else {
            0.0
        };
        effect + mode
    }

    /// Log offset of one sample within its fork: noise, and now and then a stall.
    pub fn sample_offset(&self, rng: &mut SplitMix64) -> f64 {
        let noise = self.sample_sd * rng.normal();
        if rng.chance(self.stall_probability) {
            noise + rng.uniform(0.01f64.ln(), 0.10f64.ln())
        } else {
            noise
        }
    }

    /// One fork's throughput samples (units/s, level 1.0 before offsets) at log offset `at`.
    fn fork(&self, rng: &mut SplitMix64, at: f64, fork: u32, samples: usize) -> Vec<Sample> {
        let offset = at + self.fork_offset(rng);
        (0..samples)
            .map(|_| {
                let throughput = (offset + self.sample_offset(rng)).exp();
                Sample {
                    fork,
                    ops: 0,
                    elapsed_ns: 50_000_000,
                    throughput,
                    evidence: None,
                }
            })
            .collect()
    }
}

/// One session's drift (see [`Shape::drift`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Drift {
    slope: f64,
    step: f64,
    at: f64,
}

impl Drift {
    /// Log offset at time `t` in [0, 1].
    pub fn at(&self, t: f64) -> f64 {
        self.slope * (t - 0.5) + if t >= self.at { self.step } else { 0.0 }
    }
}

/// Two independent runs of one case, `forks` processes of `samples` samples each: base at level
/// 1, head at `ratio`. Each run has its own drift session, spread over its forks in order and
/// centred on the run (zero mean over its forks): the runs' drift paths differ, their average
/// levels do not. A level offset shared by every fork of one run is indistinguishable from a
/// change of the code, so no analysis of one run per side can cover it; `run_offset` (sd, each
/// run drawn independently) adds one to measure how fast coverage degrades with it.
pub fn independent_runs(
    rng: &mut SplitMix64,
    shape: &Shape,
    forks: usize,
    samples: usize,
    ratio: f64,
) -> (Vec<Sample>, Vec<Sample>) {
    let mut run = |level: f64| {
        let drift = shape.drift(rng);
        let times: Vec<f64> = (0..forks)
            .map(|j| (j as f64 + 0.5) / forks as f64)
            .collect();
        let mean = times.iter().map(|&t| drift.at(t)).sum::<f64>() / forks.max(1) as f64;
        let offset = shape.run_offset * rng.normal();
        times
            .iter()
            .enumerate()
            .flat_map(|(j, &t)| {
                let at = level + offset + drift.at(t) - mean;
                shape.fork(rng, at, j as u32, samples)
            })
            .collect::<Vec<Sample>>()
    };
    let base = run(0.0);
    let head = run(ratio.ln());
    (base, head)
}

/// An interleaved A/B session: pair `i` is one base and one head process of `samples` samples
/// each, back to back (sharing the session's drift at `t = (i + 0.5) / session_pairs`).
#[derive(Debug, Clone)]
pub struct AbSession {
    shape: Shape,
    drift: Drift,
    ratio: f64,
    samples: usize,
    session_pairs: usize,
    pairs: usize,
}

impl AbSession {
    /// A session of up to `session_pairs` pairs (the drift is spread over that many).
    pub fn new(
        rng: &mut SplitMix64,
        shape: &Shape,
        ratio: f64,
        samples: usize,
        session_pairs: usize,
    ) -> Self {
        AbSession {
            drift: shape.drift(rng),
            shape: shape.clone(),
            ratio,
            samples,
            session_pairs: session_pairs.max(1),
            pairs: 0,
        }
    }

    /// The next pair's fork values (median of each fork's samples), `(base, head)`.
    pub fn next_pair(&mut self, rng: &mut SplitMix64) -> (f64, f64) {
        let t = (self.pairs as f64 + 0.5) / self.session_pairs as f64;
        let at = self.drift.at(t.min(1.0));
        let fork = self.pairs as u32;
        self.pairs += 1;
        let value = |s: Vec<Sample>| {
            let t: Vec<f64> = s.iter().map(|s| s.throughput).collect();
            crate::stats::median(&t)
        };
        let base = value(self.shape.fork(rng, at, fork, self.samples));
        let head = value(
            self.shape
                .fork(rng, at + self.ratio.ln(), fork, self.samples),
        );
        (base, head)
    }

    /// The next `n` pairs as `(base, head)` fork-value vectors.
    pub fn pairs(&mut self, rng: &mut SplitMix64, n: usize) -> (Vec<f64>, Vec<f64>) {
        (0..n).map(|_| self.next_pair(rng)).unzip()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_and_right_spread() {
        let a = SplitMix64::new(7).lognormal_samples(100.0, 0.05, 5);
        let b = SplitMix64::new(7).lognormal_samples(100.0, 0.05, 5);
        assert_eq!(a, b);
        let v = SplitMix64::new(1).lognormal_samples(100.0, 0.10, 20_000);
        let s = crate::stats::summarize(&v);
        assert!((s.median - 100.0).abs() < 0.5, "{}", s.median);
        assert!((s.cv - 0.10).abs() < 0.005, "{}", s.cv);
    }

    #[test]
    fn student_t3_is_scaled_to_unit_variance_with_heavy_tails() {
        let mut rng = SplitMix64::new(3);
        let v: Vec<f64> = (0..40_000).map(|_| rng.student_t3_unit()).collect();
        // The variance of t3 converges slowly (infinite fourth moment): check robust figures.
        // Unit-variance t3 has quartiles +-0.765 / sqrt(3) = +-0.442 and P(|x| > 3) = 0.0138
        // (a normal: 0.0027).
        let q3 = crate::stats::quantile(&v, 0.75);
        assert!((q3 - 0.442).abs() < 0.02, "{q3}");
        let far = v.iter().filter(|x| x.abs() > 3.0).count() as f64 / v.len() as f64;
        assert!((far - 0.0138).abs() < 0.003, "{far}");
    }

    #[test]
    fn runs_have_forks_modes_and_stalls() {
        let shape = Shape::presets()[3].clone(); // stall-prone, -40% mode
        let mut rng = SplitMix64::new(5);
        let (base, head) = independent_runs(&mut rng, &shape, 400, 5, 0.9);
        assert_eq!(base.len(), 2000);
        assert_eq!((base[0].fork, base[1999].fork), (0, 399));
        let stalls = base.iter().filter(|s| s.throughput < 0.15).count();
        assert!((50..160).contains(&stalls), "~5% stalls: {stalls}");
        let slow_forks = base
            .chunks(5)
            .filter(|f| {
                let t: Vec<f64> = f.iter().map(|s| s.throughput).collect();
                crate::stats::median(&t) < 0.72
            })
            .count();
        assert!(
            (16..60).contains(&slow_forks),
            "~8% in the -40% mode: {slow_forks}"
        );
        let med = |s: &[Sample]| {
            crate::stats::median(&s.iter().map(|s| s.throughput).collect::<Vec<_>>())
        };
        assert!((med(&head) / med(&base) - 0.9).abs() < 0.03);
        // A/B pairs share the drift; same seed, same pairs.
        let pairs = |seed| {
            let mut rng = SplitMix64::new(seed);
            AbSession::new(&mut rng, &shape, 1.0, 1, 80).pairs(&mut rng, 10)
        };
        assert_eq!(pairs(9), pairs(9));
    }
}
