//! Case matching, forks, verdict plumbing, broken heads, fail policies, rendering.

use std::collections::BTreeMap;

use super::simulate::SplitMix64;
use super::*;
use crate::schema::{CaseStatus, Latency, RunConfig, Sample, Tool, Validation};

fn machine() -> Machine {
    Machine {
        hostname: "runner-1".into(),
        cpu_model: "AMD EPYC 7763 64-Core Processor".into(),
        logical_cpus: 4,
        physical_cores: 2,
        packages: 1,
        available_cpus: vec![0, 1, 2, 3],
        topology: Vec::new(),
        memory_bytes: 16 << 30,
        os: "Ubuntu 24.04".into(),
        kernel: "6.8.0".into(),
        rustc: "rustc 1.90.0".into(),
        details: Default::default(),
    }
}

fn results(cases: Vec<Case>) -> Results {
    Results {
        schema_version: crate::schema::SCHEMA_VERSION,
        tool: Tool {
            name: "contend".into(),
            version: "0.1.0".into(),
            git_commit: None,
            git_dirty: None,
            git_branch: None,
        },
        label: "test".into(),
        command: vec!["contend".into()],
        started_at: "2025-01-01T00:00:00Z".into(),
        config: RunConfig {
            workloads: Vec::new(),
            threads: vec![1, 2],
            placement: "compact".into(),
            samples: 20,
            forks: 1,
            warmup_ms: 100,
            duration_ms: 150,
            seed: 1,
            quick: false,
            include_racy: false,
            params: BTreeMap::new(),
            mode: None,
            rates_per_s: Vec::new(),
        },
        machine: machine(),
        overhead: None,
        cases,
        race_detection: None,
        primitives: None,
    }
}

/// A case whose samples each come from a fork of their own (`--forks N --samples 1`).
fn case(variant: &str, threads: usize, throughputs: &[f64], p99: u64) -> Case {
    forked(variant, threads, throughputs, 1, p99)
}

/// A case of `per_fork` samples per fork, forks in order.
fn forked(variant: &str, threads: usize, throughputs: &[f64], per_fork: usize, p99: u64) -> Case {
    Case {
        family: variant.split('/').next().unwrap().into(),
        variant: variant.into(),
        style: "shared-memory".into(),
        expected_race: false,
        expected_deadlock: false,
        threads,
        helper_threads: 0,
        placement: "compact".into(),
        oversubscribed: false,
        scaling_baseline: true,
        cpus_requested: vec![Some(0); threads],
        cores_requested: Vec::new(),
        cpus_observed: vec![vec![0]; threads],
        stamp_every: None,
        bare_reference: None,
        load_sweeps: Vec::new(),
        unit: "increments".into(),
        latency_meaning: "per operation".into(),
        unit_factors: BTreeMap::new(),
        samples: throughputs
            .iter()
            .enumerate()
            .map(|(i, &t)| Sample {
                fork: (i / per_fork) as u32,
                ops: t as u64 / 10,
                elapsed_ns: 100_000_000,
                throughput: t,
                evidence: None,
            })
            .collect(),
        throughput: crate::stats::summarize(throughputs),
        latency: Latency {
            count: 1,
            p50: 10,
            p90: 20,
            p99,
            p999: 50,
            max: 60,
            histogram: String::new(),
        },
        batch_latency: None,
        validation: Validation::Passed {
            samples_checked: throughputs.len() as u32,
        },
        status: CaseStatus::Ok,
        fork_evidence: vec![],
    }
}

fn noisy(seed: u64, median: f64, cv: f64, n: usize) -> Vec<f64> {
    SplitMix64::new(seed).lognormal_samples(median, cv, n)
}

fn row<'a>(c: &'a Comparison, key: &str) -> &'a CaseComparison {
    c.rows
        .iter()
        .find(|r| r.key == key)
        .unwrap_or_else(|| panic!("no row {key}"))
}

