//! The machine fingerprint as labelled lines of text, shared by `contend machine` and the report's
//! machine table (so both say the same thing the same way).

use crate::format::cpu_list;
use crate::machine_schema::{Cache, Cgroup, CpuFreq, MachineDetails, NumaNode, Virtualization};

/// More instances than this are cut short in a cache line (the JSON keeps them all).
const MAX_SETS_SHOWN: usize = 8;

impl MachineDetails {
    /// One `(label, value)` per fact, in a fixed order; one line per cache level and type.
    /// Unknown facts say `unknown`.
    pub fn lines(&self) -> Vec<(String, String)> {
        let mut out = cache_lines(&self.caches);
        let mut push = |label: &str, value: String| out.push((label.to_string(), value));
        push("NUMA", numa_text(&self.numa));
        push(
            "SMT",
            match (&self.smt.control, self.smt.active) {
                (None, None) => "unknown".into(),
                (control, active) => format!(
                    "control {}, {}",
                    control.as_deref().unwrap_or("unknown"),
                    match active {
                        Some(true) => "active",
                        Some(false) => "not active",
                        None => "activity unknown",
                    }
                ),
            },
        );
        push("CPU frequency", cpufreq_text(&self.cpufreq));
        push(
            "Boost",
            match (self.boost.enabled, &self.boost.source) {
                (Some(on), source) => format!(
                    "{}{}",
                    if on { "on" } else { "off" },
                    source.as_ref().map_or(String::new(), |s| format!(" ({s})"))
                ),
                (None, _) => "unknown".into(),
            },
        );
        push(
            "Clocksource",
            match &self.clocksource.current {
                Some(c) if self.clocksource.available.is_empty() => c.clone(),
                Some(c) => format!("{c} (available: {})", self.clocksource.available.join(", ")),
                None => "unknown".into(),
            },
        );
        push("Virtualization", virt_text(&self.virtualization));
        push("Cgroup CPU limit", cgroup_text(&self.cgroup));
        push("Mitigations", mitigations_text(self));
        push(
            "Load at start",
            self.load_average.map_or("unknown".into(), |l| {
                format!("{:.2} {:.2} {:.2} (1, 5, 15 min)", l.one, l.five, l.fifteen)
            }),
        );
        push(
            "Steal over run",
            self.steal_over_run.map_or("not measured".into(), |s| {
                format!(
                    "{:.2}% of CPU time ({} ms over {:.1} s x {} CPU{})",
                    s.fraction() * 100.0,
                    s.steal_ns / 1_000_000,
                    s.window_ns as f64 / 1e9,
                    s.cpus,
                    if s.cpus == 1 { "" } else { "s" }
                )
            }),
        );
        out
    }
}

