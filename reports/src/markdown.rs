//! A compact Markdown summary for CI job summaries (`$GITHUB_STEP_SUMMARY`): tables, warnings, failures.

use std::fmt::Write as _;

use crate::analysis::{self, Series};
use crate::format::{self, md_code, md_escape};
use crate::schema::{CaseStatus, Results, Validation};
use crate::warnings;

/// Renders `runs` as Markdown: per run, the machine in one line, warnings, one throughput table per family
/// (variants x thread counts) and the cases that failed.
pub fn render_markdown(runs: &[Results]) -> String {
    let labels = analysis::run_labels(runs);
    let mut out = String::new();
    if runs.len() > 1 {
        let _ = writeln!(
            out,
            "# contend comparison: {}\n",
            md_escape(&labels.join(" vs "))
        );
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
        md_escape(label),
        md_escape(&run.started_at)
    );
    let commit = md_escape(run.tool.git_commit.as_deref().unwrap_or("unknown commit"));
    let _ = writeln!(
        out,
        "{}; {} logical CPUs / {} cores; {}; {}; {}; {} {} ({commit}); placement {}, {} samples × {} ms.\n",
        md_escape(&m.cpu_model),
        m.logical_cpus,
        m.physical_cores,
        format::bytes(m.memory_bytes),
        md_escape(&m.kernel),
        md_escape(&m.rustc),
        md_escape(&run.tool.name),
        md_escape(&run.tool.version),
        md_escape(&run.config.placement),
        run.config.samples,
        run.config.duration_ms
    );
    let ws = warnings::warnings(run);
    if !ws.is_empty() {
        let _ = writeln!(out, "**Warnings**\n");
        for w in ws {
            let cases: Vec<String> = w.cases.iter().map(|c| md_code(c)).collect();
            let list = if cases.is_empty() {
                String::new()
            } else {
                format!(": {}", cases.join(", "))
            };
            let _ = writeln!(
                out,
                "- **{}** {}{list}",
                w.severity.name(),
                md_escape(&w.message)
            );
        }
        out.push('\n');
    }
    for family in analysis::families([run]) {
        family_table(out, run, &family, h);
    }
    failures(out, run);
    primitives(out, run, h);
    race_detection(out, run, h);
}

/// The primitive costs, when the primitives family ran: the map's median per relation, then
/// each cost (methods are in the JSON and the HTML report).
fn primitives(out: &mut String, run: &Results, h: &str) {
    use crate::primitives_schema::{Measured, ns_text};
    let Some(p) = &run.primitives else {
        return;
    };
    let _ = writeln!(
        out,
        "{h}# Primitives\n\n| primitive | median | p10 – p90 |\n|---|--:|--:|"
    );
    if let Some(map) = &p.core_to_core {
        for r in crate::primitives_relations::by_relation(map) {
            for (method, v) in [("store/load", r.store_load), ("CAS", r.cas)] {
                let _ = writeln!(
                    out,
                    "| core-to-core one way, {method}, {} ({} pairs, {} errors) | {} | |",
                    r.relation,
                    r.pairs,
                    r.errors,
                    v.map_or("–".into(), ns_text)
                );
            }
        }
    }
    for c in &p.costs {
        let (median, spread) = match &c.result {
            Measured::Ok { ns, .. } => (
                ns_text(ns.median),
                format!("{} – {}", ns_text(ns.p10), ns_text(ns.p90)),
            ),
            Measured::Error { message } => {
                (format!("error: {}", md_escape(message)), String::new())
            }
            Measured::Skipped { reason } => (format!("n/a: {}", md_escape(reason)), String::new()),
        };
        let _ = writeln!(out, "| {} | {median} | {spread} |", md_escape(&c.label));
    }
    out.push('\n');
}

