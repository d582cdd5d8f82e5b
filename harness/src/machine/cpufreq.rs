//! Frequency scaling from `devices/system/cpu/cpuN/cpufreq` (driver, governors, limits, current
//! frequencies) and whether boost / turbo is on.

use std::path::Path;

use contend_reports::schema::{Boost, CpuFreq};

use super::sysread;

/// cpufreq over `cpus` under `cpu_dir` (`<sysfs>/devices/system/cpu`); empty on VMs and machines
/// whose kernel exposes no cpufreq.
pub fn read(cpu_dir: &Path, cpus: &[usize]) -> CpuFreq {
    let mut f = CpuFreq::default();
    for &cpu in cpus {
        let dir = cpu_dir.join(format!("cpu{cpu}/cpufreq"));
        if f.driver.is_none() {
            f.driver = sysread::text(&dir.join("scaling_driver"));
        }
        if let Some(g) = sysread::text(&dir.join("scaling_governor"))
            && !f.governors.contains(&g)
        {
            f.governors.push(g);
        }
        if let Some(lo) = sysread::number::<u64>(&dir.join("cpuinfo_min_freq")) {
            f.min_khz = Some(f.min_khz.map_or(lo, |m| m.min(lo)));
        }
        if let Some(hi) = sysread::number::<u64>(&dir.join("cpuinfo_max_freq")) {
            f.max_khz = Some(f.max_khz.map_or(hi, |m| m.max(hi)));
        }
        if let Some(cur) = sysread::number(&dir.join("scaling_cur_freq")) {
            f.cur_khz.insert(cpu, cur);
        }
    }
    f.governors.sort();
    f
}

/// Boost: the global `cpufreq/boost` (acpi-cpufreq), else `intel_pstate/no_turbo` (inverted),
/// else the first CPU's own `cpufreq/boost` (amd-pstate).
pub fn read_boost(cpu_dir: &Path, first_cpu: Option<usize>) -> Boost {
    let mut sources = vec![("cpufreq/boost".to_string(), false)];
    sources.push(("intel_pstate/no_turbo".into(), true));
    if let Some(cpu) = first_cpu {
        sources.push((format!("cpu{cpu}/cpufreq/boost"), false));
    }
    sources
        .into_iter()
        .find_map(|(source, inverted)| {
            let on = sysread::flag(&cpu_dir.join(&source))?;
            Some(Boost {
                enabled: Some(on != inverted),
                source: Some(source),
            })
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::tests::fixture;

    #[test]
    fn driver_governors_and_limits_over_every_cpu() {
        let cpu_dir = fixture("sysfs/intel-2s").join("devices/system/cpu");
        let f = read(&cpu_dir, &(0..16).collect::<Vec<_>>());
        assert_eq!(f.driver.as_deref(), Some("intel_pstate"));
        assert_eq!(f.governors, ["performance", "powersave"]);
        assert_eq!((f.min_khz, f.max_khz), (Some(800_000), Some(3_600_000)));
        assert_eq!(f.cur_khz.len(), 16);
        assert_eq!(f.cur_khz[&15], 3_375_000);
        let boost = read_boost(&cpu_dir, Some(0));
        assert_eq!(boost.enabled, Some(true), "no_turbo 0 means turbo is on");
        assert_eq!(boost.source.as_deref(), Some("intel_pstate/no_turbo"));
    }

    #[test]
    fn no_cpufreq_is_unknown() {
        let cpu_dir = fixture("sysfs/sparse").join("devices/system/cpu");
        assert_eq!(read(&cpu_dir, &[0, 1]), CpuFreq::default());
        assert_eq!(read_boost(&cpu_dir, Some(0)), Boost::default());
        assert_eq!(
            read_boost(Path::new("/nonexistent"), None),
            Boost::default()
        );
    }

    #[test]
    fn global_boost_wins_and_per_policy_boost_is_the_last_resort() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("cpu0/cpufreq")).unwrap();
        std::fs::write(dir.path().join("cpu0/cpufreq/boost"), "0\n").unwrap();
        let b = read_boost(dir.path(), Some(0));
        assert_eq!(b.enabled, Some(false));
        assert_eq!(b.source.as_deref(), Some("cpu0/cpufreq/boost"));
        std::fs::create_dir_all(dir.path().join("cpufreq")).unwrap();
        std::fs::write(dir.path().join("cpufreq/boost"), "1\n").unwrap();
        assert_eq!(read_boost(dir.path(), Some(0)).enabled, Some(true));
    }
}
