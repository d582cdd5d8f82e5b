//! The command line, as clap sees it (raw arguments; `plan` validates them).

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::topology::Placement;
use crate::tsan::lane::Lane;

/// Pins workloads to cores, runs shared-memory and message-passing variants of counters, queues,
/// thread pools and matrix multiplication at a sweep of thread counts, validates every result,
/// and writes JSON results and an HTML report. Also: race detection (tsan) and a CI perf gate.
#[derive(Debug, Parser)]
#[command(name = "contend", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// `contend` with no subcommand runs the suite with these options.
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the suite (the default when no subcommand is given).
    Run(Box<RunArgs>),
    /// List families and variants with their style and whether they are expected to race.
    List {
        /// Print the catalog as JSON: one object per variant.
        #[arg(long)]
        json: bool,
    },
    /// Show what the harness knows about this machine: CPU topology, caches, NUMA, SMT, frequency
    /// scaling, clocksource, virtualization, cgroup limits, mitigations and load.
    Machine {
        /// Print the machine description as JSON (as stored in results).
        #[arg(long)]
        json: bool,
        /// Read topology and fingerprint from this sysfs tree instead of /sys (for tests; CPU
        /// model, memory, OS and the affinity mask stay this machine's).
        #[arg(long, value_name = "DIR", hide = true)]
        sysfs: Option<PathBuf>,
        /// Read the fingerprint's procfs files from this tree instead of /proc (for tests).
        #[arg(long, value_name = "DIR", hide = true)]
        procfs: Option<PathBuf>,
    },
    /// Render results JSON as a self-contained HTML report; several files give a comparison.
    Report(ReportArgs),
    /// Build the workloads (or a crate's tests) with ThreadSanitizer and judge which ones race.
    Tsan(TsanArgs),
    /// Compare two results files case by case: the perf-regression gate (exit 1 on a regression).
    Compare(CompareArgs),
    /// Interleaved A/B against a base build's binary, sampled adaptively: the CI perf gate.
    Ab(Box<AbArgs>),
    /// Trends of the recorded runs, with change points; `history import FILE...` records results
    /// files, `history baselines` lists the named baselines.
    History(HistoryArgs),
    /// Show the CPU (and physical core) each thread would be pinned to, without running anything.
    Plan(PlanArgs),
    /// Print a shell completion script, e.g. `contend completions bash > ~/.local/share/bash-completion/completions/contend`.
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// Results files (one machine: a report; several: a side-by-side comparison).
    #[arg(required = true, value_name = "RESULTS.json")]
    pub inputs: Vec<PathBuf>,
    /// HTML output [default: report.html next to a single input, compare.html for several].
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Also write a Markdown summary (e.g. for $GITHUB_STEP_SUMMARY).
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    /// Also write the case table as CSV.
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct PlanArgs {
    /// Thread counts, as for `run` [default: 1, 2, 4, ... up to the CPUs available, and that maximum].
    #[arg(long, short = 't', value_name = "SPEC")]
    pub threads: Option<String>,
    /// The placement to show.
    #[arg(long, value_enum, default_value_t = Placement::CoresFirst)]
    pub placement: Placement,
    /// A sysfs root to read instead of this machine (`/sys`, or a tree laid out like it, such as
    /// harness/tests/fixtures/sysfs/intel-2s); its cgroup cpuset (fs/cgroup/cpuset.cpus.effective)
    /// limits the CPUs. Without it: this machine's topology and this process's affinity mask.
    #[arg(long, value_name = "DIR")]
    pub sysfs: Option<PathBuf>,
    /// Print the plan as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct HistoryArgs {
    #[command(subcommand)]
    pub action: Option<HistoryAction>,
    /// The history store [default: contend-results/history.sqlite].
    #[arg(long, value_name = "PATH", global = true)]
    pub history: Option<PathBuf>,
    /// Families or variants to show, comma-separated [default: every case].
    #[arg(long, short = 'w', value_delimiter = ',', value_name = "LIST")]
    pub workloads: Vec<String>,
    /// Only this machine: a fingerprint-hash prefix, or part of a host name or CPU model.
    #[arg(long, value_name = "MACHINE")]
    pub machine: Option<String>,
    /// Write the trends as a self-contained HTML page (charts with change points).
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Write the trends as Markdown (e.g. for a PR comment).
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
}

