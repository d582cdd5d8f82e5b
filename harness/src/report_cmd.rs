//! `contend report`: renders results JSON as HTML (and optionally Markdown and CSV), atomically.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use contend_reports::schema::{Results, read_results};
use contend_reports::{render_csv, render_html, render_markdown};

use crate::cli::ReportArgs;
use crate::error::UsageError;
use crate::output::write_atomically;

/// Reads every input, or fails with one line naming the file and the problem.
pub fn load(paths: &[PathBuf]) -> Result<Vec<Results>, UsageError> {
    paths
        .iter()
        .map(|p| read_results(p).map_err(|e| UsageError::new(e.to_string())))
        .collect()
}

/// Writes `text` to `path` atomically, as a usage error naming the path on failure.
pub fn write_output(path: &Path, text: &str) -> Result<(), UsageError> {
    write_atomically(path, text.as_bytes())
        .map_err(|e| UsageError::new(format!("{}: cannot write: {e}", path.display())))
}

/// Where the HTML goes when `--out` is not given.
fn default_out(inputs: &[PathBuf]) -> PathBuf {
    match inputs {
        [one] => one.with_file_name("report.html"),
        _ => PathBuf::from("compare.html"),
    }
}

/// Renders the report for already-loaded `runs` to `out`; returns the path written.
pub fn write_report(runs: &[Results], out: &Path) -> Result<PathBuf, UsageError> {
    write_output(out, &render_html(runs))?;
    Ok(out.to_path_buf())
}

pub fn report(args: &ReportArgs) -> anyhow::Result<ExitCode> {
    let runs = load(&args.inputs)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| default_out(&args.inputs));
    write_report(&runs, &out)?;
    println!("report: {}", out.display());
    if let Some(md) = &args.markdown {
        write_output(md, &render_markdown(&runs))?;
        println!("markdown: {}", md.display());
    }
    if let Some(csv) = &args.csv {
        write_output(csv, &render_csv(&runs))?;
        println!("csv: {}", csv.display());
    }
    Ok(ExitCode::SUCCESS)
}
