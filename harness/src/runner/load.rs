//! The queue family's modes in the runner: how often saturated samples stamp a message, the
//! bare reference measured between them (throughput mode), and the offered rates of the
//! open-loop sweep (latency mode).

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use contend_reports::schema::{BareReference, LoadPoint, Quantiles};
use contend_reports::stats::median;
use hdrhistogram::Histogram;

/// What the message-passing modes measure in a run (`--mode`, `--rate`).
#[derive(Debug, Clone, PartialEq)]
pub struct LoadPlan {
    /// The throughput mode is on (`--mode throughput` or `both`).
    pub throughput: bool,
    /// Measure the bare reference beside the saturated samples (throughput mode, unless
    /// `--no-overhead`).
    pub bare_reference: bool,
    /// Sweep offered rates after the samples (cases with a producer and a consumer).
    pub sweep: bool,
    pub rates: Rates,
}

impl Default for LoadPlan {
    /// Both modes, at the default rates.
    fn default() -> Self {
        LoadPlan {
            throughput: true,
            bare_reference: true,
            sweep: true,
            rates: Rates::Fractions(DEFAULT_FRACTIONS.to_vec()),
        }
    }
}

impl LoadPlan {
    /// The `--mode` this plan stands for: `throughput`, `latency` or `both`.
    pub fn mode_name(&self) -> &'static str {
        match (self.throughput, self.sweep) {
            (true, false) => "throughput",
            (false, true) => "latency",
            _ => "both",
        }
    }
}

/// The offered rates of a sweep.
#[derive(Debug, Clone, PartialEq)]
pub enum Rates {
    /// Fractions of the case's measured saturation throughput.
    Fractions(Vec<f64>),
    /// Messages per second over all producers (`--rate`).
    PerSecond(Vec<f64>),
}

impl Rates {
    /// `(offered messages/s, fraction of saturation if given as one)` for a case that saturated
    /// at `saturation_per_s`.
    pub fn resolve(&self, saturation_per_s: f64) -> Vec<(f64, Option<f64>)> {
        match self {
            Rates::Fractions(f) => f.iter().map(|&f| (f * saturation_per_s, Some(f))).collect(),
            Rates::PerSecond(r) => r.iter().map(|&r| (r, None)).collect(),
        }
    }
}

/// Light load, the approach to the knee, saturation and past it.
pub const DEFAULT_FRACTIONS: [f64; 7] = [0.1, 0.5, 0.8, 0.9, 0.95, 1.0, 1.1];

/// The most of a message's time the sampled clock may cost.
const CLOCK_SHARE: f64 = 0.01;

/// Stamp interval of the warm-up (so its throughput is close to unstamped speed) and of cases
/// without a warm-up to size it from.
pub const WARMUP_STAMP_EVERY: u64 = 1024;

/// Length of each sweep point's window: a quarter of a sample's window, at least 10 ms.
pub fn short_window(sample_window: Duration) -> Duration {
    (sample_window / 4).max(Duration::from_millis(10))
}

/// What one stamped message costs the threads: two reads of the case clock and a histogram
/// record, measured once per process (median of 9 runs of 2000).
pub fn stamp_cost_ns() -> f64 {
    static COST: OnceLock<f64> = OnceLock::new();
    *COST.get_or_init(|| {
        let epoch = Instant::now();
        let mut h = contend_workloads::ctx::new_histogram();
        let runs: Vec<f64> = (0..9)
            .map(|_| {
                let start = Instant::now();
                for _ in 0..2000 {
                    let sent = epoch.elapsed().as_nanos() as u64;
                    let now = epoch.elapsed().as_nanos() as u64;
                    h.saturating_record(now.saturating_sub(sent).max(1));
                }
                start.elapsed().as_nanos() as f64 / 2000.0
            })
            .collect();
        std::hint::black_box(&h);
        median(&runs)
    })
}

/// One stamped message in this many (a power of two) keeps the clock at most [`CLOCK_SHARE`] of
/// a message's time, for a case that moved `throughput_per_s` messages/s.
pub fn stamp_every(throughput_per_s: f64, stamp_cost_ns: f64) -> u64 {
    if !(throughput_per_s > 0.0 && throughput_per_s.is_finite()) {
        return WARMUP_STAMP_EVERY;
    }
    let ns_per_message = 1e9 / throughput_per_s;
    let n = (stamp_cost_ns / (CLOCK_SHARE * ns_per_message))
        .ceil()
        .max(1.0);
    (n.min(1e6) as u64).next_power_of_two()
}

/// Whether a bare window follows timed sample `sample` (1-based) of `samples`: between samples 1
/// and 2, 3 and 4, ... (so each bare window has a sample on both sides), or after the only one.
/// A bare window is as long as a sample: a 1P1C channel's speed in the first milliseconds of a
/// window differs from its speed later on, so a shorter window would not compare like with like
/// (quarter-length windows read `lock-free` at 0.96-1.01 of bare where full-length ones read
/// 0.99-1.03, 8 interleaved runs each); every other gap keeps the cost of the longer windows down.
pub fn bare_after(sample: u32, samples: u32) -> bool {
    (sample % 2 == 1 && sample < samples) || samples == 1
}

