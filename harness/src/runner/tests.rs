//! Tests of the runner: sampling, validation, oversubscription, failures, stalls and panics.

use super::*;
use contend_workloads::{Family, Outcome, SampleCheck, Style, WorkerCtx, WorkerTally, Workload};
use std::time::Instant;

fn timing(samples: u32) -> Timing {
    Timing {
        warmup: Duration::from_millis(5),
        samples,
        duration: Duration::from_millis(10),
        stall_timeout: Duration::from_millis(300),
    }
}

fn run(variant: &'static VariantInfo, threads: usize, samples: u32) -> Case {
    run_timed(variant, threads, &timing(samples))
}

fn run_timed(variant: &'static VariantInfo, threads: usize, timing: &Timing) -> Case {
    let req = CaseRequest {
        variant,
        threads,
        placement: Placement::None,
        cpu_order: &[],
        available_cpus: 2,
        params: &Params::default(),
        timing,
        load: &load::LoadPlan::default(),
    };
    run_case(&req, &mut |_, _| {})
}

/// A worker body for test variants, chosen by `MODE`.
struct Broken(fn(&mut WorkerCtx) -> WorkerTally);
impl Workload for Broken {
    fn run(&self, ctx: &mut WorkerCtx) -> WorkerTally {
        (self.0)(ctx)
    }
    fn end_sample(&self, tallies: &[WorkerTally]) -> SampleCheck {
        let ops = tallies.iter().map(|t| t.ops).sum();
        SampleCheck {
            ops,
            outcome: Outcome::Invalid("count is 41, expected 42".into()),
        }
    }
}

fn variant(
    name: &'static str,
    build: fn(&Params, usize) -> Box<dyn Workload>,
) -> &'static VariantInfo {
    Box::leak(Box::new(VariantInfo {
        name,
        family: Family::Counter,
        style: Style::SharedMemory,
        expected_race: false,
        expected_deadlock: false,
        opt_in: true,
        about: "test",
        build,
    }))
}

#[test]
fn every_sample_is_timed_validated_and_recorded() {
    let case = run(
        contend_workloads::find_variant("counter/atomic").unwrap(),
        2,
        3,
    );
    assert_eq!(case.status, CaseStatus::Ok);
    assert_eq!(
        case.validation,
        Validation::Passed { samples_checked: 4 },
        "warm-up is validated too"
    );
    assert_eq!(case.samples.len(), 3);
    assert!(
        case.samples
            .iter()
            .all(|s| s.ops > 0 && s.elapsed_ns >= 10_000_000)
    );
    assert!(case.latency.count > 0);
    assert_eq!(case.cpus_observed.len(), 2);
    assert!(
        case.cpus_observed.iter().all(|c| !c.is_empty()),
        "sched_getcpu evidence is recorded"
    );
    assert!(!case.oversubscribed);
}

#[test]
fn helper_threads_count_towards_oversubscription() {
    let case = run(
        contend_workloads::find_variant("counter/actor").unwrap(),
        2,
        1,
    );
    assert_eq!((case.threads, case.helper_threads), (2, 1));
    assert!(case.oversubscribed, "3 threads on 2 CPUs");
    assert_eq!(case.status, CaseStatus::Ok);
}

#[test]
fn a_wrong_result_fails_the_case() {
    let v = variant("counter/test-wrong", |_, _| {
        Box::new(Broken(|ctx| WorkerTally {
            ops: ctx.timed_batches(|| {}),
            ..Default::default()
        }))
    });
    let case = run(v, 1, 2);
    assert_eq!(case.status, CaseStatus::Failed);
    assert!(
        matches!(&case.validation, Validation::Failed { samples_failed: 3, first_error } if first_error.contains("41"))
    );
}

