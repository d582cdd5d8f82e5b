//! Measured error rates of the change-point detector (`contend_reports::changepoint`) on
//! simulated 100-run histories, as a Markdown table, then its cost at 100 and 10,000 runs.
//!
//! `cargo run --release -p contend-reports --example changepoint_rates [trials]`

use std::time::Instant;

use contend_reports::changepoint::simulate::{CV, MARGIN, Noise, Scenario, TOLERANCE, measure};
use contend_reports::changepoint::{Detector, Options, detect};
use contend_reports::compare::simulate::SplitMix64;

fn main() {
    let trials: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    let opts = Options::default();
    println!(
        "Options::default() (alpha {}, min_segment {}, permutations {}, window {}). {trials} series \
         of 100 runs per scenario, lognormal noise of CV {}%; a step lies at a uniform position \
         leaving >= {MARGIN} runs each side, random sign; detected = a change point within +-{TOLERANCE} runs with the \
         right sign; false = any other change point; offset = found - true index, over detections.\n",
        opts.alpha,
        opts.min_segment,
        opts.permutations,
        opts.window,
        100.0 * CV
    );
    println!("| scenario | trials | recall | false CPs / series | mean offset | mean abs offset |");
    println!("|---|---|---|---|---|---|");
    for (i, scenario) in Scenario::presets().iter().enumerate() {
        let r = measure(scenario, &opts, trials, 1000 + i as u64);
        let (recall, offset, abs) = if scenario.step > 0.0 {
            let recall = format!("{:.1}%", 100.0 * r.recall);
            (
                recall,
                format!("{:+.2}", r.mean_offset),
                format!("{:.2}", r.mean_abs_offset),
            )
        } else {
            ("-".into(), "-".into(), "-".into())
        };
        let false_cps = r.false_per_series;
        println!(
            "| {} | {} | {recall} | {false_cps:.4} | {offset} | {abs} |",
            scenario.name, r.trials
        );
    }

    println!("\nCost per series (5% stalls; `detect` each time, then one `Detector` for all):\n");
    let cases: [(&str, usize, usize, f64, usize); 5] = [
        ("100 runs, one 10% step", 100, 1, 0.0, 2000),
        ("10,000 runs, no change", 10_000, 0, 0.0, 20),
        ("10,000 runs, 20 steps of 10%", 10_000, 20, 0.0, 20),
        ("10,000 runs, 200 steps of 10%", 10_000, 200, 0.0, 10),
        (
            "10,000 runs, random-walk level (sd 0.5% per run)",
            10_000,
            0,
            0.005,
            10,
        ),
    ];
    for (name, runs, steps, walk, reps) in cases {
        let mut rng = SplitMix64::new(7);
        let series: Vec<Vec<f64>> = (0..reps)
            .map(|_| {
                let scenario = Scenario {
                    runs,
                    ..Scenario::new(name, Noise::Stalls, 0.0, 0.0)
                };
                let (mut v, _) = scenario.series(&mut rng);
                let mut level = 0.0;
                for (k, x) in v.iter_mut().enumerate() {
                    level += walk * rng.normal();
                    // `steps` steps, evenly spaced, alternately down and back up.
                    let down = (k * (steps + 1) / runs) % 2 == 1;
                    *x *= f64::exp(level) * if down { 0.9 } else { 1.0 };
                }
                v
            })
            .collect();
        let start = Instant::now();
        let found: usize = series.iter().map(|v| detect(v, &opts).len()).sum();
        let fresh = start.elapsed().as_secs_f64() / reps as f64;
        let mut detector = Detector::new(&opts);
        let start = Instant::now();
        series.iter().for_each(|v| _ = detector.detect(v));
        let reused = start.elapsed().as_secs_f64() / reps as f64;
        println!(
            "- {name}: {:.2} ms (`detect`), {:.2} ms (one `Detector`); {:.1} change points per series",
            1e3 * fresh,
            1e3 * reused,
            found as f64 / reps as f64
        );
    }
}
