//! The results JSON's evidence sections: what each process saw of its vCPUs before measuring a
//! case, and what disturbed each sample (see the README's schema section).

use serde::{Deserialize, Serialize};

/// Evidence about one process (fork) that measured a case, taken at the start of the case.
///
/// On a VM the host places the vCPUs where it likes: the same two vCPUs can be SMT siblings on the
/// host (a cache line crosses in ~11-18 ns) or on different cores (50-150 ns), from process to
/// process and, on the project's VM, from moment to moment within one process. This records the
/// placement the fork had when the case started.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForkEvidence {
    /// The fork (0-based), numbered as the samples' `fork`.
    pub fork: u32,
    /// The two CPUs the cache-line probe ran on: the first two distinct CPUs the case's threads are
    /// pinned to. Empty when the case does not use two pinned CPUs (then there was no probe).
    pub cpus: Vec<usize>,
    /// One-way cache-line latency between `cpus`, ns: two threads pinned on them bounce a value
    /// through one cache line; the median over batches of round trips, halved. Null when not probed
    /// or when the probe failed (the partner did not answer within its timeout; see `notes`).
    pub cache_line_one_way_ns: Option<f64>,
    /// What this process could not measure and why, e.g. `hardware counters: not available on
    /// this machine (perf_event_open: ENOENT)`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// Per-sample evidence of disturbance, read outside the timed window, so that a disturbed sample
/// can be recognised (and a gate can re-measure it) instead of being averaged in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleEvidence {
    /// Steal time (the hypervisor running something else on the vCPU), ns, summed over the CPUs
    /// the case's threads are pinned to (every CPU in `/proc/stat` when unpinned), between reads of
    /// `/proc/stat` just before the window opens and just after it closes. The kernel reports it in
    /// USER_HZ ticks, so this is a multiple of 10 ms (USER_HZ = 100): a window shorter than a few
    /// ticks shows 0 or one tick. Null when `/proc/stat` could not be read.
    pub steal_ns: Option<u64>,
    /// The time between those two reads times the number of CPUs summed, ns: `steal_ns /
    /// window_cpu_ns` is the fraction of the window those CPUs lost to steal.
    pub window_cpu_ns: u64,
    /// Involuntary context switches (preempted while runnable, `nonvoluntary_ctxt_switches` of
    /// `/proc/thread-self/status`), summed over every worker and helper thread, from each thread's
    /// arrival at the sample (just before the window opens) to the end of its work.
    pub involuntary_switches: u64,
    /// Voluntary context switches (blocked, e.g. parked on a lock or a queue) over the same span.
    pub voluntary_switches: u64,
    /// Time the case's threads spent runnable but waiting for a CPU (`run_delay` of
    /// `/proc/thread-self/schedstat`), ns, summed over the same span: what involuntary switches
    /// cost. Null where the kernel lacks `CONFIG_SCHED_INFO`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runqueue_wait_ns: Option<u64>,
    /// CPU migrations of the case's threads over the same span, summed. Null when neither
    /// `perf_event_open` nor `/proc/thread-self/sched` could count them.
    pub migrations: Option<u64>,
    /// Where the switch and migration counts came from: `perf_event_open` (migrations from a
    /// software counter opened by each thread, switches from `/proc/thread-self/status`),
    /// `procfs` (both from `/proc/thread-self/{status,sched}`: perf not permitted), or `mixed`.
    pub source: String,
    /// Hardware counters per unit of work (all threads summed, divided by `ops`), user space only;
    /// null where `perf_event_open` has no hardware events (the case's `fork_evidence` notes why).
    #[serde(default)]
    pub hardware: Option<HardwareCounters>,
    /// Why this sample is disturbed, one `kind: detail` line per reason (`steal`, `migration`,
    /// `involuntary_switches`); empty when clean. The thresholds are documented in the harness
    /// (`contend::evidence::classify`) and the README.
    #[serde(default)]
    pub disturbed: Vec<String>,
}

/// Hardware performance counters per unit of work in one sample (all threads summed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HardwareCounters {
    pub cycles_per_op: f64,
    pub instructions_per_op: f64,
    /// Last-level cache misses (`PERF_COUNT_HW_CACHE_MISSES`) per unit.
    pub cache_misses_per_op: f64,
}
