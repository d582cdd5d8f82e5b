//! `contend ab`: interleaved A/B of a base build's binary against this one, case by case, with
//! adaptive sampling ([`schedule`]), one CLI invocation per sample ([`sampler`]), and the
//! aligned results files `ab-base.json` / `ab-head.json` ([`crate::merge`]).

pub mod sampler;
pub mod schedule;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use contend_reports::compare::{
    CaseComparison, Comparison, Method, StoppingRule, Verdict, render_compare_markdown,
    render_compare_table,
};
use contend_reports::schema::{Case, Results, SCHEMA_VERSION, Tool};
use contend_reports::stats::median;
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::AbArgs;
use crate::error::UsageError;
use crate::plan::Plan;
use crate::report_cmd::write_output;
use sampler::{Measured, SampleError, Side};
use schedule::{CaseRun, Event, Order, Outcome, PairResult};

/// Files `contend ab` writes into `--out`.
pub const BASE_FILE: &str = "ab-base.json";
pub const HEAD_FILE: &str = "ab-head.json";
/// Per-case verdicts as JSON, for scripts (e.g. the gate's calibration).
pub const GATE_FILE: &str = "ab-gate.json";

/// Default time budget: 3 minutes for the quick suite, 10 otherwise.
fn default_budget(quick: bool) -> Duration {
    Duration::from_secs(if quick { 180 } else { 600 })
}

/// One case of the A/B: its key and the `run` arguments shared by both sides.
struct AbCase {
    key: String,
    args: Vec<String>,
    threshold: f64,
}

/// The `run` knobs that differ from their defaults, as arguments (so older bases that lack a
/// knob still run when it is not used). `think_work` is left out: it is per side.
fn knob_args(args: &crate::cli::RunArgs) -> Vec<String> {
    let mut out = Vec::new();
    let mut push = |flag: &str, value: String| {
        out.push(flag.to_string());
        out.push(value);
    };
    if args.cs_work != 0 {
        push("--cs-work", args.cs_work.to_string());
    }
    if args.batch != 64 {
        push("--batch", args.batch.to_string());
    }
    if args.seed != 0x5eed {
        push("--seed", args.seed.to_string());
    }
    if args.stall_timeout != Duration::from_secs(5) {
        push(
            "--stall-timeout",
            humantime::format_duration(args.stall_timeout).to_string(),
        );
    }
    out
}

fn think_args(n: u32) -> Vec<String> {
    if n == 0 {
        Vec::new()
    } else {
        vec!["--think-work".into(), n.to_string()]
    }
}