#[derive(Debug, Clone, Subcommand)]
pub enum HistoryAction {
    /// Record results files (results.json, ab-base.json, ...) in the history; a file recorded
    /// before is skipped. Every file is read before anything is recorded.
    Import {
        #[arg(required = true, value_name = "RESULTS.json")]
        files: Vec<PathBuf>,
    },
    /// List the named baselines (name, machine, when saved, run).
    Baselines,
}

#[derive(Debug, Clone, Args)]
pub struct CompareArgs {
    /// `BASE.json HEAD.json`: the baseline's results (e.g. the main branch) and the change
    /// under test. With --baseline, only `[HEAD.json]` [default: contend-results/latest/results.json].
    #[arg(value_name = "FILES", num_args = 0..=2)]
    pub files: Vec<PathBuf>,
    /// Compare against the named baseline in the history instead of a BASE.json.
    #[arg(long, value_name = "NAME")]
    pub baseline: Option<String>,
    /// The history holding the baseline [default: contend-results/history.sqlite].
    #[arg(long, value_name = "PATH", requires = "baseline")]
    pub history: Option<PathBuf>,
    #[command(flatten)]
    pub gate: GateArgs,
    /// The files hold interleaved A/B samples aligned pair by pair (e.g. `contend ab`'s
    /// ab-base.json and ab-head.json): compare per pair (sign-test interval).
    #[arg(long)]
    pub paired: bool,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s).map_err(|e| format!("{e} (examples: 200ms, 1s, 1.5s)"))
}

