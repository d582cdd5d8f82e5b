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

/// How a message-passing variant is driven in the next samples (see [`Workload::set_load`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Load {
    /// Saturated: producers send as fast as the queue takes messages (a full bounded queue
    /// holds them back). One message in `stamp_every` carries its send time, and latency is
    /// recorded for those only, so the clock costs a small share of each message.
    /// Variants that time their operations another way (the actor counters time one increment
    /// per batch, as every counter does) take it as "saturated" and ignore `stamp_every`.
    Saturated { stamp_every: u64 },
    /// Open loop: producers send on a fixed schedule, `per_s` items (messages, increments) per
    /// second over all of them. One item in `stamp_every` (a power of two) carries its *intended*
    /// send time and its latency counts from it, so a producer that falls behind (a full queue, a
    /// stall) charges the delay to the items it owes (coordinated omission corrected, as wrk2
    /// does); the others travel alike, unstamped, so the receiver's clock costs a small share of
    /// each message. An actor whose messages carry `batch` increments stamps one message in
    /// `stamp_every / batch`; pools time every task and ignore it.
    Offered { per_s: f64, stamp_every: u64 },
    /// The bare reference: the same threads and queue, each doing nothing per message but the
    /// crate's send or receive and what a receiver reads of a message (no clock, no progress
    /// ticks, no think work); delivery is proven as in every sample. What the harness adds per
    /// message is the difference to [`Load::Saturated`].
    Bare,
}

impl Load {
    /// A stamp interval as the workloads apply it: a power of two from 1 to 2^20, rounded up,
    /// so "one in N" is a mask test.
    pub fn stamp_interval(n: u64) -> u64 {
        n.clamp(1, 1 << 20).next_power_of_two()
    }

    /// Open loop at `per_s` with every item timed (what the tests of the schedule use).
    #[cfg(test)]
    pub(crate) fn offered(per_s: f64) -> Load {
        Load::Offered {
            per_s,
            stamp_every: 1,
        }
    }
}

/// Which [`Load`]s a variant, built for its thread count, has besides its default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoadModes {
    /// Saturated with one message in `stamp_every` stamped ([`Load::Saturated`]): the runner
    /// sizes `stamp_every` from the warm-up and records it.
    pub sampled_stamps: bool,
    /// The bare reference ([`Load::Bare`]): offered by a case of one sender and one receiver.
    pub bare: bool,
    /// Open loop at an offered rate ([`Load::Offered`]): the latency mode's sweep.
    pub offered: bool,
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

    /// The loads [`set_load`](Workload::set_load) takes (none by default). Queues of one
    /// producer and one consumer have all three; queues of more threads lack the bare reference
    /// (it is a 1P1C figure); pools have offered load only (their submitter already stamps every
    /// task, and the submitter is part of the pool: nothing is "bare"); the actor counters have
    /// offered load, and the bare reference with one worker.
    fn load_modes(&self) -> LoadModes {
        LoadModes::default()
    }

    /// Sets how the next samples drive the variant; false when the variant has no such mode
    /// (see [`load_modes`](Workload::load_modes)) or the load is not valid (a rate that is not
    /// finite and positive).
    fn set_load(&self, _load: Load) -> bool {
        false
    }

    /// What thread `index` is waiting for right now, if the variant tracks it (shown when the
    /// watchdog declares the case deadlocked).
    fn blocked_on(&self, _index: usize) -> Option<String> {
        None
    }
}
