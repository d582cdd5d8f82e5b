//! Comparison tables: plain text for stdout, Markdown for `$GITHUB_STEP_SUMMARY`.
//! Deterministic: fixed float formatting, rows by verdict (broken, then regressed, first) then
//! run order.

use super::{CaseComparison, Comparison, Method, Verdict};
use crate::format::{md_code, md_escape};

/// A fraction as a percentage with at most two decimals: 0.05 -> `5%`, 0.9975 -> `99.75%`.
pub(crate) fn percent_label(fraction: f64) -> String {
    if !fraction.is_finite() {
        return "∞".into();
    }
    let s = format!("{:.2}", fraction * 100.0);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    format!("{s}%")
}

/// A signed change with one decimal: `-10.2%`, `+3.0%`.
fn signed_percent(fraction: f64) -> String {
    format!("{:+.1}%", fraction * 100.0)
}

/// Throughput with an SI prefix and three significant digits, no space: `12.3M/s`, `1.00G/s`.
fn throughput(units_per_sec: f64) -> String {
    format!("{}/s", crate::format::si(units_per_sec).replace(' ', ""))
}

/// A minimum detectable change with one decimal: `2.2%`, or `∞` without an interval.
pub(crate) fn mdc_label(mdc: f64) -> String {
    if mdc.is_finite() {
        format!("{:.1}%", mdc * 100.0)
    } else {
        "∞".into()
    }
}

fn headline(c: &Comparison) -> String {
    Verdict::ALL
        .iter()
        .filter(|&&v| c.count(v) > 0)
        .map(|&v| format!("{} {}", c.count(v), v))
        .collect::<Vec<_>>()
        .join(", ")
}

fn method_line(c: &Comparison) -> String {
    let samples = match c.method {
        Method::Independent => {
            "independent runs, one value per fork (median of its samples): Hodges-Lehmann shift \
             with a Mann-Whitney interval; a side measured in a single process gives an \
             observation, never a verdict"
        }
        Method::Paired => {
            "paired forks (interleaved A/B): median of per-pair ratios with a sign-test interval"
        }
    };
    let change = if c.change_confidence > c.confidence {
        format!(
            "the same interval at {}, so that a run where nothing changed fails with probability \
             at most {} however many cases it has",
            percent_label(c.change_confidence),
            percent_label(1.0 - c.confidence)
        )
    } else {
        "that interval".to_string()
    };
    format!(
        "Change of throughput head/base from {samples}, {} confidence. A case is unchanged when \
         that interval lies within +-threshold. It regresses when its change interval ({change}) \
         lies below -threshold/10 and its estimate is at least half the threshold slower; MDC = \
         half-width of the change interval (the smallest change it could call). It is broken \
         when the head failed, hung or did no work where the base did.",
        percent_label(c.confidence)
    )
}

/// Cells of one row: case, base, head, change [CI], MDC, threshold, p99, verdict, note.
fn cells(row: &CaseComparison) -> [String; 9] {
    let na = || "-".to_string();
    let (change, mdc) = match &row.estimate {
        Some(e) => {
            let ci = e.interval.map_or("[unbounded]".to_string(), |(lo, hi)| {
                format!("[{:+.1}, {:+.1}]", (lo - 1.0) * 100.0, (hi - 1.0) * 100.0)
            });
            (
                format!("{} {ci}", signed_percent(e.change())),
                mdc_label(e.change_mdc()),
            )
        }
        None => (na(), na()),
    };
    let mut notes = Vec::new();
    if row.machines_differ {
        notes.push("machines differ".to_string());
    }
    notes.extend(row.notes.iter().cloned());
    [
        row.key.clone(),
        row.base_median.map_or_else(na, throughput),
        row.head_median.map_or_else(na, throughput),
        change,
        mdc,
        percent_label(row.threshold),
        row.p99_change.map_or_else(na, signed_percent),
        row.verdict.to_string(),
        notes.join("; "),
    ]
}

const HEADERS: [&str; 9] = [
    "case",
    "base",
    "head",
    "change [CI]", // shown as e.g. `change [99% CI]`
    "MDC",
    "threshold",
    "p99 lat",
    "verdict",
    "note",
];
/// The header cells, with the interval's confidence in the change column.
fn headers(c: &Comparison) -> [String; 9] {
    let mut h = HEADERS.map(String::from);
    h[3] = format!("change [{} CI]", percent_label(c.confidence));
    h
}

/// Which columns are numbers (right-aligned).
const NUMERIC: [bool; 9] = [false, true, true, true, true, true, true, false, false];