/// The race-detection verdicts, mismatches first, when `contend tsan` wrote them.
fn race_detection(out: &mut String, run: &Results, h: &str) {
    let Some(rd) = &run.race_detection else {
        return;
    };
    let _ = writeln!(
        out,
        "{h}# Race detection\n\n{} (ThreadSanitizer, lane {}, {} run(s) per target).\n",
        md_escape(&rd.tally()),
        md_code(&rd.lane),
        rd.runs_per_target
    );
    let _ = writeln!(
        out,
        "| target | expected | runs reporting | verdict | first report / why unverifiable |\n|---|---|--:|---|---|"
    );
    // Mismatches first, then what the lane could not tell, then matches.
    let mut targets: Vec<_> = rd.targets.iter().collect();
    targets.sort_by_key(|t| (t.matches_expectation, t.is_unverifiable()));
    for t in targets {
        let verdict = t.verdict.replace('_', " ");
        let verdict = if t.matches_expectation {
            md_escape(&verdict)
        } else if t.is_unverifiable() {
            "unverifiable in this lane".to_string()
        } else {
            format!("**{}**", md_escape(&verdict.to_uppercase()))
        };
        let _ = writeln!(
            out,
            "| {} | {} | {}/{} | {verdict} | {} |",
            md_code(&t.name),
            md_escape(t.expected_label()),
            t.runs_reporting,
            t.runs,
            md_escape(&t.detail())
        );
    }
    if let Some(hint) = &rd.settle_hint {
        let _ = writeln!(out, "\nUnverifiable in this lane: {}.", md_escape(hint));
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
    let _ = writeln!(
        out,
        "{h}# {} ({}, median ± cv)\n",
        md_escape(family),
        md_escape(&unit)
    );
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
        format!("{} (racy)", md_code(&s.name))
    } else {
        md_code(&s.name)
    };
    let mut cells = vec![name, md_escape(&s.style)];
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
                (CaseStatus::Error { message }, _) => format!("error: {}", md_escape(message)),
                (
                    _,
                    Validation::Failed {
                        samples_failed,
                        first_error,
                    },
                ) => {
                    format!(
                        "validation failed in {samples_failed} sample(s): {}",
                        md_escape(first_error)
                    )
                }
                (CaseStatus::Failed, _) => "failed".into(),
                _ => return None,
            };
            Some(format!("- {}: {why}", md_code(&c.key())))
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
                    "- {}: missing from {}",
                    md_code(&key),
                    md_escape(&absent.join(", "))
                ));
            }
        }
    }
    if !lines.is_empty() {
        let _ = writeln!(out, "## Cases not in every run\n\n{}\n", lines.join("\n"));
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::format::assert_inert_markdown;
    use crate::schema::read_results;

    const SCRIPT: &str = "<script>alert(1)</script>|x";
    const LINK: &str = "[a](javascript:alert(1))";

    fn fixture(name: &str) -> Results {
        read_results(
            &Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures")
                .join(name),
        )
        .unwrap()
    }

    #[test]
    fn user_text_cannot_inject_html_columns_or_links() {
        let mut a = fixture("machine-a.json");
        a.label = SCRIPT.into();
        a.started_at = LINK.into();
        a.tool.git_commit = Some(format!("{SCRIPT}\n# heading"));
        a.machine.cpu_model = LINK.into();
        a.config.placement = "*bold* `code` ![i](x.png)".into();
        a.cases[0].variant = format!("counter/{SCRIPT}");
        a.cases[0].style = LINK.into();
        a.cases[1].variant = format!("counter/{LINK}");
        a.cases[1].status = CaseStatus::Error {
            message: format!("{SCRIPT}\n| a | b |"),
        };
        a.cases[2].family = SCRIPT.into();
        a.primitives = Some(crate::primitives_schema::Primitives {
            elapsed_ms: 1,
            core_to_core: None,
            costs: vec![crate::primitives_schema::Cost {
                name: "x".into(),
                label: format!("spawn {SCRIPT}"),
                cpus: vec![0],
                method: String::new(),
                result: crate::primitives_schema::Measured::Error {
                    message: format!("{LINK}\n| a |"),
                },
            }],
        });
        let mut b = fixture("machine-b.json");
        b.label = String::new();
        b.machine.hostname = LINK.into();
        let md = render_markdown(&[a, b]);
        assert_inert_markdown(&md);
        assert!(
            md.contains(
                "# contend comparison: &lt;script&gt;alert\\(1\\)&lt;/script&gt;\\|x vs \\[a\\]"
            ),
            "{md}"
        );
        assert!(md.contains("| <code>counter/&lt;script&gt;"), "{md}");
        assert!(
            md.contains("error: &lt;script&gt;alert\\(1\\)&lt;/script&gt;\\|x \\| a \\| b \\|"),
            "{md}"
        );
        assert!(
            md.contains("# Primitives") && md.contains("| spawn &lt;script&gt;"),
            "{md}"
        );
        assert!(!md.contains("\n# heading"), "{md}");
        assert!(!md.contains("*bold*") && !md.contains("`code`"), "{md}");
    }
}
