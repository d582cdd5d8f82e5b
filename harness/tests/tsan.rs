//! `contend tsan --manifest-path` on a fixture crate, end to end. Needs a ThreadSanitizer lane, so
//! it is `#[ignore]`d in the default test run; scripts/tsan.sh (and CI) runs it with `--ignored`.

use assert_cmd::Command;
use contend_reports::schema::read_results;

#[test]
#[ignore = "needs a ThreadSanitizer lane; run by scripts/tsan.sh"]
fn race_tests_are_caught_and_norace_tests_are_clean_in_a_users_crate() {
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/tsan-crate/Cargo.toml");
    let out = tempfile::tempdir().unwrap();
    let mut cmd = Command::cargo_bin("contend").unwrap();
    cmd.args(["tsan", "--runs", "2", "--manifest-path"])
        .arg(&fixture)
        .arg("--out")
        .arg(out.path());
    if let Ok(dir) = std::env::var("CONTEND_TSAN_TARGET_DIR") {
        cmd.args(["--target-dir", &dir]);
    }
    cmd.assert().success();
    let results = read_results(&out.path().join("results.json")).unwrap();
    let rd = results
        .race_detection
        .expect("race_detection section written");
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
    assert_eq!(
        verdict("norace_atomic_and_mutex_and_channel").verdict,
        "clean"
    );
    assert_eq!(verdict("plain_test_is_expected_clean").verdict, "clean");
    assert!(out.path().join("report.html").exists());
}
