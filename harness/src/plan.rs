//! Turns raw command-line arguments into a validated plan; everything after works on the plan.

use std::path::PathBuf;
use std::time::Duration;

use contend_workloads::{Family, Params, VariantInfo, catalog, find_variant};

use crate::cli::{Mode, RunArgs};
use crate::error::UsageError;
use crate::primitives::PrimitivesPlan;
use crate::runner::Timing;
use crate::runner::load::{DEFAULT_FRACTIONS, LoadPlan, Rates};
use crate::topology::Placement;

/// More forks than this per case is a typo, not an experiment.
pub const MAX_FORKS: u32 = 10_000;

/// More threads than this in one case is a typo, not an experiment.
pub const MAX_THREADS: usize = 1024;

/// A validated run.
#[derive(Debug, Clone)]
pub struct Plan {
    pub variants: Vec<&'static VariantInfo>,
    pub threads: Vec<usize>,
    pub placement: Placement,
    pub timing: Timing,
    pub params: Params,
    /// `--out`: exactly where the files go (`None`: a new run folder, see `results_dir`).
    pub out_dir: Option<PathBuf>,
    pub quick: bool,
    pub include_racy: bool,
    pub label: Option<String>,
    pub measure_overhead: bool,
    /// Fresh processes per case (`--forks`); 1 runs every case in this process.
    pub forks: u32,
    /// The queue family's modes (`--mode`, `--rate`).
    pub load: LoadPlan,
    /// The `primitives` family, when selected (measured once, by this process).
    pub primitives: Option<PrimitivesPlan>,
}

impl Plan {
    /// Validates `args` for a process that may use `available_cpus` CPUs.
    pub fn from_args(args: &RunArgs, available_cpus: usize) -> Result<Plan, UsageError> {
        let threads = match &args.threads {
            Some(spec) => parse_threads(spec, available_cpus)?,
            None => default_threads(available_cpus),
        };
        let (samples, warmup, duration) = if args.quick {
            (5, Duration::from_millis(50), Duration::from_millis(50))
        } else {
            (10, Duration::from_millis(100), Duration::from_millis(130))
        };
        let samples = args.samples.unwrap_or(samples);
        if samples == 0 {
            return Err(UsageError::new("--samples must be at least 1"));
        }
        let duration = args.duration.unwrap_or(duration);
        if duration.is_zero() {
            return Err(UsageError::new("--duration must be longer than 0"));
        }
        if args.stall_timeout.is_zero() {
            return Err(UsageError::new("--stall-timeout must be longer than 0"));
        }
        if args.forks == 0 {
            return Err(UsageError::new(
                "--forks must be at least 1 (1 runs every case in this process)",
            ));
        }
        if args.forks > MAX_FORKS {
            return Err(UsageError::new(format!(
                "--forks {}: at most {MAX_FORKS}",
                args.forks
            )));
        }
        let params = params_from_args(args, &threads)?;
        let (primitives, rest) = primitives_plan(args)?;
        let only_primitives = rest.iter().all(|n| n.trim().is_empty());
        let variants = match (&primitives, only_primitives) {
            (Some(_), true) => Vec::new(),
            _ => select_variants(&rest, args.include_racy)?,
        };
        let (variants, load) = load_plan(args, variants)?;
        Ok(Plan {
            load,
            threads,
            placement: args.placement,
            timing: Timing {
                warmup: args.warmup.unwrap_or(warmup),
                samples,
                duration,
                stall_timeout: args.stall_timeout,
            },
            params,
            out_dir: args.out.clone(),
            quick: args.quick,
            include_racy: args.include_racy,
            label: args.label.clone(),
            // The overhead is the runner's, measured for the cases: none, no overhead.
            measure_overhead: !args.no_overhead && !variants.is_empty(),
            forks: args.forks,
            variants,
            primitives,
        })
    }

    /// Every (variant, threads) case in run order: variant by variant, threads ascending.
    pub fn cases(&self) -> Vec<(&'static VariantInfo, usize)> {
        self.variants
            .iter()
            .flat_map(|&v| self.threads.iter().map(move |&t| (v, t)))
            .collect()
    }
}

