//! What a comparison produces: per-case rows, the whole comparison, and which rows fail the gate.

use super::config::Thresholds;
use super::estimate::{Estimate, Method, Verdict};

/// Default two-sided confidence: 99% for each case's interval, and for the whole run's change
/// verdicts together (see [`super::estimate::family_confidence`]): a run where nothing changed
/// calls any case regressed or improved with probability at most 1%.
pub const DEFAULT_CONFIDENCE: f64 = 0.99;

/// How to compare: confidence of the intervals and the per-case thresholds.
#[derive(Debug, Clone, PartialEq)]
pub struct CompareOptions {
    /// Two-sided confidence, in (0, 1).
    pub confidence: f64,
    pub thresholds: Thresholds,
    /// Cases judged together, for the change verdicts' confidence (default 1; `compare` and
    /// `compare_paired` set it to the number of cases both sides have).
    pub family: usize,
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions {
            confidence: DEFAULT_CONFIDENCE,
            thresholds: Thresholds::default(),
            family: 1,
        }
    }
}

/// Which rows fail the gate (exit status 1).
///
/// The default, [`FailOn::Regressed`], fails only on evidence: a row that is `broken` (the head
/// failed validation, deadlocked, crashed, timed out or did no work where the base did: on any
/// machine) or `regressed` (surely slower than a tenth of the threshold, by an estimated half the
/// threshold or more, on comparable machines).
/// Reasoning: `inconclusive` means "this run could not tell", which on the noisy 2-vCPU runners
/// is the honest answer for the noisiest cases at any affordable budget, and for every case
/// measured in a single process; failing on it would fail pull requests at random and on
/// measurement setup rather than on code, and a gate that fails at random gets ignored. The
/// rows stay in the table with their interval and MDC, so a reader sees what was not resolved.
///
/// [`FailOn::Inconclusive`] is the strict policy for when "not shown to be fine" must block
/// (release checks with a generous budget): it also fails on `inconclusive` and
/// `not comparable` rows, and on any compared row of runs from different machines, since
/// nothing measured there can vouch for the head. `added` and `removed` rows never fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FailOn {
    /// Fail on `broken` or `regressed` rows (the default).
    #[default]
    Regressed,
    /// Also fail on `inconclusive` and `not comparable` rows, and on different machines.
    Inconclusive,
}

/// One row of a comparison: a case key and what became of it.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseComparison {
    /// `family/variant@threads/placement`.
    pub key: String,
    pub verdict: Verdict,
    /// Fraction (0.05 = 5%) this case was judged against.
    pub threshold: f64,
    /// Present whenever both sides had analysable values (also, without an interval, for a
    /// single fork on a side: an observation).
    pub estimate: Option<Estimate>,
    /// Median throughput of each side's fork values (fork medians), units/s.
    pub base_median: Option<f64>,
    pub head_median: Option<f64>,
    /// What one unit of throughput is (head's, else base's).
    pub unit: String,
    /// Informational: `head p99 / base p99 - 1` of latency (positive = slower tail).
    pub p99_change: Option<f64>,
    /// The two runs ran on different hardware: the row is an observation (see [`FailOn`]).
    pub machines_differ: bool,
    /// Why the verdict is what it is, when that is not obvious (reasons, not-comparable causes).
    pub notes: Vec<String>,
}

impl CaseComparison {
    /// Whether this row fails the default gate ([`FailOn::Regressed`]).
    pub fn fails_gate(&self) -> bool {
        self.fails(FailOn::default())
    }

    /// Whether this row fails the gate under `policy` (see [`FailOn`]).
    pub fn fails(&self, policy: FailOn) -> bool {
        match (self.verdict, policy) {
            (Verdict::Broken, _) => true,
            (Verdict::Added | Verdict::Removed, _) => false,
            (Verdict::Regressed, FailOn::Regressed) => !self.machines_differ,
            (_, FailOn::Regressed) => false,
            (Verdict::Inconclusive | Verdict::NotComparable | Verdict::Regressed, _) => true,
            (Verdict::Improved | Verdict::Unchanged, FailOn::Inconclusive) => self.machines_differ,
        }
    }
}

