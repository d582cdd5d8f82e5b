//! Run folders and the history from the command line: runs never overwrite each other, every run
//! is recorded, baselines are saved and compared, a killed or concurrent writer loses nothing,
//! and bad files are refused with exit 2.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{assert_run_refuses, contend};

/// A short run: one case, few short samples.
const SHORT: &[&str] = &[
    "run",
    "-w",
    "counter/atomic",
    "-t",
    "1",
    "--no-overhead",
    "--samples",
    "3",
    "--warmup",
    "5ms",
    "--duration",
    "10ms",
];

fn stdout_of(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stdout).into_owned()
}

fn stderr_of(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stderr).into_owned()
}

fn runs_in(history: &Path) -> i64 {
    let conn = rusqlite::Connection::open(history).unwrap();
    conn.query_row("SELECT count(*) FROM runs", [], |r| r.get(0))
        .unwrap()
}

fn run_folders(root: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root.join("runs"))
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    dirs.sort();
    dirs
}

/// A results file from a short run written to `dir` (no history).
fn results_file(dir: &Path, label: &str) -> PathBuf {
    let out = dir.join(label);
    contend()
        .args(SHORT)
        .args(["--label", label, "--out"])
        .arg(&out)
        .assert()
        .success();
    out.join("results.json")
}

#[test]
fn two_runs_leave_two_folders_latest_and_a_history_of_two() {
    let cwd = tempfile::tempdir().unwrap();
    for _ in 0..2 {
        let a = contend()
            .current_dir(cwd.path())
            .args(SHORT)
            .assert()
            .success();
        let out = stdout_of(&a);
        assert!(out.contains("results: contend-results/runs/"), "{out}");
        assert!(out.contains("latest:  contend-results/latest"), "{out}");
        assert!(
            out.contains("history: contend-results/history.sqlite"),
            "{out}"
        );
    }
    let root = cwd.path().join("contend-results");
    let folders = run_folders(&root);
    assert_eq!(folders.len(), 2, "{folders:?}");
    for f in &folders {
        assert!(f.join("results.json").is_file() && f.join("report.html").is_file());
    }
    let latest = std::fs::canonicalize(root.join("latest")).unwrap();
    assert_eq!(latest, std::fs::canonicalize(&folders[1]).unwrap());
    assert_eq!(
        std::fs::read(root.join("report.html")).unwrap(),
        std::fs::read(folders[1].join("report.html")).unwrap()
    );
    assert_eq!(runs_in(&root.join("history.sqlite")), 2);
    let a = contend()
        .current_dir(cwd.path())
        .arg("history")
        .assert()
        .success();
    assert!(
        stdout_of(&a).contains("counter/atomic@1/cores-first"),
        "{}",
        stdout_of(&a)
    );
    assert!(stdout_of(&a).contains("2 runs"), "{}", stdout_of(&a));
}

#[test]
fn out_writes_exactly_there_and_records_only_when_asked() {
    let cwd = tempfile::tempdir().unwrap();
    contend()
        .current_dir(cwd.path())
        .args(SHORT)
        .args(["--out", "here"])
        .assert()
        .success();
    assert!(cwd.path().join("here/results.json").is_file());
    assert!(!cwd.path().join("contend-results").exists());
    contend()
        .current_dir(cwd.path())
        .args(SHORT)
        .args(["--out", "here", "--history", "h.sqlite"])
        .assert()
        .success();
    assert_eq!(runs_in(&cwd.path().join("h.sqlite")), 1);
    contend()
        .current_dir(cwd.path())
        .args(SHORT)
        .arg("--no-history")
        .assert()
        .success();
    assert!(!cwd.path().join("contend-results/history.sqlite").exists());
}

#[test]
fn a_saved_baseline_is_compared_through_the_gate() {
    let cwd = tempfile::tempdir().unwrap();
    let forked = ["--forks", "5"];
    contend()
        .current_dir(cwd.path())
        .args(SHORT)
        .args(forked)
        .args(["--save-baseline", "before"])
        .assert()
        .success();
    // Ten times the work per increment: a regression far beyond the 5% threshold.
    let a = contend()
        .current_dir(cwd.path())
        .args(SHORT)
        .args(forked)
        .args(["--think-work", "400", "--baseline", "before"])
        .assert()
        .code(1);
    let out = stdout_of(&a);
    assert!(out.contains("against baseline \"before\""), "{out}");
    assert!(out.contains("regressed"), "{out}");
    // The same comparison afterwards from the files.
    let a = contend()
        .current_dir(cwd.path())
        .args(["compare", "--baseline", "before"])
        .assert()
        .code(1);
    assert!(stdout_of(&a).contains("regressed"), "{}", stdout_of(&a));
    let a = contend()
        .current_dir(cwd.path())
        .args(["history", "baselines"])
        .assert()
        .success();
    assert!(stdout_of(&a).starts_with("before "), "{}", stdout_of(&a));
}

