//! What `contend ab` writes: `ab-base.json` / `ab-head.json` (ordinary results files whose cases
//! hold one fork per pair, aligned pair by pair), the comparison rows, and `ab-gate.json`.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use contend_reports::compare::{CaseComparison, Comparison, FailOn, StoppingRule, Verdict};
use contend_reports::schema::{Case, Results, Tool};
use contend_reports::stats::median;

use super::sampler::{AbCase, Measured};
use super::schedule::{self, CaseRun, Outcome};
use crate::error::UsageError;
use crate::plan::Plan;
use crate::report_cmd::write_output;

pub fn percent(f: f64) -> String {
    let s = format!("{:.2}", f * 100.0);
    format!("{}%", s.trim_end_matches('0').trim_end_matches('.'))
}

pub fn describe_tool(t: &Tool) -> String {
    match &t.git_commit {
        Some(c) => format!("{} {} ({c})", t.name, t.version),
        None => format!("{} {}", t.name, t.version),
    }
}

pub fn write_json(path: &Path, results: &Results) -> Result<(), UsageError> {
    let json = serde_json::to_string_pretty(results).expect("results serialize");
    write_output(path, &json)
}

/// Both sides' results files, and which case index each A/B case became (if measured).
pub struct SideFiles {
    pub base: Results,
    pub head: Results,
    base_cases: Vec<Option<usize>>,
    head_cases: Vec<Option<usize>>,
}

impl SideFiles {
    pub fn build(
        runs: &[CaseRun<Measured>],
        plan: &Plan,
        argv: &[String],
        started_at: &str,
    ) -> SideFiles {
        let side = |label: &str, pick: &dyn Fn(&(Measured, Measured)) -> &Measured| {
            let first = runs.iter().flat_map(|r| r.pairs.first()).map(pick).next();
            let mut config = crate::run::config(plan);
            config.forks = runs.iter().map(|r| r.pairs.len()).max().unwrap_or(0) as u32;
            if let Some(m) = first {
                config.params = m.results.config.params.clone();
            }
            let mut results = crate::run::new_results(Some(label.into()), argv.to_vec(), config);
            results.started_at = started_at.into();
            if let Some(m) = first {
                // What the side's own build says about itself and the machine it measured on.
                results.tool = m.results.tool.clone();
                results.machine = m.results.machine.clone();
            }
            let mut index = Vec::new();
            for run in runs {
                if run.pairs.is_empty() {
                    index.push(None);
                    continue;
                }
                let forks: Vec<Case> = run
                    .pairs
                    .iter()
                    .enumerate()
                    .map(|(fork, p)| {
                        let mut case = pick(p).results.cases[0].clone();
                        crate::merge::set_fork(&mut case, fork as u32);
                        case
                    })
                    .collect();
                index.push(Some(results.cases.len()));
                results
                    .cases
                    .push(crate::merge::merge_cases(&forks.iter().collect::<Vec<_>>()));
            }
            (results, index)
        };
        let (base, base_cases) = side("base", &|p| &p.0);
        let (head, head_cases) = side("head", &|p| &p.1);
        SideFiles {
            base,
            head,
            base_cases,
            head_cases,
        }
    }
}

/// The table row of one A/B case: the stopping rule's verdict and estimate, and why.
pub fn row(case: &AbCase, run: &CaseRun<Measured>, i: usize, files: &SideFiles) -> CaseComparison {
    let base = files.base_cases[i].map(|i| &files.base.cases[i]);
    let head = files.head_cases[i].map(|i| &files.head.cases[i]);
    let med = |c: Option<&Case>| {
        c.map(|c| median(&c.samples.iter().map(|s| s.throughput).collect::<Vec<_>>()))
    };
    let estimate = run.outcome.estimate().cloned();
    let mut notes = Vec::new();
    match &run.outcome {
        Outcome::NotComparable(why) | Outcome::Broken(why) => notes.push(why.clone()),
        Outcome::BudgetSpent { .. } => notes.push("time budget spent".into()),
        Outcome::Exhausted { .. } => notes.push("undecided at the last look".into()),
        Outcome::Decided { .. } => {}
    }
    if let Some(e) = &estimate
        && let (_, Some(why)) = e.judge(case.threshold)
    {
        notes.push(why);
    }
    notes.push(format!("{} pairs", run.pairs.len()));
    if !run.dropped.is_empty() {
        notes.push(format!(
            "{} pair(s) dropped and measured again: {}",
            run.dropped.len(),
            run.dropped.join("; ")
        ));
    }
    if run.kept_disturbed > 0 {
        notes.push(format!(
            "{} disturbed pair(s) kept (drops used up)",
            run.kept_disturbed
        ));
    }
    CaseComparison {
        key: case.key.clone(),
        verdict: run.outcome.verdict(),
        threshold: case.threshold,
        estimate,
        base_median: med(base),
        head_median: med(head),
        unit: head.or(base).map_or_else(String::new, |c| c.unit.clone()),
        p99_change: match (base, head) {
            (Some(b), Some(h)) if b.latency.p99 > 0 && h.latency.p99 > 0 => {
                Some(h.latency.p99 as f64 / b.latency.p99 as f64 - 1.0)
            }
            _ => None,
        },
        machines_differ: false,
        notes,
    }
}

/// Per-case verdicts as JSON (`ab-gate.json`), for scripts.
pub fn gate_json(
    c: &Comparison,
    runs: &[CaseRun<Measured>],
    elapsed: Duration,
    fail_on: FailOn,
    rule: &StoppingRule,
) -> String {
    let rows: Vec<serde_json::Value> = c
        .rows
        .iter()
        .zip(runs)
        .map(|(r, run)| {
            let cv = |pick: fn(&(Measured, Measured)) -> &Measured| {
                let t: Vec<f64> = run
                    .pairs
                    .iter()
                    .map(|p| schedule::Throughput::throughput(pick(p)))
                    .collect();
                (t.len() >= 2).then(|| contend_reports::stats::summarize(&t).cv)
            };
            let e = r.estimate.as_ref();
            serde_json::json!({
                "key": r.key,
                "verdict": r.verdict.name(),
                "fails_gate": r.fails_gate(),
                "threshold": r.threshold,
                "pairs": run.pairs.len(),
                "dropped": run.dropped.len(),
                "kept_disturbed": run.kept_disturbed,
                "ratio": e.map(|e| e.ratio),
                "interval": e.and_then(|e| e.interval).map(|(lo, hi)| vec![lo, hi]),
                "mdc": e.map(|e| if e.mdc.is_finite() { Some(e.mdc) } else { None }),
                "change_interval": e.and_then(|e| e.change_interval).map(|(lo, hi)| vec![lo, hi]),
                "change_mdc": e.map(|e| Some(e.change_mdc()).filter(|m| m.is_finite())),
                "base_cv": cv(|p| &p.0),
                "head_cv": cv(|p| &p.1),
                "notes": r.notes,
            })
        })
        .collect();
    let counts: BTreeMap<&str, usize> = Verdict::ALL
        .iter()
        .map(|&v| (v.name(), c.count(v)))
        .collect();
    serde_json::to_string_pretty(&serde_json::json!({
        "exit_code": c.exit_code_with(fail_on),
        "confidence_per_look": c.confidence,
        "change_confidence_per_look": c.change_confidence,
        "looks": rule.looks(),
        "change_looks": rule.change_looks(),
        "elapsed_s": elapsed.as_secs_f64(),
        "counts": counts,
        "cases": rows,
    }))
    .expect("json serializes")
}
