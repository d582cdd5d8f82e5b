//! Task sources: one shared `Mutex<VecDeque>` with a condvar, and crossbeam work stealing.

use crate::sync::{Condvar, Mutex, MutexGuard};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crossbeam_deque::{Injector, Stealer, Worker};
use crossbeam_utils::Backoff;

use super::Task;
use super::driver::TaskSource;

/// An idle worker re-checks for work (and for the close) at least this often, whatever happens
/// to notifications.
const IDLE_TIMEOUT: Duration = Duration::from_millis(10);

/// `pool/shared-queue`: every worker pulls from one `std::sync::Mutex<VecDeque>`; idle workers
/// park on a `Condvar` and the submitter wakes one per task while any is parked.
pub struct SharedQueue {
    state: Mutex<SharedState>,
    work: Condvar,
}

struct SharedState {
    tasks: VecDeque<Task>,
    closed: bool,
    idle: usize,
}

impl SharedQueue {
    fn lock(&self) -> MutexGuard<'_, SharedState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl TaskSource for SharedQueue {
    type Local<'a> = ();

    fn new(_workers: usize) -> Self {
        SharedQueue {
            state: Mutex::new(SharedState {
                tasks: VecDeque::new(),
                closed: false,
                idle: 0,
            }),
            work: Condvar::new(),
        }
    }

    fn local(&self, _worker: usize) {}

    fn push(&self, task: Task) {
        let mut s = self.lock();
        s.tasks.push_back(task);
        if s.idle > 0 {
            self.work.notify_one();
        }
    }

    fn next(&self, _local: &mut (), _worker: usize) -> Option<Task> {
        let mut s = self.lock();
        loop {
            if let Some(task) = s.tasks.pop_front() {
                return Some(task);
            }
            if s.closed {
                return None;
            }
            s.idle += 1;
            s = self
                .work
                .wait_timeout(s, IDLE_TIMEOUT)
                .unwrap_or_else(|e| e.into_inner())
                .0;
            s.idle -= 1;
        }
    }

    fn close(&self) {
        self.lock().closed = true;
        self.work.notify_all();
    }

    fn reset(&self) {
        let mut s = self.lock();
        s.tasks.clear();
        s.closed = false;
    }
}

/// `pool/work-stealing`: the submitter pushes into a crossbeam `Injector`; each worker takes
/// batches from it into its own FIFO deque and steals from the others' when both are empty
/// (crossbeam-deque's documented `find_task`). Idle workers spin, then yield (`Backoff`).
pub struct WorkStealing {
    injector: Injector<Task>,
    /// Worker `w`'s deque; only worker `w` ever locks it (for the whole sample), so the lock
    /// is uncontended: it only makes the `!Sync` deque shareable in safe code.
    locals: Box<[parking_lot::Mutex<Worker<Task>>]>,
    stealers: Box<[Stealer<Task>]>,
    closed: AtomicBool,
}

impl WorkStealing {
    fn find(&self, local: &Worker<Task>, me: usize) -> Option<Task> {
        local.pop().or_else(|| {
            std::iter::repeat_with(|| {
                self.injector.steal_batch_and_pop(local).or_else(|| {
                    self.stealers
                        .iter()
                        .enumerate()
                        .filter(|&(i, _)| i != me)
                        .map(|(_, s)| s.steal())
                        .collect()
                })
            })
            .find(|s| !s.is_retry())
            .and_then(|s| s.success())
        })
    }
}

impl TaskSource for WorkStealing {
    type Local<'a> = parking_lot::MutexGuard<'a, Worker<Task>>;

    fn new(workers: usize) -> Self {
        let locals: Vec<_> = (0..workers.max(1)).map(|_| Worker::new_fifo()).collect();
        let stealers = locals.iter().map(Worker::stealer).collect();
        WorkStealing {
            injector: Injector::new(),
            locals: locals.into_iter().map(parking_lot::Mutex::new).collect(),
            stealers,
            closed: AtomicBool::new(false),
        }
    }

    fn local(&self, worker: usize) -> Self::Local<'_> {
        self.locals[worker].lock()
    }

    fn push(&self, task: Task) {
        self.injector.push(task);
    }

    fn next(&self, local: &mut Self::Local<'_>, worker: usize) -> Option<Task> {
        let backoff = Backoff::new();
        loop {
            if let Some(task) = self.find(local, worker) {
                return Some(task);
            }
            // Closed (Acquire: every push happened before) and nothing left in the injector or
            // our deque: other deques are drained by their owners.
            if self.closed.load(Ordering::Acquire) && self.injector.is_empty() {
                return self.find(local, worker);
            }
            backoff.snooze();
        }
    }

    fn close(&self) {
        self.closed.store(true, Ordering::Release);
    }

    fn reset(&self) {
        while !self.injector.steal().is_empty() {}
        for local in self.locals.iter() {
            while local.lock().pop().is_some() {}
        }
        self.closed.store(false, Ordering::Relaxed);
    }
}