/// The modes of a run: `--mode latency` keeps the variants that have a latency mode (those of a
/// named family, or of every family), refuses a named variant that has none, and refuses a
/// selection left empty; `--rate` needs the latency mode.
fn load_plan(
    args: &RunArgs,
    variants: Vec<&'static VariantInfo>,
) -> Result<(Vec<&'static VariantInfo>, LoadPlan), UsageError> {
    if !args.rate.is_empty() && args.mode == Mode::Throughput {
        return Err(UsageError::new(
            "--rate sets the latency mode's offered rates: use it with --mode latency or both",
        ));
    }
    let mut variants = variants;
    if args.mode == Mode::Latency {
        let named = |v: &VariantInfo| args.workloads.iter().any(|w| w.trim() == v.name);
        // A named variant without the mode, or (when no variant has it) the first of them.
        let refused = variants
            .iter()
            .find(|v| !v.has_latency_mode() && named(v))
            .or_else(|| {
                let none = variants.iter().all(|v| !v.has_latency_mode());
                variants.first().filter(|_| none)
            });
        if let Some(v) = refused {
            return Err(UsageError::new(format!(
                "--mode latency: {} has no latency mode (queues, pools and the actor counters have one)",
                v.name
            )));
        }
        variants.retain(|v| v.has_latency_mode());
    }
    let mut rates = args.rate.clone();
    rates.sort_by(f64::total_cmp);
    rates.dedup();
    Ok((
        variants,
        LoadPlan {
            throughput: args.mode != Mode::Latency,
            // vs bare is the harness's overhead against the crate: `--no-overhead` skips it too.
            bare_reference: args.mode != Mode::Latency && !args.no_overhead,
            sweep: args.mode != Mode::Throughput,
            rates: if rates.is_empty() {
                Rates::Fractions(DEFAULT_FRACTIONS.to_vec())
            } else {
                Rates::PerSecond(rates)
            },
        },
    ))
}

/// The `primitives` family from `--workloads` (and its `--pairs` and `--cpus`, which need it),
/// and the other names of `--workloads`.
fn primitives_plan(args: &RunArgs) -> Result<(Option<PrimitivesPlan>, Vec<String>), UsageError> {
    let (selected, rest) = crate::primitives::catalog::split(&args.workloads);
    if selected.is_empty() {
        if args.pairs.is_some() || args.cpus.is_some() {
            return Err(UsageError::new(
                "--pairs and --cpus choose what the primitives family measures: add --workloads primitives",
            ));
        }
        return Ok((None, rest));
    }
    let cpus = match &args.cpus {
        Some(list) => match crate::topology::parse_cpu_list(list) {
            Ok(cpus) if !cpus.is_empty() => Some(cpus),
            Ok(_) => return Err(UsageError::new("--cpus: the list is empty")),
            Err(e) => return Err(UsageError::new(format!("--cpus: {e} (example: 0-3,8)"))),
        },
        None => None,
    };
    Ok((
        Some(PrimitivesPlan {
            selected,
            pairs: args.pairs,
            cpus,
        }),
        rest,
    ))
}

/// Largest matrix accepted by `--matrix-size` (three n x n f64 matrices: 400 MiB at 4096).
pub const MAX_MATRIX_SIZE: usize = 4096;

/// Validates the workload knobs.
fn params_from_args(args: &RunArgs, threads: &[usize]) -> Result<Params, UsageError> {
    if args.capacity == 0 {
        return Err(UsageError::new("--capacity must be at least 1"));
    }
    if args.in_flight == Some(0) {
        return Err(UsageError::new("--in-flight must be at least 1"));
    }
    if !(8..=MAX_MATRIX_SIZE).contains(&args.matrix_size) {
        return Err(UsageError::new(format!(
            "--matrix-size {}: must be between 8 and {MAX_MATRIX_SIZE}",
            args.matrix_size
        )));
    }
    if args.producers == Some(0) || args.consumers == Some(0) {
        return Err(UsageError::new(
            "--producers and --consumers must be at least 1",
        ));
    }
    if let (Some(p), Some(c)) = (args.producers, args.consumers)
        && let Some(t) = threads.iter().find(|&&t| t >= 2 && t != p + c)
    {
        return Err(UsageError::new(format!(
            "--producers {p} --consumers {c} make {} threads, but --threads includes {t}: use --threads {}",
            p + c,
            p + c
        )));
    }
    Ok(Params {
        cs_work: args.cs_work,
        think_work: args.think_work,
        batch: args.batch.max(1),
        seed: args.seed,
        producers: args.producers,
        consumers: args.consumers,
        capacity: args.capacity,
        payload_bytes: args.payload,
        in_flight: args.in_flight,
        task_work: args.task_work,
        matrix_size: args.matrix_size,
    })
}

