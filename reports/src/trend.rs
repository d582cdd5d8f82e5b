//! Trends over recorded runs: per machine and case, each run's median throughput with its spread
//! and its p99, the change points found in both (see [`crate::changepoint`]), and a Markdown
//! summary of them.

use serde::Serialize;

use crate::changepoint::{self, ChangePoint};
use crate::format::{self, md_code, md_escape};

/// One recorded run of a case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrendPoint {
    pub run_id: i64,
    pub started_at: String,
    pub commit: Option<String>,
    pub dirty: bool,
    pub label: String,
    /// Median throughput, units/s.
    pub median: f64,
    /// The spread drawn around it: the range of the fork medians (two or more forks), else of
    /// the samples.
    pub low: f64,
    pub high: f64,
    /// p99 latency, ns, when the case records latency.
    pub p99_ns: Option<f64>,
}

/// One case on one machine, oldest run first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrendSeries {
    /// `family/variant@threads/placement`.
    pub key: String,
    pub unit: String,
    pub machine_hash: String,
    /// A readable description of the machine.
    pub machine: String,
    pub points: Vec<TrendPoint>,
}

/// What a change point was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    Throughput,
    P99,
}

impl Metric {
    pub fn name(self) -> &'static str {
        match self {
            Metric::Throughput => "throughput",
            Metric::P99 => "p99 latency",
        }
    }

    /// Whether a change of this sign makes the case worse.
    pub fn worse(self, change: f64) -> bool {
        match self {
            Metric::Throughput => change < 0.0,
            Metric::P99 => change > 0.0,
        }
    }
}

/// A change point placed on its series: the run where the new regime starts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MarkedChange {
    pub metric: Metric,
    /// Index into the series' points of the first run of the new regime.
    pub index: usize,
    pub run_id: i64,
    pub commit: Option<String>,
    pub started_at: String,
    pub before: f64,
    pub after: f64,
    /// `after / before - 1`.
    pub change: f64,
    /// The permutation test's p-value; confidence is `1 - p_value`.
    pub p_value: f64,
}

/// A series and the change points found in it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trend {
    pub series: TrendSeries,
    pub changes: Vec<MarkedChange>,
}

fn mark(series: &TrendSeries, metric: Metric, index: usize, cp: &ChangePoint) -> MarkedChange {
    let p = &series.points[index];
    MarkedChange {
        metric,
        index,
        run_id: p.run_id,
        commit: p.commit.clone(),
        started_at: p.started_at.clone(),
        before: cp.before,
        after: cp.after,
        change: cp.change,
        p_value: cp.p_value,
    }
}

/// Finds the change points of every series, in throughput and (where every run has one) p99.
pub fn analyse(series: Vec<TrendSeries>, opts: &changepoint::Options) -> Vec<Trend> {
    // One detector for every series: its permutation draws are shared (same results, less work).
    let mut detector = changepoint::Detector::new(opts);
    series
        .into_iter()
        .map(|s| {
            let medians: Vec<f64> = s.points.iter().map(|p| p.median).collect();
            let mut changes: Vec<MarkedChange> = detector
                .detect(&medians)
                .iter()
                .map(|cp| mark(&s, Metric::Throughput, cp.index, cp))
                .collect();
            let p99: Option<Vec<f64>> = s.points.iter().map(|p| p.p99_ns).collect();
            if let Some(p99) = p99 {
                changes.extend(
                    detector
                        .detect(&p99)
                        .iter()
                        .map(|cp| mark(&s, Metric::P99, cp.index, cp)),
                );
            }
            Trend { series: s, changes }
        })
        .collect()
}

/// A change's size and confidence, e.g. `-12.3% (p = 0.005)`.
pub fn describe_change(c: &MarkedChange) -> String {
    format!("{:+.1}% (p = {:.3})", c.change * 100.0, c.p_value)
}

/// The short commit of a change, or its start time when the run has no commit.
pub fn change_at(c: &MarkedChange) -> String {
    c.commit.clone().unwrap_or_else(|| c.started_at.clone())
}

/// Markdown: one row per series (latest value, runs, change points), user text escaped.
pub fn render_trends_markdown(trends: &[Trend]) -> String {
    let mut out = String::from("## contend history: trends\n\n");
    if trends.is_empty() {
        out += "No recorded runs match.\n";
        return out;
    }
    let changed = trends.iter().filter(|t| !t.changes.is_empty()).count();
    out += &format!(
        "{} series; {changed} with change points (E-Divisive means, permutation test).\n\n",
        trends.len()
    );
    out += "| case | machine | runs | latest | change points |\n|---|---|---:|---:|---|\n";
    for t in trends {
        let s = &t.series;
        let latest = s.points.last().map_or(String::from("-"), |p| {
            format!("{} {}/s", format::si(p.median), md_escape(&s.unit))
        });
        let changes = if t.changes.is_empty() {
            "none".to_string()
        } else {
            t.changes
                .iter()
                .map(|c| {
                    format!(
                        "{} at {}: {}",
                        c.metric.name(),
                        md_code(&change_at(c)),
                        md_escape(&describe_change(c))
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        };
        out += &format!(
            "| {} | {} | {} | {latest} | {changes} |\n",
            md_code(&s.key),
            md_code(&s.machine_hash),
            s.points.len(),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn series(values: &[f64], label: &str) -> TrendSeries {
        TrendSeries {
            key: "counter/atomic@2/cores-first".into(),
            unit: "increments".into(),
            machine_hash: "0123456789abcdef".into(),
            machine: "a machine".into(),
            points: values
                .iter()
                .enumerate()
                .map(|(i, &v)| TrendPoint {
                    run_id: i as i64 + 1,
                    started_at: format!("2026-11-{:02}T00:00:00Z", i % 28 + 1),
                    commit: Some(format!("c{i:03}")),
                    dirty: false,
                    label: label.into(),
                    median: v,
                    low: v * 0.97,
                    high: v * 1.03,
                    p99_ns: Some(1000.0),
                })
                .collect(),
        }
    }

    #[test]
    fn a_step_is_marked_at_its_commit_and_a_flat_series_is_not() {
        let mut values: Vec<f64> = (0..40).map(|i| 100.0 + (i % 3) as f64).collect();
        values.extend((0..40).map(|i| 80.0 + (i % 3) as f64));
        let trends = analyse(
            vec![series(&values, "x"), series(&[100.0; 60], "y")],
            &changepoint::Options::default(),
        );
        let step: Vec<_> = trends[0]
            .changes
            .iter()
            .filter(|c| c.metric == Metric::Throughput)
            .collect();
        assert_eq!(step.len(), 1, "{:?}", trends[0].changes);
        assert_eq!(step[0].index, 40);
        assert_eq!(step[0].commit.as_deref(), Some("c040"));
        assert!((step[0].change + 0.2).abs() < 0.02, "{}", step[0].change);
        assert!(Metric::Throughput.worse(step[0].change));
        assert!(trends[1].changes.is_empty());
    }

    #[test]
    fn markdown_escapes_labels_and_keys() {
        let mut s = series(&[1.0; 12], "<script>alert(1)</script>");
        s.key = "x|y<script>".into();
        s.unit = "[u](javascript:x)".into();
        let md = render_trends_markdown(&analyse(vec![s], &changepoint::Options::default()));
        crate::format::assert_inert_markdown(&md);
        assert!(!md.contains("<script>"), "{md}");
    }
}
