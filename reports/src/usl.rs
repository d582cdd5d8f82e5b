//! Fits the Universal Scalability Law `X(N) = lambda N / (1 + sigma (N-1) + kappa N (N-1))` to throughput points.
//!
//! For fixed `(sigma, kappa)` the best `lambda` has a closed form (linear least squares through the origin), so
//! the search runs over `sigma, kappa >= 0` only: a coarse logarithmic grid, then Nelder-Mead on
//! `(sqrt sigma, sqrt kappa)` (the square roots keep both non-negative without constraints).

/// The fewest distinct thread counts a fit needs (three parameters plus one degree of freedom).
pub const MIN_THREAD_COUNTS: usize = 4;

/// A fitted Universal Scalability Law.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UslFit {
    /// Throughput of one thread without contention, units/s.
    pub lambda: f64,
    /// Contention (serialisation) coefficient, >= 0.
    pub sigma: f64,
    /// Coherency (crosstalk) coefficient, >= 0.
    pub kappa: f64,
    /// Coefficient of determination of the fit on the given points (1 = perfect); may be negative for bad fits.
    pub r_squared: f64,
    /// Distinct thread counts the fit used.
    pub thread_counts: usize,
}

impl UslFit {
    /// Predicted throughput at `n` threads, units/s.
    pub fn predict(&self, n: f64) -> f64 {
        self.lambda * shape(n, self.sigma, self.kappa)
    }

    /// Thread count of peak throughput, `sqrt((1 - sigma) / kappa)`; `None` when `kappa <= 0` (no peak: throughput
    /// rises towards `lambda / sigma`). With `sigma >= 1` the peak is at one thread.
    pub fn peak_threads(&self) -> Option<f64> {
        if self.kappa <= 1e-12 {
            return None;
        }
        Some(((1.0 - self.sigma).max(0.0) / self.kappa).sqrt().max(1.0))
    }
}

/// Why no fit was made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum UslError {
    #[error("needs ≥ {MIN_THREAD_COUNTS} thread counts (have {have})")]
    TooFewPoints { have: usize },
    #[error("throughput points must be finite and positive, thread counts >= 1")]
    InvalidPoint,
}

/// `N / (1 + sigma (N-1) + kappa N (N-1))`: throughput at `n` threads relative to `lambda`.
fn shape(n: f64, sigma: f64, kappa: f64) -> f64 {
    n / (1.0 + sigma * (n - 1.0) + kappa * n * (n - 1.0))
}

/// Best `lambda` for fixed `(sigma, kappa)` and its sum of squared residuals.
fn solve_lambda(points: &[(f64, f64)], sigma: f64, kappa: f64) -> (f64, f64) {
    let (mut xf, mut ff) = (0.0, 0.0);
    for &(n, x) in points {
        let f = shape(n, sigma, kappa);
        xf += x * f;
        ff += f * f;
    }
    let lambda = if ff > 0.0 { xf / ff } else { 0.0 };
    let sse = points
        .iter()
        .map(|&(n, x)| (x - lambda * shape(n, sigma, kappa)).powi(2))
        .sum();
    (lambda, sse)
}

/// Fits the USL to `(threads, throughput)` points (repeated thread counts are allowed; each point weighs the same).
pub fn fit_usl(points: &[(f64, f64)]) -> Result<UslFit, UslError> {
    if points
        .iter()
        .any(|&(n, x)| !(n.is_finite() && x.is_finite() && n >= 1.0 && x > 0.0))
    {
        return Err(UslError::InvalidPoint);
    }
    let mut counts: Vec<f64> = points.iter().map(|p| p.0).collect();
    counts.sort_by(f64::total_cmp);
    counts.dedup();
    if counts.len() < MIN_THREAD_COUNTS {
        return Err(UslError::TooFewPoints { have: counts.len() });
    }
    // Work in units of the largest throughput so the objective is well scaled.
    let scale = points.iter().map(|p| p.1).fold(0.0, f64::max);
    let scaled: Vec<(f64, f64)> = points.iter().map(|&(n, x)| (n, x / scale)).collect();
    let objective = |v: [f64; 2]| solve_lambda(&scaled, v[0] * v[0], v[1] * v[1]).1;

    // Coarse grid: zero plus log-spaced values.
    let grid = |lo: f64, hi: f64, steps: usize| -> Vec<f64> {
        let mut g = vec![0.0];
        g.extend((0..steps).map(|i| lo * (hi / lo).powf(i as f64 / (steps - 1) as f64)));
        g
    };
    let mut best = ([0.0, 0.0], f64::INFINITY);
    for &s in &grid(1e-4, 20.0, 40) {
        for &k in &grid(1e-6, 2.0, 40) {
            let v = [s.sqrt(), k.sqrt()];
            let e = objective(v);
            if e < best.1 {
                best = (v, e);
            }
        }
    }
    let v = nelder_mead(objective, best.0, 600);
    let (sigma, kappa) = (v[0] * v[0], v[1] * v[1]);
    let (lambda, sse) = solve_lambda(&scaled, sigma, kappa);
    let mean = scaled.iter().map(|p| p.1).sum::<f64>() / scaled.len() as f64;
    let sst: f64 = scaled.iter().map(|p| (p.1 - mean).powi(2)).sum();
    let r_squared = if sst > 0.0 {
        1.0 - sse / sst
    } else if sse < 1e-18 {
        1.0
    } else {
        0.0
    };
    Ok(UslFit {
        lambda: lambda * scale,
        sigma,
        kappa,
        r_squared,
        thread_counts: counts.len(),
    })
}

