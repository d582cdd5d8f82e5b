//! CPU topology from sysfs (`/sys/devices/system/cpu`) and the placement of threads on it.

use std::path::Path;

use contend_reports::schema::{CoreId, CpuTopology};

/// How a case's threads are mapped to CPUs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Placement {
    /// One CPU per physical core first, package by package; SMT siblings only after every core
    /// has one (the default: the 1 -> 2 thread step measures two cores, not hyper-threading).
    CoresFirst,
    /// SMT siblings adjacent: a core's hardware threads before the next core, so threads share
    /// L1/L2 (called `compact` before; that name still works).
    #[value(alias = "compact")]
    SiblingsFirst,
    /// One thread per core alternating packages, SMT siblings last (threads share least).
    Spread,
    /// No pinning: the OS decides.
    None,
}

impl Placement {
    pub fn name(self) -> &'static str {
        match self {
            Placement::CoresFirst => "cores-first",
            Placement::SiblingsFirst => "siblings-first",
            Placement::Spread => "spread",
            Placement::None => "none",
        }
    }
}

/// Parses a kernel CPU list such as `0-3,8,10-11` into ascending CPU numbers.
pub fn parse_cpu_list(text: &str) -> Result<Vec<usize>, String> {
    let mut cpus = Vec::new();
    for part in text.trim().split(',').filter(|p| !p.is_empty()) {
        let bad = || format!("malformed CPU list {:?}", text.trim());
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b): (usize, usize) =
                    (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?);
                if a > b {
                    return Err(bad());
                }
                cpus.extend(a..=b);
            }
            None => cpus.push(part.parse().map_err(|_| bad())?),
        }
    }
    cpus.sort_unstable();
    cpus.dedup();
    Ok(cpus)
}

fn read_number(path: &Path) -> Option<usize> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// Reads the topology of every online CPU under `root` (normally `/sys/devices/system/cpu`).
///
/// Missing files degrade gracefully: without `online` the CPUs `cpuN` directories are used, and a
/// CPU without topology files is its own core in package 0.
pub fn read_topology(root: &Path) -> Vec<CpuTopology> {
    let online = std::fs::read_to_string(root.join("online"))
        .ok()
        .and_then(|t| parse_cpu_list(&t).ok())
        .unwrap_or_else(|| list_cpu_dirs(root));
    online
        .into_iter()
        .map(|cpu| {
            let dir = root.join(format!("cpu{cpu}/topology"));
            let siblings = ["core_cpus_list", "thread_siblings_list"]
                .iter()
                .find_map(|f| std::fs::read_to_string(dir.join(f)).ok())
                .and_then(|t| parse_cpu_list(&t).ok())
                .filter(|s| s.contains(&cpu))
                .unwrap_or_else(|| vec![cpu]);
            CpuTopology {
                cpu,
                package: read_number(&dir.join("physical_package_id")).unwrap_or(0),
                core: read_number(&dir.join("core_id")).unwrap_or(cpu),
                siblings,
            }
        })
        .collect()
}

fn list_cpu_dirs(root: &Path) -> Vec<usize> {
    let mut cpus: Vec<usize> = std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.strip_prefix("cpu")?.parse().ok())
        .collect();
    cpus.sort_unstable();
    cpus
}

/// Number of distinct physical cores and packages in `topology`.
pub fn count_cores_and_packages(topology: &[CpuTopology]) -> (usize, usize) {
    let mut cores: Vec<_> = topology.iter().map(|c| (c.package, c.core)).collect();
    cores.sort_unstable();
    cores.dedup();
    let mut packages: Vec<_> = topology.iter().map(|c| c.package).collect();
    packages.sort_unstable();
    packages.dedup();
    (cores.len(), packages.len())
}

