//! `contend tsan`: builds the workloads (or a user's tests) with ThreadSanitizer, runs every target
//! in its own process several times, and judges each against its expectation.

pub mod lane;
mod parse;
mod process;
mod tests_mode;
mod verdict;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use contend_reports::schema::RaceDetection;

pub use lane::{Lane, Toolchain};
pub use parse::{Report, parse_reports, suppressed_matches};
pub use verdict::{RunOutcome, judge};

use crate::cli::TsanArgs;
use crate::error::UsageError;
use crate::output::OutputDir;
use crate::results_dir::Destination;

/// ThreadSanitizer's options for every process: collect every report, remember longer histories,
/// and say at exit how many reports a suppression hid (counted in the verdict, never silent).
pub const TSAN_OPTIONS: &str =
    "halt_on_error=0 exitcode=66 history_size=7 second_deadlock_stack=1 print_suppressions=1";
/// Exit code TSan gives a process that reported (see `exitcode=` above).
pub const TSAN_EXIT: i32 = 66;
/// Suppressions for every lane: races inside dependencies that their authors document as deliberate.
const DEPENDENCY_SUPPRESSIONS: &str = include_str!("../../tsan-suppressions-dependencies.txt");
/// Suppressions for the crate-only lane: std-internal synchronization it cannot see.
const CRATE_ONLY_SUPPRESSIONS: &str = include_str!("../../tsan-suppressions.txt");

/// The source checkout this binary was built from (needed to rebuild it with TSan).
fn workspace_root() -> Result<PathBuf, UsageError> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    if root.join("Cargo.toml").is_file() && root.join("workloads").is_dir() {
        Ok(root)
    } else {
        Err(UsageError::new(format!(
            "contend tsan rebuilds contend from its source checkout, but {} is gone; run it from a clone (cargo run --release -- tsan)",
            root.display()
        )))
    }
}

/// Picks the forced or the best lane; no lane is a usage error that says what to install.
fn choose_lane(forced: Option<Lane>) -> Result<Toolchain, UsageError> {
    match forced {
        Some(lane) => {
            lane::probe(lane).map_err(|e| UsageError::new(format!("--lane {}: {e}", lane.name())))
        }
        None => lane::best().map_err(|why| {
            let reasons: Vec<String> = why
                .iter()
                .map(|(l, e)| format!("{}: {e}", l.name()))
                .collect();
            UsageError::new(format!(
                "no ThreadSanitizer lane available ({})",
                reasons.join("; ")
            ))
        }),
    }
}

/// TSAN_OPTIONS for `toolchain`, writing its suppressions file under `dir`: the dependency rules in
/// every lane, plus the std-internal rules in the crate-only lane. Returns the options and the rules.
fn tsan_options(toolchain: &Toolchain, dir: &Path) -> anyhow::Result<(String, Vec<String>)> {
    let mut text = DEPENDENCY_SUPPRESSIONS.to_string();
    if !toolchain.lane.instruments_std() {
        text.push_str(CRATE_ONLY_SUPPRESSIONS);
    }
    std::fs::create_dir_all(dir)?;
    let path = dir.join("tsan-suppressions.txt");
    std::fs::write(&path, &text)?;
    let rules = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect();
    Ok((
        format!("{TSAN_OPTIONS} suppressions={}", path.display()),
        rules,
    ))
}

