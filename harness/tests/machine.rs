//! `contend machine`: the fingerprint on this machine (checked against what its files say) and on
//! the fixture trees (harness/tests/fixtures/sysfs and procfs).

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn contend() -> Command {
    Command::cargo_bin("contend").unwrap()
}

fn fixture(kind: &str, name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(kind)
        .join(name)
}

fn machine(args: &[&str]) -> String {
    let out = contend()
        .arg("machine")
        .args(args)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out).unwrap()
}

fn machine_json(args: &[&str]) -> Value {
    serde_json::from_str(&machine(&[&["--json"], args].concat())).unwrap()
}

fn on_tree(name: &str) -> [String; 4] {
    [
        "--sysfs".into(),
        fixture("sysfs", name).display().to_string(),
        "--procfs".into(),
        fixture("procfs", name).display().to_string(),
    ]
}

#[test]
fn this_machine_shows_its_caches_clocksource_and_hypervisor() {
    let m = machine_json(&[]);
    let d = &m["details"];
    for key in [
        "caches",
        "numa",
        "smt",
        "cpufreq",
        "boost",
        "clocksource",
        "virtualization",
        "cgroup",
        "vulnerabilities",
        "load_average",
        "steal_over_run",
    ] {
        assert!(d.get(key).is_some(), "details.{key} missing: {d:#}");
    }
    if Path::new("/sys/devices/system/cpu/cpu0/cache/index0/level").exists() {
        let caches = d["caches"].as_array().unwrap();
        assert!(!caches.is_empty(), "{d:#}");
        assert_eq!(caches[0]["level"], 1);
        assert!(caches[0]["size_bytes"].as_u64().unwrap() > 0);
    }
    let current = "/sys/devices/system/clocksource/clocksource0/current_clocksource";
    if let Ok(text) = std::fs::read_to_string(current) {
        assert_eq!(d["clocksource"]["current"], text.trim());
    }
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    if cpuinfo.split_whitespace().any(|w| w == "hypervisor") {
        assert_eq!(d["virtualization"]["hypervisor_flag"], true);
        assert_eq!(d["virtualization"]["virtual_machine"], true);
    }
    if cpuinfo.contains("flags") && !cpuinfo.split_whitespace().any(|w| w == "hypervisor") {
        assert_eq!(d["virtualization"]["hypervisor_flag"], false);
    }
    assert!(d["load_average"]["one"].as_f64().is_some());
    assert!(d["steal_over_run"].is_null(), "only a run measures steal");

    let text = machine(&[]);
    for label in [
        "Clocksource",
        "Virtualization",
        "Mitigations",
        "Load at start",
    ] {
        assert!(text.contains(&format!("\n{label} ")), "{label}: {text}");
    }
}

#[test]
fn a_fixture_tree_gives_every_detail() {
    let args = on_tree("intel-2s");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let m = machine_json(&args);
    assert_eq!(m["logical_cpus"], 16);
    let d = &m["details"];
    assert_eq!(d["caches"].as_array().unwrap().len(), 4);
    assert_eq!(d["caches"][3]["shared_cpus"].as_array().unwrap().len(), 2);
    assert_eq!(d["numa"][1]["distances"], serde_json::json!([21, 10]));
    assert_eq!(d["smt"]["control"], "on");
    assert_eq!(
        d["cpufreq"]["governors"],
        serde_json::json!(["performance", "powersave"])
    );
    assert_eq!(d["boost"]["enabled"], true);
    assert_eq!(d["clocksource"]["current"], "kvm-clock");
    assert_eq!(d["virtualization"]["vendor"], "KVM");
    assert_eq!(d["cgroup"]["quota_cpus"], 2.0);
    assert_eq!(d["vulnerabilities"]["retbleed"], "Vulnerable");
    assert_eq!(d["load_average"]["fifteen"], 0.59);

    let text = machine(&args);
    assert!(
        text.contains("L3 unified       30 MiB x 2 (line 64 B; CPUs 0-3,8-11 | 4-7,12-15)\n"),
        "{text}"
    );
    assert!(
        text.contains("NUMA             2 nodes: node 0: CPUs 0-3,8-11, 62.8 GiB"),
        "{text}"
    );
    assert!(
        text.contains(
            "Cgroup CPU limit v2 /bench.slice/run.scope: quota 2 CPUs (200000 100000), cpuset 0-7\n"
        ),
        "{text}"
    );
}

#[test]
fn a_tree_with_files_missing_says_unknown() {
    let args = on_tree("sparse");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let d = machine_json(&args)["details"].clone();
    assert_eq!(d["caches"], serde_json::json!([]));
    assert_eq!(d["numa"], serde_json::json!([]));
    assert!(d["smt"]["active"].is_null());
    assert!(d["clocksource"]["current"].is_null());
    assert!(d["virtualization"]["virtual_machine"].is_null());
    assert!(d["cgroup"]["version"].is_null());
    assert!(d["load_average"].is_null());
    let text = machine(&args);
    for line in [
        "Caches           unknown",
        "Virtualization   unknown",
        "Boost            unknown",
    ] {
        assert!(text.contains(line), "{line}: {text}");
    }
}
