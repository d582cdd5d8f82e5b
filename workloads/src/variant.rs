//! What a variant is: its family, its style (shared-memory or message-passing), its race and
//! deadlock expectations, and how to build it. The catalog of all of them is in `catalog`.

use crate::{Params, Workload};

/// A group of variants that do the same job in different ways.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    Counter,
    Queue,
    Pool,
    Matmul,
    Deadlock,
}

impl Family {
    pub const ALL: &'static [Family] = &[
        Family::Counter,
        Family::Queue,
        Family::Pool,
        Family::Matmul,
        Family::Deadlock,
    ];

    /// The family's name as used on the command line and in results.
    pub fn name(self) -> &'static str {
        match self {
            Family::Counter => "counter",
            Family::Queue => "queue",
            Family::Pool => "pool",
            Family::Matmul => "matmul",
            Family::Deadlock => "deadlock",
        }
    }

    /// What one unit of throughput is.
    pub fn unit(self) -> &'static str {
        match self {
            Family::Counter => "increments",
            Family::Queue => "messages",
            Family::Pool => "tasks",
            Family::Matmul => "products",
            Family::Deadlock => "transfers",
        }
    }

    /// What "latency" means for this family, as shown in the report.
    pub fn latency_meaning(self) -> &'static str {
        match self {
            Family::Counter => {
                "time of a single increment: in every 8-64 us batch one increment, at a random \
                 position, is timed alone with the TSC (the clock's own floor subtracted), so \
                 percentiles and max are single operations, sampled about once per batch; the batch \
                 mean (batch time / increments) is reported separately as batch mean. Latency under \
                 load (the actor counters) is the latency mode's sweep: open loop at offered rates, \
                 counted from an increment's due time until the owner has counted it"
            }
            Family::Queue => {
                "saturated sojourn: enqueue-to-dequeue time of one message in N (stamp_every, sized so the \
                 clock costs at most 2% of a message's time), consumer's clock read minus the producer's \
                 send stamp; producers send as fast as the bounded queue takes messages, so at saturation \
                 this is mostly the backlog of a full queue. Latency under load is the latency mode's \
                 sweep: open loop at offered rates, counted from each message's intended send time"
            }
            Family::Pool => {
                "submit-to-complete per task (worker's clock read when the task's work is done minus the \
                 submitter's stamp); closed loop: one submitter thread keeps at most --in-flight (default 4 per \
                 worker) tasks submitted and not completed, so latency includes queueing behind that window. \
                 Latency under load is the latency mode's sweep: open loop at offered rates, counted from \
                 each task's due time to its completion"
            }
            Family::Matmul => {
                "compute time per tile of C (a work unit: rows x columns sized from the thread count, \
                 2 x rows x columns x n flop), timed by the thread that computes it; excludes the wait for \
                 other threads at the end of each product; closed loop: the next product starts when the \
                 last tile of the previous one is done"
            }
            Family::Deadlock => {
                "time of a single transfer (lock both accounts, move one unit, unlock), one per 8-64 us \
                 batch timed alone with the TSC (the clock's floor subtracted); the batch mean is \
                 reported separately; half the workers transfer one way, half the other way"
            }
        }
    }

    /// Whether a case at `threads` runs the same algorithm as the family's cases at more threads
    /// (so speedups may start from it): not a 1-thread queue, where one thread alternates bursts
    /// of sends and receives instead of splitting producers from consumers.
    pub fn scaling_baseline(self, threads: usize) -> bool {
        !(self == Family::Queue && threads == 1)
    }

    /// Extra per-unit factors the report may use to derive figures, e.g. `("flop_per_unit", 2 n^3)`
    /// for matmul so products/s can be shown as GFLOP/s. Names end in `_per_unit`; values are
    /// exact for the given parameters. Empty when the family has none.
    pub fn unit_factors(self, p: &Params) -> Vec<(&'static str, f64)> {
        match self {
            Family::Counter => Vec::new(),
            Family::Queue => vec![("payload_bytes_per_unit", p.payload_bytes as f64)],
            Family::Pool => vec![("busy_iterations_per_unit", f64::from(p.task_work))],
            Family::Matmul => vec![("flop_per_unit", 2.0 * (p.matrix_size as f64).powi(3))],
            Family::Deadlock => Vec::new(),
        }
    }
}

/// How a variant shares work between threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Style {
    /// Threads touch the same memory, protected by locks or atomics (or deliberately not).
    SharedMemory,
    /// Threads own their state and communicate by sending messages.
    MessagePassing,
}

impl Style {
    pub fn name(self) -> &'static str {
        match self {
            Style::SharedMemory => "shared-memory",
            Style::MessagePassing => "message-passing",
        }
    }
}

/// One implementation of a family's job.
pub struct VariantInfo {
    /// `family/variant`, e.g. `counter/atomic`.
    pub name: &'static str,
    pub family: Family,
    pub style: Style,
    /// Whether the variant is deliberately racy (the race detector must catch it).
    pub expected_race: bool,
    /// Whether the variant is deadlock-prone on purpose: the watchdog is expected to stop it, and
    /// a `deadlocked` case then is the expected outcome rather than a failure.
    pub expected_deadlock: bool,
    /// Whether the variant only runs on explicit request (racy or deadlock-prone variants).
    pub opt_in: bool,
    /// One line saying what the variant does.
    pub about: &'static str,
    /// Builds the variant for `threads` worker threads.
    pub build: fn(&Params, usize) -> Box<dyn Workload>,
}

impl std::fmt::Debug for VariantInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VariantInfo")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl VariantInfo {
    /// The part of the name after the family, e.g. `atomic`.
    pub fn short_name(&self) -> &'static str {
        self.name.split_once('/').map_or(self.name, |(_, v)| v)
    }

    /// Whether the variant has an open-loop latency mode (`--mode latency`): every queue and
    /// pool, and the counters that pass messages (the actors).
    pub fn has_latency_mode(&self) -> bool {
        match self.family {
            Family::Queue | Family::Pool => true,
            Family::Counter => self.style == Style::MessagePassing,
            Family::Matmul | Family::Deadlock => false,
        }
    }
}
