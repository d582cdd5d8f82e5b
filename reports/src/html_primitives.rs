//! The report's primitives section: the core-to-core heat maps (store/load and CAS on one scale),
//! the latency per CPU relation, failed pairs, and a table of the other primitive costs with
//! their methods; in a comparison, the machines' maps side by side on one scale shared by all
//! machines, and their figures in columns.

use std::fmt::Write as _;

use crate::figures_heatmap::{ColourScale, Panel, render};
use crate::format::html as esc;
use crate::html_parts::{section, table};
use crate::primitives_relations::by_relation;
use crate::primitives_schema::{CoreToCore, Cost, Measured, PairLatency, RELATIONS, ns_text};
use crate::schema::Results;

fn store_load(p: &PairLatency) -> &Measured {
    &p.store_load
}

fn cas(p: &PairLatency) -> &Measured {
    &p.cas
}

/// The map of `run`'s method `pick`, titled `title`, packages from its topology.
fn panel(
    run: &Results,
    map: &CoreToCore,
    title: &str,
    pick: fn(&PairLatency) -> &Measured,
) -> Panel {
    let topology = &run.machine.topology;
    Panel::from_map(title, map, pick, |cpu| {
        topology
            .iter()
            .find(|t| t.cpu == cpu)
            .map_or(0, |t| t.package)
    })
}

/// `panels` on their shared scale as a figure, with `caption`.
fn heat_map(out: &mut String, panels: &[Panel], caption: &str) {
    let scale = ColourScale::spanning(panels);
    let (svg, width) = render(panels, scale.as_ref());
    let _ = writeln!(
        out,
        "<figure class=\"chart\" style=\"max-width:{width}px\">\n{svg}\n<figcaption>{}</figcaption>\n</figure>",
        esc(caption)
    );
}

const MAP_CAPTION: &str = "Rows: the initiator's CPU; columns: the responder's; CPUs in topology \
    order (package, core, SMT sibling), black lines between packages. Each cell is the median \
    one-way latency of the pair (round trip / 2, over batches), in ns, on a scale from 0; lighter \
    is faster. The \
    diagonal (same CPU) is not measured; light grey cells were not in the sample; red cells are \
    pairs whose validation failed (no figure, see the table of errors).";

/// A figure with its spread, or why there is none.
fn figure_cell(m: &Measured) -> [String; 3] {
    match m {
        Measured::Ok { ns, .. } => [
            format!("#{}", ns_text(ns.median)),
            format!("#{} – {}", ns_text(ns.p10), ns_text(ns.p90)),
            format!("#{} – {}", ns_text(ns.min), ns_text(ns.max)),
        ],
        Measured::Error { message } => [
            format!("<span class=\"bad\">error</span>: {}", esc(message)),
            String::new(),
            String::new(),
        ],
        Measured::Skipped { reason } => [
            format!("n/a: {}", esc(reason)),
            String::new(),
            String::new(),
        ],
    }
}

