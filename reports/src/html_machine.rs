//! The report's machine table: one column per run, rows aligned by label, rows whose values
//! differ between runs highlighted (`tr.differs`) and counted above the table.

use std::fmt::Write as _;

use crate::format::html as esc;
use crate::schema::Results;

/// Shown where a run has no row of that label (e.g. a machine without an L3 cache).
const ABSENT: &str = "—";

/// Every label of `per_run`, each once: the first run's order, with labels only later runs have
/// inserted after the label they follow there.
fn aligned_labels(per_run: &[Vec<(String, String)>]) -> Vec<String> {
    let mut labels: Vec<String> = Vec::new();
    for rows in per_run {
        let mut at = 0;
        for (label, _) in rows {
            match labels.iter().position(|l| l == label) {
                Some(i) => at = i + 1,
                None => {
                    labels.insert(at, label.clone());
                    at += 1;
                }
            }
        }
    }
    labels
}

/// The cell for one value: the command in `<code>`, the mitigations with their full list folded.
fn cell(label: &str, value: &str, run: &Results) -> String {
    match label {
        "Command" => format!("<code>{}</code>", esc(value)),
        "Mitigations" if !run.machine.details.vulnerabilities.is_empty() => {
            let mut list = String::new();
            for (name, text) in &run.machine.details.vulnerabilities {
                let _ = write!(list, "<br><code>{}</code>: {}", esc(name), esc(text));
            }
            format!(
                "<details><summary>{}</summary>{}</details>",
                esc(value),
                list.trim_start_matches("<br>")
            )
        }
        _ => esc(value),
    }
}

/// Writes the table of `per_run` (one `(label, value)` list per run, in the order of `runs`);
/// with several runs, `labels` head the columns and differing rows are highlighted and counted.
pub(crate) fn write_machine_table(
    out: &mut String,
    runs: &[Results],
    per_run: &[Vec<(String, String)>],
    labels: &[String],
) {
    let rows = aligned_labels(per_run);
    let value = |run: usize, label: &str| -> Option<&str> {
        per_run[run]
            .iter()
            .find(|(l, _)| l == label)
            .map(|(_, v)| v.as_str())
    };
    let differs: Vec<bool> = rows
        .iter()
        .map(|label| runs.len() > 1 && (1..runs.len()).any(|i| value(i, label) != value(0, label)))
        .collect();
    if runs.len() > 1 {
        let n = differs.iter().filter(|d| **d).count();
        let _ = writeln!(
            out,
            "<p class=\"note\">{n} of {} rows differ between the runs{}.</p>",
            rows.len(),
            if n > 0 { " (highlighted)" } else { "" }
        );
    }
    out.push_str("<div class=\"scroll\"><table class=\"kv\">\n<thead><tr><th></th>");
    if runs.len() > 1 {
        for l in labels {
            let _ = write!(out, "<th>{}</th>", esc(l));
        }
    } else {
        out.push_str("<th>value</th>");
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for (label, differs) in rows.iter().zip(differs) {
        out.push_str(if differs {
            "<tr class=\"differs\">"
        } else {
            "<tr>"
        });
        let _ = write!(out, "<td><b>{}</b></td>", esc(label));
        for (i, run) in runs.iter().enumerate() {
            let text = value(i, label).map_or(ABSENT.to_string(), |v| cell(label, v, run));
            let _ = write!(out, "<td>{text}</td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table></div>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(l, v)| (l.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn labels_of_later_runs_are_inserted_where_they_belong() {
        let a = rows(&[("CPU", "x"), ("L1 data", "1"), ("NUMA", "n")]);
        let b = rows(&[
            ("CPU", "y"),
            ("L1 data", "1"),
            ("L3 unified", "3"),
            ("NUMA", "n"),
        ]);
        assert_eq!(
            aligned_labels(&[a, b]),
            ["CPU", "L1 data", "L3 unified", "NUMA"]
        );
    }
}
