//! Where runs go when `--out` is not given: `contend-results/runs/<UTC time>-<label>/`, one folder
//! per run so no run overwrites another, with `contend-results/latest` pointing at the newest and
//! `contend-results/report.html` a copy of its report.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::error::UsageError;

/// The default results root, relative to the working directory.
pub const ROOT: &str = "contend-results";
/// The link (a file holding the path, where symlinks are unavailable) to the newest run.
pub const LATEST: &str = "latest";
/// The newest report, copied beside `latest`.
pub const REPORT: &str = "report.html";

/// A label as a file-name part: ASCII letters, digits, `.`, `_` and `-`, at most 48 characters.
pub fn safe_label(label: &str) -> String {
    let cleaned: String = label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .take(48)
        .collect();
    let trimmed = cleaned.trim_matches(|c| c == '-' || c == '.');
    if trimmed.is_empty() {
        "run".into()
    } else {
        trimmed.to_string()
    }
}

/// `20261130T185634Z`: UTC, sortable, valid in file names everywhere.
pub fn stamp(at: SystemTime) -> String {
    let rfc = humantime::format_rfc3339_seconds(at).to_string(); // 2026-11-30T18:56:34Z
    rfc.chars().filter(|c| *c != '-' && *c != ':').collect()
}

/// Creates a new, empty run folder under `root/runs/`, named by `at` and `label`; a name already
/// taken (two runs in one second) gets `-2`, `-3`, ... Creating the folder claims it, so two runs
/// started at once never share one.
pub fn new_run_dir(root: &Path, label: &str, at: SystemTime) -> Result<PathBuf, UsageError> {
    let runs = root.join("runs");
    let fail = |e: std::io::Error| {
        UsageError::new(format!(
            "{}: cannot create a run folder: {e}",
            runs.display()
        ))
    };
    std::fs::create_dir_all(&runs).map_err(fail)?;
    let base = format!("{}-{}", stamp(at), safe_label(label));
    for n in 1..1000 {
        let name = if n == 1 {
            base.clone()
        } else {
            format!("{base}-{n}")
        };
        let dir = runs.join(name);
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(fail(e)),
        }
    }
    Err(UsageError::new(format!(
        "{}: 999 runs named {base} already",
        runs.display()
    )))
}

/// Where this run's files go: exactly `--out`, or a new run folder under [`ROOT`].
#[derive(Debug, Clone)]
pub struct Destination {
    pub dir: PathBuf,
    /// The results root the folder was created in (`None` with `--out`: nothing else is touched).
    pub root: Option<PathBuf>,
}

impl Destination {
    /// `out` when given, else a new run folder under [`ROOT`] named by now and `label`.
    pub fn choose(out: Option<&Path>, label: &str) -> Result<Destination, UsageError> {
        match out {
            Some(dir) => Ok(Destination {
                dir: dir.to_path_buf(),
                root: None,
            }),
            None => Ok(Destination {
                dir: new_run_dir(Path::new(ROOT), label, SystemTime::now())?,
                root: Some(PathBuf::from(ROOT)),
            }),
        }
    }

    /// For a run folder that nothing was written to (the command stopped before measuring):
    /// removes it, so a refused command leaves no empty run behind. `--out` is left alone.
    pub fn abandon_if_empty(&self) {
        if self.root.is_some() {
            // remove_dir fails on a folder with anything in it, which is what we want.
            let _ = std::fs::remove_dir(&self.dir);
        }
    }

    /// For a run folder: points `latest` at it and copies its report (see [`publish_latest`]).
    pub fn publish(&self) -> std::io::Result<Option<(PathBuf, Option<PathBuf>)>> {
        match &self.root {
            Some(root) => publish_latest(root, &self.dir).map(Some),
            None => Ok(None),
        }
    }
}

/// Points `root/latest` at `run_dir` (a relative symlink, replaced atomically) and copies the
/// run's report to `root/report.html` when there is one. Returns the two paths.
pub fn publish_latest(root: &Path, run_dir: &Path) -> std::io::Result<(PathBuf, Option<PathBuf>)> {
    let latest = root.join(LATEST);
    let target = run_dir.strip_prefix(root).unwrap_or(run_dir);
    let tmp = root.join(format!(".{LATEST}.{}.tmp", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    #[cfg(unix)]
    std::os::unix::fs::symlink(target, &tmp)?;
    #[cfg(not(unix))]
    std::fs::write(&tmp, target.to_string_lossy().as_bytes())?;
    std::fs::rename(&tmp, &latest)?;
    let report = run_dir.join(REPORT);
    if !report.is_file() {
        return Ok((latest, None));
    }
    let copy = root.join(REPORT);
    crate::output::write_atomically(&copy, &std::fs::read(&report)?)?;
    Ok((latest, Some(copy)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn labels_become_safe_file_names() {
        assert_eq!(safe_label("my host"), "my-host");
        assert_eq!(
            safe_label("<script>alert(1)</script>"),
            "script-alert-1---script"
        );
        assert_eq!(safe_label("../../etc"), "etc");
        assert_eq!(safe_label("///"), "run");
        assert_eq!(safe_label(&"x".repeat(100)).len(), 48);
    }

    #[test]
    fn stamps_sort_as_time() {
        let t = UNIX_EPOCH + Duration::from_secs(1_796_065_000);
        assert_eq!(stamp(t), "20261130T185640Z");
        assert!(stamp(t) < stamp(t + Duration::from_secs(1)));
    }

    #[test]
    fn two_runs_in_one_second_get_two_folders_and_latest_follows() {
        let root = tempfile::tempdir().unwrap();
        let at = UNIX_EPOCH + Duration::from_secs(1_796_065_000);
        let a = new_run_dir(root.path(), "host", at).unwrap();
        let b = new_run_dir(root.path(), "host", at).unwrap();
        assert_ne!(a, b);
        assert!(b.to_string_lossy().ends_with("-host-2"), "{}", b.display());
        std::fs::write(a.join(REPORT), "first").unwrap();
        publish_latest(root.path(), &a).unwrap();
        std::fs::write(b.join(REPORT), "second").unwrap();
        let (latest, copy) = publish_latest(root.path(), &b).unwrap();
        assert_eq!(
            std::fs::read_to_string(latest.join(REPORT)).unwrap(),
            "second"
        );
        assert_eq!(std::fs::read_to_string(copy.unwrap()).unwrap(), "second");
        assert_eq!(std::fs::read_to_string(a.join(REPORT)).unwrap(), "first");
    }
}
