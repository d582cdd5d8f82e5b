//! The comparison report: machines side by side, overlaid curves, ratios at matching cases, USL per machine,
//! cases not present everywhere, then each run's details.

use std::fmt::Write as _;

use crate::analysis;
use crate::figures;
use crate::format::{self, html as esc};
use crate::html_family::{family_section, figure, usl_cells};
use crate::html_parts::{
    anchor_prefix, machine_table, rate, section, summary_table, table, validation_table,
    warning_list,
};
use crate::html_races::race_section;
use crate::schema::{Case, Results};

/// Writes the comparison body for `runs` (at least two), labelled by `labels`.
pub(crate) fn comparison(out: &mut String, runs: &[Results], labels: &[String]) {
    let families = analysis::families(runs);
    out.push_str("<nav><ol>\n<li><a href=\"#machines\">Machines</a></li>\n<li><a href=\"#warnings\">Warnings</a></li>\n<li><a href=\"#summary\">Summary</a></li>\n");
    for f in &families {
        let _ = writeln!(
            out,
            "<li><a href=\"#compare-{0}\">Compare: {0}</a></li>",
            esc(f)
        );
    }
    if runs.iter().any(|r| r.primitives.is_some()) {
        out.push_str("<li><a href=\"#compare-primitives\">Compare: primitives</a></li>\n");
    }
    out.push_str("<li><a href=\"#unmatched\">Cases not in every run</a></li>\n");
    for (i, l) in labels.iter().enumerate() {
        let _ = writeln!(
            out,
            "<li><a href=\"#run{}\">Details: {}</a></li>",
            i + 1,
            esc(l)
        );
    }
    out.push_str("</ol></nav>\n");

    section(out, "machines", "Machines");
    machine_table(out, runs, labels);
    out.push_str("</section>\n");

    section(out, "warnings", "Warnings");
    for (run, label) in runs.iter().zip(labels) {
        let _ = writeln!(out, "<h3>{}</h3>", esc(label));
        warning_list(out, run);
    }
    out.push_str("</section>\n");

    section(out, "summary", "Summary");
    let refs: Vec<&Results> = runs.iter().collect();
    summary_table(out, &refs, labels);
    out.push_str("</section>\n");

    for f in &families {
        section(out, &format!("compare-{f}"), &format!("Compare: {f}"));
        let legend: Vec<String> = labels
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let (dash, marker) = figures::run_style(i);
                format!("{} = {:?} line, {:?} marker", esc(l), dash, marker).to_lowercase()
            })
            .collect();
        let _ = writeln!(
            out,
            "<p class=\"note\">Colour = variant (cool: shared memory, warm: message passing); {}.</p>",
            legend.join("; ")
        );
        if let Some(fig) = figures::comparison_throughput(runs, labels, f) {
            out.push_str("<div class=\"figures\">\n");
            figure(out, &fig);
            out.push_str("</div>\n");
        }
        out.push_str("<h3>Ratios at matching cases</h3>\n");
        ratio_table(out, runs, labels, f);
        out.push_str("<h3>Scaling fit per machine</h3>\n");
        usl_comparison(out, runs, labels, f);
        out.push_str("</section>\n");
    }

    crate::html_primitives::comparison(out, runs, labels, "compare-primitives");

    section(out, "unmatched", "Cases not in every run");
    unmatched(out, runs, labels);
    out.push_str("</section>\n");

    for (i, (run, label)) in runs.iter().zip(labels).enumerate() {
        let prefix = anchor_prefix(labels, i);
        let _ = writeln!(
            out,
            "<section id=\"run{}\" class=\"run\">\n<h2>Details: {}</h2>",
            i + 1,
            esc(label)
        );
        for f in analysis::families([run]) {
            family_section(out, run, &f, &prefix);
        }
        section(
            out,
            &format!("{prefix}validation"),
            &format!("Validation: {label}"),
        );
        validation_table(out, run);
        out.push_str("</section>\n");
        race_section(out, run, &format!("{prefix}races"));
        out.push_str("</section>\n");
    }
}

/// Keys of `family`'s cases in order of first appearance across runs.
fn keys<'a>(runs: &'a [Results], family: &str) -> Vec<(&'a str, usize, &'a str)> {
    let mut out: Vec<(&str, usize, &str)> = Vec::new();
    for r in runs {
        for c in r.cases.iter().filter(|c| c.family == family) {
            let k = (c.variant.as_str(), c.threads, c.placement.as_str());
            if !out.contains(&k) {
                out.push(k);
            }
        }
    }
    out
}