/// 1, 2, 4, ... below `available`, then `available` itself.
pub fn default_threads(available: usize) -> Vec<usize> {
    let max = available.max(1);
    let mut t: Vec<usize> = std::iter::successors(Some(1usize), |n| n.checked_mul(2))
        .take_while(|&n| n < max)
        .collect();
    t.push(max);
    t
}

/// Parses `1,2,4`, `1..16` (inclusive), `1..=16`, `max`, or a comma-separated mix; sorted, unique.
pub fn parse_threads(spec: &str, available: usize) -> Result<Vec<usize>, UsageError> {
    let bad = |why: &str| {
        UsageError::new(format!(
            "--threads {spec:?}: {why} (examples: 1,2,4  1..8  max)"
        ))
    };
    let number = |s: &str| -> Result<usize, UsageError> {
        let s = s.trim();
        if s == "max" {
            return Ok(available.max(1));
        }
        s.parse::<usize>()
            .map_err(|_| bad(&format!("{s:?} is not a thread count")))
    };
    let mut threads = Vec::new();
    for item in spec.split(',').map(str::trim) {
        if item.is_empty() {
            return Err(bad("empty entry"));
        }
        if let Some((a, b)) = item.split_once("..") {
            let (lo, hi) = (number(a)?, number(b.strip_prefix('=').unwrap_or(b))?);
            if lo > hi {
                return Err(bad(&format!("range {item} is empty")));
            }
            if hi > MAX_THREADS {
                return Err(bad(&format!("at most {MAX_THREADS} threads per case")));
            }
            threads.extend(lo..=hi);
        } else {
            threads.push(number(item)?);
        }
    }
    if threads.contains(&0) {
        return Err(bad("thread counts start at 1"));
    }
    if threads.iter().any(|&t| t > MAX_THREADS) {
        return Err(bad(&format!("at most {MAX_THREADS} threads per case")));
    }
    threads.sort_unstable();
    threads.dedup();
    Ok(threads)
}

/// Resolves `--workloads` names to variants. A family selects its correct variants (plus its racy
/// ones with `include_racy`); naming a variant selects it, racy or not. Empty selects every family.
pub fn select_variants(
    names: &[String],
    include_racy: bool,
) -> Result<Vec<&'static VariantInfo>, UsageError> {
    let from_family = |f: Family| {
        f.variants()
            .filter(move |v| !v.opt_in || (include_racy && v.expected_race))
    };
    let mut chosen: Vec<&'static VariantInfo> = Vec::new();
    if names.iter().all(|n| n.trim().is_empty()) {
        chosen.extend(Family::ALL.iter().flat_map(|&f| from_family(f)));
    }
    for name in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
        if let Some(f) = Family::ALL.iter().find(|f| f.name() == name) {
            chosen.extend(from_family(*f));
        } else if let Some(v) = find_variant(name) {
            chosen.push(v);
        } else {
            let families: Vec<_> = Family::ALL.iter().map(|f| f.name()).collect();
            return Err(UsageError::new(format!(
                "unknown workload {name:?}: use a family ({}) or a variant such as counter/atomic (see `contend list`)",
                families.join(", ")
            )));
        }
    }
    // Keep catalog order and drop repeats.
    Ok(catalog()
        .filter(|v| chosen.iter().any(|c| c.name == v.name))
        .collect())
}

/// Variants for `contend tsan`: a family selects all its variants that can finish (correct and
/// deliberately racy; deadlock-prone ones only when named); empty selects every family.
pub fn select_for_race_detection(
    names: &[String],
) -> Result<Vec<&'static VariantInfo>, UsageError> {
    select_variants(names, true)
}

