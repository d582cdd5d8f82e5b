//! Multimodality end to end: a results file whose forks form two modes is flagged (warning and
//! evidence section, with each mode's evidence), and a unimodal one is not.

use std::path::Path;

use contend_reports::schema::{Case, ForkEvidence, Results, Sample, SampleEvidence, read_results};
use contend_reports::warnings::warnings;

fn fixture() -> Results {
    read_results(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/machine-a.json"))
        .unwrap()
}

fn evidence(involuntary: u64) -> SampleEvidence {
    SampleEvidence {
        steal_ns: Some(0),
        window_cpu_ns: 100_000_000,
        involuntary_switches: involuntary,
        voluntary_switches: 3,
        runqueue_wait_ns: Some(1000),
        migrations: Some(0),
        source: "perf_event_open".into(),
        hardware: None,
        disturbed: Vec::new(),
    }
}

/// `case` measured in one fork per value of `forks` (two samples each), with a cache-line probe
/// per fork: 60 ns for the forks at or above `fast`, 110 ns below.
fn forked(mut case: Case, forks: &[f64], fast: f64) -> Case {
    case.samples = forks
        .iter()
        .enumerate()
        .flat_map(|(fork, &tp)| {
            [0.995, 1.005].map(|f| Sample {
                fork: fork as u32,
                ops: (tp * f * 0.1) as u64,
                elapsed_ns: 100_000_000,
                throughput: tp * f,
                evidence: Some(evidence(if tp >= fast { 0 } else { 7 })),
            })
        })
        .collect();
    case.fork_evidence = forks
        .iter()
        .enumerate()
        .map(|(fork, &tp)| ForkEvidence {
            fork: fork as u32,
            cpus: vec![0, 1],
            cache_line_one_way_ns: Some(if tp >= fast { 60.0 } else { 110.0 }),
            notes: Vec::new(),
        })
        .collect();
    case
}

/// A copy of the fixture whose first ok case has `forks`, written to a file and read back.
fn results_file(forks: &[f64], fast: f64) -> Results {
    let mut run = fixture();
    let i = run.cases.iter().position(|c| c.status.is_ok()).unwrap();
    run.cases[i] = forked(run.cases[i].clone(), forks, fast);
    run.cases.truncate(i + 1);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("results.json");
    std::fs::write(&path, serde_json::to_vec(&run).unwrap()).unwrap();
    read_results(&path).unwrap()
}

#[test]
fn a_bimodal_results_file_is_flagged_with_each_modes_evidence() {
    let run = results_file(&[68e6, 67e6, 185e6, 69e6, 70e6, 67.5e6], 100e6);
    let w = warnings(&run);
    let two = w
        .iter()
        .find(|w| w.message.starts_with("two modes"))
        .expect("flagged");
    assert_eq!(two.cases.len(), 1);
    assert!(
        two.cases[0].contains("(5 forks), 185 M") && two.cases[0].contains("(1 fork)"),
        "{two:?}"
    );
    let html = contend_reports::render_html(std::slice::from_ref(&run));
    assert!(html.contains("<h3>Two modes</h3>"), "no modes list");
    assert!(
        html.contains("cache line 60 ns one way"),
        "the fast mode's probe"
    );
    assert!(
        html.contains("cache line 110 ns one way"),
        "the slow mode's probe"
    );
    assert!(html.contains("migrations 0"));
}

#[test]
fn a_unimodal_results_file_is_not_flagged() {
    let run = results_file(&[68e6, 67e6, 71e6, 69e6, 70e6, 67.5e6], 0.0);
    assert!(
        !warnings(&run)
            .iter()
            .any(|w| w.message.starts_with("two modes")),
        "{:?}",
        warnings(&run)
    );
    let html = contend_reports::render_html(std::slice::from_ref(&run));
    assert!(html.contains("id=\"evidence\""), "the evidence section");
    assert!(!html.contains("<h3>Two modes</h3>"));
}
