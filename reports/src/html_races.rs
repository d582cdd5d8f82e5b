//! The report's race-detection section: lane, what it cannot see, one row per target, and each
//! target's first report.

use std::fmt::Write as _;

use crate::format::html as esc;
use crate::html_parts::{section, table};
use crate::schema::{RaceVerdict, Results};

/// The verdict cell: green when it matches the expectation, neutral when the lane could not tell
/// (with why), red otherwise.
fn verdict_cell(t: &RaceVerdict) -> String {
    let verdict = esc(&t.verdict.replace('_', " "));
    if t.is_unverifiable() {
        let why = t
            .reason
            .as_deref()
            .unwrap_or("the lane cannot see std's synchronization");
        format!(
            "<span class=\"unsure\" title=\"{}\">unverifiable in this lane</span>",
            esc(why)
        )
    } else if t.matches_expectation {
        format!("<span class=\"ok\">{verdict}</span>")
    } else {
        format!("<span class=\"bad\">{verdict}</span>")
    }
}

/// The runs column: how many runs reported, and how many of those a suppression or the lane's
/// blindness explains.
fn runs_cell(t: &RaceVerdict) -> String {
    let mut s = format!("{}/{}", t.runs_reporting, t.runs);
    let mut notes = Vec::new();
    if t.runs_unverifiable > 0 {
        notes.push(format!("{} unverifiable", t.runs_unverifiable));
    }
    if t.runs_suppressed > 0 {
        notes.push(format!("{} with a suppressed report", t.runs_suppressed));
    }
    if !notes.is_empty() {
        let _ = write!(s, " ({})", notes.join(", "));
    }
    s
}

/// The race-detection section, when the run has one.
pub(crate) fn race_section(out: &mut String, run: &Results, id: &str) {
    let Some(rd) = &run.race_detection else {
        return;
    };
    section(out, id, "Race detection (ThreadSanitizer)");
    let _ = writeln!(
        out,
        "<p>{}. Lane <b>{}</b> ({}), {}; {} run(s) per target{}, {:.1} s in all.</p>",
        esc(&rd.tally()),
        esc(&rd.lane),
        esc(&rd.toolchain),
        if rd.std_instrumented {
            "std instrumented"
        } else {
            "std <b>not</b> instrumented"
        },
        rd.runs_per_target,
        if rd.threads > 0 {
            format!(" at {} threads", rd.threads)
        } else {
            String::new()
        },
        rd.elapsed_ms as f64 / 1000.0
    );
    let _ = writeln!(
        out,
        "<p class=\"note\">What this lane cannot see: {}. TSAN_OPTIONS: <code>{}</code>. \
         Suppression rules: {}</p>",
        esc(&rd.blind_spots),
        esc(&rd.tsan_options),
        if rd.suppressions.is_empty() {
            "none".to_string()
        } else {
            rd.suppressions
                .iter()
                .map(|r| format!("<code>{}</code>", esc(r)))
                .collect::<Vec<_>>()
                .join(", ")
        }
    );
    let rows: Vec<Vec<String>> = rd
        .targets
        .iter()
        .map(|t| {
            vec![
                format!("<code>{}</code>", esc(&t.name)),
                esc(t.expected_label()),
                runs_cell(t),
                t.distinct_reports.to_string(),
                esc(&t.kinds.join(", ")),
                verdict_cell(t),
                esc(&t.detail()),
            ]
        })
        .collect();
    table(
        out,
        "races",
        &[
            "target",
            "expected",
            "runs reporting",
            "distinct reports",
            "kinds",
            "verdict",
            "first report (stack tops) / why unverifiable / error",
        ],
        &rows,
    );
    if let Some(hint) = &rd.settle_hint {
        let _ = writeln!(
            out,
            "<p class=\"note\"><span class=\"unsure\">Unverifiable in this lane</span>: {}.</p>",
            esc(hint)
        );
    }
    for t in rd.targets.iter().filter(|t| !t.raw_report.is_empty()) {
        let _ = writeln!(
            out,
            "<details><summary>report text: <code>{}</code></summary><pre>{}</pre></details>",
            esc(&t.name),
            esc(&t.raw_report)
        );
    }
    out.push_str("</section>\n");
}