/// Minimises `f` over two variables from `start` (deterministic: fixed initial simplex and iteration cap).
fn nelder_mead(f: impl Fn([f64; 2]) -> f64, start: [f64; 2], max_iter: usize) -> [f64; 2] {
    let step = |x: f64| if x.abs() > 1e-3 { 0.1 * x.abs() } else { 0.01 };
    let mut simplex = [
        start,
        [start[0] + step(start[0]), start[1]],
        [start[0], start[1] + step(start[1])],
    ];
    let mut values = simplex.map(&f);
    let lerp =
        |a: [f64; 2], b: [f64; 2], t: f64| [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])];
    for _ in 0..max_iter {
        let mut order = [0usize, 1, 2];
        order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
        simplex = order.map(|i| simplex[i]);
        values = order.map(|i| values[i]);
        if (values[2] - values[0]).abs() <= 1e-15 * (1.0 + values[0].abs()) {
            break;
        }
        let centroid = lerp(simplex[0], simplex[1], 0.5);
        let reflected = lerp(centroid, simplex[2], -1.0);
        let fr = f(reflected);
        if fr < values[0] {
            let expanded = lerp(centroid, simplex[2], -2.0);
            let fe = f(expanded);
            (simplex[2], values[2]) = if fe < fr {
                (expanded, fe)
            } else {
                (reflected, fr)
            };
        } else if fr < values[1] {
            (simplex[2], values[2]) = (reflected, fr);
        } else {
            let contracted = if fr < values[2] {
                lerp(centroid, reflected, 0.5)
            } else {
                lerp(centroid, simplex[2], 0.5)
            };
            let fc = f(contracted);
            if fc < values[2].min(fr) {
                (simplex[2], values[2]) = (contracted, fc);
            } else {
                for i in 1..3 {
                    simplex[i] = lerp(simplex[0], simplex[i], 0.5);
                    values[i] = f(simplex[i]);
                }
            }
        }
    }
    let best = (0..3)
        .min_by(|&a, &b| values[a].total_cmp(&values[b]))
        .unwrap_or(0);
    simplex[best]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn synthetic(lambda: f64, sigma: f64, kappa: f64, threads: &[f64]) -> Vec<(f64, f64)> {
        threads
            .iter()
            .map(|&n| (n, lambda * shape(n, sigma, kappa)))
            .collect()
    }

    #[test]
    fn recovers_exact_parameters() {
        let points = synthetic(1.0e7, 0.05, 0.002, &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0]);
        let fit = fit_usl(&points).unwrap();
        assert!((fit.lambda / 1.0e7 - 1.0).abs() < 1e-4, "{fit:?}");
        assert!((fit.sigma - 0.05).abs() < 1e-4, "{fit:?}");
        assert!((fit.kappa - 0.002).abs() < 1e-5, "{fit:?}");
        assert!(fit.r_squared > 0.999_999, "{fit:?}");
        let peak = fit.peak_threads().unwrap();
        assert!((peak - (0.95f64 / 0.002).sqrt()).abs() < 0.2, "{peak}");
    }

    #[test]
    fn recovers_parameters_from_noisy_data() {
        // +-2% deterministic "noise".
        let noise = [1.02, 0.985, 1.01, 0.99, 1.015, 0.98, 1.0, 1.02];
        let threads = [1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0];
        let points: Vec<(f64, f64)> = synthetic(5.0e6, 0.1, 0.01, &threads)
            .iter()
            .zip(noise)
            .map(|(&(n, x), e)| (n, x * e))
            .collect();
        let fit = fit_usl(&points).unwrap();
        assert!((fit.sigma - 0.1).abs() < 0.04, "{fit:?}");
        assert!((fit.kappa - 0.01).abs() < 0.004, "{fit:?}");
        assert!((fit.lambda / 5.0e6 - 1.0).abs() < 0.05, "{fit:?}");
        assert!(fit.r_squared > 0.98, "{fit:?}");
    }

    #[test]
    fn linear_scaling_has_no_peak() {
        let points = synthetic(100.0, 0.0, 0.0, &[1.0, 2.0, 3.0, 4.0]);
        let fit = fit_usl(&points).unwrap();
        assert!(fit.sigma < 1e-4 && fit.kappa < 1e-6, "{fit:?}");
        assert_eq!(fit.peak_threads(), None);
    }

    #[test]
    fn pure_contention_has_no_peak_but_a_ceiling() {
        let points = synthetic(100.0, 0.3, 0.0, &[1.0, 2.0, 4.0, 8.0]);
        let fit = fit_usl(&points).unwrap();
        assert!((fit.sigma - 0.3).abs() < 1e-3, "{fit:?}");
        assert!(fit.kappa < 1e-6, "{fit:?}");
    }

    #[test]
    fn retrograde_throughput_fits_large_contention() {
        // Like a contended atomic: 2 threads do less than one.
        let points = synthetic(495.0e6, 2.0, 0.3, &[1.0, 2.0, 3.0, 4.0]);
        let fit = fit_usl(&points).unwrap();
        assert!(
            (fit.sigma - 2.0).abs() < 1e-2 && (fit.kappa - 0.3).abs() < 1e-2,
            "{fit:?}"
        );
        assert_eq!(fit.peak_threads(), Some(1.0));
    }

    #[test]
    fn too_few_thread_counts_are_refused() {
        let points = [(1.0, 10.0), (2.0, 19.0), (2.0, 18.5), (4.0, 30.0)];
        assert_eq!(fit_usl(&points), Err(UslError::TooFewPoints { have: 3 }));
        assert_eq!(
            UslError::TooFewPoints { have: 3 }.to_string(),
            "needs ≥ 4 thread counts (have 3)"
        );
    }

    #[test]
    fn invalid_points_are_refused() {
        let points = [(1.0, 10.0), (2.0, f64::NAN), (3.0, 1.0), (4.0, 2.0)];
        assert_eq!(fit_usl(&points), Err(UslError::InvalidPoint));
    }
}
