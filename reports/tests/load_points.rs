//! A load point that carried no message (its producer starved for the whole point) shows no
//! latency in the report, instead of a latency of 0; the latency-vs-load chart draws the cases
//! that do not oversubscribe the CPUs.

use std::path::Path;

use contend_reports::render_html;
use contend_reports::schema::{LoadPoint, LoadSweep, Quantiles, read_results};

fn point(fraction: f64, messages: u64, p99: u64) -> LoadPoint {
    LoadPoint {
        offered_per_s: fraction * 1e6,
        fraction: Some(fraction),
        achieved_per_s: messages as f64 * 100.0,
        messages,
        stamp_every: 1,
        latency: Quantiles {
            count: messages,
            p50: p99 / 2,
            p90: p99 / 2,
            p99,
            p999: p99,
            max: p99,
        },
    }
}

#[test]
fn a_point_without_messages_has_no_latency_cells() {
    let mut run =
        read_results(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/machine-a.json"))
            .unwrap();
    // The fixtures have no queue family: one counter case stands in for a queue.
    let case = &mut run.cases[0];
    case.family = "queue".into();
    case.variant = "queue/flume".into();
    let variant = case.variant.clone();
    case.load_sweeps = vec![LoadSweep {
        fork: 0,
        saturation_per_s: 1e6,
        window_ms: 10.0,
        points: vec![
            point(0.1, 1000, 4000),
            point(0.8, 0, 0),
            point(1.1, 9000, 77_000),
        ],
    }];
    let html = render_html(&[run]);
    let rows: Vec<&str> = html
        .split("<tr>")
        .filter(|r| r.contains(&format!("<code>{variant}@")) && r.contains("%)</td>"))
        .collect();
    assert_eq!(rows.len(), 3, "three load rows for {variant}");
    let starved = rows.iter().find(|r| r.contains("(80.0%)")).unwrap();
    assert_eq!(
        starved.matches("<td class=\"n\">–</td>").count() + starved.matches("<td>–</td>").count(),
        5,
        "{starved}"
    );
    assert!(!starved.contains("0 ns"), "{starved}");
    let fed = rows.iter().find(|r| r.contains("(110.0%)")).unwrap();
    assert!(fed.contains("77.0 µs"), "{fed}");
}

#[test]
fn the_chart_draws_the_most_threads_that_do_not_oversubscribe() {
    let mut run =
        read_results(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/machine-a.json"))
            .unwrap();
    let mut one = run.cases[0].clone();
    one.family = "counter".into();
    one.variant = "counter/actor".into();
    one.threads = 1;
    one.oversubscribed = false;
    one.load_sweeps = vec![LoadSweep {
        fork: 0,
        saturation_per_s: 1e6,
        window_ms: 10.0,
        points: vec![point(0.1, 1000, 4000), point(1.1, 9000, 77_000)],
    }];
    let mut two = one.clone();
    two.threads = 2;
    two.oversubscribed = true;
    run.cases = vec![one, two.clone()];
    let title = |html: &str| {
        html.split("p99 latency vs offered load at ")
            .nth(1)
            .map(|t| t.chars().take_while(|&c| c != '(').collect::<String>())
    };
    let html = render_html(std::slice::from_ref(&run));
    assert_eq!(
        title(&html).as_deref(),
        Some("1 thread "),
        "the 1+1 case, not 2+1"
    );
    // Only oversubscribed cases: the most threads is still drawn.
    run.cases = vec![two];
    let html = render_html(&[run]);
    assert_eq!(title(&html).as_deref(), Some("2 threads "));
}
