//! `pool/racy-completion`: completions counted by a non-atomic read-increment-write on purpose.

use std::cell::UnsafeCell;

use crossbeam_utils::CachePadded;

use super::driver::Tracker;

/// One `u64` completion count that every worker increments without synchronization; the
/// submitter reads it to size its window, so each lost update is a window slot it believes is
/// still busy (with enough of them the submitter stalls until the window closes: never hangs).
pub struct RacyTracker(CachePadded<UnsafeCell<u64>>);

// SAFETY: it is NOT safe: workers read-modify-write the count concurrently and the submitter
// reads it, all unsynchronized (a data race that ThreadSanitizer reports and that loses
// updates). It is a plain u64, so the damage is wrong numbers only. Opt-in only.
unsafe impl Sync for RacyTracker {}

impl Tracker for RacyTracker {
    const RACY: bool = true;

    fn new(_workers: usize) -> Self {
        RacyTracker(CachePadded::new(UnsafeCell::new(0)))
    }

    fn complete(&self, _worker: usize) {
        let p = self.0.get();
        // SAFETY: deliberately racy (see `unsafe impl Sync`); volatile keeps one load and one
        // store per completion.
        unsafe { p.write_volatile(p.read_volatile() + 1) };
    }

    fn completed(&self) -> u64 {
        // SAFETY: deliberately racy load of a plain u64.
        unsafe { self.0.get().read_volatile() }
    }

    fn reset(&self) {
        // SAFETY: called from begin_sample (no thread runs) or after every worker has joined.
        unsafe { self.0.get().write_volatile(0) };
    }
}
