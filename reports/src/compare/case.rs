//! One case of base against the same case of head: trust, fork values, estimate, verdict.

use std::collections::BTreeMap;

use super::estimate::{
    Estimate, Method, SampleError, Verdict, family_confidence, independent_estimate, min_forks,
    paired_estimate,
};
use super::forks::fork_values;
use super::outcome::{CaseComparison, CompareOptions};
use crate::schema::{Case, CaseStatus, Sample, Validation};
use crate::stats::median;

/// Compares one pair of interleaved A/B cases (paired fork values, see [`compare_cases`]).
pub fn compare_paired_cases(base: &Case, head: &Case, opts: &CompareOptions) -> CaseComparison {
    compare_cases(base, head, Method::Paired, opts)
}

/// Compares one base case with one head case of the same key, by `method`.
///
/// - A base that cannot be trusted (failed validation, deadlocked, crashed, not run, no samples)
///   makes the row `not comparable`. A head that failed validation, deadlocked (unless the
///   variant is deadlock-prone on purpose), crashed or did not finish where the base did makes it
///   `broken`, as does a head that did no work in most of its forks.
/// - [`Method::Independent`]: one value per fork (median of its samples) on each side. With a
///   single fork on a side the row is an observation: `inconclusive`, never a gate decision,
///   because the between-process variance cannot be estimated from one process.
/// - [`Method::Paired`]: fork `k` of base pairs with fork `k` of head. Files without fork ids
///   (every sample in fork 0, as `contend ab` wrote them before forks were recorded) pair
///   sample by sample, each sample being its own process there.
pub fn compare_cases(
    base: &Case,
    head: &Case,
    method: Method,
    opts: &CompareOptions,
) -> CaseComparison {
    let key = base.key();
    let threshold = opts.thresholds.for_key(&key);
    let side_median = |c: &Case| {
        let v = fork_values(&c.samples);
        (!v.is_empty()).then(|| median(&v))
    };
    let mut row = CaseComparison {
        key,
        verdict: Verdict::NotComparable,
        threshold,
        estimate: None,
        base_median: side_median(base),
        head_median: side_median(head),
        unit: head.unit.clone(),
        p99_change: (base.latency.p99 > 0 && head.latency.p99 > 0)
            .then(|| head.latency.p99 as f64 / base.latency.p99 as f64 - 1.0),
        machines_differ: false,
        notes: Vec::new(),
    };
    match (distrust(base), distrust(head)) {
        (Some(b), h) => {
            row.notes.push(format!("base: {}", b.why));
            row.notes.extend(h.map(|h| format!("head: {}", h.why)));
            return row;
        }
        (None, Some(h)) => {
            row.verdict = if h.breaks {
                Verdict::Broken
            } else {
                Verdict::NotComparable
            };
            row.notes.push(format!("head: {}", h.why));
            return row;
        }
        (None, None) => {}
    }
    if base.unit != head.unit {
        row.notes
            .push(format!("units differ: {} vs {}", base.unit, head.unit));
        return row;
    }
    let values = match method {
        Method::Independent => Ok((fork_values(&base.samples), fork_values(&head.samples))),
        Method::Paired => paired_values(&base.samples, &head.samples),
    };
    let (mut bv, mut hv) = match values {
        Ok(v) => v,
        Err(why) => {
            row.notes.push(why);
            return row;
        }
    };
    let (bz, hz) = (idle(&bv), idle(&hv));
    if 2 * bz > bv.len() {
        row.notes.push(format!(
            "base did no work in {bz} of {} {}",
            bv.len(),
            method.unit()
        ));
        return row;
    }
    if 2 * hz > hv.len() {
        row.verdict = Verdict::Broken;
        row.notes.push(format!(
            "head did no work in {hz} of {} {} (base did)",
            hv.len(),
            method.unit()
        ));
        return row;
    }
    for (side, values, zeros) in [("base", &mut bv, bz), ("head", &mut hv, hz)] {
        if zeros > 0 {
            // Counted as the slowest possible value: ranks and order statistics stay meaningful.
            for v in values.iter_mut().filter(|v| **v == 0.0) {
                *v = f64::MIN_POSITIVE;
            }
            row.notes.push(format!(
                "{side}: {zeros} of {} {} did no work (counted as the slowest)",
                values.len(),
                method.unit()
            ));
        }
    }
    let estimate_at = |confidence: f64| match method {
        Method::Independent => independent_estimate(&bv, &hv, confidence),
        Method::Paired => paired_estimate(&bv, &hv, confidence),
    };
    let change_confidence = family_confidence(opts.confidence, opts.family);
    let estimate = estimate_at(opts.confidence).and_then(|e| {
        if change_confidence > opts.confidence {
            Ok(e.with_change_interval(&estimate_at(change_confidence)?))
        } else {
            Ok(e)
        }
    });
    match estimate {
        Ok(estimate) => judge_row(&mut row, estimate, opts.confidence),
        Err(e) => row.notes.push(e.to_string()),
    }
    row
}