/// A base and head pair of runs exercising every verdict.
fn fixture() -> (Results, Results) {
    let base = results(vec![
        case("counter/atomic", 1, &noisy(1, 100e6, 0.03, 25), 40),
        case("counter/mutex", 1, &noisy(2, 50e6, 0.03, 25), 100),
        case("counter/mutex", 2, &noisy(3, 20e6, 0.03, 25), 300),
        case("counter/mutex", 4, &noisy(4, 10e6, 0.20, 25), 900),
        case("counter/spin", 1, &noisy(5, 80e6, 0.03, 25), 50),
        failed(case("counter/ticket", 1, &noisy(7, 80e6, 0.03, 25), 50)),
        case("counter/old", 1, &noisy(6, 80e6, 0.03, 25), 50),
    ]);
    let head = results(vec![
        case("counter/atomic", 1, &noisy(11, 100e6, 0.03, 25), 41),
        case("counter/mutex", 1, &noisy(12, 45e6, 0.03, 25), 150),
        case("counter/mutex", 2, &noisy(13, 22e6, 0.03, 25), 300),
        case("counter/mutex", 4, &noisy(14, 10e6, 0.20, 25), 900),
        failed(case("counter/spin", 1, &noisy(15, 80e6, 0.03, 25), 50)),
        case("counter/ticket", 1, &noisy(17, 80e6, 0.03, 25), 50),
        case("counter/new", 1, &noisy(16, 80e6, 0.03, 25), 50),
    ]);
    (base, head)
}

fn failed(mut c: Case) -> Case {
    c.status = CaseStatus::Failed;
    c.validation = Validation::Failed {
        samples_failed: 1,
        first_error: "lost 3 updates".into(),
    };
    c
}

#[test]
fn cases_are_matched_by_key_and_every_verdict_appears() {
    let (base, head) = fixture();
    let c = compare(&base, &head, &CompareOptions::default());
    assert!(!c.machines_differ && c.notes.is_empty(), "{:?}", c.notes);
    assert_eq!(c.rows.len(), 8);
    assert_eq!(
        row(&c, "counter/atomic@1/compact").verdict,
        Verdict::Unchanged
    );
    assert_eq!(
        row(&c, "counter/mutex@1/compact").verdict,
        Verdict::Regressed
    );
    assert_eq!(
        row(&c, "counter/mutex@2/compact").verdict,
        Verdict::Improved
    );
    let noisy = row(&c, "counter/mutex@4/compact");
    assert_eq!(noisy.verdict, Verdict::Inconclusive);
    assert!(
        noisy.notes[0].starts_with("too noisy: interval half-width "),
        "{:?}",
        noisy.notes
    );
    let spin = row(&c, "counter/spin@1/compact");
    assert_eq!(spin.verdict, Verdict::Broken);
    assert_eq!(spin.notes, vec!["head: failed validation".to_string()]);
    assert!(spin.estimate.is_none());
    let ticket = row(&c, "counter/ticket@1/compact");
    assert_eq!(ticket.verdict, Verdict::NotComparable);
    assert_eq!(ticket.notes, vec!["base: failed validation".to_string()]);
    assert_eq!(row(&c, "counter/old@1/compact").verdict, Verdict::Removed);
    assert_eq!(row(&c, "counter/new@1/compact").verdict, Verdict::Added);
    // Base order, then added ones.
    assert_eq!(c.rows.last().unwrap().key, "counter/new@1/compact");
    let p99 = row(&c, "counter/mutex@1/compact").p99_change.unwrap();
    assert!((p99 - 0.5).abs() < 1e-12);
    assert!(c.has_regression());
    assert_eq!(c.exit_code(), 1);
}

#[test]
fn a_per_case_threshold_can_make_a_noisy_case_gateable_or_silence_one() {
    let (base, head) = fixture();
    let text = "counter/mutex@1/* = 25%\ncounter/mutex@4/* = 40%\n";
    let opts = CompareOptions {
        thresholds: Thresholds::parse(text, 0.05).unwrap(),
        ..Default::default()
    };
    let c = compare(&base, &head, &opts);
    let slower = row(&c, "counter/mutex@1/compact");
    assert_eq!(slower.threshold, 0.25);
    assert_ne!(
        slower.verdict,
        Verdict::Regressed,
        "a 10% change is below half of a 25% threshold"
    );
    assert_eq!(
        row(&c, "counter/mutex@4/compact").verdict,
        Verdict::Unchanged
    );
    assert_eq!(c.count(Verdict::Regressed), 0);
    assert_eq!(c.exit_code(), 1, "the broken head still fails");
}

