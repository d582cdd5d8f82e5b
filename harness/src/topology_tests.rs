//! Tests of topology reading and placement, on fixture sysfs trees.

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
        let siblings: Vec<String> = (0..smt).map(|s| (s * per_smt + rest).to_string()).collect();
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
fn siblings_first_fills_a_core_with_its_siblings_first() {
    let sys = fixture(2, 4, 2);
    let topo = read_topology(sys.path());
    let all: Vec<usize> = (0..16).collect();
    let order = cpu_order(&topo, &all, Placement::SiblingsFirst);
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
        cpu_order(&topo, &[1, 4, 9], Placement::SiblingsFirst),
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

/// A committed fixture tree under `harness/tests/fixtures/sysfs` (see its README).
fn tree(name: &str) -> SysTree {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/sysfs")
        .join(name);
    read_tree(&root).unwrap()
}

fn order(name: &str, placement: Placement) -> Vec<usize> {
    let t = tree(name);
    cpu_order(&t.topology, &t.available, placement)
}

#[test]
fn cores_first_takes_every_core_package_by_package_before_any_sibling() {
    // Intel numbering, 2 packages: CPUs 0-3 are package 0's cores, 4-7 package 1's, 8-15 siblings.
    assert_eq!(
        order("intel-2s", Placement::CoresFirst),
        (0..16).collect::<Vec<_>>()
    );
    // AMD-style adjacent siblings: every even CPU (one per core) before any odd one.
    assert_eq!(
        order("amd-smt", Placement::CoresFirst),
        vec![0, 2, 4, 6, 1, 3, 5, 7]
    );
}

#[test]
fn siblings_first_keeps_a_cores_hardware_threads_adjacent() {
    assert_eq!(
        order("intel-2s", Placement::SiblingsFirst),
        vec![0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15]
    );
    assert_eq!(
        order("amd-smt", Placement::SiblingsFirst),
        (0..8).collect::<Vec<_>>()
    );
}

#[test]
fn spread_alternates_packages_on_the_two_socket_tree() {
    assert_eq!(
        order("intel-2s", Placement::Spread),
        vec![0, 4, 1, 5, 2, 6, 3, 7, 8, 12, 9, 13, 10, 14, 11, 15]
    );
}

#[test]
fn offline_cpus_and_a_cgroup_cpuset_are_never_used() {
    let offline = tree("offline");
    assert_eq!(offline.available, vec![0, 1, 3, 4, 5, 7]);
    assert_eq!(
        order("offline", Placement::CoresFirst),
        vec![0, 1, 3, 4, 5, 7]
    );
    let cpuset = tree("cpuset");
    assert_eq!(cpuset.available, vec![4, 5, 6, 7, 12, 13, 14, 15]);
    assert_eq!(
        order("cpuset", Placement::SiblingsFirst),
        vec![4, 12, 5, 13, 6, 14, 7, 15]
    );
}

#[test]
fn a_missing_tree_is_an_error_and_physical_cores_follow_the_topology() {
    assert!(read_tree(Path::new("/nonexistent/sys")).is_err());
    let t = tree("intel-2s");
    let cores = physical_cores(&t.topology, &[Some(5), Some(13), None]);
    assert_eq!(
        cores,
        vec![
            Some(CoreId {
                package: 1,
                core: 2
            }),
            Some(CoreId {
                package: 1,
                core: 2
            }),
            None
        ]
    );
}
