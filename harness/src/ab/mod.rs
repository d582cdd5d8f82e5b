//! `contend ab`: interleaved A/B of a base build's binary against a head build's, case by case:
//! each pair is one fork (fresh process) of each side, back to back, the order alternating
//! ([`sampler`]); pairs are taken adaptively until each case decides or the budget is spent
//! ([`schedule`]); the results are written as aligned results files ([`output`]).

pub mod output;
pub mod sampler;
pub mod schedule;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use contend_reports::compare::{
    Comparison, FailOn, Method, StoppingRule, render_compare_markdown, render_compare_table,
};
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::{AbArgs, RunArgs};
use crate::error::UsageError;
use crate::fork::case_args;
use crate::plan::Plan;
use crate::report_cmd::write_output;
use output::{SideFiles, describe_tool, gate_json, percent, row, write_json};
use sampler::{AbCase, Side};
use schedule::{CaseRun, Event, PairResult};

/// Files `contend ab` writes into `--out`.
pub const BASE_FILE: &str = "ab-base.json";
pub const HEAD_FILE: &str = "ab-head.json";
/// Per-case verdicts as JSON, for scripts (e.g. the gate's calibration).
pub const GATE_FILE: &str = "ab-gate.json";

/// Default time budget: 3 minutes for the quick suite, 10 otherwise.
fn default_budget(quick: bool) -> Duration {
    Duration::from_secs(if quick { 180 } else { 600 })
}

/// An existing executable file, canonicalized; the error names the option.
fn executable(path: &Path, option: &str) -> Result<PathBuf, UsageError> {
    let found = std::fs::canonicalize(path)
        .ok()
        .filter(|p| p.is_file())
        .ok_or_else(|| {
            UsageError::new(format!(
                "{option} {}: no such file (give a build's contend binary)",
                path.display()
            ))
        })?;
    if !crate::platform::is_executable(&found) {
        return Err(UsageError::new(format!(
            "{option} {}: not executable",
            path.display()
        )));
    }
    Ok(found)
}

/// A calibration knob of the head (`--head-think-work`, `--head-cs-work`): its value per case key
/// (`variant@threads`), or one for all; cases not named keep the run's value.
fn head_knob(
    flag: &str,
    spec: Option<&str>,
    default: u32,
) -> Result<impl Fn(&str) -> u32 + use<>, UsageError> {
    let bad = |why: String| UsageError::new(format!("{flag} {spec:?}: {why}"));
    let mut all = default;
    let mut per_case: BTreeMap<String, u32> = BTreeMap::new();
    if let Some(spec) = spec {
        if let Ok(n) = spec.parse::<u32>() {
            all = n;
        } else {
            for item in spec.split(',') {
                let (key, n) = item
                    .split_once('=')
                    .ok_or_else(|| bad(format!("{item:?} is not VARIANT@THREADS=N")))?;
                let n = n
                    .trim()
                    .parse::<u32>()
                    .map_err(|e| bad(format!("{item:?}: {e}")))?;
                per_case.insert(key.trim().to_string(), n);
            }
        }
    }
    Ok(move |variant_threads: &str| per_case.get(variant_threads).copied().unwrap_or(all))
}

/// The plan's cases as A/B cases: each side's `run` options for one fork of the case.
fn ab_cases(
    args: &AbArgs,
    plan: &Plan,
    per_fork: &RunArgs,
    fork_plan: &Plan,
    opts_threshold: impl Fn(&str) -> f64,
) -> anyhow::Result<Vec<AbCase>> {
    let think = head_knob(
        "--head-think-work",
        args.head_think_work.as_deref(),
        args.run.think_work,
    )?;
    let cs = head_knob(
        "--head-cs-work",
        args.head_cs_work.as_deref(),
        args.run.cs_work,
    )?;
    Ok(plan
        .cases()
        .into_iter()
        .map(|(variant, threads)| {
            let key =
                contend_reports::schema::case_key(variant.name, threads, plan.placement.name());
            let base_args = case_args(per_fork, fork_plan, variant.name, threads);
            let variant_threads = format!("{}@{threads}", variant.name);
            let head_args = RunArgs {
                think_work: think(&variant_threads),
                cs_work: cs(&variant_threads),
                ..base_args.clone()
            };
            AbCase {
                threshold: opts_threshold(&key),
                key,
                base_args,
                head_args,
                head_scale: args.head_scale_throughput.unwrap_or(1.0),
            }
        })
        .collect())
}

/// Runs the A/B described by `args`; `argv` is recorded in both results files.
pub fn ab(args: &AbArgs, argv: Vec<String>) -> anyhow::Result<ExitCode> {
    let setup = prepare(args)?;
    let started_at = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let start = Instant::now();
    let runs = measure(&setup);
    let _ = std::fs::remove_dir_all(&setup.work);
    let runs = runs?;
    report(args, &setup, &runs, (&argv, &started_at, start.elapsed()))
}

