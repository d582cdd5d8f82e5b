//! `contend list`: the catalog as a table, or as JSON for scripts.

use comfy_table::presets::UTF8_BORDERS_ONLY;
use comfy_table::{ContentArrangement, Table};
use contend_workloads::catalog;

/// Families, variants, styles and race expectations, one row per variant.
pub fn render() -> String {
    let mut table = Table::new();
    let width = console::Term::stdout()
        .size_checked()
        .map_or(120, |(_rows, columns)| columns);
    table
        .load_preset(UTF8_BORDERS_ONLY)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(width)
        .set_header(vec![
            "variant",
            "style",
            "races?",
            "default",
            "what it does",
        ]);
    for v in catalog() {
        table.add_row(vec![
            v.name,
            v.style.name(),
            if v.expected_race {
                "yes (deliberately)"
            } else {
                "no"
            },
            if v.opt_in { "opt-in" } else { "yes" },
            v.about,
        ]);
    }
    for p in crate::primitives::catalog::VARIANTS {
        table.add_row(vec![p.name, "machine primitive", "no", "opt-in", p.about]);
    }
    format!(
        "{table}\nopt-in variants run when named (e.g. --workloads counter/racy) or with --include-racy; \
         the primitives family runs when named (--workloads primitives)\n"
    )
}

/// The catalog as a JSON array, one object per variant (`contend list --json`).
pub fn json() -> String {
    let variants: Vec<serde_json::Value> = catalog()
        .map(|v| {
            serde_json::json!({
                "name": v.name,
                "family": v.family.name(),
                "style": v.style.name(),
                "expected_race": v.expected_race,
                "expected_deadlock": v.expected_deadlock,
                "default": !v.opt_in,
                "unit": v.family.unit(),
                "about": v.about,
            })
        })
        .chain(crate::primitives::catalog::VARIANTS.iter().map(|p| {
            serde_json::json!({
                "name": p.name,
                "family": crate::primitives::catalog::FAMILY,
                "style": "machine primitive",
                "expected_race": false,
                "expected_deadlock": false,
                "default": false,
                "unit": "ns",
                "about": p.about,
            })
        }))
        .collect();
    serde_json::to_string_pretty(&variants).expect("plain values serialize")
}
