//! `contend run`: plan, describe the machine, run every case, write results after each one.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use contend_reports::schema::{Case, CaseStatus, Results, RunConfig, SCHEMA_VERSION};
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::RunArgs;
use crate::machine;
use crate::output::OutputDir;
use crate::plan::Plan;
use crate::results_dir::Destination;
use crate::runner::load::Rates;
use crate::runner::{CaseRequest, run_case};
use crate::table;
use crate::topology::cpu_order;

/// Whether a finished case should fail the run (exit code 1).
///
/// A deadlock-prone variant that the watchdog stopped behaved as expected and does not fail the run.
pub fn case_failed(case: &Case) -> bool {
    match case.status {
        CaseStatus::Ok => false,
        CaseStatus::Deadlocked { .. } => !case.expected_deadlock,
        _ => true,
    }
}

/// The plan's settings as recorded in the results.
pub(crate) fn config(plan: &Plan) -> RunConfig {
    RunConfig {
        workloads: plan
            .variants
            .iter()
            .map(|v| v.name)
            .chain(
                plan.primitives
                    .iter()
                    .flat_map(|p| p.selected.iter().map(|s| s.name)),
            )
            .map(String::from)
            .collect(),
        threads: plan.threads.clone(),
        placement: plan.placement.name().into(),
        samples: plan.timing.samples,
        forks: plan.forks,
        warmup_ms: plan.timing.warmup.as_millis() as u64,
        duration_ms: plan.timing.duration.as_millis() as u64,
        seed: plan.params.seed,
        quick: plan.quick,
        include_racy: plan.include_racy,
        params: [
            ("cs_work", u64::from(plan.params.cs_work)),
            ("think_work", u64::from(plan.params.think_work)),
            ("batch", u64::from(plan.params.batch)),
            ("capacity", plan.params.capacity as u64),
            ("payload_bytes", plan.params.payload_bytes as u64),
            ("task_work", u64::from(plan.params.task_work)),
            ("matrix_size", plan.params.matrix_size as u64),
        ]
        .into_iter()
        .chain(
            [
                ("producers", plan.params.producers),
                ("consumers", plan.params.consumers),
                ("in_flight", plan.params.in_flight),
            ]
            .into_iter()
            .filter_map(|(k, v)| Some((k, v? as u64))),
        )
        .map(|(k, v)| (k.to_string(), v))
        .collect(),
        mode: Some(plan.load.mode_name().into()),
        rates_per_s: match &plan.load.rates {
            Rates::PerSecond(r) => r.clone(),
            Rates::Fractions(_) => Vec::new(),
        },
    }
}

/// A results document for this machine and tool, with no cases yet.
pub fn new_results(label: Option<String>, argv: Vec<String>, config: RunConfig) -> Results {
    let machine = machine::describe(&machine::Roots::live());
    Results {
        schema_version: SCHEMA_VERSION,
        tool: machine::tool(),
        label: label.unwrap_or_else(|| machine.hostname.clone()),
        command: argv,
        started_at: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        config,
        machine,
        overhead: None,
        cases: Vec::new(),
        race_detection: None,
        primitives: None,
    }
}

/// The configuration of a results file that holds no measured cases (e.g. race detection only).
pub fn empty_config() -> RunConfig {
    RunConfig {
        workloads: Vec::new(),
        threads: Vec::new(),
        placement: "none".into(),
        samples: 0,
        forks: 1,
        warmup_ms: 0,
        duration_ms: 0,
        seed: 0,
        quick: false,
        include_racy: false,
        params: Default::default(),
        mode: None,
        rates_per_s: Vec::new(),
    }
}