#[derive(Debug, Clone, PartialEq, Args)]
pub struct RunArgs {
    /// Families or variants to run, comma-separated (e.g. `counter` or `counter/atomic,counter/mutex`).
    /// Default: every family's correct variants.
    #[arg(long, short = 'w', value_delimiter = ',', value_name = "LIST")]
    pub workloads: Vec<String>,
    /// Thread counts: a list `1,2,4`, an inclusive range `1..16`, `max` (CPUs available), or a mix.
    /// Default: 1, 2, 4, ... up to the CPUs available, plus that maximum.
    #[arg(long, short = 't', value_name = "SPEC")]
    pub threads: Option<String>,
    /// How threads map to CPUs.
    #[arg(long, value_enum, default_value_t = Placement::CoresFirst)]
    pub placement: Placement,
    /// Timed samples per case [default: 10, --quick: 5].
    #[arg(long, value_name = "N")]
    pub samples: Option<u32>,
    /// Measure every case in this many fresh processes (forks), in a randomized interleaved
    /// order; each sample records its fork. On VMs the process, not the sample, is the unit of
    /// variance, so comparisons need K >= 2 (the gate uses many).
    #[arg(long, default_value_t = 1, value_name = "K")]
    pub forks: u32,
    /// Length of the untimed warm-up sample per case, e.g. 200ms [default: 100ms, --quick: 50ms].
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    pub warmup: Option<Duration>,
    /// Length of each timed sample, e.g. 150ms [default: 130ms, --quick: 50ms].
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    pub duration: Option<Duration>,
    /// Write results.json (rewritten after every case) and report.html exactly here [default: a
    /// new folder contend-results/runs/<UTC time>-<label>/, with contend-results/latest pointing
    /// at it]. With --out, the run is recorded in a history only when --history is given.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// The history store (SQLite) that records every run [default: contend-results/history.sqlite].
    #[arg(long, value_name = "PATH")]
    pub history: Option<PathBuf>,
    /// Do not record this run in the history.
    #[arg(long, conflicts_with_all = ["history", "save_baseline", "baseline"])]
    pub no_history: bool,
    /// Save this run in the history as baseline NAME for this machine (replacing an older one).
    #[arg(long, value_name = "NAME")]
    pub save_baseline: Option<String>,
    /// At the end, compare this run with baseline NAME (saved on this machine) through the gate:
    /// its table, and exit 1 when a case regressed.
    #[arg(long, value_name = "NAME")]
    pub baseline: Option<String>,
    /// A short suite for CI: fewer, shorter samples.
    #[arg(long)]
    pub quick: bool,
    /// Seed for every random input, so runs are reproducible.
    #[arg(long, default_value_t = 0x5eed)]
    pub seed: u64,
    /// Also run the deliberately racy variants of the selected families (they report damage, not failure).
    #[arg(long)]
    pub include_racy: bool,
    /// Label for this run in comparisons (default: the host name).
    #[arg(long)]
    pub label: Option<String>,
    /// Declare a case deadlocked when its threads make no progress for this long.
    #[arg(long, value_parser = parse_duration, default_value = "5s", value_name = "DURATION")]
    pub stall_timeout: Duration,
    /// Busy iterations inside each critical section (mutex held, actor handling a message).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub cs_work: u32,
    /// Busy iterations per operation, outside any lock: per increment (counter), per message
    /// (queue, by the producer), per task (pool, added to the task), per row (matmul), per
    /// transfer (deadlock). The gate's calibration injects slowdowns with it.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub think_work: u32,
    /// Increments per message in `counter/actor-batched`.
    #[arg(long, default_value_t = 64, value_name = "N")]
    pub batch: u32,
    /// Queue: producer threads per case [default: half the threads; 1P/1C at 2 threads].
    #[arg(long, value_name = "N")]
    pub producers: Option<usize>,
    /// Queue: consumer threads per case [default: the threads that are not producers].
    #[arg(long, value_name = "N")]
    pub consumers: Option<usize>,
    /// Queue (and pool/channel-workers job channel): bound in messages.
    #[arg(long, default_value_t = 1024, value_name = "N")]
    pub capacity: usize,
    /// Queue: extra payload bytes per message (filled by the producer, checked by the consumer).
    #[arg(long, default_value_t = 0, value_name = "BYTES")]
    pub payload: usize,
    /// Pool: tasks in flight from the submitter (its closed-loop window) [default: 4 per
    /// worker]; queue: the burst of a 1-thread case [default: 64].
    #[arg(long, value_name = "N")]
    pub in_flight: Option<usize>,
    /// Pool: busy iterations per task (1000 is about 2 us here).
    #[arg(long, default_value_t = 1000, value_name = "N")]
    pub task_work: u32,
    /// Matmul: n of the n x n f64 matrices.
    #[arg(long, default_value_t = 512, value_name = "N")]
    pub matrix_size: usize,
    /// Skip measuring the harness's own overhead: the overhead figure at the start of the run
    /// and the bare-crate windows beside 1P1C queues and 1-worker actors (vs bare). `contend ab`'s
    /// forks run with it: neither figure is compared, and a bare window costs a fork a sample's time.
    #[arg(long)]
    pub no_overhead: bool,
    /// Message-passing modes (queues, pools, actor counters): `throughput` (saturated samples;
    /// queues time one message in N; 1P1C queues and 1-worker actors run the crate's bare loop
    /// beside them), `latency` (open-loop latency at offered rates; those variants only), or
    /// `both`. Other variants have one mode and ignore it.
    #[arg(long, value_enum, default_value_t = Mode::Both)]
    pub mode: Mode,
    /// Latency mode: offered rates in messages (tasks, increments)/s over all senders, e.g. `100k,1M,2.5M`
    /// [default: 10,50,80,90,95,100,110% of the case's measured saturation throughput].
    #[arg(long, value_delimiter = ',', value_parser = parse_rate, value_name = "RATES")]
    pub rate: Vec<f64>,
    /// Primitives: ordered CPU pairs the core-to-core map measures, `N` (a sample stratified by
    /// relation: SMT siblings, same L3, same package, across packages) or `all` [default: every
    /// pair up to 16 CPUs, else a sample of 240].
    #[arg(long, value_parser = crate::primitives::pairs::parse_pairs, value_name = "N|all")]
    pub pairs: Option<crate::primitives::pairs::PairsSpec>,
    /// Primitives: the CPUs to measure, a kernel CPU list such as `0-3,8` (each must be one this
    /// process may use) [default: every CPU available].
    #[arg(long, value_name = "LIST")]
    pub cpus: Option<String>,
}

