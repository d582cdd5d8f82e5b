//! `contend tsan` end to end. The SARIF schema check and the argument checks run everywhere; the
//! rest needs a ThreadSanitizer lane, so it is `#[ignore]`d in the default test run and
//! scripts/tsan.sh (and CI) runs it with `--ignored`.
//!
//! SARIF is validated against the vendored SARIF 2.1.0 schema with the `jsonschema` crate, so the
//! check runs on every machine, in the default test run too.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use contend::tsan::{Score, parse_reports, sarif};
use contend_reports::schema::{RaceDetection, read_results};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Validates the SARIF file at `path` against SARIF 2.1.0's JSON schema (draft 4), panicking with
/// the first errors when it does not validate.
fn validate_sarif(path: &Path) {
    // The schema's `language` pattern ends in an unescaped `]`, which ECMA-262 reads as a literal
    // and Rust's regex engines reject; escaping it keeps the same meaning.
    let text = std::fs::read_to_string(fixtures().join("sarif/sarif-2.1.0-rtm.5.json"))
        .unwrap()
        .replace(r"[a-zA-Z]{2}]?$", r"[a-zA-Z]{2}\\]?$");
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    let validator = jsonschema::draft4::new(&schema).expect("the SARIF schema compiles");
    let log: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .take(5)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{} is not valid SARIF 2.1.0:\n{}",
        path.display(),
        errors.join("\n")
    );
}

#[test]
fn the_sarif_check_fails_on_invalid_sarif() {
    // The validator is only worth its pass if it can fail: a result without its required message.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.sarif");
    std::fs::write(
        &path,
        r#"{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"contend"}},"results":[{"ruleId":"r"}]}]}"#,
    )
    .unwrap();
    let failed = std::panic::catch_unwind(|| validate_sarif(&path)).is_err();
    assert!(failed, "a result without a message passed the schema check");
}

