//! One sample of one side: an invocation of that side's binary through its ordinary CLI
//! (`BIN run --samples 1 ...`), with a timeout, read back from its `results.json`.
//!
//! Going through the CLI keeps the A/B loop independent of the base's internals: any version
//! that understands the options and writes the same schema can be a base.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use contend_reports::schema::{CaseStatus, ReadError, Results, Validation, parse_results};

use super::schedule::Throughput;

/// Why a sample could not be taken.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SampleError {
    /// The binary does not run or does not understand the options: the whole A/B is bad input.
    #[error("{0}")]
    Fatal(String),
    /// This case cannot be compared (failed validation, timeout, crash); the others go on.
    #[error("{0}")]
    NotComparable(String),
    /// Proven but unusable (no work completed in the window): measure the pair again.
    #[error("{0}")]
    Unusable(String),
}

/// One side of the A/B: a binary and where its runs write.
#[derive(Debug, Clone)]
pub struct Side {
    /// `base` or `head`.
    pub name: &'static str,
    pub binary: PathBuf,
    /// Scratch directory for this side's `results.json` (and whatever else `run` writes).
    pub work_dir: PathBuf,
    /// Arguments this side adds after the common ones (e.g. a calibration's extra work).
    pub extra_args: Vec<String>,
}

/// One validated single-sample run of one side: the results file with exactly one case.
#[derive(Debug, Clone)]
pub struct Measured {
    pub results: Results,
}

impl Throughput for Measured {
    fn throughput(&self) -> f64 {
        self.results.cases[0].samples[0].throughput
    }
}

impl Side {
    /// Runs `BIN run ARGS --out WORK_DIR EXTRA` and returns its one sample of case `key`.
    /// A run exceeding `timeout` is killed.
    pub fn sample(
        &self,
        args: &[String],
        key: &str,
        timeout: Duration,
    ) -> Result<Measured, SampleError> {
        let results_path = self.work_dir.join(crate::output::RESULTS_FILE);
        let stderr_path = self.work_dir.join("stderr.txt");
        let _ = std::fs::remove_file(&results_path);
        std::fs::create_dir_all(&self.work_dir).map_err(|e| {
            SampleError::Fatal(format!("{}: cannot create: {e}", self.work_dir.display()))
        })?;
        let stderr = File::create(&stderr_path).map_err(|e| {
            SampleError::Fatal(format!("{}: cannot create: {e}", stderr_path.display()))
        })?;
        let mut child = Command::new(&self.binary)
            .arg("run")
            .args(args)
            .arg("--out")
            .arg(&self.work_dir)
            .args(&self.extra_args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .map_err(|e| {
                SampleError::Fatal(format!(
                    "{} binary {}: cannot run: {e}",
                    self.name,
                    self.binary.display()
                ))
            })?;
        let status = wait_with_timeout(&mut child, timeout).map_err(|e| {
            SampleError::Fatal(format!("{} binary: cannot wait for it: {e}", self.name))
        })?;
        let Some(status) = status else {
            return Err(SampleError::NotComparable(format!(
                "{}: killed after the {:.0?} timeout",
                self.name, timeout
            )));
        };
        let stderr_line = || first_error_line(&stderr_path);
        match status.code() {
            Some(0 | 1) => {}
            Some(2) => {
                return Err(SampleError::Fatal(format!(
                    "{} binary {} rejected `run {}`: {}",
                    self.name,
                    self.binary.display(),
                    args.join(" "),
                    stderr_line()
                )));
            }
            _ => {
                return Err(SampleError::NotComparable(format!(
                    "{}: {}: {}",
                    self.name,
                    describe(status),
                    stderr_line()
                )));
            }
        }
        let text = std::fs::read_to_string(&results_path).map_err(|e| {
            SampleError::Fatal(format!(
                "{} binary exited with {} but wrote no {}: {e}",
                self.name,
                describe(status),
                results_path.display()
            ))
        })?;
        let results =
            parse_results(&text, &format!("{}'s results", self.name)).map_err(|e| match e {
                ReadError::Version { .. } | ReadError::Json { .. } => {
                    SampleError::Fatal(e.to_string())
                }
                _ => SampleError::NotComparable(e.to_string()),
            })?;
        check(self.name, results, key)
    }
}

/// Accepts a single-sample result of case `key` only if it ran and was proven.
fn check(side: &str, results: Results, key: &str) -> Result<Measured, SampleError> {
    let [case] = results.cases.as_slice() else {
        return Err(SampleError::Fatal(format!(
            "{side}: expected one case, the results have {}",
            results.cases.len()
        )));
    };
    if case.key() != key {
        return Err(SampleError::NotComparable(format!(
            "{side}: ran {} instead of {key}",
            case.key()
        )));
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
        _ if case.samples.len() != 1 => Some(format!("{} samples, expected 1", case.samples.len())),
        _ if !(case.samples[0].throughput.is_finite() && case.samples[0].throughput > 0.0) => {
            return Err(SampleError::Unusable(format!(
                "{side}: throughput {} ({} units in {} ns)",
                case.samples[0].throughput, case.samples[0].ops, case.samples[0].elapsed_ns
            )));
        }
        _ => None,
    };
    match why {
        Some(why) => Err(SampleError::NotComparable(format!("{side}: {why}"))),
        None => Ok(Measured { results }),
    }
}

/// Waits for `child` up to `timeout`; kills it and returns `None` when it takes longer.
fn wait_with_timeout(
    child: &mut std::process::Child,
    timeout: Duration,
) -> std::io::Result<Option<ExitStatus>> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Ok(None);
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn describe(status: ExitStatus) -> String {
    match status.code() {
        Some(code) => format!("exit code {code}"),
        None => format!("{status}"),
    }
}

/// The first line of a side's stderr that says something (`error: ...` preferred).
fn first_error_line(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_binary_is_fatal_and_named() {
        let dir = std::env::temp_dir().join(format!("contend-ab-test-{}", std::process::id()));
        let side = Side {
            name: "base",
            binary: "/nonexistent/contend".into(),
            work_dir: dir.clone(),
            extra_args: Vec::new(),
        };
        let e = side
            .sample(&[], "counter/atomic@1/compact", Duration::from_secs(1))
            .unwrap_err();
        let _ = std::fs::remove_dir_all(&dir);
        match e {
            SampleError::Fatal(msg) => assert!(msg.contains("/nonexistent/contend"), "{msg}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_run_that_hangs_is_killed_at_the_timeout() {
        let mut child = Command::new("sleep").arg("10").spawn().unwrap();
        let status = wait_with_timeout(&mut child, Duration::from_millis(50)).unwrap();
        assert!(status.is_none());
    }
}