/// Runs the A/B described by `args`; `argv` is recorded in both results files.
pub fn ab(args: &AbArgs, argv: Vec<String>) -> anyhow::Result<ExitCode> {
    if args.run.samples.is_some() {
        return Err(UsageError::new(
            "--samples: contend ab chooses the number of pairs itself (see --budget)",
        )
        .into());
    }
    if args.run.label.is_some() {
        return Err(UsageError::new("--label: contend ab labels its sides base and head").into());
    }
    let base_bin = std::fs::canonicalize(&args.base)
        .ok()
        .filter(|p| p.is_file())
        .ok_or_else(|| {
            UsageError::new(format!(
                "--base {}: no such file (give the base build's contend binary)",
                args.base.display()
            ))
        })?;
    let head_bin = std::env::current_exe()
        .map_err(|e| UsageError::new(format!("cannot find the running binary: {e}")))?;
    let opts = crate::compare_cmd::options(
        &args.gate.threshold,
        args.gate.confidence,
        args.gate.config.as_deref(),
    )?;
    let plan = Plan::from_args(&args.run, crate::machine::available_cpus().len())?;
    let budget = args.budget.unwrap_or_else(|| default_budget(plan.quick));
    let out = crate::output::OutputDir::prepare(&plan.out_dir)?;
    let work = out.path(&format!(".ab-work-{}", std::process::id()));

    let timing = &plan.timing;
    let common = {
        let mut a: Vec<String> = vec![
            "--placement".into(),
            plan.placement.name().into(),
            "--samples".into(),
            "1".into(),
            "--warmup".into(),
            humantime::format_duration(timing.warmup).to_string(),
            "--duration".into(),
            humantime::format_duration(timing.duration).to_string(),
            "--no-overhead".into(),
        ];
        a.extend(knob_args(&args.run));
        a
    };
    let cases: Vec<AbCase> = plan
        .cases()
        .into_iter()
        .map(|(variant, threads)| {
            let key = format!("{}@{threads}/{}", variant.name, plan.placement.name());
            let mut a = vec![
                "--workloads".to_string(),
                variant.name.to_string(),
                "--threads".into(),
                threads.to_string(),
            ];
            a.extend(common.iter().cloned());
            AbCase {
                threshold: opts.thresholds.for_key(&key),
                key,
                args: a,
            }
        })
        .collect();
    let head_think = args.head_think_work.unwrap_or(args.run.think_work);
    let base = Side {
        name: "base",
        binary: base_bin,
        work_dir: work.join("base"),
        extra_args: think_args(args.run.think_work),
    };
    let head = Side {
        name: "head",
        binary: head_bin,
        work_dir: work.join("head"),
        extra_args: think_args(head_think),
    };
    let timeout =
        (timing.warmup + timing.duration) * 10 + timing.stall_timeout + Duration::from_secs(5);
    let rule = StoppingRule {
        confidence: opts.confidence,
        ..StoppingRule::default()
    };

    let started_at = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let start = Instant::now();
    let bar = ProgressBar::new(budget.as_secs().max(1)).with_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} budget {msg}")
            .expect("static template")
            .progress_chars("=> "),
    );
    let thresholds: Vec<f64> = cases.iter().map(|c| c.threshold).collect();
    let result = schedule::run(
        &rule,
        &thresholds,
        |i, _pair, order| {
            let case = &cases[i];
            let sides = match order {
                Order::BaseFirst => [&base, &head],
                Order::HeadFirst => [&head, &base],
            };
            let mut got: [Option<Measured>; 2] = [None, None];
            for (slot, side) in got.iter_mut().zip(sides) {
                match side.sample(&case.args, &case.key, timeout) {
                    Ok(m) => *slot = Some(m),
                    Err(SampleError::Fatal(msg)) => return Err(UsageError::new(msg)),
                    Err(SampleError::NotComparable(why)) => {
                        return Ok(PairResult::NotComparable(why));
                    }
                    Err(SampleError::Unusable(why)) => {
                        bar.suspend(|| eprintln!("{}: pair dropped, {why}", case.key));
                        return Ok(PairResult::Discard(why));
                    }
                }
            }
            let [a, b] = got.map(|m| m.expect("both sides sampled"));
            Ok(match order {
                Order::BaseFirst => PairResult::Pair { base: a, head: b },
                Order::HeadFirst => PairResult::Pair { base: b, head: a },
            })
        },
        || start.elapsed() < budget,
        |event| {
            bar.set_position(start.elapsed().as_secs().min(budget.as_secs()));
            match event {
                Event::Round { undecided, look } => bar.set_message(format!(
                    "{}: {undecided} case(s) undecided, sampling up to {look} pairs",
                    humantime::format_duration(Duration::from_secs(budget.as_secs()))
                )),
                Event::Pair {
                    case,
                    pairs,
                    target,
                } => bar.set_message(format!(
                    "{}: {} pair {pairs}/{target}",
                    humantime::format_duration(Duration::from_secs(budget.as_secs())),
                    cases[case].key
                )),
                Event::Done {
                    case,
                    pairs,
                    outcome,
                } => bar.suspend(|| {
                    let detail = outcome.estimate().map_or(String::new(), |e| {
                        format!(" {:+.1}% (MDC {:.1}%)", e.change() * 100.0, e.mdc * 100.0)
                    });
                    eprintln!(
                        "{:<36} {}{detail} after {pairs} pairs",
                        cases[case].key,
                        outcome.verdict()
                    )
                }),
            }
        },
    );
    bar.finish_and_clear();
    let _ = std::fs::remove_dir_all(&work);
    let runs = result?;
    let elapsed = start.elapsed();

    let files = SideFiles::build(&runs, &plan, &argv, &started_at, head_think);
    let base_path = out.path(BASE_FILE);
    let head_path = out.path(HEAD_FILE);
    write_json(&base_path, &files.base)?;
    write_json(&head_path, &files.head)?;

    let mut comparison = Comparison {
        method: Method::Paired,
        confidence: rule.per_look_confidence(),
        machines_differ: false,
        notes: vec![format!(
            "interleaved A/B on one machine, one process per sample (order alternating A B, B A); \
             looks at {:?} pairs, each at {} so {} overall; budget {} ({} used)",
            rule.looks(),
            percent(rule.per_look_confidence()),
            percent(rule.confidence),
            humantime::format_duration(budget),
            humantime::format_duration(Duration::from_secs(elapsed.as_secs()))
        )],
        rows: Vec::new(),
    };
    comparison.notes.push(format!(
        "base {}, head {}",
        describe_tool(&files.base.tool),
        describe_tool(&files.head.tool)
    ));
    if head_think != args.run.think_work {
        comparison.notes.push(format!(
            "calibration: head runs with --think-work {head_think}, base with {}",
            args.run.think_work
        ));
    }
    for (i, (case, run)) in cases.iter().zip(&runs).enumerate() {
        comparison.rows.push(row(
            case,
            run,
            files.base_cases[i],
            files.head_cases[i],
            &files,
        ));
    }
    print!("{}", render_compare_table(&comparison));
    println!(
        "results: {} {} (render both with `contend report`)",
        base_path.display(),
        head_path.display()
    );
    if let Some(md) = &args.gate.markdown {
        write_output(md, &render_compare_markdown(&comparison))?;
    }
    write_output(
        &out.path(GATE_FILE),
        &gate_json(&comparison, &runs, elapsed),
    )?;
    Ok(ExitCode::from(comparison.exit_code() as u8))
}

