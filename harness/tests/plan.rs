//! `contend plan` on the fixture sysfs trees (harness/tests/fixtures/sysfs): the documented
//! placement orders, and bad input.

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn tree(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/sysfs")
        .join(name)
}

/// The CPU order `contend plan --json` reports for `placement` on fixture tree `name`, and the
/// CPUs its widest case pins.
fn order(name: &str, placement: &str) -> (Vec<u64>, Vec<u64>) {
    let out = Command::cargo_bin("contend")
        .unwrap()
        .args([
            "plan",
            "--threads",
            "max",
            "--json",
            "--placement",
            placement,
            "--sysfs",
        ])
        .arg(tree(name))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let list = |x: &Value| -> Vec<u64> {
        x.as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_u64)
            .collect()
    };
    let pinned = v["cases"][0]["workers"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|w| w["cpu"].as_u64())
        .collect();
    (list(&v["order"]), pinned)
}

#[test]
fn plan_gives_the_documented_orders_on_every_fixture_tree() {
    let cases: [(&str, &str, Vec<u64>); 8] = [
        ("intel-2s", "cores-first", (0..16).collect()),
        (
            "intel-2s",
            "siblings-first",
            vec![0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15],
        ),
        (
            "intel-2s",
            "spread",
            vec![0, 4, 1, 5, 2, 6, 3, 7, 8, 12, 9, 13, 10, 14, 11, 15],
        ),
        ("amd-smt", "cores-first", vec![0, 2, 4, 6, 1, 3, 5, 7]),
        ("amd-smt", "compact", (0..8).collect()),
        ("offline", "cores-first", vec![0, 1, 3, 4, 5, 7]),
        ("cpuset", "cores-first", vec![4, 5, 6, 7, 12, 13, 14, 15]),
        ("cpuset", "siblings-first", vec![4, 12, 5, 13, 6, 14, 7, 15]),
    ];
    for (name, placement, expected) in cases {
        let (order, pinned) = order(name, placement);
        assert_eq!(order, expected, "{name} {placement}");
        assert_eq!(
            pinned, expected,
            "{name} {placement}: the widest case pins every CPU in order"
        );
    }
}

#[test]
fn plan_text_names_each_threads_core_and_flags_shared_cores() {
    Command::cargo_bin("contend")
        .unwrap()
        .args([
            "plan",
            "--threads",
            "2,5",
            "--placement",
            "siblings-first",
            "--sysfs",
        ])
        .arg(tree("intel-2s"))
        .assert()
        .success()
        .stdout(predicate::str::contains("#1 cpu 8 (p0 c0)"))
        .stdout(predicate::str::contains("1 share a core"))
        .stdout(predicate::str::contains(
            "16 CPU(s) available of 16 online, 8 core(s), 2 package(s)",
        ));
}

#[test]
fn plan_rejects_a_missing_tree_and_bad_threads_with_one_line() {
    let one_line = predicate::function(|s: &str| s.trim_end().lines().count() == 1);
    Command::cargo_bin("contend")
        .unwrap()
        .args(["plan", "--sysfs", "/nonexistent/sys"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a sysfs tree"))
        .stderr(one_line);
    Command::cargo_bin("contend")
        .unwrap()
        .args(["plan", "--threads", "0", "--sysfs"])
        .arg(tree("amd-smt"))
        .assert()
        .code(2);
    Command::cargo_bin("contend")
        .unwrap()
        .args(["plan", "--placement", "diagonal"])
        .assert()
        .code(2);
}
