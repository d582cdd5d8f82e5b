//! NUMA nodes from `devices/system/node/nodeN`: CPUs, distances and memory of each node.

use std::path::Path;

use contend_reports::schema::NumaNode;

use super::sysread;

/// `MemTotal` of a node's `meminfo` (`Node 0 MemTotal:  65869356 kB`), bytes.
fn mem_total(text: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.contains("MemTotal:"))?;
    let mut words = line.split_whitespace().rev();
    let unit = words.next()?;
    let n: u64 = words.next()?.parse().ok()?;
    (unit == "kB").then_some(n * 1024)
}

/// The nodes under `node_dir` (`<sysfs>/devices/system/node`) whose CPU list is readable.
pub fn read(node_dir: &Path) -> Vec<NumaNode> {
    sysread::numbered(node_dir, "node")
        .into_iter()
        .filter_map(|(node, dir)| {
            let cpus = sysread::cpu_list(&dir.join("cpulist"))?;
            let distances = sysread::text(&dir.join("distance"))
                .map(|t| t.split_whitespace().map_while(|d| d.parse().ok()).collect())
                .unwrap_or_default();
            let memory_bytes = std::fs::read_to_string(dir.join("meminfo"))
                .ok()
                .and_then(|t| mem_total(&t));
            Some(NumaNode {
                node,
                cpus,
                distances,
                memory_bytes,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::tests::fixture;

    #[test]
    fn two_nodes_with_their_distances_and_memory() {
        let nodes = read(&fixture("sysfs/intel-2s").join("devices/system/node"));
        assert_eq!(nodes.len(), 2);
        assert_eq!(nodes[0].cpus, [0, 1, 2, 3, 8, 9, 10, 11]);
        assert_eq!(nodes[0].distances, [10, 21]);
        assert_eq!(nodes[1].distances, [21, 10]);
        assert_eq!(nodes[0].memory_bytes, Some(65_869_356 * 1024));
    }

    #[test]
    fn a_node_without_a_cpu_list_is_left_out() {
        assert!(read(&fixture("sysfs/sparse").join("devices/system/node")).is_empty());
        assert!(read(Path::new("/nonexistent")).is_empty());
        assert_eq!(mem_total("Node 0 MemTotal: 12 MB"), None);
    }
}
