//! What the harness knows about the machine: CPU, cores, topology, memory, OS, kernel, rustc, and
//! the fingerprint for hardware comparisons (`Machine::details`), read from a sysfs and a procfs
//! root so that tests can point them at fixture trees.

mod caches;
mod cgroup;
mod cpufreq;
mod kernel;
mod numa;
mod steal;
mod sysread;
mod virt;

use std::path::PathBuf;
use std::process::ExitCode;

use contend_reports::schema::{Machine, MachineDetails, Tool};
use sysinfo::{CpuRefreshKind, MemoryRefreshKind, RefreshKind, System};

use crate::topology::{count_cores_and_packages, read_topology};

pub use steal::RunSteal;

/// Where Linux describes its CPUs.
pub const SYSFS_CPU: &str = "/sys/devices/system/cpu";

/// The sysfs and procfs roots the machine is read from: `/sys` and `/proc`, or fixture trees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roots {
    pub sys: PathBuf,
    pub proc: PathBuf,
}

impl Roots {
    /// This machine's `/sys` and `/proc`.
    pub fn live() -> Roots {
        Roots {
            sys: "/sys".into(),
            proc: "/proc".into(),
        }
    }
}

/// The CPUs this process may run on (its affinity mask), ascending; falls back to every online CPU.
pub fn available_cpus() -> Vec<usize> {
    let mut cpus: Vec<usize> = core_affinity::get_core_ids()
        .unwrap_or_default()
        .into_iter()
        .map(|c| c.id)
        .collect();
    if cpus.is_empty() {
        cpus = (0..std::thread::available_parallelism().map_or(1, |n| n.get())).collect();
    }
    cpus.sort_unstable();
    cpus
}

/// Describes this machine, reading topology and details under `roots` (CPU model, memory, OS and
/// the affinity mask are always this machine's).
pub fn describe(roots: &Roots) -> Machine {
    let sys = System::new_with_specifics(
        RefreshKind::nothing()
            .with_cpu(CpuRefreshKind::nothing())
            .with_memory(MemoryRefreshKind::nothing().with_ram()),
    )
    .ok();
    let cpus = sys.as_ref().map_or(&[][..], |s| s.cpus());
    let topology = read_topology(&roots.sys.join("devices/system/cpu"));
    let (physical_cores, packages) = count_cores_and_packages(&topology);
    let logical_cpus = if topology.is_empty() {
        cpus.len()
    } else {
        topology.len()
    };
    Machine {
        hostname: System::host_name().ok().unwrap_or_else(|| "unknown".into()),
        cpu_model: cpus
            .first()
            .map(|c| c.brand().trim().to_string())
            .filter(|b| !b.is_empty())
            .unwrap_or_else(|| "unknown".into()),
        logical_cpus,
        physical_cores,
        packages,
        available_cpus: available_cpus(),
        memory_bytes: sys.as_ref().map_or(0, |s| s.total_memory()),
        os: System::long_os_version()
            .ok()
            .unwrap_or_else(|| std::env::consts::OS.into()),
        kernel: System::kernel_version()
            .ok()
            .unwrap_or_else(|| "unknown".into()),
        rustc: env!("CONTEND_RUSTC_VERSION").to_string(),
        details: details(roots, &topology.iter().map(|t| t.cpu).collect::<Vec<_>>()),
        topology,
    }
}

/// The fingerprint of the online `cpus` under `roots`; the CPUID hypervisor signature is asked
/// only of the live machine. Steal over a run is filled in by the run.
pub fn details(roots: &Roots, cpus: &[usize]) -> MachineDetails {
    let cpu_dir = roots.sys.join("devices/system/cpu");
    let clocksource = kernel::read_clocksource(&roots.sys);
    let cpuid = (*roots == Roots::live())
        .then(virt::cpuid_signature)
        .flatten();
    MachineDetails {
        caches: caches::read(&cpu_dir, cpus),
        numa: numa::read(&roots.sys.join("devices/system/node")),
        smt: kernel::read_smt(&cpu_dir),
        cpufreq: cpufreq::read(&cpu_dir, cpus),
        boost: cpufreq::read_boost(&cpu_dir, cpus.first().copied()),
        virtualization: virt::read(&roots.sys, &roots.proc, cpuid.as_deref(), &clocksource),
        clocksource,
        cgroup: cgroup::read(&roots.sys, &roots.proc),
        vulnerabilities: kernel::read_vulnerabilities(&cpu_dir),
        load_average: kernel::read_loadavg(&roots.proc),
        steal_over_run: None,
    }
}