/// The comparison as a plain-text table for stdout, followed by the verdict counts and notes.
pub fn render_compare_table(c: &Comparison) -> String {
    let rows: Vec<[String; 9]> = c.sorted_rows().into_iter().map(cells).collect();
    let headers = headers(c);
    let mut widths = headers.clone().map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let parts: Vec<String> = cells
            .iter()
            .zip(widths)
            .zip(NUMERIC)
            .map(|((cell, w), numeric)| {
                if numeric {
                    format!("{cell:>w$}")
                } else {
                    format!("{cell:<w$}")
                }
            })
            .collect();
        parts.join("  ").trim_end().to_string() + "\n"
    };
    let mut out = line(&headers);
    out += &line(&widths.map(|w| "-".repeat(w)));
    for row in &rows {
        out += &line(row);
    }
    out += &format!("\n{}\n", headline(c));
    for note in &c.notes {
        out += &format!("note: {note}\n");
    }
    out += &method_line(c);
    out += "\n";
    out
}

/// The comparison as Markdown for `$GITHUB_STEP_SUMMARY`: headline, notes, method, table.
pub fn render_compare_markdown(c: &Comparison) -> String {
    let mut out = format!("### contend compare: {}\n\n", headline(c));
    if c.has_regression() {
        out += "**The gate fails: at least one case is broken or regressed beyond its threshold.**\n\n";
    }
    for note in &c.notes {
        out += &format!("- {}\n", md_escape(note));
    }
    if !c.notes.is_empty() {
        out += "\n";
    }
    out += &method_line(c);
    out += "\n\n";
    out += &format!("| {} |\n", headers(c).join(" | "));
    let align: Vec<&str> = NUMERIC
        .iter()
        .map(|&n| if n { "--:" } else { ":--" })
        .collect();
    out += &format!("|{}|\n", align.join("|"));
    for row in c.sorted_rows() {
        // The case key and the notes come from the results files; the other cells are ours.
        let mut cells = cells(row);
        cells[0] = md_code(&cells[0]);
        cells[8] = md_escape(&cells[8]);
        if matches!(row.verdict, Verdict::Broken | Verdict::Regressed) {
            cells[7] = format!("**{}**", cells[7]);
        }
        out += &format!("| {} |\n", cells.join(" | "));
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::compare::{CompareOptions, compare};
    use crate::format::assert_inert_markdown;
    use crate::schema::{Results, read_results};

    fn fixture(name: &str) -> Results {
        read_results(
            &Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures")
                .join(name),
        )
        .unwrap()
    }

    #[test]
    fn markdown_user_text_cannot_inject_html_columns_or_links() {
        let (script, link) = ("<script>alert(1)</script>|x", "[a](javascript:alert(1))");
        let mut base = fixture("machine-a.json");
        base.cases[0].variant = format!("counter/{script}");
        base.cases[2].variant = format!("counter/{link}");
        let mut head = base.clone();
        // Environment differences become notes, quoting both sides.
        head.machine.kernel = format!("{script}\n{link}");
        head.cases.remove(2);
        let c = compare(&base, &head, &CompareOptions::default());
        let md = render_compare_markdown(&c);
        assert_inert_markdown(&md);
        assert!(
            md.contains("kernel differs: 6.18.0-cloud-amd64 vs &lt;script&gt;"),
            "{md}"
        );
        assert!(md.contains("| <code>counter/&lt;script&gt;"), "{md}");
        assert!(md.contains("| <code>counter/\\[a\\]\\(javascript"), "{md}");
    }

    #[test]
    fn numbers_format_stably() {
        assert_eq!(percent_label(0.05), "5%");
        assert_eq!(percent_label(0.9975), "99.75%");
        assert_eq!(percent_label(0.125), "12.5%");
        assert_eq!(percent_label(f64::INFINITY), "∞");
        assert_eq!(signed_percent(-0.1024), "-10.2%");
        assert_eq!(signed_percent(0.0), "+0.0%");
        assert_eq!(throughput(12_345_678.0), "12.3M/s");
        assert_eq!(throughput(1_234.0), "1.23k/s");
        assert_eq!(throughput(523.0e9), "523G/s");
        assert_eq!(throughput(7.0), "7.00/s");
        assert_eq!(throughput(99.96e6), "100M/s");
        assert_eq!(throughput(999.7e3), "1.00M/s");
        assert_eq!(mdc_label(0.02154), "2.2%");
        assert_eq!(mdc_label(f64::INFINITY), "∞");
    }
}
