//! The trends page (`contend history --html`): per case and machine, throughput over the recorded
//! runs (median line; bars: the range of its forks' medians, or of its samples with one fork) and
//! p99, with change points marked and listed.

use std::fmt::Write as _;

use crate::charts::{self, Axis, Dash, Line, LineChart, Marker, Point, Scale};
use crate::format::{self, html as esc};
use crate::html::{PAGE_END, page_start};
use crate::html_parts::{rate, section, table};
use crate::trend::{MarkedChange, Metric, Trend, change_at, describe_change};

/// Most points drawn per chart: longer series are drawn in buckets (median of medians, the
/// bucket's full spread); change points are found on every run.
const MAX_DRAWN: usize = 400;

/// Groups `points` (x, y, lo, hi) into at most [`MAX_DRAWN`] buckets of consecutive runs.
fn bucketed(points: Vec<Point>) -> Vec<Point> {
    if points.len() <= MAX_DRAWN {
        return points;
    }
    let per = points.len().div_ceil(MAX_DRAWN);
    points
        .chunks(per)
        .map(|c| {
            let ys: Vec<f64> = c.iter().map(|p| p.y).collect();
            let lo = c.iter().filter_map(|p| p.lo).fold(f64::INFINITY, f64::min);
            let hi = c
                .iter()
                .filter_map(|p| p.hi)
                .fold(f64::NEG_INFINITY, f64::max);
            Point {
                x: c.iter().map(|p| p.x).sum::<f64>() / c.len() as f64,
                y: crate::stats::median(&ys),
                lo: lo.is_finite().then_some(lo),
                hi: hi.is_finite().then_some(hi),
            }
        })
        .collect()
}

/// Vertical dashed lines at each change of `metric`, red when worse, green when better.
fn change_lines(changes: &[MarkedChange], metric: Metric, ymin: f64, ymax: f64) -> Vec<Line> {
    changes
        .iter()
        .filter(|c| c.metric == metric)
        .map(|c| {
            let x = c.index as f64 + 0.5; // between the last run before and the first after
            Line {
                label: format!("{}: {}", change_at(c), describe_change(c)),
                colour: if metric.worse(c.change) {
                    charts::WARM[0]
                } else {
                    charts::COOL[1]
                },
                dash: Dash::Dashed,
                marker: Marker::None,
                points: vec![Point::new(x, ymin), Point::new(x, ymax)],
            }
        })
        .collect()
}

fn run_axis(n: usize) -> Axis {
    let max = n as f64 + 0.5;
    Axis {
        label: "recorded run, oldest first".into(),
        scale: Scale::Linear,
        min: 0.5,
        max,
        ticks: charts::linear_ticks(1.0, n as f64)
            .into_iter()
            .filter(|t| t.fract() == 0.0)
            .collect(),
        format: format::tick,
    }
}

fn throughput_chart(t: &Trend) -> String {
    let s = &t.series;
    let points: Vec<Point> = s
        .points
        .iter()
        .enumerate()
        .map(|(i, p)| Point {
            x: i as f64 + 1.0,
            y: p.median,
            lo: Some(p.low),
            hi: Some(p.high),
        })
        .collect();
    let points = bucketed(points);
    let lo = points
        .iter()
        .map(|p| p.lo.unwrap_or(p.y))
        .fold(f64::INFINITY, f64::min);
    let hi = points
        .iter()
        .map(|p| p.hi.unwrap_or(p.y))
        .fold(0.0, f64::max);
    let (ymin, ymax) = ((lo * 0.9).max(0.0), hi * 1.1);
    let mut lines = vec![Line {
        label: "median; bars: its spread".into(),
        colour: charts::COOL[0],
        dash: Dash::Solid,
        marker: if points.len() <= 60 {
            Marker::Circle
        } else {
            Marker::None
        },
        points,
    }];
    lines.extend(change_lines(&t.changes, Metric::Throughput, ymin, ymax));
    charts::render(&LineChart {
        title: format!("{}: throughput", s.key),
        x: run_axis(s.points.len()),
        y: Axis {
            label: format!("{}/s", s.unit),
            scale: Scale::Linear,
            min: ymin,
            max: ymax,
            ticks: charts::linear_ticks(ymin, ymax),
            format: format::si,
        },
        lines,
    })
}

