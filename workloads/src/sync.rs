//! `Mutex` and `Condvar` that keep their happens-before edges visible to ThreadSanitizer when std
//! itself is not instrumented (the crate-only lane): in builds with `--cfg contend_tsan` they
//! annotate lock and unlock with `__tsan_acquire` / `__tsan_release`; otherwise they are std's.
//!
//! The API mirrors the std subset the workloads use (`lock`, `wait`, `wait_timeout`, `notify_*`),
//! poisoning included, so call sites read like std code.

use std::ops::{Deref, DerefMut};
use std::sync::{self, LockResult, PoisonError, WaitTimeoutResult};
use std::time::Duration;

/// ThreadSanitizer's annotation hooks (only linked in sanitizer builds).
mod tsan {
    #[cfg(contend_tsan)]
    unsafe extern "C" {
        fn __tsan_acquire(addr: *mut std::ffi::c_void);
        fn __tsan_release(addr: *mut std::ffi::c_void);
    }

    /// Tells TSan this thread now synchronizes-with the last release on `addr`.
    #[inline(always)]
    pub fn acquire(addr: *const ()) {
        #[cfg(contend_tsan)]
        // SAFETY: the TSan runtime only records `addr` as a synchronization object's identity.
        unsafe {
            __tsan_acquire(addr as *mut _)
        };
        let _ = addr;
    }

    /// Tells TSan everything this thread did so far happens-before a later acquire on `addr`.
    #[inline(always)]
    pub fn release(addr: *const ()) {
        #[cfg(contend_tsan)]
        // SAFETY: as for `acquire`.
        unsafe {
            __tsan_release(addr as *mut _)
        };
        let _ = addr;
    }
}

/// `std::sync::Mutex`, annotated for ThreadSanitizer in sanitizer builds.
#[derive(Debug, Default)]
pub struct Mutex<T> {
    inner: sync::Mutex<T>,
}

/// The guard of [`Mutex`]; releasing it is a TSan release on the mutex.
#[derive(Debug)]
pub struct MutexGuard<'a, T> {
    /// `None` only while a [`Condvar`] wait holds the std guard.
    inner: Option<sync::MutexGuard<'a, T>>,
    lock: *const (),
}

fn rewrap<'a, T>(
    result: LockResult<sync::MutexGuard<'a, T>>,
    lock: *const (),
) -> LockResult<MutexGuard<'a, T>> {
    match result {
        Ok(g) => Ok(MutexGuard {
            inner: Some(g),
            lock,
        }),
        Err(e) => Err(PoisonError::new(MutexGuard {
            inner: Some(e.into_inner()),
            lock,
        })),
    }
}

impl<T> Mutex<T> {
    pub const fn new(value: T) -> Self {
        Mutex {
            inner: sync::Mutex::new(value),
        }
    }

    fn addr(&self) -> *const () {
        (self as *const Self).cast()
    }

    /// Locks, like `std::sync::Mutex::lock`.
    pub fn lock(&self) -> LockResult<MutexGuard<'_, T>> {
        let result = self.inner.lock();
        tsan::acquire(self.addr());
        rewrap(result, self.addr())
    }
}

impl<T> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        if self.inner.is_some() {
            // Before the std guard (a field) unlocks.
            tsan::release(self.lock);
        }
    }
}

impl<T> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.inner.as_deref().expect("guard is held outside a wait")
    }
}

impl<T> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.inner
            .as_deref_mut()
            .expect("guard is held outside a wait")
    }
}

/// `std::sync::Condvar` for [`Mutex`]: a wait releases and re-acquires the mutex for TSan too.
#[derive(Debug, Default)]
pub struct Condvar(sync::Condvar);

impl Condvar {
    pub const fn new() -> Self {
        Condvar(sync::Condvar::new())
    }

    pub fn notify_one(&self) {
        self.0.notify_one();
    }

    pub fn notify_all(&self) {
        self.0.notify_all();
    }

    /// Waits, like `std::sync::Condvar::wait`.
    pub fn wait<'a, T>(&self, mut guard: MutexGuard<'a, T>) -> LockResult<MutexGuard<'a, T>> {
        let lock = guard.lock;
        let inner = guard.inner.take().expect("guard is held");
        tsan::release(lock);
        let result = self.0.wait(inner);
        tsan::acquire(lock);
        rewrap(result, lock)
    }

    /// Waits at most `timeout`, like `std::sync::Condvar::wait_timeout`.
    pub fn wait_timeout<'a, T>(
        &self,
        mut guard: MutexGuard<'a, T>,
        timeout: Duration,
    ) -> LockResult<(MutexGuard<'a, T>, WaitTimeoutResult)> {
        let lock = guard.lock;
        let inner = guard.inner.take().expect("guard is held");
        tsan::release(lock);
        let result = self.0.wait_timeout(inner, timeout);
        tsan::acquire(lock);
        match result {
            Ok((g, t)) => Ok((
                MutexGuard {
                    inner: Some(g),
                    lock,
                },
                t,
            )),
            Err(e) => {
                let (g, t) = e.into_inner();
                Err(PoisonError::new((
                    MutexGuard {
                        inner: Some(g),
                        lock,
                    },
                    t,
                )))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn behaves_like_std_under_contention() {
        let m = Arc::new(Mutex::new(0u64));
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let m = Arc::clone(&m);
                std::thread::spawn(move || (0..10_000).for_each(|_| *m.lock().unwrap() += 1))
            })
            .collect();
        handles.into_iter().for_each(|h| h.join().unwrap());
        assert_eq!(*m.lock().unwrap(), 40_000);
    }

    #[test]
    fn a_condvar_wait_hands_the_lock_over() {
        let pair = Arc::new((Mutex::new(false), Condvar::new()));
        let p = Arc::clone(&pair);
        let t = std::thread::spawn(move || {
            *p.0.lock().unwrap() = true;
            p.1.notify_all();
        });
        let mut ready = pair.0.lock().unwrap();
        while !*ready {
            ready = pair
                .1
                .wait_timeout(ready, Duration::from_millis(100))
                .unwrap()
                .0;
        }
        drop(ready);
        t.join().unwrap();
        assert!(*pair.0.lock().unwrap());
        let g = pair.0.lock().unwrap();
        let (g, timeout) = pair.1.wait_timeout(g, Duration::from_millis(1)).unwrap();
        assert!(timeout.timed_out());
        assert!(*g);
    }

    #[test]
    fn poisoning_is_reported_like_std() {
        let m = Arc::new(Mutex::new(1));
        let m2 = Arc::clone(&m);
        let _ = std::thread::spawn(move || {
            let _g = m2.lock().unwrap();
            panic!("poison it");
        })
        .join();
        let g = m.lock().unwrap_or_else(|e| e.into_inner());
        assert_eq!(*g, 1);
    }
}
