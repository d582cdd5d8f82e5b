//! What `contend run` does with the history: before measuring, open it and find the baseline
//! (so a bad file or an unknown name costs nothing measured); after, record the run, save it as
//! a baseline, and compare it with one through the gate.

use std::path::{Path, PathBuf};

use contend_reports::compare::{compare, render_compare_table};
use contend_reports::fingerprint::fingerprint_hash;
use contend_reports::schema::{Machine, Results};

use super::{History, baseline};
use crate::cli::RunArgs;
use crate::error::UsageError;

/// The history a run records into: `--history`, or the default one when the run goes to a new
/// run folder or names a baseline; none with `--no-history`, or with `--out` alone.
pub fn chosen(args: &RunArgs) -> Option<PathBuf> {
    if args.no_history {
        return None;
    }
    let wanted = args.history.is_some()
        || args.out.is_none()
        || args.save_baseline.is_some()
        || args.baseline.is_some();
    wanted.then(|| args.history.clone().unwrap_or_else(super::default_path))
}

/// A run's history, opened before anything is measured.
pub struct RunHistory {
    history: History,
    save_as: Option<String>,
    compare_with: Option<(String, baseline::Found)>,
}

/// Opens the run's history, if it has one, and looks up `--baseline` for `machine`.
pub fn prepare(args: &RunArgs, machine: &Machine) -> anyhow::Result<Option<RunHistory>> {
    let Some(path) = chosen(args) else {
        return Ok(None);
    };
    for name in [&args.save_baseline, &args.baseline].into_iter().flatten() {
        baseline::check_name(name)?;
    }
    let history = History::open(&path)?;
    let compare_with =
        match &args.baseline {
            None => None,
            Some(name) => {
                let found = baseline::find(history.conn(), name, &fingerprint_hash(machine))
                    .map_err(|e| match e.downcast::<UsageError>() {
                        Ok(u) => UsageError::new(format!("--baseline: {u}")).into(),
                        Err(e) => e,
                    })?;
                Some((name.clone(), found))
            }
        };
    Ok(Some(RunHistory {
        history,
        save_as: args.save_baseline.clone(),
        compare_with,
    }))
}

impl RunHistory {
    /// Records the run (written to `source`); saves and compares unless it was interrupted.
    /// Returns the gate's exit code when a baseline was compared.
    pub fn finish(
        mut self,
        results: &Results,
        source: &Path,
        interrupted: bool,
    ) -> anyhow::Result<Option<u8>> {
        let recorded = self.history.record(results, source)?;
        let runs = self.history.runs().unwrap_or(0);
        println!(
            "history: {} (run {}, {runs} recorded)",
            self.history.path.display(),
            recorded.run_id()
        );
        if interrupted {
            if self.save_as.is_some() || self.compare_with.is_some() {
                eprintln!("interrupted: no baseline saved or compared (the run is partial)");
            }
            return Ok(None);
        }
        if let Some(name) = &self.save_as {
            baseline::save(self.history.conn(), name, recorded.run_id(), results)?;
            println!("baseline {name:?} saved for this machine");
        }
        let Some((name, found)) = self.compare_with else {
            return Ok(None);
        };
        if !found.same_machine {
            println!(
                "baseline {name:?} was saved on another machine: the comparison gives \
                 observations only"
            );
        }
        let opts = crate::compare_cmd::options(
            contend_reports::compare::DEFAULT_THRESHOLD_TEXT,
            contend_reports::compare::DEFAULT_CONFIDENCE,
            None,
        )?;
        let comparison = compare(&found.results, results, &opts);
        println!("against baseline {name:?}:");
        crate::colour::print(&render_compare_table(&comparison));
        Ok(Some(
            comparison.exit_code_with(contend_reports::compare::FailOn::Regressed) as u8,
        ))
    }
}
