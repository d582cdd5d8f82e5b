//! The gate's error rates, asserted: nominal rate plus a 3-sd binomial tolerance ([`allowed`]).
//! Fixed seeds; sized to run in a few seconds in a debug build.

use super::*;
use crate::compare::simulate::{Shape, Tails};

const CONF: f64 = 0.99;
const T: f64 = 0.05;

fn scenario(shape: &Shape, ratio: f64, trials: usize, seed: u64) -> Scenario {
    Scenario {
        shape: shape.clone(),
        ratio,
        threshold: T,
        trials,
        seed,
    }
}

/// Every preset shape at every ratio, pooled.
fn pooled(
    ratios: &[f64],
    trials: usize,
    mut run: impl FnMut(&Scenario) -> Rates,
) -> (Rates, Rates) {
    let (mut aa, mut changed) = (Rates::default(), Rates::default());
    for (i, shape) in Shape::presets().iter().enumerate() {
        for (j, &ratio) in ratios.iter().enumerate() {
            let r = run(&scenario(shape, ratio, trials, 1000 * i as u64 + j as u64));
            if ratio == 1.0 {
                aa.merge(&r);
            } else {
                changed.merge(&r);
            }
        }
    }
    (aa, changed)
}

#[test]
fn samples_of_one_process_are_not_replicates() {
    // The old analysis of independent runs: 10 forks x 5 samples treated as 50 replicates.
    let shape = &Shape::presets()[1]; // fork-dominated: 8% between forks, 0.4% within
    let old = independent(&scenario(shape, 1.0, 300, 1), Generation::Old, 10, 5, CONF);
    let new = independent(&scenario(shape, 1.0, 300, 1), Generation::New, 10, 5, CONF);
    eprintln!("fork-dominated A/A misses: samples {old:?}, forks {new:?}");
    assert!(old.misses > 45, "{old:?}"); // measured ~25% at 2000 trials
    assert!(new.misses <= allowed(0.01, 300), "{new:?}");
}

#[test]
fn fork_level_intervals_keep_their_coverage_on_vm_shaped_data() {
    let mut all = Rates::default();
    for forks in [5, 10, 20] {
        let (aa, changed) = pooled(&[1.0, 0.95, 0.9], 60, |s| {
            independent(s, Generation::New, forks, 5, CONF)
        });
        eprintln!("independent, {forks} forks: A/A {aa:?}\n  changed {changed:?}");
        // A false alarm needs the interval to miss on one side and clear the threshold.
        assert!(aa.beyond <= allowed(0.005, aa.trials), "{aa:?}");
        all.merge(&aa);
        all.merge(&changed);
    }
    assert!(all.misses <= allowed(0.01, all.trials), "{all:?}");
}

#[test]
fn paired_sign_intervals_keep_their_coverage_on_vm_shaped_data() {
    let mut all = Rates::default();
    for pairs in [10, 20, 40, 80] {
        let (aa, changed) = pooled(&[1.0, 0.95, 0.9], 80, |s| {
            paired(s, Generation::New, pairs, CONF)
        });
        eprintln!("paired, {pairs} pairs: A/A {aa:?}\n  changed {changed:?}");
        assert!(aa.beyond <= allowed(0.005, aa.trials), "{aa:?}");
        all.merge(&aa);
        all.merge(&changed);
    }
    assert!(all.misses <= allowed(0.01, all.trials), "{all:?}");
}

