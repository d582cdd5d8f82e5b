//! The evidence of a set of samples summed for a reader: migrations (0 proves pinning held),
//! steal, context switches, run-queue wait, hardware counters per unit, the cache-line probe.

use crate::schema::{Case, Sample};
use crate::stats::median;

/// Evidence over some samples of a case (all of them, or one mode's).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EvidenceSummary {
    /// Samples that carried evidence.
    pub samples: usize,
    /// Migrations summed; None when no sample could count them.
    pub migrations: Option<u64>,
    /// Steal as a fraction of the windows' CPU time; None when unreadable.
    pub steal_fraction: Option<f64>,
    pub involuntary_per_sample: f64,
    pub voluntary_per_sample: f64,
    /// Run-queue wait per sample, ns; None where the kernel lacks schedstat.
    pub runqueue_wait_ns_per_sample: Option<f64>,
    /// Samples marked disturbed.
    pub disturbed: usize,
    /// Medians over the samples that have hardware counters: cycles, instructions and LLC misses
    /// per unit.
    pub hardware: Option<[f64; 3]>,
    /// Median one-way cache-line latency of the processes' probes, ns.
    pub cache_line_ns: Option<f64>,
}

/// Sums the evidence of `samples` of `case`, and the cache-line probes of the forks they ran in.
pub fn summarize<'a>(
    case: &Case,
    samples: impl IntoIterator<Item = &'a Sample>,
) -> EvidenceSummary {
    let samples: Vec<&Sample> = samples.into_iter().collect();
    let ev: Vec<_> = samples.iter().filter_map(|s| s.evidence.as_ref()).collect();
    let n = ev.len();
    let mut out = EvidenceSummary {
        samples: n,
        ..Default::default()
    };
    if n > 0 {
        let counted: Vec<u64> = ev.iter().filter_map(|e| e.migrations).collect();
        out.migrations = (!counted.is_empty()).then(|| counted.iter().sum());
        let steal: Vec<(u64, u64)> = ev
            .iter()
            .filter_map(|e| e.steal_ns.map(|s| (s, e.window_cpu_ns)))
            .collect();
        let window: u64 = steal.iter().map(|s| s.1).sum();
        out.steal_fraction =
            (window > 0).then(|| steal.iter().map(|s| s.0).sum::<u64>() as f64 / window as f64);
        out.involuntary_per_sample =
            ev.iter().map(|e| e.involuntary_switches).sum::<u64>() as f64 / n as f64;
        out.voluntary_per_sample =
            ev.iter().map(|e| e.voluntary_switches).sum::<u64>() as f64 / n as f64;
        let waits: Vec<u64> = ev.iter().filter_map(|e| e.runqueue_wait_ns).collect();
        out.runqueue_wait_ns_per_sample =
            (!waits.is_empty()).then(|| waits.iter().sum::<u64>() as f64 / waits.len() as f64);
        out.disturbed = ev.iter().filter(|e| !e.disturbed.is_empty()).count();
        let hw: Vec<_> = ev.iter().filter_map(|e| e.hardware.as_ref()).collect();
        if !hw.is_empty() {
            let m = |f: &dyn Fn(&crate::evidence_schema::HardwareCounters) -> f64| {
                median(&hw.iter().map(|h| f(h)).collect::<Vec<_>>())
            };
            out.hardware = Some([
                m(&|h| h.cycles_per_op),
                m(&|h| h.instructions_per_op),
                m(&|h| h.cache_misses_per_op),
            ]);
        }
    }
    let forks: Vec<u32> = samples.iter().map(|s| s.fork).collect();
    let probes: Vec<f64> = case
        .fork_evidence
        .iter()
        .filter(|f| forks.contains(&f.fork))
        .filter_map(|f| f.cache_line_one_way_ns)
        .collect();
    out.cache_line_ns = (!probes.is_empty()).then(|| median(&probes));
    out
}

/// The samples of one mode of `case` (see [`crate::modes::case_modes`]).
pub fn mode_samples<'c>(
    case: &'c Case,
    unit: crate::modes::Unit,
    members: &'c [usize],
) -> impl Iterator<Item = &'c Sample> + 'c {
    case.samples
        .iter()
        .enumerate()
        .filter(move |(i, s)| match unit {
            crate::modes::Unit::Forks => members.contains(&(s.fork as usize)),
            crate::modes::Unit::Samples => members.contains(i),
        })
        .map(|(_, s)| s)
}

/// One line for a reader: `migrations 0, steal 0.0%, 1.2 involuntary / 40 voluntary switches per
/// sample, cache line 61 ns`; parts that were not measured are left out.
pub fn describe(e: &EvidenceSummary) -> String {
    let mut parts = Vec::new();
    if let Some(m) = e.migrations {
        parts.push(format!("migrations {m}"));
    }
    if let Some(s) = e.steal_fraction {
        parts.push(format!("steal {:.1}%", s * 100.0));
    }
    if e.samples > 0 {
        parts.push(format!(
            "{:.1} involuntary / {:.0} voluntary switches per sample",
            e.involuntary_per_sample, e.voluntary_per_sample
        ));
    }
    if let Some(ns) = e.cache_line_ns {
        parts.push(format!("cache line {ns:.0} ns one way"));
    }
    if parts.is_empty() {
        "no evidence recorded".into()
    } else {
        parts.join(", ")
    }
}
