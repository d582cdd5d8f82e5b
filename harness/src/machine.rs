//! What the harness knows about the machine: CPU, cores, topology, memory, OS, kernel, rustc.

use std::path::Path;

use contend_reports::schema::{Machine, Tool};
use sysinfo::{CpuRefreshKind, MemoryRefreshKind, RefreshKind, System};

use crate::topology::{count_cores_and_packages, read_topology};

/// Where Linux describes its CPUs.
pub const SYSFS_CPU: &str = "/sys/devices/system/cpu";

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

/// Describes this machine, reading topology from `sysfs_cpu`.
pub fn describe(sysfs_cpu: &Path) -> Machine {
    let sys = System::new_with_specifics(
        RefreshKind::nothing()
            .with_cpu(CpuRefreshKind::nothing())
            .with_memory(MemoryRefreshKind::nothing().with_ram()),
    )
    .ok();
    let cpus = sys.as_ref().map_or(&[][..], |s| s.cpus());
    let topology = read_topology(sysfs_cpu);
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
        topology,
        memory_bytes: sys.as_ref().map_or(0, |s| s.total_memory()),
        os: System::long_os_version()
            .ok()
            .unwrap_or_else(|| std::env::consts::OS.into()),
        kernel: System::kernel_version()
            .ok()
            .unwrap_or_else(|| "unknown".into()),
        rustc: env!("CONTEND_RUSTC_VERSION").to_string(),
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
