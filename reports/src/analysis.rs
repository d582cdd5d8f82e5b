//! Derived views of a run shared by every renderer: families, per-variant series, display units, summaries, USL.

use crate::schema::{Case, Results, Validation};
use crate::usl::{UslError, UslFit, fit_usl};

pub const SHARED_MEMORY: &str = "shared-memory";
pub const MESSAGE_PASSING: &str = "message-passing";

/// How a case's throughput is shown: `value = throughput * factor`, in `unit` per second.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    pub factor: f64,
    /// Unit of one displayed throughput, e.g. `increments/s` or `FLOP/s`.
    pub unit: String,
}

/// Matmul-like cases (with `unit_factors["flop_per_unit"]`) are shown in FLOP/s, others in their own unit per second.
pub fn metric(case: &Case) -> Metric {
    match case.unit_factors.get("flop_per_unit") {
        Some(&f) if f > 0.0 => Metric {
            factor: f,
            unit: "FLOP/s".into(),
        },
        _ => Metric {
            factor: 1.0,
            unit: format!("{}/s", case.unit),
        },
    }
}

/// Whether a case's throughput may be shown as a result: it finished and was not proven wrong.
pub fn trustworthy(case: &Case) -> bool {
    case.status.is_ok()
        && !matches!(
            case.validation,
            Validation::Failed { .. } | Validation::NotRun
        )
}

/// Families in order of first appearance across `runs`.
pub fn families<'a>(runs: impl IntoIterator<Item = &'a Results>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for run in runs {
        for c in &run.cases {
            if !out.contains(&c.family) {
                out.push(c.family.clone());
            }
        }
    }
    out
}

/// One variant at one placement across thread counts: a line on a chart.
#[derive(Debug, Clone)]
pub struct Series<'a> {
    /// What the legend says: the variant, plus the placement when it is not the run's configured one.
    pub name: String,
    pub variant: String,
    pub style: String,
    pub placement: String,
    pub expected_race: bool,
    /// Trustworthy cases, ascending thread count.
    pub cases: Vec<&'a Case>,
}

/// Threads a case keeps busy: its workers and its helpers (an actor's owner, a submitter...).
pub fn threads_used(case: &Case) -> usize {
    case.threads + case.helper_threads
}

/// A speedup from a series' baseline case to one of its later cases.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Speedup {
    /// Worker threads of the baseline (1 unless the 1-thread case runs another algorithm).
    pub base_threads: usize,
    pub threads: usize,
    /// `X(threads) / X(base_threads)`.
    pub speedup: f64,
    /// `speedup / (threads used at threads / threads used at base)`, threads used = workers +
    /// helpers: the fraction of linear scaling in the CPUs actually kept busy.
    pub efficiency: f64,
}

impl Series<'_> {
    /// Throughput at `threads` in displayed units (median, min, max).
    pub fn at(&self, threads: usize) -> Option<&Case> {
        self.cases.iter().copied().find(|c| c.threads == threads)
    }

    /// The cases scaling is judged on: not oversubscribed (time-sharing is not scaling), and
    /// from the first case that may anchor a speedup ([`Case::scaling_baseline`]) on.
    pub fn scaling_cases(&self) -> Vec<&Case> {
        self.cases
            .iter()
            .copied()
            .filter(|c| !c.oversubscribed)
            .skip_while(|c| !c.scaling_baseline)
            .collect()
    }

    /// Speedup and efficiency from the series' baseline to its largest scaling case; `None`
    /// with fewer than two scaling cases.
    pub fn speedup(&self) -> Option<Speedup> {
        let cases = self.scaling_cases();
        self.speedup_to(cases.last()?)
    }

    /// Speedup and efficiency from the series' baseline to `case`; `None` unless `case` is one
    /// of the series' scaling cases beyond the baseline.
    pub fn speedup_to(&self, case: &Case) -> Option<Speedup> {
        let cases = self.scaling_cases();
        if !cases.iter().any(|c| std::ptr::eq(*c, case)) {
            return None;
        }
        let base = cases.first()?;
        let x = base.throughput.median;
        (x > 0.0 && case.threads > base.threads).then(|| {
            let speedup = case.throughput.median / x;
            Speedup {
                base_threads: base.threads,
                threads: case.threads,
                speedup,
                efficiency: speedup * threads_used(base) as f64 / threads_used(case) as f64,
            }
        })
    }

    /// USL fit on the medians of the scaling cases, against worker threads.
    pub fn usl(&self) -> Result<UslFit, UslError> {
        let points: Vec<(f64, f64)> = self
            .scaling_cases()
            .iter()
            .map(|c| (c.threads as f64, c.throughput.median))
            .collect();
        fit_usl(&points)
    }
}

