//! Turns the reports of several runs of one target into a verdict.

use std::collections::BTreeSet;

use contend_reports::schema::{RaceRun, RaceVerdict};

use super::parse::Report;

/// Longest report text kept per target in the JSON.
const RAW_REPORT_LIMIT: usize = 16 * 1024;

/// What a target should produce under ThreadSanitizer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// No report at all.
    Clean,
    /// At least one report (a data race, or any other kind TSan finds).
    Race,
    /// A lock-order inversion (a potential deadlock), in a run that did not deadlock.
    LockOrderInversion,
}

impl Expect {
    /// The schema's `expected_kind` for this expectation.
    fn kind(self) -> Option<String> {
        (self == Expect::LockOrderInversion).then(|| LOCK_ORDER_INVERSION.to_string())
    }

    /// Whether `report` is what this expectation is waiting for.
    fn wants(self, report: &Report) -> bool {
        match self {
            Expect::LockOrderInversion => report.is_lock_order_inversion(),
            _ => true,
        }
    }
}

/// The matrix's name for TSan's `lock-order-inversion (potential deadlock)`.
pub const LOCK_ORDER_INVERSION: &str = "lock-order inversion";

/// A report kind as the matrix shows it.
pub fn display_kind(kind: &str) -> String {
    if kind.starts_with("lock-order-inversion") {
        LOCK_ORDER_INVERSION.into()
    } else {
        kind.to_string()
    }
}

/// What one process run of a target produced.
#[derive(Debug, Clone, Default)]
pub struct RunOutcome {
    /// Reports that count (see `parse::Report::reaches_project` for test mode).
    pub reports: Vec<Report>,
    /// Counted reports that may be synchronization this lane cannot see, with the evidence.
    pub unverifiable: Vec<(Report, String)>,
    /// Why the run could not be judged (crash, timeout), if so.
    pub error: Option<String>,
    /// Reports a suppression rule hid in this run (TSan's `print_suppressions` count).
    pub suppressed: u64,
    /// What the run varied (see `schedule::Schedule`).
    pub schedule: String,
}

impl RunOutcome {
    /// Sorts `reports` into verifiable ones and ones `unseen` finds evidence against.
    pub fn sorted(reports: Vec<Report>, unseen: impl Fn(&Report) -> Option<String>) -> Self {
        let mut out = RunOutcome::default();
        for r in reports {
            match unseen(&r) {
                Some(why) => out.unverifiable.push((r, why)),
                None => out.reports.push(r),
            }
        }
        out
    }

    fn has_any(&self) -> bool {
        !self.reports.is_empty() || !self.unverifiable.is_empty()
    }
}

/// Aggregates `runs` of target `name` into its verdict.
///
/// An expected race (or inversion) is `caught` when a run produced a verifiable report of that
/// kind (the rate is `runs_reporting / runs`); a race-free target is `false_positive` when any run
/// produced a verifiable report. Reports the lane cannot verify (see `evidence`) never make a race:
/// a target with only those is `unverifiable`. Otherwise a run that crashed or timed out makes it
/// `error`, and no report at all `missed` or `clean`.
pub fn judge(name: &str, expect: Expect, runs: &[RunOutcome]) -> RaceVerdict {
    let runs_reporting = runs.iter().filter(|r| r.has_any()).count() as u32;
    let runs_unverifiable = runs
        .iter()
        .filter(|r| r.reports.is_empty() && !r.unverifiable.is_empty())
        .count() as u32;
    let runs_suppressed = runs.iter().filter(|r| r.suppressed > 0).count() as u32;
    let verified: Vec<&Report> = runs.iter().flat_map(|r| &r.reports).collect();
    let unverified: Vec<&(Report, String)> = runs.iter().flat_map(|r| &r.unverifiable).collect();
    let all = || {
        verified
            .iter()
            .copied()
            .chain(unverified.iter().map(|(r, _)| r))
    };
    let distinct: BTreeSet<String> = all().map(Report::signature).collect();
    let kinds: BTreeSet<String> = all().map(|r| display_kind(&r.kind)).collect();
    let error = runs.iter().find_map(|r| r.error.clone());
    let wanted = verified.iter().any(|r| expect.wants(r));
    let verdict = match expect {
        Expect::Clean if !verified.is_empty() => "false_positive",
        Expect::Race | Expect::LockOrderInversion if wanted => "caught",
        _ if !unverified.is_empty() => "unverifiable",
        _ if error.is_some() => "error",
        Expect::Clean => "clean",
        _ => "missed",
    };
    let first = verified
        .iter()
        .find(|r| expect.wants(r))
        .or(verified.first())
        .copied()
        .or(unverified.first().map(|(r, _)| r));
    let reason = (verdict == "unverifiable")
        .then(|| unverified.first().map(|(_, why)| why.clone()))
        .flatten();
    RaceVerdict {
        name: name.to_string(),
        expected_race: expect != Expect::Clean,
        runs: runs.len() as u32,
        runs_reporting,
        runs_suppressed,
        distinct_reports: distinct.len() as u32,
        kinds: kinds.into_iter().collect(),
        verdict: verdict.into(),
        matches_expectation: matches!(verdict, "caught" | "clean"),
        stack_tops: first.map(|r| r.tops.clone()).unwrap_or_default(),
        error,
        raw_report: first.map(|r| truncated(&r.text)).unwrap_or_default(),
        expected_kind: expect.kind(),
        runs_unverifiable,
        reason,
        run_log: runs.iter().map(run_record).collect(),
    }
}

