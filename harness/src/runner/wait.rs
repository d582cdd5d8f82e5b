//! Waiting for a sample's threads: until a count of them reported, or until none made progress for
//! the stall timeout.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::shared::Shared;

/// How waiting for a sample's threads ended.
pub(super) enum Wait {
    Done,
    Stalled { stall: Duration },
}

/// Waits until `count` threads reported on `counter`, or until no thread made progress for `stall`.
pub(super) fn wait_for(
    shared: &Shared,
    counter: &AtomicUsize,
    count: usize,
    stall: Duration,
) -> Wait {
    let mut last = shared.progress();
    let mut last_change = Instant::now();
    let poll = Duration::from_micros(500).min(stall);
    let spin_until = Instant::now() + Duration::from_millis(1);
    while counter.load(Ordering::Acquire) < count {
        if Instant::now() < spin_until {
            std::thread::yield_now();
            continue;
        }
        std::thread::sleep(poll);
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
