//! Knobs that shape a workload: contention work, payloads, queue capacity, sizes.

/// Workload parameters shared by all families; each family uses the knobs that make sense for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Params {
    /// Busy iterations inside the critical section (or per message handled by an owner).
    pub cs_work: u32,
    /// Busy iterations between operations, outside any lock.
    pub think_work: u32,
    /// Increments an actor client batches into one message (`counter/actor-batched`).
    pub batch: u32,
    /// Seed for any randomness (matrices, task sizes), so runs are reproducible.
    pub seed: u64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            cs_work: 0,
            think_work: 0,
            batch: 64,
            seed: 0x5eed,
        }
    }
}