#[test]
fn a_stalled_case_is_reported_deadlocked_without_hanging_the_runner() {
    let v = variant("counter/test-stuck", |_, _| {
        Box::new(Broken(|_| {
            loop {
                std::thread::park();
            }
        }))
    });
    let started = Instant::now();
    let case = run(v, 2, 2);
    assert!(started.elapsed() < Duration::from_secs(5));
    match &case.status {
        CaseStatus::Deadlocked { stall_ms, blocked } => {
            assert!(*stall_ms >= 300);
            assert_eq!(blocked.len(), 2, "{blocked:?}");
        }
        other => panic!("expected deadlocked, got {other:?}"),
    }
    assert_eq!(case.validation, Validation::NotRun);
}

#[test]
fn a_panicking_worker_is_an_error_not_a_hang() {
    let v = variant("counter/test-panic", |_, _| {
        Box::new(Broken(|_| panic!("boom")))
    });
    // A long stall timeout: the panic hook's message (and a backtrace with RUST_BACKTRACE set)
    // can take longer than 300 ms on a loaded machine, and must not be read as a deadlock.
    let timing = Timing {
        stall_timeout: Duration::from_secs(20),
        ..timing(2)
    };
    let started = Instant::now();
    let case = run_timed(v, 2, &timing);
    assert!(
        started.elapsed() < timing.stall_timeout,
        "waited for the stall timeout"
    );
    assert!(
        matches!(&case.status, CaseStatus::Error { message } if message.contains("boom")),
        "{:?}",
        case.status
    );
}

#[test]
fn every_sample_carries_evidence_and_the_case_its_fork_evidence() {
    let cpus = crate::machine::available_cpus();
    let req = CaseRequest {
        variant: contend_workloads::find_variant("counter/atomic").unwrap(),
        threads: 2,
        placement: Placement::CoresFirst,
        cpu_order: &cpus,
        available_cpus: cpus.len(),
        params: &Params::default(),
        timing: &timing(3),
        load: &load::LoadPlan::default(),
    };
    let case = run_case(&req, &mut |_, _| {});
    assert_eq!(case.status, CaseStatus::Ok);
    let forks = &case.fork_evidence;
    assert_eq!(forks.len(), 1, "{forks:?}");
    assert_eq!(forks[0].fork, 0);
    let hardware_note = forks[0]
        .notes
        .iter()
        .any(|n| n.starts_with("hardware counters: not available"));
    if cpus.len() >= 2 {
        assert_eq!(forks[0].cpus, cpus[..2], "{forks:?}");
        // Positive, or (machine too busy for the probe's deadline) explained.
        match forks[0].cache_line_one_way_ns {
            Some(ns) => assert!(ns > 0.0, "{forks:?}"),
            None => assert!(
                forks[0]
                    .notes
                    .iter()
                    .any(|n| n.starts_with("cache-line probe on CPUs")),
                "{forks:?}"
            ),
        }
    } else {
        eprintln!("one CPU only: the cache-line probe is not run ({forks:?})");
    }
    for s in &case.samples {
        let e = s.evidence.as_ref().expect("every sample has evidence");
        assert!(e.steal_ns.is_some(), "{e:?}");
        assert!(e.window_cpu_ns >= s.elapsed_ns, "{e:?}");
        let countable = e.source == "perf_event_open"
            || std::path::Path::new("/proc/thread-self/sched").exists();
        assert!(e.migrations.is_some() || !countable, "{e:?}");
        assert!(
            ["perf_event_open", "procfs"].contains(&e.source.as_str()),
            "{e:?}"
        );
        assert!(
            e.hardware.is_some() || hardware_note,
            "hardware counters are either present or explained: {e:?} {forks:?}"
        );
    }
}

#[test]
fn unpinned_cases_record_why_there_is_no_probe() {
    let case = run(
        contend_workloads::find_variant("counter/atomic").unwrap(),
        2,
        1,
    );
    let fork = &case.fork_evidence[0];
    assert_eq!((fork.cpus.len(), fork.cache_line_one_way_ns), (0, None));
    assert!(
        fork.notes.iter().any(|n| n.contains("not pinned")),
        "{fork:?}"
    );
    assert!(case.samples[0].evidence.is_some());
}