/// A/A where only the head's processes stall (10% of samples) or land in the slow mode: a
/// non-exchangeable difference between the sides that leaves typical throughput unchanged.
fn one_sided(generation: Generation, stalls: f64, mode: f64, pairs: usize) -> Rates {
    let clean = Shape {
        name: "clean",
        fork_sd: 0.03,
        tails: Tails::Normal,
        mode_probability: 0.0,
        mode_factor: 0.6,
        sample_sd: 0.01,
        stall_probability: 0.0,
        trend: 0.0,
        step: 0.0,
        run_offset: 0.0,
    };
    let dirty = Shape {
        stall_probability: stalls,
        mode_probability: mode,
        ..clean.clone()
    };
    let mut rng = SplitMix64::new(77);
    let mut rates = Rates::default();
    for _ in 0..300 {
        let draw =
            |s: &Shape, rng: &mut SplitMix64| (s.fork_offset(rng) + s.sample_offset(rng)).exp();
        let (base, head): (Vec<f64>, Vec<f64>) = (0..pairs)
            .map(|_| (draw(&clean, &mut rng), draw(&dirty, &mut rng)))
            .unzip();
        let e = match generation {
            Generation::New => paired_estimate(&base, &head, CONF).unwrap(),
            _ => signed_rank_estimate(&base, &head, CONF),
        };
        rates.add(&e, e.verdict(T), 1.0, T, pairs);
    }
    rates
}

#[test]
fn asymmetric_stalls_and_modes_break_the_signed_rank_interval_far_more_than_the_sign_test() {
    for (stalls, mode) in [(0.10, 0.0), (0.0, 0.10)] {
        let old = one_sided(Generation::Old, stalls, mode, 80);
        let new = one_sided(Generation::New, stalls, mode, 80);
        eprintln!("one-sided stalls {stalls} mode {mode}: signed-rank {old:?}\n  sign {new:?}");
        // Measured at 4000 trials: signed-rank 13%, sign 4.6%. Neither calls it beyond 5%.
        assert!(
            old.misses >= 2 * new.misses && old.misses > 15,
            "{old:?} {new:?}"
        );
        assert_eq!(old.beyond + new.beyond, 0);
    }
}

#[test]
fn the_adaptive_rule_keeps_a_a_errors_within_budget_on_every_shape() {
    // Also with a later last look (`contend ab --max-pairs`): more looks, same error budget.
    for max_pairs in [80, 160] {
        let rule = StoppingRule {
            max_pairs,
            ..StoppingRule::default()
        };
        let all = adaptive_pooled_with(&rule, 1.0, 150, 50);
        // Any look missing is <= 1% (exactly 0.85% for the sign walk at the default looks);
        // false alarms need a miss on one side beyond the threshold.
        assert!(
            all.misses <= allowed(0.01, all.trials),
            "{max_pairs}: {all:?}"
        );
        assert!(
            all.regressed + all.improved <= allowed(0.005, all.trials),
            "{max_pairs}: {all:?}"
        );
    }
}

#[test]
fn a_later_last_look_catches_slowdowns_the_default_one_misses() {
    // The noisier shapes end inconclusive at 80 pairs; a fifth look at 160 resolves some.
    let at = |max_pairs| {
        let rule = StoppingRule {
            max_pairs,
            ..StoppingRule::default()
        };
        adaptive_pooled_with(&rule, 0.90, 150, 3000)
    };
    let (eighty, one_sixty) = (at(80), at(160));
    eprintln!("-10%, last look 80: {eighty:?}\n-10%, last look 160: {one_sixty:?}");
    assert_eq!(eighty.improved + one_sixty.improved, 0);
    assert!(
        one_sixty.regressed >= eighty.regressed + eighty.trials / 50,
        "{eighty:?} vs {one_sixty:?}"
    );
}

/// The adaptive rule on every preset shape at a true `ratio`, pooled.
fn adaptive_pooled(ratio: f64, trials: usize, seed: u64) -> Rates {
    adaptive_pooled_with(&StoppingRule::default(), ratio, trials, seed)
}

/// [`adaptive_pooled`] with `rule`.
fn adaptive_pooled_with(rule: &StoppingRule, ratio: f64, trials: usize, seed: u64) -> Rates {
    let mut all = Rates::default();
    for (i, shape) in Shape::presets().iter().enumerate() {
        let r = adaptive(
            &scenario(shape, ratio, trials, seed + i as u64),
            Generation::New,
            rule,
        );
        eprintln!("ratio {ratio} {}: {r:?}", shape.name);
        all.merge(&r);
    }
    all
}

