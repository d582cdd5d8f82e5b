//! One family's part of the HTML report: charts, the table of cases, and the scaling (USL) fits.

use std::fmt::Write as _;

use crate::analysis;
use crate::figures::{self, Figure};
use crate::format::{self, html as esc};
use crate::html_load;
use crate::html_parts::{rate, section, table};
use crate::schema::Results;
use crate::usl::UslError;

/// Writes the section of `family` in `run`; `prefix` keeps anchors unique when several runs share a page.
pub(crate) fn family_section(out: &mut String, run: &Results, family: &str, prefix: &str) {
    section(
        out,
        &format!("{prefix}family-{family}"),
        &format!("Family: {family}"),
    );
    let cases: Vec<&crate::schema::Case> =
        run.cases.iter().filter(|c| c.family == family).collect();
    let mut meanings: Vec<&str> = cases.iter().map(|c| c.latency_meaning.as_str()).collect();
    meanings.dedup();
    for m in meanings {
        let _ = writeln!(
            out,
            "<p><b>Latency</b> here means: {}.</p>",
            esc(m.trim_end_matches('.'))
        );
    }
    if cases
        .iter()
        .any(|c| c.unit_factors.contains_key("flop_per_unit"))
    {
        out.push_str(
            "<p>Throughput is shown in floating-point operations per second (GFLOP/s) from each case's \
             <code>flop_per_unit</code>.</p>\n",
        );
    }
    out.push_str(
        "<p class=\"note\">Lines: solid = shared memory (cool colours), dashed = message passing (warm colours), \
         dotted grey = deliberately racy (wrong results, shown for scale). Markers: circle = cores-first (or compact \
         in older files), triangle = siblings-first, square = spread, cross = unpinned placement. Error bars span \
         the samples' min to max.</p>\n",
    );
    out.push_str("<div class=\"figures\">\n");
    for fig in [
        figures::throughput(run, family),
        figures::speedup(run, family),
        figures::latency(run, family),
        crate::figures_load::latency_vs_load(run, family),
    ]
    .into_iter()
    .flatten()
    {
        figure(out, &fig);
    }
    out.push_str("</div>\n");
    let _ = writeln!(out, "<h3>Cases</h3>");
    cases_table(out, run, family);
    html_load::load_table(out, run, family);
    let _ = writeln!(out, "<h3>Scaling fit (Universal Scalability Law)</h3>");
    usl_table(out, run, family);
    out.push_str("</section>\n");
}

/// One line saying what a chart of `kind` plots.
fn definition(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "throughput" => {
            "Throughput: the median over samples of the units proven per second, per thread \
             count; bars span the samples' min..max"
        }
        "speedup" => {
            "Speedup: throughput at N threads / the variant's base case (1 worker; 2 threads \
             for queues); grey: linear scaling; oversubscribed cases are left out"
        }
        "latency" => {
            "Latency percentiles at the highest thread count: the latency below which that \
             share of the recorded ones falls (percentile on a 1/(1-p) axis)"
        }
        "load" => "p99 latency from each item's intended send time, one window per offered rate",
        "comparison" => {
            "Throughput vs threads on every machine: colour = variant, dash and marker = machine"
        }
        _ => return None,
    })
}

/// Writes a chart in a `<figure>` with its one-line definition and notes.
pub(crate) fn figure(out: &mut String, fig: &Figure) {
    let _ = writeln!(out, "<figure class=\"chart\" data-chart=\"{}\">", fig.kind);
    out.push_str(&fig.svg);
    out.push('\n');
    let lines: Vec<String> = definition(fig.kind)
        .into_iter()
        .map(|d| format!("<b>{}</b>", esc(d)))
        .chain(fig.notes.iter().map(|n| esc(n)))
        .collect();
    if !lines.is_empty() {
        let _ = writeln!(out, "<figcaption>{}</figcaption>", lines.join("; "));
    }
    out.push_str("</figure>\n");
}

