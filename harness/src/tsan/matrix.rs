//! The verdict matrix printed on stdout, with the lane's precision and recall over its targets.

use comfy_table::Table;
use comfy_table::presets::UTF8_BORDERS_ONLY;
use contend_reports::schema::{RaceDetection, RaceVerdict};

/// The observed column: distinct reports, runs reporting, unverifiable and suppressed runs.
fn observed(t: &RaceVerdict) -> String {
    let mut s = format!(
        "{} report(s), {}/{} runs",
        t.distinct_reports, t.runs_reporting, t.runs
    );
    if t.runs_unverifiable > 0 {
        s.push_str(&format!(", {} unverifiable", t.runs_unverifiable));
    }
    if t.runs_suppressed > 0 {
        s.push_str(&format!(", {} suppressed", t.runs_suppressed));
    }
    s
}

/// Counts of the verdicts over a set of targets, and the lane's precision and recall.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Score {
    pub caught: u32,
    pub false_positives: u32,
    pub missed: u32,
    pub unverifiable: u32,
    pub errors: u32,
    pub targets: u32,
}

impl Score {
    pub fn of(targets: &[RaceVerdict]) -> Score {
        let mut s = Score {
            targets: targets.len() as u32,
            ..Score::default()
        };
        for t in targets {
            match t.verdict.as_str() {
                "caught" => s.caught += 1,
                "false_positive" => s.false_positives += 1,
                "missed" => s.missed += 1,
                "unverifiable" => s.unverifiable += 1,
                "error" => s.errors += 1,
                _ => {}
            }
        }
        s
    }

    /// Share of "race" verdicts that are right: caught / (caught + false positives).
    pub fn precision(&self) -> Option<f64> {
        let called = self.caught + self.false_positives;
        (called > 0).then(|| f64::from(self.caught) / f64::from(called))
    }

    /// Share of expected races that were caught, among those the lane could judge.
    pub fn recall(&self) -> Option<f64> {
        let judged = self.caught + self.missed;
        (judged > 0).then(|| f64::from(self.caught) / f64::from(judged))
    }

    /// One line for the matrix's footer.
    pub fn line(&self) -> String {
        let fmt = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.3}"));
        format!(
            "race verdicts: {} caught, {} false positive(s), {} missed, {} unverifiable ({:.0}% of \
             targets), {} error(s); precision {}, recall {} (of races the lane could judge)",
            self.caught,
            self.false_positives,
            self.missed,
            self.unverifiable,
            100.0 * f64::from(self.unverifiable) / f64::from(self.targets.max(1)),
            self.errors,
            fmt(self.precision()),
            fmt(self.recall())
        )
    }
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
            t.expected_label().to_string(),
            observed(t),
            t.kinds.join(", "),
            verdict,
            t.error
                .clone()
                .unwrap_or_else(|| t.stack_tops.join("  |  ")),
        ]);
    }
    let mut out = format!("{table}\n");
    let unverifiable: Vec<&RaceVerdict> =
        rd.targets.iter().filter(|t| t.is_unverifiable()).collect();
    if !unverifiable.is_empty() {
        out.push_str("unverifiable in this lane (neither race nor clean):\n");
        for t in &unverifiable {
            let why = t.reason.as_deref().unwrap_or_default();
            out.push_str(&format!("  {}: {why}\n", t.name));
        }
        if let Some(hint) = &rd.settle_hint {
            out.push_str(&format!("  {hint}\n"));
        }
    }
    out.push_str(&format!(
        "lane {} ({}); std {}instrumented; {} run(s) per target; {:.1} s\n\
         what this lane cannot see: {}\n{}\n{}\n",
        rd.lane,
        rd.toolchain,
        if rd.std_instrumented { "" } else { "NOT " },
        rd.runs_per_target,
        rd.elapsed_ms as f64 / 1000.0,
        rd.blind_spots,
        Score::of(&rd.targets).line(),
        rd.tally()
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tsan::verdict::{Expect, RunOutcome, judge};

    #[test]
    fn precision_counts_race_verdicts_and_recall_the_races_the_lane_could_judge() {
        let with = |verdicts: &[&str]| {
            verdicts
                .iter()
                .map(|v| RaceVerdict {
                    verdict: v.to_string(),
                    ..judge("t", Expect::Clean, &[RunOutcome::default()])
                })
                .collect::<Vec<_>>()
        };
        let s = Score::of(&with(&[
            "caught",
            "caught",
            "caught",
            "false_positive",
            "missed",
            "unverifiable",
            "clean",
        ]));
        assert_eq!(
            (s.caught, s.false_positives, s.missed, s.unverifiable),
            (3, 1, 1, 1)
        );
        assert_eq!(s.precision(), Some(0.75));
        assert_eq!(s.recall(), Some(0.75));
        assert!(
            s.line().contains("1 unverifiable (14% of targets)"),
            "{}",
            s.line()
        );
        assert_eq!(Score::of(&with(&["clean"])).precision(), None);
    }

    #[test]
    fn the_observed_column_counts_unverifiable_and_suppressed_runs() {
        let mut v = judge("t", Expect::Clean, &[RunOutcome::default()]);
        v.runs_unverifiable = 2;
        v.runs_suppressed = 1;
        assert_eq!(
            observed(&v),
            "0 report(s), 0/1 runs, 2 unverifiable, 1 suppressed"
        );
        v.expected_kind = Some("lock-order inversion".into());
        assert_eq!(v.expected_label(), "lock-order inversion");
    }
}
