//! `contend tsan --manifest-path`: a user's own tests under ThreadSanitizer, one process per test.

use std::path::Path;

use anyhow::Context;

use super::lane::Toolchain;
use super::schedule::Schedule;
use super::verdict::{Expect, RunOutcome};
use super::{
    Examined, OWN_SUPPRESSIONS, TSAN_EXIT, TsanArgs, build, detection, judge_target, parse,
    process, tsan_options, unseen_check,
};
use crate::error::UsageError;

/// Whether a test is expected to race, from its name: the last path segment starts with `race_`.
/// `norace_*` and every other test are expected clean.
pub fn expects_race(test: &str) -> bool {
    test.rsplit("::")
        .next()
        .is_some_and(|name| name.starts_with("race_"))
}

/// Test executables from `cargo test --no-run --message-format=json` output.
fn test_executables(cargo_json: &str) -> Vec<String> {
    cargo_json
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["profile"]["test"] == true)
        .filter_map(|m| m["executable"].as_str().map(str::to_string))
        .collect()
}

/// Test names from libtest's `--list --format terse` output (`name: test`).
fn list_tests(listing: &str) -> Vec<String> {
    listing
        .lines()
        .filter_map(|l| l.strip_suffix(": test"))
        .map(str::to_string)
        .collect()
}

pub(super) fn examine(
    manifest: &Path,
    toolchain: &Toolchain,
    args: &TsanArgs,
) -> anyhow::Result<Examined> {
    if !manifest.is_file() {
        return Err(UsageError::new(format!(
            "--manifest-path {}: no such file",
            manifest.display()
        ))
        .into());
    }
    let manifest = manifest
        .canonicalize()
        .with_context(|| format!("resolving {}", manifest.display()))?;
    let crate_dir = manifest.parent().unwrap_or(Path::new("/")).to_path_buf();
    let target_dir = args.target_dir.clone().unwrap_or_else(|| {
        crate_dir
            .join("target")
            .join("contend-tsan")
            .join(toolchain.lane.name())
    });
    let mut cmd = toolchain.cargo("test", &target_dir);
    cmd.args([
        "--release",
        "--no-run",
        "--message-format=json",
        "--manifest-path",
    ])
    .arg(&manifest);
    let json = build(
        cmd,
        &target_dir.join("build.log"),
        &manifest.display().to_string(),
    )?;
    let own = crate_dir.join(OWN_SUPPRESSIONS);
    let (options, suppressions) = tsan_options(
        toolchain,
        args,
        &target_dir,
        own.is_file().then_some(own.as_path()),
    )?;
    let root = crate_dir.display().to_string();
    let unseen = unseen_check(toolchain, &crate_dir);
    let runs = process::Runs {
        base: args.runs,
        extra: args.extra_runs,
    };

    let mut targets = Vec::new();
    let mut findings = Vec::new();
    for exe in test_executables(&json) {
        let listing = std::process::Command::new(&exe)
            .args(["--list", "--format", "terse"])
            .env("TSAN_OPTIONS", &options)
            .output()
            .with_context(|| format!("cannot list the tests of {exe}"))?;
        for test in list_tests(&String::from_utf8_lossy(&listing.stdout)) {
            let command = |_: &Path, _: &Schedule| {
                let mut cmd = std::process::Command::new(&exe);
                cmd.args(["--exact", &test, "--test-threads", "1", "--nocapture"])
                    .env("TSAN_OPTIONS", &options);
                cmd
            };
            let outcome = |finished: &process::Finished, _: &Path| {
                // Only reports that reach the crate's own code count: libtest's harness can
                // produce its own in lanes where std is not instrumented.
                let reports: Vec<_> = parse::parse_reports(&finished.stderr, &root)
                    .into_iter()
                    .filter(|r| r.reaches_project)
                    .collect();
                let mut error = process::abnormal(finished, &[0, TSAN_EXIT], args.timeout);
                if finished.code == Some(101) && reports.is_empty() {
                    error = Some("the test failed (panicked) without a race report".into());
                } else if finished.code == Some(101) {
                    error = None; // a race may break the test's own assertions; the report is what counts
                }
                RunOutcome {
                    error,
                    suppressed: parse::suppressed_matches(&finished.stderr),
                    ..RunOutcome::sorted(reports, &unseen)
                }
            };
            let dir = target_dir.join("runs").join(test.replace("::", "-"));
            let outcomes = process::repeat(&test, runs, &dir, args.timeout, command, outcome)?;
            let expect = if expects_race(&test) {
                Expect::Race
            } else {
                Expect::Clean
            };
            targets.push(judge_target(
                &test,
                expect,
                &outcomes,
                (&mut findings, &crate_dir),
            ));
        }
    }
    if targets.is_empty() {
        return Err(
            UsageError::new(format!("{}: no tests found to run", manifest.display())).into(),
        );
    }
    Ok(Examined {
        detection: detection(
            toolchain,
            (options, suppressions),
            manifest.display().to_string(),
            0,
            args.runs,
            targets,
        ),
        findings,
        project: crate_dir,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expectation_comes_from_the_test_name() {
        assert!(expects_race("tests::race_lost_update"));
        assert!(expects_race("race_x"));
        assert!(!expects_race("tests::norace_atomic"));
        assert!(!expects_race("tests::grace_period"));
        assert!(!expects_race("race_mod::check"));
    }

    #[test]
    fn finds_test_executables_and_test_names() {
        let json = r#"{"reason":"compiler-artifact","profile":{"test":true},"executable":"/t/deps/fx-1"}
{"reason":"compiler-artifact","profile":{"test":false},"executable":null}
{"reason":"build-finished","success":true}"#;
        assert_eq!(test_executables(json), vec!["/t/deps/fx-1"]);
        assert_eq!(
            list_tests("tests::race_a: test\ntests::norace_b: test\nbench: bench\n"),
            vec!["tests::race_a", "tests::norace_b"]
        );
    }
}
