//! The perf-regression gate's pure part: match cases of two runs, estimate each change with a
//! distribution-free confidence interval, and give verdicts that only fail on clear regressions.
//!
//! - [`compare`]: two results files measured separately (independent samples).
//! - [`compare_paired_cases`] / [`paired_estimate`]: interleaved A/B samples (paired).
//! - [`StoppingRule`]: when the A/B loop has sampled enough to decide.
//! - [`Thresholds`]: the per-case threshold config.
//! - [`render_compare_table`] / [`render_compare_markdown`]: stdout and `$GITHUB_STEP_SUMMARY`.
//!
//! The statistics are in [`estimate`]'s docs; the stopping rule in [`adaptive`]'s.

pub mod adaptive;
pub mod config;
pub mod estimate;
mod ranks;
mod render;
pub mod simulate;

use std::collections::BTreeMap;

pub use adaptive::{Step, StoppingRule};
pub use config::{
    ConfigError, ConfigErrorKind, DEFAULT_THRESHOLD, PercentError, ThresholdRule, Thresholds,
    parse_percent,
};
pub use estimate::{Estimate, Method, SampleError, Verdict, independent_estimate, paired_estimate};
pub use render::{render_compare_markdown, render_compare_table};

use crate::schema::{Case, CaseStatus, Machine, Results, Validation};
use crate::stats::median;

/// Default two-sided confidence of each case's interval: 99%. A case with no true change is
/// then called regressed (or improved) in well under 0.5% of comparisons, within the 1% budget
/// even for suites of 20-40 cases each compared once.
pub const DEFAULT_CONFIDENCE: f64 = 0.99;

/// Which verdicts fail the gate (exit 1).
///
/// The default, `Regressed`, fails only on evidence: a broken head, or a case whose whole
/// interval lies beyond the slowdown threshold. An inconclusive case (the run could not resolve
/// the threshold's size of change on this machine) passes, with its MDC shown: on noisy shared
/// runners failing on "cannot tell" would fail most pull requests for reasons unrelated to them,
/// and a gate that always fails gets switched off. `Inconclusive` is for teams that would rather
/// re-run or lengthen the budget than let an unresolved case through: it also fails on
/// inconclusive and not-comparable cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FailOn {
    #[default]
    Regressed,
    Inconclusive,
}

/// How to compare: confidence of the intervals and the per-case thresholds.
#[derive(Debug, Clone, PartialEq)]
pub struct CompareOptions {
    /// Two-sided confidence, in (0, 1).
    pub confidence: f64,
    pub thresholds: Thresholds,
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions {
            confidence: DEFAULT_CONFIDENCE,
            thresholds: Thresholds::default(),
        }
    }
}

/// One row of a comparison: a case key and what became of it.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseComparison {
    /// `family/variant@threads/placement`.
    pub key: String,
    pub verdict: Verdict,
    /// Fraction (0.05 = 5%) this case was judged against.
    pub threshold: f64,
    /// Present whenever both sides had analysable samples.
    pub estimate: Option<Estimate>,
    /// Median throughput of each side's samples, units/s.
    pub base_median: Option<f64>,
    pub head_median: Option<f64>,
    /// What one unit of throughput is (head's, else base's).
    pub unit: String,
    /// Informational: `head p99 / base p99 - 1` of latency (positive = slower tail).
    pub p99_change: Option<f64>,
    /// The two runs ran on different hardware: the row is an observation and never gates.
    pub machines_differ: bool,
    /// Why the verdict is what it is, when that is not obvious (reasons, not-comparable causes).
    pub notes: Vec<String>,
}

impl CaseComparison {
    /// Whether this row fails the gate: a broken head, or a regression measured on comparable
    /// machines.
    pub fn fails_gate(&self) -> bool {
        self.verdict == Verdict::Broken
            || (self.verdict == Verdict::Regressed && !self.machines_differ)
    }
}

/// Everything `contend compare` reports.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub method: Method,
    /// Two-sided confidence of the case intervals.
    pub confidence: f64,
    /// Base and head ran on different hardware (see [`machine_differences`]).
    pub machines_differ: bool,
    /// Run-level remarks: what differs between machines or configurations.
    pub notes: Vec<String>,
    /// Base's cases in order, then cases only in head.
    pub rows: Vec<CaseComparison>,
}

impl Comparison {
    /// Whether any case regressed on comparable machines.
    pub fn has_regression(&self) -> bool {
        self.rows.iter().any(CaseComparison::fails_gate)
    }

    /// The CLI's exit status under the default policy ([`FailOn::Regressed`]): 1 when a head is
    /// broken or something regressed, else 0 (bad input is 2, at the CLI).
    pub fn exit_code(&self) -> i32 {
        self.exit_code_with(FailOn::Regressed)
    }

