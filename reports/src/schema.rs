//! The results JSON: the contract between measuring and rendering (see the README's schema section).
//!
//! Anything a report shows must be in here, so that results can be re-rendered, merged with other
//! machines' results, or compared later. Bump [`SCHEMA_VERSION`] on any incompatible change.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use crate::evidence_schema::{ForkEvidence, HardwareCounters, SampleEvidence};
pub use crate::load_schema::{BareReference, LoadPoint, LoadSweep, Quantiles};
pub use crate::machine_schema::{
    Boost, Cache, Cgroup, Clocksource, CpuFreq, LoadAverage, MachineDetails, NumaNode, Smt,
    StealOverRun, Virtualization,
};
pub use crate::primitives_schema::Primitives;
pub use crate::race_schema::{RaceDetection, RaceRun, RaceVerdict};

/// Version of this schema; readers refuse other versions.
pub const SCHEMA_VERSION: u32 = 1;

fn one() -> u32 {
    1
}

/// One run of the harness: configuration, machine and every measured case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Results {
    pub schema_version: u32,
    pub tool: Tool,
    /// Free-form label for hardware studies (e.g. "c7a.large", "taskset -c 0"); defaults to the host name.
    pub label: String,
    /// The command line as invoked.
    pub command: Vec<String>,
    /// UTC start of the run, RFC 3339.
    pub started_at: String,
    pub config: RunConfig,
    pub machine: Machine,
    /// The harness's own cost, measured at the start of the run (absent if skipped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overhead: Option<Overhead>,
    /// Cases in the order they ran; a case is appended as soon as it finished.
    pub cases: Vec<Case>,
    /// ThreadSanitizer verdicts, when `contend tsan` ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub race_detection: Option<RaceDetection>,
    /// The machine's primitive costs, when the `primitives` family ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primitives: Option<Primitives>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
    /// Git commit the binary was built from, if known.
    pub git_commit: Option<String>,
    /// Whether the checkout had uncommitted changes to tracked files when it was built.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git_dirty: Option<bool>,
    /// The branch it was built on, if known (not for a detached checkout).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git_branch: Option<String>,
}

/// The validated plan's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunConfig {
    /// Variants selected, `family/variant`.
    pub workloads: Vec<String>,
    pub threads: Vec<usize>,
    pub placement: String,
    /// Timed samples per case and fork.
    pub samples: u32,
    /// Fresh processes each case was measured in (`--forks`); 1 for a single-process run.
    #[serde(default = "one")]
    pub forks: u32,
    pub warmup_ms: u64,
    pub duration_ms: u64,
    pub seed: u64,
    pub quick: bool,
    pub include_racy: bool,
    /// Workload knobs (`cs_work`, `think_work`, `batch`, ...), by name.
    pub params: BTreeMap<String, u64>,
    /// The queue family's modes (`--mode`): `throughput`, `latency` or `both`; absent in files
    /// written before the modes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// `--rate`: the latency mode's offered rates, messages/s; empty when they were fractions of
    /// each case's saturation throughput.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rates_per_s: Vec<f64>,
}

/// What the harness knows about the machine it ran on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    pub hostname: String,
    pub cpu_model: String,
    /// CPUs the OS has online.
    pub logical_cpus: usize,
    /// Distinct (package, core) pairs among online CPUs.
    pub physical_cores: usize,
    pub packages: usize,
    /// CPUs this process may run on (its affinity mask), ascending.
    pub available_cpus: Vec<usize>,
    /// One entry per online CPU.
    pub topology: Vec<CpuTopology>,
    pub memory_bytes: u64,
    pub os: String,
    pub kernel: String,
    /// `rustc -V` of the compiler that built the harness.
    pub rustc: String,
    /// The fingerprint for hardware comparisons: caches, NUMA, SMT, frequency scaling, clocksource,
    /// virtualization, cgroup limits, mitigations, load and steal (empty in older files).
    #[serde(default)]
    pub details: MachineDetails,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CpuTopology {
    pub cpu: usize,
    pub package: usize,
    pub core: usize,
    /// Logical CPUs sharing this CPU's core (SMT siblings, including itself), ascending.
    pub siblings: Vec<usize>,
}

