//! Deliberate faults for testing the perf gate end to end: with `CONTEND_FAULT` set, `run` makes
//! every case it measures look broken in one way, so a wrapper script can serve as a broken head
//! (`CONTEND_FAULT=crash exec contend "$@"`). Unset, nothing changes.
//!
//! The runner's own detection of these failures (a wrong result, a stall, a panic) is tested in
//! `runner`; this hook tests what the gate does with a child that reports them.

use contend_reports::schema::{Case, CaseStatus, Validation};

/// The environment variable naming the fault.
pub const VAR: &str = "CONTEND_FAULT";

/// A fault `run` injects into every case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The process aborts before measuring (a crash).
    Crash,
    /// Every sample fails validation.
    WrongResult,
    /// The case is reported deadlocked.
    Deadlock,
    /// Every sample completes no work.
    NoWork,
    /// The process hangs (until killed).
    Hang,
}

impl Fault {
    /// The fault named by `CONTEND_FAULT`, if any; an unknown name is an error naming the known ones.
    pub fn from_env() -> Result<Option<Fault>, String> {
        match std::env::var(VAR) {
            Err(_) => Ok(None),
            Ok(name) => Fault::parse(&name).map(Some),
        }
    }

    pub fn parse(name: &str) -> Result<Fault, String> {
        Ok(match name {
            "crash" => Fault::Crash,
            "wrong-result" => Fault::WrongResult,
            "deadlock" => Fault::Deadlock,
            "no-work" => Fault::NoWork,
            "hang" => Fault::Hang,
            other => {
                return Err(format!(
                    "{VAR}={other:?}: known faults are crash, wrong-result, deadlock, no-work, hang"
                ));
            }
        })
    }

    /// Before a case is measured: crash or hang here.
    pub fn before_case(self) {
        match self {
            Fault::Crash => std::process::abort(),
            Fault::Hang => loop {
                std::thread::park();
            },
            _ => {}
        }
    }

    /// After a case was measured: make its results show the fault.
    pub fn apply(self, case: &mut Case) {
        match self {
            Fault::WrongResult => {
                case.validation = Validation::Failed {
                    samples_failed: case.samples.len() as u32,
                    first_error: "injected fault: result off by one".into(),
                };
                case.status = CaseStatus::Failed;
            }
            Fault::Deadlock => {
                case.status = CaseStatus::Deadlocked {
                    stall_ms: 1,
                    blocked: vec!["worker 0: injected fault".into()],
                };
                case.validation = Validation::NotRun;
            }
            Fault::NoWork => {
                for s in &mut case.samples {
                    s.ops = 0;
                    s.throughput = 0.0;
                }
            }
            Fault::Crash | Fault::Hang => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_faults_are_named() {
        assert_eq!(Fault::parse("wrong-result"), Ok(Fault::WrongResult));
        let e = Fault::parse("slow").unwrap_err();
        assert!(e.contains("\"slow\"") && e.contains("no-work"), "{e}");
    }
}