/// Sets the verdict from `estimate`: a single fork on a side never decides.
fn judge_row(row: &mut CaseComparison, estimate: Estimate, confidence: f64) {
    let single: Vec<&str> = [
        ("base", estimate.base_samples),
        ("head", estimate.head_samples),
    ]
    .into_iter()
    .filter(|&(_, n)| n == 1)
    .map(|(side, _)| side)
    .collect();
    if estimate.method == Method::Independent && !single.is_empty() {
        row.verdict = Verdict::Inconclusive;
        row.notes.push(format!(
            "1 fork on {}: between-process variance cannot be estimated; measure with --forks K \
             (at least {} per side for a {} interval, {} for a change verdict at {})",
            single.join(" and "),
            min_forks(1.0 - confidence),
            super::render::percent_label(confidence),
            min_forks(1.0 - estimate.change_confidence),
            super::render::percent_label(estimate.change_confidence)
        ));
    } else {
        let (verdict, why) = estimate.judge(row.threshold);
        row.verdict = verdict;
        row.notes.extend(why);
    }
    row.estimate = Some(estimate);
}

/// How many values are zero (a fork, or pair member, that completed no work).
fn idle(values: &[f64]) -> usize {
    values.iter().filter(|&&v| v == 0.0).count()
}

/// Paired fork values: by fork id, or sample by sample in files without fork ids.
fn paired_values(base: &[Sample], head: &[Sample]) -> Result<(Vec<f64>, Vec<f64>), String> {
    let no_ids = |s: &[Sample]| s.iter().all(|s| s.fork == 0);
    if no_ids(base) && no_ids(head) {
        if base.len() != head.len() {
            return Err(SampleError::Unpaired {
                base: base.len(),
                head: head.len(),
            }
            .to_string());
        }
        let t = |s: &[Sample]| s.iter().map(|s| s.throughput).collect::<Vec<f64>>();
        return Ok((t(base), t(head)));
    }
    let group = |s: &[Sample]| {
        let mut m: BTreeMap<u32, Vec<f64>> = BTreeMap::new();
        for x in s {
            m.entry(x.fork).or_default().push(x.throughput);
        }
        m
    };
    let (b, h) = (group(base), group(head));
    if !b.keys().eq(h.keys()) {
        return Err(format!(
            "paired forks differ: {} in base, {} in head, not the same fork ids",
            b.len(),
            h.len()
        ));
    }
    let values = |m: &BTreeMap<u32, Vec<f64>>| m.values().map(|t| median(t)).collect();
    Ok((values(&b), values(&h)))
}

/// Why a side cannot be trusted, and whether that makes a head `broken`.
struct Distrust {
    why: String,
    breaks: bool,
}

fn distrust(case: &Case) -> Option<Distrust> {
    let (why, breaks) = match (&case.status, &case.validation) {
        (CaseStatus::Failed, _) | (_, Validation::Failed { .. }) => {
            ("failed validation".to_string(), true)
        }
        (CaseStatus::Deadlocked { .. }, _) if case.expected_deadlock => (
            "deadlocked (the variant is deadlock-prone on purpose)".to_string(),
            false,
        ),
        (CaseStatus::Deadlocked { .. }, _) => ("deadlocked".to_string(), true),
        (CaseStatus::Error { message }, _) => (format!("error: {message}"), true),
        (_, Validation::NotRun) => ("not run".to_string(), true),
        _ if case.samples.is_empty() => ("no samples".to_string(), false),
        _ => return None,
    };
    Some(Distrust { why, breaks })
}

/// A row with only one side (added, removed, or not comparable without an estimate).
pub(crate) fn one_sided(case: &Case, verdict: Verdict, opts: &CompareOptions) -> CaseComparison {
    let key = case.key();
    let v = fork_values(&case.samples);
    let m = (!v.is_empty()).then(|| median(&v));
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
