//! `contend list`: the catalog as a table.

use comfy_table::presets::UTF8_BORDERS_ONLY;
use comfy_table::{ContentArrangement, Table};
use contend_workloads::catalog;

/// Families, variants, styles and race expectations, one row per variant.
pub fn render() -> String {
    let mut table = Table::new();
    let width = table.width().unwrap_or(120);
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
    format!(
        "{table}\nopt-in variants run when named (e.g. --workloads counter/racy) or with --include-racy\n"
    )
}
