//! Building blocks of the HTML report shared by the single-run page and the comparison page:
//! sections, tables, rates, the machine table, warnings, the summary and validation sections.

use std::fmt::Write as _;

use crate::analysis::{self, FamilySummary};
use crate::format::{self, html as esc};
use crate::schema::{CaseStatus, Results, Validation};
use crate::warnings::{self, Severity};

/// Opens `<section id=...>` with an `<h2>`.
pub(crate) fn section(out: &mut String, id: &str, title: &str) {
    let _ = writeln!(out, "<section id=\"{}\">\n<h2>{}</h2>", esc(id), esc(title));
}

/// Writes a table; `head` and cells are HTML already; cells starting with `#` are right-aligned numbers.
pub(crate) fn table(out: &mut String, class: &str, head: &[&str], rows: &[Vec<String>]) {
    let _ = writeln!(out, "<div class=\"scroll\"><table class=\"{class}\">");
    out.push_str("<thead><tr>");
    for h in head {
        let _ = write!(out, "<th>{h}</th>");
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in rows {
        out.push_str("<tr>");
        for cell in row {
            match cell.strip_prefix('#') {
                Some(n) => {
                    let _ = write!(out, "<td class=\"n\">{n}</td>");
                }
                None => {
                    let _ = write!(out, "<td>{cell}</td>");
                }
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table></div>\n");
}

/// `value` in `unit` with an SI prefix: `495 M increments/s`, `22.6 GFLOP/s`.
pub(crate) fn rate(value: f64, unit: &str) -> String {
    let v = format::si(value);
    // `22.6 GFLOP/s`, but `495 M increments/s`.
    if unit.starts_with("FLOP") && v.ends_with(char::is_alphabetic) {
        format!("{v}{unit}")
    } else {
        format!("{v} {unit}")
    }
}

fn machine_rows(run: &Results) -> Vec<(String, String)> {
    let m = &run.machine;
    let smt = m.logical_cpus.checked_div(m.physical_cores).unwrap_or(1);
    let cores_per_pkg = m
        .physical_cores
        .checked_div(m.packages)
        .unwrap_or(m.physical_cores);
    let topo = format!(
        "{} package{} × {} core{} × {} thread{} per core",
        m.packages,
        if m.packages == 1 { "" } else { "s" },
        cores_per_pkg,
        if cores_per_pkg == 1 { "" } else { "s" },
        smt,
        if smt == 1 { "" } else { "s" }
    );
    let commit = run.tool.git_commit.as_deref().unwrap_or("unknown commit");
    let c = &run.config;
    let params: Vec<String> = c.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let mode = match (&c.mode, c.rates_per_s.is_empty()) {
        (Some(m), true) => format!(", queue mode {m}"),
        (Some(m), false) => format!(
            ", queue mode {m} at {} msg/s",
            c.rates_per_s
                .iter()
                .map(|r| format::si(*r))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        (None, _) => String::new(),
    };
    let config = format!(
        "placement {}, {} samples × {} ms after {} ms warm-up, seed {}{mode}{}{}{}",
        c.placement,
        c.samples,
        c.duration_ms,
        c.warmup_ms,
        c.seed,
        if c.quick { ", quick" } else { "" },
        if c.include_racy {
            ", racy variants included"
        } else {
            ""
        },
        if params.is_empty() {
            String::new()
        } else {
            format!("; {}", params.join(", "))
        }
    );
    let overhead = match &run.overhead {
        Some(o) => format!(
            "runner {} vs bare loop {} (counter/atomic, 1 thread): {} of bare speed",
            rate(o.harness_ops_per_sec, "ops/s"),
            rate(o.bare_ops_per_sec, "ops/s"),
            format::pct(o.ratio)
        ),
        None => "not measured".into(),
    };
    let machine = [
        ("Label", run.label.clone()),
        ("Host", m.hostname.clone()),
        ("CPU", m.cpu_model.clone()),
        (
            "CPUs",
            format!(
                "{} logical, {} physical cores, {} package(s)",
                m.logical_cpus, m.physical_cores, m.packages
            ),
        ),
        ("Topology", topo),
        ("Available CPUs", format::cpu_list(&m.available_cpus)),
        ("Memory", format::bytes(m.memory_bytes)),
        ("OS", m.os.clone()),
        ("Kernel", m.kernel.clone()),
        ("Compiler", m.rustc.clone()),
    ];
    let run_rows = [
        (
            "Tool",
            format!("{} {} ({commit})", run.tool.name, run.tool.version),
        ),
        ("Command", run.command.join(" ")),
        ("Started", run.started_at.clone()),
        ("Config", config),
        ("Harness overhead", overhead),
        ("Cases", run.cases.len().to_string()),
    ];
    let owned = |rows: &[(&str, String)]| -> Vec<(String, String)> {
        rows.iter()
            .map(|(l, v)| (l.to_string(), v.clone()))
            .collect()
    };
    let mut rows = owned(&machine);
    rows.extend(m.details.lines());
    rows.extend(owned(&run_rows));
    rows
}

/// The machine and run table; several runs become side-by-side columns, differing rows highlighted.
pub(crate) fn machine_table(out: &mut String, runs: &[Results], labels: &[String]) {
    let per_run: Vec<Vec<(String, String)>> = runs.iter().map(machine_rows).collect();
    crate::html_machine::write_machine_table(out, runs, &per_run, labels);
}

/// The run's warnings as a list (or a note that there are none).
pub(crate) fn warning_list(out: &mut String, run: &Results) {
    let ws = warnings::warnings(run);
    if ws.is_empty() {
        out.push_str("<p class=\"ok\">No warnings.</p>\n");
        return;
    }
    out.push_str("<ul class=\"warnings\">\n");
    for w in ws {
        let cls = match w.severity {
            Severity::Error => "error",
            Severity::Caution => "caution",
        };
        let cases: Vec<String> = w
            .cases
            .iter()
            .map(|c| format!("<code>{}</code>", esc(c)))
            .collect();
        let list = if cases.is_empty() {
            String::new()
        } else {
            format!(": {}", cases.join(", "))
        };
        let _ = writeln!(
            out,
            "<li class=\"{cls}\"><b>{}</b> {}{list}</li>",
            w.severity.name(),
            esc(&w.message)
        );
    }
    out.push_str("</ul>\n");
}

fn case_rate(c: Option<&crate::schema::Case>) -> String {
    match c {
        Some(c) => {
            let m = analysis::metric(c);
            format!("#{}", rate(c.throughput.median * m.factor, &m.unit))
        }
        None => "–".into(),
    }
}

/// The per-family summary; with `labels`, one row per family and run.
pub(crate) fn summary_table(out: &mut String, runs: &[&Results], labels: &[String]) {
    let mut rows = Vec::new();
    for f in analysis::families(runs.iter().copied()) {
        for (i, run) in runs.iter().enumerate() {
            let s: FamilySummary<'_> = analysis::family_summary(run, &f);
            let mut row = vec![format!(
                "<a href=\"#{}family-{}\">{}</a>",
                anchor_prefix(labels, i),
                esc(&f),
                esc(&f)
            )];
            if !labels.is_empty() {
                row.push(esc(&labels[i]));
            }
            let name = |c: Option<&crate::schema::Case>| {
                c.map_or("–".into(), |c| {
                    format!("<code>{}</code>", esc(&c.variant))
                })
            };
            row.extend([
                format!("#{}", s.threads_used),
                name(s.best),
                case_rate(s.best),
                name(s.best_shared),
                name(s.best_message),
                s.shared_over_message()
                    .map_or("–".into(), |r| format!("#{}", format::ratio(r))),
                s.speedup.map_or("–".into(), |x| {
                    format!("#{} (vs {})", format::ratio(x.speedup), x.base_threads)
                }),
                s.speedup
                    .map_or("–".into(), |x| format!("#{}", format::pct(x.efficiency))),
            ]);
            rows.push(row);
        }
    }
    let mut head = vec!["family"];
    if !labels.is_empty() {
        head.push("machine");
    }
    head.extend([
        "threads in use",
        "best variant",
        "its throughput",
        "best shared-memory",
        "best message-passing",
        "shared / message",
        "speedup (vs threads)",
        "efficiency",
    ]);
    table(out, "summary", &head, &rows);
    out.push_str(
        "<p class=\"note\">Every column compares cases with the same number of threads in use (workers + \
         helpers such as an actor's owner), the most any candidate uses without oversubscription; racy \
         variants, failed cases and oversubscribed cases are not candidates. Speedup is the best variant's \
         X(N) / X(base), from its baseline case (1 worker, or 2 for queues, whose 1-thread case is one \
         thread alternating sends and receives). Efficiency is speedup / (threads in use at N / threads in \
         use at the base).</p>\n",
    );
}

/// Anchor prefix of run `i` in a comparison (`run2-`), empty for a single run.
pub(crate) fn anchor_prefix(labels: &[String], i: usize) -> String {
    if labels.is_empty() {
        String::new()
    } else {
        format!("run{}-", i + 1)
    }
}

/// Validation details of one case, as HTML.
pub(crate) fn validation_cell(v: &Validation) -> String {
    match v {
        Validation::Passed { samples_checked } => {
            format!("<span class=\"ok\">passed</span> ({samples_checked} samples)")
        }
        Validation::Failed {
            samples_failed,
            first_error,
        } => format!(
            "<span class=\"bad\">FAILED</span> in {samples_failed} sample(s): {}",
            esc(first_error)
        ),
        Validation::RaceObserved {
            samples_damaged,
            samples_checked,
            total_damage,
            first_detail,
        } => format!(
            "<span class=\"racy\">race observed</span> in {samples_damaged}/{samples_checked} samples, damage {total_damage}: {}",
            esc(first_detail)
        ),
        Validation::RaceNotObserved { samples_checked } => {
            format!("<span class=\"racy\">race not observed</span> ({samples_checked} samples)")
        }
        Validation::NotRun => "<span class=\"bad\">not run</span>".into(),
    }
}

/// A case's status as HTML.
pub(crate) fn status_cell(s: &CaseStatus) -> String {
    match s {
        CaseStatus::Ok => "<span class=\"ok\">ok</span>".into(),
        CaseStatus::Failed => "<span class=\"bad\">failed</span>".into(),
        CaseStatus::Deadlocked { stall_ms, blocked } => format!(
            "<span class=\"bad\">deadlocked</span> after {stall_ms} ms{}",
            if blocked.is_empty() {
                String::new()
            } else {
                format!(": {}", esc(&blocked.join("; ")))
            }
        ),
        CaseStatus::Error { message } => {
            format!("<span class=\"bad\">error</span>: {}", esc(message))
        }
    }
}

/// Every case's validation and status.
pub(crate) fn validation_table(out: &mut String, run: &Results) {
    let clean = |c: &&crate::schema::Case| {
        c.status.is_ok() && matches!(c.validation, Validation::Passed { .. })
    };
    let passed: Vec<String> = run
        .cases
        .iter()
        .filter(clean)
        .map(|c| format!("<code>{}</code>", esc(&c.key())))
        .collect();
    let rows: Vec<Vec<String>> = run
        .cases
        .iter()
        .filter(|c| !clean(c))
        .map(|c| {
            vec![
                format!("<code>{}</code>", esc(&c.key())),
                if c.expected_race { "yes" } else { "no" }.into(),
                validation_cell(&c.validation),
                status_cell(&c.status),
            ]
        })
        .collect();
    if !rows.is_empty() {
        table(
            out,
            "validation",
            &["case", "racy by design", "validation", "status"],
            &rows,
        );
    }
    if passed.is_empty() {
        out.push_str("<p>No case passed validation.</p>\n");
    } else {
        let _ = writeln!(
            out,
            "<p class=\"passed\"><span class=\"ok\">Passed</span> every checked sample ({} of {} cases): {}</p>",
            passed.len(),
            run.cases.len(),
            passed.join(", ")
        );
    }
}
