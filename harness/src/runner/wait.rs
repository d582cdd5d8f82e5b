//! Waiting for a sample's threads: until a count of them reported, or until none made progress for
//! the stall timeout.

use std::sync::atomic::AtomicUsize;
use std::time::{Duration, Instant};

use super::shared::Shared;

/// How waiting for a sample's threads ended.
pub(super) enum Wait {
    Done,
    Stalled { stall: Duration },
}

/// Waits, blocked, until every thread reported on `counter`, or until no thread made progress for
/// `stall`. The runner wakes when the last thread reports (see [`Shared::report_on`]) and every
/// 50 ms at most to look at the progress counters: nothing of it runs on the workers' CPUs while
/// they work.
pub(super) fn wait_for(shared: &Shared, counter: &AtomicUsize, stall: Duration) -> Wait {
    let mut last = shared.progress();
    let mut last_change = Instant::now();
    let look = Duration::from_millis(50).min(stall);
    while !shared.wait_reports(counter, look) {
        let now = shared.progress();
        if now != last {
            (last, last_change) = (now, Instant::now());
        } else if last_change.elapsed() >= stall {
            return Wait::Stalled {
                stall: last_change.elapsed(),
            };
        }
    }
    Wait::Done
}
