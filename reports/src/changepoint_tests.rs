//! Unit tests of the change-point detector, then its error rates on simulated 100-run histories
//! (fixed seeds, trial counts sized for a debug build; the example `changepoint_rates` runs
//! 10,000 per scenario). Each rate is asserted against the target or, where there is
//! none, against a bound well clear of the measured rate (measured values in comments).

use super::simulate::{Noise, Scenario, TOLERANCE, measure};
use super::*;

/// `values` times lognormal noise of sd `sd` (deterministic).
fn noisy(values: impl IntoIterator<Item = f64>, sd: f64, seed: u64) -> Vec<f64> {
    let mut rng = SplitMix64::new(seed);
    values
        .into_iter()
        .map(|v| v * (sd * rng.normal()).exp())
        .collect()
}

/// `len` runs at `level`.
fn flat(level: f64, len: usize) -> impl Iterator<Item = f64> {
    std::iter::repeat_n(level, len)
}

#[test]
fn bad_or_short_input_gives_nothing_and_never_panics() {
    let o = Options::default();
    assert!(detect(&[], &o).is_empty());
    assert!(detect(&[1.0; 9], &o).is_empty());
    let mut step: Vec<f64> = flat(100.0, 30).chain(flat(50.0, 30)).collect();
    assert_eq!(detect(&step, &o).len(), 1);
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 0.0, -1.0] {
        step[7] = bad;
        assert!(detect(&step, &o).is_empty(), "{bad}");
    }
    step[7] = 100.0;
    let nan = Options {
        alpha: f64::NAN,
        ..o
    };
    assert!(detect(&step, &nan).is_empty());
    // Out-of-range options are clamped (this exact step ties every value: the tied path).
    let odd = [
        Options {
            alpha: 2.0,
            min_segment: 0,
            permutations: 0,
            window: 0,
            seed: 0,
        },
        Options {
            alpha: 0.0,
            window: usize::MAX,
            permutations: usize::MAX,
            ..o
        },
    ];
    for opts in odd {
        let found = detect(&step, &opts);
        assert_eq!(
            found.iter().map(|c| c.index).collect::<Vec<_>>(),
            [30],
            "{opts:?}"
        );
    }
}

#[test]
fn a_constant_series_has_no_change() {
    for len in [10, 100, 1000] {
        assert!(detect(&vec![42.0; len], &Options::default()).is_empty());
    }
    // Ties (here: only two distinct values, no order) shuffle the segment itself.
    let two: Vec<f64> = (0..100)
        .map(|i| if i % 3 == 0 { 2.0 } else { 1.0 })
        .collect();
    assert!(detect(&two, &Options::default()).is_empty());
}

#[test]
fn one_clear_step_is_found_where_it_is_with_its_size() {
    let series = noisy(flat(100.0, 50).chain(flat(80.0, 50)), 0.02, 1);
    let found = detect(&series, &Options::default());
    assert_eq!(found.len(), 1, "{found:?}");
    let cp = found[0];
    assert_eq!(cp.index, 50);
    assert!((cp.before / 100.0 - 1.0).abs() < 0.01, "{cp:?}");
    assert!((cp.after / 80.0 - 1.0).abs() < 0.01, "{cp:?}");
    assert!((cp.change + 0.2).abs() < 0.015, "{cp:?}");
    assert!((cp.p_value - 0.005).abs() < 1e-12, "{cp:?}");
    // Deterministic, and a reused detector agrees with a fresh one.
    let mut detector = Detector::new(&Options::default());
    detector.detect(&noisy(flat(1.0, 77), 0.05, 2));
    assert_eq!(detector.detect(&series), found);
    assert_eq!(detect(&series, &Options::default()), found);
}

#[test]
fn two_steps_are_both_found() {
    let series = noisy(
        flat(100.0, 40).chain(flat(90.0, 35)).chain(flat(110.0, 25)),
        0.02,
        3,
    );
    let found = detect(&series, &Options::default());
    let at: Vec<usize> = found.iter().map(|c| c.index).collect();
    assert_eq!(at, [40, 75], "{found:?}");
    assert!((found[0].change + 0.1).abs() < 0.02, "{found:?}");
    assert!((found[1].change - 0.222).abs() < 0.03, "{found:?}");
    // Both are the median of runs 40..75.
    assert_eq!(found[0].after, found[1].before);
}

#[test]
fn a_step_near_the_end_is_found_once_it_has_min_segment_runs() {
    let o = Options::default();
    for after in [4, 5, 8] {
        let series = noisy(flat(100.0, 60).chain(flat(70.0, after)), 0.02, 4);
        let found = detect(&series, &o);
        let expect: &[usize] = if after < o.min_segment { &[] } else { &[60] };
        assert_eq!(
            found.iter().map(|c| c.index).collect::<Vec<_>>(),
            expect,
            "{after}"
        );
    }
}

#[test]
fn quantized_values_with_ties_still_show_a_step() {
    let series: Vec<f64> = noisy(flat(100.0, 50).chain(flat(85.0, 50)), 0.03, 5)
        .into_iter()
        .map(|x| (x / 5.0).round() * 5.0)
        .collect();
    let found = detect(&series, &Options::default());
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].index.abs_diff(50) <= 2 && found[0].change < -0.1,
        "{found:?}"
    );
}