    /// The CLI's exit status under `policy`.
    pub fn exit_code_with(&self, policy: FailOn) -> i32 {
        let strict = |r: &CaseComparison| {
            policy == FailOn::Inconclusive
                && matches!(r.verdict, Verdict::Inconclusive | Verdict::NotComparable)
        };
        i32::from(self.has_regression() || self.rows.iter().any(strict))
    }

    /// How many rows have `verdict`.
    pub fn count(&self, verdict: Verdict) -> usize {
        self.rows.iter().filter(|r| r.verdict == verdict).count()
    }

    /// Rows in display order: by verdict (regressed first, see [`Verdict::ALL`]), then as matched.
    pub fn sorted_rows(&self) -> Vec<&CaseComparison> {
        let mut rows: Vec<&CaseComparison> = self.rows.iter().collect();
        rows.sort_by_key(|r| r.verdict); // stable: keeps run order within a verdict
        rows
    }
}

/// Hardware differences between two machines that make their throughputs incomparable:
/// CPU model, logical CPUs, physical cores, packages, and CPUs available to the process.
/// Host name, kernel, OS and compiler are deliberately not part of it: CI runners get a fresh
/// host name every job, and a compiler or kernel change may be exactly what is being measured.
/// They are reported as notes instead.
pub fn machine_differences(base: &Machine, head: &Machine) -> Vec<String> {
    let mut out = Vec::new();
    let mut check = |what: &str, b: String, h: String| {
        if b != h {
            out.push(format!("{what}: {b} vs {h}"));
        }
    };
    check("cpu", base.cpu_model.clone(), head.cpu_model.clone());
    check(
        "logical cpus",
        base.logical_cpus.to_string(),
        head.logical_cpus.to_string(),
    );
    check(
        "physical cores",
        base.physical_cores.to_string(),
        head.physical_cores.to_string(),
    );
    check(
        "packages",
        base.packages.to_string(),
        head.packages.to_string(),
    );
    check(
        "available cpus",
        base.available_cpus.len().to_string(),
        head.available_cpus.len().to_string(),
    );
    out
}

/// Differences that do not stop the gate but a reader should know about.
fn environment_notes(base: &Results, head: &Results) -> Vec<String> {
    let mut out = Vec::new();
    let (bm, hm) = (&base.machine, &head.machine);
    for (what, b, h) in [
        ("kernel", &bm.kernel, &hm.kernel),
        ("os", &bm.os, &hm.os),
        ("rustc", &bm.rustc, &hm.rustc),
    ] {
        if b != h {
            out.push(format!("{what} differs: {b} vs {h}"));
        }
    }
    let (bc, hc) = (&base.config, &head.config);
    if bc.duration_ms != hc.duration_ms || bc.warmup_ms != hc.warmup_ms {
        out.push(format!(
            "sample windows differ: {} ms (warm-up {} ms) vs {} ms (warm-up {} ms)",
            bc.duration_ms, bc.warmup_ms, hc.duration_ms, hc.warmup_ms
        ));
    }
    if bc.params != hc.params {
        out.push(format!(
            "workload params differ: {:?} vs {:?}",
            bc.params, hc.params
        ));
    }
    out
}

/// Compares two separately measured runs case by case (independent samples).
///
/// Cases are matched by [`Case::key`]. A key present more than once on a side is not comparable.
pub fn compare(base: &Results, head: &Results, opts: &CompareOptions) -> Comparison {
    let differences = machine_differences(&base.machine, &head.machine);
    let machines_differ = !differences.is_empty();
    let mut notes = Vec::new();
    if machines_differ {
        notes.push(format!(
            "machines differ ({}): changes are observations, no case can fail the gate",
            differences.join("; ")
        ));
    }
    notes.extend(environment_notes(base, head));

    let index = |cases: &[Case]| {
        let mut map: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, c) in cases.iter().enumerate() {
            map.entry(c.key()).or_default().push(i);
        }
        map
    };
    let (base_index, head_index) = (index(&base.cases), index(&head.cases));
    let mut rows = Vec::new();
    for (i, b) in base.cases.iter().enumerate() {
        let key = b.key();
        if base_index[&key][0] != i {
            continue; // duplicate, reported at its first occurrence
        }
        let base_count = base_index[&key].len();
        let row = match head_index.get(&key) {
            None => one_sided(b, Verdict::Removed, opts),
            Some(heads) if base_count > 1 || heads.len() > 1 => {
                let mut row = one_sided(b, Verdict::NotComparable, opts);
                row.notes.push(format!(
                    "key appears {base_count} time(s) in base and {} in head",
                    heads.len()
                ));
                row
            }
            Some(heads) => compare_cases(b, &head.cases[heads[0]], Method::Independent, opts),
        };
        rows.push(row);
    }
    for (i, h) in head.cases.iter().enumerate() {
        let key = h.key();
        if !base_index.contains_key(&key) && head_index[&key][0] == i {
            rows.push(one_sided(h, Verdict::Added, opts));
        }
    }
    for row in &mut rows {
        row.machines_differ = machines_differ;
    }
    Comparison {
        method: Method::Independent,
        confidence: opts.confidence,
        machines_differ,
        notes,
        rows,
    }
}

