//! Whether a report's missing happens-before edge may be synchronization the crate-only lane cannot
//! see (std is not instrumented there): the evidence that makes a report *unverifiable* in that
//! lane instead of a race. Three kinds of evidence, from the report alone:
//!
//! 1. code: one of the two accesses ran inside std's synchronization or thread-join code, or inside
//!    the parts of rayon and crossbeam built on it (e.g. a write inside `OnceLock`'s initializer);
//! 2. threads: one access is by a `std::thread::scope` thread and the other by the thread that
//!    created it (the join at the scope's end is invisible), or one by a rayon pool worker and the
//!    other by a thread outside the pool (they meet through rayon's Mutex/Condvar latches);
//! 3. object: the racing memory was allocated as (or holding) a std lock: `Mutex`, `RwLock`,
//!    `Condvar`, `Barrier`, `Once`, `OnceLock`, `LazyLock`, whose hand-offs are invisible.
//!
//! None of this applies where std is instrumented; there every report is judged as it is.

use super::parse::{Report, creator_of, thread_of};

/// What an unverifiable verdict means, and how to settle it: a lane that sees std's synchronization.
pub const BETTER_LANE_HINT: &str = "std is not instrumented in this lane, so each of these reports \
    may be a happens-before edge inside std rather than a race; settle them in a lane with an instrumented std: \
    `bash scripts/install-tsan-lane.sh` (Debian/Ubuntu, as root), or \
    `rustup component add rust-src --toolchain nightly`";

/// std's synchronization, when `file` is part of it: code running inside it (a `Once` or `LazyLock`
/// initializer, a `Condvar` predicate) is published by releases this lane cannot see.
fn std_sync_code(file: &str) -> bool {
    file.split("/library/std/src/")
        .nth(1)
        .is_some_and(|p| p.starts_with("sync/") || p.starts_with("sys/sync/"))
}

/// The synchronization behind `file`, when it is code this lane cannot see into and an access
/// made by it (not by user code it calls) may be ordered only by that code.
fn unseen_sync_code(file: &str) -> Option<&'static str> {
    if std_sync_code(file) {
        return Some("std::sync");
    }
    if file.ends_with("/library/std/src/thread/join_handle.rs") {
        return Some("JoinHandle::join");
    }
    if file.contains("/rayon-core-")
        && (file.contains("/src/latch.rs") || file.contains("/src/sleep/"))
    {
        return Some("rayon's latches and sleep (std Mutex and Condvar)");
    }
    if file.contains("/crossbeam-utils-") && file.contains("/src/sync/") {
        return Some("crossbeam-utils' Parker and WaitGroup (std Mutex and Condvar)");
    }
    if file.contains("/crossbeam-epoch-") {
        return Some("crossbeam-epoch's collector (std OnceLock)");
    }
    if file.contains("/crossbeam-channel-")
        && (file.contains("/src/waker.rs") || file.contains("/src/context.rs"))
    {
        return Some("crossbeam-channel's waker (std Mutex, thread parking)");
    }
    None
}

/// The std lock types whose hand-offs the crate-only lane cannot see.
const STD_LOCKS: &[&str] = &[
    "Mutex",
    "RwLock",
    "Condvar",
    "Barrier",
    "Once",
    "OnceLock",
    "LazyLock",
    "ReentrantLock",
];

/// The first std lock type named in `text` (a symbolized frame, generic arguments included).
fn std_lock_type(text: &str) -> Option<&'static str> {
    text.match_indices("std::sync::").find_map(|(i, _)| {
        let path: String = text[i..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        let last = path.rsplit("::").next()?;
        STD_LOCKS.iter().find(|l| **l == last).copied()
    })
}