#[test]
fn the_adaptive_rule_rarely_fails_a_change_well_below_the_threshold() {
    // "Regressed" needs the interval wholly below -t/10 and an estimate of -t/2 or worse. With
    // no change the interval must miss on the high side by a further t/10: under 0.5% (measured
    // 3 regressed or improved in 1000, on the fork-dominated, stall-prone and noisy shapes). A true
    // -1% (a code-layout shift, within a 5% threshold) is a real change, so nothing bounds it by
    // construction: measured 3 in 1000.
    let aa = adaptive_pooled(1.0, 200, 60);
    assert!(
        aa.regressed + aa.improved <= allowed(0.005, aa.trials),
        "{aa:?}"
    );
    assert!(aa.misses <= allowed(0.01, aa.trials), "{aa:?}");
    let small = adaptive_pooled(0.99, 200, 90);
    assert!(small.regressed <= allowed(0.02, small.trials), "{small:?}");
    assert!(small.misses <= allowed(0.01, small.trials), "{small:?}");
}

#[test]
fn the_adaptive_rule_catches_a_slowdown_at_the_threshold_where_its_mdc_allows() {
    // A true -5% at a 5% threshold, among trials whose MDC came out at or below 5%. (The rule
    // before, "whole interval below -5%", caught such a change at most half the time by
    // construction.) Measured: 262 of 352 (74%): all 139 of the quiet shape, and about half to
    // two thirds of the fork-dominated and bimodal ones, whose 8% and +60% process effects are
    // harsher than this VM's (where the same rule caught 64 of 70, README); the stall-prone and
    // noisy shapes almost never reach an MDC of 5% in 80 pairs. With "wholly below no change"
    // and no margin it was 280 of 335 (84%), at the price of false alarms on near misses.
    let all = adaptive_pooled(0.95, 200, 100);
    let caught = all.low_mdc_regressed as f64 / all.low_mdc.max(1) as f64;
    assert!(all.low_mdc >= all.trials / 4, "{all:?}");
    assert!(caught >= 0.7, "{caught}: {all:?}");
    assert_eq!(all.improved, 0, "{all:?}");
    assert!(all.misses <= allowed(0.01, all.trials), "{all:?}");
}

#[test]
fn the_new_rule_detects_ten_percent_slowdowns_more_often_than_the_old_one() {
    let rule = StoppingRule::default();
    let (mut old, mut new) = (Rates::default(), Rates::default());
    for (i, shape) in Shape::presets().iter().enumerate() {
        let s = scenario(shape, 0.90, 100, 70 + i as u64);
        old.merge(&adaptive(&s, Generation::Old, &rule));
        new.merge(&adaptive(&s, Generation::New, &rule));
    }
    eprintln!("-10% detection: old {old:?}\n  new {new:?}");
    assert!(
        new.regressed > old.regressed + old.trials / 10,
        "{old:?} {new:?}"
    );
    assert_eq!(new.improved + new.unchanged, 0, "{new:?}");
    assert!(new.misses <= allowed(0.01, new.trials), "{new:?}");
    // The quiet shape decides at the first looks, as before.
    let quiet = adaptive(
        &scenario(&Shape::presets()[0], 0.90, 100, 80),
        Generation::New,
        &rule,
    );
    assert_eq!(quiet.regressed, 100);
    assert!(quiet.mean_n() <= 25.0, "{quiet:?}");
}

#[test]
fn a_between_run_offset_is_not_covered_by_any_one_run_per_side_analysis() {
    // Documented limit: a level shared by all forks of one run is indistinguishable from a
    // change. With a 1% sd offset per run, fork-level intervals on quiet cases miss far more
    // than 1% (the interval narrows with forks, the offset does not).
    let shape = Shape {
        run_offset: 0.01,
        ..Shape::presets()[0].clone()
    };
    let r = independent(
        &scenario(&shape, 1.0, 200, 90),
        Generation::New,
        20,
        5,
        CONF,
    );
    assert!(r.misses > allowed(0.01, 200), "{r:?}");
    assert_eq!(
        r.beyond, 0,
        "an offset of 1% does not make false alarms at 5%"
    );
}

