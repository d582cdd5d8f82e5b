//! CSV export: one row per case of every run, for spreadsheets and scripts.

use std::fmt::Write as _;

use crate::analysis;
use crate::schema::Results;

/// Column names, in order.
pub const COLUMNS: [&str; 20] = [
    "label",
    "family",
    "variant",
    "style",
    "threads",
    "helper_threads",
    "placement",
    "unit",
    "throughput_median",
    "throughput_min",
    "throughput_max",
    "throughput_cv",
    "latency_p50_ns",
    "latency_p90_ns",
    "latency_p99_ns",
    "latency_p999_ns",
    "latency_max_ns",
    "validation",
    "status",
    "detail",
];

/// Renders every case of `runs` as CSV (RFC 4180 quoting, `\n` line ends), runs in order, cases in run order.
/// Throughput is in the case's own unit per second; `detail` carries a failure's first error or a race's damage.
pub fn render_csv(runs: &[Results]) -> String {
    let labels = analysis::run_labels(runs);
    let mut out = COLUMNS.join(",");
    out.push('\n');
    for (run, label) in runs.iter().zip(&labels) {
        for c in &run.cases {
            let t = &c.throughput;
            let l = &c.latency;
            let fields = [
                label.clone(),
                c.family.clone(),
                c.variant.clone(),
                c.style.clone(),
                c.threads.to_string(),
                c.helper_threads.to_string(),
                c.placement.clone(),
                format!("{}/s", c.unit),
                t.median.to_string(),
                t.min.to_string(),
                t.max.to_string(),
                t.cv.to_string(),
                l.p50.to_string(),
                l.p90.to_string(),
                l.p99.to_string(),
                l.p999.to_string(),
                l.max.to_string(),
                analysis::validation_name(&c.validation).into(),
                analysis::status_name(&c.status).into(),
                detail(c),
            ];
            let row: Vec<String> = fields.iter().map(|f| quote(f)).collect();
            let _ = writeln!(out, "{}", row.join(","));
        }
    }
    out
}

fn detail(c: &crate::schema::Case) -> String {
    use crate::schema::{CaseStatus, Validation};
    match (&c.status, &c.validation) {
        (CaseStatus::Deadlocked { stall_ms, blocked }, _) => {
            format!("no progress for {stall_ms} ms: {}", blocked.join("; "))
        }
        (CaseStatus::Error { message }, _) => message.clone(),
        (_, Validation::Failed { first_error, .. }) => first_error.clone(),
        (
            _,
            Validation::RaceObserved {
                total_damage,
                first_detail,
                ..
            },
        ) => {
            format!("damage {total_damage}: {first_detail}")
        }
        _ => String::new(),
    }
}

/// Quotes a field when it holds a comma, quote, CR or LF (doubling inner quotes).
pub fn quote(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_only_when_needed() {
        assert_eq!(quote("plain"), "plain");
        assert_eq!(quote("a,b"), "\"a,b\"");
        assert_eq!(quote("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(quote("two\nlines"), "\"two\nlines\"");
    }
}
