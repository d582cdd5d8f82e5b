//! `contend compare`: the perf-regression gate over two results files measured separately.

use std::process::ExitCode;

use contend_reports::compare::{
    CompareOptions, Comparison, Thresholds, Verdict, compare, compare_paired_cases,
    machine_differences, parse_percent, render_compare_markdown, render_compare_table,
};
use contend_reports::schema::Results;

use crate::cli::CompareArgs;
use crate::error::UsageError;
use crate::report_cmd::{load, write_output};

/// Parses `--threshold`, `--confidence` and `--config` into comparison options.
pub fn options(
    threshold: &str,
    confidence: f64,
    config: Option<&std::path::Path>,
) -> Result<CompareOptions, UsageError> {
    let default = parse_percent(threshold)
        .map_err(|e| UsageError::new(format!("--threshold {threshold:?}: {e}")))?;
    if !(confidence > 0.5 && confidence < 1.0) {
        return Err(UsageError::new(format!(
            "--confidence {confidence}: must be between 0.5 and 1 (e.g. 0.99)"
        )));
    }
    let thresholds = match config {
        None => Thresholds::new(default),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| UsageError::new(format!("{}: cannot read: {e}", path.display())))?;
            Thresholds::parse(&text, default)
                .map_err(|e| UsageError::new(format!("{}: {e}", path.display())))?
        }
    };
    Ok(CompareOptions {
        confidence,
        thresholds,
        ..CompareOptions::default()
    })
}

pub fn compare_files(args: &CompareArgs) -> anyhow::Result<ExitCode> {
    let opts = options(
        &args.gate.threshold,
        args.gate.confidence,
        args.gate.config.as_deref(),
    )?;
    let (base, head, names) = inputs(args)?;
    let comparison = if args.paired {
        paired(&base, &head, &opts)?
    } else {
        compare(&base, &head, &opts)
    };
    let matched = comparison
        .rows
        .iter()
        .filter(|r| !matches!(r.verdict, Verdict::Added | Verdict::Removed))
        .count();
    if matched == 0 {
        return Err(UsageError::new(format!(
            "{} and {}: no case in common (cases match by variant@threads/placement)",
            names[0], names[1]
        ))
        .into());
    }
    crate::colour::print(&render_compare_table(&comparison));
    if let Some(md) = &args.gate.markdown {
        write_output(md, &render_compare_markdown(&comparison))?;
    }
    Ok(ExitCode::from(
        comparison.exit_code_with(args.gate.fail_on.into()) as u8,
    ))
}

/// The two sides and their names: `BASE.json HEAD.json`, or baseline NAME from the history and
/// `[HEAD.json]` (default: the latest run).
fn inputs(args: &CompareArgs) -> anyhow::Result<(Results, Results, [String; 2])> {
    let Some(name) = &args.baseline else {
        let [base, head] = args.files.as_slice() else {
            return Err(UsageError::new(
                "compare needs BASE.json HEAD.json, or --baseline NAME [HEAD.json]",
            )
            .into());
        };
        let mut runs = load(&[base.clone(), head.clone()])?;
        let head_run = runs.pop().expect("two loaded");
        let names = [base.display().to_string(), head.display().to_string()];
        return Ok((runs.pop().expect("two loaded"), head_run, names));
    };
    let head_path = match args.files.as_slice() {
        [] => std::path::Path::new(crate::results_dir::ROOT)
            .join(crate::results_dir::LATEST)
            .join(crate::output::RESULTS_FILE),
        [head] => head.clone(),
        _ => {
            return Err(UsageError::new(
                "compare --baseline NAME takes one HEAD.json (the baseline is the other side)",
            )
            .into());
        }
    };
    crate::history::baseline::check_name(name)?;
    let head = load(std::slice::from_ref(&head_path))?.remove(0);
    let path = args
        .history
        .clone()
        .unwrap_or_else(crate::history::default_path);
    let history = crate::history::History::open_existing(&path)?;
    let found = crate::history::baseline::find(
        history.conn(),
        name,
        &contend_reports::fingerprint::fingerprint_hash(&head.machine),
    )?;
    if !found.same_machine {
        println!("baseline {name:?} was saved on another machine: observations only");
    }
    let names = [
        format!("baseline {name:?}"),
        head_path.display().to_string(),
    ];
    Ok((found.results, head, names))
}

/// Compares files whose cases hold interleaved A/B samples aligned pair by pair (`contend ab`):
/// cases match by key as for independent runs, then each matched case is compared per pair.
/// A matched case whose sides have different sample counts is a usage error: not aligned.
fn paired(base: &Results, head: &Results, opts: &CompareOptions) -> Result<Comparison, UsageError> {
    let mut comparison = compare(base, head, opts);
    comparison.method = contend_reports::compare::Method::Paired;
    let differ = !machine_differences(&base.machine, &head.machine).is_empty();
    let opts = &CompareOptions {
        family: comparison
            .rows
            .iter()
            .filter(|r| !matches!(r.verdict, Verdict::Added | Verdict::Removed))
            .count(),
        ..opts.clone()
    };
    for row in &mut comparison.rows {
        if matches!(row.verdict, Verdict::Added | Verdict::Removed) {
            continue;
        }
        let find = |r: &'_ Results| r.cases.iter().find(|c| c.key() == row.key).cloned();
        let (Some(b), Some(h)) = (find(base), find(head)) else {
            continue;
        };
        if b.samples.len() != h.samples.len() {
            return Err(UsageError::new(format!(
                "--paired: {} has {} base and {} head samples; paired files must align sample by sample",
                row.key,
                b.samples.len(),
                h.samples.len()
            )));
        }
        if row.verdict == Verdict::NotComparable && !row.notes.is_empty() && row.estimate.is_none()
        {
            continue; // failed validation, duplicates...: stays not comparable
        }
        *row = compare_paired_cases(&b, &h, opts);
        row.machines_differ = differ;
    }
    Ok(comparison)
}
