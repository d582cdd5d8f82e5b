//! Tests of the pairs' relations and of `--pairs`'s stratified sample, on fixture topologies
//! (the sysfs trees of harness/tests/fixtures/sysfs, and a 256-CPU machine built in memory):
//! nothing is measured.

use std::path::PathBuf;

use super::*;
use crate::topology::{Placement, cpu_order, read_tree};

/// `packages` x `cores` x `smt` numbered as Linux does on x86: first threads of every core,
/// package by package, then the siblings.
fn machine(packages: usize, cores: usize, smt: usize) -> Vec<CpuTopology> {
    let per_smt = packages * cores;
    (0..per_smt * smt)
        .map(|cpu| {
            let rest = cpu % per_smt;
            CpuTopology {
                cpu,
                package: rest / cores,
                core: 2 * (rest % cores),
                siblings: (0..smt).map(|s| s * per_smt + rest).collect(),
            }
        })
        .collect()
}

fn map_order(topology: &[CpuTopology]) -> Vec<usize> {
    let all: Vec<usize> = topology.iter().map(|t| t.cpu).collect();
    cpu_order(topology, &all, Placement::SiblingsFirst)
}

fn count(chosen: &Chosen, relation: &str) -> usize {
    chosen.pairs.iter().filter(|p| p.2 == relation).count()
}

fn fixture(name: &str) -> crate::topology::SysTree {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sysfs");
    read_tree(&root.join(name)).unwrap()
}

#[test]
fn pairs_parse_as_a_positive_count_or_all() {
    assert_eq!(parse_pairs("all"), Ok(PairsSpec::All));
    assert_eq!(parse_pairs("12"), Ok(PairsSpec::Count(12)));
    for bad in ["0", "-1", "", "some"] {
        assert!(parse_pairs(bad).is_err(), "{bad}");
    }
}

#[test]
fn relations_follow_the_topology_of_a_two_package_smt_machine() {
    let sys = fixture("intel-2s");
    let layout = Layout {
        topology: &sys.topology,
        l3: &[],
    };
    assert_eq!(layout.relation(0, 8), "smt-siblings");
    assert_eq!(layout.relation(0, 1), "same-package");
    assert_eq!(layout.relation(9, 3), "same-package");
    assert_eq!(layout.relation(0, 4), "cross-package");
    assert_eq!(layout.relation(12, 0), "cross-package");
    let l3 = [vec![0, 1, 8, 9], vec![2, 3, 10, 11]];
    let with_l3 = Layout {
        topology: &sys.topology,
        l3: &l3,
    };
    assert_eq!(with_l3.relation(0, 9), "same-l3");
    assert_eq!(with_l3.relation(0, 2), "same-package");
    assert_eq!(with_l3.relation(0, 8), "smt-siblings");
}

#[test]
fn up_to_sixteen_cpus_the_default_is_the_full_map_in_topology_order() {
    let sys = fixture("intel-2s");
    let order = map_order(&sys.topology);
    assert_eq!(&order[..4], &[0, 8, 1, 9]);
    let layout = Layout {
        topology: &sys.topology,
        l3: &[],
    };
    let chosen = choose(&order, &layout, None, 1);
    assert_eq!(chosen.pairs.len(), 16 * 15);
    assert_eq!(chosen.possible, 240);
    assert_eq!(
        (
            count(&chosen, "smt-siblings"),
            count(&chosen, "same-package"),
            count(&chosen, "cross-package")
        ),
        (16, 96, 128)
    );
    assert_eq!((chosen.pairs[0].0, chosen.pairs[0].1), (0, 8), "row by row");
    assert!(chosen.selection.starts_with("every ordered pair"));
}

#[test]
fn a_sample_is_shared_equally_among_the_relations_present() {
    let sys = fixture("intel-2s");
    let order = map_order(&sys.topology);
    let layout = Layout {
        topology: &sys.topology,
        l3: &[],
    };
    let chosen = choose(&order, &layout, Some(PairsSpec::Count(31)), 7);
    assert_eq!(chosen.pairs.len(), 31);
    assert_eq!(
        (
            count(&chosen, "smt-siblings"),
            count(&chosen, "same-package"),
            count(&chosen, "cross-package")
        ),
        (11, 10, 10)
    );
    assert!(
        chosen.selection.contains("smt-siblings 11 of 16"),
        "{}",
        chosen.selection
    );
}

