//! `contend history`: trends with change points over the recorded runs (terminal, HTML,
//! Markdown), `history import` to record results files, `history baselines` to list baselines.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use contend_reports::changepoint;
use contend_reports::schema::Results;
use contend_reports::trend::{Trend, analyse, change_at, describe_change, render_trends_markdown};

use crate::cli::{HistoryAction, HistoryArgs};
use crate::history::trends::{Filter, series};
use crate::history::{History, Recorded, baseline};
use crate::report_cmd::{load, write_output};

pub fn history(args: &HistoryArgs) -> anyhow::Result<ExitCode> {
    let path = args
        .history
        .clone()
        .unwrap_or_else(crate::history::default_path);
    match &args.action {
        Some(HistoryAction::Import { files }) => import(&path, files),
        Some(HistoryAction::Baselines) => baselines(&path),
        None => trends(args, &path),
    }
}

/// Reads every file first (a bad one records nothing), then records each in its own transaction.
fn import(path: &Path, files: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let all: Vec<Results> = load(files)?;
    let mut history = History::open(path)?;
    let (mut new, mut known) = (0, 0);
    for (results, file) in all.iter().zip(files) {
        match history.record(results, file)? {
            Recorded::New(_) => new += 1,
            Recorded::Already(id) => {
                known += 1;
                eprintln!("{}: recorded before (run {id}), skipped", file.display());
            }
        }
    }
    println!(
        "history: {}: {new} run(s) imported, {known} already there, {} recorded",
        path.display(),
        history.runs()?
    );
    Ok(ExitCode::SUCCESS)
}

fn baselines(path: &Path) -> anyhow::Result<ExitCode> {
    let history = History::open_existing(path)?;
    let listed = baseline::list(history.conn())?;
    if listed.is_empty() {
        println!("no baselines yet (contend run --save-baseline NAME)");
    }
    for b in listed {
        println!(
            "{:<24} machine {}  saved {}  run {}",
            b.name, b.machine_hash, b.saved_at, b.run_id
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// One line per series for the terminal.
fn render_terminal(trends: &[Trend]) -> String {
    let mut out = String::new();
    for t in trends {
        let s = &t.series;
        let latest = s.points.last().map_or(String::from("-"), |p| {
            format!("{} {}/s", contend_reports::format::si(p.median), s.unit)
        });
        out += &format!(
            "{:<40} {:>16} {:>5} runs  {:>22}",
            s.key,
            s.machine_hash,
            s.points.len(),
            latest
        );
        let changes: Vec<String> = t
            .changes
            .iter()
            .map(|c| {
                format!(
                    "{} at {}: {}",
                    c.metric.name(),
                    change_at(c),
                    describe_change(c)
                )
            })
            .collect();
        if !changes.is_empty() {
            out += &format!("  change: {}", changes.join("; "));
        }
        out.push('\n');
    }
    out
}

fn trends(args: &HistoryArgs, path: &Path) -> anyhow::Result<ExitCode> {
    let history = History::open_existing(path)?;
    let filter = Filter {
        workloads: args.workloads.clone(),
        machine: args.machine.clone(),
    };
    let found = series(history.conn(), &filter)
        .map_err(|e| anyhow::anyhow!("{}: reading trends: {e}", path.display()))?;
    let trends = analyse(found, &changepoint::Options::default());
    if trends.is_empty() {
        println!(
            "{}: no recorded run matches (runs: {})",
            path.display(),
            history.runs()?
        );
    }
    print!("{}", render_terminal(&trends));
    if let Some(html) = &args.html {
        let title = format!("contend history: {}", path.display());
        write_output(html, &contend_reports::render_trends_html(&trends, &title))?;
        println!("trends:  {}", html.display());
    }
    if let Some(md) = &args.markdown {
        write_output(md, &render_trends_markdown(&trends))?;
        println!("markdown: {}", md.display());
    }
    Ok(ExitCode::SUCCESS)
}
