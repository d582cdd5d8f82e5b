//! The few lines the terminal shows after a run with the `primitives` family: the map's median
//! one-way latency per relation, spawn, wake-up, switch, atomics and the clock.

use contend_reports::primitives_relations::by_relation;
use contend_reports::primitives_schema::{Measured, Primitives, ns_text as ns};

/// `label figure` per cost found, joined by `, `; a cost without a figure says why in short.
fn figures(p: &Primitives, names: &[(&str, &str)]) -> Option<String> {
    let parts: Vec<String> = names
        .iter()
        .filter_map(|(name, label)| {
            let c = p.cost(name)?;
            Some(format!("{label} {}", short(&c.result)))
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// A figure's median, or `error` / `n/a`.
fn short(m: &Measured) -> String {
    match m {
        Measured::Ok { ns: s, .. } => ns(s.median),
        Measured::Error { .. } => "error".into(),
        Measured::Skipped { .. } => "n/a".into(),
    }
}

/// The terminal summary of `p` (ends with a newline).
pub fn render(p: &Primitives) -> String {
    let mut lines = vec![format!(
        "primitives (measured in {:.1} s; medians, methods and spread in the JSON and the report):",
        p.elapsed_ms as f64 / 1000.0
    )];
    if let Some(map) = &p.core_to_core {
        let rel: Vec<String> = by_relation(map)
            .iter()
            .map(|r| {
                let v = |x: Option<f64>| x.map_or("error".into(), ns);
                let errors = match r.errors {
                    0 => String::new(),
                    e => format!(", {e} with errors"),
                };
                format!(
                    "{} {} | {} ({} pair{}{errors})",
                    r.relation,
                    v(r.store_load),
                    v(r.cas),
                    r.pairs,
                    if r.pairs == 1 { "" } else { "s" }
                )
            })
            .collect();
        lines.push(if rel.is_empty() {
            format!("  core-to-core: no pair ({})", map.selection)
        } else {
            format!(
                "  core-to-core one way, store/load | CAS: {}",
                rel.join("; ")
            )
        });
    }
    let threads = [
        figures(p, &[("thread_spawn_join", "spawn+join")]),
        figures(
            p,
            &[
                ("wake_same_cpu", "wake-up same CPU"),
                ("wake_cross_cpu", "cross CPU"),
            ],
        ),
        figures(
            p,
            &[
                ("switch_same_cpu", "switch same CPU"),
                ("switch_cross_cpu", "hand-off cross CPU"),
            ],
        ),
    ];
    let threads: Vec<String> = threads.into_iter().flatten().collect();
    if !threads.is_empty() {
        lines.push(format!("  threads: {}", threads.join("; ")));
    }
    let ops = [
        figures(
            p,
            &[
                ("atomic_load", "load"),
                ("atomic_store", "store"),
                ("atomic_cas", "CAS"),
                ("atomic_fetch_add", "fetch_add"),
            ],
        )
        .map(|a| format!("atomics {a}")),
        figures(p, &[("instant_now", "Instant::now")]),
    ];
    let ops: Vec<String> = ops.into_iter().flatten().collect();
    if !ops.is_empty() {
        lines.push(format!("  one thread: {}", ops.join("; ")));
    }
    let errors: Vec<String> = p
        .costs
        .iter()
        .filter_map(|c| match &c.result {
            Measured::Error { message } => Some(format!("{}: {message}", c.name)),
            _ => None,
        })
        .collect();
    for e in errors {
        lines.push(format!("  error: {e}"));
    }
    lines.join("\n") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;
    use contend_reports::primitives_schema::{CoreToCore, Cost, PairLatency, Spread};

    fn ok(median: f64) -> Measured {
        Measured::Ok {
            ns: Spread {
                median,
                p10: median,
                p90: median,
                min: median,
                max: median,
                repetitions: 1,
            },
            ops: 1,
        }
    }

    #[test]
    fn the_summary_names_each_relation_and_cost_and_says_what_failed() {
        let p = Primitives {
            elapsed_ms: 1500,
            core_to_core: Some(CoreToCore {
                cpus: vec![0, 1],
                pairs_possible: 2,
                selection: "every ordered pair".into(),
                store_load_method: String::new(),
                cas_method: String::new(),
                pairs: vec![
                    PairLatency {
                        from: 0,
                        to: 1,
                        relation: "same-l3".into(),
                        store_load: ok(60.0),
                        cas: ok(70.0),
                    },
                    PairLatency {
                        from: 1,
                        to: 0,
                        relation: "same-l3".into(),
                        store_load: ok(62.0),
                        cas: Measured::Error {
                            message: "held 7".into(),
                        },
                    },
                ],
            }),
            costs: vec![
                Cost {
                    name: "thread_spawn_join".into(),
                    label: String::new(),
                    cpus: vec![0],
                    method: String::new(),
                    result: ok(29_000.0),
                },
                Cost {
                    name: "wake_cross_cpu".into(),
                    label: String::new(),
                    cpus: vec![],
                    method: String::new(),
                    result: Measured::Skipped {
                        reason: "one CPU".into(),
                    },
                },
                Cost {
                    name: "instant_now".into(),
                    label: String::new(),
                    cpus: vec![0],
                    method: String::new(),
                    result: Measured::Error {
                        message: "backwards".into(),
                    },
                },
            ],
        };
        let text = render(&p);
        assert!(
            text.contains("same-l3 61.0 ns | 70.0 ns (2 pairs, 1 with errors)"),
            "{text}"
        );
        assert!(text.contains("spawn+join 29.0 µs"), "{text}");
        assert!(text.contains("cross CPU n/a"), "{text}");
        assert!(text.contains("Instant::now error"), "{text}");
        assert!(text.contains("error: instant_now: backwards"), "{text}");
        assert_eq!(text.lines().count(), 5, "{text}");
    }
}