fn find<'a>(run: &'a Results, key: &(&str, usize, &str)) -> Option<&'a Case> {
    run.cases
        .iter()
        .find(|c| c.variant == key.0 && c.threads == key.1 && c.placement == key.2)
}

/// Throughput of each run at every case present in at least two runs, and each run's ratio to the first run.
fn ratio_table(out: &mut String, runs: &[Results], labels: &[String], family: &str) {
    let mut rows = Vec::new();
    for key in keys(runs, family) {
        let found: Vec<Option<&Case>> = runs.iter().map(|r| find(r, &key)).collect();
        if found.iter().filter(|c| c.is_some()).count() < 2 {
            continue;
        }
        let mut row = vec![
            format!("<code>{}</code>", esc(key.0)),
            format!("#{}", key.1),
            esc(key.2),
        ];
        let value = |c: &Case| {
            let m = analysis::metric(c);
            (c.throughput.median * m.factor, m.unit)
        };
        for c in &found {
            row.push(match c {
                Some(c) if analysis::trustworthy(c) => {
                    let (v, unit) = value(c);
                    format!("#{}", rate(v, &unit))
                }
                Some(c) => format!(
                    "<span class=\"bad\">{}</span>",
                    analysis::status_name(&c.status)
                ),
                None => "missing".into(),
            });
        }
        let base = found[0]
            .filter(|c| analysis::trustworthy(c))
            .map(|c| value(c).0);
        for c in &found[1..] {
            let r = match (base, c.filter(|c| analysis::trustworthy(c))) {
                (Some(b), Some(c)) if b > 0.0 => format!("#{}", format::ratio(value(c).0 / b)),
                _ => "–".into(),
            };
            row.push(r);
        }
        rows.push(row);
    }
    if rows.is_empty() {
        out.push_str("<p>No case of this family ran on more than one machine.</p>\n");
        return;
    }
    let mut head: Vec<String> = vec!["variant".into(), "threads".into(), "placement".into()];
    head.extend(labels.iter().map(|l| esc(l)));
    head.extend(
        labels[1..]
            .iter()
            .map(|l| format!("{} / {}", esc(l), esc(&labels[0]))),
    );
    table(
        out,
        "ratios",
        &head.iter().map(String::as_str).collect::<Vec<_>>(),
        &rows,
    );
    out.push_str(
        "<p class=\"note\">Cases are matched by variant, thread count and placement; a ratio above 1× means \
         the later machine is faster. Failed or deadlocked cases have no ratio.</p>\n",
    );
}

fn usl_comparison(out: &mut String, runs: &[Results], labels: &[String], family: &str) {
    let mut rows = Vec::new();
    for (run, label) in runs.iter().zip(labels) {
        for s in analysis::series(run, family)
            .iter()
            .filter(|s| !s.cases.is_empty())
        {
            let m = analysis::metric(s.cases[0]);
            let fit = s.usl().map(|mut f| {
                f.lambda *= m.factor;
                f
            });
            let mut row = vec![format!("<code>{}</code>", esc(&s.name)), esc(label)];
            row.extend(usl_cells(&fit, &m.unit));
            rows.push(row);
        }
    }
    table(
        out,
        "usl",
        &["variant", "machine", "λ", "σ", "κ", "peak N*", "R²"],
        &rows,
    );
}

/// Every case missing from at least one run, with where it is and is not.
fn unmatched(out: &mut String, runs: &[Results], labels: &[String]) {
    let mut rows = Vec::new();
    for f in analysis::families(runs) {
        for key in keys(runs, &f) {
            let present: Vec<bool> = runs.iter().map(|r| find(r, &key).is_some()).collect();
            if present.iter().all(|p| *p) {
                continue;
            }
            let names = |want: bool| -> String {
                let v: Vec<String> = labels
                    .iter()
                    .zip(&present)
                    .filter(|(_, p)| **p == want)
                    .map(|(l, _)| esc(l))
                    .collect();
                v.join(", ")
            };
            rows.push(vec![
                format!("<code>{}@{}/{}</code>", esc(key.0), key.1, esc(key.2)),
                names(true),
                names(false),
            ]);
        }
    }
    if rows.is_empty() {
        out.push_str("<p class=\"ok\">Every case ran in every run.</p>\n");
    } else {
        let _ = writeln!(
            out,
            "<p>{} case(s) ran in only some of the runs:</p>",
            rows.len()
        );
        table(
            out,
            "unmatched",
            &["case", "present in", "missing from"],
            &rows,
        );
    }
}
