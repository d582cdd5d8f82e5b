//! The machine fingerprints of the fixture results: a 2-vCPU KVM guest (machine-a) and a bare-metal
//! 4-core SMT-2 Xeon (machine-b), so that a comparison has rows that differ and rows that do not.

use std::collections::BTreeMap;

use contend_reports::schema::*;

fn cache(level: u32, kind: &str, kib: u64, shared_cpus: Vec<Vec<usize>>) -> Cache {
    Cache {
        level,
        kind: kind.into(),
        size_bytes: Some(kib << 10),
        line_bytes: Some(64),
        shared_cpus,
    }
}

fn vulnerabilities(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// An AWS-like KVM guest with 2 vCPUs, one core each, no cpufreq, kvm-clock available.
pub fn kvm_guest() -> MachineDetails {
    let per_cpu = vec![vec![0], vec![1]];
    MachineDetails {
        caches: vec![
            cache(1, "Data", 32, per_cpu.clone()),
            cache(1, "Instruction", 32, per_cpu.clone()),
            cache(2, "Unified", 1024, per_cpu),
            cache(3, "Unified", 32 << 10, vec![vec![0, 1]]),
        ],
        numa: vec![NumaNode {
            node: 0,
            cpus: vec![0, 1],
            distances: vec![10],
            memory_bytes: Some(24 << 30),
        }],
        smt: Smt {
            control: Some("notsupported".into()),
            active: Some(false),
        },
        cpufreq: CpuFreq::default(),
        boost: Boost::default(),
        clocksource: Clocksource {
            current: Some("tsc".into()),
            available: vec!["tsc".into(), "kvm-clock".into()],
        },
        virtualization: Virtualization {
            virtual_machine: Some(true),
            vendor: Some("KVM".into()),
            hypervisor_flag: Some(true),
            dmi_vendor: Some("Amazon EC2".into()),
            dmi_product: Some("c7a.large".into()),
            evidence: vec![
                "cpuid: KVMKVMKVM".into(),
                "dmi: Amazon EC2 c7a.large".into(),
                "clocksource: kvm-clock".into(),
            ],
        },
        cgroup: Cgroup {
            version: Some(2),
            path: Some("/user.slice".into()),
            cpu_max: Some("max 100000".into()),
            quota_cpus: None,
            cpuset: Some(vec![0, 1]),
        },
        vulnerabilities: vulnerabilities(&[
            ("meltdown", "Not affected"),
            ("retbleed", "Not affected"),
            ("spec_rstack_overflow", "Mitigation: Safe RET"),
            (
                "spec_store_bypass",
                "Mitigation: Speculative Store Bypass disabled via prctl",
            ),
            (
                "spectre_v1",
                "Mitigation: usercopy/swapgs barriers and __user pointer sanitization",
            ),
            (
                "spectre_v2",
                "Mitigation: Enhanced / Automatic IBRS; IBPB: conditional; STIBP: disabled",
            ),
        ]),
        load_average: Some(LoadAverage {
            one: 0.12,
            five: 0.3,
            fifteen: 0.25,
        }),
        steal_over_run: Some(StealOverRun {
            steal_ns: 120_000_000,
            window_ns: 61_000_000_000,
            cpus: 2,
        }),
    }
}

/// A bare-metal Xeon: 4 cores with 2 threads each (CPU c and c + 4 are siblings), intel_pstate.
pub fn bare_metal() -> MachineDetails {
    let per_core: Vec<Vec<usize>> = (0..4).map(|c| vec![c, c + 4]).collect();
    MachineDetails {
        caches: vec![
            cache(1, "Data", 48, per_core.clone()),
            cache(1, "Instruction", 32, per_core.clone()),
            cache(2, "Unified", 1280, per_core),
            cache(3, "Unified", 18 << 10, vec![(0..8).collect()]),
        ],
        numa: vec![NumaNode {
            node: 0,
            cpus: (0..8).collect(),
            distances: vec![10],
            memory_bytes: Some(32 << 30),
        }],
        smt: Smt {
            control: Some("on".into()),
            active: Some(true),
        },
        cpufreq: CpuFreq {
            driver: Some("intel_pstate".into()),
            governors: vec!["performance".into()],
            min_khz: Some(800_000),
            max_khz: Some(3_600_000),
            cur_khz: (0..8).map(|c| (c, 3_400_000 + 10_000 * c as u64)).collect(),
        },
        boost: Boost {
            enabled: Some(true),
            source: Some("intel_pstate/no_turbo".into()),
        },
        clocksource: Clocksource {
            current: Some("tsc".into()),
            available: vec!["tsc".into(), "hpet".into(), "acpi_pm".into()],
        },
        virtualization: Virtualization {
            virtual_machine: Some(false),
            vendor: None,
            hypervisor_flag: Some(false),
            dmi_vendor: Some("Supermicro".into()),
            dmi_product: Some("SYS-120U-TNR".into()),
            evidence: vec![],
        },
        cgroup: Cgroup {
            version: Some(2),
            path: Some("/user.slice".into()),
            cpu_max: Some("max 100000".into()),
            quota_cpus: None,
            cpuset: Some((0..8).collect()),
        },
        vulnerabilities: vulnerabilities(&[
            ("meltdown", "Not affected"),
            ("retbleed", "Not affected"),
            ("spec_rstack_overflow", "Not affected"),
            (
                "spec_store_bypass",
                "Mitigation: Speculative Store Bypass disabled via prctl",
            ),
            (
                "spectre_v1",
                "Mitigation: usercopy/swapgs barriers and __user pointer sanitization",
            ),
            (
                "spectre_v2",
                "Mitigation: Enhanced / Automatic IBRS; IBPB: conditional; RSB filling",
            ),
        ]),
        load_average: Some(LoadAverage {
            one: 0.05,
            five: 0.1,
            fifteen: 0.08,
        }),
        steal_over_run: Some(StealOverRun {
            steal_ns: 0,
            window_ns: 95_000_000_000,
            cpus: 8,
        }),
    }
}
