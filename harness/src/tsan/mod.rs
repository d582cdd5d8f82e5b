//! `contend tsan`: builds the workloads (or a user's tests) with ThreadSanitizer, runs every target
//! in its own process several times, and judges each against its expectation.

mod evidence;
pub mod lane;
mod matrix;
mod parse;
mod process;
pub mod sarif;
mod schedule;
mod tests_mode;
mod verdict;
mod workloads;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use contend_reports::schema::{RaceDetection, RaceVerdict};

pub use lane::{Lane, Toolchain};
pub use matrix::Score;
pub use parse::{Report, parse_reports, suppressed_matches};
pub use verdict::{Expect, RunOutcome, judge};

use crate::cli::TsanArgs;
use crate::error::UsageError;
use crate::output::OutputDir;
use crate::results_dir::Destination;

/// ThreadSanitizer's options for every process: collect every report (`halt_on_error=0`), keep the
/// longest history TSan offers (`history_size=7`: a race's previous access can still be named about
/// 300,000 memory events later in its thread, against about 130,000 at the default 2; the cost is
/// in the README), report lock-order inversions of annotated locks with both stacks, and say at
/// exit how many reports a suppression hid (counted in the verdict, never silent).
pub const TSAN_OPTIONS: &str = "halt_on_error=0 exitcode=66 history_size=7 detect_deadlocks=1 \
                                second_deadlock_stack=1 print_suppressions=1";
/// Exit code TSan gives a process that reported (see `exitcode=` above).
pub const TSAN_EXIT: i32 = 66;
/// Suppressions for every lane: races inside dependencies that their authors document as deliberate.
const DEPENDENCY_SUPPRESSIONS: &str = include_str!("../../tsan-suppressions-dependencies.txt");
/// Suppressions for the crate-only lane: std-internal synchronization it cannot see.
const CRATE_ONLY_SUPPRESSIONS: &str = include_str!("../../tsan-suppressions.txt");
/// A user crate's own suppressions: this file beside its Cargo.toml, applied in every lane.
pub const OWN_SUPPRESSIONS: &str = "tsan-suppressions.txt";

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
/// every lane, the std-internal rules in the crate-only lane, and `own` (a user crate's file) last;
/// the user's `--tsan-options` come after contend's flags. Returns the options and the rules.
fn tsan_options(
    toolchain: &Toolchain,
    args: &TsanArgs,
    dir: &Path,
    own: Option<&Path>,
) -> anyhow::Result<(String, Vec<String>)> {
    let mut text = DEPENDENCY_SUPPRESSIONS.to_string();
    if !toolchain.lane.instruments_std() {
        text.push_str(CRATE_ONLY_SUPPRESSIONS);
    }
    if let Some(own) = own {
        let rules = std::fs::read_to_string(own)
            .map_err(|e| UsageError::new(format!("{}: cannot read: {e}", own.display())))?;
        text.push_str(&format!("# {}\n{rules}\n", own.display()));
    }
    std::fs::create_dir_all(dir)?;
    let path = dir.join("tsan-suppressions.txt");
    std::fs::write(&path, &text)?;
    let rules = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect();
    let mut options = format!("{TSAN_OPTIONS} suppressions={}", path.display());
    if let Some(extra) = &args.tsan_options {
        options.push(' ');
        options.push_str(extra);
    }
    Ok((options, rules))
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

/// What examining a subject produced: the verdicts, and every distinct report for SARIF.
struct Examined {
    detection: RaceDetection,
    findings: Vec<sarif::Finding>,
    /// The examined source tree (result paths in SARIF are relative to its checkout).
    project: PathBuf,
}

/// Judges target `name` and adds its verifiable reports to `findings` (`project`: the source tree).
fn judge_target(
    name: &str,
    expect: Expect,
    runs: &[RunOutcome],
    (findings, project): (&mut Vec<sarif::Finding>, &Path),
) -> RaceVerdict {
    let project = project.display().to_string();
    for r in runs.iter().flat_map(|r| &r.reports) {
        sarif::collect(findings, name, expect != Expect::Clean, r, &project);
    }
    judge(name, expect, runs)
}

/// The evidence check for `toolchain`'s lane on the source tree `project`: std-internal
/// synchronization where std is not instrumented, nothing elsewhere.
fn unseen_check(
    toolchain: &Toolchain,
    project: &Path,
) -> impl Fn(&Report) -> Option<String> + use<> {
    let check = !toolchain.lane.instruments_std();
    let project = project.display().to_string();
    move |r| {
        if check {
            evidence::unseen_sync(r, &project)
        } else {
            None
        }
    }
}

/// Writes `text` to `path` atomically (a temporary file beside it, then a rename).
fn write_atomically(path: &Path, text: &str) -> anyhow::Result<()> {
    let tmp = path.with_extension("sarif.tmp");
    std::fs::write(&tmp, text).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

pub fn tsan(args: &TsanArgs, argv: Vec<String>) -> anyhow::Result<ExitCode> {
    if !cfg!(target_os = "linux") {
        return Err(UsageError::new(
            "contend tsan runs on Linux only (its lanes build for x86_64-unknown-linux-gnu)",
        )
        .into());
    }
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
    if let Some(path) = &args.sarif {
        sarif::check_writable(path).map_err(UsageError::new)?;
    }
    let started = Instant::now();
    let toolchain = choose_lane(args.lane)?;
    let destination = Destination::choose(args.out.as_deref(), "tsan")?;
    OutputDir::prepare(&destination.dir)?;
    let examined = match &args.manifest_path {
        Some(manifest) => tests_mode::examine(manifest, &toolchain, args),
        None => workloads::examine(&toolchain, args),
    }
    .inspect_err(|_| destination.abandon_if_empty())?;
    let detection = RaceDetection {
        elapsed_ms: started.elapsed().as_millis() as u64,
        ..examined.detection
    };
    crate::colour::print(&matrix::render(&detection));
    for t in detection
        .targets
        .iter()
        .filter(|t| !t.matches_expectation && !t.is_unverifiable())
    {
        if !t.raw_report.is_empty() {
            eprintln!(
                "first report of {} ({}):\n{}",
                t.name, t.verdict, t.raw_report
            );
        }
    }
    let all_settled = detection
        .targets
        .iter()
        .all(|t| t.matches_expectation || t.is_unverifiable());
    if let Some(path) = &args.sarif {
        let root = sarif::source_root(&examined.project);
        let text = sarif::render(
            &examined.findings,
            &examined.project,
            &root,
            &detection.lane,
            env!("CARGO_PKG_VERSION"),
        );
        write_atomically(path, &text)?;
        println!("sarif:   {}", path.display());
    }
    let path = store(&destination.dir, detection, argv)?;
    println!("results: {}", path.display());
    if let Some((latest, _)) = destination.publish()? {
        println!("latest:  {}", latest.display());
    }
    Ok(if all_settled {
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
    targets: Vec<RaceVerdict>,
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
        settle_hint: targets
            .iter()
            .any(RaceVerdict::is_unverifiable)
            .then(|| evidence::BETTER_LANE_HINT.to_string()),
        targets,
    }
}
