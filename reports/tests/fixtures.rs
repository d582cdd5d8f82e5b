//! Generates the fixture results under `tests/fixtures/` and checks the committed files match the generator.
//!
//! Regenerate with `UPDATE_FIXTURES=1 cargo test -p contend-reports --test fixtures`.

use contend_reports::schema::*;
use contend_reports::stats::summarize;

mod fixture_parts;
mod machine_details;

use fixture_parts::*;

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