/// Compares interleaved A/B pairs of cases (sample `i` of each taken back to back), all on one
/// machine. Each pair's base and head must have the same number of samples.
pub fn compare_paired(pairs: &[(&Case, &Case)], opts: &CompareOptions) -> Comparison {
    let rows = pairs
        .iter()
        .map(|(b, h)| compare_paired_cases(b, h, opts))
        .collect();
    Comparison {
        method: Method::Paired,
        confidence: opts.confidence,
        machines_differ: false,
        notes: Vec::new(),
        rows,
    }
}

/// Compares one pair of interleaved A/B cases (paired samples).
pub fn compare_paired_cases(base: &Case, head: &Case, opts: &CompareOptions) -> CaseComparison {
    compare_cases(base, head, Method::Paired, opts)
}

/// Compares one base case with one head case of the same key, by `method`.
pub fn compare_cases(
    base: &Case,
    head: &Case,
    method: Method,
    opts: &CompareOptions,
) -> CaseComparison {
    let key = base.key();
    let threshold = opts.thresholds.for_key(&key);
    let throughputs = |c: &Case| c.samples.iter().map(|s| s.throughput).collect::<Vec<f64>>();
    let (bt, ht) = (throughputs(base), throughputs(head));
    let mut row = CaseComparison {
        key,
        verdict: Verdict::NotComparable,
        threshold,
        estimate: None,
        base_median: (!bt.is_empty()).then(|| median(&bt)),
        head_median: (!ht.is_empty()).then(|| median(&ht)),
        unit: head.unit.clone(),
        p99_change: (base.latency.p99 > 0 && head.latency.p99 > 0)
            .then(|| head.latency.p99 as f64 / base.latency.p99 as f64 - 1.0),
        machines_differ: false,
        notes: Vec::new(),
    };
    for (side, case) in [("base", base), ("head", head)] {
        if let Some(why) = untrusted(case) {
            row.notes.push(format!("{side}: {why}"));
        }
    }
    if base.unit != head.unit {
        row.notes
            .push(format!("units differ: {} vs {}", base.unit, head.unit));
    }
    if !row.notes.is_empty() {
        return row;
    }
    let estimate = match method {
        Method::Independent => independent_estimate(&bt, &ht, opts.confidence),
        Method::Paired => paired_estimate(&bt, &ht, opts.confidence),
    };
    match estimate {
        Ok(estimate) => {
            let (verdict, why) = estimate.judge(threshold);
            row.verdict = verdict;
            row.notes.extend(why);
            row.estimate = Some(estimate);
        }
        Err(e) => row.notes.push(e.to_string()),
    }
    row
}

/// Why a case's samples cannot be trusted or compared, if so.
fn untrusted(case: &Case) -> Option<String> {
    match (&case.status, &case.validation) {
        (CaseStatus::Failed, _) | (_, Validation::Failed { .. }) => {
            Some("failed validation".into())
        }
        (CaseStatus::Deadlocked { .. }, _) => Some("deadlocked".into()),
        (CaseStatus::Error { message }, _) => Some(format!("error: {message}")),
        (_, Validation::NotRun) => Some("not run".into()),
        _ if case.samples.is_empty() => Some("no samples".into()),
        _ => None,
    }
}

/// A row with only one side (added, removed, or not comparable without an estimate).
fn one_sided(case: &Case, verdict: Verdict, opts: &CompareOptions) -> CaseComparison {
    let key = case.key();
    let t: Vec<f64> = case.samples.iter().map(|s| s.throughput).collect();
    let m = (!t.is_empty()).then(|| median(&t));
    let (base_median, head_median) = if verdict == Verdict::Added {
        (None, m)
    } else {
        (m, None)
    };
    CaseComparison {
        threshold: opts.thresholds.for_key(&key),
        key,
        verdict,
        estimate: None,
        base_median,
        head_median,
        unit: case.unit.clone(),
        p99_change: None,
        machines_differ: false,
        notes: Vec::new(),
    }
}

#[cfg(test)]
mod tests;
