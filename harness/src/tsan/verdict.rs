//! Turns the reports of several runs of one target into a verdict, and renders the verdict matrix.

use std::collections::BTreeSet;

use comfy_table::Table;
use comfy_table::presets::UTF8_BORDERS_ONLY;
use contend_reports::schema::{RaceDetection, RaceVerdict};

use super::parse::Report;

/// Longest report text kept per target in the JSON.
const RAW_REPORT_LIMIT: usize = 16 * 1024;

/// What one process run of a target produced.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    /// Reports that count (see `parse::Report::reaches_project` for test mode).
    pub reports: Vec<Report>,
    /// Why the run could not be judged (crash, timeout), if so.
    pub error: Option<String>,
    /// Reports a suppression rule hid in this run (TSan's `print_suppressions` count).
    pub suppressed: u64,
}

/// Aggregates `runs` of target `name` into its verdict.
///
/// A deliberately racy target is `caught` when at least one run reported (the rate is
/// `runs_reporting / runs`) and `missed` otherwise; a race-free target is `clean` only when no run
/// reported anything, else `false_positive`. A run that crashed or timed out without reports makes
/// the verdict `error`.
pub fn judge(name: &str, expected_race: bool, runs: &[RunOutcome]) -> RaceVerdict {
    let runs_reporting = runs.iter().filter(|r| !r.reports.is_empty()).count() as u32;
    let runs_suppressed = runs.iter().filter(|r| r.suppressed > 0).count() as u32;
    let all: Vec<&Report> = runs.iter().flat_map(|r| &r.reports).collect();
    let distinct: BTreeSet<String> = all.iter().map(|r| r.signature()).collect();
    let kinds: BTreeSet<String> = all.iter().map(|r| r.kind.clone()).collect();
    let error = runs.iter().find_map(|r| r.error.clone());
    let verdict = match (expected_race, runs_reporting > 0, &error) {
        (_, false, Some(_)) => "error",
        (true, true, _) => "caught",
        (true, false, None) => "missed",
        (false, false, None) => "clean",
        (false, true, _) => "false_positive",
    };
    let first = all.first();
    let mut raw: String = first.map(|r| r.text.clone()).unwrap_or_default();
    if raw.len() > RAW_REPORT_LIMIT {
        let cut = (0..=RAW_REPORT_LIMIT)
            .rev()
            .find(|&i| raw.is_char_boundary(i))
            .unwrap_or(0);
        raw.truncate(cut);
        raw.push_str("\n[... truncated]");
    }
    RaceVerdict {
        name: name.to_string(),
        expected_race,
        runs: runs.len() as u32,
        runs_reporting,
        runs_suppressed,
        distinct_reports: distinct.len() as u32,
        kinds: kinds.into_iter().collect(),
        verdict: verdict.into(),
        matches_expectation: matches!(verdict, "caught" | "clean"),
        stack_tops: first.map(|r| r.tops.clone()).unwrap_or_default(),
        error,
        raw_report: raw,
    }
}

/// The observed column: distinct reports, runs reporting, and runs where a suppression hid one.
fn observed(t: &RaceVerdict) -> String {
    let mut s = format!(
        "{} report(s), {}/{} runs",
        t.distinct_reports, t.runs_reporting, t.runs
    );
    if t.runs_suppressed > 0 {
        s.push_str(&format!(", {} suppressed", t.runs_suppressed));
    }
    s
}

/// The verdict matrix as printed on stdout.
pub fn render(rd: &RaceDetection) -> String {
    let mut table = Table::new();
    table.load_preset(UTF8_BORDERS_ONLY).set_header(vec![
        "target",
        "expected",
        "observed",
        "kinds",
        "verdict",
        "first report: stack tops in our code",
    ]);
    for t in &rd.targets {
        let verdict = match t.verdict.as_str() {
            "false_positive" => "FALSE POSITIVE".to_string(),
            "missed" => "MISSED".to_string(),
            "error" => "ERROR".to_string(),
            v => v.to_string(),
        };
        table.add_row(vec![
            t.name.clone(),
            if t.expected_race {
                "races"
            } else {
                "race-free"
            }
            .to_string(),
            observed(t),
            t.kinds.join(", "),
            verdict,
            t.error
                .clone()
                .unwrap_or_else(|| t.stack_tops.join("  |  ")),
        ]);
    }
    let matched = rd.targets.iter().filter(|t| t.matches_expectation).count();
    format!(
        "{table}\nlane {} ({}); std {}instrumented; {} run(s) per target; {:.1} s\n\
         what this lane cannot see: {}\n{matched} of {} verdicts match expectation\n",
        rd.lane,
        rd.toolchain,
        if rd.std_instrumented { "" } else { "NOT " },
        rd.runs_per_target,
        rd.elapsed_ms as f64 / 1000.0,
        rd.blind_spots,
        rd.targets.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(top: &str) -> Report {
        Report {
            kind: "data race".into(),
            tops: vec![top.into(), top.into()],
            reaches_project: true,
            text: "WARNING".into(),
        }
    }

    fn run(reports: Vec<Report>) -> RunOutcome {
        RunOutcome {
            reports,
            error: None,
            suppressed: 0,
        }
    }

    #[test]
    fn a_suppressed_report_keeps_the_verdict_clean_but_shows_in_the_matrix() {
        let hidden = RunOutcome {
            suppressed: 2,
            ..run(vec![])
        };
        let v = judge("pool/work-stealing", false, &[run(vec![]), hidden]);
        assert_eq!((v.verdict.as_str(), v.runs_suppressed), ("clean", 1));
        assert_eq!(observed(&v), "0 report(s), 0/2 runs, 1 suppressed");
    }

    #[test]
    fn a_racy_target_is_caught_with_its_rate() {
        let v = judge(
            "counter/racy",
            true,
            &[
                run(vec![report("a.rs:1")]),
                run(vec![]),
                run(vec![report("a.rs:1"), report("b.rs:2")]),
            ],
        );
        assert_eq!(
            (v.verdict.as_str(), v.runs_reporting, v.distinct_reports),
            ("caught", 2, 2)
        );
        assert!(v.matches_expectation);
        assert_eq!(v.stack_tops, vec!["a.rs:1", "a.rs:1"]);
    }

    #[test]
    fn a_racy_target_without_reports_is_missed() {
        let v = judge("counter/racy", true, &[run(vec![]), run(vec![])]);
        assert_eq!(v.verdict, "missed");
        assert!(!v.matches_expectation);
    }

    #[test]
    fn any_report_on_a_correct_target_is_a_false_positive() {
        let v = judge(
            "counter/mutex",
            false,
            &[run(vec![]), run(vec![report("m.rs:3")])],
        );
        assert_eq!(v.verdict, "false_positive");
        assert!(!v.matches_expectation);
        assert_eq!(
            judge("counter/mutex", false, &[run(vec![])]).verdict,
            "clean"
        );
    }

    #[test]
    fn a_crash_without_reports_is_an_error_not_a_clean_bill() {
        let crashed = RunOutcome {
            reports: vec![],
            error: Some("killed by signal 11".into()),
            suppressed: 0,
        };
        let v = judge("t", false, &[crashed]);
        assert_eq!(v.verdict, "error");
        assert!(!v.matches_expectation);
        assert_eq!(v.error.as_deref(), Some("killed by signal 11"));
    }
}
