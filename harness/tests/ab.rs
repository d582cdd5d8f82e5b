//! `contend ab` end to end with real child processes: every run option reaches both sides, a
//! broken head fails the gate, and bad binaries or options are one-line usage errors.

// Fake builds are shell scripts, and the faults are Unix signals.
#![cfg(unix)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use contend_reports::schema::read_results;
use predicates::prelude::*;
use serde_json::Value;

fn contend() -> Command {
    Command::cargo_bin("contend").unwrap()
}

fn this_binary() -> PathBuf {
    assert_cmd::cargo::cargo_bin("contend")
}

/// An executable shell script `name` in `dir` with `body` after the shebang.
fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// A head build that is this binary with `CONTEND_FAULT=fault`.
fn faulty(dir: &Path, fault: &str) -> PathBuf {
    let bin = this_binary();
    script(
        dir,
        &format!("head-{fault}"),
        &format!("CONTEND_FAULT={fault} exec '{}' \"$@\"", bin.display()),
    )
}

/// A short A/B of one quick case; `extra` adds options.
fn ab(dir: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    contend()
        .arg("ab")
        .arg("--base")
        .arg(this_binary())
        .args([
            "--workloads",
            "counter/sharded",
            "--threads",
            "1",
            "--duration",
            "10ms",
            "--warmup",
            "5ms",
            "--budget",
            "20s",
            "--threshold",
            "50%",
            "--out",
        ])
        .arg(dir.join("out"))
        .args(extra)
        .assert()
}

fn gate(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("out/ab-gate.json")).unwrap()).unwrap()
}

#[test]
fn a_broken_head_fails_the_gate_with_its_reason() {
    for (fault, reason) in [
        ("crash", "crash"),
        ("wrong-result", "failed validation: injected fault"),
        ("deadlock", "deadlocked"),
        ("no-work", "did no work"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let head = faulty(dir.path(), fault);
        ab(dir.path(), &["--head", head.to_str().unwrap()])
            .code(1)
            .stdout(predicate::str::contains("broken"));
        let g = gate(dir.path());
        let case = &g["cases"][0];
        assert_eq!(case["verdict"], "broken", "{fault}: {g}");
        assert_eq!(case["fails_gate"], true);
        let notes = case["notes"].to_string();
        assert!(notes.contains(reason), "{fault}: {notes}");
        assert_eq!(g["exit_code"], 1);
    }
}

#[test]
fn a_broken_base_is_not_comparable_and_does_not_fail_the_head() {
    let dir = tempfile::tempdir().unwrap();
    let base = faulty(dir.path(), "wrong-result");
    contend()
        .arg("ab")
        .arg("--base")
        .arg(&base)
        .args(["--workloads", "counter/sharded", "--threads", "1"])
        .args(["--duration", "10ms", "--warmup", "5ms", "--budget", "20s"])
        .arg("--out")
        .arg(dir.path().join("out"))
        .assert()
        .code(0);
    let g = gate(dir.path());
    assert_eq!(g["cases"][0]["verdict"], "not comparable", "{g}");
    // Strict teams can fail on it.
    contend()
        .arg("ab")
        .arg("--base")
        .arg(&base)
        .args(["--workloads", "counter/sharded", "--threads", "1"])
        .args(["--duration", "10ms", "--warmup", "5ms", "--budget", "20s"])
        .args(["--fail-on", "inconclusive", "--out"])
        .arg(dir.path().join("out"))
        .assert()
        .code(1);
}

#[test]
fn every_run_option_reaches_both_sides() {
    let dir = tempfile::tempdir().unwrap();
    contend()
        .arg("ab")
        .arg("--base")
        .arg(this_binary())
        .args(["--workloads", "matmul/shared-rows", "--threads", "1"])
        .args(["--matrix-size", "48", "--seed", "7", "--cs-work", "3"])
        .args(["--duration", "30ms", "--warmup", "5ms", "--budget", "20s"])
        .args(["--threshold", "50%", "--out"])
        .arg(dir.path().join("out"))
        .assert()
        .code(0);
    for side in ["ab-base.json", "ab-head.json"] {
        let r = read_results(&dir.path().join("out").join(side)).unwrap();
        let case = &r.cases[0];
        assert_eq!(
            case.unit_factors["flop_per_unit"],
            2.0 * 48f64.powi(3),
            "{side}: the child measured n = 48"
        );
        assert_eq!(r.config.params["matrix_size"], 48, "{side}");
        assert_eq!(r.config.params["cs_work"], 3, "{side}");
        assert_eq!(r.config.seed, 7, "{side}");
        let forks: Vec<u32> = case.samples.iter().map(|s| s.fork).collect();
        assert_eq!(
            forks,
            (0..forks.len() as u32).collect::<Vec<_>>(),
            "{side}: one fork per pair"
        );
    }
}

#[test]
fn a_base_that_lacks_an_option_is_bad_input_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let bin = this_binary();
    let base = script(
        dir.path(),
        "old-base",
        &format!(
            "if [ \"$2\" = --help ]; then '{0}' run --help | grep -v -e --matrix-size; else exec '{0}' \"$@\"; fi",
            bin.display()
        ),
    );
    contend()
        .arg("ab")
        .arg("--base")
        .arg(&base)
        .args(["--workloads", "matmul/shared-rows", "--threads", "1"])
        .args(["--matrix-size", "64", "--out"])
        .arg(dir.path().join("out"))
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("--matrix-size")
                .and(predicate::str::contains("base"))
                .and(predicate::function(|s: &str| {
                    s.trim_end().lines().count() == 1
                })),
        );
    assert!(
        !dir.path().join("out/ab-gate.json").exists(),
        "nothing written half-way"
    );
}

