//! The command line as a user meets it: listing, running, results JSON, and bad input.

mod common;

use common::{assert_run_refuses, contend};
use contend_reports::schema::{CaseStatus, Results, Validation, parse_results, read_results};
use predicates::prelude::*;

/// A fast run: short samples, no overhead measurement.
fn quick_run(out: &std::path::Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    contend()
        .args([
            "run",
            "--samples",
            "2",
            "--duration",
            "20ms",
            "--warmup",
            "10ms",
            "--no-overhead",
            "--out",
        ])
        .arg(out)
        .args(extra)
        .assert()
}

#[test]
fn list_shows_every_variant_with_style_and_race_flag() {
    contend()
        .arg("list")
        .assert()
        .success()
        .stdout(predicate::str::contains("counter/atomic"))
        .stdout(predicate::str::contains("message-passing"))
        .stdout(predicate::str::is_match(r"counter/racy\s+shared-memory\s+yes").unwrap());
}

#[test]
fn list_json_parses_and_names_every_variant_once() {
    let out = contend()
        .args(["list", "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let list: Vec<serde_json::Value> = serde_json::from_slice(&out).unwrap();
    let names: Vec<&str> = list.iter().map(|v| v["name"].as_str().unwrap()).collect();
    assert_eq!(
        names.len(),
        contend_workloads::catalog().count() + contend::primitives::catalog::VARIANTS.len()
    );
    let racy = list.iter().find(|v| v["name"] == "counter/racy").unwrap();
    assert_eq!(racy["expected_race"], true);
    assert_eq!(racy["default"], false);
    assert_eq!(racy["family"], "counter");
}

#[test]
fn completions_generate_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = contend().args(["completions", shell]).assert().success();
        let script = String::from_utf8(out.get_output().stdout.clone()).unwrap();
        // Every shell's script names the options (fish writes `-l samples`, the others `--samples`).
        assert!(
            script.contains("samples") && script.contains("contend"),
            "{shell}"
        );
    }
    contend().args(["completions", "tcsh"]).assert().code(2);
}

#[test]
#[cfg(unix)]
fn a_closed_stdout_ends_contend_quietly_not_with_a_panic() {
    // `contend completions bash | head -0`: the reader is gone; contend must not panic on its
    // write (it ends by SIGPIPE, like other command-line tools).
    use std::os::unix::process::ExitStatusExt;
    use std::process::{Command, Stdio};
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("contend"))
        .args(["completions", "bash"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Closed before contend (still starting up) writes anything: its first write meets a closed
    // pipe. (Reading a line first would not do: the whole script fits in the pipe's buffer.)
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        out.status.success() || out.status.signal() == Some(libc::SIGPIPE),
        "{:?}",
        out.status
    );
}

#[test]
fn a_mistyped_option_gets_clap_s_suggestion_on_one_line_and_exit_2() {
    let out = contend().args(["--sample", "5"]).assert().code(2);
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("'--samples'"), "{stderr}");
    assert!(stderr.contains("Usage: contend"), "{stderr}");
}

