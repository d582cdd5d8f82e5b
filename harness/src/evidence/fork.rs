//! The evidence a process records at the start of each case: the cache-line probe between the
//! case's first two pinned CPUs, and what this process cannot count (probed once per process).

use contend_reports::schema::ForkEvidence;

use super::classify::CaseShape;
use super::perf::{hardware_available, software_available};
use super::pingpong::cache_line_one_way;

/// Probes the first two distinct pinned CPUs of `shape` (when it has two) and collects the notes.
/// `fork` is this process's fork number (0 for a single-process run).
pub fn fork_evidence(fork: u32, shape: &CaseShape) -> ForkEvidence {
    let mut notes = Vec::new();
    let (cpus, cache_line_one_way_ns) = match shape.pinned_cpus.as_deref() {
        Some([a, b, ..]) => match cache_line_one_way([*a, *b]) {
            Ok(m) => (vec![*a, *b], Some(m.one_way_ns)),
            Err(e) => {
                notes.push(format!("cache-line probe on CPUs {a} and {b}: {e}"));
                (vec![*a, *b], None)
            }
        },
        Some(_) => {
            notes.push("cache-line probe: not run (the case uses one pinned CPU)".into());
            (vec![], None)
        }
        None => {
            notes.push("cache-line probe: not run (the case's threads are not pinned)".into());
            (vec![], None)
        }
    };
    for probe in [hardware_available(), software_available()] {
        if let Err(note) = probe {
            notes.push(note.clone());
        }
    }
    ForkEvidence {
        fork,
        cpus,
        cache_line_one_way_ns,
        notes,
    }
}
