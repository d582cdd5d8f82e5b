//! The perf gate from the command line: `contend ab` against a base binary, and `contend compare`
//! exit codes on fixture results (0 nothing regressed, 1 regressed, 2 bad input).

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

/// A results file from the reports' fixtures, with every case's samples replaced by sixteen
/// throughputs around `level` (units/s), 0.1% apart, each from its own fork (fresh process), so
/// verdicts are certain.
fn fixture(dir: &Path, name: &str, level: f64, edit: impl Fn(&mut Value)) -> PathBuf {
    let source =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../reports/tests/fixtures/machine-a.json");
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(source).unwrap()).unwrap();
    for case in v["cases"].as_array_mut().unwrap() {
        let samples: Vec<Value> = (0..16)
            .map(|i| {
                let t = level * (1.0 + 0.001 * f64::from(i));
                serde_json::json!({ "fork": i, "ops": t as u64, "elapsed_ns": 1_000_000_000u64, "throughput": t })
            })
            .collect();
        case["samples"] = Value::Array(samples);
    }
    edit(&mut v);
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string(&v).unwrap()).unwrap();
    path
}

fn compare(base: &Path, head: &Path) -> assert_cmd::assert::Assert {
    contend().arg("compare").arg(base).arg(head).assert()
}

/// stderr is exactly one line.
fn one_line() -> impl Predicate<str> {
    predicate::function(|s: &str| s.trim_end().lines().count() == 1)
}

#[test]
fn identical_results_pass_the_gate() {
    let dir = tempfile::tempdir().unwrap();
    let base = fixture(dir.path(), "base.json", 1e6, |_| {});
    compare(&base, &base)
        .code(0)
        .stdout(predicate::str::contains("unchanged"));
}

#[test]
fn a_clearly_regressed_head_fails_the_gate() {
    let dir = tempfile::tempdir().unwrap();
    let base = fixture(dir.path(), "base.json", 1e6, |_| {});
    let head = fixture(dir.path(), "head.json", 0.5e6, |_| {});
    compare(&base, &head)
        .code(1)
        .stdout(predicate::str::contains("regressed"));
    contend()
        .args(["compare", "--paired"])
        .arg(&base)
        .arg(&head)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("paired forks"));
}

#[test]
fn single_process_runs_are_observations_that_never_fail_the_gate() {
    let dir = tempfile::tempdir().unwrap();
    let one_fork = |v: &mut Value| {
        for case in v["cases"].as_array_mut().unwrap() {
            for s in case["samples"].as_array_mut().unwrap() {
                s["fork"] = 0.into();
            }
        }
    };
    let base = fixture(dir.path(), "base.json", 1e6, one_fork);
    let head = fixture(dir.path(), "head.json", 0.5e6, one_fork);
    compare(&base, &head)
        .code(0)
        .stdout(predicate::str::contains("1 fork on base and head"))
        .stdout(predicate::str::contains("regressed").not());
}

#[test]
fn results_without_a_common_case_are_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let base = fixture(dir.path(), "base.json", 1e6, |_| {});
    let head = fixture(dir.path(), "head.json", 1e6, |v| {
        for case in v["cases"].as_array_mut().unwrap() {
            case["variant"] = "counter/renamed".into();
        }
    });
    compare(&base, &head)
        .code(2)
        .stderr(predicate::str::contains("no case in common").and(one_line()));
}

#[test]
fn a_different_schema_version_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let base = fixture(dir.path(), "base.json", 1e6, |_| {});
    let head = fixture(dir.path(), "head.json", 1e6, |v| {
        v["schema_version"] = 99.into()
    });
    compare(&base, &head)
        .code(2)
        .stderr(predicate::str::contains("schema_version 99").and(one_line()));
}

#[test]
fn a_missing_file_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let base = fixture(dir.path(), "base.json", 1e6, |_| {});
    compare(&base, &dir.path().join("nope.json"))
        .code(2)
        .stderr(predicate::str::contains("nope.json").and(one_line()));
}

#[test]
fn ab_against_itself_writes_aligned_results_the_report_renders() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ab");
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
            "5s",
            // A/A never regresses by half: the exit code cannot depend on noise.
            "--threshold",
            "50%",
            "--out",
        ])
        .arg(&out)
        .arg("--markdown")
        .arg(dir.path().join("ab.md"))
        .assert()
        .code(0)
        .stdout(predicate::str::contains("counter/sharded@1/cores-first"))
        .stdout(predicate::str::contains("MDC"));
    let base = read_results(&out.join("ab-base.json")).unwrap();
    let head = read_results(&out.join("ab-head.json")).unwrap();
    assert_eq!((base.label.as_str(), head.label.as_str()), ("base", "head"));
    assert_eq!(base.cases.len(), 1);
    assert_eq!(base.cases[0].samples.len(), head.cases[0].samples.len());
    assert!(!base.cases[0].samples.is_empty());
    assert!(
        std::fs::read_to_string(dir.path().join("ab.md"))
            .unwrap()
            .contains("| case |")
    );
    contend()
        .arg("report")
        .arg(out.join("ab-base.json"))
        .arg(out.join("ab-head.json"))
        .arg("--out")
        .arg(dir.path().join("ab.html"))
        .assert()
        .success();
    assert!(dir.path().join("ab.html").exists());
    contend()
        .args(["compare", "--paired", "--threshold", "50%"])
        .arg(out.join("ab-base.json"))
        .arg(out.join("ab-head.json"))
        .assert()
        .code(0);
}

#[test]
fn ab_with_a_base_that_does_not_exist_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    contend()
        .args([
            "ab",
            "--base",
            "/nonexistent/contend",
            "--workloads",
            "counter/atomic",
        ])
        .arg("--out")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/nonexistent/contend").and(one_line()));
}

#[test]
fn ab_with_a_base_that_is_not_contend_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    contend()
        .args([
            "ab",
            "--base",
            "/bin/false",
            "--workloads",
            "counter/atomic",
            "--threads",
            "1",
        ])
        .args(["--duration", "10ms", "--warmup", "0s", "--out"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("base").and(one_line()));
}

#[test]
fn the_readme_gate_config_parses_and_every_rule_matches_a_case() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
            .unwrap();
    let from = readme
        .find("**Per-case thresholds**")
        .expect("the README documents --config");
    let block = readme[from..]
        .split("```text\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("an example config block");
    let config = contend_reports::compare::Thresholds::parse(block, 0.05).unwrap();
    assert!(config.rules.len() >= 3, "{block}");
    // Every rule sets some real case's threshold (no pattern naming a variant that does not exist).
    let keys: Vec<String> = contend_workloads::catalog()
        .flat_map(|v| {
            [1, 2, 4].into_iter().flat_map(move |t| {
                ["cores-first", "siblings-first", "spread"].map(|p| format!("{}@{t}/{p}", v.name))
            })
        })
        .collect();
    for rule in &config.rules {
        assert!(
            keys.iter().any(|k| config.rule_for(k) == Some(rule)),
            "README rule on line {} matches no case: {}",
            rule.line,
            rule.pattern
        );
    }
    // And the CLI takes it.
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("gate.conf");
    std::fs::write(&conf, block).unwrap();
    let base = fixture(dir.path(), "base.json", 1e6, |_| {});
    contend()
        .arg("compare")
        .arg(&base)
        .arg(&base)
        .arg("--config")
        .arg(&conf)
        .assert()
        .code(0);
}
