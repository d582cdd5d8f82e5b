//! Runs a child process to completion or a timeout, waiting blocked (no polling), with its
//! stdout and stderr in files so a chatty child can never block on a full pipe.
//!
//! The parent of a measurement (the `ab` loop, `run --forks`) must not wake up while a child's
//! sample is timed: on a 2-CPU machine every CPU holds a pinned worker, and a process that wakes
//! every 2 ms raised a contended case's per-sample CV from 2-6% to 40-46% (REFERENCE.md). So the
//! parent blocks in `recv_timeout` on a channel fed by a waiter thread that blocks in `wait()`;
//! neither runs until the child exits or the timeout fires.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How a child process ended.
#[derive(Debug)]
pub struct Ended {
    /// The exit status, or `None` when it was killed at the timeout.
    pub status: Option<ExitStatus>,
    /// Where its stderr went.
    pub stderr_path: PathBuf,
}

impl Ended {
    /// Exit code, or None when killed (by a signal or at the timeout).
    pub fn code(&self) -> Option<i32> {
        self.status.and_then(|s| s.code())
    }

    pub fn timed_out(&self) -> bool {
        self.status.is_none()
    }

    /// Everything the child wrote to stderr (lossy UTF-8; empty when unreadable).
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&std::fs::read(&self.stderr_path).unwrap_or_default()).into_owned()
    }

    /// The first stderr line that says something (`error...` preferred).
    pub fn first_error_line(&self) -> String {
        let text = self.stderr();
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        lines
            .iter()
            .find(|l| l.starts_with("error"))
            .or(lines.first())
            .map_or_else(|| "(no message on stderr)".to_string(), |l| l.to_string())
    }

    /// `exit code N`, the signal, or `killed after the timeout`.
    pub fn describe(&self) -> String {
        match self.status {
            None => "killed at the timeout".into(),
            Some(s) => match s.code() {
                Some(code) => format!("exit code {code}"),
                None => format!("{s} (crash)"),
            },
        }
    }
}

/// Runs `cmd` with stdin closed, stdout and stderr to `stdout.txt` / `stderr.txt` in `scratch`
/// (created if missing). Kills it when it runs longer than `timeout`.
pub fn run(mut cmd: Command, scratch: &Path, timeout: Duration) -> std::io::Result<Ended> {
    std::fs::create_dir_all(scratch)?;
    let stderr_path = scratch.join("stderr.txt");
    cmd.stdin(Stdio::null())
        .stdout(File::create(scratch.join("stdout.txt"))?)
        .stderr(File::create(&stderr_path)?);
    let mut child = cmd.spawn()?;
    let pid = child.id();
    crate::interrupt::set_child(Some(pid));
    let (tx, rx) = mpsc::channel();
    let waiter = std::thread::Builder::new()
        .name("child-wait".into())
        .spawn(move || {
            let _ = tx.send(child.wait());
        })?;
    let status = match rx.recv_timeout(timeout) {
        Ok(status) => Some(status?),
        Err(_) => {
            // A pid we spawned and have not reaped yet (the waiter is still blocked in wait(), so
            // the pid cannot have been reused).
            crate::platform::kill(pid);
            let _ = rx.recv();
            None
        }
    };
    let _ = waiter.join();
    crate::interrupt::set_child(None);
    Ok(Ended {
        status,
        stderr_path,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn scratch(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("contend-child-{name}-{}", std::process::id()))
    }

    #[test]
    fn a_child_that_hangs_is_killed_at_the_timeout() {
        let dir = scratch("hang");
        let mut cmd = Command::new("sleep");
        cmd.arg("30");
        let started = Instant::now();
        let end = run(cmd, &dir, Duration::from_millis(100)).unwrap();
        assert!(end.timed_out());
        assert!(started.elapsed() < Duration::from_secs(10));
        assert_eq!(end.describe(), "killed at the timeout");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn exit_code_and_stderr_are_kept() {
        let dir = scratch("code");
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo noise >&2; echo 'error: bad thing' >&2; exit 3"]);
        let end = run(cmd, &dir, Duration::from_secs(10)).unwrap();
        assert_eq!(end.code(), Some(3));
        assert_eq!(end.first_error_line(), "error: bad thing");
        assert_eq!(end.describe(), "exit code 3");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_crash_is_described_as_one() {
        let dir = scratch("crash");
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "kill -SEGV $$"]);
        let end = run(cmd, &dir, Duration::from_secs(10)).unwrap();
        assert_eq!(end.code(), None);
        assert!(!end.timed_out());
        assert!(end.describe().contains("crash"), "{}", end.describe());
        let _ = std::fs::remove_dir_all(dir);
    }
}