/// The order in which `placement` uses the `available` CPUs (empty for [`Placement::None`]).
///
/// CPUs missing from `topology` are treated as single-thread cores of package 0.
pub fn cpu_order(
    topology: &[CpuTopology],
    available: &[usize],
    placement: Placement,
) -> Vec<usize> {
    let info = |cpu: usize| {
        topology
            .iter()
            .find(|t| t.cpu == cpu)
            .cloned()
            .unwrap_or(CpuTopology {
                cpu,
                package: 0,
                core: cpu,
                siblings: vec![cpu],
            })
    };
    let cpus: Vec<CpuTopology> = available.iter().map(|&c| info(c)).collect();
    // Rank each CPU: its SMT index within its core (counting available siblings only), and its
    // core's rank within its package.
    let rank = |t: &CpuTopology| {
        let smt = t
            .siblings
            .iter()
            .filter(|&&s| s < t.cpu && available.contains(&s))
            .count();
        let mut cores_before: Vec<usize> = cpus
            .iter()
            .filter(|o| o.package == t.package && o.core < t.core)
            .map(|o| o.core)
            .collect();
        cores_before.sort_unstable();
        cores_before.dedup();
        (smt, cores_before.len())
    };
    let mut keys: Vec<(usize, usize, usize, usize)> = cpus
        .iter()
        .filter_map(|t| {
            let (smt, core_rank) = rank(t);
            match placement {
                Placement::CoresFirst => Some((smt, t.package, core_rank, t.cpu)),
                Placement::SiblingsFirst => Some((t.package, core_rank, smt, t.cpu)),
                Placement::Spread => Some((smt, core_rank, t.package, t.cpu)),
                Placement::None => None,
            }
        })
        .collect();
    keys.sort_unstable();
    keys.into_iter().map(|k| k.3).collect()
}

/// The physical core (package, core id) of each pinned CPU in `cpus` (None where unpinned or
/// unknown to `topology`).
pub fn physical_cores(topology: &[CpuTopology], cpus: &[Option<usize>]) -> Vec<Option<CoreId>> {
    cpus.iter()
        .map(|cpu| {
            let t = topology.iter().find(|t| Some(t.cpu) == *cpu)?;
            Some(CoreId {
                package: t.package,
                core: t.core,
            })
        })
        .collect()
}

/// CPUs for `count` threads: round-robin over `order`, or `None` (unpinned) when `order` is empty.
pub fn assign(order: &[usize], count: usize) -> Vec<Option<usize>> {
    (0..count)
        .map(|i| (!order.is_empty()).then(|| order[i % order.len()]))
        .collect()
}

/// A machine's CPUs as a sysfs tree describes them: topology of the online CPUs, and the CPUs a
/// process may use (online, within the cgroup's cpuset when the tree has one).
#[derive(Debug, Clone, PartialEq)]
pub struct SysTree {
    pub topology: Vec<CpuTopology>,
    pub available: Vec<usize>,
}

/// Reads the sysfs root `sys` (`/sys`, or a fixture tree laid out like it):
/// `devices/system/cpu` for the online CPUs and their topology, and the cgroup v2 cpuset
/// `fs/cgroup/cpuset.cpus.effective` when present. Errors when `sys` has no `devices/system/cpu`
/// or a CPU list there is malformed.
pub fn read_tree(sys: &Path) -> Result<SysTree, String> {
    let cpu_dir = sys.join("devices/system/cpu");
    if !cpu_dir.is_dir() {
        return Err(format!(
            "{}: not a sysfs tree (no devices/system/cpu inside)",
            sys.display()
        ));
    }
    let topology = read_topology(&cpu_dir);
    let cpuset_file = sys.join("fs/cgroup/cpuset.cpus.effective");
    let cpuset = match std::fs::read_to_string(&cpuset_file) {
        Ok(text) => {
            Some(parse_cpu_list(&text).map_err(|e| format!("{}: {e}", cpuset_file.display()))?)
        }
        Err(_) => None,
    };
    let available = topology
        .iter()
        .map(|t| t.cpu)
        .filter(|cpu| cpuset.as_ref().is_none_or(|set| set.contains(cpu)))
        .collect();
    Ok(SysTree {
        topology,
        available,
    })
}

#[cfg(test)]
#[path = "topology_tests.rs"]
mod tests;