/// Everything an A/B needs, checked before anything is measured.
struct Setup {
    plan: Plan,
    cases: Vec<AbCase>,
    base: Side,
    head: Side,
    /// Scratch folder of the forks (removed at the end).
    work: PathBuf,
    out: crate::output::OutputDir,
    budget: Duration,
    /// Per fork: killed after this long.
    timeout: Duration,
    rule: StoppingRule,
    fail_on: FailOn,
}

/// Default warm-up and window of one fork of the gate (`--warmup` / `--duration` override them).
/// The process, not the window, is the unit of variance on these VMs, so shorter forks buy more
/// pairs for the same budget: measured on the 2-vCPU VM, an A/A run of the quick suite at 3 min
/// took 1363 pairs with 20 ms + 30 ms forks against 715 with the quick run's 50 ms + 50 ms, and
/// 27 of 34 cases decided against 21.
pub const FORK_WARMUP: Duration = Duration::from_millis(20);
pub const FORK_WINDOW: Duration = Duration::from_millis(30);

/// Checks the arguments and both binaries, and builds the cases (bad input: a `UsageError`).
fn prepare(args: &AbArgs) -> anyhow::Result<Setup> {
    if args.run.forks != 1 {
        return Err(UsageError::new(
            "--forks: contend ab chooses the number of forks itself (see --budget)",
        )
        .into());
    }
    if args.run.label.is_some() {
        return Err(UsageError::new("--label: contend ab labels its sides base and head").into());
    }
    let base_bin = executable(&args.base, "--base")?;
    let head_bin = match &args.head {
        Some(h) => executable(h, "--head")?,
        None => std::env::current_exe()
            .map_err(|e| UsageError::new(format!("cannot find the running binary: {e}")))?,
    };
    let opts = crate::compare_cmd::options(
        &args.gate.threshold,
        args.gate.confidence,
        args.gate.config.as_deref(),
    )?;
    let plan = Plan::from_args(&args.run, crate::machine::available_cpus().len())?;
    if plan.primitives.is_some() {
        return Err(UsageError::new(
            "--workloads primitives: contend ab compares cases; contend run measures the primitives",
        )
        .into());
    }
    // One fork of a case: the same options, `--samples` per fork (default 1), and short windows
    // unless given (see FORK_WARMUP).
    // The gate compares saturated throughput: a fork runs no latency sweep.
    if args.run.mode == crate::cli::Mode::Latency || !args.run.rate.is_empty() {
        return Err(UsageError::new(
            "--mode latency / --rate: contend ab compares throughput (its forks run --mode throughput)",
        )
        .into());
    }
    if args.run.history.is_some()
        || args.run.no_history
        || args.run.save_baseline.is_some()
        || args.run.baseline.is_some()
    {
        return Err(UsageError::new(
            "--history / --no-history / --save-baseline / --baseline: contend ab records no \
             history (they apply to contend run)",
        )
        .into());
    }
    let per_fork = RunArgs {
        mode: crate::cli::Mode::Throughput,
        samples: Some(args.run.samples.unwrap_or(1)),
        warmup: Some(args.run.warmup.unwrap_or(FORK_WARMUP)),
        duration: Some(args.run.duration.unwrap_or(FORK_WINDOW)),
        ..args.run.clone()
    };
    let fork_plan = Plan::from_args(&per_fork, crate::machine::available_cpus().len())?;
    let cases = ab_cases(args, &plan, &per_fork, &fork_plan, |key| {
        opts.thresholds.for_key(key)
    })?;
    let destination = crate::results_dir::Destination::choose(plan.out_dir.as_deref(), "ab")?;
    let out = crate::output::OutputDir::prepare(&destination.dir)?;
    let work = out.path(&format!(".ab-work-{}", std::process::id()));
    let side = |name: &'static str, binary: PathBuf| Side {
        name,
        binary,
        scratch: work.join(name),
    };
    let (base, head) = (side("base", base_bin), side("head", head_bin));
    // Both builds must understand every option the cases use, before anything is measured.
    for (side, args) in [(&base, &cases[0].base_args), (&head, &cases[0].head_args)] {
        let argv = crate::forward::to_argv(args);
        if let Err(why) = crate::forward::check_understood(&side.binary, &argv, &work.join("help"))
        {
            let _ = std::fs::remove_dir_all(&work);
            return Err(UsageError::new(format!("{}: {why}", side.name)).into());
        }
    }
    Ok(Setup {
        budget: args.budget.unwrap_or_else(|| default_budget(plan.quick)),
        timeout: crate::fork::timeout(&fork_plan),
        rule: StoppingRule {
            confidence: opts.confidence,
            family: cases.len(),
            max_pairs: args.max_pairs,
            ..StoppingRule::default()
        },
        fail_on: args.gate.fail_on.into(),
        plan,
        cases,
        base,
        head,
        work,
        out,
    })
}