#[test]
fn sarif_of_two_races_validates_against_the_sarif_2_1_0_schema() {
    let text = include_str!("../src/tsan/testdata-racy-counter.txt");
    let mut findings = Vec::new();
    for (i, r) in parse_reports(text, "/work/main").iter().enumerate() {
        sarif::collect(&mut findings, "counter/racy", i == 0, r, "/work/main");
    }
    let log = sarif::render(
        &findings,
        Path::new("/work/main"),
        Path::new("/work/main"),
        "debian",
        "0.1.0",
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("races.sarif");
    std::fs::write(&path, &log).unwrap();
    validate_sarif(&path);
    let json: serde_json::Value = serde_json::from_str(&log).unwrap();
    let results = json["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 2, "one result per distinct race");
    // Both accesses: the result's location, a related location, one thread flow each.
    for r in results {
        assert_eq!(r["relatedLocations"].as_array().unwrap().len(), 1);
        assert_eq!(
            r["codeFlows"][0]["threadFlows"].as_array().unwrap().len(),
            2
        );
    }
    assert!(
        results[0]["suppressions"].is_array(),
        "an expected race is marked"
    );
    assert!(
        results[1]["suppressions"].is_null(),
        "an unexpected one is not"
    );
}

#[test]
fn an_unwritable_sarif_path_is_exit_2_before_anything_is_built() {
    let out = Command::cargo_bin("contend")
        .unwrap()
        .args(["tsan", "--sarif", "/nonexistent-dir/races.sarif"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("--sarif /nonexistent-dir/races.sarif"),
        "{stderr}"
    );
    assert!(!stderr.contains("building"), "{stderr}");
}

#[test]
fn a_refused_tsan_leaves_no_empty_run_folder() {
    // Refused with or without a lane on this machine (no lane, or an unknown workload): either
    // way before anything is built, and nothing is left under contend-results/.
    let cwd = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("contend")
        .unwrap()
        .current_dir(cwd.path())
        .args(["tsan", "--workloads", "no-such-family"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    let runs = cwd.path().join("contend-results/runs");
    let left: Vec<_> = std::fs::read_dir(&runs)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "left behind: {left:?}");
}

/// `contend tsan` with the lane and target dir scripts/tsan.sh asks for (`CONTEND_TSAN_LANE`,
/// `CONTEND_TSAN_TARGET_DIR`; default: the best lane, its own folder).
fn contend_tsan() -> Command {
    let mut cmd = Command::cargo_bin("contend").unwrap();
    cmd.arg("tsan");
    if let Ok(dir) = std::env::var("CONTEND_TSAN_TARGET_DIR") {
        cmd.args(["--target-dir", &dir]);
    }
    if let Ok(lane) = std::env::var("CONTEND_TSAN_LANE") {
        cmd.args(["--lane", &lane]);
    }
    cmd
}

/// Runs `contend tsan` with `args` into a fresh folder.
fn tsan(args: &[&str]) -> (assert_cmd::assert::Assert, tempfile::TempDir) {
    let out = tempfile::tempdir().unwrap();
    let mut cmd = contend_tsan();
    cmd.args(args).arg("--out").arg(out.path());
    (cmd.assert(), out)
}

fn detection(out: &Path) -> RaceDetection {
    read_results(&out.join("results.json"))
        .unwrap()
        .race_detection
        .expect("race_detection section written")
}

#[test]
#[ignore = "needs a ThreadSanitizer lane; run by scripts/tsan.sh"]
fn race_tests_are_caught_and_norace_tests_are_clean_in_a_users_crate() {
    let fixture = fixtures().join("tsan-crate/Cargo.toml");
    let (assert, out) = tsan(&["--runs", "2", "--manifest-path", fixture.to_str().unwrap()]);
    assert.success();
    let rd = detection(out.path());
    assert!(rd.std_instrumented || rd.lane == "crate-only");
    let verdict = |name: &str| {
        rd.targets
            .iter()
            .find(|t| t.name.ends_with(name))
            .unwrap()
            .clone()
    };
    let race = verdict("race_unsynchronized_counter");
    assert_eq!(race.verdict, "caught");
    assert_eq!(race.runs_reporting, 2, "caught in every run");
    assert!(
        race.stack_tops.iter().all(|t| t.starts_with("src/lib.rs:")),
        "{:?}",
        race.stack_tops
    );
    // Clean in a lane that can see std; at worst unverifiable (never a race) where it cannot.
    let mixed = verdict("norace_atomic_and_mutex_and_channel").verdict;
    assert!(mixed == "clean" || (!rd.std_instrumented && mixed == "unverifiable"));
    assert_eq!(verdict("plain_test_is_expected_clean").verdict, "clean");
    assert!(out.path().join("report.html").exists());
}

#[test]
#[ignore = "needs a ThreadSanitizer lane; run by scripts/tsan.sh"]
fn the_race_suite_meets_its_precision_and_recall_and_its_sarif_validates() {
    let suite = fixtures().join("race-suite/Cargo.toml");
    let dir = tempfile::tempdir().unwrap();
    // scripts/tsan.sh keeps the results and the SARIF (CI uploads them).
    let keep = std::env::var_os("CONTEND_TSAN_KEEP").map(PathBuf::from);
    let out_dir = keep.clone().unwrap_or_else(|| dir.path().join("results"));
    let sarif_path = keep.map_or_else(|| dir.path().join("races.sarif"), |k| k.join("races.sarif"));
    std::fs::create_dir_all(&out_dir).unwrap();
    let mut cmd = contend_tsan();
    cmd.arg("--manifest-path")
        .arg(&suite)
        .arg("--sarif")
        .arg(&sarif_path)
        .arg("--out")
        .arg(&out_dir);
    // Exit 1 means a verdict missed its expectation. The suite's `limits::` races sit at the edge
    // of TSan's bounded history and shadow cells on purpose (caught in about 12 of 20 runs each),
    // so one of them may be missed in all of a target's runs; any other mismatch fails here.
    let code = cmd.assert().get_output().status.code();
    let rd = detection(&out_dir);
    let unexpected: Vec<&str> = rd
        .targets
        .iter()
        .filter(|t| !t.matches_expectation)
        .filter(|t| !(t.verdict == "missed" && t.name.starts_with("limits::")))
        .map(|t| t.name.as_str())
        .collect();
    assert!(unexpected.is_empty(), "unexpected verdicts: {unexpected:?}");
    let all_match = rd.targets.iter().all(|t| t.matches_expectation);
    assert_eq!(code, Some(if all_match { 0 } else { 1 }), "exit code");
    assert!(rd.targets.len() >= 40, "{} tests", rd.targets.len());
    let score = Score::of(&rd.targets);
    eprintln!("lane {}: {}", rd.lane, score.line());
    assert!(score.precision().unwrap() >= 0.96, "{}", score.line());
    assert!(score.recall().unwrap() >= 0.95, "{}", score.line());
    assert_eq!(score.false_positives, 0, "{}", score.line());
    if rd.std_instrumented {
        assert_eq!(score.unverifiable, 0, "{}", score.line());
    }
    validate_sarif(&sarif_path);
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif_path).unwrap()).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    // Every caught race is in a result (two tests reaching the same code share one), and every
    // result is one distinct race.
    let in_sarif = |name: &str| {
        results.iter().any(|r| {
            r["properties"]["targets"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t == name)
        })
    };
    for t in rd.targets.iter().filter(|t| t.verdict == "caught") {
        assert!(in_sarif(&t.name), "{} is not in the SARIF", t.name);
    }
    let sites: std::collections::BTreeSet<String> = results
        .iter()
        .map(|r| r["partialFingerprints"]["contendSite/v1"].to_string())
        .collect();
    assert_eq!(sites.len(), results.len(), "one result per distinct race");
}

#[test]
#[ignore = "needs a ThreadSanitizer lane; run by scripts/tsan.sh"]
fn naive_locks_show_a_lock_order_inversion_without_deadlocking_and_ordered_locks_stay_clean() {
    // 3 runs, as `contend tsan` defaults to: with 2 (and their 2 extra runs) a busy 2-vCPU
    // machine once never ran both lock orders close enough for TSan to see the inversion.
    let (assert, out) = tsan(&["--workloads", "deadlock", "--runs", "3"]);
    assert.success();
    let rd = detection(out.path());
    let target = |name: &str| rd.targets.iter().find(|t| t.name == name).unwrap().clone();
    let naive = target("deadlock/naive-locks");
    assert_eq!(naive.verdict, "caught", "{naive:?}");
    assert_eq!(naive.kinds, vec!["lock-order inversion"]);
    assert_eq!(naive.expected_kind.as_deref(), Some("lock-order inversion"));
    assert!(
        naive
            .run_log
            .iter()
            .any(|r| r.reports > 0 && r.error.is_none()),
        "reported in a run that did not deadlock: {:?}",
        naive.run_log
    );
    assert_eq!(target("deadlock/ordered-locks").verdict, "clean");
}

#[test]
fn tsan_options_that_are_not_flags_or_that_contend_relies_on_are_exit_2() {
    for (bad, says) in [
        ("exitcode=1", "exitcode is set by contend"),
        ("history_size", "not a name=value flag"),
        ("suppressions=/tmp/x", "suppressions is set by contend"),
    ] {
        let out = Command::cargo_bin("contend")
            .unwrap()
            .args(["tsan", "--tsan-options", bad])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{bad}: {stderr}");
        assert!(!stderr.contains("building"), "{stderr}");
    }
}
