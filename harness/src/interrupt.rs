//! Ctrl-C: the first SIGINT asks the run to stop at the next sample boundary and write what it
//! has measured (results, report, exit 130); a second one exits at once.
//!
//! Measurement forks run in their own process group (see `fork`), so the terminal's SIGINT reaches
//! only the parent: the fork in flight finishes its sample and is kept, and nothing is counted as
//! a crash. A second Ctrl-C kills that fork too.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

/// Exit status after an interrupt (128 + SIGINT, as shells report it).
pub const EXIT_INTERRUPTED: u8 = 130;

static REQUESTED: AtomicBool = AtomicBool::new(false);
/// The measurement fork being waited for (0: none), killed on a second Ctrl-C.
static CHILD: AtomicU32 = AtomicU32::new(0);

/// Installs the handler (once per process; later calls and failures are ignored: without it,
/// Ctrl-C keeps its default of ending the process, with the results written so far).
pub fn install() {
    let _ = ctrlc::set_handler(|| {
        if REQUESTED.swap(true, Ordering::SeqCst) {
            kill_child();
            std::process::exit(i32::from(EXIT_INTERRUPTED));
        }
        eprintln!(
            "\ninterrupted: finishing the current sample, then writing what was measured \
             (Ctrl-C again to quit at once)"
        );
    });
}

/// Whether Ctrl-C was pressed: stop at the next sample boundary.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}

/// Records the fork being waited for (`None` when it has ended).
pub fn set_child(pid: Option<u32>) {
    CHILD.store(pid.unwrap_or(0), Ordering::SeqCst);
}

fn kill_child() {
    let pid = CHILD.load(Ordering::SeqCst);
    if pid != 0 {
        crate::platform::kill(pid);
    }
}
