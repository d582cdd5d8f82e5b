//! Assembles one sample's evidence from the control thread's `/proc/stat` snapshots and the
//! threads' own counter spans, and classifies it.

use contend_reports::schema::{HardwareCounters, SampleEvidence};

use super::classify::{CaseShape, disturbed};
use super::procstat::{StatSnapshot, steal_between};
use super::thread::{Reading, Source};

/// One thread's counters over a sample: from its arrival to the end of its work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThreadSpan {
    pub source: Source,
    pub counts: Reading,
}

/// The evidence of one sample of `ops` units in a window of `window_ns`: steal between `before` and
/// `after` on the case's CPUs, the threads' spans summed, hardware counters per unit, and the
/// disturbance reasons.
pub fn sample_evidence(
    shape: &CaseShape,
    before: Option<&StatSnapshot>,
    after: Option<&StatSnapshot>,
    spans: &[ThreadSpan],
    ops: u64,
    window_ns: u64,
    tick_ns: u64,
) -> SampleEvidence {
    let (steal_ns, window_cpu_ns) = match (before, after) {
        (Some(b), Some(a)) => {
            let (steal, window) = steal_between(b, a, shape.pinned_cpus.as_deref(), tick_ns);
            (Some(steal), window)
        }
        _ => (None, 0),
    };
    let sum = |f: fn(&Reading) -> u64| spans.iter().map(|s| f(&s.counts)).sum::<u64>();
    let runqueue_wait_ns = spans
        .iter()
        .map(|s| s.counts.runqueue_wait_ns)
        .sum::<Option<u64>>();
    let migrations = spans
        .iter()
        .map(|s| s.counts.migrations)
        .sum::<Option<u64>>();
    let hardware = spans
        .iter()
        .map(|s| s.counts.hardware)
        .try_fold([0u64; 3], |acc, h| {
            h.map(|h| [acc[0] + h[0], acc[1] + h[1], acc[2] + h[2]])
        })
        .filter(|_| !spans.is_empty() && ops > 0)
        .map(|[cycles, instructions, misses]| HardwareCounters {
            cycles_per_op: cycles as f64 / ops as f64,
            instructions_per_op: instructions as f64 / ops as f64,
            cache_misses_per_op: misses as f64 / ops as f64,
        });
    let source = if spans.iter().all(|s| s.source == Source::Perf) {
        Source::Perf.name()
    } else if spans.iter().all(|s| s.source == Source::Procfs) {
        Source::Procfs.name()
    } else {
        "mixed"
    };
    let mut evidence = SampleEvidence {
        steal_ns,
        window_cpu_ns,
        involuntary_switches: sum(|r| r.involuntary),
        voluntary_switches: sum(|r| r.voluntary),
        runqueue_wait_ns,
        migrations,
        source: source.into(),
        hardware,
        disturbed: Vec::new(),
    };
    evidence.disturbed = disturbed(&evidence, shape, window_ns, tick_ns);
    evidence
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::time::{Duration, Instant};

    fn span(source: Source, involuntary: u64, migrations: Option<u64>) -> ThreadSpan {
        ThreadSpan {
            source,
            counts: Reading {
                voluntary: 1,
                involuntary,
                runqueue_wait_ns: Some(involuntary * 1000),
                migrations,
                hardware: None,
            },
        }
    }

    fn snapshots(steal0: u64, steal1: u64) -> (StatSnapshot, StatSnapshot) {
        let t0 = Instant::now();
        (
            StatSnapshot {
                at: t0,
                steal_ticks: BTreeMap::from([(0, 5), (1, 5)]),
            },
            StatSnapshot {
                at: t0 + Duration::from_millis(100),
                steal_ticks: BTreeMap::from([(0, 5 + steal0), (1, 5 + steal1)]),
            },
        )
    }

    #[test]
    fn spans_add_up_and_steal_is_taken_on_the_pinned_cpus() {
        let shape = CaseShape::new(&[Some(1), Some(1)], false);
        let (b, a) = snapshots(4, 0);
        let spans = [
            span(Source::Perf, 1, Some(0)),
            span(Source::Perf, 0, Some(0)),
        ];
        let e = sample_evidence(
            &shape,
            Some(&b),
            Some(&a),
            &spans,
            1000,
            100_000_000,
            10_000_000,
        );
        assert_eq!(e.steal_ns, Some(0), "CPU 0's steal is not the case's");
        assert_eq!(e.window_cpu_ns, 100_000_000);
        assert_eq!((e.involuntary_switches, e.voluntary_switches), (1, 2));
        assert_eq!(e.runqueue_wait_ns, Some(1000));
        assert_eq!(e.migrations, Some(0));
        assert_eq!(e.source, "perf_event_open");
        assert_eq!(e.hardware, None);
        assert!(e.disturbed.is_empty(), "{:?}", e.disturbed);
    }

    #[test]
    fn unpinned_cases_take_steal_on_every_cpu_and_disturbed_samples_say_why() {
        let shape = CaseShape::new(&[None, None], false);
        let (b, a) = snapshots(4, 1);
        let spans = [
            span(Source::Procfs, 0, Some(3)),
            span(Source::Perf, 0, None),
        ];
        let e = sample_evidence(
            &shape,
            Some(&b),
            Some(&a),
            &spans,
            1000,
            100_000_000,
            10_000_000,
        );
        assert_eq!(e.steal_ns, Some(50_000_000));
        assert_eq!(e.window_cpu_ns, 200_000_000);
        assert_eq!(e.migrations, None, "one thread could not count them");
        assert_eq!(e.source, "mixed");
        assert_eq!(e.disturbed.len(), 1);
        assert!(
            e.disturbed[0].starts_with("steal: 50 ms on the case's CPUs, at least 20.0%"),
            "{:?}",
            e.disturbed
        );
    }

    #[test]
    fn hardware_counts_are_per_unit_and_need_every_thread() {
        let shape = CaseShape::new(&[Some(0), Some(1)], false);
        let mut spans = [
            span(Source::Perf, 0, Some(0)),
            span(Source::Perf, 0, Some(0)),
        ];
        spans[0].counts.hardware = Some([3000, 1000, 10]);
        spans[1].counts.hardware = Some([1000, 1000, 30]);
        let e = sample_evidence(&shape, None, None, &spans, 1000, 100_000_000, 10_000_000);
        assert_eq!(
            e.hardware,
            Some(HardwareCounters {
                cycles_per_op: 4.0,
                instructions_per_op: 2.0,
                cache_misses_per_op: 0.04
            })
        );
        assert_eq!((e.steal_ns, e.window_cpu_ns), (None, 0));
        spans[1].counts.hardware = None;
        let e = sample_evidence(&shape, None, None, &spans, 1000, 100_000_000, 10_000_000);
        assert_eq!(e.hardware, None);
    }
}
