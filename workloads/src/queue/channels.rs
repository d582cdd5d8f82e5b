//! The five correct queues behind one small [`Channel`] trait: bounded, FIFO, multi-producer,
//! multi-consumer (std's single-consumer receiver is shared behind a mutex).

use std::collections::VecDeque;
use std::sync::mpsc;

use crate::sync::{Condvar, Mutex, MutexGuard};

use crossbeam_queue::ArrayQueue;
use crossbeam_utils::Backoff;

use super::Msg;

/// A bounded FIFO queue shared by every producer and consumer of a case.
pub trait Channel: Send + Sync + 'static {
    /// A queue holding at most `capacity` messages.
    fn with_capacity(capacity: usize) -> Self;
    /// Enqueues `msg`, waiting while the queue is full (consumers always drain, so this returns).
    fn send(&self, msg: Msg);
    /// Dequeues a message if one is ready.
    fn try_recv(&self) -> Option<Msg>;
    /// Dequeues a message, waiting (blocking or spinning, as the design does) until one arrives;
    /// the driver's end-of-sample sentinels guarantee one does.
    fn recv(&self) -> Msg;

    /// Dequeues messages into `each` until it returns false (waiting for each as [`recv`] does).
    /// `lone`: this is the case's only consumer. By default one `recv` per message; std's
    /// channel, whose receiver consumers share behind a mutex, lets a lone consumer hold it for
    /// the whole loop, as a plain `Receiver` loop does (the mutex only shares it).
    ///
    /// [`recv`]: Channel::recv
    fn receive_while(&self, _lone: bool, mut each: impl FnMut(Msg) -> bool) {
        while each(self.recv()) {}
    }
}

/// `queue/mutex-deque`: `std::sync::Mutex<VecDeque>` with two condition variables.
pub struct MutexDeque {
    state: Mutex<DequeState>,
    not_empty: Condvar,
    not_full: Condvar,
    capacity: usize,
}

struct DequeState {
    queue: VecDeque<Msg>,
    /// Threads parked on each condvar: a notify (a futex syscall) is only paid when someone waits.
    waiting_consumers: usize,
    waiting_producers: usize,
}

impl MutexDeque {
    fn lock(&self) -> MutexGuard<'_, DequeState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn popped(&self, state: &DequeState) {
        if state.waiting_producers > 0 {
            self.not_full.notify_one();
        }
    }
}

impl Channel for MutexDeque {
    fn with_capacity(capacity: usize) -> Self {
        MutexDeque {
            state: Mutex::new(DequeState {
                queue: VecDeque::with_capacity(capacity),
                waiting_consumers: 0,
                waiting_producers: 0,
            }),
            not_empty: Condvar::new(),
            not_full: Condvar::new(),
            capacity: capacity.max(1),
        }
    }

    fn send(&self, msg: Msg) {
        let mut s = self.lock();
        while s.queue.len() >= self.capacity {
            s.waiting_producers += 1;
            s = self.not_full.wait(s).unwrap_or_else(|e| e.into_inner());
            s.waiting_producers -= 1;
        }
        s.queue.push_back(msg);
        if s.waiting_consumers > 0 {
            self.not_empty.notify_one();
        }
    }

    fn try_recv(&self) -> Option<Msg> {
        let mut s = self.lock();
        let msg = s.queue.pop_front();
        if msg.is_some() {
            self.popped(&s);
        }
        msg
    }

    fn recv(&self) -> Msg {
        let mut s = self.lock();
        loop {
            if let Some(msg) = s.queue.pop_front() {
                self.popped(&s);
                return msg;
            }
            s.waiting_consumers += 1;
            s = self.not_empty.wait(s).unwrap_or_else(|e| e.into_inner());
            s.waiting_consumers -= 1;
        }
    }
}

/// `queue/lock-free`: crossbeam's `ArrayQueue`; full and empty are waited out with `Backoff`
/// (spin, then `yield_now`): nothing parks.
pub struct LockFree(ArrayQueue<Msg>);

impl Channel for LockFree {
    fn with_capacity(capacity: usize) -> Self {
        LockFree(ArrayQueue::new(capacity.max(1)))
    }

    fn send(&self, mut msg: Msg) {
        let backoff = Backoff::new();
        while let Err(back) = self.0.push(msg) {
            msg = back;
            backoff.snooze();
        }
    }

    fn try_recv(&self) -> Option<Msg> {
        self.0.pop()
    }

    fn recv(&self) -> Msg {
        let backoff = Backoff::new();
        loop {
            if let Some(msg) = self.0.pop() {
                return msg;
            }
            backoff.snooze();
        }
    }
}

/// `queue/std-channel`: `std::sync::mpsc::sync_channel`; its receiver is single-consumer, so
/// consumers share it behind a `Mutex` (uncontended with one consumer).
pub struct StdChannel {
    tx: mpsc::SyncSender<Msg>,
    rx: Mutex<mpsc::Receiver<Msg>>,
}

impl Channel for StdChannel {
    fn with_capacity(capacity: usize) -> Self {
        let (tx, rx) = mpsc::sync_channel(capacity.max(1));
        StdChannel {
            tx,
            rx: Mutex::new(rx),
        }
    }

    fn send(&self, msg: Msg) {
        // `self` holds the receiver, so the channel cannot be disconnected.
        self.tx
            .send(msg)
            .expect("receiver alive while the workload lives");
    }

    fn try_recv(&self) -> Option<Msg> {
        self.rx
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .try_recv()
            .ok()
    }

    fn recv(&self) -> Msg {
        let rx = self.rx.lock().unwrap_or_else(|e| e.into_inner());
        rx.recv().expect("sender alive while the workload lives")
    }

    fn receive_while(&self, lone: bool, mut each: impl FnMut(Msg) -> bool) {
        if !lone {
            while each(self.recv()) {}
            return;
        }
        let rx = self.rx.lock().unwrap_or_else(|e| e.into_inner());
        while each(rx.recv().expect("sender alive while the workload lives")) {}
    }
}

/// A channel crate whose `bounded(n)` gives a cloneable MPMC `(Sender, Receiver)` pair with
/// `send`, `try_recv` and `recv` (crossbeam-channel and flume share that shape): one adapter each.
macro_rules! bounded_channel {
    ($(#[$doc:meta])* $name:ident, $krate:ident) => {
        $(#[$doc])*
        pub struct $name {
            tx: $krate::Sender<Msg>,
            rx: $krate::Receiver<Msg>,
        }

        impl Channel for $name {
            fn with_capacity(capacity: usize) -> Self {
                let (tx, rx) = $krate::bounded(capacity.max(1));
                $name { tx, rx }
            }

            fn send(&self, msg: Msg) {
                self.tx
                    .send(msg)
                    .expect("receiver alive while the workload lives");
            }

            fn try_recv(&self) -> Option<Msg> {
                self.rx.try_recv().ok()
            }

            fn recv(&self) -> Msg {
                self.rx
                    .recv()
                    .expect("sender alive while the workload lives")
            }
        }
    };
}

bounded_channel!(
    /// `queue/crossbeam-channel`: `crossbeam_channel::bounded`.
    Crossbeam,
    crossbeam_channel
);
bounded_channel!(
    /// `queue/flume`: `flume::bounded`.
    Flume,
    flume
);