/// A physical core: its package and the kernel's core id within it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoreId {
    pub package: usize,
    pub core: usize,
}

/// The harness's overhead: `counter/atomic` at one thread through the runner vs a bare loop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Overhead {
    /// Median throughput of a bare `fetch_add` loop, ops/s.
    pub bare_ops_per_sec: f64,
    /// Median throughput of the same operation through the runner, ops/s.
    pub harness_ops_per_sec: f64,
    /// `harness / bare` (1.0 = no overhead).
    pub ratio: f64,
    pub samples: u32,
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

/// One variant at one thread count and placement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Case {
    pub family: String,
    /// `family/variant`.
    pub variant: String,
    /// `shared-memory` or `message-passing`.
    pub style: String,
    pub expected_race: bool,
    /// Whether the variant is deadlock-prone on purpose (a `deadlocked` status is then expected).
    #[serde(default)]
    pub expected_deadlock: bool,
    /// Worker threads (the case's thread count).
    pub threads: usize,
    /// Extra threads the variant ran (e.g. an actor's owner).
    pub helper_threads: usize,
    pub placement: String,
    /// More threads (workers + helpers) than CPUs available: results measure time-sharing too.
    pub oversubscribed: bool,
    /// Whether the case runs the same algorithm as its family's cases at more threads, so a
    /// speedup or scaling fit may start from it (false for a 1-thread queue: one thread
    /// alternates sends and receives, where more threads split producers from consumers).
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub scaling_baseline: bool,
    /// Per thread (workers, then helpers): the CPU it was pinned to, or null when unpinned.
    pub cpus_requested: Vec<Option<usize>>,
    /// Per thread: the physical core of its pinned CPU, or null when unpinned.
    #[serde(default)]
    pub cores_requested: Vec<Option<CoreId>>,
    /// Per thread: every CPU it was seen running on (sched_getcpu at start and end of each sample).
    pub cpus_observed: Vec<Vec<usize>>,
    /// What one unit of throughput is (`increments`, `messages`, `tasks`, `products`).
    pub unit: String,
    /// What latency means for this family.
    pub latency_meaning: String,
    /// Extra per-unit figures, e.g. `flop_per_unit` for matmul.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub unit_factors: BTreeMap<String, f64>,
    /// Timed samples (warm-up excluded).
    pub samples: Vec<Sample>,
    /// Throughput across samples, units/s.
    pub throughput: Summary,
    pub latency: Latency,
    /// Counter and deadlock families: every operation's batch mean (batch time / batch size,
    /// batches of 8-64 us); `latency` holds single operations, one timed alone per batch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_latency: Option<Latency>,
    /// Queue (saturated samples): one message in this many carried its send time, and `latency`
    /// is the sojourn of those (chosen so the clock costs at most 1% of a message's time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stamp_every: Option<u64>,
    /// Queue at one producer and one consumer: the crate's bare loop measured beside the samples.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bare_reference: Option<BareReference>,
    /// Queue at two or more threads (latency mode): open-loop latency at offered rates, one
    /// sweep per process that measured the case.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub load_sweeps: Vec<LoadSweep>,
    pub validation: Validation,
    pub status: CaseStatus,
    /// What each process (fork) that measured this case saw of its vCPUs before measuring: one
    /// entry per fork, fork 0 only for a single-process run. Absent in files written before it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fork_evidence: Vec<ForkEvidence>,
}

impl Case {
    /// `family/variant@threads/placement`: how cases are matched across runs and machines.
    pub fn key(&self) -> String {
        case_key(&self.variant, self.threads, &self.placement)
    }
}