/// `2`, `1.5`, `0.25`: at most two decimals, none that are zero.
fn short(v: f64) -> String {
    let text = format!("{v:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// `48 KiB`, `2 MiB`, `1.25 MiB`: at most two decimals, none that are zero.
pub(crate) fn size_text(bytes: u64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut unit = 0;
    let mut v = bytes as f64;
    while v >= 1024.0 && unit + 1 < units.len() {
        v /= 1024.0;
        unit += 1;
    }
    format!("{} {}", short(v), units[unit])
}

fn cache_label(c: &Cache) -> String {
    format!("L{} {}", c.level, c.kind.to_lowercase())
}

/// One line per (level, type); caches of the same level and type but different sizes share it.
fn cache_lines(caches: &[Cache]) -> Vec<(String, String)> {
    if caches.is_empty() {
        return vec![("Caches".into(), "unknown".into())];
    }
    let mut out: Vec<(String, String)> = Vec::new();
    for c in caches {
        let sets: Vec<String> = c.shared_cpus.iter().map(|s| cpu_list(s)).collect();
        let shown = if sets.len() > MAX_SETS_SHOWN {
            format!("{} | ... ({} sets)", sets[..4].join(" | "), sets.len())
        } else {
            sets.join(" | ")
        };
        let value = format!(
            "{} x {} (line {}; CPUs {shown})",
            c.size_bytes.map_or("size unknown".into(), size_text),
            c.shared_cpus.len(),
            c.line_bytes.map_or("unknown".into(), |l| format!("{l} B")),
        );
        let label = cache_label(c);
        match out.iter_mut().find(|(l, _)| *l == label) {
            Some((_, v)) => {
                v.push_str("; ");
                v.push_str(&value);
            }
            None => out.push((label, value)),
        }
    }
    out
}

fn numa_text(nodes: &[NumaNode]) -> String {
    let mem = |n: &NumaNode| {
        n.memory_bytes
            .map_or(String::new(), |b| format!(", {}", crate::format::bytes(b)))
    };
    match nodes {
        [] => return "unknown".into(),
        [n] => return format!("1 node: CPUs {}{}", cpu_list(&n.cpus), mem(n)),
        _ => {}
    }
    let each: Vec<String> = nodes
        .iter()
        .map(|n| format!("node {}: CPUs {}{}", n.node, cpu_list(&n.cpus), mem(n)))
        .collect();
    let distances: Vec<String> = nodes
        .iter()
        .map(|n| {
            let row: Vec<String> = n.distances.iter().map(u32::to_string).collect();
            row.join(" ")
        })
        .collect();
    format!(
        "{} nodes: {}; distances {}",
        nodes.len(),
        each.join(" | "),
        distances.join(" / ")
    )
}

fn mhz(khz: u64) -> String {
    format!("{}", (khz + 500) / 1000)
}

fn cpufreq_text(f: &CpuFreq) -> String {
    let mut parts = Vec::new();
    if let Some(d) = &f.driver {
        parts.push(format!("driver {d}"));
    }
    match f.governors.as_slice() {
        [] => {}
        [one] => parts.push(format!("governor {one}")),
        several => parts.push(format!("governors {}", several.join("/"))),
    }
    match (f.min_khz, f.max_khz) {
        (Some(lo), Some(hi)) => parts.push(format!("{}-{} MHz", mhz(lo), mhz(hi))),
        (None, Some(hi)) => parts.push(format!("max {} MHz", mhz(hi))),
        (Some(lo), None) => parts.push(format!("min {} MHz", mhz(lo))),
        (None, None) => {}
    }
    let (lo, hi) = (f.cur_khz.values().min(), f.cur_khz.values().max());
    match (lo, hi) {
        (Some(lo), Some(hi)) if lo == hi => parts.push(format!("now {} MHz", mhz(*lo))),
        (Some(lo), Some(hi)) => parts.push(format!("now {}-{} MHz", mhz(*lo), mhz(*hi))),
        _ => {}
    }
    if parts.is_empty() {
        "unknown (no cpufreq)".into()
    } else {
        parts.join(", ")
    }
}

fn virt_text(v: &Virtualization) -> String {
    let why = if v.evidence.is_empty() {
        String::new()
    } else {
        format!(" ({})", v.evidence.join(", "))
    };
    match (v.virtual_machine, &v.vendor) {
        (Some(true), Some(vendor)) | (None, Some(vendor)) => format!("{vendor} guest{why}"),
        (Some(true), None) => format!("virtual machine, hypervisor unknown{why}"),
        (Some(false), _) => "bare metal (no hypervisor flag)".into(),
        (None, None) => "unknown".into(),
    }
}

fn cgroup_text(c: &Cgroup) -> String {
    let Some(version) = c.version else {
        return "unknown".into();
    };
    let quota = match (c.quota_cpus, &c.cpu_max) {
        (Some(q), Some(raw)) => format!("quota {} CPUs ({raw})", short(q)),
        (Some(q), None) => format!("quota {} CPUs", short(q)),
        (None, Some(raw)) => format!("no quota ({raw})"),
        (None, None) => "quota unknown".into(),
    };
    let cpuset = c
        .cpuset
        .as_ref()
        .map_or(String::new(), |s| format!(", cpuset {}", cpu_list(s)));
    format!(
        "v{version} {}: {quota}{cpuset}",
        c.path.as_deref().unwrap_or("(path unknown)")
    )
}

fn mitigations_text(d: &MachineDetails) -> String {
    if d.vulnerabilities.is_empty() {
        return "unknown".into();
    }
    let named = |prefix: &str| -> Vec<&str> {
        d.vulnerabilities
            .iter()
            .filter(|(_, text)| text.starts_with(prefix))
            .map(|(name, _)| name.as_str())
            .collect()
    };
    let vulnerable = named("Vulnerable");
    let mitigated = named("Mitigation").len();
    let unaffected = named("Not affected").len();
    let other = d.vulnerabilities.len() - vulnerable.len() - mitigated - unaffected;
    let mut parts = Vec::new();
    if !vulnerable.is_empty() {
        parts.push(format!(
            "{} vulnerable ({})",
            vulnerable.len(),
            vulnerable.join(", ")
        ));
    }
    parts.push(format!("{mitigated} mitigated"));
    parts.push(format!("{unaffected} not affected"));
    if other > 0 {
        parts.push(format!("{other} other"));
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine_schema::{LoadAverage, StealOverRun};

    fn cache(level: u32, kind: &str, size: u64, sets: Vec<Vec<usize>>) -> Cache {
        Cache {
            level,
            kind: kind.into(),
            size_bytes: Some(size),
            line_bytes: Some(64),
            shared_cpus: sets,
        }
    }

    #[test]
    fn an_empty_fingerprint_says_unknown_everywhere() {
        let lines = MachineDetails::default().lines();
        for (label, value) in &lines {
            assert!(
                value.starts_with("unknown") || value == "not measured",
                "{label}: {value}"
            );
        }
        assert_eq!(lines[0], ("Caches".into(), "unknown".into()));
    }

    #[test]
    fn caches_get_one_line_per_level_and_type() {
        let d = MachineDetails {
            caches: vec![
                cache(1, "Data", 48 << 10, vec![vec![0], vec![1]]),
                cache(2, "Unified", 2 << 20, vec![vec![0], vec![1]]),
                cache(2, "Unified", 4 << 20, vec![vec![2, 3]]),
                cache(3, "Unified", 260 << 20, vec![vec![0, 1]]),
            ],
            ..Default::default()
        };
        let lines = d.lines();
        assert_eq!(
            lines[0],
            (
                "L1 data".into(),
                "48 KiB x 2 (line 64 B; CPUs 0 | 1)".into()
            )
        );
        assert_eq!(
            lines[1].1,
            "2 MiB x 2 (line 64 B; CPUs 0 | 1); 4 MiB x 1 (line 64 B; CPUs 2-3)"
        );
        assert_eq!(lines[2].1, "260 MiB x 1 (line 64 B; CPUs 0-1)");
    }

    #[test]
    fn many_cache_instances_are_cut_short() {
        let d = MachineDetails {
            caches: vec![cache(
                2,
                "Unified",
                1 << 20,
                (0..64).map(|c| vec![c]).collect(),
            )],
            ..Default::default()
        };
        assert_eq!(
            d.lines()[0].1,
            "1 MiB x 64 (line 64 B; CPUs 0 | 1 | 2 | 3 | ... (64 sets))"
        );
    }

    #[test]
    fn mitigations_load_and_steal_read_as_sentences() {
        let mut d = MachineDetails::default();
        for (name, text) in [
            ("meltdown", "Not affected"),
            ("retbleed", "Vulnerable"),
            ("spectre_v2", "Mitigation: Retpolines"),
            ("srbds", "Unknown: Dependent on hypervisor status"),
        ] {
            d.vulnerabilities.insert(name.into(), text.into());
        }
        d.load_average = Some(LoadAverage {
            one: 0.6,
            five: 1.23,
            fifteen: 1.375,
        });
        d.steal_over_run = Some(StealOverRun {
            steal_ns: 30_000_000,
            window_ns: 10_000_000_000,
            cpus: 2,
        });
        let lines = d.lines();
        let get = |l: &str| lines.iter().find(|(k, _)| k == l).unwrap().1.clone();
        assert_eq!(
            get("Mitigations"),
            "1 vulnerable (retbleed), 1 mitigated, 1 not affected, 1 other"
        );
        assert_eq!(get("Load at start"), "0.60 1.23 1.38 (1, 5, 15 min)");
        assert_eq!(
            get("Steal over run"),
            "0.15% of CPU time (30 ms over 10.0 s x 2 CPUs)"
        );
    }

    #[test]
    fn numa_lists_nodes_and_distances_only_when_there_are_several() {
        let node = |node, cpus: Vec<usize>, distances: Vec<u32>| NumaNode {
            node,
            cpus,
            distances,
            memory_bytes: Some(64 << 30),
        };
        let one = MachineDetails {
            numa: vec![node(0, vec![0, 1], vec![10])],
            ..Default::default()
        };
        let get = |d: &MachineDetails| d.lines().into_iter().find(|(l, _)| l == "NUMA").unwrap().1;
        assert_eq!(get(&one), "1 node: CPUs 0-1, 64.0 GiB");
        let two = MachineDetails {
            numa: vec![
                node(0, vec![0, 2], vec![10, 21]),
                node(1, vec![1, 3], vec![21, 10]),
            ],
            ..Default::default()
        };
        assert_eq!(
            get(&two),
            "2 nodes: node 0: CPUs 0,2, 64.0 GiB | node 1: CPUs 1,3, 64.0 GiB; distances 10 21 / 21 10"
        );
    }

    #[test]
    fn sizes_drop_needless_decimals() {
        assert_eq!(size_text(32 << 10), "32 KiB");
        assert_eq!(size_text(1536 << 10), "1.5 MiB");
        assert_eq!(size_text(1280 << 10), "1.25 MiB");
        assert_eq!(size_text(260 << 20), "260 MiB");
        assert_eq!(size_text(100), "100 B");
    }
}