/// This tool's name, version, and the commit, dirty flag and branch it was built from.
pub fn tool() -> Tool {
    Tool {
        name: "contend".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        git_commit: option_env!("CONTEND_GIT_COMMIT").map(str::to_string),
        git_dirty: option_env!("CONTEND_GIT_DIRTY").map(|d| d == "true"),
        git_branch: option_env!("CONTEND_GIT_BRANCH").map(str::to_string),
    }
}

/// Human-readable description for `contend machine`.
pub fn render(m: &Machine) -> String {
    let mut out = String::new();
    let gib = m.memory_bytes as f64 / (1u64 << 30) as f64;
    out += &format!("host        {}\n", m.hostname);
    out += &format!("cpu         {}\n", m.cpu_model);
    out += &format!(
        "cores       {} logical CPUs on {} physical cores in {} package(s)\n",
        m.logical_cpus, m.physical_cores, m.packages
    );
    out += &format!(
        "available   {} CPUs to this process: {:?}\n",
        m.available_cpus.len(),
        m.available_cpus
    );
    out += &format!("memory      {gib:.1} GiB\n");
    out += &format!("os          {} (kernel {})\n", m.os, m.kernel);
    out += &format!("rustc       {}\n", m.rustc);
    for (label, value) in m.details.lines() {
        out += &format!("{label:<17}{value}\n");
        if label == "Mitigations" {
            for (name, text) in &m.details.vulnerabilities {
                out += &format!("  {name:<27}{text}\n");
            }
        }
    }
    out += "topology    cpu  package  core  smt-siblings\n";
    for t in &m.topology {
        let sib: Vec<String> = t.siblings.iter().map(|s| s.to_string()).collect();
        out += &format!(
            "            {:>3}  {:>7}  {:>4}  {}\n",
            t.cpu,
            t.package,
            t.core,
            sib.join(",")
        );
    }
    out
}

/// `contend machine`: the description as text, or as JSON (as stored in results); `sysfs` and
/// `procfs` replace `/sys` and `/proc`.
pub fn command(json: bool, sysfs: Option<PathBuf>, procfs: Option<PathBuf>) -> ExitCode {
    let live = Roots::live();
    let m = describe(&Roots {
        sys: sysfs.unwrap_or(live.sys),
        proc: procfs.unwrap_or(live.proc),
    });
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&m).expect("machine serializes")
        );
    } else {
        print!("{}", render(&m));
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::path::Path;

    /// A committed fixture tree under `harness/tests/fixtures` (`sysfs/intel-2s`, `procfs/sparse`).
    pub fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name)
    }

    fn roots(name: &str) -> Roots {
        Roots {
            sys: fixture(&format!("sysfs/{name}")),
            proc: fixture(&format!("procfs/{name}")),
        }
    }

    #[test]
    fn a_full_tree_gives_every_detail() {
        let m = describe(&roots("intel-2s"));
        assert_eq!(m.logical_cpus, 16);
        let d = &m.details;
        assert_eq!(d.caches.len(), 4);
        assert_eq!(d.numa.len(), 2);
        assert_eq!(d.smt.active, Some(true));
        assert_eq!(d.cpufreq.driver.as_deref(), Some("intel_pstate"));
        assert_eq!(d.boost.enabled, Some(true));
        assert_eq!(d.clocksource.current.as_deref(), Some("kvm-clock"));
        assert_eq!(d.virtualization.vendor.as_deref(), Some("KVM"));
        assert_eq!(d.cgroup.quota_cpus, Some(2.0));
        assert_eq!(d.vulnerabilities.len(), 6);
        assert!(d.load_average.is_some());
        assert_eq!(d.steal_over_run, None, "a run fills it in");
        let text = render(&m);
        assert!(
            text.contains("L2 unified       1.25 MiB x 8 (line 64 B; CPUs 0,8 | 1,9 | 2,10 | 3,11 | 4,12 | 5,13 | 6,14 | 7,15)"),
            "{text}"
        );
        assert!(
            text.contains("  retbleed                   Vulnerable\n"),
            "{text}"
        );
    }

    #[test]
    fn a_tree_with_files_missing_gives_unknowns_and_no_panic() {
        let d = describe(&roots("sparse")).details;
        assert_eq!(d, MachineDetails::default());
        let nowhere = Roots {
            sys: "/nonexistent/sys".into(),
            proc: "/nonexistent/proc".into(),
        };
        assert_eq!(describe(&nowhere).details, MachineDetails::default());
    }
}