#[test]
fn machine_describes_topology_as_json() {
    let out = contend()
        .args(["machine", "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let m: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert!(m["logical_cpus"].as_u64().unwrap() >= 1);
    assert!(!m["topology"].as_array().unwrap().is_empty());
}

#[test]
fn a_run_writes_validated_results_that_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    quick_run(
        dir.path(),
        &[
            "--workloads",
            "counter/atomic,counter/actor",
            "--threads",
            "1,2",
        ],
    )
    .success()
    .stdout(predicate::str::contains("counter/actor"))
    .stdout(predicate::str::contains("results:"));
    let path = dir.path().join("results.json");
    let results: Results = read_results(&path).unwrap();
    assert_eq!(results.schema_version, 1);
    assert_eq!(results.cases.len(), 4);
    for case in &results.cases {
        assert_eq!(case.status, CaseStatus::Ok, "{}", case.key());
        assert!(matches!(case.validation, Validation::Passed { .. }));
        assert_eq!(case.samples.len(), 2);
        assert!(case.throughput.median > 0.0);
        assert!(case.latency.p50 > 0 && case.latency.p50 <= case.latency.p99);
        assert!(!case.latency.histogram.is_empty());
        assert_eq!(
            case.cpus_requested.len(),
            case.threads + case.helper_threads
        );
        assert!(
            case.cpus_requested.iter().all(Option::is_some),
            "compact placement pins every thread"
        );
    }
    assert_eq!(results.config.threads, vec![1, 2]);
    // The JSON is the contract: it parses back to the same value.
    let text = serde_json::to_string(&results).unwrap();
    assert_eq!(parse_results(&text, "memory").unwrap(), results);
}

#[test]
fn the_racy_counter_reports_lost_updates_instead_of_failing() {
    let dir = tempfile::tempdir().unwrap();
    quick_run(
        dir.path(),
        &[
            "--workloads",
            "counter/racy",
            "--include-racy",
            "--threads",
            "2",
        ],
    )
    .success();
    let results = read_results(&dir.path().join("results.json")).unwrap();
    let case = &results.cases[0];
    assert!(case.expected_race);
    assert!(
        matches!(
            case.validation,
            Validation::RaceObserved { .. } | Validation::RaceNotObserved { .. }
        ),
        "{:?}",
        case.validation
    );
}

#[test]
fn bad_input_is_one_line_exit_2_and_writes_nothing() {
    let cases: &[&[&str]] = &[
        &["--threads", "0"],
        &["--threads", ""],
        &["--threads", "1,x"],
        &["--threads", "100000"],
        &["--workloads", "counter/nope"],
        &["--placement", "diagonal"],
        &["--samples", "0"],
        &["--duration", "fast"],
    ];
    for args in cases {
        assert_run_refuses(args);
    }
}

#[test]
fn an_unwritable_output_directory_is_refused_before_measuring() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    contend()
        .args(["run", "--out"])
        .arg(file.join("sub"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--out").and(predicate::str::contains("cannot write")));
}

#[test]
fn oversubscription_is_allowed_and_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let cpus = std::thread::available_parallelism().unwrap().get();
    let threads = (cpus + 1).to_string();
    quick_run(
        dir.path(),
        &["--workloads", "counter/sharded", "--threads", &threads],
    )
    .success();
    let results = read_results(&dir.path().join("results.json")).unwrap();
    assert!(results.cases[0].oversubscribed);
}

#[test]
fn the_watchdog_stops_a_deadlocked_case_and_the_suite_carries_on() {
    let dir = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    quick_run(
        dir.path(),
        &[
            "--workloads",
            "deadlock/naive-locks,deadlock/ordered-locks",
            "--threads",
            "2",
            "--stall-timeout",
            "1s",
        ],
    )
    .success()
    .stdout(predicate::str::contains("deadlocked, as expected"));
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    let results = read_results(&dir.path().join("results.json")).unwrap();
    let status = |name: &str| {
        results
            .cases
            .iter()
            .find(|c| c.variant == name)
            .unwrap()
            .status
            .clone()
    };
    assert_eq!(
        status("deadlock/ordered-locks"),
        CaseStatus::Ok,
        "the suite carried on after the deadlock"
    );
    match status("deadlock/naive-locks") {
        CaseStatus::Deadlocked { blocked, .. } => {
            assert!(
                blocked.iter().any(|b| b.contains("waits for account")),
                "{blocked:?}"
            );
        }
        // Two threads may, rarely, interleave without ever deadlocking in a short window.
        other => assert_eq!(other, CaseStatus::Ok),
    }
}

#[test]
fn tsan_with_a_missing_manifest_is_one_line_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let assert = contend()
        .args([
            "tsan",
            "--manifest-path",
            "/nonexistent/Cargo.toml",
            "--out",
        ])
        .arg(dir.path())
        .assert()
        .code(2);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("/nonexistent/Cargo.toml"), "{stderr}");
}

#[test]
fn report_and_compare_refuse_bad_input_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.json");
    std::fs::write(&garbage, "{ not json").unwrap();
    let other_schema = dir.path().join("v99.json");
    std::fs::write(&other_schema, r#"{"schema_version": 99}"#).unwrap();
    let missing = dir.path().join("missing.json");
    for input in [&garbage, &other_schema, &missing] {
        let out = dir.path().join("r.html");
        let assert = contend()
            .arg("report")
            .arg(input)
            .arg("--out")
            .arg(&out)
            .assert()
            .code(2);
        let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        assert!(
            stderr.contains(input.file_name().unwrap().to_str().unwrap()),
            "{stderr}"
        );
        assert!(!out.exists(), "no partial HTML");
        contend()
            .arg("compare")
            .arg(input)
            .arg(input)
            .assert()
            .code(2);
    }
}

#[test]
fn forks_measure_each_case_in_fresh_processes_and_record_the_fork_per_sample() {
    let dir = tempfile::tempdir().unwrap();
    quick_run(
        dir.path(),
        &[
            "--workloads",
            "counter/atomic,counter/mutex",
            "--threads",
            "1",
            "--forks",
            "3",
            "--matrix-size",
            "64",
        ],
    )
    .success();
    let r = read_results(&dir.path().join("results.json")).unwrap();
    assert_eq!(r.config.forks, 3);
    assert_eq!(r.cases.len(), 2, "one merged case per variant@threads");
    for case in &r.cases {
        let forks: Vec<u32> = case.samples.iter().map(|s| s.fork).collect();
        assert_eq!(forks, [0, 0, 1, 1, 2, 2], "{}: {forks:?}", case.variant);
        let evidence: Vec<u32> = case.fork_evidence.iter().map(|e| e.fork).collect();
        assert_eq!(evidence, [0, 1, 2], "one fork_evidence entry per process");
        assert!(case.samples.iter().all(|s| s.evidence.is_some()));
        assert_eq!(case.status, CaseStatus::Ok);
        assert_eq!(
            case.validation,
            Validation::Passed { samples_checked: 9 },
            "every fork's warm-up and samples are proven"
        );
    }
    assert!(
        !dir.path()
            .join(format!(".forks-{}", std::process::id()))
            .exists()
            && std::fs::read_dir(dir.path()).unwrap().all(|e| !e
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with(".forks")),
        "the forks' scratch directory is removed"
    );
}

#[test]
fn zero_forks_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    quick_run(dir.path(), &["--forks", "0"])
        .code(2)
        .stderr(predicate::str::contains("--forks must be at least 1"));
    assert!(!dir.path().join("results.json").exists());
}
