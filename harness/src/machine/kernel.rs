//! What the kernel says about the CPUs as a whole: SMT control, the clocksource, the
//! vulnerabilities and their mitigations, and the load average.

use std::collections::BTreeMap;
use std::path::Path;

use contend_reports::schema::{Clocksource, LoadAverage, Smt};

use super::sysread;

/// SMT state from `<cpu_dir>/smt/{control,active}`.
pub fn read_smt(cpu_dir: &Path) -> Smt {
    Smt {
        control: sysread::text(&cpu_dir.join("smt/control")),
        active: sysread::flag(&cpu_dir.join("smt/active")),
    }
}

/// The clocksource from `<sysfs>/devices/system/clocksource/clocksource0`.
pub fn read_clocksource(sys: &Path) -> Clocksource {
    let dir = sys.join("devices/system/clocksource/clocksource0");
    Clocksource {
        current: sysread::text(&dir.join("current_clocksource")),
        available: sysread::text(&dir.join("available_clocksource"))
            .map(|t| t.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default(),
    }
}

/// Every file of `<cpu_dir>/vulnerabilities`: name -> text.
pub fn read_vulnerabilities(cpu_dir: &Path) -> BTreeMap<String, String> {
    std::fs::read_dir(cpu_dir.join("vulnerabilities"))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_string();
            Some((name, sysread::text(&e.path())?))
        })
        .collect()
}

/// The 1, 5 and 15 minute load averages from the text of `/proc/loadavg`.
pub fn parse_loadavg(text: &str) -> Option<LoadAverage> {
    let mut n = text.split_whitespace().map(|w| w.parse::<f64>().ok());
    Some(LoadAverage {
        one: n.next()??,
        five: n.next()??,
        fifteen: n.next()??,
    })
}

/// `<procfs>/loadavg`.
pub fn read_loadavg(proc: &Path) -> Option<LoadAverage> {
    parse_loadavg(&sysread::text(&proc.join("loadavg"))?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::tests::fixture;

    #[test]
    fn a_full_tree_shows_smt_clocksource_mitigations_and_load() {
        let sys = fixture("sysfs/intel-2s");
        let cpu_dir = sys.join("devices/system/cpu");
        assert_eq!(
            read_smt(&cpu_dir),
            Smt {
                control: Some("on".into()),
                active: Some(true)
            }
        );
        let cs = read_clocksource(&sys);
        assert_eq!(cs.current.as_deref(), Some("kvm-clock"));
        assert_eq!(cs.available, ["kvm-clock", "tsc", "acpi_pm"]);
        let v = read_vulnerabilities(&cpu_dir);
        assert_eq!(v.len(), 6);
        assert_eq!(v["retbleed"], "Vulnerable");
        assert!(v["spectre_v2"].starts_with("Mitigation: "));
        let load = read_loadavg(&fixture("procfs/intel-2s")).unwrap();
        assert_eq!((load.one, load.five, load.fifteen), (0.52, 0.58, 0.59));
    }

    #[test]
    fn missing_or_malformed_files_are_unknown() {
        let sys = fixture("sysfs/sparse");
        let cpu_dir = sys.join("devices/system/cpu");
        assert_eq!(read_smt(&cpu_dir), Smt::default(), "active: maybe");
        assert_eq!(read_clocksource(&sys), Clocksource::default());
        assert!(read_vulnerabilities(&cpu_dir).is_empty());
        assert_eq!(read_loadavg(&fixture("procfs/sparse")), None);
        assert_eq!(read_loadavg(Path::new("/nonexistent")), None);
        assert_eq!(parse_loadavg("0.1 0.2"), None);
    }
}