/// Runs the suite described by `args`; `argv` is recorded in the results.
pub fn run(args: &RunArgs, argv: Vec<String>) -> anyhow::Result<ExitCode> {
    let available = machine::available_cpus();
    let plan = Plan::from_args(args, available.len())?;
    let fault = crate::fault::Fault::from_env().map_err(crate::error::UsageError::new)?;
    let mut results = new_results(plan.label.clone(), argv, config(&plan));
    let primitives = match &plan.primitives {
        Some(p) => Some((p, p.cpus(&results.machine.topology, &available)?)),
        None => None,
    };
    let steal = machine::RunSteal::start();
    let history = crate::history::for_run::prepare(args, &results.machine)?;
    let destination = Destination::choose(plan.out_dir.as_deref(), &results.label)?;
    let out = OutputDir::prepare(&destination.dir)?;
    crate::interrupt::install();

    let order = cpu_order(&results.machine.topology, &available, plan.placement);
    let bar = ProgressBar::new(plan.cases().len() as u64).with_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}")
            .expect("static template")
            .progress_chars("=> "),
    );
    if plan.measure_overhead {
        bar.set_message("measuring the harness's own overhead");
        let overhead_order = cpu_order(
            &results.machine.topology,
            &available,
            crate::topology::Placement::CoresFirst,
        );
        results.overhead = crate::overhead::measure(
            &overhead_order,
            available.len(),
            7,
            Duration::from_millis(60),
        );
    }

    if let Some((p, cpus)) = &primitives {
        let measured =
            crate::primitives::measure_in_run(p, cpus, &results.machine, plan.params.seed, &bar);
        results.primitives = Some(measured);
        out.write_results(&results)
            .context("writing the primitives' results")?;
    }
    if plan.forks > 1 {
        crate::forked_run::measure(args, &plan, &mut results, &out, &bar)?;
    } else {
        measure_in_process(
            &plan,
            &order,
            available.len(),
            fault,
            &mut results,
            &out,
            &bar,
        )?;
    }
    bar.finish_and_clear();
    results.machine.details.steal_over_run = steal.finish();
    if !results.cases.is_empty() || results.primitives.is_some() {
        out.write_results(&results)
            .context("writing the results' steal over the run")?;
    }

    if !results.cases.is_empty() || results.primitives.is_none() {
        crate::colour::print(&table::render(&results.cases));
    }
    if let Some(p) = &results.primitives {
        print!("{}", crate::primitives::summary::render(p));
    }
    if let Some(o) = &results.overhead {
        println!(
            "harness overhead: counter/atomic@1 through the runner runs at {:.1}% of a bare loop ({} vs {} ops/s)",
            o.ratio * 100.0,
            contend_reports::format::si(o.harness_ops_per_sec),
            contend_reports::format::si(o.bare_ops_per_sec)
        );
    }
    println!(
        "results: {}",
        out.path(crate::output::RESULTS_FILE).display()
    );
    if !results.cases.is_empty() || results.primitives.is_some() {
        let report = crate::report_cmd::write_report(
            std::slice::from_ref(&results),
            &out.path("report.html"),
        )?;
        println!("report:  {}", report.display());
    }
    if let Some((latest, report)) = destination
        .publish()
        .with_context(|| format!("pointing {} at the run", destination.dir.display()))?
    {
        println!(
            "latest:  {}{}",
            latest.display(),
            report.map_or(String::new(), |r| format!(
                " (newest report: {})",
                r.display()
            ))
        );
    }
    let interrupted = crate::interrupt::requested();
    let gate = match history {
        Some(h) => h.finish(
            &results,
            &out.path(crate::output::RESULTS_FILE),
            interrupted,
        )?,
        None => None,
    };
    if interrupted {
        eprintln!(
            "interrupted: the {} finished case(s) of {} are written above",
            results.cases.len(),
            plan.cases().len()
        );
        return Ok(ExitCode::from(crate::interrupt::EXIT_INTERRUPTED));
    }
    let failed = results.cases.iter().filter(|c| case_failed(c)).count();
    if failed > 0 {
        eprintln!(
            "error: {failed} case(s) failed validation or did not finish (see the check column)"
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::from(gate.unwrap_or(0)))
}

/// Runs every case of `plan` in this process, writing the results after each one.
fn measure_in_process(
    plan: &Plan,
    order: &[usize],
    available: usize,
    fault: Option<crate::fault::Fault>,
    results: &mut Results,
    out: &OutputDir,
    bar: &ProgressBar,
) -> anyhow::Result<()> {
    let results_path = out.path(crate::output::RESULTS_FILE);
    for (variant, threads) in plan.cases() {
        let name = format!("{}@{threads}", variant.name);
        bar.set_message(name.clone());
        let req = CaseRequest {
            variant,
            threads,
            placement: plan.placement,
            cpu_order: order,
            available_cpus: available,
            params: &plan.params,
            timing: &plan.timing,
            load: &plan.load,
        };
        if let Some(f) = fault {
            f.before_case();
        }
        if crate::interrupt::requested() {
            break;
        }
        let mut case = run_case(&req, &mut |done, total| {
            bar.set_message(format!("{name} sample {done}/{total}"))
        });
        if crate::interrupt::requested() && !case.status.is_ok() {
            break; // abandoned mid-case by Ctrl-C: not a result (a case that finished is kept)
        }
        if let Some(f) = fault {
            f.apply(&mut case);
        }
        case.cores_requested =
            crate::topology::physical_cores(&results.machine.topology, &case.cpus_requested);
        bar.suspend(|| {
            eprintln!(
                "{:<32} {:>10} {}/s  {}",
                name,
                contend_reports::format::si(case.throughput.median),
                case.unit,
                table::check_text(&case)
            )
        });
        results.cases.push(case);
        out.write_results(results)
            .with_context(|| format!("writing {}", results_path.display()))?;
        bar.inc(1);
    }
    Ok(())
}