fn run_record(r: &RunOutcome) -> RaceRun {
    RaceRun {
        schedule: r.schedule.clone(),
        reports: (r.reports.len() + r.unverifiable.len()) as u32,
        unverifiable: r.unverifiable.len() as u32,
        suppressed: r.suppressed,
        error: r.error.clone(),
    }
}

fn truncated(text: &str) -> String {
    let mut raw = text.to_string();
    if raw.len() > RAW_REPORT_LIMIT {
        let cut = (0..=RAW_REPORT_LIMIT)
            .rev()
            .find(|&i| raw.is_char_boundary(i))
            .unwrap_or(0);
        raw.truncate(cut);
        raw.push_str("\n[... truncated]");
    }
    raw
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
            sections: vec![],
        }
    }

    fn run(reports: Vec<Report>) -> RunOutcome {
        RunOutcome {
            reports,
            schedule: "cpus=all".into(),
            ..RunOutcome::default()
        }
    }

    fn unverifiable(top: &str) -> RunOutcome {
        RunOutcome {
            unverifiable: vec![(
                report(top),
                "the racing memory holds a std::sync Mutex".into(),
            )],
            ..run(vec![])
        }
    }

    #[test]
    fn a_suppressed_report_keeps_the_verdict_clean() {
        let hidden = RunOutcome {
            suppressed: 2,
            ..run(vec![])
        };
        let v = judge("pool/work-stealing", Expect::Clean, &[run(vec![]), hidden]);
        assert_eq!((v.verdict.as_str(), v.runs_suppressed), ("clean", 1));
        assert_eq!(v.run_log[1].suppressed, 2);
        assert_eq!(v.run_log[0].schedule, "cpus=all");
    }

    #[test]
    fn a_racy_target_is_caught_with_its_rate() {
        let v = judge(
            "counter/racy",
            Expect::Race,
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
        assert_eq!(v.expected_kind, None);
    }

    #[test]
    fn a_racy_target_without_reports_is_missed() {
        let v = judge("counter/racy", Expect::Race, &[run(vec![]), run(vec![])]);
        assert_eq!(v.verdict, "missed");
        assert!(!v.matches_expectation);
    }

    #[test]
    fn any_report_on_a_correct_target_is_a_false_positive() {
        let v = judge(
            "counter/mutex",
            Expect::Clean,
            &[run(vec![]), run(vec![report("m.rs:3")])],
        );
        assert_eq!(v.verdict, "false_positive");
        assert!(!v.matches_expectation);
        assert_eq!(
            judge("counter/mutex", Expect::Clean, &[run(vec![])]).verdict,
            "clean"
        );
    }

    #[test]
    fn reports_the_lane_cannot_verify_make_neither_a_race_nor_a_clean_bill() {
        for expect in [Expect::Clean, Expect::Race] {
            let v = judge("t", expect, &[unverifiable("m.rs:3"), run(vec![])]);
            assert_eq!(v.verdict, "unverifiable");
            assert!(!v.matches_expectation);
            assert_eq!((v.runs_reporting, v.runs_unverifiable), (1, 1));
            let reason = v.reason.unwrap();
            assert!(reason.contains("holds a std::sync Mutex"), "{reason}");
            assert_eq!(v.run_log[0].unverifiable, 1);
        }
        // One verifiable report settles it.
        let v = judge(
            "t",
            Expect::Race,
            &[unverifiable("m.rs:3"), run(vec![report("r.rs:9")])],
        );
        assert_eq!((v.verdict.as_str(), v.reason), ("caught", None));
        assert_eq!(v.stack_tops, vec!["r.rs:9", "r.rs:9"]);
    }

    #[test]
    fn a_lock_order_inversion_is_caught_only_by_an_inversion_report() {
        let inversion = Report {
            kind: "lock-order-inversion (potential deadlock)".into(),
            ..report("d.rs:5")
        };
        let v = judge(
            "deadlock/naive-locks",
            Expect::LockOrderInversion,
            &[run(vec![inversion])],
        );
        assert_eq!(v.verdict, "caught");
        assert_eq!(v.kinds, vec![LOCK_ORDER_INVERSION]);
        assert_eq!(v.expected_kind.as_deref(), Some(LOCK_ORDER_INVERSION));
        let v = judge(
            "deadlock/naive-locks",
            Expect::LockOrderInversion,
            &[run(vec![report("d.rs:5")])],
        );
        assert_eq!(v.verdict, "missed");
    }

    #[test]
    fn a_crash_without_reports_is_an_error_not_a_clean_bill() {
        let crashed = RunOutcome {
            error: Some("killed by signal 11".into()),
            ..run(vec![])
        };
        let v = judge("t", Expect::Clean, &[crashed]);
        assert_eq!(v.verdict, "error");
        assert!(!v.matches_expectation);
        assert_eq!(v.error.as_deref(), Some("killed by signal 11"));
    }
}
