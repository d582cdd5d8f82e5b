//! The compact summary table printed on stdout at the end of a run.

use comfy_table::presets::UTF8_BORDERS_ONLY;
use comfy_table::{CellAlignment, Table};
use contend_reports::schema::{Case, CaseStatus, Validation};

/// `1234567.0` -> `1.23M`.
pub fn si(value: f64) -> String {
    let (v, suffix) = match value.abs() {
        x if x >= 1e9 => (value / 1e9, "G"),
        x if x >= 1e6 => (value / 1e6, "M"),
        x if x >= 1e3 => (value / 1e3, "k"),
        _ => (value, ""),
    };
    let digits = if v.abs() >= 100.0 { 1 } else { 2 };
    format!("{v:.digits$}{suffix}")
}

/// `1234` ns -> `1.23us`.
pub fn nanos(ns: u64) -> String {
    match ns {
        n if n >= 1_000_000_000 => format!("{:.2}s", n as f64 / 1e9),
        n if n >= 1_000_000 => format!("{:.2}ms", n as f64 / 1e6),
        n if n >= 1_000 => format!("{:.2}us", n as f64 / 1e3),
        n => format!("{n}ns"),
    }
}

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
            nanos(c.latency.p50),
            nanos(c.latency.p99),
            check_text(c),
        ]);
    }
    for col in 1..7 {
        if let Some(column) = table.column_mut(col) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    let mut out = table.to_string();
    if cases.iter().any(|c| c.helper_threads > 0) {
        out += "\n  N+H: N worker threads plus H helper threads (e.g. an actor's owner)";
    }
    if cases.iter().any(|c| c.oversubscribed) {
        out +=
            "\n  *: more threads than available CPUs (oversubscribed: measures time-sharing too)";
    }
    out + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn si_and_nanos_pick_readable_units() {
        assert_eq!(si(215_300_000.0), "215.3M");
        assert_eq!(si(45_612_000.0), "45.61M");
        assert_eq!(si(999.0), "999.0");
        assert_eq!(nanos(23), "23ns");
        assert_eq!(nanos(1_234), "1.23us");
        assert_eq!(nanos(102_000_000), "102.00ms");
    }
}
