//! Small robust statistics over samples: median, spread, summaries.

use crate::schema::Summary;

/// Median of `values` (mean of the middle two for even counts); NaN for none.
pub fn median(values: &[f64]) -> f64 {
    quantile(values, 0.5)
}

/// Linear-interpolated quantile `q` in [0, 1] of `values`; NaN for none.
pub fn quantile(values: &[f64], q: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let pos = q.clamp(0.0, 1.0) * (v.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
}

/// Summary of `values`; all zeros for an empty slice.
pub fn summarize(values: &[f64]) -> Summary {
    if values.is_empty() {
        return Summary {
            median: 0.0,
            min: 0.0,
            max: 0.0,
            mean: 0.0,
            stddev: 0.0,
            cv: 0.0,
            mad: 0.0,
        };
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = if values.len() > 1 {
        values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    let stddev = var.sqrt();
    let med = median(values);
    let deviations: Vec<f64> = values.iter().map(|v| (v - med).abs()).collect();
    Summary {
        median: med,
        min: values.iter().copied().fold(f64::INFINITY, f64::min),
        max: values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        mean,
        stddev,
        cv: if mean != 0.0 { stddev / mean } else { 0.0 },
        mad: 1.4826 * median(&deviations),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&[]).is_nan());
    }

    #[test]
    fn summary_of_known_values() {
        let s = summarize(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]);
        assert_eq!(s.median, 4.5);
        assert_eq!((s.min, s.max, s.mean), (2.0, 9.0, 5.0));
        assert!((s.stddev - 2.138).abs() < 1e-3, "{}", s.stddev);
        assert!((s.cv - 0.4276).abs() < 1e-3);
        assert!((s.mad - 1.4826 * 0.5).abs() < 1e-9, "{}", s.mad);
    }

    #[test]
    fn a_single_value_has_no_spread() {
        let s = summarize(&[7.0]);
        assert_eq!((s.median, s.stddev, s.cv), (7.0, 0.0, 0.0));
    }
}
