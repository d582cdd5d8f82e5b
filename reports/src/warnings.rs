//! What a reader must know before trusting a run's numbers: failures, oversubscription, missing pinning, noise.

use crate::format;
use crate::schema::{CaseStatus, Results, Validation};

/// Throughput coefficient of variation above which a case is called noisy (0.10 = 10%).
pub const NOISY_CV: f64 = 0.10;

/// How serious a warning is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Results are wrong or missing.
    Error,
    /// Results are real but should be read with care.
    Caution,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Caution => "caution",
        }
    }
}

/// One warning about a run, naming the cases concerned (by [`crate::schema::Case::key`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Warning {
    pub severity: Severity,
    pub message: String,
    pub cases: Vec<String>,
}

/// Every warning about `run`, errors first, in a fixed order.
pub fn warnings(run: &Results) -> Vec<Warning> {
    let mut out = Vec::new();
    let mut push = |severity, message: String, cases: Vec<String>| {
        if !cases.is_empty() {
            out.push(Warning {
                severity,
                message,
                cases,
            });
        }
    };
    let keys = |pred: &dyn Fn(&crate::schema::Case) -> bool| -> Vec<String> {
        run.cases
            .iter()
            .filter(|c| pred(c))
            .map(|c| c.key())
            .collect()
    };

    push(
        Severity::Error,
        "validation failed: these results are wrong, their timings are not shown as results".into(),
        keys(&|c| matches!(c.validation, Validation::Failed { .. })),
    );
    for c in &run.cases {
        match &c.status {
            CaseStatus::Deadlocked { stall_ms, blocked } => {
                let what = if blocked.is_empty() {
                    String::new()
                } else {
                    format!("; blocked: {}", blocked.join("; "))
                };
                push(
                    Severity::Error,
                    format!("deadlocked: no progress for {stall_ms} ms{what}"),
                    vec![c.key()],
                );
            }
            CaseStatus::Error { message } => {
                push(Severity::Error, format!("error: {message}"), vec![c.key()])
            }
            CaseStatus::Ok | CaseStatus::Failed => {}
        }
    }
    push(
        Severity::Caution,
        "race not observed: a deliberately racy variant produced correct results with several threads".into(),
        keys(&|c| c.threads > 1 && matches!(c.validation, Validation::RaceNotObserved { .. })),
    );
    push(
        Severity::Caution,
        "oversubscribed: more threads than CPUs available, so these results include time-sharing"
            .into(),
        keys(&|c| c.oversubscribed),
    );
    push(
        Severity::Caution,
        "unpinned: the OS placed these threads, so results depend on the scheduler".into(),
        keys(&|c| c.placement == "none" || c.cpus_requested.iter().all(Option::is_none)),
    );
    push(
        Severity::Caution,
        "pinning not honoured: a thread was seen on a CPU other than the one requested".into(),
        keys(&|c| {
            c.cpus_requested
                .iter()
                .zip(&c.cpus_observed)
                .any(|(req, seen)| req.is_some_and(|r| seen.iter().any(|&s| s != r)))
        }),
    );
    let noisy: Vec<String> = run
        .cases
        .iter()
        .filter(|c| c.throughput.cv > NOISY_CV)
        .map(|c| format!("{} (cv {})", c.key(), format::pct(c.throughput.cv)))
        .collect();
    push(
        Severity::Caution,
        format!(
            "noisy: throughput varies by more than {} between samples",
            format::pct(NOISY_CV)
        ),
        noisy,
    );
    let bimodal: Vec<String> = run
        .cases
        .iter()
        .filter(|c| c.status.is_ok())
        .filter_map(|c| {
            crate::modes::case_modes(c).map(|m| format!("{} ({})", c.key(), m.describe(&c.unit)))
        })
        .collect();
    push(
        Severity::Caution,
        "two modes: these cases' forks or samples form two separate groups, so one median hides \
         which one a run lands in (see Evidence)"
            .into(),
        bimodal,
    );
    push(
        Severity::Caution,
        "fewer than 3 samples: spread and medians are not meaningful".into(),
        keys(&|c| c.samples.len() < 3 && c.status.is_ok()),
    );
    if run.config.quick {
        out.push(Warning {
            severity: Severity::Caution,
            message: "quick run: shortened samples, for smoke tests rather than conclusions".into(),
            cases: Vec::new(),
        });
    }
    out.sort_by_key(|w| w.severity);
    out
}
