//! The perf-regression gate's pure part: match cases of two runs, estimate each change with a
//! distribution-free confidence interval over per-process (fork) values, and give verdicts that
//! only fail on clear regressions or a broken head.
//!
//! - [`compare`]: two results files measured separately (independent runs, one value per fork).
//! - [`compare_paired_cases`] / [`paired_estimate`]: interleaved A/B forks (paired).
//! - [`StoppingRule`]: when the A/B loop has sampled enough to decide; how many pairs a case
//!   still needs ([`StoppingRule::pairs_to_decide`]).
//! - [`FailOn`]: which verdicts fail the gate; [`Thresholds`]: the per-case threshold config.
//! - [`render_compare_table`] / [`render_compare_markdown`]: stdout and `$GITHUB_STEP_SUMMARY`.
//!
//! The statistics are in [`estimate`]'s docs, the stopping rule in [`adaptive`]'s, the data
//! model of the simulations in [`simulate`]'s and the measured error rates in [`coverage`]'s.

pub mod adaptive;
mod case;
pub mod config;
pub mod coverage;
pub mod estimate;
pub mod forks;
mod outcome;
mod ranks;
mod render;
mod sequential;
pub mod simulate;

use std::collections::BTreeMap;

pub use adaptive::{Outlook, Spending, Step, StoppingRule};
pub use case::{compare_cases, compare_paired_cases};
pub use config::{
    ConfigError, ConfigErrorKind, DEFAULT_THRESHOLD, DEFAULT_THRESHOLD_TEXT, PercentError,
    ThresholdRule, Thresholds, parse_percent,
};
pub use estimate::{
    Estimate, Method, SampleError, Verdict, family_confidence, independent_estimate,
    paired_estimate,
};
pub use forks::fork_values;
pub use outcome::{CaseComparison, CompareOptions, Comparison, DEFAULT_CONFIDENCE, FailOn};
pub use render::{render_compare_markdown, render_compare_table};

use crate::schema::{Case, Machine, Results};

/// Hardware differences between two machines that make their throughputs incomparable:
/// CPU model, logical CPUs, physical cores, packages, and CPUs available to the process.
/// Host name, kernel, OS and compiler are deliberately not part of it: CI runners get a fresh
/// host name every job, and a compiler or kernel change may be exactly what is being measured.
/// They are reported as notes instead.
pub fn machine_differences(base: &Machine, head: &Machine) -> Vec<String> {
    let (b, h) = (
        crate::fingerprint::identity(base),
        crate::fingerprint::identity(head),
    );
    b.iter()
        .zip(&h)
        .filter(|(b, h)| b.1 != h.1)
        .map(|((what, b), (_, h))| format!("{what}: {b} vs {h}"))
        .collect()
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

/// Compares two separately measured runs case by case (independent runs, one value per fork:
/// see [`compare_cases`]). Never fails the gate on samples of a single process alone.
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
    let opts = &CompareOptions {
        family: base_index
            .keys()
            .filter(|k| head_index.contains_key(*k))
            .count(),
        ..opts.clone()
    };
    let mut rows = Vec::new();
    for (i, b) in base.cases.iter().enumerate() {
        let key = b.key();
        if base_index[&key][0] != i {
            continue; // duplicate, reported at its first occurrence
        }
        let base_count = base_index[&key].len();
        let row = match head_index.get(&key) {
            None => case::one_sided(b, Verdict::Removed, opts),
            Some(heads) if base_count > 1 || heads.len() > 1 => {
                let mut row = case::one_sided(b, Verdict::NotComparable, opts);
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
            rows.push(case::one_sided(h, Verdict::Added, opts));
        }
    }
    for row in &mut rows {
        row.machines_differ = machines_differ;
    }
    Comparison {
        method: Method::Independent,
        confidence: opts.confidence,
        change_confidence: family_confidence(opts.confidence, opts.family),
        machines_differ,
        notes,
        rows,
    }
}

/// Compares interleaved A/B pairs of cases (fork `k` of each measured back to back), all on one
/// machine. Each pair's base and head must have the same forks (see [`compare_cases`]).
pub fn compare_paired(pairs: &[(&Case, &Case)], opts: &CompareOptions) -> Comparison {
    let opts = &CompareOptions {
        family: pairs.len(),
        ..opts.clone()
    };
    let rows = pairs
        .iter()
        .map(|(b, h)| compare_paired_cases(b, h, opts))
        .collect();
    Comparison {
        method: Method::Paired,
        confidence: opts.confidence,
        change_confidence: family_confidence(opts.confidence, opts.family),
        machines_differ: false,
        notes: Vec::new(),
        rows,
    }
}

#[cfg(test)]
mod tests;