fn percent(f: f64) -> String {
    let s = format!("{:.2}", f * 100.0);
    format!("{}%", s.trim_end_matches('0').trim_end_matches('.'))
}

fn describe_tool(t: &Tool) -> String {
    match &t.git_commit {
        Some(c) => format!("{} {} ({c})", t.name, t.version),
        None => format!("{} {}", t.name, t.version),
    }
}

fn write_json(path: &Path, results: &Results) -> Result<(), UsageError> {
    let json = serde_json::to_string_pretty(results).expect("results serialize");
    write_output(path, &json)
}

/// Both sides' results files, and which case index each A/B case became (if measured).
struct SideFiles {
    base: Results,
    head: Results,
    base_cases: Vec<Option<usize>>,
    head_cases: Vec<Option<usize>>,
}

impl SideFiles {
    fn build(
        runs: &[CaseRun<Measured>],
        plan: &Plan,
        argv: &[String],
        started_at: &str,
        head_think: u32,
    ) -> SideFiles {
        let side = |label: &str, pick: &dyn Fn(&(Measured, Measured)) -> &Measured, think: u32| {
            let first = runs.iter().flat_map(|r| r.pairs.first()).map(pick).next();
            let mut config = crate::run::config(plan);
            config.samples = runs.iter().map(|r| r.pairs.len()).max().unwrap_or(0) as u32;
            config.params.insert("think_work".into(), u64::from(think));
            let mut results = Results {
                schema_version: SCHEMA_VERSION,
                tool: first.map_or_else(crate::machine::tool, |m| m.results.tool.clone()),
                label: label.into(),
                command: argv.to_vec(),
                started_at: started_at.into(),
                config,
                machine: first.map_or_else(
                    || crate::machine::describe(Path::new(crate::machine::SYSFS_CPU)),
                    |m| m.results.machine.clone(),
                ),
                overhead: None,
                cases: Vec::new(),
                race_detection: None,
            };
            let mut index = Vec::new();
            for run in runs {
                if run.pairs.is_empty() {
                    index.push(None);
                    continue;
                }
                let singles: Vec<&Case> = run
                    .pairs
                    .iter()
                    .map(|p| &pick(p).results.cases[0])
                    .collect();
                index.push(Some(results.cases.len()));
                results.cases.push(crate::merge::merge_cases(&singles));
            }
            (results, index)
        };
        let (base, base_cases) = side("base", &|p| &p.0, plan.params.think_work);
        let (head, head_cases) = side("head", &|p| &p.1, head_think);
        SideFiles {
            base,
            head,
            base_cases,
            head_cases,
        }
    }
}