fn cpus_text(cpus: &[usize]) -> String {
    cpus.iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The single-run section (nothing when `run` has no primitives).
pub(crate) fn single(out: &mut String, run: &Results, id: &str) {
    let Some(p) = &run.primitives else { return };
    section(out, id, "Primitives");
    let _ = writeln!(
        out,
        "<p class=\"note\">The machine's primitive costs, measured once by the process that ran \
         the suite (never in a fork), in {:.1} s. Each figure is the median over repetitions \
         (batches, or single timed operations) with its spread, and is validated as its method \
         says; a failed validation is an error, never a figure.</p>",
        p.elapsed_ms as f64 / 1000.0
    );
    if let Some(map) = &p.core_to_core {
        out.push_str("<h3>Core-to-core cache-line latency</h3>\n");
        let _ = writeln!(out, "<p>{}.</p>", esc(&map.selection));
        let panels = [
            panel(run, map, "store/load", store_load),
            panel(run, map, "CAS", cas),
        ];
        heat_map(
            out,
            &panels,
            &format!("{MAP_CAPTION} Both methods on one scale."),
        );
        relation_table(out, &[map], std::slice::from_ref(&run.label));
        error_table(out, map);
        let _ = writeln!(
            out,
            "<p class=\"note\"><b>store/load</b>: {}.<br><b>CAS</b>: {}.</p>",
            esc(&map.store_load_method),
            esc(&map.cas_method)
        );
    }
    if !p.costs.is_empty() {
        out.push_str("<h3>Other primitives</h3>\n");
        cost_table(out, &p.costs);
    }
    out.push_str("</section>\n");
}

/// Per relation: pairs and the median of their medians, per machine (store/load | CAS).
fn relation_table(out: &mut String, maps: &[&CoreToCore], labels: &[String]) {
    let summaries: Vec<_> = maps.iter().map(|m| by_relation(m)).collect();
    let mut rows = Vec::new();
    for relation in RELATIONS {
        if summaries
            .iter()
            .all(|s| s.iter().all(|r| r.relation != relation))
        {
            continue;
        }
        let mut row = vec![esc(relation)];
        for s in &summaries {
            let text = |v: Option<f64>| v.map_or("–".into(), ns_text);
            row.push(match s.iter().find(|r| r.relation == relation) {
                Some(r) => format!(
                    "#{} | {} ({} pair{}{})",
                    text(r.store_load),
                    text(r.cas),
                    r.pairs,
                    if r.pairs == 1 { "" } else { "s" },
                    if r.errors > 0 {
                        format!(", <span class=\"bad\">{} with errors</span>", r.errors)
                    } else {
                        String::new()
                    }
                ),
                None => "–".into(),
            });
        }
        rows.push(row);
    }
    let mut head = vec!["relation".to_string()];
    head.extend(
        labels
            .iter()
            .map(|l| format!("{}: store/load | CAS", esc(l))),
    );
    table(
        out,
        "usl",
        &head.iter().map(String::as_str).collect::<Vec<_>>(),
        &rows,
    );
    out.push_str(
        "<p class=\"note\">Median over the pairs of each pair's median one-way latency. Relations: \
         SMT siblings (one core), same L3 (other cores sharing a last-level cache, where sysfs \
         says), same package, across packages.</p>\n",
    );
}

/// The pairs without a figure, and why.
fn error_table(out: &mut String, map: &CoreToCore) {
    let rows: Vec<Vec<String>> = map
        .pairs
        .iter()
        .flat_map(|p| [("store/load", &p.store_load, p), ("CAS", &p.cas, p)])
        .filter_map(|(method, m, p)| match m {
            Measured::Error { message } => Some(vec![
                format!("{} → {}", p.from, p.to),
                method.into(),
                esc(message),
            ]),
            _ => None,
        })
        .collect();
    if rows.is_empty() {
        out.push_str("<p class=\"ok\">Every measured pair passed its validation.</p>\n");
    } else {
        out.push_str("<h3>Pairs without a figure</h3>\n");
        table(out, "validation", &["pair", "method", "why"], &rows);
    }
}

fn cost_table(out: &mut String, costs: &[Cost]) {
    let rows: Vec<Vec<String>> = costs
        .iter()
        .map(|c| {
            let [median, p, range] = figure_cell(&c.result);
            let reps = c.result.spread().map_or(String::new(), |s| {
                let ops = match &c.result {
                    Measured::Ok { ops, .. } => *ops,
                    _ => 0,
                };
                format!("#{} ({ops} ops)", s.repetitions)
            });
            vec![
                esc(&c.label),
                cpus_text(&c.cpus),
                median,
                p,
                range,
                reps,
                format!("<span class=\"note\">{}</span>", esc(&c.method)),
            ]
        })
        .collect();
    table(
        out,
        "primitives",
        &[
            "primitive",
            "CPUs",
            "median",
            "p10 – p90",
            "min – max",
            "repetitions",
            "method",
        ],
        &rows,
    );
}

/// The comparison's section (nothing when no run has primitives).
pub(crate) fn comparison(out: &mut String, runs: &[Results], labels: &[String], id: &str) {
    if runs.iter().all(|r| r.primitives.is_none()) {
        return;
    }
    section(out, id, "Compare: primitives");
    let maps: Vec<(&Results, &CoreToCore, &String)> = runs
        .iter()
        .zip(labels)
        .filter_map(|(r, l)| Some((r, r.primitives.as_ref()?.core_to_core.as_ref()?, l)))
        .collect();
    let without: Vec<String> = runs
        .iter()
        .zip(labels)
        .filter(|(r, _)| r.primitives.is_none())
        .map(|(_, l)| esc(l))
        .collect();
    if !without.is_empty() {
        let _ = writeln!(
            out,
            "<p class=\"note\">No primitives in: {}.</p>",
            without.join(", ")
        );
    }
    if !maps.is_empty() {
        out.push_str("<h3>Core-to-core cache-line latency</h3>\n");
        for (method, pick) in [
            ("store/load", store_load as fn(&PairLatency) -> &Measured),
            ("CAS", cas),
        ] {
            let panels: Vec<Panel> = maps
                .iter()
                .map(|(r, m, l)| panel(r, m, &format!("{l}: {method}"), pick))
                .collect();
            let caption = if method == "CAS" {
                "CAS, as above: one colour scale shared by every machine.".to_string()
            } else {
                format!("{MAP_CAPTION} {method}: one colour scale shared by every machine.")
            };
            heat_map(out, &panels, &caption);
        }
        let only_maps: Vec<&CoreToCore> = maps.iter().map(|(_, m, _)| *m).collect();
        let map_labels: Vec<String> = maps.iter().map(|(_, _, l)| (*l).clone()).collect();
        relation_table(out, &only_maps, &map_labels);
    }
    cost_comparison(out, runs, labels);
    out.push_str("</section>\n");
}

/// Every cost of any run in rows, the machines' medians (p10 – p90) in columns.
fn cost_comparison(out: &mut String, runs: &[Results], labels: &[String]) {
    let mut names: Vec<(&str, &str, &str)> = Vec::new();
    for p in runs.iter().filter_map(|r| r.primitives.as_ref()) {
        for c in &p.costs {
            if !names.iter().any(|(n, _, _)| *n == c.name) {
                names.push((&c.name, &c.label, &c.method));
            }
        }
    }
    if names.is_empty() {
        return;
    }
    let rows: Vec<Vec<String>> = names
        .iter()
        .map(|(name, label, method)| {
            let mut row = vec![esc(label)];
            for r in runs {
                let cost = r.primitives.as_ref().and_then(|p| p.cost(name));
                row.push(match cost.map(|c| &c.result) {
                    Some(Measured::Ok { ns, .. }) => format!(
                        "#{} ({} – {})",
                        ns_text(ns.median),
                        ns_text(ns.p10),
                        ns_text(ns.p90)
                    ),
                    Some(m) => figure_cell(m)[0].clone(),
                    None => "–".into(),
                });
            }
            row.push(format!("<span class=\"note\">{}</span>", esc(method)));
            row
        })
        .collect();
    let mut head = vec!["primitive".to_string()];
    head.extend(labels.iter().map(|l| esc(l)));
    head.push("method (of the first run that has it)".into());
    out.push_str("<h3>Other primitives</h3>\n");
    table(
        out,
        "primitives",
        &head.iter().map(String::as_str).collect::<Vec<_>>(),
        &rows,
    );
    out.push_str("<p class=\"note\">Median (p10 – p90) per machine.</p>\n");
}

#[cfg(test)]
#[path = "html_primitives_tests.rs"]
mod tests;
