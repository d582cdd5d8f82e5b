//! Builds the report's charts from results: throughput and speedup vs threads, latency percentiles, overlays.

use plotters::style::RGBColor;

use crate::analysis::{self, MESSAGE_PASSING, Series};
use crate::charts::{self, Axis, Dash, Line, LineChart, Marker, Point, Scale};
use crate::format;
use crate::histogram;
use crate::schema::Results;

/// A rendered chart and anything the reader should know about what it leaves out.
pub struct Figure {
    pub kind: &'static str,
    pub svg: String,
    pub notes: Vec<String>,
}

/// Assigns each variant a colour: cool colours for shared memory, warm for message passing, grey when racy.
pub struct Colours {
    assigned: Vec<(String, RGBColor)>,
}

impl Colours {
    /// Colours for every variant in `series`, in order of first appearance.
    pub fn new<'s, 'a: 's>(series: impl IntoIterator<Item = &'s Series<'a>>) -> Colours {
        let (mut cool, mut warm) = (0, 0);
        let mut assigned: Vec<(String, RGBColor)> = Vec::new();
        for s in series {
            if assigned.iter().any(|(v, _)| *v == s.variant) {
                continue;
            }
            let colour = if s.expected_race {
                charts::RACY
            } else if s.style == MESSAGE_PASSING {
                warm += 1;
                charts::WARM[(warm - 1) % charts::WARM.len()]
            } else {
                cool += 1;
                charts::COOL[(cool - 1) % charts::COOL.len()]
            };
            assigned.push((s.variant.clone(), colour));
        }
        Colours { assigned }
    }

    pub fn of(&self, variant: &str) -> RGBColor {
        self.assigned
            .iter()
            .find(|(v, _)| v == variant)
            .map_or(charts::REFERENCE, |(_, c)| *c)
    }
}

/// Markers tell placements apart in single-run charts: cores-first (and the older `compact`)
/// circle, spread square, none (unpinned) cross, siblings-first triangle.
fn placement_marker(s: &Series<'_>) -> Marker {
    match s.placement.as_str() {
        "spread" => Marker::Square,
        "none" => Marker::Cross,
        "cores-first" | "compact" => Marker::Circle,
        _ => Marker::Triangle,
    }
}

pub(crate) fn legend_name(s: &Series<'_>) -> String {
    if s.expected_race {
        format!("{} (racy)", s.name)
    } else {
        s.name.clone()
    }
}

pub(crate) fn style_dash(s: &Series<'_>) -> Dash {
    if s.expected_race {
        Dash::Dotted
    } else if s.style == MESSAGE_PASSING {
        Dash::Dashed
    } else {
        Dash::Solid
    }
}

/// The x axis for thread counts: linear, or log2-like when counts span a factor of 8 or more.
fn threads_axis(threads: &[usize]) -> Axis {
    let ticks = charts::thread_ticks(threads);
    let (lo, hi) = (
        ticks.first().copied().unwrap_or(1.0),
        ticks.last().copied().unwrap_or(1.0),
    );
    let (scale, min, max) = if hi / lo >= 8.0 && ticks.len() >= 3 {
        let pad = (hi / lo).powf(0.05);
        (Scale::Log, lo / pad, hi * pad)
    } else {
        let pad = ((hi - lo) * 0.06).max(0.25);
        (Scale::Linear, lo - pad, hi + pad)
    };
    Axis {
        label: "threads".into(),
        scale,
        min,
        max,
        ticks,
        format: |v| format!("{v:.0}"),
    }
}

/// A y axis for positive values from `lo` to `hi`: log when they span more than a factor of 30, else linear from 0.
fn value_axis(label: &str, lo: f64, hi: f64, format: fn(f64) -> String) -> Axis {
    if lo > 0.0 && hi / lo > 30.0 {
        let (min, max) = (lo / 1.5, hi * 1.5);
        Axis {
            label: format!("{label} (log scale)"),
            scale: Scale::Log,
            min,
            max,
            ticks: charts::log_ticks(min, max),
            format,
        }
    } else {
        let max = if hi > 0.0 { hi * 1.08 } else { 1.0 };
        Axis {
            label: label.into(),
            scale: Scale::Linear,
            min: 0.0,
            max,
            ticks: charts::linear_ticks(0.0, max),
            format,
        }
    }
}

fn si_tick(v: f64) -> String {
    format::tick(v)
}

