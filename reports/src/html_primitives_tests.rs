//! Tests of the report's primitives section: the single run's maps, relations, errors and costs,
//! and a comparison whose maps share one colour scale across machines.

use super::*;
use crate::figures_heatmap::{ColourScale, hex};
use crate::primitives_schema::{Primitives, Spread};
use crate::schema::parse_results;

fn ok(v: f64) -> Measured {
    Measured::Ok {
        ns: Spread {
            median: v,
            p10: v * 0.9,
            p90: v * 1.1,
            min: v * 0.8,
            max: v * 2.0,
            repetitions: 10,
        },
        ops: 640,
    }
}

/// A fixture run with a 2-CPU map whose pairs measure `one_way` ns (the pair 1 -> 0's CAS
/// failed when `fail`), and two costs.
fn run(label: &str, one_way: f64, fail: bool) -> Results {
    let mut r = parse_results(include_str!("../tests/fixtures/machine-a.json"), "a").unwrap();
    r.label = label.into();
    let pair = |from, to, cas| PairLatency {
        from,
        to,
        relation: "same-l3".into(),
        store_load: ok(one_way),
        cas,
    };
    r.primitives = Some(Primitives {
        elapsed_ms: 210,
        core_to_core: Some(CoreToCore {
            cpus: vec![0, 1],
            pairs_possible: 2,
            selection: "every ordered pair of the 2 CPUs (2)".into(),
            store_load_method: "store then load".into(),
            cas_method: "compare_exchange".into(),
            pairs: vec![
                pair(0, 1, ok(one_way)),
                pair(
                    1,
                    0,
                    if fail {
                        Measured::Error {
                            message: "the line held 7, expected 3 or 4".into(),
                        }
                    } else {
                        ok(one_way)
                    },
                ),
            ],
        }),
        costs: vec![
            Cost {
                name: "thread_spawn_join".into(),
                label: "thread spawn + join".into(),
                cpus: vec![0],
                method: "spawn <and> join".into(),
                result: ok(29_000.0),
            },
            Cost {
                name: "wake_cross_cpu".into(),
                label: "wake-up, cross CPU".into(),
                cpus: vec![],
                method: "unpark".into(),
                result: Measured::Skipped {
                    reason: "needs two CPUs".into(),
                },
            },
        ],
    });
    r
}

#[test]
fn a_single_run_shows_its_maps_relations_errors_and_costs() {
    let r = run("a", 60.0, true);
    let mut out = String::new();
    single(&mut out, &r, "primitives");
    assert!(out.starts_with("<section id=\"primitives\">"), "{out}");
    // Two panels (store/load, CAS) of 2 x 2 cells.
    assert_eq!(out.matches("<svg").count(), 1);
    assert_eq!(
        out.matches("width=\"96\" height=\"96\"").count(),
        8,
        "{out}"
    );
    assert!(out.contains(&hex(crate::figures_heatmap::ERROR)));
    assert!(
        out.contains("1 → 0") && out.contains("the line held 7"),
        "error table"
    );
    assert!(
        out.contains("same-l3") && out.contains("1 with errors"),
        "{out}"
    );
    assert!(out.contains("29.0 µs") && out.contains("26.1 µs – 31.9 µs"));
    assert!(out.contains("n/a: needs two CPUs"));
    assert!(
        out.contains("spawn &lt;and&gt; join"),
        "methods are escaped"
    );
    assert!(out.contains("store then load") && out.contains("compare_exchange"));
    let mut twice = String::new();
    single(&mut twice, &r, "primitives");
    assert_eq!(out, twice, "deterministic");
}

#[test]
fn a_run_without_primitives_has_no_section() {
    let mut r = run("a", 60.0, false);
    r.primitives = None;
    let mut out = String::new();
    single(&mut out, &r, "primitives");
    comparison(&mut out, &[r.clone(), r], &["a".into(), "b".into()], "x");
    assert!(out.is_empty());
}

#[test]
fn a_comparison_puts_the_machines_maps_on_one_scale() {
    let runs = [run("fast <vm>", 10.0, false), run("slow", 100.0, false)];
    let labels = vec!["fast <vm>".to_string(), "slow".to_string()];
    let mut out = String::new();
    comparison(&mut out, &runs, &labels, "compare-primitives");
    assert!(out.contains("fast &lt;vm&gt;: store/load") && out.contains("slow: CAS"));
    // One scale across machines, from 0 to the slowest machine's figure.
    let panels: Vec<Panel> = runs
        .iter()
        .map(|r| {
            let map = r
                .primitives
                .as_ref()
                .unwrap()
                .core_to_core
                .as_ref()
                .unwrap();
            panel(r, map, "t", store_load)
        })
        .collect();
    let scale = ColourScale::spanning(&panels).unwrap();
    assert_eq!((scale.min, scale.max), (0.0, 100.0));
    for v in [10.0, 100.0] {
        assert!(
            out.contains(&format!("fill=\"{}\"", hex(scale.colour(v)))),
            "{v}"
        );
    }
    // The fast machine alone would paint its 10 ns at its scale's dark end.
    let alone = ColourScale::spanning(&panels[..1]).unwrap();
    assert_ne!(hex(alone.colour(10.0)), hex(scale.colour(10.0)));
    assert!(out.contains("10.0 ns | 10.0 ns (2 pairs)") && out.contains("100 ns | 100 ns"));
    assert!(out.contains("29.0 µs (26.1 µs – 31.9 µs)"));
}

#[test]
fn a_report_of_primitives_alone_renders() {
    let mut r = run("only primitives", 60.0, false);
    r.cases.clear();
    let html = crate::render_html(std::slice::from_ref(&r));
    assert!(html.contains("href=\"#primitives\"") && html.contains("<section id=\"primitives\">"));
    let both = crate::render_html(&[r.clone(), run("b", 70.0, false)]);
    assert!(both.contains("href=\"#compare-primitives\""));
}
