//! CPU topology from sysfs (`/sys/devices/system/cpu`) and the placement of threads on it.

use std::path::Path;

use contend_reports::schema::CpuTopology;

/// How a case's threads are mapped to CPUs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Placement {
    /// Fill cores in order, SMT siblings next to each other (threads share caches).
    Compact,
    /// One thread per core across packages first, SMT siblings last (threads share least).
    Spread,
    /// No pinning: the OS decides.
    None,
}

impl Placement {
    pub fn name(self) -> &'static str {
        match self {
            Placement::Compact => "compact",
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
    match placement {
        Placement::None => Vec::new(),
        Placement::Compact => {
            let mut v = cpus;
            v.sort_by_key(|t| (t.package, t.core, t.cpu));
            v.into_iter().map(|t| t.cpu).collect()
        }
        Placement::Spread => {
            // Rank each CPU: its SMT index within its core, and its core's rank within its package.
            let mut ranked: Vec<(usize, usize, usize, usize)> = cpus
                .iter()
                .map(|t| {
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
                    (smt, cores_before.len(), t.package, t.cpu)
                })
                .collect();
            ranked.sort_unstable();
            ranked.into_iter().map(|r| r.3).collect()
        }
    }
}

/// CPUs for `count` threads: round-robin over `order`, or `None` (unpinned) when `order` is empty.
pub fn assign(order: &[usize], count: usize) -> Vec<Option<usize>> {
    (0..count)
        .map(|i| (!order.is_empty()).then(|| order[i % order.len()]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes a fake `/sys/devices/system/cpu` with `packages` x `cores` x `smt`, numbered as Linux
    /// does on x86: first threads of every core first (package by package), then the siblings.
    fn fixture(packages: usize, cores: usize, smt: usize) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let per_smt = packages * cores;
        let total = per_smt * smt;
        std::fs::write(dir.path().join("online"), format!("0-{}\n", total - 1)).unwrap();
        for cpu in 0..total {
            let rest = cpu % per_smt;
            let (pkg, core) = (rest / cores, rest % cores);
            let siblings: Vec<String> =
                (0..smt).map(|s| (s * per_smt + rest).to_string()).collect();
            let topo = dir.path().join(format!("cpu{cpu}/topology"));
            std::fs::create_dir_all(&topo).unwrap();
            std::fs::write(topo.join("physical_package_id"), format!("{pkg}\n")).unwrap();
            // Real core ids are often sparse; use 2*core to prove only the order matters.
            std::fs::write(topo.join("core_id"), format!("{}\n", core * 2)).unwrap();
            std::fs::write(topo.join("thread_siblings_list"), siblings.join(",") + "\n").unwrap();
        }
        dir
    }

    #[test]
    fn cpu_lists_parse_ranges_and_singles() {
        assert_eq!(
            parse_cpu_list("0-3,8,10-11\n").unwrap(),
            vec![0, 1, 2, 3, 8, 10, 11]
        );
        assert_eq!(parse_cpu_list("5").unwrap(), vec![5]);
        assert!(parse_cpu_list("3-1").is_err());
        assert!(parse_cpu_list("a").is_err());
    }

    #[test]
    fn reads_a_two_package_smt_machine() {
        let sys = fixture(2, 4, 2);
        let topo = read_topology(sys.path());
        assert_eq!(topo.len(), 16);
        assert_eq!(count_cores_and_packages(&topo), (8, 2));
        let cpu9 = &topo[9];
        assert_eq!(
            (cpu9.package, cpu9.core, cpu9.siblings.clone()),
            (0, 2, vec![1, 9])
        );
    }

    #[test]
    fn compact_fills_a_core_with_its_siblings_first() {
        let sys = fixture(2, 4, 2);
        let topo = read_topology(sys.path());
        let all: Vec<usize> = (0..16).collect();
        let order = cpu_order(&topo, &all, Placement::Compact);
        assert_eq!(&order[..6], &[0, 8, 1, 9, 2, 10]);
        assert_eq!(order.len(), 16);
    }

    #[test]
    fn spread_alternates_packages_and_leaves_siblings_last() {
        let sys = fixture(2, 4, 2);
        let topo = read_topology(sys.path());
        let all: Vec<usize> = (0..16).collect();
        let order = cpu_order(&topo, &all, Placement::Spread);
        assert_eq!(&order[..8], &[0, 4, 1, 5, 2, 6, 3, 7]);
        assert_eq!(&order[8..], &[8, 12, 9, 13, 10, 14, 11, 15]);
    }

    #[test]
    fn placement_respects_the_affinity_mask() {
        let sys = fixture(2, 4, 2);
        let topo = read_topology(sys.path());
        // As under `taskset -c 1,4,9`: cpu 9 is 1's sibling, so spread uses it last.
        let order = cpu_order(&topo, &[1, 4, 9], Placement::Spread);
        assert_eq!(order, vec![1, 4, 9]);
        assert_eq!(
            cpu_order(&topo, &[1, 4, 9], Placement::Compact),
            vec![1, 9, 4]
        );
    }

    #[test]
    fn more_threads_than_cpus_wrap_around_and_none_is_unpinned() {
        assert_eq!(assign(&[0, 1], 3), vec![Some(0), Some(1), Some(0)]);
        assert_eq!(assign(&[], 2), vec![None, None]);
    }

    #[test]
    fn missing_sysfs_degrades_to_flat_cores() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("cpu0")).unwrap();
        std::fs::create_dir_all(dir.path().join("cpu1")).unwrap();
        let topo = read_topology(dir.path());
        assert_eq!(topo.len(), 2);
        assert_eq!(count_cores_and_packages(&topo), (2, 1));
        assert_eq!(cpu_order(&topo, &[0, 1], Placement::Spread), vec![0, 1]);
    }
}
