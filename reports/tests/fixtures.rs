//! Generates the fixture results under `tests/fixtures/` and checks the committed files match the generator.
//!
//! Regenerate with `UPDATE_FIXTURES=1 cargo test -p contend-reports --test fixtures`.

use std::collections::BTreeMap;

use base64::Engine as _;
use contend_reports::schema::*;
use contend_reports::stats::summarize;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::{Serializer as _, V2Serializer};

mod machine_details;

/// Deterministic xorshift generator (no rand dependency, same numbers everywhere).
struct Rng(u64);

impl Rng {
    fn next_f64(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal (Box-Muller).
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.next_f64().max(1e-12), self.next_f64());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

/// A latency histogram (ns) around `p50` with a log-normal body and a tail up to `tail` x `p50`.
fn histogram(rng: &mut Rng, p50: f64, tail: f64) -> (Latency, Histogram<u64>) {
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
struct Spec {
    variant: &'static str,
    style: &'static str,
    expected_race: bool,
    helpers: usize,
}

const COUNTER_LATENCY: &str = "time per increment, as the mean over a timed batch of 8-64 us (clock cost < 1%); \
                               tails show batches disturbed by contention or preemption";
const MATMUL_LATENCY: &str =
    "time for one whole product, from handing out the rows to the last row finished";

/// Builds one case; `tp` is the median throughput in units/s, `cv` the spread between samples.
#[allow(clippy::too_many_arguments)]
fn case(
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

const MUTEX: Spec = Spec {
    variant: "counter/mutex",
    style: "shared-memory",
    expected_race: false,
    helpers: 0,
};
const ATOMIC: Spec = Spec {
    variant: "counter/atomic",
    style: "shared-memory",
    expected_race: false,
    helpers: 0,
};
const SHARDED: Spec = Spec {
    variant: "counter/sharded",
    style: "shared-memory",
    expected_race: false,
    helpers: 0,
};
const FALSE_SHARING: Spec = Spec {
    variant: "counter/false-sharing",
    style: "shared-memory",
    expected_race: false,
    helpers: 0,
};
const ACTOR: Spec = Spec {
    variant: "counter/actor",
    style: "message-passing",
    expected_race: false,
    helpers: 1,
};
const ACTOR_BATCHED: Spec = Spec {
    variant: "counter/actor-batched",
    style: "message-passing",
    expected_race: false,
    helpers: 1,
};
const RACY: Spec = Spec {
    variant: "counter/racy",
    style: "shared-memory",
    expected_race: true,
    helpers: 0,
};
const BLOCKED: Spec = Spec {
    variant: "matmul/blocked",
    style: "shared-memory",
    expected_race: false,
    helpers: 0,
};
const ROWS: Spec = Spec {
    variant: "matmul/channel-rows",
    style: "message-passing",
    expected_race: false,
    helpers: 1,
};

/// GFLOP/s of a 512 x 512 product to products/s.
fn gflops(g: f64) -> f64 {
    g * 1e9 / (2.0 * 512f64.powi(3))
}

fn passed() -> Validation {
    Validation::Passed { samples_checked: 7 }
}

fn racy_validation(threads: usize) -> Validation {
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

fn machine(
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

fn results(
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

/// A 2-vCPU cloud VM (numbers from REFERENCE.md), threads 1 and 2.
fn machine_a() -> Results {
    let mut rng = Rng(0x5eed_0001);
    let r = &mut rng;
    let cpus = 2;
    let ok = || CaseStatus::Ok;
    let mut cases = Vec::new();
    // (spec, [1-thread, 2-thread] throughput, cv)
    let counters: [(&Spec, [f64; 2], [f64; 2]); 6] = [
        (&MUTEX, [217e6, 45.6e6], [0.049, 0.22]),
        (&ATOMIC, [495e6, 215e6], [0.075, 0.15]),
        (&SHARDED, [510e6, 986e6], [0.03, 0.06]),
        (&FALSE_SHARING, [490e6, 202e6], [0.07, 0.12]),
        (&ACTOR, [9.6e6, 7.4e6], [0.04, 0.09]),
        (&ACTOR_BATCHED, [61e6, 84e6], [0.05, 0.08]),
    ];
    for (spec, tps, cvs) in counters {
        for (i, t) in [1, 2].into_iter().enumerate() {
            cases.push(case(
                r,
                spec,
                t,
                "compact",
                cpus,
                tps[i],
                cvs[i],
                passed(),
                ok(),
            ));
        }
    }
    for t in [1, 2] {
        cases.push(case(
            r,
            &RACY,
            t,
            "compact",
            cpus,
            [1745e6, 1980e6][t - 1],
            0.05,
            racy_validation(t),
            ok(),
        ));
    }
    for (t, g) in [(1, 11.8), (2, 22.6)] {
        cases.push(case(
            r,
            &BLOCKED,
            t,
            "compact",
            cpus,
            gflops(g),
            0.02,
            passed(),
            ok(),
        ));
    }
    for (t, g) in [(1, 10.4), (2, 19.1)] {
        cases.push(case(
            r,
            &ROWS,
            t,
            "compact",
            cpus,
            gflops(g),
            0.04,
            passed(),
            ok(),
        ));
    }
    let mut res = results(
        "epyc-2vcpu",
        machine("epyc-2vcpu", "AMD EPYC 9R14 (Zen 4)", 2, 2, 24),
        vec![1, 2],
        "compact",
        cases,
    );
    res.machine.details = machine_details::kvm_guest();
    res.overhead = Some(Overhead {
        bare_ops_per_sec: 511e6,
        harness_ops_per_sec: 495e6,
        ratio: 495.0 / 511.0,
        samples: 5,
    });
    res
}

/// An 8-thread (4 cores x SMT 2) machine, threads 1, 2, 4, 8: enough thread counts for a USL fit. One case is
/// missing, one fails validation, one deadlocks, one ran unpinned, and a race-detection verdict is attached.
fn machine_b() -> Results {
    let mut rng = Rng(0x5eed_0002);
    let r = &mut rng;
    let cpus = 8;
    let ok = || CaseStatus::Ok;
    let threads = [1usize, 2, 4, 8];
    let mut cases = Vec::new();
    let counters: [(&Spec, [f64; 4], f64); 6] = [
        (&MUTEX, [72e6, 26e6, 14.5e6, 9.1e6], 0.06),
        (&ATOMIC, [168e6, 71e6, 46e6, 38e6], 0.08),
        (&SHARDED, [171e6, 338e6, 655e6, 905e6], 0.04),
        (&FALSE_SHARING, [151e6, 62e6, 41e6, 33e6], 0.07),
        (&ACTOR, [8.1e6, 6.6e6, 5.1e6, 3.9e6], 0.05),
        (&ACTOR_BATCHED, [46e6, 71e6, 96e6, 88e6], 0.06),
    ];
    for (spec, tps, cv) in counters {
        for (i, t) in threads.into_iter().enumerate() {
            if spec.variant == "counter/actor-batched" && t == 2 {
                continue; // missing on this machine: the comparison must list it
            }
            cases.push(case(
                r,
                spec,
                t,
                "compact",
                cpus,
                tps[i],
                cv,
                passed(),
                ok(),
            ));
        }
    }
    for (i, t) in threads.into_iter().enumerate() {
        let tp = [1510e6, 1702e6, 2890e6, 3702e6][i];
        cases.push(case(
            r,
            &RACY,
            t,
            "compact",
            cpus,
            tp,
            0.05,
            racy_validation(t),
            ok(),
        ));
    }
    for (t, g) in threads.into_iter().zip([9.5, 18.6, 35.2, 41.0]) {
        cases.push(case(
            r,
            &BLOCKED,
            t,
            "compact",
            cpus,
            gflops(g),
            0.03,
            passed(),
            ok(),
        ));
    }
    for (t, g) in [(1, 8.9), (2, 17.2)] {
        cases.push(case(
            r,
            &ROWS,
            t,
            "compact",
            cpus,
            gflops(g),
            0.04,
            passed(),
            ok(),
        ));
    }
    let failed = Validation::Failed {
        samples_failed: 1,
        first_error: "C[17][3] = 1024.5, expected 1025 (rows 16..32 sent twice?)".into(),
    };
    cases.push(case(
        r,
        &ROWS,
        4,
        "compact",
        cpus,
        gflops(30.1),
        0.05,
        failed,
        CaseStatus::Failed,
    ));
    let deadlocked = CaseStatus::Deadlocked {
        stall_ms: 5000,
        blocked: vec![
            "worker 0: recv on rows channel".into(),
            "owner: send on results channel (full)".into(),
        ],
    };
    // One case left to the OS scheduler, to compare against pinning.
    cases.push(case(
        r,
        &ATOMIC,
        2,
        "none",
        cpus,
        52e6,
        0.16,
        passed(),
        ok(),
    ));
    let mut dl = case(
        r,
        &ROWS,
        8,
        "compact",
        cpus,
        gflops(1.0),
        0.0,
        Validation::NotRun,
        deadlocked,
    );
    dl.samples.clear();
    dl.throughput = summarize(&[]);
    cases.push(dl);
    let mut res = results(
        "xeon-8t",
        machine(
            "xeon-8t",
            "Intel(R) Xeon(R) Gold 6334 CPU @ 3.60GHz",
            8,
            4,
            32,
        ),
        threads.to_vec(),
        "compact",
        cases,
    );
    res.machine.details = machine_details::bare_metal();
    let verdict = |name: &str, expected_race: bool, reporting: u32, verdict: &str| RaceVerdict {
        name: name.into(),
        expected_race,
        runs: 3,
        runs_reporting: reporting,
        runs_suppressed: 0,
        distinct_reports: if reporting > 0 { 2 } else { 0 },
        kinds: if reporting > 0 {
            vec!["data race".into()]
        } else {
            vec![]
        },
        verdict: verdict.into(),
        matches_expectation: true,
        stack_tops: if reporting > 0 {
            vec![
                "workloads/src/counter/racy.rs:35".into(),
                "workloads/src/counter/racy.rs:38".into(),
            ]
        } else {
            vec![]
        },
        error: None,
        raw_report: if reporting > 0 {
            "WARNING: ThreadSanitizer: data race (pid=1)\n  Read of size 8 ...".into()
        } else {
            String::new()
        },
        expected_kind: None,
        runs_unverifiable: 0,
        reason: None,
        run_log: vec![],
    };
    res.race_detection = Some(RaceDetection {
        lane: "debian".into(),
        toolchain: "rustc 1.96.0".into(),
        std_instrumented: true,
        blind_spots: "std is instrumented".into(),
        tsan_options: "halt_on_error=0 history_size=7".into(),
        suppressions: vec![],
        subject: "contend workloads".into(),
        threads: 2,
        runs_per_target: 3,
        elapsed_ms: 61_000,
        settle_hint: None,
        targets: vec![
            verdict("counter/racy", true, 3, "caught"),
            verdict("counter/atomic", false, 0, "clean"),
            verdict("counter/actor", false, 0, "clean"),
        ],
    });
    res
}

fn fixtures() -> Vec<(&'static str, Results)> {
    vec![
        ("machine-a.json", machine_a()),
        ("machine-b.json", machine_b()),
    ]
}

#[test]
fn fixtures_match_their_generator() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let update = std::env::var_os("UPDATE_FIXTURES").is_some_and(|v| v == "1");
    for (name, res) in fixtures() {
        let text = serde_json::to_string_pretty(&res).unwrap() + "\n";
        let path = dir.join(name);
        if update {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &text).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == text,
            "{} is stale: rerun with UPDATE_FIXTURES=1",
            path.display()
        );
        // serde_json parses floats to within an ulp unless its `float_roundtrip` feature is on, so compare
        // structure rather than bits.
        let parsed = read_results(&path).unwrap();
        assert_eq!(parsed.cases.len(), res.cases.len(), "{name}");
        assert_eq!(
            parsed.cases.iter().map(|c| c.key()).collect::<Vec<_>>(),
            res.cases.iter().map(|c| c.key()).collect::<Vec<_>>()
        );
    }
}
