//! One fork: a fresh `contend run` process measuring one case, read back from its results file
//! and classified as measured, broken (the build under test misbehaved) or rejected (bad input).
//!
//! Going through the ordinary CLI keeps the caller independent of the child's internals: any
//! build that understands the options and writes the same schema can be measured this way.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use contend_reports::schema::{Case, CaseStatus, ReadError, Results, Validation, parse_results};

use crate::cli::RunArgs;
use crate::plan::Plan;

/// What a fork gave.
#[derive(Debug, Clone)]
pub enum ForkResult {
    /// The case ran and every sample was proven; `results` holds exactly that one case.
    Measured(Box<Results>),
    /// The case failed validation, deadlocked, errored, crashed, timed out, or did no work:
    /// the build is broken for this case. `case` is its one case when a results file was written.
    Broken {
        why: String,
        case: Option<Box<Case>>,
    },
    /// The case ran and was proven, but a sample completed no work in its window. A build that
    /// does nothing is broken, but a host that stalls the vCPUs for a whole window looks the
    /// same once, so the caller decides (`ab` breaks a case on the second such fork).
    Idle { why: String, case: Box<Case> },
    /// The binary could not run or rejected the options (exit 2): the request itself is bad.
    Rejected(String),
}

/// A case as a child process sees it: the caller's `run` options narrowed to one case with an
/// explicit timing, so nothing depends on the child's own defaults.
pub fn case_args(base: &RunArgs, plan: &Plan, variant: &str, threads: usize) -> RunArgs {
    RunArgs {
        workloads: vec![variant.to_string()],
        threads: Some(threads.to_string()),
        samples: Some(plan.timing.samples),
        forks: 1,
        warmup: Some(plan.timing.warmup),
        duration: Some(plan.timing.duration),
        quick: false,
        include_racy: false,
        label: None,
        no_overhead: true,
        ..base.clone()
    }
}

/// How long a fork of `plan`'s timing may take before it is killed: ten times its windows, the
/// stall timeout, and 5 s for start-up.
pub fn timeout(plan: &Plan) -> Duration {
    let t = &plan.timing;
    (t.warmup + t.duration * t.samples) * 10 + t.stall_timeout + Duration::from_secs(5)
}

/// Runs `binary run ARGS --out SCRATCH` for case `key` and classifies what came back.
pub fn run_fork(
    binary: &Path,
    args: &RunArgs,
    key: &str,
    scratch: &Path,
    timeout: Duration,
) -> ForkResult {
    let args = RunArgs {
        out: Some(scratch.to_path_buf()),
        ..args.clone()
    };
    let results_path: PathBuf = scratch.join(crate::output::RESULTS_FILE);
    let _ = std::fs::remove_file(&results_path);
    let mut cmd = Command::new(binary);
    cmd.arg("run").args(crate::forward::to_argv(&args));
    // Its own process group: the terminal's Ctrl-C reaches only the parent, which lets this fork
    // finish its sample (module `interrupt`) instead of seeing it die as if it had crashed.
    crate::platform::own_process_group(&mut cmd);
    let end = match crate::child::run(cmd, scratch, timeout) {
        Ok(end) => end,
        Err(e) => return ForkResult::Rejected(format!("{}: cannot run: {e}", binary.display())),
    };
    match end.code() {
        Some(0 | 1) => {}
        Some(2) => {
            return ForkResult::Rejected(format!(
                "{} rejected `run {}`: {}",
                binary.display(),
                crate::forward::to_argv(&args).join(" "),
                end.first_error_line()
            ));
        }
        _ => {
            return ForkResult::Broken {
                why: format!("{}: {}", end.describe(), end.first_error_line()),
                case: None,
            };
        }
    }
    let text = match std::fs::read_to_string(&results_path) {
        Ok(t) => t,
        Err(e) => {
            return ForkResult::Broken {
                why: format!("{} but no results file: {e}", end.describe()),
                case: None,
            };
        }
    };
    match parse_results(&text, &binary.display().to_string()) {
        Ok(results) => classify(results, key),
        Err(e @ (ReadError::Version { .. } | ReadError::Json { .. })) => {
            ForkResult::Rejected(e.to_string())
        }
        Err(e) => ForkResult::Broken {
            why: e.to_string(),
            case: None,
        },
    }
}