#[test]
fn an_unknown_baseline_is_refused_before_anything_is_measured() {
    let cwd = tempfile::tempdir().unwrap();
    contend()
        .current_dir(cwd.path())
        .args(SHORT)
        .args(["--save-baseline", "main"])
        .assert()
        .success();
    let a = contend()
        .current_dir(cwd.path())
        .args(SHORT)
        .args(["--baseline", "mian"])
        .assert()
        .code(2);
    let err = stderr_of(&a);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains("no baseline named \"mian\"; known: main"),
        "{err}"
    );
    assert_eq!(run_folders(&cwd.path().join("contend-results")).len(), 1);
    let a = contend()
        .current_dir(cwd.path())
        .args(["compare", "--baseline", "mian"])
        .assert()
        .code(2);
    assert!(stderr_of(&a).contains("known: main"), "{}", stderr_of(&a));
    assert_run_refuses(&["--save-baseline", "a b"]);
    assert_run_refuses(&["--no-history", "--baseline", "main"]);
}

#[test]
fn a_corrupt_or_foreign_history_is_refused_unchanged() {
    let cwd = tempfile::tempdir().unwrap();
    let bad = cwd.path().join("bad.sqlite");
    std::fs::write(&bad, "not a database at all, just text\n".repeat(200)).unwrap();
    let before = std::fs::read(&bad).unwrap();
    for args in [
        vec![
            "run",
            "--history",
            "bad.sqlite",
            "-w",
            "counter/atomic",
            "-t",
            "1",
        ],
        vec!["history", "--history", "bad.sqlite"],
    ] {
        let a = contend()
            .current_dir(cwd.path())
            .args(&args)
            .assert()
            .code(2);
        let err = stderr_of(&a);
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(
            err.contains("bad.sqlite: not a usable contend history"),
            "{err}"
        );
    }
    assert_eq!(std::fs::read(&bad).unwrap(), before);
    assert!(
        !cwd.path().join("contend-results").exists(),
        "measured before refusing"
    );
    let a = contend()
        .current_dir(cwd.path())
        .args(["history", "--history", "none.sqlite"])
        .assert()
        .code(2);
    assert!(stderr_of(&a).contains("no history there yet"));
}

#[test]
fn import_reads_every_file_first_and_skips_what_it_has() {
    let dir = tempfile::tempdir().unwrap();
    let good = results_file(dir.path(), "one");
    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, "{\"schema_version\": 1").unwrap();
    let history = dir.path().join("h.sqlite");
    contend()
        .args(["history", "import"])
        .arg(&good)
        .arg(&broken)
        .arg("--history")
        .arg(&history)
        .assert()
        .code(2);
    assert!(!history.exists() || runs_in(&history) == 0);
    for expected in [
        "1 run(s) imported, 0 already there",
        "0 run(s) imported, 1 already there",
    ] {
        let a = contend()
            .args(["history", "import"])
            .arg(&good)
            .arg("--history")
            .arg(&history)
            .assert()
            .success();
        assert!(stdout_of(&a).contains(expected), "{}", stdout_of(&a));
    }
}

/// Starts `contend history import FILE` that pauses mid-insert for `pause_ms`; returns once it
/// says it has paused (inside its transaction).
fn paused_writer(file: &Path, history: &Path, pause_ms: u64) -> std::process::Child {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("contend"))
        .args(["history", "import"])
        .arg(file)
        .arg("--history")
        .arg(history)
        .env("CONTEND_TEST_PAUSE_MID_INSERT", pause_ms.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("paused mid-insert") {
                let _ = tx.send(());
            }
        }
    });
    if rx.recv_timeout(Duration::from_secs(60)).is_err() {
        let _ = child.kill();
        panic!("the writer never reached its pause");
    }
    child
}

#[test]
fn a_writer_killed_mid_insert_leaves_the_earlier_history_intact() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("h.sqlite");
    let first = results_file(dir.path(), "first");
    let second = dir.path().join("second.json");
    // Two cases, so the pause falls after the first case's row.
    let mut two = contend_reports::schema::read_results(&first).unwrap();
    let mut extra = two.cases[0].clone();
    extra.threads = 2;
    two.cases.push(extra);
    two.label = "second".into();
    std::fs::write(&second, serde_json::to_vec(&two).unwrap()).unwrap();

    contend()
        .args(["history", "import"])
        .arg(&first)
        .arg("--history")
        .arg(&history)
        .assert()
        .success();
    let mut child = paused_writer(&second, &history, 60_000);
    child.kill().unwrap(); // SIGKILL inside the transaction
    child.wait().unwrap();

    let conn = rusqlite::Connection::open(&history).unwrap();
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    let labels: Vec<String> = conn
        .prepare("SELECT label FROM runs")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(labels, ["first"]);
    let cases: i64 = conn
        .query_row("SELECT count(*) FROM cases", [], |r| r.get(0))
        .unwrap();
    assert_eq!(cases, 1, "a half-inserted run left rows behind");
    drop(conn);
    // The killed run can be recorded afterwards.
    contend()
        .args(["history", "import"])
        .arg(&second)
        .arg("--history")
        .arg(&history)
        .assert()
        .success();
    assert_eq!(runs_in(&history), 2);
}

#[test]
fn two_writers_at_once_both_land() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("h.sqlite");
    let (a, b) = (results_file(dir.path(), "a"), results_file(dir.path(), "b"));
    // A holds the write lock for a second; B starts meanwhile and must wait, not fail.
    let started = Instant::now();
    let mut slow = paused_writer(&a, &history, 1000);
    contend()
        .args(["history", "import"])
        .arg(&b)
        .arg("--history")
        .arg(&history)
        .assert()
        .success();
    assert!(slow.wait().unwrap().success());
    assert!(started.elapsed() >= Duration::from_millis(900));
    assert_eq!(runs_in(&history), 2);
}
