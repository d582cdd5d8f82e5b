//! Merges one case measured in several processes (forks) into one case: samples in the order
//! measured (each keeps its fork id), histograms added up, validations summed, the first
//! abnormal status kept. `run --forks` and `ab` (whose `ab-base.json` / `ab-head.json` are then
//! aligned fork by fork) both build their results this way.

use std::collections::BTreeSet;

use base64::Engine;
use contend_reports::schema::{BareReference, Case, CaseStatus, Latency, Validation};
use contend_reports::stats::{median, summarize};
use hdrhistogram::Histogram;
use hdrhistogram::serialization::Deserializer;

use crate::latency::latency_summary;

/// Merges single-sample cases of one key (in order) into one case with all their samples.
/// `cases` must not be empty.
pub fn merge_cases(cases: &[&Case]) -> Case {
    let mut out = cases[0].clone();
    out.samples = cases
        .iter()
        .flat_map(|c| c.samples.iter().cloned())
        .collect();
    out.fork_evidence = cases
        .iter()
        .flat_map(|c| c.fork_evidence.iter().cloned())
        .collect();
    let throughputs: Vec<f64> = out.samples.iter().map(|s| s.throughput).collect();
    out.throughput = summarize(&throughputs);
    out.latency = merge_latency(cases.iter().map(|c| &c.latency));
    let batches: Vec<&Latency> = cases
        .iter()
        .filter_map(|c| c.batch_latency.as_ref())
        .collect();
    out.batch_latency =
        (batches.len() == cases.len()).then(|| merge_latency(batches.iter().copied()));
    out.bare_reference = merge_bare(cases.iter().filter_map(|c| c.bare_reference.as_ref()));
    out.load_sweeps = cases
        .iter()
        .flat_map(|c| c.load_sweeps.iter().cloned())
        .collect();
    out.validation = merge_validation(cases.iter().map(|c| &c.validation));
    if let Some(bad) = cases.iter().find(|c| c.status != CaseStatus::Ok) {
        out.status = bad.status.clone();
    }
    let threads = cases
        .iter()
        .map(|c| c.cpus_observed.len())
        .max()
        .unwrap_or(0);
    out.cpus_observed = (0..threads)
        .map(|t| {
            let set: BTreeSet<usize> = cases
                .iter()
                .filter_map(|c| c.cpus_observed.get(t))
                .flatten()
                .copied()
                .collect();
            set.into_iter().collect()
        })
        .collect();
    out
}

/// Marks every sample, the fork evidence and the load sweeps of a one-process case as measured
/// by `fork`.
pub fn set_fork(case: &mut Case, fork: u32) {
    case.samples.iter_mut().for_each(|s| s.fork = fork);
    case.fork_evidence.iter_mut().for_each(|e| e.fork = fork);
    case.load_sweeps.iter_mut().for_each(|s| s.fork = fork);
}

/// Every fork's bare windows and pair ratios together, medians taken again.
fn merge_bare<'a>(refs: impl Iterator<Item = &'a BareReference>) -> Option<BareReference> {
    let (mut windows_per_s, mut pair_ratios) = (Vec::new(), Vec::new());
    for r in refs {
        windows_per_s.extend(&r.windows_per_s);
        pair_ratios.extend(&r.pair_ratios);
    }
    (!windows_per_s.is_empty()).then(|| BareReference {
        median_per_s: median(&windows_per_s),
        ratio: median(&pair_ratios),
        windows_per_s,
        pair_ratios,
    })
}

/// Adds the histograms up; falls back to the first latency when one does not decode.
fn merge_latency<'a>(latencies: impl Iterator<Item = &'a Latency> + Clone) -> Latency {
    let decode = |l: &Latency| -> Option<Histogram<u64>> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&l.histogram)
            .ok()?;
        Deserializer::new().deserialize(&mut bytes.as_slice()).ok()
    };
    let mut merged: Option<Histogram<u64>> = None;
    for l in latencies.clone() {
        let Some(h) = decode(l) else {
            return latencies
                .clone()
                .next()
                .cloned()
                .expect("at least one case");
        };
        match &mut merged {
            None => merged = Some(h),
            Some(m) => {
                if m.add(&h).is_err() {
                    return latencies
                        .clone()
                        .next()
                        .cloned()
                        .expect("at least one case");
                }
            }
        }
    }
    latency_summary(&merged.expect("at least one case"))
}