/// Samples pairs until every case decides, the budget is spent or Ctrl-C; progress on stderr.
fn measure(setup: &Setup) -> Result<Vec<CaseRun<sampler::Measured>>, UsageError> {
    let Setup {
        cases,
        base,
        head,
        budget,
        timeout,
        rule,
        ..
    } = setup;
    let (budget, timeout) = (*budget, *timeout);
    let start = Instant::now();
    let bar = ProgressBar::new(budget.as_secs().max(1)).with_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} budget {msg}")
            .expect("static template")
            .progress_chars("=> "),
    );
    let budget_label = humantime::format_duration(Duration::from_secs(budget.as_secs()));
    let thresholds: Vec<f64> = cases.iter().map(|c| c.threshold).collect();
    crate::interrupt::install();
    let mut idle = vec![sampler::Idle::default(); cases.len()];
    let result = schedule::run(
        rule,
        &thresholds,
        |i, _pair, order| {
            let r = sampler::pair(&cases[i], base, head, order, timeout, &mut idle[i])?;
            if let PairResult::Discard { why, .. } | PairResult::Retry(why) = &r {
                bar.suspend(|| eprintln!("{}: pair measured again, {why}", cases[i].key));
            }
            Ok::<_, UsageError>(r)
        },
        || start.elapsed() < budget && !crate::interrupt::requested(),
        |event| {
            bar.set_position(start.elapsed().as_secs().min(budget.as_secs()));
            match event {
                Event::Round { undecided, look } => bar.set_message(format!(
                    "{budget_label}: {undecided} case(s) undecided, sampling up to {look} pairs"
                )),
                Event::Pair {
                    case,
                    pairs,
                    target,
                } => bar.set_message(format!(
                    "{budget_label}: {} pair {pairs}/{target}",
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
    result
}

/// Writes both sides' results, the verdicts (table, Markdown, `ab-gate.json`) and returns the
/// exit code: the gate's, or 130 after Ctrl-C.
fn report(
    args: &AbArgs,
    setup: &Setup,
    runs: &[CaseRun<sampler::Measured>],
    (argv, started_at, elapsed): (&[String], &str, Duration),
) -> anyhow::Result<ExitCode> {
    let Setup {
        plan,
        cases,
        out,
        budget,
        rule,
        fail_on,
        ..
    } = setup;
    let files = SideFiles::build(runs, plan, argv, started_at);
    let base_path = out.path(BASE_FILE);
    let head_path = out.path(HEAD_FILE);
    write_json(&base_path, &files.base)?;
    write_json(&head_path, &files.head)?;

    let dropped: usize = runs.iter().map(|r| r.dropped.len()).sum();
    let kept: usize = runs.iter().map(|r| r.kept_disturbed).sum();
    let mut comparison = Comparison {
        method: Method::Paired,
        confidence: rule.per_look_confidence(),
        change_confidence: rule.change_rule().per_look_confidence(),
        machines_differ: false,
        notes: vec![
            format!(
                "interleaved A/B on one machine, one fresh process (fork) per side and pair, order \
                 alternating (A B, B A); looks at {:?} pairs at {} confidence each, {} over all \
                 looks (sign-test intervals); budget {} ({} used)",
                rule.looks(),
                rule.look_confidences()
                    .iter()
                    .map(|&c| percent(c))
                    .collect::<Vec<_>>()
                    .join(" / "),
                percent(rule.confidence),
                humantime::format_duration(*budget),
                humantime::format_duration(Duration::from_secs(elapsed.as_secs()))
            ),
            format!(
                "regressed and improved need the change interval: looks at {:?} pairs at {} \
                 confidence each, {} over all looks, so that a run of {} case(s) where nothing \
                 changed calls any case regressed or improved with probability at most {}",
                rule.change_looks(),
                rule.change_rule()
                    .look_confidences()
                    .iter()
                    .map(|&c| percent(c))
                    .collect::<Vec<_>>()
                    .join(" / "),
                percent(rule.change_rule().confidence),
                rule.family,
                percent(1.0 - rule.confidence)
            ),
            format!(
                "{dropped} pair(s) dropped and measured again (a member disturbed, or a first fork with no work); \
                 {kept} disturbed pair(s) kept after a case used its drops"
            ),
            format!(
                "base {}, head {}",
                describe_tool(&files.base.tool),
                describe_tool(&files.head.tool)
            ),
        ],
        rows: Vec::new(),
    };
    if crate::interrupt::requested() {
        comparison.notes.push(
            "interrupted (Ctrl-C): undecided cases were analysed with the pairs measured so far"
                .into(),
        );
    }
    if cases
        .iter()
        .any(|c| c.head_args.think_work != c.base_args.think_work)
    {
        comparison.notes.push(format!(
            "calibration: the head runs with more --think-work than the base ({})",
            args.run.think_work
        ));
    }
    for (i, (case, run)) in cases.iter().zip(runs).enumerate() {
        comparison.rows.push(row(case, run, i, &files));
    }
    crate::colour::print(&render_compare_table(&comparison));
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
        &gate_json(&comparison, runs, elapsed, *fail_on, rule),
    )?;
    if crate::interrupt::requested() {
        eprintln!("interrupted: the pairs measured so far are analysed and written above");
        return Ok(ExitCode::from(crate::interrupt::EXIT_INTERRUPTED));
    }
    Ok(ExitCode::from(comparison.exit_code_with(*fail_on) as u8))
}