/// Extra `run` arguments that scale a variant down for sanitizer builds (TSan costs 5-15x time).
pub fn tsan_scaled_params(variant: &VariantInfo) -> Vec<String> {
    match variant.family {
        Family::Matmul => vec!["--matrix-size".into(), "128".into()],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_lists_ranges_and_max_parse() {
        assert_eq!(parse_threads("1,2,4", 2).unwrap(), vec![1, 2, 4]);
        assert_eq!(parse_threads("1..4", 2).unwrap(), vec![1, 2, 3, 4]);
        assert_eq!(parse_threads("1..=3", 2).unwrap(), vec![1, 2, 3]);
        assert_eq!(parse_threads("max", 6).unwrap(), vec![6]);
        assert_eq!(parse_threads("4, 1,max,1", 2).unwrap(), vec![1, 2, 4]);
        assert_eq!(parse_threads("1..max", 3).unwrap(), vec![1, 2, 3]);
    }

    #[test]
    fn bad_thread_specs_are_usage_errors() {
        for bad in ["0", "", "1,,2", "a", "4..1", "1..", "2000", "1..5000", "-1"] {
            let e = parse_threads(bad, 2).unwrap_err();
            assert!(e.to_string().starts_with("--threads"), "{bad}: {e}");
        }
    }

    #[test]
    fn default_threads_are_powers_of_two_plus_the_maximum() {
        assert_eq!(default_threads(1), vec![1]);
        assert_eq!(default_threads(2), vec![1, 2]);
        assert_eq!(default_threads(6), vec![1, 2, 4, 6]);
        assert_eq!(default_threads(64), vec![1, 2, 4, 8, 16, 32, 64]);
    }

    #[test]
    fn families_exclude_racy_variants_unless_asked() {
        let names = |v: Vec<&VariantInfo>| v.iter().map(|v| v.name).collect::<Vec<_>>();
        let default = names(select_variants(&["counter".into()], false).unwrap());
        assert!(default.contains(&"counter/atomic"));
        assert!(!default.contains(&"counter/racy"));
        assert!(
            names(select_variants(&["counter".into()], true).unwrap()).contains(&"counter/racy")
        );
        assert_eq!(
            names(select_variants(&["counter/racy".into()], false).unwrap()),
            vec!["counter/racy"]
        );
        assert!(!names(select_variants(&[], false).unwrap()).contains(&"counter/racy"));
    }

    #[test]
    fn repeated_workloads_run_once_in_catalog_order() {
        let v = select_variants(
            &[
                "counter/mutex".into(),
                "counter/atomic".into(),
                "counter/mutex".into(),
            ],
            false,
        )
        .unwrap();
        assert_eq!(
            v.iter().map(|v| v.name).collect::<Vec<_>>(),
            vec!["counter/mutex", "counter/atomic"]
        );
    }

    fn run_args(argv: &[&str]) -> RunArgs {
        use clap::Parser;
        #[derive(Parser)]
        struct Args {
            #[command(flatten)]
            run: RunArgs,
        }
        Args::parse_from(std::iter::once("contend").chain(argv.iter().copied())).run
    }

    #[test]
    fn primitives_alone_select_no_case_and_no_overhead() {
        let plan = Plan::from_args(&run_args(&["--workloads", "primitives,"]), 2).unwrap();
        assert!(plan.cases().is_empty());
        assert!(!plan.measure_overhead);
        let p = plan.primitives.unwrap();
        assert_eq!(p.selected.len(), crate::primitives::catalog::VARIANTS.len());
        let both = Plan::from_args(
            &run_args(&["-w", "counter/atomic,primitives/clock", "--cpus", "1,0"]),
            2,
        )
        .unwrap();
        assert_eq!(both.variants.len(), 1);
        assert_eq!(both.primitives.unwrap().cpus, Some(vec![0, 1]));
    }

    #[test]
    fn no_overhead_skips_the_bare_windows_but_keeps_the_mode() {
        let modes = |argv: &[&str]| {
            let plan = Plan::from_args(&run_args(argv), 2).unwrap();
            (
                plan.load.mode_name(),
                plan.load.bare_reference,
                plan.measure_overhead,
            )
        };
        assert_eq!(modes(&["--mode", "throughput"]), ("throughput", true, true));
        assert_eq!(
            modes(&["--mode", "throughput", "--no-overhead"]),
            ("throughput", false, false)
        );
        assert_eq!(modes(&["--no-overhead"]), ("both", false, false));
        assert_eq!(modes(&["--mode", "latency"]), ("latency", false, true));
    }

    #[test]
    fn primitives_are_not_in_the_default_suite_and_their_options_need_them() {
        assert!(
            Plan::from_args(&run_args(&[]), 2)
                .unwrap()
                .primitives
                .is_none()
        );
        for argv in [
            &["--pairs", "4"][..],
            &["--cpus", "0"],
            &["-w", "counter", "--pairs", "all"],
        ] {
            let e = Plan::from_args(&run_args(argv), 2).unwrap_err();
            assert!(
                e.to_string().contains("--workloads primitives"),
                "{argv:?}: {e}"
            );
        }
        let e = Plan::from_args(&run_args(&["-w", "primitives", "--cpus", "3-1"]), 2).unwrap_err();
        assert!(e.to_string().starts_with("--cpus"), "{e}");
    }

    #[test]
    fn unknown_workloads_are_named_in_the_error() {
        let e = select_variants(&["counter/nope".into()], false).unwrap_err();
        assert!(e.to_string().contains("counter/nope"));
    }
}
