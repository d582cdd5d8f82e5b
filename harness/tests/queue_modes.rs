//! The message-passing modes from the command line: the queue's, the pools' and the actor
//! counters' latency sweeps, explicit rates, the bare reference in throughput mode, and bad input.

mod common;

use common::{assert_run_refuses, contend};
use contend_reports::schema::{Results, Validation, read_results};

/// A short queue run at 2 threads with `extra` options; its results.
fn queue_run(extra: &[&str]) -> Results {
    family_run("queue", extra)
}

/// A short run of `family` at 2 threads (unless `extra` sets `--threads`) with `extra` options,
/// without the overhead figure and the bare windows (`--no-overhead`); its results.
fn family_run(family: &str, extra: &[&str]) -> Results {
    run_family(family, &[&["--no-overhead"], extra].concat())
}

/// The same with the overhead figure and the bare windows (vs bare) measured.
fn family_run_with_bare(family: &str, extra: &[&str]) -> Results {
    run_family(family, extra)
}

fn run_family(family: &str, extra: &[&str]) -> Results {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let threads: &[&str] = if extra.contains(&"--threads") {
        &[]
    } else {
        &["--threads", "2"]
    };
    contend()
        .args(["run", "--workloads", family])
        .args(threads)
        .args([
            "--samples",
            "2",
            "--duration",
            "30ms",
            "--warmup",
            "10ms",
            "--out",
        ])
        .arg(&out)
        .args(extra)
        .assert()
        .success();
    read_results(&out.join("results.json")).unwrap()
}

#[test]
fn the_latency_mode_sweeps_offered_load_past_saturation_for_every_queue() {
    let run = queue_run(&["--mode", "latency"]);
    assert_eq!(run.cases.len(), 5, "the five correct queues");
    for c in &run.cases {
        assert!(
            matches!(c.validation, Validation::Passed { .. }),
            "{}: {:?}",
            c.variant,
            c.validation
        );
        assert!(
            c.bare_reference.is_none(),
            "{}: latency mode only",
            c.variant
        );
        let [sweep] = c.load_sweeps.as_slice() else {
            panic!("{}: one sweep, got {}", c.variant, c.load_sweeps.len())
        };
        let fractions: Vec<f64> = sweep.points.iter().filter_map(|p| p.fraction).collect();
        assert_eq!(
            fractions,
            [0.1, 0.5, 0.8, 0.9, 0.95, 1.0, 1.1],
            "{}",
            c.variant
        );
        for p in &sweep.points {
            assert!(
                (p.offered_per_s - p.fraction.unwrap() * sweep.saturation_per_s).abs() < 1e-6,
                "{}: {p:?}",
                c.variant
            );
            // One message in `stamp_every` is timed (the first of each run of N: one producer,
            // and every message it sent was received), and the schedule is never run ahead of.
            assert!(p.stamp_every.is_power_of_two(), "{}: {p:?}", c.variant);
            assert_eq!(
                p.latency.count,
                p.messages.div_ceil(p.stamp_every),
                "{}: {p:?}",
                c.variant
            );
            assert!(
                p.achieved_per_s <= p.offered_per_s * 1.1,
                "{}: achieved above the schedule: {p:?}",
                c.variant
            );
        }
        // A 10 ms point can be starved when the machine is busy (a producer not scheduled for
        // the whole point reads 0 messages, truthfully); most points must have carried messages.
        let carried = sweep.points.iter().filter(|p| p.messages > 0).count();
        assert!(carried >= 5, "{}: {:?}", c.variant, sweep.points);
    }
}

#[test]
fn explicit_rates_are_swept_in_order_and_throughput_mode_measures_the_bare_loop() {
    let run = family_run_with_bare(
        "queue",
        &[
            "--workloads",
            "queue/crossbeam-channel",
            "--rate",
            "200k,50000",
        ],
    );
    let c = &run.cases[0];
    let offered: Vec<f64> = c.load_sweeps[0]
        .points
        .iter()
        .map(|p| p.offered_per_s)
        .collect();
    assert_eq!(offered, [50_000.0, 200_000.0]);
    assert!(c.load_sweeps[0].points.iter().all(|p| p.fraction.is_none()));
    let bare = c
        .bare_reference
        .as_ref()
        .expect("both modes: a bare reference");
    assert_eq!(bare.windows_per_s.len(), 1, "between the two samples");
    assert!(bare.ratio > 0.0 && bare.median_per_s > 0.0, "{bare:?}");
    assert!(c.stamp_every.is_some_and(|n| n.is_power_of_two()));

    let run = family_run_with_bare(
        "queue",
        &["--workloads", "queue/flume", "--mode", "throughput"],
    );
    assert!(run.cases[0].load_sweeps.is_empty());
    assert!(run.cases[0].bare_reference.is_some());

    // `--no-overhead` (what `contend ab`'s forks run with) skips the bare windows.
    let run = queue_run(&["--workloads", "queue/flume", "--mode", "throughput"]);
    assert!(run.cases[0].bare_reference.is_none());
    assert_eq!(run.config.mode.as_deref(), Some("throughput"));
}

