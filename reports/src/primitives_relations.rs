//! The core-to-core map summarized per CPU relation (SMT siblings, same L3, same package, across
//! packages): what the terminal summary, the report and the Markdown show of a whole map.

use crate::primitives_schema::{CoreToCore, Measured, PairLatency, RELATIONS};
use crate::stats::median;

/// The map's pairs of one relation, summarized.
#[derive(Debug, Clone, PartialEq)]
pub struct RelationSummary {
    /// One of [`RELATIONS`].
    pub relation: &'static str,
    /// Pairs measured (errors included).
    pub pairs: usize,
    /// Pairs without a figure for at least one method.
    pub errors: usize,
    /// Median over the pairs of their store/load median, ns (None: no figure).
    pub store_load: Option<f64>,
    /// Median over the pairs of their CAS median, ns.
    pub cas: Option<f64>,
}

/// Per relation present, nearest first: pairs, errors and the median of the pairs' medians.
pub fn by_relation(map: &CoreToCore) -> Vec<RelationSummary> {
    let median_of = |pairs: &[&PairLatency], pick: fn(&PairLatency) -> &Measured| {
        let v: Vec<f64> = pairs
            .iter()
            .filter_map(|p| pick(p).spread().map(|s| s.median))
            .collect();
        (!v.is_empty()).then(|| median(&v))
    };
    RELATIONS
        .iter()
        .filter_map(|&relation| {
            let pairs: Vec<&PairLatency> = map
                .pairs
                .iter()
                .filter(|p| p.relation == relation)
                .collect();
            (!pairs.is_empty()).then(|| RelationSummary {
                relation,
                pairs: pairs.len(),
                errors: pairs
                    .iter()
                    .filter(|p| p.store_load.spread().is_none() || p.cas.spread().is_none())
                    .count(),
                store_load: median_of(&pairs, |p| &p.store_load),
                cas: median_of(&pairs, |p| &p.cas),
            })
        })
        .collect()
}