/// The table row of one A/B case: the stopping rule's verdict and estimate, and why.
fn row(
    case: &AbCase,
    run: &CaseRun<Measured>,
    base_index: Option<usize>,
    head_index: Option<usize>,
    files: &SideFiles,
) -> CaseComparison {
    let base = base_index.map(|i| &files.base.cases[i]);
    let head = head_index.map(|i| &files.head.cases[i]);
    let med = |c: Option<&Case>| {
        c.map(|c| median(&c.samples.iter().map(|s| s.throughput).collect::<Vec<_>>()))
    };
    let estimate = run.outcome.estimate().cloned();
    let mut notes = Vec::new();
    match &run.outcome {
        Outcome::NotComparable(why) => notes.push(why.clone()),
        Outcome::BudgetSpent { .. } => notes.push("time budget spent".into()),
        Outcome::Exhausted { .. } => notes.push("undecided at the last look".into()),
        Outcome::Decided { .. } => {}
    }
    if let Some(e) = &estimate
        && let (_, Some(why)) = e.judge(case.threshold)
    {
        notes.push(why);
    }
    notes.push(format!("{} pairs", run.pairs.len()));
    CaseComparison {
        key: case.key.clone(),
        verdict: run.outcome.verdict(),
        threshold: case.threshold,
        estimate,
        base_median: med(base),
        head_median: med(head),
        unit: head.or(base).map_or_else(String::new, |c| c.unit.clone()),
        p99_change: match (base, head) {
            (Some(b), Some(h)) if b.latency.p99 > 0 && h.latency.p99 > 0 => {
                Some(h.latency.p99 as f64 / b.latency.p99 as f64 - 1.0)
            }
            _ => None,
        },
        machines_differ: false,
        notes,
    }
}

/// Per-case verdicts as JSON (`ab-gate.json`), for scripts.
fn gate_json(c: &Comparison, runs: &[CaseRun<Measured>], elapsed: Duration) -> String {
    let rows: Vec<serde_json::Value> = c
        .rows
        .iter()
        .zip(runs)
        .map(|(r, run)| {
            let cv = |pick: fn(&(Measured, Measured)) -> &Measured| {
                let t: Vec<f64> = run
                    .pairs
                    .iter()
                    .map(|p| schedule::Throughput::throughput(pick(p)))
                    .collect();
                (t.len() >= 2).then(|| contend_reports::stats::summarize(&t).cv)
            };
            let e = r.estimate.as_ref();
            serde_json::json!({
                "key": r.key,
                "verdict": r.verdict.name(),
                "fails_gate": r.fails_gate(),
                "threshold": r.threshold,
                "pairs": run.pairs.len(),
                "ratio": e.map(|e| e.ratio),
                "interval": e.and_then(|e| e.interval).map(|(lo, hi)| vec![lo, hi]),
                "mdc": e.map(|e| if e.mdc.is_finite() { Some(e.mdc) } else { None }),
                "base_cv": cv(|p| &p.0),
                "head_cv": cv(|p| &p.1),
                "notes": r.notes,
            })
        })
        .collect();
    let counts: BTreeMap<&str, usize> = Verdict::ALL
        .iter()
        .map(|&v| (v.name(), c.count(v)))
        .collect();
    serde_json::to_string_pretty(&serde_json::json!({
        "exit_code": c.exit_code(),
        "confidence_per_look": c.confidence,
        "elapsed_s": elapsed.as_secs_f64(),
        "counts": counts,
        "cases": rows,
    }))
    .expect("json serializes")
}
