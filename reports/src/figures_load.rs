//! The latency-vs-offered-load chart of a family whose cases carry open-loop sweeps (the queue's
//! latency mode): one line per variant, p99 latency against the offered rate, the knee marked.

use crate::analysis;
use crate::charts::{self, Axis, Dash, Line, LineChart, Marker, Point, Scale};
use crate::figures::{Colours, Figure, legend_name, style_dash};
use crate::format;
use crate::schema::{Case, LoadSweep, Results};

/// The sweep a chart shows for `case`: the first process's (one per fork; see the notes).
/// How a family's open-loop sweep is told: what is sent, by whom, and what holds it back.
pub(crate) struct OpenLoopTerms {
    /// What is sent, plural ("messages", "tasks").
    pub items: &'static str,
    /// The short unit for table heads ("msg", "tasks").
    pub unit: &'static str,
    /// Who sends on the schedule, with the verb ("producers send", "the submitter sends").
    pub senders_send: &'static str,
    /// What holds a sender back ("a full queue", "a full in-flight window").
    pub held_back_by: &'static str,
    /// Where latency ends ("its receipt", "its completion").
    pub until: &'static str,
    /// Which items are timed ("every task", "one message in N ...").
    pub timed: &'static str,
}

impl OpenLoopTerms {
    pub(crate) fn of(family: &str) -> OpenLoopTerms {
        match family {
            "pool" => OpenLoopTerms {
                items: "tasks",
                unit: "tasks",
                senders_send: "the submitter sends",
                held_back_by: "a full in-flight window",
                until: "its completion",
                timed: "every task is timed",
            },
            "counter" => OpenLoopTerms {
                items: "increments",
                unit: "increments",
                senders_send: "workers send increments to the owner",
                held_back_by: "a full mailbox",
                until: "the owner's count of it",
                timed: "one message in N is timed, N sized so the clock costs at most 1%",
            },
            _ => OpenLoopTerms {
                items: "messages",
                unit: "msg",
                senders_send: "producers send",
                held_back_by: "a full queue",
                until: "its receipt",
                timed: "one message in N is timed, N sized so the clock costs at most 1%",
            },
        }
    }
}

fn shown_sweep(case: &Case) -> Option<&LoadSweep> {
    case.load_sweeps.first()
}

/// p99 latency vs offered load of `family`: one line per variant, its case with the most threads
/// that has a sweep and is not oversubscribed (time-sharing CPUs would be what the curve shows),
/// else its case with the most threads (the table has every case); None when none has. Offered load is a percentage
/// of each case's own saturation throughput when every point was given as a fraction (the
/// default), else the offered rate in items/s (`--rate`).
pub fn latency_vs_load(run: &Results, family: &str) -> Option<Figure> {
    let terms = OpenLoopTerms::of(family);
    let series = analysis::series(run, family);
    let colours = Colours::new(&series);
    let swept: Vec<(&analysis::Series<'_>, &Case, &LoadSweep)> = series
        .iter()
        .filter_map(|s| {
            run.cases
                .iter()
                .filter(|c| c.variant == s.variant && c.placement == s.placement)
                .filter_map(|c| shown_sweep(c).map(|w| (s, c, w)))
                .max_by_key(|(_, c, _)| (!c.oversubscribed, c.threads))
        })
        .collect();
    if swept.is_empty() {
        return None;
    }
    let relative = swept
        .iter()
        .all(|(_, _, w)| w.points.iter().all(|p| p.fraction.is_some()));
    let several_threads = swept
        .iter()
        .any(|(_, c, _)| c.threads != swept[0].1.threads);
    let mut lines: Vec<Line> = swept
        .iter()
        .map(|(s, c, w)| {
            let label = if several_threads {
                format!("{}@{}", legend_name(s), c.threads)
            } else {
                legend_name(s)
            };
            let points = w
                .points
                .iter()
                // A point without messages has no latency to draw.
                .filter(|p| p.messages > 0)
                .map(|p| {
                    let x = match (relative, p.fraction) {
                        (true, Some(f)) => f * 100.0,
                        _ => p.offered_per_s,
                    };
                    Point::new(x, (p.latency.p99 as f64).max(1.0))
                })
                .collect();
            Line {
                label,
                colour: colours.of(&s.variant),
                dash: style_dash(s),
                marker: Marker::Circle,
                points,
            }
        })
        .collect();
    let (lo, hi) = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.y))
        .fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    let (ymin, ymax) = (lo / 1.5, hi * 1.5);
    let xs = || lines.iter().flat_map(|l| l.points.iter().map(|p| p.x));
    let x = if relative {
        let max = xs().fold(100.0, f64::max) * 1.05;
        lines.push(Line {
            label: "saturation (each case's own)".into(),
            colour: charts::REFERENCE,
            dash: Dash::Dotted,
            marker: Marker::None,
            points: vec![Point::new(100.0, ymin), Point::new(100.0, ymax)],
        });
        Axis {
            label: "offered load, % of the case's measured saturation throughput".into(),
            scale: Scale::Linear,
            min: 0.0,
            max,
            ticks: charts::linear_ticks(0.0, max),
            format: format::tick,
        }
    } else {
        let (min, max) = xs().fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
        Axis {
            label: format!("offered load, {}/s (log scale)", terms.items),
            scale: Scale::Log,
            min: min / 1.5,
            max: max * 1.5,
            ticks: charts::log_ticks(min / 1.5, max * 1.5),
            format: format::si,
        }
    };
    let y = Axis {
        label: "p99 latency from intended send time (log scale)".into(),
        scale: Scale::Log,
        min: ymin,
        max: ymax,
        ticks: charts::log_ticks(ymin, ymax),
        format: format::ns_tick,
    };
    let title = if several_threads {
        format!("{family}: p99 latency vs offered load (open loop)")
    } else {
        let n = swept[0].1.threads;
        format!(
            "{family}: p99 latency vs offered load at {n} thread{} (open loop)",
            if n == 1 { "" } else { "s" }
        )
    };
    let svg = charts::render(&LineChart { title, x, y, lines });
    let mut notes = vec![format!(
        "open loop: {} on a schedule and latency counts from an item's intended send time ({}), \
         so a sender held back by {} charges the wait to the {} it owes; each variant at its most \
         threads that do not oversubscribe the CPUs (the table below has every case)",
        terms.senders_send, terms.timed, terms.held_back_by, terms.items
    )];
    if relative {
        notes.push(format!(
            "past 100% the offered rate exceeds what the {family} can take: latency then grows \
             with the window (the knee)"
        ));
    }
    if swept.iter().any(|(_, c, _)| c.load_sweeps.len() > 1) {
        notes.push("cases measured in several processes show the first process's sweep".into());
    }
    Some(Figure {
        kind: "load",
        svg,
        notes,
    })
}
