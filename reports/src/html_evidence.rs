//! The report's evidence section: per case, what the samples saw of their machine (migrations,
//! steal, switches, run-queue wait, hardware counters per unit, the cache-line probe), and the
//! cases whose forks or samples form two modes, with the evidence of each mode.

use std::fmt::Write as _;

use crate::evidence_summary::{describe, mode_samples, summarize};
use crate::format::{self, html as esc};
use crate::html_parts::{section, table};
use crate::modes::case_modes;
use crate::schema::Results;

fn opt(v: Option<String>) -> String {
    v.unwrap_or_else(|| "n/a".into())
}

/// Whether any sample of `run` carries evidence (files from before it was recorded do not).
pub(crate) fn has_evidence(run: &Results) -> bool {
    run.cases
        .iter()
        .any(|c| c.samples.iter().any(|s| s.evidence.is_some()))
}

/// The section (nothing when no case carries evidence).
pub(crate) fn evidence_section(out: &mut String, run: &Results, id: &str) {
    if !has_evidence(run) {
        return;
    }
    section(out, id, "Evidence");
    out.push_str(
        "<p>What each case's samples saw of the machine, read outside the timed windows. \
         <b>Migrations 0</b> is the proof that pinning held. Steal is the share of the windows' \
         CPU time the hypervisor gave to something else; switches and run-queue wait are per \
         sample, summed over the case's threads; hardware counters are per unit of work (medians; \
         n/a where the machine has none, as on most VMs); the cache line is the one-way latency \
         between the case's first two CPUs, probed once per process.</p>\n",
    );
    let mut rows = Vec::new();
    let mut multimodal = Vec::new();
    for c in &run.cases {
        let e = summarize(c, &c.samples);
        let hw = |i: usize| opt(e.hardware.map(|h| format!("#{}", format::sig3(h[i]))));
        rows.push(vec![
            esc(&c.key()),
            format!("#{}", e.samples),
            opt(e.migrations.map(|m| format!("#{m}"))),
            opt(e.steal_fraction.map(|s| format!("#{:.1}%", s * 100.0))),
            format!(
                "#{:.1} / {:.0}",
                e.involuntary_per_sample, e.voluntary_per_sample
            ),
            opt(e
                .runqueue_wait_ns_per_sample
                .map(|w| format!("#{}", format::ns(w)))),
            format!("#{}", e.disturbed),
            hw(0),
            hw(1),
            hw(2),
            opt(e.cache_line_ns.map(|ns| format!("#{ns:.0} ns"))),
        ]);
        if let Some(m) = case_modes(c) {
            multimodal.push((c, m));
        }
    }
    table(
        out,
        "evidence",
        &[
            "case",
            "samples",
            "migrations",
            "steal",
            "switches inv / vol",
            "run-queue wait",
            "disturbed",
            "cycles / unit",
            "instructions / unit",
            "LLC misses / unit",
            "cache line",
        ],
        &rows,
    );
    if multimodal.is_empty() {
        out.push_str(
            "<p>No case's forks or samples form two modes (test: the best two-group split of log \
             throughput against the spread within the groups; see the README).</p>\n",
        );
    } else {
        out.push_str(
            "<h3>Two modes</h3>\n<p>These cases' forks (or, with fewer than four forks, samples) \
             fall into two groups further apart than noise of their spread makes likely: one \
             process (or window) is not the truth for them. The evidence of each group may say \
             why (e.g. a slower cache line between its vCPUs, steal, switches).</p>\n<ul>\n",
        );
        for (c, m) in multimodal {
            let _ = write!(
                out,
                "<li><b>{}</b>: {}<ul>",
                esc(&c.key()),
                esc(&m.describe(&c.unit))
            );
            for (name, mode) in [("low", &m.low), ("high", &m.high)] {
                let e = summarize(c, mode_samples(c, m.unit, &mode.members));
                let _ = write!(
                    out,
                    "<li>{name} ({} {}/s): {}</li>",
                    esc(&format::si(mode.median)),
                    esc(&c.unit),
                    esc(&describe(&e))
                );
            }
            out.push_str("</ul></li>\n");
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</section>\n");
}
