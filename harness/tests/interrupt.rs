//! Ctrl-C from the command line: the first SIGINT writes what was measured and exits 130, a
//! second one exits at once; `ab` analyses and writes the pairs it has.

// SIGINT is a Unix signal (Ctrl-C on Windows is a console event, not tested here).
#![cfg(unix)]

use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use contend_reports::schema::read_results;

fn spawn(args: &[&str], out: &Path) -> Child {
    Command::new(assert_cmd::cargo::cargo_bin("contend"))
        .args(args)
        .arg("--out")
        .arg(out)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn sigint(child: &Child) {
    // SAFETY: kill(2) on our own child, not yet reaped.
    let sent = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    assert_eq!(sent, 0);
}

/// Waits up to `limit` for `ready`, polling every 20 ms; panics (after killing `child`) if not.
fn wait_until(child: &mut Child, limit: Duration, what: &str, ready: impl Fn() -> bool) {
    let deadline = Instant::now() + limit;
    while !ready() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("timed out waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn exit_within(child: &mut Child, limit: Duration) -> ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("did not exit within {limit:?} of SIGINT");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn the_first_ctrl_c_writes_the_finished_cases_and_the_report_and_exits_130() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut child = spawn(
        &["run", "--quick", "--workloads", "counter", "--no-overhead"],
        &out,
    );
    let results = out.join("results.json");
    wait_until(&mut child, Duration::from_secs(60), "a first case", || {
        read_results(&results).is_ok_and(|r| !r.cases.is_empty())
    });
    sigint(&child);
    let status = exit_within(&mut child, Duration::from_secs(30));
    assert_eq!(status.code(), Some(130), "{status:?}");
    let r = read_results(&results).unwrap();
    // counter's 6 default variants at 1 and 2 threads are 12 cases of ~0.3 s each.
    assert!(
        !r.cases.is_empty() && r.cases.len() < 12,
        "{}",
        r.cases.len()
    );
    assert!(
        r.cases
            .iter()
            .all(|c| c.status.is_ok() && !c.samples.is_empty())
    );
    assert!(
        out.join("report.html").is_file(),
        "the report is written too"
    );
}

#[test]
fn a_second_ctrl_c_exits_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    // 3 s samples: one Ctrl-C would wait for the sample to end.
    let mut child = spawn(
        &[
            "run",
            "--workloads",
            "counter/atomic",
            "--threads",
            "1",
            "--warmup",
            "0s",
            "--duration",
            "3s",
            "--no-overhead",
        ],
        &out,
    );
    // The handler is installed right after the output folder is made.
    wait_until(
        &mut child,
        Duration::from_secs(30),
        "the output folder",
        || out.is_dir(),
    );
    std::thread::sleep(Duration::from_millis(300));
    sigint(&child);
    std::thread::sleep(Duration::from_millis(200));
    let start = Instant::now();
    sigint(&child);
    let status = exit_within(&mut child, Duration::from_secs(10));
    assert_eq!(status.code(), Some(130), "{status:?}");
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn ab_interrupted_analyses_and_writes_the_pairs_it_has() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let me = assert_cmd::cargo::cargo_bin("contend");
    // An extreme confidence keeps the case from deciding early: it would sample for a minute.
    let mut child = spawn(
        &[
            "ab",
            "--base",
            me.to_str().unwrap(),
            "--quick",
            "--workloads",
            "counter/atomic",
            "--threads",
            "1",
            "--confidence",
            "0.999999",
            "--budget",
            "60s",
        ],
        &out,
    );
    std::thread::sleep(Duration::from_secs(4));
    sigint(&child);
    let status = exit_within(&mut child, Duration::from_secs(30));
    assert_eq!(status.code(), Some(130), "{status:?}");
    let gate: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("ab-gate.json")).unwrap()).unwrap();
    let case = &gate["cases"][0];
    assert!(case["pairs"].as_u64().unwrap() >= 1, "{case}");
    let base = read_results(&out.join("ab-base.json")).unwrap();
    assert_eq!(base.cases.len(), 1);
}
