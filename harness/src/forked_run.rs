//! `contend run --forks K`: every case measured in K fresh processes, in a randomized,
//! interleaved order (round by round, each round a new shuffle of the cases), merged into one case
//! per variant@threads whose samples keep their fork id. The results file is rewritten after every
//! fork, so an interrupted run keeps every fork it finished.
//!
//! On VMs the host places vCPUs differently from process to process, so one process is one draw of
//! that placement: only several forks put the between-process variance into the results.

use anyhow::Context;
use contend_reports::compare::simulate::SplitMix64;
use contend_reports::schema::{Case, CaseStatus, Results};
use contend_workloads::VariantInfo;
use indicatif::ProgressBar;

use crate::cli::RunArgs;
use crate::fork::{ForkResult, case_args, run_fork, timeout};
use crate::output::OutputDir;
use crate::plan::Plan;

/// The order forks run in: `forks` rounds, each a seeded shuffle of the case indices.
pub fn fork_order(cases: usize, forks: u32, seed: u64) -> Vec<(usize, u32)> {
    let mut rng = SplitMix64::new(seed ^ 0xf0e4_c0de);
    let mut order = Vec::with_capacity(cases * forks as usize);
    for fork in 0..forks {
        let mut round: Vec<usize> = (0..cases).collect();
        for i in (1..round.len()).rev() {
            let j = (rng.next_u64() % (i as u64 + 1)) as usize;
            round.swap(i, j);
        }
        order.extend(round.into_iter().map(|c| (c, fork)));
    }
    order
}

/// What the forks of one case gave so far.
#[derive(Default)]
struct CaseForks {
    measured: Vec<Case>,
    broken: Vec<String>,
}

/// Measures every case of `plan` in `plan.forks` child processes of this binary and puts the
/// merged cases into `results` (rewritten to `out` after every fork).
pub fn measure(
    args: &RunArgs,
    plan: &Plan,
    results: &mut Results,
    out: &OutputDir,
    bar: &ProgressBar,
) -> anyhow::Result<()> {
    let binary = std::env::current_exe().context("cannot find the running binary")?;
    let cases = plan.cases();
    let scratch = out.path(&format!(".forks-{}", std::process::id()));
    let limit = timeout(plan);
    let mut forks: Vec<CaseForks> = cases.iter().map(|_| CaseForks::default()).collect();
    bar.set_length((cases.len() * plan.forks as usize) as u64);
    let results_path = out.path(crate::output::RESULTS_FILE);
    for (i, fork) in fork_order(cases.len(), plan.forks, plan.params.seed) {
        if crate::interrupt::requested() {
            break; // the forks measured so far are written; the rest never ran
        }
        let (variant, threads) = cases[i];
        let key = contend_reports::schema::case_key(variant.name, threads, plan.placement.name());
        bar.set_message(format!("{key} fork {}/{}", fork + 1, plan.forks));
        let child_args = case_args(args, plan, variant.name, threads);
        match run_fork(&binary, &child_args, &key, &scratch, limit) {
            ForkResult::Measured(r) => {
                let mut case = r.cases.into_iter().next().expect("one case");
                crate::merge::set_fork(&mut case, fork);
                forks[i].measured.push(case);
            }
            ForkResult::Idle { why, case } => {
                // Kept as measured: its zero is in the data for everyone to see.
                bar.suspend(|| eprintln!("{key} fork {}: {why}", fork + 1));
                let mut case = *case;
                crate::merge::set_fork(&mut case, fork);
                forks[i].measured.push(case);
            }
            ForkResult::Broken { why, case } => {
                bar.suspend(|| eprintln!("{key} fork {}: {why}", fork + 1));
                if let Some(mut case) = case.map(|c| *c) {
                    crate::merge::set_fork(&mut case, fork);
                    forks[i].measured.push(case);
                }
                forks[i].broken.push(format!("fork {}: {why}", fork + 1));
            }
            ForkResult::Rejected(why) => {
                let _ = std::fs::remove_dir_all(&scratch);
                anyhow::bail!("{key}: {why}");
            }
        }
        results.cases = cases
            .iter()
            .zip(&forks)
            .filter(|(_, f)| !f.measured.is_empty() || !f.broken.is_empty())
            .map(|(&(v, t), f)| merged(v, t, plan, f))
            .collect();
        out.write_results(results)
            .with_context(|| format!("writing {}", results_path.display()))?;
        bar.inc(1);
    }
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(())
}

/// One case from its forks: merged samples, and an error status naming the broken forks.
fn merged(v: &'static VariantInfo, threads: usize, plan: &Plan, f: &CaseForks) -> Case {
    let mut case = if f.measured.is_empty() {
        unmeasured(v, threads, plan)
    } else {
        crate::merge::merge_cases(&f.measured.iter().collect::<Vec<_>>())
    };
    if !f.broken.is_empty() && case.status == CaseStatus::Ok {
        case.status = CaseStatus::Error {
            message: f.broken.join("; "),
        };
    }
    case
}

/// A case no fork measured (every fork crashed or timed out): its identity, no samples.
fn unmeasured(v: &'static VariantInfo, threads: usize, plan: &Plan) -> Case {
    Case {
        status: CaseStatus::Error {
            message: "no fork finished".into(),
        },
        ..crate::runner::case_shell(v, threads, plan.placement, &plan.params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_case_gets_every_fork_once_in_shuffled_rounds() {
        let order = fork_order(5, 4, 7);
        assert_eq!(order.len(), 20);
        for fork in 0..4 {
            let mut round: Vec<usize> = order
                .iter()
                .filter(|(_, f)| *f == fork)
                .map(|(c, _)| *c)
                .collect();
            assert!(
                order[(fork as usize) * 5..(fork as usize + 1) * 5]
                    .iter()
                    .all(|(_, f)| *f == fork),
                "rounds do not mix: {order:?}"
            );
            round.sort_unstable();
            assert_eq!(round, vec![0, 1, 2, 3, 4]);
        }
        let firsts: Vec<usize> = (0..4).map(|f| order[f * 5].0).collect();
        assert!(
            firsts.windows(2).any(|w| w[0] != w[1]),
            "rounds are shuffled differently: {order:?}"
        );
        assert_eq!(
            order,
            fork_order(5, 4, 7),
            "the order is reproducible from the seed"
        );
    }
}
