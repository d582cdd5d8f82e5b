//! The `run` options as command-line arguments again: how `ab` and `run --forks` tell a child
//! process exactly what to run.
//!
//! One serialization ([`to_argv`]) with one source of defaults (clap's, read by parsing an empty
//! command line): an option is written only when it differs from its default, so an older base
//! binary that lacks a knob still runs when the knob is not used, and an option that is used
//! always reaches the child. A test fails when `RunArgs` gains an option this file does not write.

use std::path::Path;
use std::time::Duration;

use clap::Parser;

use crate::cli::RunArgs;

#[derive(Parser)]
struct Defaults {
    #[command(flatten)]
    run: RunArgs,
}

/// Run options that only the parent acts on (it records the merged run, and measures the
/// `primitives` family once, itself): never written.
pub const PARENT_ONLY: [&str; 6] = [
    "history",
    "no-history",
    "save-baseline",
    "baseline",
    "pairs",
    "cpus",
];

/// `RunArgs` as clap fills it from an empty command line: the one source of defaults.
pub fn defaults() -> RunArgs {
    Defaults::parse_from(["contend"]).run
}

fn duration(d: Duration) -> String {
    humantime::format_duration(d).to_string()
}

/// The arguments that make `contend run` see `args` (options at their default are left out).
pub fn to_argv(args: &RunArgs) -> Vec<String> {
    let d = defaults();
    let mut out: Vec<String> = Vec::new();
    let mut opt = |flag: &str, value: Option<String>| {
        if let Some(v) = value {
            out.push(flag.to_string());
            out.push(v);
        }
    };
    fn differ<T: PartialEq>(v: &T, default: &T, show: impl Fn(&T) -> String) -> Option<String> {
        (v != default).then(|| show(v))
    }
    let RunArgs {
        workloads,
        threads,
        placement,
        samples,
        forks,
        warmup,
        duration: window,
        out: out_dir,
        quick,
        seed,
        include_racy,
        label,
        stall_timeout,
        cs_work,
        think_work,
        batch,
        producers,
        consumers,
        capacity,
        payload,
        in_flight,
        task_work,
        matrix_size,
        no_overhead,
        mode,
        rate,
        // PARENT_ONLY: a fork (always given --out) records nothing, and measures no primitives.
        history: _,
        no_history: _,
        save_baseline: _,
        baseline: _,
        pairs: _,
        cpus: _,
    } = args;
    opt(
        "--workloads",
        (!workloads.is_empty()).then(|| workloads.join(",")),
    );
    opt("--threads", threads.clone());
    opt(
        "--placement",
        differ(placement, &d.placement, |p| p.name().into()),
    );
    opt("--samples", samples.map(|n| n.to_string()));
    opt("--forks", differ(forks, &d.forks, u32::to_string));
    opt("--warmup", warmup.map(duration));
    opt("--duration", window.map(duration));
    opt("--out", out_dir.as_ref().map(|p| p.display().to_string()));
    opt("--seed", differ(seed, &d.seed, u64::to_string));
    opt("--label", label.clone());
    opt(
        "--stall-timeout",
        differ(stall_timeout, &d.stall_timeout, |t| duration(*t)),
    );
    opt("--cs-work", differ(cs_work, &d.cs_work, u32::to_string));
    opt(
        "--think-work",
        differ(think_work, &d.think_work, u32::to_string),
    );
    opt("--batch", differ(batch, &d.batch, u32::to_string));
    opt("--producers", producers.map(|n| n.to_string()));
    opt("--consumers", consumers.map(|n| n.to_string()));
    opt(
        "--capacity",
        differ(capacity, &d.capacity, usize::to_string),
    );
    opt("--payload", differ(payload, &d.payload, usize::to_string));
    opt("--in-flight", in_flight.map(|n| n.to_string()));
    opt(
        "--task-work",
        differ(task_work, &d.task_work, u32::to_string),
    );
    opt(
        "--matrix-size",
        differ(matrix_size, &d.matrix_size, usize::to_string),
    );
    opt("--mode", differ(mode, &d.mode, |m| m.name().into()));
    opt(
        "--rate",
        (!rate.is_empty()).then(|| {
            rate.iter()
                .map(|r| r.to_string())
                .collect::<Vec<_>>()
                .join(",")
        }),
    );
    for (flag, on) in [
        ("--quick", *quick),
        ("--include-racy", *include_racy),
        ("--no-overhead", *no_overhead),
    ] {
        if on {
            out.push(flag.into());
        }
    }
    out
}

/// The long options in `argv` (`--name`), in order.
pub fn flags(argv: &[String]) -> Vec<&str> {
    argv.iter()
        .map(String::as_str)
        .filter(|a| a.starts_with("--"))
        .collect()
}

