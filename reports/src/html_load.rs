//! The queue modes' part of a family's HTML section: the open-loop sweep's points (latency under
//! offered load) and what the bare reference says about the harness's own cost.

use std::fmt::Write as _;

use crate::figures_load::OpenLoopTerms;
use crate::format::{self, html as esc};
use crate::html_parts::table;
use crate::schema::Results;

/// Writes the table of every sweep point of `family`'s cases; nothing when no case has a sweep.
pub(crate) fn load_table(out: &mut String, run: &Results, family: &str) {
    let rows: Vec<Vec<String>> = run
        .cases
        .iter()
        .filter(|c| c.family == family)
        .flat_map(|c| {
            c.load_sweeps.iter().flat_map(move |w| {
                w.points.iter().map(move |p| {
                    let offered = match p.fraction {
                        Some(f) => format!("#{} ({})", format::si(p.offered_per_s), format::pct(f)),
                        None => format!("#{}", format::si(p.offered_per_s)),
                    };
                    // A point that carried no message (its producer starved for the whole point)
                    // has no latency to show, not a latency of 0.
                    let ns = |v: u64| {
                        if p.messages == 0 {
                            "–".to_string()
                        } else {
                            format!("#{}", format::ns(v as f64))
                        }
                    };
                    vec![
                        format!("<code>{}@{}</code>", esc(&c.variant), c.threads),
                        format!("#{}", w.fork),
                        offered,
                        format!("#{}", format::si(p.achieved_per_s)),
                        ns(p.latency.p50),
                        ns(p.latency.p90),
                        ns(p.latency.p99),
                        ns(p.latency.p999),
                        ns(p.latency.max),
                    ]
                })
            })
        })
        .collect();
    if rows.is_empty() {
        return;
    }
    let terms = OpenLoopTerms::of(family);
    let offered_head = format!("offered, {}/s (of saturation)", terms.unit);
    let achieved_head = format!("achieved, {}/s", terms.unit);
    let _ = writeln!(out, "<h3>Latency under offered load (open loop)</h3>");
    table(
        out,
        "load",
        &[
            "case",
            "fork",
            &offered_head,
            &achieved_head,
            "p50",
            "p90",
            "p99",
            "p99.9",
            "max",
        ],
        &rows,
    );
    let _ = writeln!(
        out,
        "<p class=\"note\">Offered: the scheduled send rate ({senders_send} on a schedule; all senders \
         together), given as a share of the case's saturation throughput (the median of its saturated samples in the same \
         process) unless set with <code>--rate</code>. Achieved: {items} completed per second of the \
         point's window, every one proven delivered exactly once. p50 … max: latency from each \
         item's <em>intended</em> send time to {until} (coordinated omission corrected: a sender \
         that falls behind its schedule, e.g. held back by {held}, charges the delay to the {items} \
         it owes); a point whose window carried none shows dashes. Each point is one window of a \
         quarter of a sample's length (at least 10 ms).</p>",
        senders_send = terms.senders_send,
        items = terms.items,
        until = terms.until,
        held = terms.held_back_by,
    );
}

/// The cases table's "vs bare" cell: the ratio of the harness's throughput to the crate's bare
/// loop measured beside it, or a dash.
pub(crate) fn bare_cell(c: &crate::schema::Case) -> String {
    c.bare_reference
        .as_ref()
        .map_or("–".into(), |b| format!("#{}", format::ratio(b.ratio)))
}

/// The note under the cases table that defines "vs bare" and the stamp interval.
pub(crate) const BARE_NOTE: &str = " vs bare (one sender and one receiver: a 2-thread queue, a 1-worker \
    actor): throughput of the case / throughput of the same crate's bare send-receive loop (nothing else \
    per message but, on a queue's consumer, reading the message's check value: no clock, no progress \
    ticks), run on the same threads and queue or mailbox for as long as a sample, between samples 1 and \
    2, 3 and 4, and so on; each bare window is \
    paired with the mean of the samples on both sides of it, and the ratio is the median over the pairs \
    (1 = the harness costs nothing; above 1 happens when the extra work per message eases contention). \
    Saturated queue cases time one message in N (N in the JSON's <code>stamp_every</code>).";
