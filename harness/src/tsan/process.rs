//! Runs one instrumented process with a timeout and collects its stderr.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How an instrumented process ended.
#[derive(Debug)]
pub struct Finished {
    pub stderr: String,
    /// Exit code, or None when killed by a signal or by the timeout.
    pub code: Option<i32>,
    pub timed_out: bool,
}

/// Runs `cmd` to completion or until `timeout` (then kills it); output goes through files in
/// `scratch` so a chatty process can never block on a full pipe.
pub fn run_with_timeout(
    mut cmd: Command,
    scratch: &Path,
    timeout: Duration,
) -> std::io::Result<Finished> {
    std::fs::create_dir_all(scratch)?;
    let (out_path, err_path) = (scratch.join("stdout.txt"), scratch.join("stderr.txt"));
    // stdout is kept in the scratch directory for whoever wants to read it; only stderr is parsed.
    cmd.stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path)?)
        .stderr(std::fs::File::create(&err_path)?);
    let mut child = cmd.spawn()?;
    let deadline = Instant::now() + timeout;
    let (status, timed_out) = loop {
        if let Some(status) = child.try_wait()? {
            break (Some(status), false);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            break (None, true);
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let read =
        |p: &Path| String::from_utf8_lossy(&std::fs::read(p).unwrap_or_default()).into_owned();
    Ok(Finished {
        stderr: read(&err_path),
        code: status.and_then(|s| s.code()),
        timed_out,
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
