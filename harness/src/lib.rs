//! contend: pins workloads to cores, sweeps thread counts, validates and measures every variant,
//! and writes JSON results. The binary's `main` only parses arguments and calls [`main_with_args`].

pub mod ab;
pub mod child;
pub mod cli;
pub mod colour;
pub mod compare_cmd;
pub mod error;
pub mod evidence;
pub mod fault;
pub mod fork;
pub mod forked_run;
pub mod forward;
pub mod history;
pub mod history_cmd;
pub mod interrupt;
pub mod latency;
pub mod list;
pub mod machine;
pub mod merge;
pub mod output;
pub mod overhead;
pub mod pin;
pub mod plan;
pub mod plan_cmd;
pub mod platform;
pub mod primitives;
pub mod proof;
pub mod report_cmd;
pub mod results_dir;
pub mod run;
pub mod runner;
pub mod table;
pub mod topology;
pub mod tsan;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::error::UsageError;

/// Exit code for usage and input errors.
pub const EXIT_USAGE: u8 = 2;

/// Clap's error on one line: the error, its tip ("a similar argument exists: '--samples'") and
/// the usage, joined; the "For more information" line becomes a pointer to `--help`.
fn one_line(clap_error: &str) -> String {
    let parts: Vec<&str> = clap_error
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("For more information"))
        .collect();
    let joined = parts.join("; ");
    let squeezed = joined.split_whitespace().collect::<Vec<_>>().join(" ");
    format!("{squeezed} (see contend --help)")
}

/// Runs contend with `argv` (program name first) and returns the process exit code.
pub fn main_with_args(argv: Vec<String>) -> ExitCode {
    let cli = match Cli::try_parse_from(&argv) {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            let _ = e.print(); // --help, --version
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("{}", one_line(&e.render().to_string()));
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let result = match cli.command {
        None => run::run(&cli.run, argv),
        Some(Command::Run(args)) => run::run(&args, argv),
        Some(Command::List { json }) => {
            if json {
                println!("{}", list::json());
            } else {
                print!("{}", list::render());
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Tsan(args)) => tsan::tsan(&args, argv),
        Some(Command::Report(args)) => report_cmd::report(&args),
        Some(Command::Compare(args)) => compare_cmd::compare_files(&args),
        Some(Command::Ab(args)) => ab::ab(&args, argv),
        Some(Command::Plan(args)) => plan_cmd::plan(&args),
        Some(Command::History(args)) => history_cmd::history(&args),
        Some(Command::Completions { shell }) => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut command, "contend", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Machine {
            json,
            sysfs,
            procfs,
        }) => Ok(machine::command(json, sysfs, procfs)),
    };
    result.unwrap_or_else(|e| {
        if let Some(usage) = e.downcast_ref::<UsageError>() {
            eprintln!("error: {usage}");
            ExitCode::from(EXIT_USAGE)
        } else {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    })
}
