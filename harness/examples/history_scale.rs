//! The history at scale: builds a store of RUNS runs x CASES cases through the real recording
//! path, from a template results file, and reports the time of an insert into the full store and
//! the file's size. Time `contend history` on the store it leaves with `time`.
//!
//! ```text
//! cargo run --release -p contend --example history_scale -- TEMPLATE.json OUT.sqlite [RUNS] [CASES]
//! time target/release/contend history --history OUT.sqlite --html trends.html
//! ```
//!
//! Case 0 of every run gets a 10% step down at 60% of the runs and case 1 a 10% step up at 30%,
//! on a 5% CV; the rest are flat, so the trends page has change points to show.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use contend::history::History;
use contend_reports::compare::simulate::SplitMix64;
use contend_reports::schema::{Results, read_results};

fn usage() -> ! {
    eprintln!("usage: history_scale TEMPLATE.json OUT.sqlite [RUNS=10000] [CASES=50]");
    std::process::exit(2)
}

/// Run `i` of `runs`: the template's cases multiplied up to `cases` keys, every sample scaled by
/// the run's noise and steps.
fn synthetic(
    template: &Results,
    i: usize,
    runs: usize,
    cases: usize,
    rng: &mut SplitMix64,
) -> Results {
    let mut r = template.clone();
    r.started_at = humantime::format_rfc3339_seconds(
        std::time::UNIX_EPOCH + Duration::from_secs(1_790_000_000 + 3600 * i as u64),
    )
    .to_string();
    r.tool.git_commit = Some(format!("{:012x}", 0xc0de_0000_0000u64 + i as u64));
    r.label = format!("synthetic-{i}");
    r.cases = (0..cases)
        .map(|k| {
            let mut c = template.cases[k % template.cases.len()].clone();
            c.threads = 1 + k / template.cases.len();
            let step = match k {
                0 if i >= runs * 6 / 10 => 0.9,
                1 if i >= runs * 3 / 10 => 1.1,
                _ => 1.0,
            };
            let factor = step * (1.0 + 0.05 * rng.normal());
            for s in &mut c.samples {
                s.throughput *= factor;
            }
            c.throughput.median *= factor;
            c.throughput.min *= factor;
            c.throughput.max *= factor;
            c
        })
        .collect();
    r
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(template), Some(out)) = (args.first(), args.get(1)) else {
        usage()
    };
    let runs: usize = args
        .get(2)
        .map_or(Ok(10_000), |s| s.parse())
        .unwrap_or_else(|_| usage());
    let cases: usize = args
        .get(3)
        .map_or(Ok(50), |s| s.parse())
        .unwrap_or_else(|_| usage());
    let template = read_results(std::path::Path::new(template)).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2)
    });
    if template.cases.is_empty() {
        eprintln!("the template has no cases");
        std::process::exit(2);
    }
    let out = PathBuf::from(out);
    let _ = std::fs::remove_file(&out);
    let mut history = History::open(&out).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2)
    });
    let mut rng = SplitMix64::new(7);
    let mut last: Vec<Duration> = Vec::new();
    let started = Instant::now();
    for i in 0..runs {
        let r = synthetic(&template, i, runs, cases, &mut rng);
        let t = Instant::now();
        history.record(&r, &out).expect("record");
        if i + 100 >= runs {
            last.push(t.elapsed());
        }
        if i % 1000 == 999 {
            eprintln!("{} runs in {:.0?}", i + 1, started.elapsed());
        }
    }
    last.sort();
    let size = std::fs::metadata(&out).map_or(0, |m| m.len())
        + std::fs::metadata(out.with_extension("sqlite-wal")).map_or(0, |m| m.len());
    println!(
        "{runs} runs x {cases} cases: built in {:.1?}; insert of one run into the full store \
         (last 100): median {:.1?}, max {:.1?}; file {:.1} MiB",
        started.elapsed(),
        last[last.len() / 2],
        last[last.len() - 1],
        size as f64 / (1u64 << 20) as f64
    );
}