/// The key of a case: `family/variant@threads/placement` (see [`Case::key`]).
pub fn case_key(variant: &str, threads: usize, placement: &str) -> String {
    format!("{variant}@{threads}/{placement}")
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// The fork (fresh process, 0-based) that measured this sample: with `--forks K` a case's
    /// samples come from K processes; a single-process run has every sample in fork 0. On VMs
    /// the fork, not the sample, is the unit of replication (see the README's gate section).
    #[serde(default)]
    pub fork: u32,
    /// Units of work completed in the window.
    pub ops: u64,
    /// Window length, ns: from the start signal until the last thread finished (including drain).
    pub elapsed_ns: u64,
    /// `ops / elapsed`, units/s.
    pub throughput: f64,
    /// What else happened on the case's CPUs and threads during this sample's window (absent in
    /// files written before it, and for samples that were not measured by the runner).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<SampleEvidence>,
}

/// Robust summary of a set of values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    pub mean: f64,
    /// Sample standard deviation.
    pub stddev: f64,
    /// Coefficient of variation, `stddev / mean` (0.05 = 5%).
    pub cv: f64,
    /// Median absolute deviation, scaled by 1.4826 to estimate a normal's stddev.
    pub mad: f64,
}

/// Latency of the case's timed samples, all threads merged, ns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    pub count: u64,
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub p999: u64,
    pub max: u64,
    /// The merged HdrHistogram, V2 serialization (uncompressed), base64 (standard alphabet).
    pub histogram: String,
}

/// Whether the case's results were proven correct.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Validation {
    /// Every sample (warm-up included) was proven correct.
    Passed { samples_checked: u32 },
    /// A correct variant produced a wrong result in at least one sample.
    Failed {
        samples_failed: u32,
        first_error: String,
    },
    /// A deliberately racy variant: how much damage it did (it is expected, not a failure).
    RaceObserved {
        samples_damaged: u32,
        samples_checked: u32,
        total_damage: u64,
        first_detail: String,
    },
    /// A deliberately racy variant happened to produce correct results in every sample.
    RaceNotObserved { samples_checked: u32 },
    /// The case did not finish, so nothing could be proven.
    NotRun,
}

/// How the case ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum CaseStatus {
    Ok,
    /// Validation failed: its timing must not be trusted.
    Failed,
    /// No progress for the stall timeout; `blocked` says what each thread was doing if known.
    Deadlocked {
        stall_ms: u64,
        blocked: Vec<String>,
    },
    /// The case could not run (e.g. a worker panicked).
    Error {
        message: String,
    },
}

impl CaseStatus {
    pub fn is_ok(&self) -> bool {
        matches!(self, CaseStatus::Ok)
    }
}

/// Why a results file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{path}: cannot read: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: not a contend results file: {source}")]
    Json {
        path: String,
        source: serde_json::Error,
    },
    #[error("{path}: schema_version {found}, but this contend reads version {SCHEMA_VERSION}")]
    Version { path: String, found: u64 },
    #[error("{path}: no cases in this results file")]
    Empty { path: String },
}

/// Parses results from JSON text, checking the schema version first; `path` names the source in errors.
pub fn parse_results(text: &str, path: &str) -> Result<Results, ReadError> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|source| ReadError::Json {
            path: path.into(),
            source,
        })?;
    let found = value.get("schema_version").and_then(|v| v.as_u64());
    match found {
        Some(v) if v == u64::from(SCHEMA_VERSION) => {}
        Some(v) => {
            return Err(ReadError::Version {
                path: path.into(),
                found: v,
            });
        }
        None => {
            return Err(ReadError::Json {
                path: path.into(),
                source: serde::de::Error::custom("missing schema_version"),
            });
        }
    }
    serde_json::from_value(value).map_err(|source| ReadError::Json {
        path: path.into(),
        source,
    })
}

/// Reads and parses a results file; a file with no cases, no race detection and no primitives
/// is an error (nothing to report or compare).
pub fn read_results(path: &std::path::Path) -> Result<Results, ReadError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ReadError::Io {
        path: shown.clone(),
        source,
    })?;
    let results = parse_results(&text, &shown)?;
    if results.cases.is_empty() && results.race_detection.is_none() && results.primitives.is_none()
    {
        return Err(ReadError::Empty { path: shown });
    }
    Ok(results)
}
