//! Pinning the calling thread to a CPU, and asking which CPU it runs on: the one place that talks
//! to the OS about placement, so a failed pin is noticed (and said once) rather than ignored.

use std::sync::atomic::{AtomicBool, Ordering};

/// Set once a pin has failed in this process, so the warning is printed once.
static WARNED: AtomicBool = AtomicBool::new(false);

/// Pins the calling thread to `cpu`. On failure (the OS refused, or the CPU left the affinity
/// mask) prints one warning per process on stderr and returns `false`: the thread runs unpinned
/// and its timings are the OS's placement, not the plan's.
pub fn pin_current(cpu: usize) -> bool {
    let pinned = crate::platform::CAN_PIN
        && core_affinity::set_for_current(core_affinity::CoreId { id: cpu });
    if !pinned && !WARNED.swap(true, Ordering::Relaxed) {
        let why = if crate::platform::CAN_PIN {
            format!("could not pin a thread to CPU {cpu}")
        } else {
            "this OS cannot bind threads to CPUs (affinity is only a hint), so nothing is pinned"
                .to_string()
        };
        eprintln!(
            "warning: {why}: threads run where the OS puts them (placement is not what the plan \
             says)"
        );
    }
    pinned
}

/// The CPU the calling thread runs on now, if the OS says.
pub fn current_cpu() -> Option<usize> {
    crate::platform::current_cpu()
}
