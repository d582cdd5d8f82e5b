//! Knobs that shape a workload: contention work, payloads, queue capacity, sizes.

/// Workload parameters shared by all families; each family uses the knobs that make sense for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Params {
    /// Busy iterations inside the critical section (or per message handled by an owner).
    pub cs_work: u32,
    /// Busy iterations ([`crate::spin::busy`], ~2-3 ns each) per operation, outside any lock,
    /// spent by the thread doing the operation; 0 (the default) costs nothing. One operation
    /// is, per family:
    /// - counter: one increment, by the worker, after it (`actor-batched` too: per increment,
    ///   not per message);
    /// - queue: one message, by its producer before stamping and sending it (outside its
    ///   latency); the one-thread burst thinks for the whole burst before sending it;
    /// - pool: one task, by the worker that runs it, added to the task's body (so it is inside
    ///   the task's latency, like `task_work`): per-task time grows alike in every pool;
    /// - matmul: one row of C, by the worker before it runs a tile of the first column of tiles,
    ///   for the tile's rows (a 64-row k-slice's rows for `racy-overlap`): n x think_work
    ///   iterations per n x n product;
    /// - deadlock: one transfer, after both locks are released.
    pub think_work: u32,
    /// Increments an actor client batches into one message (`counter/actor-batched`).
    pub batch: u32,
    /// Seed for any randomness (matrices, task sizes), so runs are reproducible.
    pub seed: u64,
    /// Queue: producer threads. `None`: `threads / 2` (rounded down, at least 1), so 2 threads are
    /// 1P/1C and 3 threads are 1P/2C. See [`Params::queue_split`].
    pub producers: Option<usize>,
    /// Queue: consumer threads. `None`: the threads that are not producers.
    pub consumers: Option<usize>,
    /// Queue: bound of the queue or channel, in messages (default 1024). Pool: bound of the job
    /// channel of `pool/channel-workers` (raised to the in-flight window if smaller).
    pub capacity: usize,
    /// Queue: extra payload bytes per message (default 0: a message is its 16-byte tag and send
    /// timestamp). A payload is a heap buffer the producer fills and the consumer reads and frees.
    pub payload_bytes: usize,
    /// Pool: tasks in flight from the submitter, its closed-loop window (default 4 per worker);
    /// queue: the burst a 1-thread case sends before receiving it (default 64). See
    /// [`Params::queue_window`] and [`Params::pool_window`].
    pub in_flight: Option<usize>,
    /// Pool: busy iterations per task ([`crate::spin::busy`], ~2-3 ns each on these VMs);
    /// the default 1000 makes a task ~2 us.
    pub task_work: u32,
    /// Matmul: n of the n x n f64 matrices (default 512).
    pub matrix_size: usize,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            cs_work: 0,
            think_work: 0,
            batch: 64,
            seed: 0x5eed,
            producers: None,
            consumers: None,
            capacity: 1024,
            payload_bytes: 0,
            in_flight: None,
            task_work: 1000,
            matrix_size: 512,
        }
    }
}

impl Params {
    /// How a queue case with `threads >= 2` threads splits into `(producers, consumers)`.
    ///
    /// An explicit `producers` wins (clamped to `1..threads`) and consumers are the rest; else an
    /// explicit `consumers` is honoured the same way; else producers = `threads / 2`. With one
    /// thread the result is `(1, 1)`: that thread alternately produces and consumes a burst.
    /// The harness should reject `producers + consumers != threads` when both are given.
    pub fn queue_split(&self, threads: usize) -> (usize, usize) {
        if threads < 2 {
            return (1, 1);
        }
        let clamp = |x: usize| x.clamp(1, threads - 1);
        let producers = match (self.producers, self.consumers) {
            (Some(p), _) => clamp(p),
            (None, Some(c)) => threads - clamp(c),
            (None, None) => threads / 2,
        };
        (producers, threads - producers)
    }

    /// Queue: the burst of a 1-thread case (messages sent before they are received); at least 1.
    pub fn queue_window(&self) -> usize {
        self.in_flight.unwrap_or(64).max(1)
    }

    /// Pool: tasks the submitter may have in flight (submitted, not yet completed); at least 1.
    pub fn pool_window(&self, workers: usize) -> usize {
        self.in_flight.unwrap_or(4 * workers.max(1)).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_split_defaults_to_half_producers() {
        let p = Params::default();
        assert_eq!(p.queue_split(1), (1, 1));
        assert_eq!(p.queue_split(2), (1, 1));
        assert_eq!(p.queue_split(3), (1, 2));
        assert_eq!(p.queue_split(8), (4, 4));
    }

    #[test]
    fn queue_split_honours_and_clamps_explicit_counts() {
        let p = Params {
            producers: Some(3),
            ..Params::default()
        };
        assert_eq!(p.queue_split(4), (3, 1));
        assert_eq!(p.queue_split(3), (2, 1), "clamped so one consumer remains");
        let c = Params {
            consumers: Some(1),
            ..Params::default()
        };
        assert_eq!(c.queue_split(4), (3, 1));
    }
}
