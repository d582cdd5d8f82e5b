//! Evidence of disturbance, per sample and per process (fork): steal time on the case's CPUs,
//! involuntary switches and migrations of its threads, hardware counters where the machine has
//! them, the disturbance verdict, and the cache-line latency between the case's vCPUs.
//!
//! On a VM a sample can lose time to the host (steal), to another task on its CPU (involuntary
//! switches) or to a broken pin (migrations), and a whole process can be placed on vCPUs that are
//! SMT siblings on the host or not. Everything here is read outside the timed window.

pub mod classify;
pub mod fork;
pub mod perf;
pub mod pingpong;
pub mod procstat;
pub mod sample;
pub mod thread;

pub use classify::CaseShape;
pub use fork::fork_evidence;
pub use procstat::{StatSnapshot, tick_ns};
pub use sample::{ThreadSpan, sample_evidence};
pub use thread::ThreadCounters;