/// Why `report`'s missing happens-before edge may be synchronization this lane cannot see, or None
/// when nothing in the report suggests it (then it is judged like any report).
/// `project` is the examined source tree.
pub fn unseen_sync(report: &Report, project: &str) -> Option<String> {
    if report.is_lock_order_inversion() {
        return None;
    }
    let accesses: Vec<_> = report.accesses().collect();
    for (i, access) in accesses.iter().enumerate() {
        // Frames of the access itself (above the first in the project's code), and std::sync
        // frames anywhere: user code inside a std initializer is published by std.
        let own = access
            .frames
            .iter()
            .position(|f| f.file.as_deref().is_some_and(|p| p.starts_with(project)))
            .unwrap_or(access.frames.len());
        for (depth, frame) in access.frames.iter().enumerate() {
            let file = frame.file.as_deref().unwrap_or_default();
            let what = if depth < own {
                unseen_sync_code(file)
            } else {
                std_sync_code(file).then_some("std::sync")
            };
            if let Some(what) = what {
                let short = file.rsplit_once("/src/").map_or(file, |(_, f)| f);
                return Some(format!(
                    "the {} access ran inside {what} ({short}:{})",
                    if i == 0 { "current" } else { "previous" },
                    frame.line.unwrap_or(0)
                ));
            }
        }
    }
    let threads: Vec<String> = accesses
        .iter()
        .filter_map(|a| thread_of(&a.header))
        .collect();
    if let [a, b] = threads.as_slice() {
        let worker = |t: &String| {
            report.creation_of(t).is_some_and(|c| {
                c.frames.iter().any(|f| {
                    f.file
                        .as_deref()
                        .is_some_and(|p| p.contains("/rayon-core-"))
                })
            })
        };
        if worker(a) != worker(b) {
            let (w, outside) = if worker(a) { (a, b) } else { (b, a) };
            return Some(format!(
                "thread {w} is a rayon pool worker and {outside} is not: rayon hands work and \
                 results between them through std Mutex/Condvar latches"
            ));
        }
        for (child, parent) in [(a, b), (b, a)] {
            let scoped = report.creation_of(child).is_some_and(|c| {
                creator_of(&c.header).as_ref() == Some(parent)
                    && c.frames.iter().any(|f| {
                        f.file
                            .as_deref()
                            .is_some_and(|p| p.ends_with("/library/std/src/thread/scoped.rs"))
                    })
            });
            if scoped {
                return Some(format!(
                    "thread {child} is a std::thread::scope thread of {parent}, and the scope's \
                     implicit join is invisible"
                ));
            }
        }
    }
    let location = report.location()?;
    location
        .frames
        .iter()
        .find_map(|f| std_lock_type(&f.function))
        .or_else(|| std_lock_type(&location.header))
        .map(|lock| {
            format!("the racing memory holds a std::sync {lock}, whose hand-offs are invisible")
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tsan::parse::parse_reports;

    const CRATE_ONLY: &str = include_str!("testdata-crate-only.txt");
    const ROOT: &str = "/work/main/harness/tests/fixtures/race-suite";

    fn evidence() -> Vec<Option<String>> {
        parse_reports(CRATE_ONLY, ROOT)
            .iter()
            .map(|r| unseen_sync(r, ROOT))
            .collect()
    }

    #[test]
    fn a_scope_threads_write_read_by_its_creator_after_the_scope_is_unverifiable() {
        let e = evidence()[0].clone().expect("scoped join evidence");
        assert!(
            e.contains("thread T2 is a std::thread::scope thread of T1"),
            "{e}"
        );
    }

    #[test]
    fn a_write_inside_oncelock_initialization_is_unverifiable() {
        let e = evidence()[1].clone().expect("once_lock evidence");
        assert!(e.contains("inside std::sync (sync/once_lock.rs:"), "{e}");
    }

    #[test]
    fn a_race_on_a_mutexs_own_data_is_unverifiable() {
        let e = evidence()[2].clone().expect("mutex evidence");
        assert_eq!(
            e,
            "the racing memory holds a std::sync Mutex, whose hand-offs are invisible"
        );
    }

    #[test]
    fn races_without_std_synchronization_stay_races() {
        let e = evidence();
        assert_eq!(e[3], None, "static mut counter");
        assert_eq!(
            e[4], None,
            "two sibling scoped threads: their spawns are visible"
        );
    }

    #[test]
    fn a_rayon_workers_write_read_outside_the_pool_is_unverifiable() {
        let e = evidence()[5].clone().expect("rayon evidence");
        assert!(e.contains("is a rayon pool worker and T1 is not"), "{e}");
    }

    #[test]
    fn lock_types_are_read_from_generic_arguments_only_when_they_are_std_locks() {
        assert_eq!(
            std_lock_type("new<alloc::sync::ArcInner<std::sync::poison::rwlock::RwLock<u64>>>"),
            Some("RwLock")
        );
        assert_eq!(std_lock_type("new<std::sync::mpmc::Sender<u64>>"), None);
        assert_eq!(std_lock_type("new<my::Mutex<u64>>"), None);
        assert_eq!(unseen_sync_code("/x/rayon-core-1.13.0/src/job.rs"), None);
        assert!(unseen_sync_code("/rustc/h/library/std/src/sys/sync/once/futex.rs").is_some());
        assert!(BETTER_LANE_HINT.contains("scripts/install-tsan-lane.sh"));
    }
}
