//! The results file's `race_detection` section: what `contend tsan` found, per target and per run,
//! and how a verdict reads.

use serde::{Deserialize, Serialize};

/// What `contend tsan` found: the lane it used and one verdict per variant (or per test).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RaceDetection {
    /// `gnutsan`, `nightly-src`, `debian` or `crate-only`.
    pub lane: String,
    /// `rustc -V` of the compiler that built the instrumented binaries.
    pub toolchain: String,
    /// Whether std itself was instrumented (lanes 1-3).
    pub std_instrumented: bool,
    /// What this lane cannot see.
    pub blind_spots: String,
    /// `TSAN_OPTIONS` used for every process.
    pub tsan_options: String,
    /// Suppression rules applied (crate-only lane), verbatim.
    #[serde(default)]
    pub suppressions: Vec<String>,
    /// What was examined: `contend workloads` or a user's manifest path.
    pub subject: String,
    /// Worker threads per variant run (0 for test mode).
    pub threads: usize,
    /// How often each variant or test ran, each in its own process.
    pub runs_per_target: u32,
    /// Wall time of the whole detection, build included.
    pub elapsed_ms: u64,
    pub targets: Vec<RaceVerdict>,
    /// When some verdicts are `unverifiable`: what that means in this lane and how to settle them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settle_hint: Option<String>,
}

/// One variant's (or test's) race-detection outcome over its runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RaceVerdict {
    /// `family/variant`, or the test's path for `--manifest-path`.
    pub name: String,
    pub expected_race: bool,
    pub runs: u32,
    /// Runs in which ThreadSanitizer reported at least one counted report.
    pub runs_reporting: u32,
    /// Runs in which a suppression rule (see `RaceDetection::suppressions`) hid a report.
    #[serde(default)]
    pub runs_suppressed: u32,
    /// Distinct reports (by kind and stack tops) over all runs.
    pub distinct_reports: u32,
    /// Report kinds seen, e.g. `data race`, `lock-order-inversion (potential deadlock)`.
    pub kinds: Vec<String>,
    /// `caught`, `clean`, `false_positive`, `missed`, `unverifiable` (every report may be a
    /// happens-before edge the lane cannot see: see `reason`) or `error`.
    pub verdict: String,
    /// Whether the verdict is what the variant's expectation calls for.
    pub matches_expectation: bool,
    /// The first report's two stack tops, as `file:line` in the project's code.
    pub stack_tops: Vec<String>,
    /// Why a run could not be judged (crash, timeout, build failure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The first run's report text (truncated), for reading without re-running.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub raw_report: String,
    /// The report kind expected instead of a data race, e.g. `lock-order inversion`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_kind: Option<String>,
    /// Runs whose reports were all unverifiable in this lane.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub runs_unverifiable: u32,
    /// Why the verdict is `unverifiable`: the evidence that the missing happens-before edge may be
    /// synchronization this lane cannot see (how to settle it: `RaceDetection::settle_hint`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What each run used (schedule, seed) and what it found, in run order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub run_log: Vec<RaceRun>,
}

impl RaceVerdict {
    /// Whether the lane could not tell: every report may be synchronization it cannot see. Neither a
    /// match nor a mismatch; a better lane settles it (see `reason`).
    pub fn is_unverifiable(&self) -> bool {
        self.verdict == "unverifiable"
    }

    /// What the target was expected to produce, as the matrix and the reports say it.
    pub fn expected_label(&self) -> &str {
        match (&self.expected_kind, self.expected_race) {
            (Some(kind), _) => kind,
            (None, true) => "races",
            (None, false) => "race-free",
        }
    }

    /// What to read next to the verdict: the error, why the lane cannot tell, or the first
    /// report's stack tops.
    pub fn detail(&self) -> String {
        match (&self.error, &self.reason) {
            (Some(error), _) => error.clone(),
            (None, Some(reason)) if self.is_unverifiable() => reason.clone(),
            _ => self.stack_tops.join(" / "),
        }
    }
}

impl RaceDetection {
    /// One sentence on how the verdicts came out, e.g. "40 of 47 verdicts match expectation;
    /// 7 unverifiable in this lane (neither race nor clean)".
    pub fn tally(&self) -> String {
        let matched = self
            .targets
            .iter()
            .filter(|t| t.matches_expectation)
            .count();
        let unverifiable = self.targets.iter().filter(|t| t.is_unverifiable()).count();
        let mut s = format!(
            "{matched} of {} verdicts match expectation",
            self.targets.len()
        );
        if unverifiable > 0 {
            s.push_str(&format!(
                "; {unverifiable} unverifiable in this lane (neither race nor clean)"
            ));
        }
        s
    }
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// One process run of a race-detection target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RaceRun {
    /// What the run varied, e.g. `cpus=all seed=2`, or `cpu=0 seed=4 extra` for an extra run
    /// confined to one CPU.
    pub schedule: String,
    /// Reports that counted, and how many of them were unverifiable in this lane.
    pub reports: u32,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub unverifiable: u32,
    /// Reports a suppression rule hid.
    #[serde(default)]
    pub suppressed: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}