/// Notes naming the cases of `family` left off the charts because they failed or did not finish.
fn not_plotted(run: &Results, family: &str) -> Vec<String> {
    run.cases
        .iter()
        .filter(|c| c.family == family && !analysis::trustworthy(c))
        .map(|c| {
            let why = if c.status.is_ok() {
                analysis::validation_name(&c.validation)
            } else {
                analysis::status_name(&c.status)
            };
            format!("{} not plotted ({why})", c.key())
        })
        .collect()
}

/// Throughput vs threads, one line per series with min-max error bars; `None` when nothing can be plotted.
pub fn throughput(run: &Results, family: &str) -> Option<Figure> {
    let series = analysis::series(run, family);
    let colours = Colours::new(&series);
    let lines: Vec<(Line, &Series<'_>)> = series
        .iter()
        .filter(|s| !s.cases.is_empty())
        .map(|s| {
            (
                throughput_line(
                    s,
                    colours.of(&s.variant),
                    style_dash(s),
                    placement_marker(s),
                    legend_name(s),
                ),
                s,
            )
        })
        .collect();
    let unit = series
        .iter()
        .flat_map(|s| s.cases.first())
        .map(|c| analysis::metric(c).unit)
        .next()?;
    let lines: Vec<Line> = lines.into_iter().map(|(l, _)| l).collect();
    let svg = throughput_chart(format!("{family}: throughput vs threads"), &unit, lines);
    Some(Figure {
        kind: "throughput",
        svg,
        notes: not_plotted(run, family),
    })
}

fn throughput_line(
    s: &Series<'_>,
    colour: RGBColor,
    dash: Dash,
    marker: Marker,
    label: String,
) -> Line {
    let points = s
        .cases
        .iter()
        .map(|c| {
            let f = analysis::metric(c).factor;
            let t = &c.throughput;
            Point {
                x: c.threads as f64,
                y: t.median * f,
                lo: Some(t.min * f),
                hi: Some(t.max * f),
            }
        })
        .collect();
    Line {
        label,
        colour,
        dash,
        marker,
        points,
    }
}

fn throughput_chart(title: String, unit: &str, lines: Vec<Line>) -> String {
    let threads: Vec<usize> = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.x as usize))
        .collect();
    let values = lines.iter().flat_map(|l| {
        l.points
            .iter()
            .flat_map(|p| [p.lo.unwrap_or(p.y), p.hi.unwrap_or(p.y)])
    });
    let (lo, hi) = values.fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    charts::render(&LineChart {
        title,
        x: threads_axis(&threads),
        y: value_axis(unit, lo, hi, si_tick),
        lines,
    })
}

/// Speedup `X(N)/X(1)` per series against the ideal linear speedup.
pub fn speedup(run: &Results, family: &str) -> Option<Figure> {
    let series = analysis::series(run, family);
    let colours = Colours::new(&series);
    let mut lines = Vec::new();
    let mut notes = Vec::new();
    for s in series.iter().filter(|s| !s.cases.is_empty()) {
        let cases = s.scaling_cases();
        let Some(one) = cases
            .first()
            .filter(|c| c.threads == 1)
            .map(|c| c.throughput.median)
            .filter(|x| *x > 0.0)
        else {
            notes.push(format!(
                "{}: no 1-thread baseline (none measured, oversubscribed, or a different algorithm at 1 thread), so no speedup line",
                s.name
            ));
            continue;
        };
        let points = cases
            .iter()
            .map(|c| Point::new(c.threads as f64, c.throughput.median / one))
            .collect();
        lines.push(Line {
            label: legend_name(s),
            colour: colours.of(&s.variant),
            dash: style_dash(s),
            marker: placement_marker(s),
            points,
        });
    }
    if lines.is_empty() {
        return None;
    }
    let threads: Vec<usize> = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.x as usize))
        .collect();
    let max_t = threads.iter().copied().max().unwrap_or(1) as f64;
    let mut ideal: Vec<f64> = threads.iter().map(|&t| t as f64).collect();
    ideal.sort_by(f64::total_cmp);
    ideal.dedup();
    lines.push(Line {
        label: "ideal (linear)".into(),
        colour: charts::REFERENCE,
        dash: Dash::Solid,
        marker: Marker::None,
        points: ideal.iter().map(|&t| Point::new(t, t)).collect(),
    });
    let top = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.y))
        .fold(max_t, f64::max);
    let x = threads_axis(&threads);
    let y = Axis {
        label: "speedup vs 1 thread".into(),
        scale: Scale::Linear,
        min: 0.0,
        max: top * 1.08,
        ticks: charts::linear_ticks(0.0, top * 1.08),
        format: |v| format!("{}×", format::tick(v)),
    };
    let svg = charts::render(&LineChart {
        title: format!("{family}: speedup vs threads"),
        x,
        y,
        lines,
    });
    Some(Figure {
        kind: "speedup",
        svg,
        notes,
    })
}