/// The options of `argv` that `help` (a binary's `run --help` text) does not mention.
pub fn unknown_flags<'a>(argv: &'a [String], help: &str) -> Vec<&'a str> {
    let mentions = |flag: &str| {
        help.match_indices(flag).any(|(i, _)| {
            !help[i + flag.len()..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '-')
        })
    };
    flags(argv).into_iter().filter(|f| !mentions(f)).collect()
}

/// Asks `binary run --help` whether it understands every option of `argv`; the error names the
/// first option it does not know (or why the binary could not be asked).
pub fn check_understood(binary: &Path, argv: &[String], scratch: &Path) -> Result<(), String> {
    let mut cmd = std::process::Command::new(binary);
    cmd.args(["run", "--help"]);
    let end = crate::child::run(cmd, scratch, Duration::from_secs(30))
        .map_err(|e| format!("{}: cannot run: {e}", binary.display()))?;
    if end.code() != Some(0) {
        return Err(format!(
            "{} run --help: {}: {}",
            binary.display(),
            end.describe(),
            end.first_error_line()
        ));
    }
    let help = std::fs::read_to_string(scratch.join("stdout.txt")).unwrap_or_default();
    match unknown_flags(argv, &help).first() {
        None => Ok(()),
        Some(flag) => Err(format!(
            "{} does not understand the run option {flag} (built from an older commit?)",
            binary.display()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::Placement;

    /// Every option away from its default. A new field of `RunArgs` breaks this literal, and then
    /// `every_run_option_is_forwarded` fails until `to_argv` writes it.
    fn everything_set() -> RunArgs {
        RunArgs {
            workloads: vec!["counter/atomic".into(), "queue".into()],
            threads: Some("1,3".into()),
            placement: Placement::Spread,
            samples: Some(7),
            forks: 3,
            warmup: Some(Duration::from_millis(30)),
            duration: Some(Duration::from_millis(70)),
            out: Some("elsewhere".into()),
            quick: true,
            seed: 99,
            include_racy: true,
            label: Some("a label".into()),
            stall_timeout: Duration::from_secs(9),
            cs_work: 5,
            think_work: 6,
            batch: 8,
            producers: Some(2),
            consumers: Some(1),
            capacity: 64,
            payload: 16,
            in_flight: Some(3),
            task_work: 200,
            matrix_size: 128,
            no_overhead: true,
            mode: crate::cli::Mode::Latency,
            rate: vec![1000.0, 2.5e6],
            history: None,
            no_history: false,
            save_baseline: None,
            baseline: None,
            pairs: None,
            cpus: None,
        }
    }

    fn parse(argv: &[String]) -> RunArgs {
        Defaults::parse_from(std::iter::once("contend".to_string()).chain(argv.iter().cloned())).run
    }

    #[test]
    fn every_run_option_is_forwarded() {
        let args = everything_set();
        let argv = to_argv(&args);
        assert_eq!(parse(&argv), args, "round trip through {argv:?}");
        let written: Vec<&str> = flags(&argv);
        use clap::CommandFactory;
        for arg in Defaults::command().get_arguments() {
            let Some(long) = arg.get_long() else { continue };
            if long == "help" || PARENT_ONLY.contains(&long) {
                continue;
            }
            assert!(
                written.contains(&format!("--{long}").as_str()),
                "run option --{long} is not forwarded to child processes: {argv:?}"
            );
        }
    }

    #[test]
    fn the_parents_history_options_never_reach_a_child() {
        let args = RunArgs {
            history: Some("h.sqlite".into()),
            save_baseline: Some("before".into()),
            baseline: Some("before".into()),
            ..defaults()
        };
        assert!(to_argv(&args).is_empty(), "{:?}", to_argv(&args));
        let no = RunArgs {
            no_history: true,
            ..defaults()
        };
        assert!(to_argv(&no).is_empty());
        let primitives = RunArgs {
            pairs: Some(crate::primitives::pairs::PairsSpec::Count(8)),
            cpus: Some("0-1".into()),
            ..defaults()
        };
        assert!(
            to_argv(&primitives).is_empty(),
            "measured once, by the parent"
        );
    }

    #[test]
    fn defaults_are_not_written() {
        assert!(
            to_argv(&defaults()).is_empty(),
            "{:?}",
            to_argv(&defaults())
        );
    }

    #[test]
    fn a_knob_changed_alone_is_forwarded_alone() {
        let args = RunArgs {
            matrix_size: 128,
            ..defaults()
        };
        assert_eq!(to_argv(&args), ["--matrix-size", "128"]);
    }

    #[test]
    fn options_missing_from_help_are_named() {
        let help = "  --threads <SPEC>\n  --matrix-size <N>\n  --cs-work <N>\n";
        let argv: Vec<String> = [
            "--threads",
            "2",
            "--matrix-size",
            "64",
            "--cs",
            "1",
            "--think-work",
            "3",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(unknown_flags(&argv, help), ["--cs", "--think-work"]);
    }
}
