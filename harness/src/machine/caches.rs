//! CPU caches from `devices/system/cpu/cpuN/cache/indexM`: one entry per distinct cache (level,
//! type, size, line size) with the CPU set of each instance, however many CPUs list it.

use std::collections::BTreeMap;
use std::path::Path;

use contend_reports::schema::Cache;

use super::sysread;

/// `48K`, `2048K`, `1M` as bytes.
pub fn parse_size(text: &str) -> Option<u64> {
    let t = text.trim();
    let (digits, unit) = match t.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => t.split_at(i),
        None => (t, ""),
    };
    let n: u64 = digits.parse().ok()?;
    let shift = match unit.trim() {
        "" => 0,
        "K" | "k" => 10,
        "M" => 20,
        "G" => 30,
        _ => return None,
    };
    n.checked_mul(1 << shift)
}

fn kind_rank(kind: &str) -> u8 {
    match kind {
        "Data" => 0,
        "Instruction" => 1,
        "Unified" => 2,
        _ => 3,
    }
}

/// The caches of `cpus` under `cpu_dir` (`<sysfs>/devices/system/cpu`), deduplicated, ordered by
/// level, then data / instruction / unified, then size. An index without a level or type is
/// skipped; without `shared_cpu_list` it counts as the CPU's own.
pub fn read(cpu_dir: &Path, cpus: &[usize]) -> Vec<Cache> {
    type Key = (u32, u8, String, Option<u64>, Option<u64>);
    let mut found: BTreeMap<Key, Vec<Vec<usize>>> = BTreeMap::new();
    for &cpu in cpus {
        for (_, dir) in sysread::numbered(&cpu_dir.join(format!("cpu{cpu}/cache")), "index") {
            let (Some(level), Some(kind)) = (
                sysread::number::<u32>(&dir.join("level")),
                sysread::text(&dir.join("type")),
            ) else {
                continue;
            };
            let size = sysread::text(&dir.join("size")).and_then(|s| parse_size(&s));
            let line = sysread::number(&dir.join("coherency_line_size"));
            let shared = sysread::cpu_list(&dir.join("shared_cpu_list"))
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| vec![cpu]);
            let sets = found
                .entry((level, kind_rank(&kind), kind, size, line))
                .or_default();
            if !sets.contains(&shared) {
                sets.push(shared);
            }
        }
    }
    found
        .into_iter()
        .map(|((level, _, kind, size_bytes, line_bytes), mut sets)| {
            sets.sort();
            Cache {
                level,
                kind,
                size_bytes,
                line_bytes,
                shared_cpus: sets,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::tests::fixture;

    #[test]
    fn sizes_parse_with_their_suffix() {
        assert_eq!(parse_size("48K"), Some(48 << 10));
        assert_eq!(parse_size("266240K\n"), Some(260 << 20));
        assert_eq!(parse_size("1M"), Some(1 << 20));
        assert_eq!(parse_size("512"), Some(512));
        assert_eq!(parse_size("lots"), None);
        assert_eq!(parse_size("4X"), None);
    }

    #[test]
    fn two_packages_give_one_entry_per_cache_with_each_instance() {
        let caches = read(
            &fixture("sysfs/intel-2s").join("devices/system/cpu"),
            &(0..16).collect::<Vec<_>>(),
        );
        let summary: Vec<(u32, &str, Option<u64>, usize)> = caches
            .iter()
            .map(|c| (c.level, c.kind.as_str(), c.size_bytes, c.shared_cpus.len()))
            .collect();
        assert_eq!(
            summary,
            [
                (1, "Data", Some(48 << 10), 8),
                (1, "Instruction", Some(32 << 10), 8),
                (2, "Unified", Some(1280 << 10), 8),
                (3, "Unified", Some(30 << 20), 2),
            ]
        );
        assert_eq!(caches[0].shared_cpus[0], [0, 8]);
        assert_eq!(caches[0].line_bytes, Some(64));
        assert_eq!(
            caches[3].shared_cpus,
            [
                vec![0, 1, 2, 3, 8, 9, 10, 11],
                vec![4, 5, 6, 7, 12, 13, 14, 15]
            ]
        );
    }

    #[test]
    fn indexes_without_level_or_type_are_skipped() {
        let cpu_dir = fixture("sysfs/sparse").join("devices/system/cpu");
        assert!(read(&cpu_dir, &[0, 1]).is_empty());
        assert!(read(Path::new("/nonexistent"), &[0]).is_empty());
    }
}