fn cases_table(out: &mut String, run: &Results, family: &str) {
    let cases: Vec<&crate::schema::Case> =
        run.cases.iter().filter(|c| c.family == family).collect();
    let Some(first) = cases.first() else { return };
    let unit = analysis::metric(first).unit;
    let series = analysis::series(run, family);
    let efficiency = |c: &crate::schema::Case| -> String {
        series
            .iter()
            .find(|s| s.variant == c.variant && s.placement == c.placement)
            .and_then(|s| s.speedup_to(c))
            .map_or("–".into(), |x| format!("#{}", format::pct(x.efficiency)))
    };
    // Counter and deadlock cases also carry batch means, queue cases a bare reference: one more
    // column each.
    let batched = cases.iter().any(|c| c.batch_latency.is_some());
    let bare = cases.iter().any(|c| c.bare_reference.is_some());
    let rows: Vec<Vec<String>> = cases
        .iter()
        .map(|c| {
            let m = analysis::metric(c);
            let t = &c.throughput;
            let value = |v: f64| format::si(v * m.factor);
            let (median, range) = if c.samples.is_empty() {
                ("no samples".into(), "–".into())
            } else if analysis::trustworthy(c) {
                (
                    format!("#{} ± {}", value(t.median), format::pct(t.cv)),
                    format!("#{} – {}", value(t.min), value(t.max)),
                )
            } else {
                (
                    format!("#<s>{}</s> (not a result)", value(t.median)),
                    "–".into(),
                )
            };
            let lat = &c.latency;
            let ns = |v: u64| {
                if lat.count == 0 || c.samples.is_empty() {
                    "–".to_string()
                } else {
                    format!("#{}", format::ns(v as f64))
                }
            };
            let batch_p99 = c
                .batch_latency
                .as_ref()
                .filter(|_| !c.samples.is_empty())
                .map_or("–".to_string(), |b| {
                    format!("#{}", format::ns(b.p99 as f64))
                });
            let threads = if c.helper_threads > 0 {
                format!("#{} (+{})", c.threads, c.helper_threads)
            } else {
                format!("#{}", c.threads)
            };
            let mut row = vec![
                format!("<code>{}</code>", esc(&c.variant)),
                esc(c.style.split('-').next().unwrap_or(&c.style)),
                threads,
                esc(&c.placement),
                median,
                range,
                efficiency(c),
            ];
            if bare {
                row.push(html_load::bare_cell(c));
            }
            row.extend([ns(lat.p50), ns(lat.p99), ns(lat.p999), ns(lat.max)]);
            if batched {
                row.push(batch_p99);
            }
            row.extend([validation_short(&c.validation), status_short(&c.status)]);
            row
        })
        .collect();
    let throughput = format!("throughput, {} (median ± cv)", esc(&unit));
    let mut head = vec![
        "variant",
        "style",
        "threads (+helpers)",
        "placement",
        throughput.as_str(),
        "min – max",
        "efficiency",
    ];
    if bare {
        head.push("vs bare");
    }
    head.extend(["p50", "p99", "p99.9", "max"]);
    if batched {
        head.push("batch mean p99");
    }
    head.extend(["validation", "status"]);
    table(out, "cases", &head, &rows);
    out.push_str(
        "<p class=\"note\">Throughput: units of work proven per second of the sample (median over samples, ± their \
         coefficient of variation; min – max over samples). Efficiency: speedup over the variant's baseline case \
         divided by the ratio of threads in use (workers + helpers), for cases that are not oversubscribed. \
         p50 / p99 / p99.9 / max: percentiles of the latency \
         defined above, over every sample of the case.",
    );
    if batched {
        out.push_str(
            " Batch mean p99: the 99th percentile of every operation's batch mean (batch time / operations in \
             the batch, batches of 8-64 µs), a figure of sustained cost, not of single operations.",
        );
    }
    if bare {
        out.push_str(html_load::BARE_NOTE);
    }
    out.push_str(" Details of failures are in the validation section.</p>\n");
}

fn validation_short(v: &crate::schema::Validation) -> String {
    use crate::schema::Validation;
    match v {
        Validation::Passed { .. } => "<span class=\"ok\">passed</span>".into(),
        Validation::Failed { .. } => "<span class=\"bad\">FAILED</span>".into(),
        Validation::RaceObserved {
            samples_damaged,
            samples_checked,
            ..
        } => {
            format!(
                "<span class=\"racy\">race observed</span> ({samples_damaged}/{samples_checked})"
            )
        }
        Validation::RaceNotObserved { .. } => {
            "<span class=\"racy\">race not observed</span>".into()
        }
        Validation::NotRun => "<span class=\"bad\">not run</span>".into(),
    }
}

fn status_short(s: &crate::schema::CaseStatus) -> String {
    let name = analysis::status_name(s);
    if s.is_ok() {
        format!("<span class=\"ok\">{name}</span>")
    } else {
        format!("<span class=\"bad\">{name}</span>")
    }
}

/// One USL fit as table cells: sigma, kappa, N*, R^2 (or a single explanatory cell spanning them).
pub(crate) fn usl_cells(result: &Result<crate::usl::UslFit, UslError>, unit: &str) -> Vec<String> {
    match result {
        Ok(f) => vec![
            format!("#{}", rate(f.lambda, unit)),
            format!("#{:.4}", f.sigma),
            format!("#{:.5}", f.kappa),
            match f.peak_threads() {
                None => "none (κ = 0: no retrograde)".into(),
                Some(_) if f.sigma >= 1.0 => "#1 (σ ≥ 1: more threads only lose)".into(),
                Some(n) => format!("#{n:.1}"),
            },
            format!("#{:.3}", f.r_squared),
        ],
        Err(e) => vec![
            format!("<i>{}</i>", esc(&e.to_string())),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ],
    }
}

fn usl_table(out: &mut String, run: &Results, family: &str) {
    let rows: Vec<Vec<String>> = analysis::series(run, family)
        .iter()
        .filter(|s| !s.cases.is_empty())
        .map(|s| {
            let m = analysis::metric(s.cases[0]);
            let fit = s.usl().map(|mut f| {
                f.lambda *= m.factor;
                f
            });
            let mut row = vec![format!("<code>{}</code>", esc(&s.name))];
            row.extend(usl_cells(&fit, &m.unit));
            row
        })
        .collect();
    table(
        out,
        "usl",
        &[
            "variant",
            "λ (1-thread capacity)",
            "σ contention",
            "κ coherency",
            "peak N*",
            "R²",
        ],
        &rows,
    );
    out.push_str(
        "<p class=\"note\">X(N) = λN / (1 + σ(N−1) + κN(N−1)), fitted to the median throughput at each worker \
         thread count N (needs at least 4), over the cases that are not oversubscribed (time-sharing is not \
         scaling) and, for queues, from 2 threads (the 1-thread case is one thread alternating sends and \
         receives). Helper threads are not in N: a variant with a helper uses N + 1 threads. σ is the serialised fraction, κ the cost of keeping caches \
         coherent; throughput peaks at N* = √((1−σ)/κ).</p>\n",
    );
}
