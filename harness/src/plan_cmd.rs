//! `contend plan`: the CPU and physical core each thread of a case would be pinned to, on this
//! machine or on a sysfs tree, without running anything.

use std::path::Path;
use std::process::ExitCode;

use contend_reports::schema::CoreId;

use crate::cli::PlanArgs;
use crate::error::UsageError;
use crate::topology::{Placement, SysTree, assign, cpu_order, physical_cores, read_topology};

/// One thread of a planned case.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
struct Slot {
    thread: usize,
    cpu: Option<usize>,
    core: Option<CoreId>,
}

/// A planned case: its worker threads' slots.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
struct CasePlan {
    threads: usize,
    /// More workers than available CPUs: threads share CPUs.
    oversubscribed: bool,
    /// Workers on the same physical core as an earlier worker (SMT siblings or a shared CPU).
    sharing_a_core: usize,
    workers: Vec<Slot>,
}

/// The plan for every thread count of `threads` on `tree`.
fn plan_cases(tree: &SysTree, placement: Placement, threads: &[usize]) -> Vec<CasePlan> {
    let order = cpu_order(&tree.topology, &tree.available, placement);
    threads
        .iter()
        .map(|&n| {
            let cpus = assign(&order, n);
            let cores = physical_cores(&tree.topology, &cpus);
            let sharing_a_core = (0..n)
                .filter(|&i| cores[i].is_some() && cores[..i].contains(&cores[i]))
                .count();
            CasePlan {
                threads: n,
                oversubscribed: n > tree.available.len(),
                sharing_a_core,
                workers: cpus
                    .into_iter()
                    .zip(cores)
                    .enumerate()
                    .map(|(thread, (cpu, core))| Slot { thread, cpu, core })
                    .collect(),
            }
        })
        .collect()
}

fn slot_text(s: &Slot) -> String {
    match (s.cpu, s.core) {
        (Some(cpu), Some(c)) => format!("#{} cpu {cpu} (p{} c{})", s.thread, c.package, c.core),
        (Some(cpu), None) => format!("#{} cpu {cpu}", s.thread),
        (None, _) => format!("#{} unpinned", s.thread),
    }
}

fn render(source: &str, tree: &SysTree, placement: Placement, cases: &[CasePlan]) -> String {
    let (cores, packages) = crate::topology::count_cores_and_packages(&tree.topology);
    let mut out = format!(
        "placement {} on {source}: {} CPU(s) available of {} online, {cores} core(s), {packages} package(s)\n",
        placement.name(),
        tree.available.len(),
        tree.topology.len()
    );
    for c in cases {
        let mut flags = Vec::new();
        if c.sharing_a_core > 0 {
            flags.push(format!("{} share a core", c.sharing_a_core));
        }
        if c.oversubscribed {
            flags.push("oversubscribed".to_string());
        }
        let slots: Vec<String> = c.workers.iter().map(slot_text).collect();
        out.push_str(&format!(
            "{:>4} thread(s): {}{}\n",
            c.threads,
            slots.join("  "),
            if flags.is_empty() {
                String::new()
            } else {
                format!("  [{}]", flags.join(", "))
            }
        ));
    }
    out.push_str(
        "helper threads (an actor's owner, a pool's submitter) take the next CPUs in the same order\n",
    );
    out
}

pub fn plan(args: &PlanArgs) -> anyhow::Result<ExitCode> {
    let (source, tree) = match &args.sysfs {
        Some(dir) => (
            dir.display().to_string(),
            crate::topology::read_tree(dir).map_err(|e| UsageError::new(format!("--sysfs {e}")))?,
        ),
        None => (
            "this machine".to_string(),
            SysTree {
                topology: read_topology(Path::new(crate::machine::SYSFS_CPU)),
                available: crate::machine::available_cpus(),
            },
        ),
    };
    if tree.available.is_empty() {
        return Err(UsageError::new(format!("{source}: no CPU available")).into());
    }
    let threads = match &args.threads {
        Some(spec) => crate::plan::parse_threads(spec, tree.available.len())?,
        None => crate::plan::default_threads(tree.available.len()),
    };
    let cases = plan_cases(&tree, args.placement, &threads);
    if args.json {
        let json = serde_json::json!({
            "source": source,
            "placement": args.placement.name(),
            "available_cpus": tree.available,
            "order": cpu_order(&tree.topology, &tree.available, args.placement),
            "cases": cases,
        });
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        print!("{}", render(&source, &tree, args.placement, &cases));
    }
    Ok(ExitCode::SUCCESS)
}
