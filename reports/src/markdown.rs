//! A compact Markdown summary for CI job summaries (`$GITHUB_STEP_SUMMARY`): tables, warnings, failures.

use std::fmt::Write as _;

use crate::analysis::{self, Series};
use crate::format::{self, md};
use crate::schema::{CaseStatus, Results, Validation};
use crate::warnings;

/// Renders `runs` as Markdown: per run, the machine in one line, warnings, one throughput table per family
/// (variants x thread counts) and the cases that failed.
pub fn render_markdown(runs: &[Results]) -> String {
    let labels = analysis::run_labels(runs);
    let mut out = String::new();
    if runs.len() > 1 {
        let _ = writeln!(out, "# contend comparison: {}\n", md(&labels.join(" vs ")));
    }
    for (run, label) in runs.iter().zip(&labels) {
        run_summary(
            &mut out,
            run,
            label,
            if runs.len() > 1 { "##" } else { "#" },
        );
    }
    if runs.len() > 1 {
        missing(&mut out, runs, &labels);
    }
    out
}

fn run_summary(out: &mut String, run: &Results, label: &str, h: &str) {
    let m = &run.machine;
    let _ = writeln!(
        out,
        "{h} contend: {} ({})\n",
        md(label),
        md(&run.started_at)
    );
    let commit = run.tool.git_commit.as_deref().unwrap_or("unknown commit");
    let _ = writeln!(
        out,
        "{}; {} logical CPUs / {} cores; {}; {}; {}; {} {} ({commit}); placement {}, {} samples × {} ms.\n",
        md(&m.cpu_model),
        m.logical_cpus,
        m.physical_cores,
        format::bytes(m.memory_bytes),
        md(&m.kernel),
        md(&m.rustc),
        md(&run.tool.name),
        md(&run.tool.version),
        md(&run.config.placement),
        run.config.samples,
        run.config.duration_ms
    );
    let ws = warnings::warnings(run);
    if !ws.is_empty() {
        let _ = writeln!(out, "**Warnings**\n");
        for w in ws {
            let cases: Vec<String> = w.cases.iter().map(|c| format!("`{c}`")).collect();
            let list = if cases.is_empty() {
                String::new()
            } else {
                format!(": {}", cases.join(", "))
            };
            let _ = writeln!(out, "- **{}** {}{list}", w.severity.name(), md(&w.message));
        }
        out.push('\n');
    }
    for family in analysis::families([run]) {
        family_table(out, run, &family, h);
    }
    failures(out, run);
    race_detection(out, run, h);
}

/// The race-detection verdicts, mismatches first, when `contend tsan` wrote them.
fn race_detection(out: &mut String, run: &Results, h: &str) {
    let Some(rd) = &run.race_detection else {
        return;
    };
    let matched = rd.targets.iter().filter(|t| t.matches_expectation).count();
    let _ = writeln!(
        out,
        "{h}# Race detection\n\n{matched} of {} verdicts match expectation (ThreadSanitizer, lane `{}`, {} run(s) per target).\n",
        rd.targets.len(),
        md(&rd.lane),
        rd.runs_per_target
    );
    let _ = writeln!(
        out,
        "| target | expected | runs reporting | verdict | first report |\n|---|---|--:|---|---|"
    );
    let mut targets: Vec<_> = rd.targets.iter().collect();
    targets.sort_by_key(|t| t.matches_expectation);
    for t in targets {
        let verdict = t.verdict.replace('_', " ");
        let _ = writeln!(
            out,
            "| `{}` | {} | {}/{} | {} | {} |",
            md(&t.name),
            if t.expected_race {
                "races"
            } else {
                "race-free"
            },
            t.runs_reporting,
            t.runs,
            if t.matches_expectation {
                verdict
            } else {
                format!("**{}**", verdict.to_uppercase())
            },
            md(&t.error.clone().unwrap_or_else(|| t.stack_tops.join(" / ")))
        );
    }
    out.push('\n');
}