/// Sums the per-sample validations: passed, or (racy variants) the damage observed.
fn merge_validation<'a>(validations: impl Iterator<Item = &'a Validation>) -> Validation {
    let (mut checked, mut damaged, mut total, mut detail, mut racy) = (0, 0, 0, None, false);
    for v in validations {
        match v {
            Validation::Passed { samples_checked } => checked += samples_checked,
            Validation::RaceNotObserved { samples_checked } => {
                racy = true;
                checked += samples_checked;
            }
            Validation::RaceObserved {
                samples_damaged,
                samples_checked,
                total_damage,
                first_detail,
            } => {
                racy = true;
                checked += samples_checked;
                damaged += samples_damaged;
                total += total_damage;
                detail.get_or_insert_with(|| first_detail.clone());
            }
            other => return other.clone(),
        }
    }
    match (racy, detail) {
        (_, Some(first_detail)) => Validation::RaceObserved {
            samples_damaged: damaged,
            samples_checked: checked,
            total_damage: total,
            first_detail,
        },
        (true, None) => Validation::RaceNotObserved {
            samples_checked: checked,
        },
        (false, None) => Validation::Passed {
            samples_checked: checked,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use contend_reports::schema::{Sample, Summary};

    fn case(throughput: f64, latency_ns: u64, cpu: usize) -> Case {
        let mut h = contend_workloads::ctx::new_histogram();
        h.record(latency_ns).unwrap();
        Case {
            family: "counter".into(),
            variant: "counter/atomic".into(),
            style: "shared-memory".into(),
            expected_race: false,
            expected_deadlock: false,
            threads: 1,
            helper_threads: 0,
            placement: "cores-first".into(),
            oversubscribed: false,
            scaling_baseline: true,
            cpus_requested: vec![Some(0)],
            cores_requested: vec![Some(contend_reports::schema::CoreId {
                package: 0,
                core: 0,
            })],
            cpus_observed: vec![vec![cpu]],
            stamp_every: None,
            bare_reference: None,
            load_sweeps: Vec::new(),
            unit: "increments".into(),
            latency_meaning: String::new(),
            unit_factors: Default::default(),
            samples: vec![Sample {
                fork: 0,
                ops: throughput as u64,
                elapsed_ns: 1_000_000_000,
                throughput,
                evidence: None,
            }],
            throughput: Summary {
                median: throughput,
                min: throughput,
                max: throughput,
                mean: throughput,
                stddev: 0.0,
                cv: 0.0,
                mad: 0.0,
            },
            latency: latency_summary(&h),
            batch_latency: None,
            validation: Validation::Passed { samples_checked: 2 },
            status: CaseStatus::Ok,
            fork_evidence: vec![],
        }
    }

    #[test]
    fn merged_cases_keep_samples_in_order_and_add_up_the_rest() {
        let (a, b, c) = (case(100.0, 10, 0), case(300.0, 30, 1), case(200.0, 20, 0));
        let m = merge_cases(&[&a, &b, &c]);
        let t: Vec<f64> = m.samples.iter().map(|s| s.throughput).collect();
        assert_eq!(t, vec![100.0, 300.0, 200.0]);
        assert_eq!(m.throughput.median, 200.0);
        assert_eq!(m.latency.count, 3);
        assert!(m.latency.max >= 30);
        assert_eq!(m.validation, Validation::Passed { samples_checked: 6 });
        assert_eq!(m.cpus_observed, vec![vec![0, 1]]);
    }

    #[test]
    fn forks_bare_windows_and_sweeps_are_kept_together() {
        use contend_reports::schema::{LoadPoint, LoadSweep, Quantiles};
        let bare = |ratios: &[f64]| BareReference {
            windows_per_s: ratios.iter().map(|_| 100.0).collect(),
            median_per_s: 100.0,
            pair_ratios: ratios.to_vec(),
            ratio: median(ratios),
        };
        let sweep = LoadSweep {
            fork: 0,
            saturation_per_s: 100.0,
            window_ms: 10.0,
            points: vec![LoadPoint {
                offered_per_s: 10.0,
                fraction: Some(0.1),
                achieved_per_s: 10.0,
                messages: 1,
                stamp_every: 1,
                latency: Quantiles {
                    count: 1,
                    p50: 1,
                    p90: 1,
                    p99: 1,
                    p999: 1,
                    max: 1,
                },
            }],
        };
        let mut forks = Vec::new();
        for (fork, ratios) in [(0, [0.9, 0.92, 0.94]), (1, [1.0, 1.02, 1.04])] {
            let mut c = case(100.0, 10, 0);
            c.bare_reference = Some(bare(&ratios));
            c.load_sweeps = vec![sweep.clone()];
            set_fork(&mut c, fork);
            forks.push(c);
        }
        let m = merge_cases(&forks.iter().collect::<Vec<_>>());
        let b = m.bare_reference.expect("both forks had one");
        assert_eq!(b.pair_ratios, [0.9, 0.92, 0.94, 1.0, 1.02, 1.04]);
        assert_eq!(b.windows_per_s.len(), 6);
        // The median of all six pairs, not a median of the forks' medians.
        assert!((b.ratio - 0.97).abs() < 1e-12, "{}", b.ratio);
        let forks_of_sweeps: Vec<u32> = m.load_sweeps.iter().map(|w| w.fork).collect();
        assert_eq!(forks_of_sweeps, [0, 1]);
        let none = merge_cases(&[&case(1.0, 1, 0)]);
        assert!(none.bare_reference.is_none() && none.load_sweeps.is_empty());
    }
}