/// Accepts a results file of case `key` only if it ran, was proven, and did work.
pub fn classify(results: Results, key: &str) -> ForkResult {
    let [case] = results.cases.as_slice() else {
        return ForkResult::Rejected(format!(
            "expected one case ({key}), the results have {}",
            results.cases.len()
        ));
    };
    if case.key() != key {
        return ForkResult::Rejected(format!("ran {} instead of {key}", case.key()));
    }
    let why = match (&case.status, &case.validation) {
        (_, Validation::Failed { first_error, .. }) => {
            Some(format!("failed validation: {first_error}"))
        }
        (CaseStatus::Deadlocked { stall_ms, .. }, _) => {
            Some(format!("deadlocked (no progress for {stall_ms} ms)"))
        }
        (CaseStatus::Error { message }, _) => Some(format!("error: {message}")),
        (CaseStatus::Failed, _) => Some("failed".into()),
        (_, Validation::NotRun) => Some("not run".into()),
        _ if case.samples.is_empty() => Some("no samples".into()),
        _ => {
            let idle = case
                .samples
                .iter()
                .find(|s| !(s.throughput.is_finite() && s.throughput > 0.0));
            if let Some(s) = idle {
                let disturbed = s
                    .evidence
                    .as_ref()
                    .map(|e| e.disturbed.join(", "))
                    .filter(|d| !d.is_empty())
                    .map_or(String::new(), |d| format!(", disturbed: {d}"));
                return ForkResult::Idle {
                    why: format!(
                        "did no work: {} units in {} ns{disturbed}",
                        s.ops, s.elapsed_ns
                    ),
                    case: Box::new(case.clone()),
                };
            }
            None
        }
    };
    match why {
        Some(why) => ForkResult::Broken {
            why,
            case: Some(Box::new(case.clone())),
        },
        None => ForkResult::Measured(Box::new(results)),
    }
}

/// The median throughput of a measured fork's one case: its value as one replicate.
pub fn fork_value(results: &Results) -> f64 {
    let t: Vec<f64> = results.cases[0]
        .samples
        .iter()
        .map(|s| s.throughput)
        .collect();
    contend_reports::stats::median(&t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_binary_is_rejected_and_named() {
        let dir = std::env::temp_dir().join(format!("contend-fork-test-{}", std::process::id()));
        let r = run_fork(
            Path::new("/nonexistent/contend"),
            &crate::forward::defaults(),
            "counter/atomic@1/compact",
            &dir,
            Duration::from_secs(5),
        );
        let _ = std::fs::remove_dir_all(&dir);
        match r {
            ForkResult::Rejected(msg) => assert!(msg.contains("/nonexistent/contend"), "{msg}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    #[cfg(unix)] // a shell script that kills itself with SIGABRT
    fn a_crashing_binary_is_broken_not_rejected() {
        let dir = std::env::temp_dir().join(format!("contend-fork-crash-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let script = dir.join("crash.sh");
        std::fs::write(
            &script,
            "#!/bin/sh\necho 'thread panicked' >&2\nkill -ABRT $$\n",
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        let r = run_fork(
            &script,
            &crate::forward::defaults(),
            "counter/atomic@1/compact",
            &dir.join("work"),
            Duration::from_secs(5),
        );
        let _ = std::fs::remove_dir_all(&dir);
        match r {
            ForkResult::Broken { why, case: None } => assert!(why.contains("crash"), "{why}"),
            other => panic!("{other:?}"),
        }
    }
}