fn family_table(out: &mut String, run: &Results, family: &str, h: &str) {
    let series = analysis::series(run, family);
    let mut threads: Vec<usize> = run
        .cases
        .iter()
        .filter(|c| c.family == family)
        .map(|c| c.threads)
        .collect();
    threads.sort_unstable();
    threads.dedup();
    let unit = run
        .cases
        .iter()
        .find(|c| c.family == family)
        .map(|c| analysis::metric(c).unit)
        .unwrap_or_default();
    let _ = writeln!(out, "{h}# {} ({}, median ± cv)\n", md(family), md(&unit));
    let mut head = vec!["variant".to_string(), "style".into()];
    head.extend(threads.iter().map(|t| format!("{t} thr")));
    head.extend(["speedup".into(), "p99 at max".into()]);
    let _ = writeln!(out, "| {} |", head.join(" | "));
    let align: Vec<&str> = head
        .iter()
        .enumerate()
        .map(|(i, _)| if i < 2 { "---" } else { "--:" })
        .collect();
    let _ = writeln!(out, "|{}|", align.join("|"));
    for s in &series {
        let _ = writeln!(out, "| {} |", row(run, s, &threads).join(" | "));
    }
    out.push('\n');
}

fn row(run: &Results, s: &Series<'_>, threads: &[usize]) -> Vec<String> {
    let name = if s.expected_race {
        format!("`{}` (racy)", s.name)
    } else {
        format!("`{}`", s.name)
    };
    let mut cells = vec![name, s.style.clone()];
    for &t in threads {
        let case = run
            .cases
            .iter()
            .find(|c| c.variant == s.variant && c.placement == s.placement && c.threads == t);
        cells.push(match case {
            None => "".into(),
            Some(c) if analysis::trustworthy(c) => {
                let m = analysis::metric(c);
                format!(
                    "{} ± {}",
                    format::si(c.throughput.median * m.factor),
                    format::pct(c.throughput.cv)
                )
            }
            Some(c) if !c.status.is_ok() => format!("**{}**", analysis::status_name(&c.status)),
            Some(c) => format!("**{}**", analysis::validation_name(&c.validation)),
        });
    }
    cells.push(s.speedup().map_or("–".into(), |x| {
        format!(
            "{} ({}→{})",
            format::ratio(x.speedup),
            x.base_threads,
            x.threads
        )
    }));
    cells.push(
        s.cases
            .last()
            .map_or("–".into(), |c| format::ns(c.latency.p99 as f64)),
    );
    cells
}

fn failures(out: &mut String, run: &Results) {
    let lines: Vec<String> = run
        .cases
        .iter()
        .filter_map(|c| {
            let why = match (&c.status, &c.validation) {
                (CaseStatus::Deadlocked { stall_ms, .. }, _) => {
                    format!("deadlocked (no progress for {stall_ms} ms)")
                }
                (CaseStatus::Error { message }, _) => format!("error: {}", md(message)),
                (
                    _,
                    Validation::Failed {
                        samples_failed,
                        first_error,
                    },
                ) => {
                    format!(
                        "validation failed in {samples_failed} sample(s): {}",
                        md(first_error)
                    )
                }
                (CaseStatus::Failed, _) => "failed".into(),
                _ => return None,
            };
            Some(format!("- `{}`: {why}", c.key()))
        })
        .collect();
    if lines.is_empty() {
        out.push_str("All cases passed validation.\n\n");
    } else {
        let _ = writeln!(out, "**Failures**\n\n{}\n", lines.join("\n"));
    }
}

fn missing(out: &mut String, runs: &[Results], labels: &[String]) {
    let mut lines = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for run in runs {
        for c in &run.cases {
            let key = c.key();
            if seen.contains(&key) {
                continue;
            }
            seen.push(key.clone());
            let absent: Vec<&str> = runs
                .iter()
                .zip(labels)
                .filter(|(r, _)| !r.cases.iter().any(|o| o.key() == key))
                .map(|(_, l)| l.as_str())
                .collect();
            if !absent.is_empty() {
                lines.push(format!(
                    "- `{key}`: missing from {}",
                    md(&absent.join(", "))
                ));
            }
        }
    }
    if !lines.is_empty() {
        let _ = writeln!(out, "## Cases not in every run\n\n{}\n", lines.join("\n"));
    }
}