#[test]
fn different_machines_never_fail_on_throughput_but_a_broken_head_still_fails() {
    let (base, mut head) = fixture();
    head.machine.cpu_model = "Intel Xeon Platinum 8370C".into();
    head.machine.hostname = "runner-2".into();
    let c = compare(&base, &head, &CompareOptions::default());
    assert!(c.machines_differ);
    assert!(c.rows.iter().all(|r| r.machines_differ));
    let slower = row(&c, "counter/mutex@1/compact");
    assert_eq!(slower.verdict, Verdict::Regressed);
    assert!(!slower.fails_gate());
    // A head that fails validation is broken on any machine.
    assert!(row(&c, "counter/spin@1/compact").fails_gate());
    assert_eq!(c.exit_code(), 1);
    head.cases.retain(|h| h.variant != "counter/spin");
    let c = compare(&base, &head, &CompareOptions::default());
    assert!(!c.has_regression());
    assert_eq!(c.exit_code(), 0);
    assert_eq!(c.exit_code_with(FailOn::Inconclusive), 1);
    assert!(
        c.notes[0].starts_with("machines differ (cpu: AMD EPYC"),
        "{:?}",
        c.notes
    );
    let table = render_compare_table(&c);
    assert!(table.contains("machines differ"));
}

#[test]
fn host_name_kernel_and_config_differences_are_notes_not_machine_differences() {
    let (base, mut head) = fixture();
    head.machine.hostname = "fv-az42".into();
    head.machine.kernel = "6.11.0".into();
    head.config.params.insert("cs_work".into(), 10);
    let c = compare(&base, &head, &CompareOptions::default());
    assert!(!c.machines_differ);
    assert_eq!(c.notes.len(), 2, "{:?}", c.notes);
    assert_eq!(c.notes[0], "kernel differs: 6.8.0 vs 6.11.0");
    assert_eq!(c.exit_code(), 1);
}

#[test]
fn paired_cases_compare_pair_by_pair() {
    // Strong drift shared by both members of each pair: paired analysis cancels it.
    let mut rng = SplitMix64::new(9);
    let drift: Vec<f64> = (0..30)
        .map(|i| 1.0 + 0.3 * (i as f64 / 4.0).sin())
        .collect();
    let b: Vec<f64> = drift.iter().map(|d| rng.lognormal(1e6 * d, 0.03)).collect();
    let h: Vec<f64> = drift
        .iter()
        .map(|d| rng.lognormal(0.9e6 * d, 0.03))
        .collect();
    let (base, head) = (case("counter/x", 2, &b, 10), case("counter/x", 2, &h, 10));
    let opts = CompareOptions::default();
    let paired = compare_paired(&[(&base, &head)], &opts);
    assert_eq!(
        paired.rows[0].verdict,
        Verdict::Regressed,
        "{:?}",
        paired.rows[0]
    );
    assert_eq!(paired.method, Method::Paired);
    // Treated as independent, the drift swamps the change.
    let independent = compare_cases(&base, &head, Method::Independent, &opts);
    assert_eq!(
        independent.verdict,
        Verdict::Inconclusive,
        "{independent:?}"
    );
    let short = case("counter/x", 2, &h[..29], 10);
    let row = compare_paired_cases(&base, &short, &opts);
    assert_eq!(row.verdict, Verdict::NotComparable);
    assert_eq!(
        row.notes,
        ["paired forks differ: 30 in base, 29 in head, not the same fork ids"]
    );
    // Files without fork ids (`contend ab` before forks were recorded: one process per sample)
    // pair sample by sample.
    let legacy = |c: &Case| {
        let mut c = c.clone();
        c.samples.iter_mut().for_each(|s| s.fork = 0);
        c
    };
    let row = compare_paired_cases(&legacy(&base), &legacy(&head), &opts);
    assert_eq!(row.verdict, Verdict::Regressed, "{row:?}");
    assert_eq!(row.estimate, paired.rows[0].estimate);
    let row = compare_paired_cases(&legacy(&base), &legacy(&short), &opts);
    assert_eq!(
        row.notes,
        ["paired samples need equal counts, got 30 base and 29 head"]
    );
    // Forks of several samples pair by fork id, each fork's median against the other's.
    let (b5, h5) = (
        forked("counter/x", 2, &b, 5, 10),
        forked("counter/x", 2, &h, 5, 10),
    );
    let row = compare_paired_cases(&b5, &h5, &opts);
    assert_eq!(row.estimate.as_ref().unwrap().base_samples, 6);
}

