//! What the CLI tests share: the binary, and the check that bad input is refused cleanly.

use assert_cmd::Command;

/// The `contend` binary built for these tests.
pub fn contend() -> Command {
    Command::cargo_bin("contend").unwrap()
}

/// `contend run ARGS --out DIR` exits 2 with one `error:` line and creates nothing.
pub fn assert_run_refuses(args: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let assert = contend()
        .arg("run")
        .args(args)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
    assert!(stderr.starts_with("error:"), "{args:?}: {stderr}");
    assert!(!out.exists(), "{args:?} created the output directory");
}