fn pct(r: &Rates, count: usize) -> String {
    format!("{:5.2}%", 100.0 * r.rate(count))
}

/// One line: miss rate over all ratios, A/A beyond-threshold, detection at -5% and -10%.
fn line(label: &str, aa: &Rates, five: &Rates, ten: &Rates) -> String {
    let mut all = aa.clone();
    all.merge(five);
    all.merge(ten);
    format!(
        "| {label} | {} | {} | {} | {} ({} slower) | {} | {:.1} |",
        pct(&all, all.misses),
        pct(aa, aa.beyond),
        pct(aa, aa.regressed + aa.improved),
        pct(five, five.regressed),
        pct(five, five.slower),
        pct(ten, ten.regressed),
        (aa.mean_n() + five.mean_n() + ten.mean_n()) / 3.0,
    )
}

/// The calibration quoted in the docs: every shape, method and size. Slow in debug; run with
/// `cargo test --release -p contend-reports full_calibration_table -- --ignored --nocapture`.
#[test]
#[ignore]
fn full_calibration_table() {
    let trials = 2000;
    let header = "| method | miss (all) | A/A beyond ±5% | A/A regressed+improved | -5%: regressed | -10%: regressed | mean n |\n|---|---|---|---|---|---|---|";
    let run = |name: &str, f: &dyn Fn(&Scenario) -> Rates| {
        let mut pooled = [Rates::default(), Rates::default(), Rates::default()];
        for (i, shape) in Shape::presets().iter().enumerate() {
            let r: Vec<Rates> = [1.0, 0.95, 0.90]
                .iter()
                .enumerate()
                .map(|(j, &ratio)| f(&scenario(shape, ratio, trials, 7919 * i as u64 + j as u64)))
                .collect();
            println!(
                "{}",
                line(&format!("{name}, {}", shape.name), &r[0], &r[1], &r[2])
            );
            for (p, r) in pooled.iter_mut().zip(&r) {
                p.merge(r);
            }
        }
        println!(
            "{}",
            line(
                &format!("**{name}, all shapes**"),
                &pooled[0],
                &pooled[1],
                &pooled[2]
            )
        );
    };
    println!("\nIndependent runs, forks of 5 samples, 99%:\n{header}");
    for forks in [10, 20, 40, 80] {
        for (g, label) in [
            (Generation::Old, "old: samples"),
            (Generation::OldUnguarded, "samples, no MDC guard"),
            (Generation::New, "new: forks"),
        ] {
            run(&format!("{label}, {forks} forks"), &|s| {
                independent(s, g, forks, 5, CONF)
            });
        }
    }
    println!("\nPaired, single-sample processes, one analysis at 99%:\n{header}");
    for pairs in [10, 20, 40, 80] {
        for (g, label) in [
            (Generation::Old, "old: signed-rank + MDC guard"),
            (Generation::OldUnguarded, "signed-rank, no MDC guard"),
            (Generation::New, "new: sign test"),
        ] {
            run(&format!("{label}, {pairs} pairs"), &|s| {
                paired(s, g, pairs, CONF)
            });
        }
    }
    println!("\nAdaptive A/B loop (looks 10/20/40/80, 99% overall):\n{header}");
    let rule = StoppingRule::default();
    let bonferroni = StoppingRule {
        spending: crate::compare::Spending::Bonferroni,
        ..rule
    };
    run("old: signed-rank, Bonferroni, MDC guard", &|s| {
        adaptive(s, Generation::Old, &rule)
    });
    run("signed-rank, Bonferroni, no MDC guard", &|s| {
        adaptive(s, Generation::OldUnguarded, &rule)
    });
    run("sign test, Bonferroni", &|s| {
        adaptive(s, Generation::New, &bonferroni)
    });
    run("new: sign test, exact last look", &|s| {
        adaptive(s, Generation::New, &rule)
    });
    let offset = Shape {
        run_offset: 0.01,
        ..Shape::presets()[0].clone()
    };
    for forks in [10, 20, 40, 80] {
        let r = independent(
            &scenario(&offset, 1.0, trials, 5),
            Generation::New,
            forks,
            5,
            CONF,
        );
        println!(
            "between-run offset 1% sd, quiet shape, {forks} forks: A/A miss {}, beyond {}",
            pct(&r, r.misses),
            pct(&r, r.beyond)
        );
    }
}