#[test]
fn long_series_are_windowed_without_losing_or_doubling_steps() {
    // Steps at window edges and centres (windows of 200 every 100), and one window with two.
    let steps = [150, 300, 420, 460, 700];
    let level = |i: usize| 0.85f64.powi(steps.iter().filter(|&&s| i >= s).count() as i32);
    let series = noisy((0..1000).map(level), 0.03, 6);
    let found = detect(&series, &Options::default());
    let at: Vec<usize> = found.iter().map(|c| c.index).collect();
    assert_eq!(at.len(), steps.len(), "{found:?}");
    for (a, s) in at.iter().zip(steps) {
        assert!(a.abs_diff(s) <= 1, "{at:?}");
    }
    assert!(
        found.iter().all(|c| (c.change + 0.15).abs() < 0.03),
        "{found:?}"
    );
    // A quiet long series: no change point (at most one false one in 2000 runs).
    let quiet = noisy(flat(1.0, 2000), 0.05, 7);
    assert!(detect(&quiet, &Options::default()).len() <= 1);
}

fn rates(noise: Noise, step: f64, drift: f64, trials: usize, seed: u64) -> simulate::Rates {
    let r = measure(
        &Scenario::new("", noise, step, drift),
        &Options::default(),
        trials,
        seed,
    );
    eprintln!(
        "{noise:?} step {step} drift {drift}: recall {:.3}, false {:.3} per series, \
         mean offset {:+.2}, mean abs offset {:.2} (+-{TOLERANCE})",
        r.recall, r.false_per_series, r.mean_offset, r.mean_abs_offset
    );
    r
}

#[test]
fn without_a_change_false_change_points_are_rare_whatever_the_noise() {
    // Target: <= 1 per series. Measured at 10000 trials: 0.011 (lognormal, t3 and stalls),
    // 0.009 (bimodal 80/20 at 1.0/0.4): the permutation test's 1% per tested segment.
    let noises = [
        Noise::Lognormal,
        Noise::HeavyTails,
        Noise::Stalls,
        Noise::Bimodal,
    ];
    for (i, noise) in noises.into_iter().enumerate() {
        let r = rates(noise, 0.0, 0.0, 1000, 10 + i as u64);
        assert!(r.false_per_series <= 0.03, "{noise:?}: {r:?}");
    }
}

#[test]
fn ten_percent_steps_at_cv_5_percent_are_found() {
    // Target: >= 90% within +-3 runs with the right sign. Measured at 10000 trials: 95.6% (the
    // misses are nearly all placed 4-9 runs off), 0.065 other change points per series.
    let r = rates(Noise::Lognormal, 0.10, 0.0, 1000, 20);
    assert!(r.recall >= 0.90 && r.false_per_series <= 0.10, "{r:?}");
    assert!(
        r.mean_offset.abs() < 0.2 && r.mean_abs_offset < 0.7,
        "{r:?}"
    );
}

#[test]
fn heavy_tails_and_stalls_cost_little_recall() {
    // Measured at 10000 trials: t3 98.4%, 5% stalls 92.4%; other change points 0.038, 0.087.
    let r = rates(Noise::HeavyTails, 0.10, 0.0, 600, 30);
    assert!(r.recall >= 0.95 && r.false_per_series <= 0.08, "{r:?}");
    let r = rates(Noise::Stalls, 0.10, 0.0, 600, 31);
    assert!(r.recall >= 0.88 && r.false_per_series <= 0.14, "{r:?}");
}

#[test]
fn bimodal_processes_and_smaller_steps_cost_recall() {
    // A 10% step in an 80/20 bimodal process: measured 75.3% (0.19 other change points).
    let r = rates(Noise::Bimodal, 0.10, 0.0, 500, 40);
    assert!((0.68..=0.83).contains(&r.recall), "{r:?}");
    assert!(r.false_per_series <= 0.28, "{r:?}");
    // 5% steps (a 1-sd shift per run): measured 54.0%, 0.25 other change points (mostly the
    // step placed 4 or more runs off).
    let r = rates(Noise::Lognormal, 0.05, 0.0, 500, 41);
    assert!((0.47..=0.61).contains(&r.recall), "{r:?}");
    assert!(r.false_per_series <= 0.33, "{r:?}");
}

#[test]
fn a_slow_drift_comes_out_as_one_step_near_its_middle() {
    // 10% linear drift over 100 runs. Measured at 5000 trials: one change point in 89% of
    // the series (its index in 30..70 in most: quartiles 39 / 50 / 60; median size 6%), two in 9.5%, none in
    // 1.3%; 1.08 per series.
    let scenario = Scenario::new("", Noise::Lognormal, 0.0, 0.10);
    let (mut rng, mut detector) = (SplitMix64::new(50), Detector::new(&Options::default()));
    let (mut counts, mut middle) = ([0; 4], 0);
    for _ in 0..500 {
        let found = detector.detect(&scenario.series(&mut rng).0);
        counts[found.len().min(3)] += 1;
        let central = |c: &ChangePoint| (30..70).contains(&c.index) && c.change.abs() > 0.03;
        middle += usize::from(found.len() == 1 && central(&found[0]));
    }
    eprintln!("drift: change points 0 / 1 / 2 / 3+: {counts:?}; one, central: {middle}");
    assert!(
        counts[1] >= 420 && counts[2] <= 70 && counts[0] <= 20,
        "{counts:?}"
    );
    assert!(middle >= 320, "{middle}");
}