#[test]
fn a_small_relation_gives_all_its_pairs_and_the_rest_go_to_the_others() {
    let sys = fixture("amd-smt");
    let order = map_order(&sys.topology);
    let layout = Layout {
        topology: &sys.topology,
        l3: &[],
    };
    // 8 CPUs: 8 ordered sibling pairs, 48 same-package ones, no other package.
    let chosen = choose(&order, &layout, Some(PairsSpec::Count(40)), 3);
    assert_eq!(count(&chosen, "smt-siblings"), 8);
    assert_eq!(count(&chosen, "same-package"), 32);
    assert_eq!(count(&chosen, "cross-package"), 0);
}

#[test]
fn the_default_on_256_cpus_samples_240_pairs_over_every_relation() {
    let topology = machine(2, 64, 2);
    let order = map_order(&topology);
    // 16 CPUs (8 cores x 2 SMT) per L3, as on a chiplet machine.
    let l3: Vec<Vec<usize>> = (0..16)
        .map(|g| {
            let mut cpus: Vec<usize> = (0..8).flat_map(|c| [g * 8 + c, 128 + g * 8 + c]).collect();
            cpus.sort_unstable();
            cpus
        })
        .collect();
    let layout = Layout {
        topology: &topology,
        l3: &l3,
    };
    let chosen = choose(&order, &layout, None, 24301);
    assert_eq!(chosen.possible, 256 * 255);
    assert_eq!(chosen.pairs.len(), DEFAULT_SAMPLE);
    for r in RELATIONS {
        assert_eq!(count(&chosen, r), 60, "{r}: {}", chosen.selection);
    }
    for &(a, b, r) in &chosen.pairs {
        assert_ne!(a, b);
        assert_eq!(layout.relation(a, b), r);
    }
    let mut unique = chosen.pairs.clone();
    unique.dedup();
    assert_eq!(unique.len(), chosen.pairs.len(), "no pair twice");
    assert_eq!(chosen, choose(&order, &layout, None, 24301), "reproducible");
    assert_ne!(chosen, choose(&order, &layout, None, 1), "the seed chooses");
    // Row by row in the map's order.
    let at = |c: usize| order.iter().position(|&o| o == c).unwrap();
    assert!(
        chosen
            .pairs
            .windows(2)
            .all(|w| (at(w[0].0), at(w[0].1)) < (at(w[1].0), at(w[1].1)))
    );
    // `--pairs all` forces the whole map, strata sizes as the topology makes them.
    let all = choose(&order, &layout, Some(PairsSpec::All), 1);
    assert_eq!(all.pairs.len(), 65280);
    assert_eq!(count(&all, "smt-siblings"), 256);
    assert_eq!(count(&all, "cross-package"), 2 * 128 * 128);
    assert_eq!(count(&all, "same-l3"), 16 * (16 * 15 - 16));
}

#[test]
fn quotas_fill_equally_then_spill_over() {
    assert_eq!(quotas(&[100, 100, 100], 10), vec![4, 3, 3]);
    assert_eq!(quotas(&[2, 100, 0, 100], 10), vec![2, 4, 0, 4]);
    assert_eq!(quotas(&[2, 3], 10), vec![2, 3]);
}

#[test]
fn the_map_keeps_to_the_cpus_a_cpuset_allows() {
    // intel-2s inside a cpuset of package 1 only (CPUs 4-7 and their siblings 12-15).
    let sys = fixture("cpuset");
    let order = cpu_order(&sys.topology, &sys.available, Placement::SiblingsFirst);
    assert_eq!(order, vec![4, 12, 5, 13, 6, 14, 7, 15]);
    let layout = Layout {
        topology: &sys.topology,
        l3: &[],
    };
    let chosen = choose(&order, &layout, None, 1);
    assert_eq!(chosen.pairs.len(), 56);
    assert_eq!(count(&chosen, "smt-siblings"), 8);
    assert_eq!(count(&chosen, "cross-package"), 0);
    assert!(
        chosen
            .pairs
            .iter()
            .all(|p| order.contains(&p.0) && order.contains(&p.1))
    );
}
