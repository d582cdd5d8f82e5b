//! The self-contained HTML report: one run is a single-machine report, several runs a comparison.
//!
//! Inline CSS (with a print stylesheet) and inline SVG charts; no scripts, no fetches, no clock: the same input
//! gives the same bytes.

use std::fmt::Write as _;

use crate::analysis;
use crate::format::html as esc;
use crate::html_parts::{machine_table, section, summary_table, validation_table, warning_list};
use crate::html_races::race_section;
use crate::schema::Results;
use crate::{html_compare, html_evidence, html_family};

const CSS: &str = include_str!("report.css");

/// Renders `runs` as one HTML document: a single-machine report for one run, a comparison for several.
pub fn render_html(runs: &[Results]) -> String {
    let labels = analysis::run_labels(runs);
    let title = match runs {
        [] => "contend report: no results".to_string(),
        [one] => format!("contend report: {} ({})", labels[0], one.started_at),
        _ => format!("contend comparison: {}", labels.join(" vs ")),
    };
    let mut out = page_start(&title);
    match runs {
        [] => out.push_str("<p>No results were given.</p>\n"),
        [run] => single(&mut out, run),
        _ => html_compare::comparison(&mut out, runs, &labels),
    }
    out.push_str(PAGE_END);
    out
}

/// Closes what [`page_start`] opened.
pub(crate) const PAGE_END: &str = "</main>\n</body>\n</html>\n";

/// A page's start up to its `<h1>` (escaped `title`), with the report's inline stylesheet.
pub(crate) fn page_start(title: &str) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"contend-reports {}\">\n<title>{}</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n<main>\n",
        env!("CARGO_PKG_VERSION"),
        esc(title)
    );
    let _ = writeln!(out, "<h1>{}</h1>", esc(title));
    out
}

fn single(out: &mut String, run: &Results) {
    let families = analysis::families([run]);
    // A run that measured nothing (only `contend tsan`) has no warnings, summary or validation to
    // show; one that measured only primitives has no summary or validation.
    let measured = !run.cases.is_empty() || run.primitives.is_some();
    out.push_str("<nav><ol>\n<li><a href=\"#machine\">Machine and run</a></li>\n");
    if measured {
        out.push_str("<li><a href=\"#warnings\">Warnings</a></li>\n");
    }
    if !run.cases.is_empty() {
        out.push_str("<li><a href=\"#summary\">Summary</a></li>\n");
    }
    for f in &families {
        let _ = writeln!(
            out,
            "<li><a href=\"#family-{0}\">Family: {0}</a></li>",
            esc(f)
        );
    }
    if run.primitives.is_some() {
        out.push_str("<li><a href=\"#primitives\">Primitives</a></li>\n");
    }
    let validation = !run.cases.is_empty();
    if validation {
        out.push_str("<li><a href=\"#validation\">Validation</a></li>\n");
    }
    if html_evidence::has_evidence(run) {
        out.push_str("<li><a href=\"#evidence\">Evidence</a></li>\n");
    }
    if run.race_detection.is_some() {
        out.push_str("<li><a href=\"#races\">Race detection</a></li>\n");
    }
    out.push_str("</ol></nav>\n");
    section(out, "machine", "Machine and run");
    machine_table(
        out,
        std::slice::from_ref(run),
        std::slice::from_ref(&run.label),
    );
    out.push_str("</section>\n");
    if measured {
        section(out, "warnings", "Warnings");
        warning_list(out, run);
        out.push_str("</section>\n");
    }
    if !run.cases.is_empty() {
        section(out, "summary", "Summary");
        summary_table(out, &[run], &[]);
        out.push_str("</section>\n");
    }
    for f in &families {
        html_family::family_section(out, run, f, "");
    }
    crate::html_primitives::single(out, run, "primitives");
    if validation {
        section(out, "validation", "Validation");
        validation_table(out, run);
        out.push_str("</section>\n");
    }
    html_evidence::evidence_section(out, run, "evidence");
    race_section(out, run, "races");
}
