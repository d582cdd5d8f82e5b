//! Building blocks of the fixture results: a deterministic generator, latency histograms, cases,
//! validations, machines and results files.

use std::collections::BTreeMap;

use base64::Engine as _;
use contend_reports::schema::*;
use contend_reports::stats::summarize;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::{Serializer as _, V2Serializer};

/// Deterministic xorshift generator (no rand dependency, same numbers everywhere).
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next_f64(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal (Box-Muller).
    pub(crate) fn normal(&mut self) -> f64 {
        let (u, v) = (self.next_f64().max(1e-12), self.next_f64());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

/// A latency histogram (ns) around `p50` with a log-normal body and a tail up to `tail` x `p50`.
pub(crate) fn histogram(rng: &mut Rng, p50: f64, tail: f64) -> (Latency, Histogram<u64>) {
    let mut h = Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3).unwrap();
    for _ in 0..20_000 {
        let v = if rng.next_f64() < 0.01 {
            p50 * (1.5 + (tail - 1.5) * rng.next_f64().powi(3))
        } else {
            p50 * (0.22 * rng.normal()).exp()
        };
        h.record(v.max(1.0) as u64).unwrap();
    }
    let mut buf = Vec::new();
    V2Serializer::new().serialize(&h, &mut buf).unwrap();
    let latency = Latency {
        count: h.len(),
        p50: h.value_at_quantile(0.5),
        p90: h.value_at_quantile(0.9),
        p99: h.value_at_quantile(0.99),
        p999: h.value_at_quantile(0.999),
        max: h.max(),
        histogram: base64::engine::general_purpose::STANDARD.encode(buf),
    };
    (latency, h)
}

/// What a variant looks like in a fixture.
pub(crate) struct Spec {
    pub(crate) variant: &'static str,
    pub(crate) style: &'static str,
    pub(crate) expected_race: bool,
    pub(crate) helpers: usize,
}

pub(crate) const COUNTER_LATENCY: &str = "time per increment, as the mean over a timed batch of 8-64 us (clock cost < 1%); \
                               tails show batches disturbed by contention or preemption";
pub(crate) const MATMUL_LATENCY: &str =
    "time for one whole product, from handing out the rows to the last row finished";

/// Builds one case; `tp` is the median throughput in units/s, `cv` the spread between samples.
#[allow(clippy::too_many_arguments)]
pub(crate) fn case(
    rng: &mut Rng,
    spec: &Spec,
    threads: usize,
    placement: &str,
    cpus: usize,
    tp: f64,
    cv: f64,
    validation: Validation,
    status: CaseStatus,
) -> Case {
    let family = spec.variant.split('/').next().unwrap().to_string();
    let matmul = family == "matmul";
    let total = threads + spec.helpers;
    let pinned = placement != "none";
    let cpus_requested: Vec<Option<usize>> = (0..total)
        .map(|i| (pinned && i < threads).then_some(i % cpus))
        .collect();
    let cpus_observed: Vec<Vec<usize>> = cpus_requested
        .iter()
        .enumerate()
        .map(|(i, r)| match r {
            Some(c) => vec![*c],
            None => vec![i % cpus, (i + 1) % cpus],
        })
        .collect();
    let duration_ns = 300_000_000u64;
    let pattern = [-1.3, -0.4, 0.1, 0.5, 1.1];
    let samples: Vec<Sample> = pattern
        .iter()
        .map(|z| {
            let throughput = tp * (1.0 + cv * z);
            let ops = (throughput * duration_ns as f64 / 1e9).round() as u64;
            Sample {
                fork: 0,
                ops,
                elapsed_ns: duration_ns,
                throughput: ops as f64 * 1e9 / duration_ns as f64,
                evidence: None,
            }
        })
        .collect();
    let throughput = summarize(&samples.iter().map(|s| s.throughput).collect::<Vec<_>>());
    // Per-thread time per unit, ns; contended cases have longer tails.
    let p50 = threads as f64 / tp * 1e9;
    let tail = if threads > 1 { 12.0 } else { 4.0 };
    let (latency, _) = histogram(rng, p50, tail);
    let mut unit_factors = BTreeMap::new();
    if matmul {
        unit_factors.insert("flop_per_unit".to_string(), 2.0 * 512f64.powi(3));
    }
    Case {
        family,
        variant: spec.variant.into(),
        style: spec.style.into(),
        expected_race: spec.expected_race,
        expected_deadlock: false,
        threads,
        helper_threads: spec.helpers,
        placement: placement.into(),
        oversubscribed: total > cpus,
        scaling_baseline: true,
        cores_requested: cpus_requested
            .iter()
            .map(|c| {
                c.map(|cpu| CoreId {
                    package: 0,
                    core: cpu,
                })
            })
            .collect(),
        cpus_requested,
        cpus_observed,
        unit: if matmul { "products" } else { "increments" }.into(),
        latency_meaning: if matmul {
            MATMUL_LATENCY
        } else {
            COUNTER_LATENCY
        }
        .into(),
        unit_factors,
        samples,
        throughput,
        latency,
        batch_latency: None,
        stamp_every: None,
        bare_reference: None,
        load_sweeps: Vec::new(),
        validation,
        status,
        fork_evidence: vec![],
    }
}

pub(crate) const MUTEX: Spec = Spec {
    variant: "counter/mutex",
    style: "shared-memory",
    expected_race: false,
    helpers: 0,
};
pub(crate) const ATOMIC: Spec = Spec {
    variant: "counter/atomic",
    style: "shared-memory",
    expected_race: false,
    helpers: 0,
};
pub(crate) const SHARDED: Spec = Spec {
    variant: "counter/sharded",
    style: "shared-memory",
    expected_race: false,
    helpers: 0,
};
pub(crate) const FALSE_SHARING: Spec = Spec {
    variant: "counter/false-sharing",
    style: "shared-memory",
    expected_race: false,
    helpers: 0,
};
pub(crate) const ACTOR: Spec = Spec {
    variant: "counter/actor",
    style: "message-passing",
    expected_race: false,
    helpers: 1,
};
pub(crate) const ACTOR_BATCHED: Spec = Spec {
    variant: "counter/actor-batched",
    style: "message-passing",
    expected_race: false,
    helpers: 1,
};
pub(crate) const RACY: Spec = Spec {
    variant: "counter/racy",
    style: "shared-memory",
    expected_race: true,
    helpers: 0,
};
pub(crate) const BLOCKED: Spec = Spec {
    variant: "matmul/blocked",
    style: "shared-memory",
    expected_race: false,
    helpers: 0,
};
pub(crate) const ROWS: Spec = Spec {
    variant: "matmul/channel-rows",
    style: "message-passing",
    expected_race: false,
    helpers: 1,
};

/// GFLOP/s of a 512 x 512 product to products/s.
pub(crate) fn gflops(g: f64) -> f64 {
    g * 1e9 / (2.0 * 512f64.powi(3))
}

pub(crate) fn passed() -> Validation {
    Validation::Passed { samples_checked: 7 }
}

pub(crate) fn racy_validation(threads: usize) -> Validation {
    if threads == 1 {
        Validation::RaceNotObserved { samples_checked: 7 }
    } else {
        Validation::RaceObserved {
            samples_damaged: 7,
            samples_checked: 7,
            total_damage: 41_211_870 * threads as u64,
            first_detail: format!("counted 58788130 of 100000000 increments ({threads} threads)"),
        }
    }
}

pub(crate) fn machine(
    label: &str,
    cpu_model: &str,
    logical: usize,
    physical: usize,
    memory_gib: u64,
) -> Machine {
    let smt = logical / physical;
    let topology = (0..logical)
        .map(|cpu| {
            let core = cpu % physical;
            CpuTopology {
                cpu,
                package: 0,
                core,
                siblings: (0..smt).map(|s| core + s * physical).collect(),
            }
        })
        .collect();
    Machine {
        hostname: label.into(),
        cpu_model: cpu_model.into(),
        logical_cpus: logical,
        physical_cores: physical,
        packages: 1,
        available_cpus: (0..logical).collect(),
        topology,
        memory_bytes: memory_gib << 30,
        os: "Debian GNU/Linux 12 (bookworm)".into(),
        kernel: "6.18.0-cloud-amd64".into(),
        rustc: "rustc 1.95.0 (59807616e 2026-04-14)".into(),
        details: MachineDetails::default(),
    }
}

pub(crate) fn results(
    label: &str,
    machine: Machine,
    threads: Vec<usize>,
    placement: &str,
    cases: Vec<Case>,
) -> Results {
    let mut params = BTreeMap::new();
    params.insert("cs_work".into(), 0);
    params.insert("matmul_n".into(), 512);
    let mut workloads: Vec<String> = Vec::new();
    for c in &cases {
        if !workloads.contains(&c.variant) {
            workloads.push(c.variant.clone());
        }
    }
    Results {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "contend".into(),
            version: "0.1.0".into(),
            git_commit: Some("bedbaff1c2d3".into()),
            git_dirty: None,
            git_branch: None,
        },
        label: label.into(),
        command: vec![
            "contend".into(),
            "run".into(),
            "--threads".into(),
            "1,2,4,8".into(),
            "--include-racy".into(),
        ],
        started_at: "2026-05-01T10:00:00Z".into(),
        config: RunConfig {
            workloads,
            threads,
            placement: placement.into(),
            samples: 5,
            forks: 1,
            warmup_ms: 200,
            duration_ms: 300,
            seed: 42,
            quick: false,
            include_racy: true,
            params,
            mode: None,
            rates_per_s: Vec::new(),
        },
        machine,
        overhead: None,
        cases,
        race_detection: None,
        primitives: None,
    }
}
