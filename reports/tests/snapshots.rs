//! Snapshot tests of every renderer on the fixture results (`tests/fixtures/`).
//!
//! Charts are summarised in the HTML snapshots (their text and element counts) to keep them reviewable; one chart
//! is snapshotted whole. Review changes with `cargo insta review` or `INSTA_UPDATE=always`.

use std::path::Path;

use contend_reports::schema::{Results, read_results};
use contend_reports::{figures, render_csv, render_html, render_markdown};

fn fixture(name: &str) -> Results {
    read_results(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .unwrap()
}

/// Replaces every inline `<svg>...</svg>` by a one-line summary: counts of drawn elements and all its text.
fn summarise_svgs(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(start) = rest.find("<svg") {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find("</svg>")
            .map(|e| start + e + "</svg>".len())
            .expect("unclosed svg");
        let svg = &rest[start..end];
        let texts: Vec<&str> = svg
            .split("<text")
            .skip(1)
            .filter_map(|t| {
                t.split_once('>')
                    .map(|(_, r)| r.split("</text>").next().unwrap_or("").trim())
            })
            .collect();
        out.push_str(&format!(
            "<svg-summary polylines={} circles={} texts=[{}]/>",
            svg.matches("<polyline").count(),
            svg.matches("<circle").count(),
            texts.join(" | ")
        ));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[test]
fn single_machine_html() {
    let html = render_html(&[fixture("machine-a.json")]);
    insta::assert_snapshot!(summarise_svgs(&html));
}

#[test]
fn two_machine_comparison_html() {
    let html = render_html(&[fixture("machine-a.json"), fixture("machine-b.json")]);
    insta::assert_snapshot!(summarise_svgs(&html));
}

#[test]
fn throughput_chart_svg() {
    let run = fixture("machine-b.json");
    insta::assert_snapshot!(figures::throughput(&run, "matmul").unwrap().svg);
}

#[test]
fn markdown_summary() {
    insta::assert_snapshot!(render_markdown(&[
        fixture("machine-a.json"),
        fixture("machine-b.json")
    ]));
}

#[test]
fn csv_export() {
    insta::assert_snapshot!(render_csv(&[
        fixture("machine-a.json"),
        fixture("machine-b.json")
    ]));
}

#[test]
fn rendering_is_deterministic() {
    let runs = [fixture("machine-a.json"), fixture("machine-b.json")];
    assert_eq!(render_html(&runs), render_html(&runs));
    assert_eq!(render_markdown(&runs), render_markdown(&runs));
}

#[test]
fn reports_are_self_contained() {
    let html = render_html(&[fixture("machine-a.json"), fixture("machine-b.json")]);
    assert!(!html.contains("<script"), "no JavaScript");
    for needle in ["http://", "https://"] {
        for (i, _) in html.match_indices(needle) {
            let ctx = &html[i.saturating_sub(8)..i];
            assert!(
                ctx.contains("xmlns="),
                "external reference at {i}: {}",
                &html[i..(i + 60).min(html.len())]
            );
        }
    }
}

#[test]
fn no_runs_render_an_explanation() {
    assert!(render_html(&[]).contains("No results were given"));
}
