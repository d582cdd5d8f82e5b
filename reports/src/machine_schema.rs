//! The results JSON's machine fingerprint (`machine.details`): caches, NUMA, SMT, frequency
//! scaling, clocksource, virtualization, cgroup limits, kernel mitigations, load and steal.
//!
//! Everything here is what a hardware comparison needs to explain a difference; none of it is the
//! machine's identity (see `fingerprint.rs`). Every field is null or empty when the machine did
//! not show it (or the file was written before the fingerprint existed): unknown, never an error.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// What sysfs and procfs said about the machine beyond its CPU model and counts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MachineDetails {
    /// One entry per distinct cache (level, type, size, line size), with the CPU sets that share
    /// each instance of it; ordered by level, then data / instruction / unified.
    pub caches: Vec<Cache>,
    /// NUMA nodes in node order (empty when the kernel shows none).
    pub numa: Vec<NumaNode>,
    pub smt: Smt,
    pub cpufreq: CpuFreq,
    pub boost: Boost,
    pub clocksource: Clocksource,
    pub virtualization: Virtualization,
    pub cgroup: Cgroup,
    /// Kernel's view of CPU vulnerabilities: file name under
    /// `/sys/devices/system/cpu/vulnerabilities` -> its text (`Not affected`, `Mitigation: ...`,
    /// `Vulnerable`).
    pub vulnerabilities: BTreeMap<String, String>,
    /// `/proc/loadavg` when the description was taken (at the start of a run).
    pub load_average: Option<LoadAverage>,
    /// Steal time of all CPUs between the start and the end of `contend run`.
    pub steal_over_run: Option<StealOverRun>,
}

/// One kind of cache and each instance of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cache {
    pub level: u32,
    /// `Data`, `Instruction` or `Unified`, as the kernel spells it.
    #[serde(rename = "type")]
    pub kind: String,
    /// Size of one instance, bytes (null when unreadable).
    pub size_bytes: Option<u64>,
    /// Coherency line size, bytes.
    pub line_bytes: Option<u64>,
    /// The CPUs sharing each instance, ascending; one list per instance, ordered by first CPU.
    pub shared_cpus: Vec<Vec<usize>>,
}

/// One NUMA node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NumaNode {
    pub node: usize,
    /// Its CPUs, ascending.
    pub cpus: Vec<usize>,
    /// Its row of the distance matrix (to every node in node order; 10 = local).
    pub distances: Vec<u32>,
    /// `MemTotal` of the node, bytes.
    #[serde(default)]
    pub memory_bytes: Option<u64>,
}

/// Simultaneous multithreading as the kernel controls it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Smt {
    /// `on`, `off`, `forceoff`, `notsupported` or `notimplemented`.
    pub control: Option<String>,
    /// Whether sibling threads are running.
    pub active: Option<bool>,
}

/// CPU frequency scaling (cpufreq), over the online CPUs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CpuFreq {
    /// `scaling_driver`, e.g. `intel_pstate`, `acpi-cpufreq`, `amd-pstate-epp`.
    pub driver: Option<String>,
    /// Distinct `scaling_governor`s, sorted (one unless CPUs differ).
    pub governors: Vec<String>,
    /// Lowest `cpuinfo_min_freq` over the CPUs, kHz.
    pub min_khz: Option<u64>,
    /// Highest `cpuinfo_max_freq` over the CPUs, kHz.
    pub max_khz: Option<u64>,
    /// `scaling_cur_freq` per CPU when the description was taken, kHz.
    pub cur_khz: BTreeMap<usize, u64>,
}

/// Turbo / boost frequencies.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Boost {
    pub enabled: Option<bool>,
    /// The file it was read from, relative to `/sys/devices/system/cpu`, e.g. `cpufreq/boost` or
    /// `intel_pstate/no_turbo`.
    pub source: Option<String>,
}

/// The kernel's timekeeping clocksource.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Clocksource {
    /// e.g. `tsc`, `kvm-clock`, `hpet`, `arch_sys_counter`.
    pub current: Option<String>,
    pub available: Vec<String>,
}

/// Whether the machine is a virtual machine, and under which hypervisor.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Virtualization {
    /// True when any source says so; false when the CPU flags were readable, lack `hypervisor` and
    /// nothing else hints at one; null when unknown.
    pub virtual_machine: Option<bool>,
    /// `KVM`, `Xen`, `VMware`, `Hyper-V`, `QEMU`, `VirtualBox`, ... when it can be told.
    pub vendor: Option<String>,
    /// Whether `/proc/cpuinfo`'s flags include `hypervisor` (null when there are no flags).
    pub hypervisor_flag: Option<bool>,
    /// DMI `sys_vendor` and `product_name` (`/sys/class/dmi/id`).
    pub dmi_vendor: Option<String>,
    pub dmi_product: Option<String>,
    /// What told the vendor, strongest first, e.g. `cpuid: KVMKVMKVM`, `clocksource: kvm-clock`.
    pub evidence: Vec<String>,
}

/// The CPU limits of the process's cgroup.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Cgroup {
    /// 1 or 2.
    pub version: Option<u32>,
    /// The process's cgroup as `/proc/self/cgroup` names it (for v1, the cpu controller's).
    pub path: Option<String>,
    /// The nearest `cpu.max` (v2) or `cpu.cfs_quota_us cpu.cfs_period_us` (v1), verbatim:
    /// `max 100000` means no quota.
    pub cpu_max: Option<String>,
    /// The tightest quota of the cgroup and its ancestors, in CPUs (quota / period); null when
    /// there is none or it is unknown.
    pub quota_cpus: Option<f64>,
    /// The effective cpuset (`cpuset.cpus.effective`, v1 `cpuset.effective_cpus`), ascending.
    pub cpuset: Option<Vec<usize>>,
}

/// The 1, 5 and 15 minute load averages.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LoadAverage {
    pub one: f64,
    pub five: f64,
    pub fifteen: f64,
}

/// Steal time summed over every CPU in `/proc/stat`, between the start and the end of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StealOverRun {
    /// Steal, ns (a multiple of the 10 ms USER_HZ tick).
    pub steal_ns: u64,
    /// Wall time between the two reads, ns.
    pub window_ns: u64,
    /// CPUs summed.
    pub cpus: usize,
}

impl StealOverRun {
    /// The fraction of the CPUs' time lost to steal (0 when the window is empty).
    pub fn fraction(&self) -> f64 {
        let cpu_ns = self.window_ns as f64 * self.cpus as f64;
        if cpu_ns > 0.0 {
            self.steal_ns as f64 / cpu_ns
        } else {
            0.0
        }
    }
}