fn p99_chart(t: &Trend) -> Option<String> {
    let s = &t.series;
    let points: Option<Vec<Point>> = s
        .points
        .iter()
        .enumerate()
        .map(|(i, p)| p.p99_ns.map(|v| Point::new(i as f64 + 1.0, v.max(1.0))))
        .collect();
    let points = bucketed(points?);
    // Linear from 0: a p99 trend usually stays within a decade, where a log axis has no ticks.
    let hi = points.iter().map(|p| p.y).fold(0.0, f64::max);
    let (ymin, ymax) = (0.0, hi * 1.2);
    let mut lines = vec![Line {
        label: "p99 latency".into(),
        colour: charts::WARM[1],
        dash: Dash::Solid,
        marker: Marker::None,
        points,
    }];
    lines.extend(change_lines(&t.changes, Metric::P99, ymin, ymax));
    Some(charts::render(&LineChart {
        title: format!("{}: p99 latency", s.key),
        x: run_axis(s.points.len()),
        y: Axis {
            label: "p99 latency".into(),
            scale: Scale::Linear,
            min: ymin,
            max: ymax,
            ticks: charts::linear_ticks(ymin, ymax),
            format: format::ns_tick,
        },
        lines,
    }))
}

fn anchor(i: usize) -> String {
    format!("trend-{i}")
}

/// The whole page.
pub fn render_trends_html(trends: &[Trend], title: &str) -> String {
    let mut out = page_start(title);
    let changes: usize = trends.iter().map(|t| t.changes.len()).sum();
    let _ = writeln!(
        out,
        "<p>{} series (case and machine) over recorded runs; {changes} change point(s). A change \
         point is where the runs after differ in distribution from the runs before: found by \
         E-Divisive means with a permutation test (p &le; 0.01) on every run, so single slow \
         runs, stalls and a process that lands in a slow mode at random are not changes. \
         Dashed lines mark them: red where the case got worse, green where it got better. The \
         line is each run's median throughput; its bar spans the medians of the run's processes \
         (with --forks), or its samples when it ran in one process.</p>",
        trends.len()
    );
    if trends.is_empty() {
        out.push_str("<p>No recorded runs match.</p>\n");
        out.push_str(PAGE_END);
        return out;
    }
    section(&mut out, "summary", "Change points");
    let mut rows: Vec<(String, Vec<String>)> = Vec::new();
    for (i, t) in trends.iter().enumerate() {
        for c in &t.changes {
            rows.push((
                c.started_at.clone(),
                vec![
                    format!("<a href=\"#{}\">{}</a>", anchor(i), esc(&t.series.key)),
                    esc(&t.series.machine),
                    c.metric.name().into(),
                    format!("<code>{}</code>", esc(&change_at(c))),
                    esc(&c.started_at),
                    format!("#{:+.1}%", c.change * 100.0),
                    format!("#{:.1}%", (1.0 - c.p_value) * 100.0),
                ],
            ));
        }
    }
    rows.sort_by(|a, b| b.0.cmp(&a.0));
    if rows.is_empty() {
        out.push_str("<p>No change points in any series.</p>\n");
    } else {
        let rows: Vec<Vec<String>> = rows.into_iter().map(|(_, r)| r).collect();
        table(
            &mut out,
            "trends",
            &[
                "case",
                "machine",
                "in",
                "first run after",
                "started",
                "change",
                "confidence",
            ],
            &rows,
        );
    }
    out.push_str("</section>\n");
    section(&mut out, "series", "Series");
    for (i, t) in trends.iter().enumerate() {
        let s = &t.series;
        let latest = s
            .points
            .last()
            .map_or(String::new(), |p| format!("{}/s", rate(p.median, &s.unit)));
        let _ = writeln!(
            out,
            "<h3 id=\"{}\">{}</h3>\n<p>{} &middot; machine <code>{}</code> &middot; {} run(s), \
             latest {}</p>",
            anchor(i),
            esc(&s.key),
            esc(&s.machine),
            esc(&s.machine_hash),
            s.points.len(),
            esc(&latest)
        );
        let _ = writeln!(out, "<figure>{}</figure>", throughput_chart(t));
        if let Some(svg) = p99_chart(t) {
            let _ = writeln!(out, "<figure>{svg}</figure>");
        }
    }
    out.push_str("</section>\n");
    out.push_str(PAGE_END);
    out
}