#[test]
fn head_and_base_must_be_executable_files() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain");
    std::fs::write(&plain, "not a program").unwrap();
    for (flag, path, why) in [
        ("--head", "/nonexistent/contend", "no such file"),
        ("--head", plain.to_str().unwrap(), "not executable"),
        ("--base", plain.to_str().unwrap(), "not executable"),
    ] {
        let mut cmd = contend();
        cmd.arg("ab");
        if flag == "--head" {
            cmd.arg("--base").arg(this_binary());
        }
        cmd.args([flag, path, "--workloads", "counter/atomic", "--out"])
            .arg(dir.path().join("out"))
            .assert()
            .code(2)
            .stderr(predicate::str::contains(flag).and(predicate::str::contains(why)));
    }
}

#[test]
fn ab_chooses_its_forks_itself() {
    let dir = tempfile::tempdir().unwrap();
    ab(dir.path(), &["--forks", "3"])
        .code(2)
        .stderr(predicate::str::contains("--forks"));
}

#[test]
fn max_pairs_is_the_last_look() {
    let dir = tempfile::tempdir().unwrap();
    // At a 0.1% threshold no interval fits within +-t, so an A/A case cannot stop `unchanged`
    // and samples to the last look (unless its change interval happens to clear it).
    contend()
        .arg("ab")
        .arg("--base")
        .arg(this_binary())
        .args(["--workloads", "counter/sharded", "--threads", "1"])
        .args(["--duration", "5ms", "--warmup", "5ms", "--budget", "60s"])
        .args(["--threshold", "0.1%", "--max-pairs", "20", "--out"])
        .arg(dir.path().join("out"))
        .assert()
        .code(predicate::in_iter([0, 1]));
    let g = gate(dir.path());
    assert_eq!(g["looks"], serde_json::json!([10, 20]), "{g}");
    let case = &g["cases"][0];
    let pairs = case["pairs"].as_u64().unwrap();
    if case["verdict"] == "inconclusive" {
        assert_eq!(pairs, 20, "{g}");
    } else {
        assert!(pairs <= 20, "{g}");
    }
}

#[test]
fn max_pairs_out_of_range_is_bad_input() {
    for bad in ["5", "0", "ten", "2000"] {
        let dir = tempfile::tempdir().unwrap();
        ab(dir.path(), &["--max-pairs", bad])
            .code(2)
            .stderr(predicate::str::contains("--max-pairs"));
        assert!(!dir.path().join("out").exists());
    }
}
