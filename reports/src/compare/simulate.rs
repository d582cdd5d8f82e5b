//! Deterministic synthetic samples for calibrating and testing the gate (no clock, no OS entropy).
//!
//! Public so that a calibration script can replay the same simulations as the tests with other
//! noise levels, sample counts or thresholds.

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

    /// Standard normal (Box-Muller; one of the pair is discarded to keep the stream simple).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.next_f64(); // (0, 1]: ln is finite
        let u2 = self.next_f64();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
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
}