/// Everything `contend compare` reports.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub method: Method,
    /// Two-sided confidence of the case intervals.
    pub confidence: f64,
    /// Two-sided confidence of each case's change interval, which `regressed` and `improved`
    /// need ([`super::estimate::family_confidence`] over the cases compared).
    pub change_confidence: f64,
    /// Base and head ran on different hardware (see `machine_differences`).
    pub machines_differ: bool,
    /// Run-level remarks: what differs between machines or configurations.
    pub notes: Vec<String>,
    /// Base's cases in order, then cases only in head.
    pub rows: Vec<CaseComparison>,
}

impl Comparison {
    /// Whether any row fails the default gate: broken, or regressed on comparable machines.
    pub fn has_regression(&self) -> bool {
        self.rows.iter().any(CaseComparison::fails_gate)
    }

    /// The CLI's exit status under the default policy ([`FailOn::Regressed`]): 1 when a row is
    /// broken or regressed on comparable machines, else 0 (bad input is 2, at the CLI).
    pub fn exit_code(&self) -> i32 {
        self.exit_code_with(FailOn::default())
    }

    /// The CLI's exit status under `policy`: 1 when any row fails it, else 0.
    pub fn exit_code_with(&self, policy: FailOn) -> i32 {
        i32::from(self.rows.iter().any(|r| r.fails(policy)))
    }

    /// How many rows have `verdict`.
    pub fn count(&self, verdict: Verdict) -> usize {
        self.rows.iter().filter(|r| r.verdict == verdict).count()
    }

    /// Rows in display order: by verdict (broken, then regressed, first; see [`Verdict::ALL`]),
    /// then as matched.
    pub fn sorted_rows(&self) -> Vec<&CaseComparison> {
        let mut rows: Vec<&CaseComparison> = self.rows.iter().collect();
        rows.sort_by_key(|r| r.verdict); // stable: keeps run order within a verdict
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(verdict: Verdict, machines_differ: bool) -> CaseComparison {
        CaseComparison {
            key: "k".into(),
            verdict,
            threshold: 0.05,
            estimate: None,
            base_median: None,
            head_median: None,
            unit: String::new(),
            p99_change: None,
            machines_differ,
            notes: Vec::new(),
        }
    }

    #[test]
    fn the_default_policy_fails_on_evidence_and_the_strict_one_on_doubt() {
        use Verdict::*;
        let strict = FailOn::Inconclusive;
        let cases = [
            // (verdict, machines differ, fails by default, fails strictly)
            (Broken, false, true, true),
            (Broken, true, true, true),
            (Regressed, false, true, true),
            (Regressed, true, false, true),
            (Improved, false, false, false),
            (Improved, true, false, true),
            (Unchanged, false, false, false),
            (Unchanged, true, false, true),
            (Inconclusive, false, false, true),
            (NotComparable, false, false, true),
            (Added, true, false, false),
            (Removed, false, false, false),
        ];
        for (verdict, differ, default, strictly) in cases {
            let r = row(verdict, differ);
            assert_eq!(r.fails_gate(), default, "{verdict} differ {differ}");
            assert_eq!(r.fails(strict), strictly, "{verdict} differ {differ}");
        }
        let c = Comparison {
            method: Method::Independent,
            confidence: 0.99,
            change_confidence: 0.99,
            machines_differ: false,
            notes: Vec::new(),
            rows: vec![row(Unchanged, false), row(Inconclusive, false)],
        };
        assert_eq!((c.exit_code(), c.exit_code_with(strict)), (0, 1));
        assert_eq!(c.exit_code_with(FailOn::Regressed), c.exit_code());
    }
}
