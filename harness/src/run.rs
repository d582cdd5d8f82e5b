//! `contend run`: plan, describe the machine, run every case, write results after each one.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use contend_reports::schema::{Case, CaseStatus, Results, RunConfig, SCHEMA_VERSION};
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::RunArgs;
use crate::machine::{self, SYSFS_CPU};
use crate::output::OutputDir;
use crate::plan::Plan;
use crate::runner::{CaseRequest, run_case};
use crate::table;
use crate::topology::cpu_order;

/// Whether a finished case should fail the run (exit code 1).
pub fn case_failed(case: &Case) -> bool {
    !matches!(case.status, CaseStatus::Ok)
}

/// The plan's settings as recorded in the results.
pub(crate) fn config(plan: &Plan) -> RunConfig {
    RunConfig {
        workloads: plan.variants.iter().map(|v| v.name.to_string()).collect(),
        threads: plan.threads.clone(),
        placement: plan.placement.name().into(),
        samples: plan.timing.samples,
        warmup_ms: plan.timing.warmup.as_millis() as u64,
        duration_ms: plan.timing.duration.as_millis() as u64,
        seed: plan.params.seed,
        quick: plan.quick,
        include_racy: plan.include_racy,
        params: [
            ("cs_work", u64::from(plan.params.cs_work)),
            ("think_work", u64::from(plan.params.think_work)),
            ("batch", u64::from(plan.params.batch)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect(),
    }
}

/// Runs the suite described by `args`; `argv` is recorded in the results.
pub fn run(args: &RunArgs, argv: Vec<String>) -> anyhow::Result<ExitCode> {
    let available = machine::available_cpus();
    let plan = Plan::from_args(args, available.len())?;
    let out = OutputDir::prepare(&plan.out_dir)?;
    let machine = machine::describe(std::path::Path::new(SYSFS_CPU));
    let order = cpu_order(&machine.topology, &available, plan.placement);

    let mut results = Results {
        schema_version: SCHEMA_VERSION,
        tool: machine::tool(),
        label: plan
            .label
            .clone()
            .unwrap_or_else(|| machine.hostname.clone()),
        command: argv,
        started_at: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        config: config(&plan),
        machine,
        overhead: None,
        cases: Vec::new(),
        race_detection: None,
    };

    let cases = plan.cases();
    let bar = ProgressBar::new(cases.len() as u64).with_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}")
            .expect("static template")
            .progress_chars("=> "),
    );
    if plan.measure_overhead {
        bar.set_message("measuring the harness's own overhead");
        let overhead_order = cpu_order(
            &results.machine.topology,
            &available,
            crate::topology::Placement::Compact,
        );
        results.overhead = crate::overhead::measure(
            &overhead_order,
            available.len(),
            7,
            Duration::from_millis(60),
        );
    }

    let results_path = out.path(crate::output::RESULTS_FILE);
    for (variant, threads) in cases {
        let name = format!("{}@{threads}", variant.name);
        bar.set_message(name.clone());
        let req = CaseRequest {
            variant,
            threads,
            placement: plan.placement,
            cpu_order: &order,
            available_cpus: available.len(),
            params: &plan.params,
            timing: &plan.timing,
        };
        let case = run_case(&req, &mut |done, total| {
            bar.set_message(format!("{name} sample {done}/{total}"))
        });
        bar.suspend(|| {
            eprintln!(
                "{:<32} {:>10} {}/s  {}",
                name,
                table::si(case.throughput.median),
                case.unit,
                table::check_text(&case)
            )
        });
        results.cases.push(case);
        out.write_results(&results)
            .with_context(|| format!("writing {}", results_path.display()))?;
        bar.inc(1);
    }
    bar.finish_and_clear();

    print!("{}", table::render(&results.cases));
    if let Some(o) = &results.overhead {
        println!(
            "harness overhead: counter/atomic@1 through the runner runs at {:.1}% of a bare loop ({} vs {} ops/s)",
            o.ratio * 100.0,
            table::si(o.harness_ops_per_sec),
            table::si(o.bare_ops_per_sec)
        );
    }
    println!("results: {}", results_path.display());
    let failed = results.cases.iter().filter(|c| case_failed(c)).count();
    if failed > 0 {
        eprintln!(
            "error: {failed} case(s) failed validation or did not finish (see the check column)"
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
