//! The machine table of a comparison: rows whose values differ between machines carry the
//! `differs` class and are counted above the table; identical machines highlight nothing.

use std::path::Path;

use contend_reports::render_html;
use contend_reports::schema::{Results, read_results};

fn fixture(name: &str) -> Results {
    read_results(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .unwrap()
}

/// The machine table's `<tr>` lines (from the first machine table in `html`).
fn machine_rows(html: &str) -> Vec<&str> {
    let start = html.find("<table class=\"kv\">").expect("a machine table");
    let end = start + html[start..].find("</table>").unwrap();
    html[start..end]
        .lines()
        .filter(|l| l.starts_with("<tr"))
        .collect()
}

fn row<'a>(rows: &[&'a str], label: &str) -> &'a str {
    let cell = format!("<td><b>{label}</b></td>");
    rows.iter()
        .find(|r| r.contains(&cell))
        .unwrap_or_else(|| panic!("no {label} row in {rows:#?}"))
}

#[test]
fn differing_fingerprint_rows_are_highlighted_in_a_comparison() {
    let html = render_html(&[fixture("machine-a.json"), fixture("machine-b.json")]);
    let rows = machine_rows(&html);
    for differing in [
        "L1 data",
        "L1 instruction",
        "L2 unified",
        "L3 unified",
        "SMT",
        "CPU frequency",
        "Boost",
        "Clocksource",
        "Virtualization",
        "Cgroup CPU limit",
        "Mitigations",
        "Steal over run",
    ] {
        assert!(
            row(&rows, differing).starts_with("<tr class=\"differs\">"),
            "{differing} should differ"
        );
    }
    for same in ["OS", "Kernel", "Compiler", "Tool"] {
        assert!(
            row(&rows, same).starts_with("<tr><td>"),
            "{same} should not differ"
        );
    }
    let differing = rows
        .iter()
        .filter(|r| r.contains("class=\"differs\""))
        .count();
    assert!(html.contains(&format!(
        "<p class=\"note\">{differing} of {} rows differ between the runs (highlighted).</p>",
        rows.len()
    )));
    assert!(row(&rows, "Virtualization").contains("KVM guest (cpuid: KVMKVMKVM"));
    assert!(row(&rows, "Virtualization").contains("bare metal (no hypervisor flag)"));
    assert!(
        row(&rows, "L2 unified").contains("1.25 MiB x 4 (line 64 B; CPUs 0,4 | 1,5 | 2,6 | 3,7)")
    );
}

#[test]
fn identical_machines_highlight_nothing() {
    let a = fixture("machine-a.json");
    let mut b = a.clone();
    b.label = a.label.clone();
    let html = render_html(&[a, b]);
    let rows = machine_rows(&html);
    assert!(rows.len() > 25, "{rows:#?}");
    assert!(rows.iter().all(|r| !r.contains("differs")), "{rows:#?}");
    assert!(html.contains("0 of "), "the count line says none differ");
}

#[test]
fn a_single_run_shows_its_fingerprint_without_highlights() {
    let html = render_html(&[fixture("machine-b.json")]);
    let rows = machine_rows(&html);
    assert!(rows.iter().all(|r| !r.contains("differs")));
    assert!(!html.contains("rows differ between the runs"));
    assert!(row(&rows, "Boost").contains("on (intel_pstate/no_turbo)"));
    assert!(row(&rows, "Mitigations").contains("<details><summary>"));
}

#[test]
fn results_written_before_the_fingerprint_still_load_and_render() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/machine-a.json");
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    json["machine"].as_object_mut().unwrap().remove("details");
    let old: Results = serde_json::from_value(json).unwrap();
    assert_eq!(old.machine.details, Default::default());
    let html = render_html(&[old]);
    assert!(row(&machine_rows(&html), "Caches").contains("unknown"));
}
