//! Tests of the estimators and the verdict policy (the coverage simulations are in `coverage`).

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
        for (e, want) in [
            (independent(seed, 30, 0.03, 0.90), Verdict::Regressed),
            (independent(seed, 30, 0.03, 1.10), Verdict::Improved),
            // The sign test needs ~1.5 times the pairs of the signed-rank one on Gaussian noise.
            (paired(seed, 45, 0.03, 0.90), Verdict::Regressed),
            (paired(seed, 45, 0.03, 1.10), Verdict::Improved),
        ] {
            assert_eq!(e.verdict(T), want, "seed {seed}: {e:?}");
        }
    }
}

#[test]
fn identical_values_are_unchanged_with_zero_mdc_when_paired() {
    let v = [5.0, 6.0, 7.0, 5.5, 6.5, 6.0, 5.8, 6.1, 6.2, 5.9, 6.0, 6.3];
    let e = independent_estimate(&v, &v, CONF).unwrap();
    assert_eq!(e.ratio, 1.0);
    assert_eq!(
        e.verdict(T),
        Verdict::Inconclusive,
        "spread of 40% across forks: {e:?}"
    );
    let e = paired_estimate(&v, &v, CONF).unwrap();
    assert_eq!((e.ratio, e.mdc, e.interval), (1.0, 0.0, Some((1.0, 1.0))));
    assert_eq!(e.verdict(T), Verdict::Unchanged);
}

#[test]
fn too_few_values_are_inconclusive_never_unchanged() {
    let base = [100.0, 100.5, 99.8];
    let head = [100.1, 99.9, 100.2];
    for (e, why) in [
        (
            independent_estimate(&base, &head, CONF).unwrap(),
            "too few forks for a 99% interval (at least 5 per side)",
        ),
        (
            paired_estimate(&base, &head, CONF).unwrap(),
            "too few pairs for a 99% interval (at least 8)",
        ),
        (
            independent_estimate(&base[..1], &head, CONF).unwrap(),
            "too few forks for a 99% interval (at least 5 per side)",
        ),
    ] {
        assert!(e.interval.is_none() && e.mdc.is_infinite(), "{e:?}");
        let (verdict, note) = e.judge(T);
        assert_eq!(verdict, Verdict::Inconclusive);
        assert_eq!(note.unwrap(), why);
    }
    // The minimum counts are exact: one fewer gives no interval.
    assert!(paired(1, 8, 0.01, 1.0).interval.is_some());
    assert!(paired(1, 7, 0.01, 1.0).interval.is_none());
    assert!(independent(1, 5, 0.01, 1.0).interval.is_some());
    assert!(independent(1, 4, 0.01, 1.0).interval.is_none());
}

#[test]
fn wide_intervals_are_never_unchanged() {
    let mut wide = 0;
    for seed in 0..300 {
        let n = 8 + (seed as usize % 20);
        for e in [independent(seed, n, 0.25, 1.0), paired(seed, n, 0.25, 1.0)] {
            if e.mdc > T {
                wide += 1;
                assert_ne!(e.verdict(T), Verdict::Unchanged, "{e:?}");
            }
        }
    }
    assert!(wide > 500, "the sweep should mostly be too noisy: {wide}");
}

#[test]
fn a_clear_regression_on_a_noisy_case_is_regressed_whatever_its_mdc() {
    let e = independent(3, 12, 0.25, 0.5);
    assert!(e.mdc > T, "{e:?}");
    assert_eq!(e.judge(T), (Verdict::Regressed, None), "{e:?}");
    let e = independent(3, 12, 0.25, 2.0);
    assert_eq!(e.verdict(T), Verdict::Improved, "{e:?}");
    // Straddling a threshold with a wide interval: inconclusive, and its half-width says why.
    let e = independent(4, 12, 0.25, 1.0);
    let (verdict, why) = e.judge(T);
    assert_eq!(verdict, Verdict::Inconclusive);
    assert!(
        why.unwrap().starts_with("too noisy: interval half-width "),
        "{e:?}"
    );
}

#[test]
fn a_narrow_interval_across_the_threshold_says_which_side() {
    let e = Estimate::from_logs(
        Method::Paired,
        (0.98f64).ln(),
        Some(((0.93f64).ln(), (0.99f64).ln())),
        CONF,
        (40, 40),
    );
    assert_eq!(
        e.judge(T),
        (
            Verdict::Inconclusive,
            Some("interval crosses -5%".to_string())
        )
    );
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

#[test]
fn the_paired_interval_is_the_sign_test_one_on_order_statistics() {
    // Ten pairs at 99%: the sign test cuts one from each end, [min, max] of the ratios, and the
    // estimate is their median. A stalled pair moves neither the median nor an inner bound.
    let base = [10.0; 10];
    let head = [9.0, 9.2, 9.4, 9.5, 9.6, 9.7, 9.8, 9.9, 10.0, 0.1];
    let e = paired_estimate(&base, &head, CONF).unwrap();
    assert!((e.ratio - 0.955).abs() < 1e-3, "{e:?}");
    let (lo, hi) = e.interval.unwrap();
    assert!(
        (lo - 0.01).abs() < 1e-12 && (hi - 1.0).abs() < 1e-12,
        "{e:?}"
    );
    // At 20 pairs the 99% cut is 4: the stall no longer sets a bound.
    let base = [10.0; 20];
    let mut head: Vec<f64> = (0..20).map(|i| 9.0 + 0.05 * i as f64).collect();
    head[0] = 0.1;
    let e = paired_estimate(&base, &head, CONF).unwrap();
    let (lo, _) = e.interval.unwrap();
    assert!((lo - 0.915).abs() < 1e-9, "{e:?}");
}
