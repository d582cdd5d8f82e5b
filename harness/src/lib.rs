//! contend: pins workloads to cores, sweeps thread counts, validates and measures every variant,
//! and writes JSON results. The binary's `main` only parses arguments and calls [`main_with_args`].

pub mod ab;
pub mod child;
pub mod cli;
pub mod compare_cmd;
pub mod error;
pub mod evidence;
pub mod fault;
pub mod fork;
pub mod forked_run;
pub mod forward;
pub mod latency;
pub mod list;
pub mod machine;
pub mod merge;
pub mod output;
pub mod overhead;
pub mod plan;
pub mod proof;
pub mod report_cmd;
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

/// Runs contend with `argv` (program name first) and returns the process exit code.
pub fn main_with_args(argv: Vec<String>) -> ExitCode {
    let cli = match Cli::try_parse_from(&argv) {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            let _ = e.print(); // --help, --version
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            // One line: clap's first line, without the usage block.
            let text = e.render().to_string();
            let mut first = text
                .lines()
                .take_while(|l| !l.trim().is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            first = first.split_whitespace().collect::<Vec<_>>().join(" ");
            eprintln!("{first} (see contend --help)");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let result = match cli.command {
        None => run::run(&cli.run, argv),
        Some(Command::Run(args)) => run::run(&args, argv),
        Some(Command::List) => {
            print!("{}", list::render());
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Tsan(args)) => tsan::tsan(&args, argv),
        Some(Command::Report(args)) => report_cmd::report(&args),
        Some(Command::Compare(args)) => compare_cmd::compare_files(&args),
        Some(Command::Ab(args)) => ab::ab(&args, argv),
        Some(Command::Machine { json }) => {
            let m = machine::describe(std::path::Path::new(machine::SYSFS_CPU));
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&m).expect("machine serializes")
                );
            } else {
                print!("{}", machine::render(&m));
            }
            Ok(ExitCode::SUCCESS)
        }
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