/// A simulated suite of `cases` cases (the preset shapes in turn) run `runs` times at a true
/// `ratio`, each case by the adaptive rule judging `family` cases together: per-case rates pooled,
/// and how many runs had any case regressed or improved.
fn suite(ratio: f64, cases: usize, runs: usize, family: usize, seed: u64) -> (Rates, usize) {
    let rule = StoppingRule {
        family,
        ..StoppingRule::default()
    };
    let shapes = Shape::presets();
    let mut all = Rates::default();
    let mut failing_runs = 0;
    for run in 0..runs {
        let mut changed = 0;
        for case in 0..cases {
            let shape = &shapes[case % shapes.len()];
            let r = adaptive(
                &scenario(shape, ratio, 1, seed + (run * cases + case) as u64),
                Generation::New,
                &rule,
            );
            changed += r.regressed + r.improved;
            all.merge(&r);
        }
        failing_runs += usize::from(changed > 0);
    }
    (all, failing_runs)
}

#[test]
fn judging_a_suite_as_a_family_keeps_its_a_a_runs_passing() {
    // 150 A/A runs of a 34-case suite. Judged case by case at 99%, about one run in nine calls
    // some case changed (measured here: 17 of 150 runs, 18 of 5100 cases); with the change
    // intervals at the family's confidence (99.97% for 34 cases) a run fails at most 1% of the
    // time by construction (measured: 1 of 150 runs, 1 of 5100 cases).
    let (per_case, per_case_runs) = suite(1.0, 34, 150, 1, 5000);
    let (family, family_runs) = suite(1.0, 34, 150, 34, 5000);
    eprintln!("per case: {per_case_runs} runs {per_case:?}\nfamily: {family_runs} runs {family:?}");
    assert!(family_runs <= allowed(0.01, 150), "{family_runs}");
    assert!(
        family.regressed + family.improved <= allowed(0.01 / 34.0, family.trials),
        "{family:?}"
    );
    assert!(
        per_case_runs > family_runs + 2,
        "{per_case_runs} vs {family_runs}"
    );
    // The per-case intervals (unchanged verdicts) keep their coverage.
    assert!(family.misses <= allowed(0.01, family.trials), "{family:?}");
    assert!(family.unchanged * 10 >= family.trials * 3, "{family:?}");
}

#[test]
fn judged_as_a_family_a_suite_still_catches_its_slowdowns() {
    // 10% and 5% slowdowns in every case of a 34-case suite judged as a family. The price of the
    // family's stricter change intervals: a regression needs 20 pairs, and the harsh simulated
    // shapes (8-9% process effects, +60% modes, 3-5% stalls, 20% sample noise) are caught less
    // often than case by case (README, "The gate's own quality"). Measured here: -10% caught in
    // 229 of 340 (every quiet case); -5% caught in 48 of the 50 cases whose change MDC came out
    // at or below 5%.
    let (ten, _) = suite(0.90, 34, 10, 34, 7000);
    let (five, _) = suite(0.95, 34, 10, 34, 9000);
    eprintln!("-10%: {ten:?}\n-5%: {five:?}");
    assert_eq!(ten.improved + five.improved, 0);
    assert!(ten.regressed * 10 >= ten.trials * 6, "{ten:?}");
    assert!(five.low_mdc_regressed * 10 >= five.low_mdc * 8, "{five:?}");
}
