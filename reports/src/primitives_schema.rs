//! The results JSON's `primitives` section: the machine's primitive costs (core-to-core cache-line
//! latency per CPU pair, thread spawn, wake-up, context switch, uncontended atomics, the clock),
//! each with the method that measured it (see the README's "Primitives").

use serde::{Deserialize, Serialize};

/// How two CPUs of a pair are related, nearest first: the strata `--pairs` samples from.
pub const RELATIONS: [&str; 4] = ["smt-siblings", "same-l3", "same-package", "cross-package"];

/// What `contend run --workloads primitives` measured, in the parent process, once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Primitives {
    /// Wall time of the whole family, ms.
    pub elapsed_ms: u64,
    /// The core-to-core map (absent when `primitives/core-to-core` was not selected).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub core_to_core: Option<CoreToCore>,
    /// Every other primitive, in the order measured.
    #[serde(default)]
    pub costs: Vec<Cost>,
}

impl Primitives {
    /// The cost called `name`, if it was measured.
    pub fn cost(&self, name: &str) -> Option<&Cost> {
        self.costs.iter().find(|c| c.name == name)
    }
}

/// One-way cache-line latency between ordered pairs of CPUs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoreToCore {
    /// The CPUs of the map in topology order (package, core, SMT sibling): the heat map's rows
    /// (initiator) and columns (responder).
    pub cpus: Vec<usize>,
    /// Ordered pairs of distinct CPUs among `cpus`: n (n - 1).
    pub pairs_possible: u64,
    /// How the pairs were chosen: every ordered pair, or a stratified sample and its strata.
    pub selection: String,
    /// How `store_load` measures.
    pub store_load_method: String,
    /// How `cas` measures.
    pub cas_method: String,
    /// The measured pairs, row by row in `cpus` order.
    pub pairs: Vec<PairLatency>,
}

impl CoreToCore {
    /// The pair `from` -> `to`, if it was measured.
    pub fn pair(&self, from: usize, to: usize) -> Option<&PairLatency> {
        self.pairs.iter().find(|p| p.from == from && p.to == to)
    }
}

/// One ordered pair of CPUs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairLatency {
    /// The initiator's CPU (the map's row).
    pub from: usize,
    /// The responder's CPU (the map's column).
    pub to: usize,
    /// One of [`RELATIONS`].
    pub relation: String,
    /// One-way latency of a store/load ping-pong (round trip / 2), ns.
    pub store_load: Measured,
    /// One-way latency of a compare-and-swap ping-pong (round trip / 2), ns.
    pub cas: Measured,
}

/// A primitive other than the map: thread spawn, wake-up, context switch, an atomic, the clock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cost {
    /// Stable identifier, e.g. `thread_spawn_join`, `wake_cross_cpu`, `atomic_cas`.
    pub name: String,
    /// What it is, for people: `thread spawn + join`.
    pub label: String,
    /// The CPUs its threads were pinned to (one for single-thread and same-CPU figures).
    pub cpus: Vec<usize>,
    /// How it was measured and validated.
    pub method: String,
    pub result: Measured,
}

/// A figure, or why there is none. `ns` is per operation (per one-way trip for the map).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Measured {
    /// Measured and validated.
    Ok {
        ns: Spread,
        /// Operations timed (round trips, calls, wake-ups, switches), warm-up excluded.
        ops: u64,
    },
    /// The measurement failed its validation or did not finish: no figure.
    Error { message: String },
    /// Not measurable here (e.g. a cross-CPU figure with one CPU available).
    Skipped { reason: String },
}

impl Measured {
    /// The figure, when there is one.
    pub fn spread(&self) -> Option<&Spread> {
        match self {
            Measured::Ok { ns, .. } => Some(ns),
            _ => None,
        }
    }
}

/// Median and spread over repetitions (batches, or single timed operations), ns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    pub median: f64,
    pub p10: f64,
    pub p90: f64,
    pub min: f64,
    pub max: f64,
    /// Repetitions the quantiles are over.
    pub repetitions: u32,
}

/// A primitive's figure in ns as reports print it: three significant digits below 1 µs (`0.336
/// ns`, `23.4 ns`), the unit that suits it above (`29.1 µs`).
pub fn ns_text(x: f64) -> String {
    if x.abs() < 999.5 {
        format!("{} ns", crate::format::sig3(x))
    } else {
        crate::format::ns(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_figure_and_an_error_round_trip_through_json() {
        let ok = Measured::Ok {
            ns: Spread {
                median: 30.5,
                p10: 29.0,
                p90: 33.0,
                min: 28.0,
                max: 40.0,
                repetitions: 12,
            },
            ops: 768,
        };
        let text = serde_json::to_string(&ok).unwrap();
        assert!(text.starts_with("{\"status\":\"ok\""), "{text}");
        assert_eq!(serde_json::from_str::<Measured>(&text).unwrap(), ok);
        let err = Measured::Error {
            message: "the line held 7".into(),
        };
        let text = serde_json::to_string(&err).unwrap();
        assert_eq!(serde_json::from_str::<Measured>(&text).unwrap(), err);
        assert!(err.spread().is_none() && ok.spread().is_some());
    }

    #[test]
    fn small_figures_keep_three_digits() {
        assert_eq!(ns_text(0.3362), "0.336 ns");
        assert_eq!(ns_text(23.38), "23.4 ns");
        assert_eq!(ns_text(29_100.0), "29.1 µs");
    }
}