/// Builds with `toolchain` and returns cargo's output; a failed build is a one-line usage error
/// pointing at the full log.
fn build(mut cmd: std::process::Command, log: &Path, what: &str) -> anyhow::Result<String> {
    eprintln!(
        "building {what} with ThreadSanitizer (log: {})",
        log.display()
    );
    if let Some(dir) = log.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let out = cmd
        .output()
        .with_context(|| format!("cannot start cargo for {what}"))?;
    std::fs::write(log, [out.stderr.as_slice(), out.stdout.as_slice()].concat())?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let last = stderr
            .lines()
            .rev()
            .find(|l| l.starts_with("error"))
            .unwrap_or("see the log")
            .to_string();
        return Err(UsageError::new(format!(
            "{what} does not build with ThreadSanitizer: {last} (full log: {})",
            log.display()
        ))
        .into());
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Stores `detection` in `out/results.json` (keeping any measured cases) and re-renders the report.
fn store(out_dir: &Path, detection: RaceDetection, argv: Vec<String>) -> anyhow::Result<PathBuf> {
    let out = OutputDir::prepare(out_dir)?;
    let path = out.path(crate::output::RESULTS_FILE);
    let mut results = if path.exists() {
        contend_reports::schema::read_results(&path).map_err(|e| UsageError::new(e.to_string()))?
    } else {
        crate::run::new_results(None, argv, crate::run::empty_config())
    };
    results.race_detection = Some(detection);
    out.write_results(&results)?;
    crate::report_cmd::write_report(std::slice::from_ref(&results), &out.path("report.html"))?;
    Ok(path)
}

pub fn tsan(args: &TsanArgs, argv: Vec<String>) -> anyhow::Result<ExitCode> {
    if args.runs == 0 || args.threads == 0 {
        return Err(UsageError::new("--runs and --threads must be at least 1").into());
    }
    if let Some(m) = &args.manifest_path
        && !m.is_file()
    {
        return Err(
            UsageError::new(format!("--manifest-path {}: no such file", m.display())).into(),
        );
    }
    let started = Instant::now();
    let toolchain = choose_lane(args.lane)?;
    let destination = Destination::choose(args.out.as_deref(), "tsan")?;
    OutputDir::prepare(&destination.dir)?;
    let detection = match &args.manifest_path {
        Some(manifest) => tests_mode::examine(manifest, &toolchain, args)?,
        None => examine_workloads(&toolchain, args)?,
    };
    let detection = RaceDetection {
        elapsed_ms: started.elapsed().as_millis() as u64,
        ..detection
    };
    crate::colour::print(&verdict::render(&detection));
    for t in detection.targets.iter().filter(|t| !t.matches_expectation) {
        if !t.raw_report.is_empty() {
            eprintln!(
                "first report of {} ({}):\n{}",
                t.name, t.verdict, t.raw_report
            );
        }
    }
    let all_match = detection.targets.iter().all(|t| t.matches_expectation);
    let path = store(&destination.dir, detection, argv)?;
    println!("results: {}", path.display());
    if let Some((latest, _)) = destination.publish()? {
        println!("latest:  {}", latest.display());
    }
    Ok(if all_match {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The `race_detection` section for `targets` judged with `toolchain` (elapsed time filled in later).
fn detection(
    toolchain: &Toolchain,
    (tsan_options, suppressions): (String, Vec<String>),
    subject: String,
    threads: usize,
    runs: u32,
    targets: Vec<contend_reports::schema::RaceVerdict>,
) -> RaceDetection {
    RaceDetection {
        lane: toolchain.lane.name().into(),
        toolchain: toolchain.rustc_version.clone(),
        std_instrumented: toolchain.lane.instruments_std(),
        blind_spots: toolchain.lane.blind_spots().into(),
        tsan_options,
        suppressions,
        subject,
        threads,
        runs_per_target: runs,
        elapsed_ms: 0,
        targets,
    }
}

/// Arguments that keep an instrumented run of `variant` small (TSan costs 5-15x time, ~4x memory).
fn small_run_args(variant: &contend_workloads::VariantInfo) -> Vec<String> {
    let mut args: Vec<String> = [
        "--samples",
        "2",
        "--duration",
        "30ms",
        "--warmup",
        "0s",
        "--no-overhead",
        "--stall-timeout",
        "20s",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(crate::plan::tsan_scaled_params(variant));
    args
}

fn examine_workloads(toolchain: &Toolchain, args: &TsanArgs) -> anyhow::Result<RaceDetection> {
    let root = workspace_root()?;
    let variants = crate::plan::select_for_race_detection(&args.workloads)?;
    let target_dir = args
        .target_dir
        .clone()
        .unwrap_or_else(|| root.join("target").join("tsan").join(toolchain.lane.name()));
    let mut cmd = toolchain.cargo("build", &target_dir);
    cmd.args(["--release", "-p", "contend", "--manifest-path"])
        .arg(root.join("Cargo.toml"));
    build(cmd, &target_dir.join("build.log"), "contend")?;
    let binary = target_dir
        .join(toolchain.lane.target())
        .join("release")
        .join("contend");
    let (options, suppressions) = tsan_options(toolchain, &target_dir)?;
    let scratch = target_dir.join("runs");
    let root_text = root.display().to_string();

    let mut targets = Vec::new();
    for v in &variants {
        let command = |out_dir: &Path| {
            let mut cmd = std::process::Command::new(&binary);
            cmd.args([
                "run",
                "--workloads",
                v.name,
                "--threads",
                &args.threads.to_string(),
                "--out",
            ])
            .arg(out_dir)
            .args(small_run_args(v))
            .env("TSAN_OPTIONS", &options);
            cmd
        };
        let outcome = |finished: &process::Finished| RunOutcome {
            reports: parse_reports(&finished.stderr, &root_text),
            suppressed: suppressed_matches(&finished.stderr),
            error: process::abnormal(finished, &[0, TSAN_EXIT], args.timeout),
        };
        let dir = scratch.join(v.name.replace('/', "-"));
        let runs = process::repeat(v.name, args.runs, &dir, args.timeout, command, outcome)
            .with_context(|| format!("cannot run {}", binary.display()))?;
        targets.push(judge(v.name, v.expected_race, &runs));
    }
    Ok(detection(
        toolchain,
        (options, suppressions),
        "contend workloads".into(),
        args.threads,
        args.runs,
        targets,
    ))
}