/// Latency percentile distribution (HdrHistogram style) of each series at the family's highest thread count.
pub fn latency(run: &Results, family: &str) -> Option<Figure> {
    let series = analysis::series(run, family);
    let colours = Colours::new(&series);
    let threads = series
        .iter()
        .filter_map(|s| s.cases.last())
        .map(|c| c.threads)
        .max()?;
    let mut lines = Vec::new();
    let mut notes = Vec::new();
    notes.extend(
        not_plotted(run, family)
            .into_iter()
            .filter(|n| n.contains(&format!("@{threads}/"))),
    );
    for s in &series {
        let Some(case) = s.at(threads) else { continue };
        match histogram::decode(&case.latency.histogram) {
            Ok(h) if h.is_empty() => notes.push(format!("{}: no latency recorded", s.name)),
            Ok(h) => {
                let points = histogram::distribution(&h)
                    .iter()
                    .map(|p| Point::new(p.inverse_tail, (p.value as f64).max(1.0)))
                    .collect();
                let (label, colour, dash) = (legend_name(s), colours.of(&s.variant), style_dash(s));
                lines.push(Line {
                    label,
                    colour,
                    dash,
                    marker: Marker::None,
                    points,
                });
            }
            Err(e) => notes.push(format!("{}: {e}", s.name)),
        }
    }
    if lines.is_empty() {
        return None;
    }
    let max_x = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.x))
        .fold(2.0, f64::max);
    let (lo, hi) = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.y))
        .fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    let mut ticks = vec![2.0];
    ticks.extend(
        (1..)
            .map(|k| 10f64.powi(k))
            .take_while(|&v| v <= max_x * 1.0001),
    );
    let x = Axis {
        label: "percentile".into(),
        scale: Scale::Log,
        min: 1.8,
        max: max_x * 1.15,
        ticks,
        format: |v| format::percentile(1.0 - 1.0 / v),
    };
    let (min, max) = (lo / 1.5, hi * 1.5);
    let y = Axis {
        label: "latency (log scale)".into(),
        scale: Scale::Log,
        min,
        max,
        ticks: charts::log_ticks(min, max),
        format: format::ns_tick,
    };
    let title = format!("{family}: latency percentiles at {threads} threads");
    let svg = charts::render(&LineChart { title, x, y, lines });
    Some(Figure {
        kind: "latency",
        svg,
        notes,
    })
}

/// Marker and dash per run in comparison charts.
pub fn run_style(i: usize) -> (Dash, Marker) {
    const DASHES: [Dash; 3] = [Dash::Solid, Dash::Dashed, Dash::Dotted];
    const MARKERS: [Marker; 4] = [
        Marker::Circle,
        Marker::Triangle,
        Marker::Square,
        Marker::Cross,
    ];
    (DASHES[i % DASHES.len()], MARKERS[i % MARKERS.len()])
}

/// Throughput vs threads of every run overlaid: colour = variant, dash and marker = run.
pub fn comparison_throughput(runs: &[Results], labels: &[String], family: &str) -> Option<Figure> {
    let per_run: Vec<Vec<Series<'_>>> = runs.iter().map(|r| analysis::series(r, family)).collect();
    let colours = Colours::new(per_run.iter().flatten());
    let mut lines = Vec::new();
    let mut unit = None;
    for (i, series) in per_run.iter().enumerate() {
        let (dash, marker) = run_style(i);
        for s in series.iter().filter(|s| !s.cases.is_empty()) {
            unit = unit.or_else(|| s.cases.first().map(|c| analysis::metric(c).unit));
            let label = format!("{} · {}", legend_name(s), labels[i]);
            lines.push(throughput_line(
                s,
                colours.of(&s.variant),
                dash,
                marker,
                label,
            ));
        }
    }
    let unit = unit?;
    let title = format!("{family}: throughput vs threads, all machines");
    Some(Figure {
        kind: "comparison",
        svg: throughput_chart(title, &unit, lines),
        notes: Vec::new(),
    })
}
