//! `contend tsan` on the workloads: contend rebuilt with TSan, each selected variant run in its own
//! `contend run` process with small sizes, racy and deadlock-prone variants included.

use std::path::Path;

use anyhow::Context;
use contend_workloads::{Family, VariantInfo};

use super::verdict::{Expect, RunOutcome};
use super::{
    Examined, TSAN_EXIT, Toolchain, TsanArgs, build, detection, judge_target, parse_reports,
    process, suppressed_matches, tsan_options, unseen_check, workspace_root,
};
use crate::error::UsageError;

/// The deadlock family's run under TSan: one 400 ms sample with a think of 400 million busy
/// iterations (about 0.7 s here) after each transfer, a quarter of which the workers paying from
/// account 1 spend before their first. Each worker then makes exactly one transfer, a quarter of a
/// think apart: both lock orders are taken (the inversion TSan reports) but never at the same time,
/// so the run cannot deadlock, however long TSan takes to print the report. This holds while a
/// think lasts between 0.4 s and 1.6 s.
const DEADLOCK_RUN: [&str; 6] = [
    "--samples",
    "1",
    "--duration",
    "400ms",
    "--think-work",
    "400000000",
];
/// The racy matmul variant's run under TSan: one sample, n = 72 (two work units of up to 64
/// columns, so two threads still race on C). Every racing write of its loop costs TSan a stack
/// restoration: at n = 128 a run took about 20 s, here about 4.
const RACY_MATMUL_RUN: [&str; 6] = [
    "--samples",
    "1",
    "--duration",
    "30ms",
    "--matrix-size",
    "72",
];
/// Every other family's run under TSan: two samples of 30 ms.
const SMALL_RUN: [&str; 4] = ["--samples", "2", "--duration", "30ms"];

/// The variants to examine and what each should produce: the race-detection selection, plus the
/// deadlock-prone variants whenever the deadlock family is in scope.
fn targets(names: &[String]) -> Result<Vec<(&'static VariantInfo, Expect)>, UsageError> {
    let mut chosen = crate::plan::select_for_race_detection(names)?;
    let deadlock_in_scope = names.iter().all(|n| n.trim().is_empty())
        || names.iter().any(|n| n.trim() == Family::Deadlock.name());
    if deadlock_in_scope {
        for v in Family::Deadlock.variants().filter(|v| v.expected_deadlock) {
            if !chosen.iter().any(|c| c.name == v.name) {
                chosen.push(v);
            }
        }
    }
    // Catalog order.
    Ok(contend_workloads::catalog()
        .filter_map(|v| chosen.iter().find(|c| c.name == v.name))
        .map(|v| {
            let expect = if v.expected_deadlock {
                Expect::LockOrderInversion
            } else if v.expected_race {
                Expect::Race
            } else {
                Expect::Clean
            };
            (*v, expect)
        })
        .collect())
}

/// Arguments that keep an instrumented run of `variant` small (TSan costs 5-15x time, ~4x memory).
fn small_run_args(variant: &VariantInfo, seed: u64) -> Vec<String> {
    let racy_matmul = variant.family == Family::Matmul && variant.expected_race;
    let size: &[&str] = match variant.family {
        Family::Deadlock => &DEADLOCK_RUN,
        _ if racy_matmul => &RACY_MATMUL_RUN,
        _ => &SMALL_RUN,
    };
    let mut args: Vec<String> = size
        .iter()
        .chain(&["--warmup", "0s", "--no-overhead", "--stall-timeout", "20s"])
        .map(|s| s.to_string())
        .collect();
    args.extend(["--seed".to_string(), seed.to_string()]);
    if !racy_matmul {
        args.extend(crate::plan::tsan_scaled_params(variant));
    }
    args
}

/// Whether the run in `out_dir` had a case the watchdog declared deadlocked.
fn deadlocked(out_dir: &Path) -> bool {
    contend_reports::schema::read_results(&out_dir.join(crate::output::RESULTS_FILE)).is_ok_and(
        |r| {
            r.cases.iter().any(|c| {
                matches!(
                    c.status,
                    contend_reports::schema::CaseStatus::Deadlocked { .. }
                )
            })
        },
    )
}

pub(super) fn examine(toolchain: &Toolchain, args: &TsanArgs) -> anyhow::Result<Examined> {
    let root = workspace_root()?;
    let variants = targets(&args.workloads)?;
    let target_dir = args
        .target_dir
        .clone()
        .unwrap_or_else(|| root.join("target").join("tsan").join(toolchain.lane.name()));
    let mut cmd = toolchain.cargo("build", &target_dir);
    cmd.args(["--release", "-p", "contend", "--manifest-path"])
        .arg(root.join("Cargo.toml"));
    build(cmd, &target_dir.join("build.log"), "contend")?;
    let binary = target_dir
        .join(toolchain.lane.target())
        .join("release")
        .join("contend");
    let (options, suppressions) = tsan_options(toolchain, args, &target_dir, None)?;
    let scratch = target_dir.join("runs");
    let root_text = root.display().to_string();
    let unseen = unseen_check(toolchain, &root);
    let runs = process::Runs {
        base: args.runs,
        extra: args.extra_runs,
    };

    let mut targets = Vec::new();
    let mut findings = Vec::new();
    for (v, expect) in variants {
        let command = |out_dir: &Path, schedule: &super::schedule::Schedule| {
            let mut cmd = std::process::Command::new(&binary);
            cmd.args([
                "run",
                "--workloads",
                v.name,
                "--threads",
                &args.threads.to_string(),
                "--out",
            ])
            .arg(out_dir)
            .args(small_run_args(v, schedule.seed()))
            .env("TSAN_OPTIONS", &options);
            cmd
        };
        let outcome = |finished: &process::Finished, out_dir: &Path| RunOutcome {
            error: process::abnormal(finished, &[0, TSAN_EXIT], args.timeout).or_else(|| {
                deadlocked(out_dir).then(|| "deadlocked (the watchdog ended the case)".to_string())
            }),
            suppressed: suppressed_matches(&finished.stderr),
            ..RunOutcome::sorted(parse_reports(&finished.stderr, &root_text), &unseen)
        };
        let dir = scratch.join(v.name.replace('/', "-"));
        let outcomes = process::repeat(v.name, runs, &dir, args.timeout, command, outcome)
            .with_context(|| format!("cannot run {}", binary.display()))?;
        targets.push(judge_target(
            v.name,
            expect,
            &outcomes,
            (&mut findings, &root),
        ));
    }
    Ok(Examined {
        detection: detection(
            toolchain,
            (options, suppressions),
            "contend workloads".into(),
            args.threads,
            args.runs,
            targets,
        ),
        findings,
        project: root,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deadlock_prone_variant_joins_when_its_family_is_in_scope() {
        let all = targets(&[]).unwrap();
        let naive = all
            .iter()
            .find(|(v, _)| v.name == "deadlock/naive-locks")
            .expect("naive-locks examined by default");
        assert_eq!(naive.1, Expect::LockOrderInversion);
        assert!(
            all.iter()
                .any(|(v, e)| v.name == "counter/racy" && *e == Expect::Race)
        );
        let ordered = all
            .iter()
            .find(|(v, _)| v.name == "deadlock/ordered-locks")
            .unwrap();
        assert_eq!(ordered.1, Expect::Clean);
        let counter = targets(&["counter".into()]).unwrap();
        assert!(counter.iter().all(|(v, _)| v.family == Family::Counter));
        assert!(small_run_args(naive.0, 3).contains(&"--think-work".to_string()));
    }
}