/// The series of `family` in `run`, in order of first appearance; only trustworthy cases are included.
pub fn series<'a>(run: &'a Results, family: &str) -> Vec<Series<'a>> {
    let cases: Vec<&Case> = run.cases.iter().filter(|c| c.family == family).collect();
    let mut out: Vec<Series<'a>> = Vec::new();
    for c in cases {
        let pos = out
            .iter()
            .position(|s| s.variant == c.variant && s.placement == c.placement);
        let s = match pos {
            Some(i) => &mut out[i],
            None => {
                // Name the placement only where it differs from the run's configured one.
                let name = if c.placement == run.config.placement {
                    c.variant.clone()
                } else {
                    format!("{} ({})", c.variant, c.placement)
                };
                out.push(Series {
                    name,
                    variant: c.variant.clone(),
                    style: c.style.clone(),
                    placement: c.placement.clone(),
                    expected_race: c.expected_race,
                    cases: Vec::new(),
                });
                out.last_mut().expect("just pushed")
            }
        };
        if trustworthy(c) {
            s.cases.push(c);
        }
    }
    for s in &mut out {
        s.cases.sort_by_key(|c| c.threads);
        // Keep the first case of a repeated thread count (a re-run appends; the first is the one planned).
        s.cases.dedup_by_key(|c| c.threads);
    }
    out
}

/// The headline numbers of a family in one run.
#[derive(Debug, Clone)]
pub struct FamilySummary<'a> {
    pub family: String,
    /// The most threads in use (workers + helpers) of any candidate case: trustworthy, not
    /// deliberately racy, not oversubscribed. Every figure below compares cases at this count, so
    /// 2 workers are never compared with 2 workers plus a helper time-sharing 2 CPUs.
    pub threads_used: usize,
    /// Fastest candidate case using `threads_used` threads.
    pub best: Option<&'a Case>,
    pub best_shared: Option<&'a Case>,
    pub best_message: Option<&'a Case>,
    /// From the best case's series baseline to the best case.
    pub speedup: Option<Speedup>,
}

impl FamilySummary<'_> {
    /// Best shared-memory throughput over best message-passing throughput at `threads_used`.
    pub fn shared_over_message(&self) -> Option<f64> {
        Some(self.best_shared?.throughput.median / self.best_message?.throughput.median)
    }
}

/// Summarises `family` in `run`.
pub fn family_summary<'a>(run: &'a Results, family: &str) -> FamilySummary<'a> {
    let all = series(run, family);
    let candidates = |s: &Series<'a>| -> Vec<&'a Case> {
        s.cases
            .iter()
            .copied()
            .filter(|c| !s.expected_race && !c.oversubscribed)
            .collect()
    };
    let used = all
        .iter()
        .flat_map(&candidates)
        .map(threads_used)
        .max()
        .unwrap_or(0);
    let at_max: Vec<(usize, &'a Case)> = all
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            Some((
                i,
                candidates(s)
                    .into_iter()
                    .find(|&c| threads_used(c) == used)?,
            ))
        })
        .collect();
    let fastest = |style: Option<&str>| {
        at_max
            .iter()
            .filter(|(i, _)| style.is_none_or(|st| all[*i].style == st))
            .max_by(|a, b| a.1.throughput.median.total_cmp(&b.1.throughput.median))
            .copied()
    };
    let best = fastest(None);
    FamilySummary {
        family: family.to_string(),
        threads_used: used,
        best: best.map(|b| b.1),
        best_shared: fastest(Some(SHARED_MEMORY)).map(|b| b.1),
        best_message: fastest(Some(MESSAGE_PASSING)).map(|b| b.1),
        speedup: best.and_then(|(i, c)| all[i].speedup_to(c)),
    }
}

/// Short name of a validation outcome: `passed`, `failed`, `race_observed`, `race_not_observed`, `not_run`.
pub fn validation_name(v: &Validation) -> &'static str {
    match v {
        Validation::Passed { .. } => "passed",
        Validation::Failed { .. } => "failed",
        Validation::RaceObserved { .. } => "race_observed",
        Validation::RaceNotObserved { .. } => "race_not_observed",
        Validation::NotRun => "not_run",
    }
}

/// Short name of a case status: `ok`, `failed`, `deadlocked`, `error`.
pub fn status_name(s: &crate::schema::CaseStatus) -> &'static str {
    use crate::schema::CaseStatus;
    match s {
        CaseStatus::Ok => "ok",
        CaseStatus::Failed => "failed",
        CaseStatus::Deadlocked { .. } => "deadlocked",
        CaseStatus::Error { .. } => "error",
    }
}

/// Labels for `runs` that are unique: the run's label, suffixed `#2`, `#3` ... on repeats.
pub fn run_labels(runs: &[Results]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in runs {
        let base = if r.label.is_empty() {
            r.machine.hostname.clone()
        } else {
            r.label.clone()
        };
        let mut label = base.clone();
        let mut n = 2;
        while out.contains(&label) {
            label = format!("{base} #{n}");
            n += 1;
        }
        out.push(label);
    }
    out
}
