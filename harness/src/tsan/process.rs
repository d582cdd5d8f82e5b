//! Runs instrumented processes with a timeout and collects their stderr: one run, or a target's
//! repeated runs (the loop `contend tsan` and its `--manifest-path` mode share).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use super::parse::tsan_fatal;
use super::schedule::{Schedule, allowed_cpus};
use super::verdict::RunOutcome;

/// How an instrumented process ended.
#[derive(Debug)]
pub struct Finished {
    pub stderr: String,
    /// Exit code, or None when killed by a signal or by the timeout.
    pub code: Option<i32>,
    pub timed_out: bool,
}

/// Runs `cmd` to completion or until `timeout` (then kills it), waiting blocked
/// ([`crate::child::run`]); output goes through files in `scratch`.
pub fn run_with_timeout(
    cmd: Command,
    scratch: &Path,
    timeout: Duration,
) -> std::io::Result<Finished> {
    let end = crate::child::run(cmd, scratch, timeout)?;
    Ok(Finished {
        stderr: end.stderr(),
        code: end.code(),
        timed_out: end.timed_out(),
    })
}

/// A one-line description of an abnormal end, or None for exit codes `ok` accepts.
pub fn abnormal(f: &Finished, ok: &[i32], timeout: Duration) -> Option<String> {
    if f.timed_out {
        return Some(format!("timed out after {} s", timeout.as_secs()));
    }
    match f.code {
        Some(c) if ok.contains(&c) => None,
        Some(c) => {
            let last = f
                .stderr
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("")
                .trim();
            Some(format!("exited with code {c}: {last}"))
        }
        None => Some("killed by a signal (crash)".into()),
    }
}

/// How many runs a target gets: `base` always, and `extra` more (see `schedule`) when the base runs
/// produced no verifiable report.
#[derive(Debug, Clone, Copy)]
pub struct Runs {
    pub base: u32,
    pub extra: u32,
}

/// Runs target `name` per `runs`, run `r` in `scratch/r` with the command `command` builds for that
/// folder and schedule, and judges each run with `outcome` (given its folder); a ThreadSanitizer fatal error in the
/// output overrides the run's error (the run could not be judged). Progress goes to stderr.
pub fn repeat(
    name: &str,
    runs: Runs,
    scratch: &Path,
    timeout: Duration,
    command: impl Fn(&Path, &Schedule) -> Command,
    outcome: impl Fn(&Finished, &Path) -> RunOutcome,
) -> std::io::Result<Vec<RunOutcome>> {
    let cpus = allowed_cpus();
    let mut outcomes: Vec<RunOutcome> = Vec::new();
    for run in 1..=runs.base + runs.extra {
        if run > runs.base && outcomes.iter().any(|o| !o.reports.is_empty()) {
            break;
        }
        let schedule = Schedule::for_run(run, runs.base, &cpus);
        if schedule.extra {
            eprintln!(
                "tsan: {name} extra run {}/{} ({}: no verifiable report yet)",
                run - runs.base,
                runs.extra,
                schedule.describe()
            );
        } else {
            eprintln!("tsan: {name} run {run}/{}", runs.base);
        }
        let dir = scratch.join(run.to_string());
        let mut cmd = command(&dir, &schedule);
        schedule.apply(&mut cmd);
        let finished = run_with_timeout(cmd, &dir, timeout)?;
        let mut judged = outcome(&finished, &dir);
        if let Some(fatal) = tsan_fatal(&finished.stderr) {
            judged.error = Some(fatal);
        }
        judged.schedule = schedule.describe();
        outcomes.push(judged);
    }
    Ok(outcomes)
}