/// What the message-passing modes measure (`--mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    Throughput,
    Latency,
    Both,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Throughput => "throughput",
            Mode::Latency => "latency",
            Mode::Both => "both",
        }
    }
}

/// One `--rate`: messages/s, with an optional k / M / G suffix; positive and finite.
pub fn parse_rate(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let (digits, scale) = match t.char_indices().last() {
        Some((i, 'k' | 'K')) => (&t[..i], 1e3),
        Some((i, 'M')) => (&t[..i], 1e6),
        Some((i, 'G')) => (&t[..i], 1e9),
        _ => (t, 1.0),
    };
    match digits.parse::<f64>() {
        Ok(r) if r.is_finite() && r * scale >= 1.0 && r * scale <= 1e12 => Ok(r * scale),
        _ => Err(format!(
            "{s:?} is not a rate in messages/s between 1 and 1e12 (examples: 50000, 250k, 2.5M)"
        )),
    }
}

/// The gate's verdict settings, shared by `compare` and `ab`.
#[derive(Debug, Clone, Args)]
pub struct GateArgs {
    /// A case regresses only when its whole confidence interval lies beyond this slowdown.
    #[arg(long, default_value = contend_reports::compare::DEFAULT_THRESHOLD_TEXT, value_name = "PERCENT")]
    pub threshold: String,
    /// Two-sided confidence of each case's interval (for `ab`: overall, across the stopping
    /// rule's looks).
    #[arg(long, default_value_t = contend_reports::compare::DEFAULT_CONFIDENCE, value_name = "P")]
    pub confidence: f64,
    /// Per-case thresholds, one rule per line: `PATTERN = PERCENT` (see README).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Also write the comparison as Markdown (e.g. $GITHUB_STEP_SUMMARY).
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    /// Which verdicts fail the gate (exit 1): `regressed` (a broken head or a regression) or
    /// `inconclusive` (also any case the run could not decide).
    #[arg(long, value_enum, default_value_t = FailOnArg::Regressed, value_name = "VERDICT")]
    pub fail_on: FailOnArg,
}

/// `--fail-on`: see [`contend_reports::compare::FailOn`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOnArg {
    Regressed,
    Inconclusive,
}