#[test]
fn renders_are_deterministic_and_put_broken_then_regressions_first() {
    let (base, head) = fixture();
    let c = compare(&base, &head, &CompareOptions::default());
    let table = render_compare_table(&c);
    assert_eq!(table, render_compare_table(&c.clone()));
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("case "), "{table}");
    assert!(lines[2].starts_with("counter/spin@1/compact"), "{table}");
    assert!(lines[2].contains("broken") && lines[2].contains("head: failed validation"));
    assert!(lines[3].starts_with("counter/mutex@1/compact"), "{table}");
    assert!(lines[3].contains("regressed"));
    assert!(table.contains(
        "1 broken, 1 regressed, 1 improved, 1 inconclusive, 1 unchanged, 1 not comparable, \
         1 added, 1 removed"
    ));
    let md = render_compare_markdown(&c);
    assert!(
        md.starts_with("### contend compare: 1 broken, 1 regressed, 1 improved"),
        "{md}"
    );
    assert!(md.contains("**The gate fails"));
    let rows: Vec<&str> = md.lines().filter(|l| l.starts_with("| `")).collect();
    assert!(rows[0].starts_with("| `counter/spin@1/compact` |") && rows[0].contains("**broken**"));
    assert!(
        rows[1].starts_with("| `counter/mutex@1/compact` |") && rows[1].contains("**regressed**")
    );
    eprintln!("{table}\n{md}");
}

/// A/A comparisons of independent runs: how often does the gate call a change that is not there?
fn independent_a_a(trials: u64, seed: u64, cv: f64, n: usize) -> (usize, usize, usize) {
    let mut rng = SplitMix64::new(seed);
    let (mut alarms, mut misses_zero, mut unchanged) = (0, 0, 0);
    for _ in 0..trials {
        let base = rng.lognormal_samples(1e6, cv, n);
        let head = rng.lognormal_samples(1e6, cv, n);
        let e = independent_estimate(&base, &head, DEFAULT_CONFIDENCE).unwrap();
        match e.verdict(DEFAULT_THRESHOLD) {
            Verdict::Regressed | Verdict::Improved => alarms += 1,
            Verdict::Unchanged => unchanged += 1,
            _ => {}
        }
        if e.interval.is_some_and(|(lo, hi)| lo > 1.0 || hi < 1.0) {
            misses_zero += 1;
        }
    }
    eprintln!(
        "independent A/A cv {cv} n {n}: false alarms {alarms}, intervals excluding no-change \
         {misses_zero}, unchanged {unchanged} of {trials}"
    );
    (alarms, misses_zero, unchanged)
}

#[test]
fn independent_a_a_comparisons_rarely_cry_wolf() {
    for (seed, cv) in [(21, 0.05), (22, 0.20)] {
        let (alarms, misses_zero, _) = independent_a_a(2000, seed, cv, 25);
        // A false alarm needs an interval that excludes no change: the interval's own error rate
        // (1%, either side) bounds it.
        assert!(alarms <= misses_zero, "cv {cv}: {alarms} > {misses_zero}");
        // The interval itself is calibrated: it excludes the true (zero) change <= ~1% of the time.
        assert!(
            misses_zero <= 30,
            "cv {cv}: {misses_zero} of 2000 intervals exclude no change"
        );
    }
}

#[test]
fn independent_runs_detect_ten_percent_at_low_noise() {
    let mut rng = SplitMix64::new(23);
    let (mut regressed, mut improved) = (0, 0);
    for _ in 0..500 {
        let base = rng.lognormal_samples(1e6, 0.03, 25);
        let slower = rng.lognormal_samples(0.9e6, 0.03, 25);
        let faster = rng.lognormal_samples(1.1e6, 0.03, 25);
        let verdict = |h: &[f64]| {
            independent_estimate(&base, h, DEFAULT_CONFIDENCE)
                .unwrap()
                .verdict(0.05)
        };
        regressed += usize::from(verdict(&slower) == Verdict::Regressed);
        improved += usize::from(verdict(&faster) == Verdict::Improved);
    }
    eprintln!(
        "independent cv 0.03 n 25: -10% regressed {regressed}/500, +10% improved {improved}/500"
    );
    assert!(
        regressed >= 475 && improved >= 475,
        "{regressed} {improved}"
    );
}

mod gate;
