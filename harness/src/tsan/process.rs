//! Runs one instrumented process with a timeout and collects its stderr.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

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