/// The bare reference from the samples' throughputs and the bare windows, each given as
/// `(index of the sample just before it, bare throughput)`. Each bare window is paired with the
/// mean of the samples on both sides of it (the one before, when it is last), so a slow phase
/// or a drift that spans the three cancels; the ratio is the median of the pairs' ratios, so a
/// stalled window on either side moves it little.
pub fn bare_reference(samples: &[f64], bare: &[(usize, f64)]) -> Option<BareReference> {
    let pairs: Vec<(f64, f64)> = bare
        .iter()
        .filter_map(|&(before, per_s)| {
            let around: Vec<f64> = samples.iter().skip(before).take(2).copied().collect();
            (!around.is_empty()).then(|| (around.iter().sum::<f64>() / around.len() as f64, per_s))
        })
        .collect();
    if pairs.is_empty() {
        return None;
    }
    let windows_per_s: Vec<f64> = pairs.iter().map(|p| p.1).collect();
    let pair_ratios: Vec<f64> = pairs
        .iter()
        .map(|&(case, bare)| if bare > 0.0 { case / bare } else { 0.0 })
        .collect();
    Some(BareReference {
        median_per_s: median(&windows_per_s),
        ratio: median(&pair_ratios),
        windows_per_s,
        pair_ratios,
    })
}

/// A sweep point from its window: what was offered, what arrived, and its latencies.
pub fn load_point(
    (offered_per_s, fraction): (f64, Option<f64>),
    stamp_every: u64,
    messages: u64,
    elapsed_ns: u64,
    latencies: &Histogram<u64>,
) -> LoadPoint {
    LoadPoint {
        offered_per_s,
        fraction,
        achieved_per_s: messages as f64 * 1e9 / elapsed_ns.max(1) as f64,
        messages,
        stamp_every,
        latency: Quantiles {
            count: latencies.len(),
            p50: latencies.value_at_quantile(0.5),
            p90: latencies.value_at_quantile(0.9),
            p99: latencies.value_at_quantile(0.99),
            p999: latencies.value_at_quantile(0.999),
            max: latencies.max(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stamp_interval_keeps_the_clock_within_one_percent() {
        // 40 ns per stamp, 15 M messages/s (66.7 ns each): 40 / (0.01 x 66.7) = 60 -> 64.
        assert_eq!(stamp_every(15e6, 40.0), 64);
        let n = stamp_every(15e6, 40.0) as f64;
        assert!(40.0 / n <= 0.01 * 1e9 / 15e6);
        // A slow queue stamps every message; nonsense throughput falls back to the warm-up's.
        assert_eq!(stamp_every(1e5, 40.0), 1);
        assert_eq!(stamp_every(0.0, 40.0), WARMUP_STAMP_EVERY);
        assert_eq!(stamp_every(f64::NAN, 40.0), WARMUP_STAMP_EVERY);
    }

    #[test]
    fn bare_windows_sit_between_every_other_pair_of_adjacent_samples() {
        let after: Vec<u32> = (1..=10).filter(|&s| bare_after(s, 10)).collect();
        assert_eq!(after, [1, 3, 5, 7, 9]);
        let after: Vec<u32> = (1..=5).filter(|&s| bare_after(s, 5)).collect();
        assert_eq!(after, [1, 3], "never after the last of several samples");
        let one: Vec<u32> = (1..=1).filter(|&s| bare_after(s, 1)).collect();
        assert_eq!(one, [1]);
    }

    #[test]
    fn rates_resolve_against_the_saturation_throughput() {
        let f = Rates::Fractions(vec![0.5, 1.1]).resolve(1e6);
        assert_eq!(f, [(5e5, Some(0.5)), (1.1e6, Some(1.1))]);
        let r = Rates::PerSecond(vec![1000.0]).resolve(1e6);
        assert_eq!(r, [(1000.0, None)]);
    }

    #[test]
    fn each_bare_window_is_paired_with_the_samples_around_it() {
        // A step from 10 to 5 between samples 2 and 3: the bare window inside the step is
        // paired with their mean, the others with their own phase.
        let samples = [10.0, 10.0, 5.0, 5.0];
        let bare = [(0, 10.0), (1, 7.5), (2, 5.0)];
        let b = bare_reference(&samples, &bare).expect("windows");
        assert_eq!(b.pair_ratios, [1.0, 1.0, 1.0]);
        assert_eq!(b.ratio, 1.0);
        assert_eq!(b.median_per_s, 7.5);
        // The last window has only the sample before it.
        let b = bare_reference(&[9.5], &[(0, 10.0)]).expect("one window");
        assert!((b.ratio - 0.95).abs() < 1e-12);
        assert!(bare_reference(&samples, &[]).is_none());
    }

    #[test]
    fn a_stalled_window_on_either_side_moves_the_ratio_little() {
        // True ratio 0.97 with +-2% noise; one stalled sample and one stalled bare window.
        let samples = [9.7, 9.9, 9.5, 2.0, 9.7, 9.6, 9.8, 9.7, 9.6, 9.7];
        let mut bare: Vec<(usize, f64)> =
            (0..9).map(|i| (i, 10.0 + (i % 3) as f64 * 0.1)).collect();
        bare[6].1 = 3.0;
        let b = bare_reference(&samples, &bare).expect("windows");
        assert!((b.ratio - 0.96).abs() < 0.02, "ratio {}", b.ratio);
    }
}
