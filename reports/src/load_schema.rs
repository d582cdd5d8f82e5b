//! The results JSON's message-passing mode sections: the bare reference beside the saturated
//! samples, and the open-loop sweep of offered rates (see the README's "Message-passing modes").

use serde::{Deserialize, Serialize};

/// The same crate's bare send/recv loop of one sender and one receiver (a 2-thread queue, a
/// 1-worker actor and its owner), measured on the case's own threads and queue or mailbox for a
/// sample's length between samples 1 and 2, 3 and 4, ...: what share of the crate's
/// speed the harness shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BareReference {
    /// Each bare window's throughput, in the case's unit per second.
    pub windows_per_s: Vec<f64>,
    /// Median of `windows_per_s`.
    pub median_per_s: f64,
    /// Per bare window: the mean throughput of the samples on both sides of it (the one before,
    /// for a window after the last sample) / the window's (adjacent in time, so a slow phase or a
    /// drift of the VM hits both).
    pub pair_ratios: Vec<f64>,
    /// Median of `pair_ratios` (1 = the harness costs nothing).
    pub ratio: f64,
}

/// Open-loop latency at offered rates (wrk2's method): producers send on a fixed schedule and
/// latency counts from each message's intended send time, so waiting to send is charged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadSweep {
    /// Which process (fork) measured it, numbered as the samples' `fork`.
    pub fork: u32,
    /// The saturated throughput the rates are fractions of: the median of this process's samples,
    /// messages/s.
    pub saturation_per_s: f64,
    /// Length of each point's window, ms.
    pub window_ms: f64,
    pub points: Vec<LoadPoint>,
}

/// One offered rate of a [`LoadSweep`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadPoint {
    /// The rate producers were scheduled to send at, messages/s over all producers.
    pub offered_per_s: f64,
    /// `offered_per_s` as a fraction of the saturation throughput, when it was given that way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fraction: Option<f64>,
    /// Messages received / window length, messages/s.
    pub achieved_per_s: f64,
    /// Messages received, all proven delivered exactly once.
    pub messages: u64,
    /// One item in this many was timed (sized so the receiver's clock costs at most 1% of an
    /// item's time at the offered rate); an actor times one message in `stamp_every / batch`,
    /// pools time every task. 1 in files written before sampling (every message timed).
    #[serde(default = "every_item")]
    pub stamp_every: u64,
    /// Latency from intended send time to receipt of the timed items, ns (`latency.count` of them).
    pub latency: Quantiles,
}

fn every_item() -> u64 {
    1
}

/// Latency quantiles of one window, ns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quantiles {
    pub count: u64,
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub p999: u64,
    pub max: u64,
}
