//! How race-detection verdicts read in the HTML report and the Markdown summary: a match is green,
//! a mismatch red and loud, and "unverifiable in this lane" neither, with its reason.

use std::path::Path;

use contend_reports::schema::{RaceDetection, RaceVerdict, Results, read_results};
use contend_reports::{render_html, render_markdown};

fn verdict(name: &str, expected_race: bool, verdict: &str) -> RaceVerdict {
    RaceVerdict {
        name: name.into(),
        expected_race,
        runs: 3,
        runs_reporting: u32::from(verdict != "clean") * 3,
        runs_suppressed: 0,
        distinct_reports: u32::from(verdict != "clean"),
        kinds: vec![],
        verdict: verdict.into(),
        matches_expectation: matches!(verdict, "caught" | "clean"),
        stack_tops: vec!["src/lib.rs:10".into(), "src/lib.rs:20".into()],
        error: None,
        raw_report: String::new(),
        expected_kind: None,
        runs_unverifiable: 0,
        reason: None,
        run_log: vec![],
    }
}

/// A crate-only run: one race caught, one clean, one false positive, one unverifiable.
fn crate_only_run() -> Results {
    let mut run =
        read_results(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/machine-a.json"))
            .unwrap();
    let mut unverifiable = verdict(
        "locks::tests::norace_condvar_handoff",
        false,
        "unverifiable",
    );
    unverifiable.runs_unverifiable = 3;
    unverifiable.reason =
        Some("the racing memory holds a std::sync Mutex, whose hand-offs are invisible".into());
    run.race_detection = Some(RaceDetection {
        lane: "crate-only".into(),
        toolchain: "rustc nightly".into(),
        std_instrumented: false,
        blind_spots: "std is NOT instrumented".into(),
        tsan_options: "history_size=7".into(),
        suppressions: vec![],
        subject: "race-suite".into(),
        threads: 0,
        runs_per_target: 3,
        elapsed_ms: 1000,
        settle_hint: Some("settle them in a lane with an instrumented std".into()),
        targets: vec![
            verdict("race_one", true, "caught"),
            verdict("norace_two", false, "clean"),
            verdict("norace_three", false, "false_positive"),
            unverifiable,
        ],
    });
    run
}

/// The `<tr>` of the races table that names `target`.
fn row<'a>(html: &'a str, target: &str) -> &'a str {
    let at = html
        .find(&format!("<td><code>{target}</code></td>"))
        .unwrap_or_else(|| panic!("no row for {target}"));
    let start = html[..at].rfind("<tr>").unwrap();
    let end = at + html[at..].find("</tr>").unwrap();
    &html[start..end]
}

#[test]
fn unverifiable_is_neither_a_match_nor_a_mismatch_in_the_html_report() {
    let html = render_html(&[crate_only_run()]);
    assert!(
        html.contains(
            "2 of 4 verdicts match expectation; 1 unverifiable in this lane (neither race nor clean)"
        ),
        "tally missing"
    );
    let unverifiable = row(&html, "locks::tests::norace_condvar_handoff");
    assert!(unverifiable.contains("class=\"unsure\""), "{unverifiable}");
    assert!(!unverifiable.contains("class=\"bad\""), "{unverifiable}");
    assert!(
        unverifiable.contains("holds a std::sync Mutex"),
        "{unverifiable}"
    );
    assert!(
        unverifiable.contains("3/3 (3 unverifiable)"),
        "{unverifiable}"
    );
    assert!(row(&html, "norace_three").contains("<span class=\"bad\">false positive</span>"));
    assert!(row(&html, "race_one").contains("<span class=\"ok\">caught</span>"));
    // How to settle it is said once, under the table.
    assert_eq!(
        html.matches("settle them in a lane with an instrumented std")
            .count(),
        1
    );
    // A run that only ran `contend tsan` shows no empty measurement sections.
    let mut races_only = crate_only_run();
    races_only.cases.clear();
    let html = render_html(&[races_only]);
    assert!(!html.contains("id=\"summary\"") && !html.contains("id=\"validation\""));
    assert!(html.contains("id=\"races\""));
}

#[test]
fn unverifiable_is_listed_after_mismatches_and_not_shouted_in_markdown() {
    let md = render_markdown(&[crate_only_run()]);
    assert!(md.contains("1 unverifiable in this lane"), "{md}");
    let lines: Vec<&str> = md.lines().filter(|l| l.starts_with("| <code>")).collect();
    // Names are escaped Markdown (`_` as `\_`).
    let at = |name: &str| {
        let escaped = name.replace('_', "\\_");
        lines.iter().position(|l| l.contains(&escaped)).unwrap()
    };
    assert!(lines[at("norace_three")].contains("**FALSE POSITIVE**"));
    let unverifiable = lines[at("norace_condvar_handoff")];
    assert!(
        unverifiable.contains("| unverifiable in this lane |"),
        "{unverifiable}"
    );
    assert!(
        unverifiable.contains("holds a std::sync Mutex"),
        "{unverifiable}"
    );
    assert!(at("norace_three") < at("norace_condvar_handoff"));
    assert!(at("norace_condvar_handoff") < at("race_one"));
    assert!(
        md.contains("Unverifiable in this lane: settle them in a lane with an instrumented std.")
    );
}
