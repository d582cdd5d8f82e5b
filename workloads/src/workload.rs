//! The contract between the runner and a variant: per-sample setup, the worker body, and proof.

use crate::ctx::WorkerCtx;

/// What one thread did during one sample.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorkerTally {
    /// Units counted towards throughput (increments, messages received, tasks completed, products).
    pub ops: u64,
    /// Family-specific count used for validation (e.g. messages sent by a producer).
    pub items: u64,
    /// Family-specific checksum used for validation (e.g. wrapping sum of payloads sent or received).
    pub checksum: u64,
}

/// The verdict on one sample's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The result was proven correct (exact count, every message once, product equals reference).
    Valid,
    /// A correct variant produced a wrong result: the case fails.
    Invalid(String),
    /// A deliberately racy variant showed damage (`damage` units lost or wrong); expected, not a failure.
    RaceDamage { damage: u64, detail: String },
    /// A deliberately racy variant happened to produce a correct result this time.
    RaceUnobserved,
}

/// The checked result of one sample.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleCheck {
    /// Units of work completed in the sample (the throughput numerator).
    pub ops: u64,
    pub outcome: Outcome,
}

/// One variant's implementation, built for a given thread count.
///
/// The runner spawns `threads + helper_threads()` threads once per case. Before every sample it calls
/// [`begin_sample`](Workload::begin_sample) while all threads are parked, then releases them: each
/// runs [`run`](Workload::run) (workers until [`WorkerCtx::running`] turns false, helpers until
/// their own end condition, e.g. every producer said goodbye), and afterwards
/// [`end_sample`](Workload::end_sample) proves the result from the tallies.
pub trait Workload: Send + Sync {
    /// Threads the variant needs beyond the `threads` workers (e.g. an actor's owner thread).
    fn helper_threads(&self) -> usize {
        0
    }

    /// Resets shared state for a new sample; no thread of the case is running.
    fn begin_sample(&self) {}

    /// The body of thread `ctx.index()` (workers are `0..threads`, helpers follow).
    fn run(&self, ctx: &mut WorkerCtx) -> WorkerTally;

    /// Proves the sample's result; `tallies[i]` is thread `i`'s tally.
    fn end_sample(&self, tallies: &[WorkerTally]) -> SampleCheck;

    /// What thread `index` is waiting for right now, if the variant tracks it (shown when the
    /// watchdog declares the case deadlocked).
    fn blocked_on(&self, _index: usize) -> Option<String> {
        None
    }
}