impl From<FailOnArg> for contend_reports::compare::FailOn {
    fn from(a: FailOnArg) -> Self {
        match a {
            FailOnArg::Regressed => contend_reports::compare::FailOn::Regressed,
            FailOnArg::Inconclusive => contend_reports::compare::FailOn::Inconclusive,
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct AbArgs {
    /// The base build's contend binary.
    #[arg(long, value_name = "PATH")]
    pub base: PathBuf,
    /// The head build's contend binary [default: the running binary].
    #[arg(long, value_name = "PATH")]
    pub head: Option<PathBuf>,
    /// The case selection and knobs, as for `run`; `--samples` is the samples per fork
    /// [default: 1]; --forks and --label do not apply (the A/B chooses its forks and labels).
    #[command(flatten)]
    pub run: RunArgs,
    #[command(flatten)]
    pub gate: GateArgs,
    /// Stop sampling after this long; undecided cases are then analysed as they stand
    /// [default: 3m with --quick, else 10m].
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    pub budget: Option<Duration>,
    /// The stopping rule's last look: a case still undecided at this many pairs stops,
    /// inconclusive. Looks double from 10 up to it, so 160 adds a fifth; a larger --budget buys
    /// pairs only for cases below it.
    #[arg(long, default_value_t = 80, value_name = "N", value_parser = parse_max_pairs)]
    pub max_pairs: usize,
    /// Calibration only: run the head with more --think-work, to inject a known slowdown:
    /// `N` for every case, or `VARIANT@THREADS=N,...` per case (cases not named keep --think-work).
    #[arg(long, hide = true, value_name = "SPEC")]
    pub head_think_work: Option<String>,
    /// Calibration only: run the head with more --cs-work (work inside the critical section, or
    /// the actor's per-message work), in the same form as --head-think-work.
    #[arg(long, hide = true, value_name = "SPEC")]
    pub head_cs_work: Option<String>,
    /// Calibration only: multiply the head's measured throughput by this factor as it is read
    /// (e.g. 0.9: exactly 10% slower, with the real noise of both builds).
    #[arg(long, hide = true, value_name = "FACTOR", value_parser = parse_scale)]
    pub head_scale_throughput: Option<f64>,
}

/// `--tsan-options`: space-separated `name=value` flags, none of those contend's verdicts rely on.
fn parse_tsan_flags(s: &str) -> Result<String, String> {
    const OWN: &[&str] = &[
        "exitcode",
        "halt_on_error",
        "suppressions",
        "print_suppressions",
    ];
    for flag in s.split_whitespace() {
        let name = flag.split_once('=').map(|(n, _)| n).unwrap_or_default();
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            return Err(format!("{flag:?} is not a name=value flag"));
        }
        if OWN.contains(&name) {
            return Err(format!(
                "{name} is set by contend (its verdicts rely on it)"
            ));
        }
    }
    Ok(s.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// `--head-scale-throughput`: a factor in (0, 10].
/// `--max-pairs`: at least 20 (the change route's first look, 15 pairs for a 34-case suite, needs
/// room for a second), at most 1280 (10 doubled 7 times; a case's pairs at ~0.15 s each on 2 CPUs
/// then take over 3 min).
fn parse_max_pairs(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if (20..=1280).contains(&n) => Ok(n),
        _ => Err(format!("{s:?} is not a pair count in 20..=1280")),
    }
}

fn parse_scale(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(f) if f > 0.0 && f <= 10.0 => Ok(f),
        _ => Err(format!("{s:?} is not a factor in (0, 10]")),
    }
}

#[derive(Debug, Clone, Args)]
pub struct TsanArgs {
    /// Families or variants to examine [default: every family, racy variants included].
    #[arg(long, short = 'w', value_delimiter = ',', value_name = "LIST")]
    pub workloads: Vec<String>,
    /// Worker threads per run.
    #[arg(long, short = 't', default_value_t = 2)]
    pub threads: usize,
    /// Runs per target, each in its own process (detection is probabilistic: report the rate).
    #[arg(long, default_value_t = 3)]
    pub runs: u32,
    /// More runs for a target with no verifiable report after --runs (expected clean, or a race not
    /// caught yet), alternating one CPU and all CPUs so the threads interleave differently.
    #[arg(long, default_value_t = 2, value_name = "N")]
    pub extra_runs: u32,
    /// More ThreadSanitizer runtime flags, appended to contend's own (a later flag wins), e.g.
    /// "history_size=2" to measure what the longer default history buys. Recorded in the results.
    #[arg(long, value_name = "FLAGS", value_parser = parse_tsan_flags)]
    pub tsan_options: Option<String>,
    /// Also write the races found as SARIF 2.1.0 (one result per distinct race, both accesses'
    /// stacks as code flows), e.g. for GitHub code scanning.
    #[arg(long, value_name = "FILE")]
    pub sarif: Option<PathBuf>,
    /// Force a lane instead of the best one available.
    #[arg(long, value_enum)]
    pub lane: Option<Lane>,
    /// Examine a user's crate instead: build its tests with TSan and run each test alone.
    /// Tests named `race_*` are expected to race, `norace_*` (and all others) to be clean.
    #[arg(long, value_name = "PATH/Cargo.toml")]
    pub manifest_path: Option<PathBuf>,
    /// Where results.json lives: its `race_detection` section is (re)written there, keeping any
    /// measured cases, and report.html re-rendered [default: a new run folder
    /// contend-results/runs/<UTC time>-tsan/, with contend-results/latest pointing at it].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Build directory for instrumented builds [default: target/tsan/LANE in contend's checkout;
    /// with --manifest-path: target/contend-tsan/LANE beside the crate]. Sharing one directory
    /// between both modes reuses the instrumented std.
    #[arg(long, value_name = "DIR")]
    pub target_dir: Option<PathBuf>,
    /// Kill a run that takes longer than this (TSan slows code 5-15x).
    #[arg(long, value_parser = parse_duration, default_value = "180s", value_name = "DURATION")]
    pub timeout: Duration,
}