#[test]
fn bad_modes_and_rates_are_one_line_exit_2_and_write_nothing() {
    let cases: &[&[&str]] = &[
        &["--mode", "sideways"],
        &["--rate", "0"],
        &["--rate", "-5"],
        &["--rate", "fast"],
        &["--rate", "1e20"],
        &["--rate", "10k,"],
        &["--mode", "latency", "--workloads", "queue,counter/atomic"],
        &["--mode", "latency", "--workloads", "matmul,deadlock"],
        &["--mode", "throughput", "--rate", "1000"],
    ];
    for args in cases {
        assert_run_refuses(args);
    }
}

#[test]
fn the_pools_latency_mode_sweeps_offered_load_with_every_task_timed() {
    let run = family_run("pool", &["--mode", "latency"]);
    let correct: Vec<_> = run
        .cases
        .iter()
        .filter(|c| c.variant != "pool/racy-completion")
        .collect();
    assert_eq!(correct.len(), 3, "the three correct pools");
    for c in correct {
        assert!(
            matches!(c.validation, Validation::Passed { .. }),
            "{}: {:?}",
            c.variant,
            c.validation
        );
        let [sweep] = c.load_sweeps.as_slice() else {
            panic!("{}: one sweep, got {}", c.variant, c.load_sweeps.len())
        };
        let fractions: Vec<f64> = sweep.points.iter().filter_map(|p| p.fraction).collect();
        assert_eq!(
            fractions,
            [0.1, 0.5, 0.8, 0.9, 0.95, 1.0, 1.1],
            "{}",
            c.variant
        );
        for p in &sweep.points {
            assert_eq!(p.latency.count, p.messages, "{}: {p:?}", c.variant);
            assert!(
                p.achieved_per_s <= p.offered_per_s * 1.1,
                "{}: ahead of schedule: {p:?}",
                c.variant
            );
        }
        let carried = sweep.points.iter().filter(|p| p.messages > 0).count();
        assert!(carried >= 5, "{}: {:?}", c.variant, sweep.points);
    }
}

#[test]
fn the_actor_counters_sweep_offered_load_and_one_worker_has_a_bare_reference() {
    // `--workloads counter` in latency mode keeps the family's actors and drops the rest.
    let run = family_run("counter", &["--mode", "latency", "--threads", "1,2"]);
    let names: Vec<(&str, usize)> = run
        .cases
        .iter()
        .map(|c| (c.variant.as_str(), c.threads))
        .collect();
    assert_eq!(
        names,
        [
            ("counter/actor", 1),
            ("counter/actor", 2),
            ("counter/actor-batched", 1),
            ("counter/actor-batched", 2)
        ]
    );
    for c in &run.cases {
        assert!(
            matches!(c.validation, Validation::Passed { .. }),
            "{}: {:?}",
            c.variant,
            c.validation
        );
        let [sweep] = c.load_sweeps.as_slice() else {
            panic!("{}: one sweep, got {}", c.variant, c.load_sweeps.len())
        };
        assert_eq!(sweep.points.len(), 7, "{}", c.variant);
        for p in &sweep.points {
            assert!(
                p.achieved_per_s <= p.offered_per_s * 1.1,
                "{}: ahead of schedule: {p:?}",
                c.variant
            );
        }
        let carried = sweep.points.iter().filter(|p| p.messages > 0).count();
        assert!(carried >= 5, "{}: {:?}", c.variant, sweep.points);
        assert!(
            c.stamp_every.is_none(),
            "{}: actors time batches",
            c.variant
        );
    }
    let run = family_run_with_bare(
        "counter/actor,counter/actor-batched",
        &["--mode", "throughput", "--threads", "1,2"],
    );
    for c in &run.cases {
        assert!(c.load_sweeps.is_empty(), "{}", c.variant);
        assert_eq!(
            c.bare_reference.is_some(),
            c.threads == 1,
            "{}@{}: a bare reference with one worker only",
            c.variant,
            c.threads
        );
    }
}
