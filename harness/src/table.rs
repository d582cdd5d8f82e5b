//! The compact summary table printed on stdout at the end of a run.

use comfy_table::presets::UTF8_BORDERS_ONLY;
use comfy_table::{CellAlignment, Table};
use contend_reports::format::{ns, si};
use contend_reports::schema::{Case, CaseStatus, Validation};

/// One word (plus detail) for how a case's proof went.
pub fn check_text(case: &Case) -> String {
    match (&case.status, &case.validation) {
        (CaseStatus::Deadlocked { stall_ms, .. }, _) if case.expected_deadlock => {
            format!("deadlocked, as expected (no progress for {stall_ms} ms)")
        }
        (CaseStatus::Deadlocked { stall_ms, .. }, _) => {
            format!("DEADLOCKED (no progress for {stall_ms} ms)")
        }
        (CaseStatus::Error { message }, _) => format!("ERROR: {message}"),
        (_, Validation::Passed { samples_checked }) => format!("ok ({samples_checked} checked)"),
        (
            _,
            Validation::Failed {
                samples_failed,
                first_error,
            },
        ) => format!("FAILED in {samples_failed}: {first_error}"),
        (
            _,
            Validation::RaceObserved {
                samples_damaged,
                samples_checked,
                first_detail,
                ..
            },
        ) => {
            format!("race: {samples_damaged}/{samples_checked} damaged; {first_detail}")
        }
        (_, Validation::RaceNotObserved { samples_checked }) => {
            format!("race not observed in {samples_checked}")
        }
        (_, Validation::NotRun) => "not run".into(),
    }
}

/// Renders the per-case summary: median throughput with spread, p50/p99 latency, validation.
pub fn render(cases: &[Case]) -> String {
    let mut table = Table::new();
    table.load_preset(UTF8_BORDERS_ONLY).set_header(vec![
        "case",
        "threads",
        "throughput/s",
        "cv",
        "min..max",
        "p50",
        "p99",
        "check",
    ]);
    for c in cases {
        let flags = if c.oversubscribed { "*" } else { "" };
        table.add_row(vec![
            c.variant.clone(),
            format!(
                "{}{}{flags}",
                c.threads,
                if c.helper_threads > 0 {
                    format!("+{}", c.helper_threads)
                } else {
                    String::new()
                }
            ),
            match c.unit_factors.get("flop_per_unit") {
                Some(flop) => format!(
                    "{} {} ({:.1} GFLOP/s)",
                    si(c.throughput.median),
                    c.unit,
                    c.throughput.median * flop / 1e9
                ),
                None => format!("{} {}", si(c.throughput.median), c.unit),
            },
            format!("{:.1}%", c.throughput.cv * 100.0),
            format!("{}..{}", si(c.throughput.min), si(c.throughput.max)),
            ns(c.latency.p50 as f64),
            ns(c.latency.p99 as f64),
            check_text(c),
        ]);
    }
    for col in 1..7 {
        if let Some(column) = table.column_mut(col) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    let mut out = table.to_string();
    let bare: Vec<String> = cases
        .iter()
        .filter_map(|c| {
            let b = c.bare_reference.as_ref()?;
            Some(format!("{}@{} {:.2}x", c.variant, c.threads, b.ratio))
        })
        .collect();
    if !bare.is_empty() {
        out += &format!(
            "\n  vs bare (throughput / the crate's bare loop on the same threads): {}",
            bare.join(", ")
        );
    }
    let swept = cases.iter().filter(|c| !c.load_sweeps.is_empty()).count();
    if swept > 0 {
        out += &format!(
            "\n  latency under offered load (open loop): {swept} case(s) swept; the report draws it"
        );
    }
    if cases.iter().any(|c| c.helper_threads > 0) {
        out += "\n  N+H: N worker threads plus H helper threads (e.g. an actor's owner)";
    }
    if cases.iter().any(|c| c.oversubscribed) {
        out +=
            "\n  *: more threads than available CPUs (oversubscribed: measures time-sharing too)";
    }
    out + "\n"
}
