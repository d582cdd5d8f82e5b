//! `Mutex` and `Condvar` that ThreadSanitizer sees as mutexes even though std's are futex-based:
//! in builds with `--cfg contend_tsan` (every `contend tsan` lane) lock and unlock are announced
//! with `__tsan_mutex_pre_lock`/`post_lock`/`pre_unlock`/`post_unlock`. That keeps their
//! happens-before edges visible where std itself is not instrumented (the crate-only lane), and
//! lets TSan's deadlock detector (`detect_deadlocks=1`) report lock-order inversions, which it
//! cannot do for std's or parking_lot's locks. Otherwise they are std's.
//!
//! The API mirrors the std subset the workloads use (`lock`, `wait`, `wait_timeout`, `notify_*`),
//! poisoning included, so call sites read like std code.

use std::ops::{Deref, DerefMut};
use std::sync::{self, LockResult, PoisonError, WaitTimeoutResult};
use std::time::Duration;

/// ThreadSanitizer's mutex annotations (only linked in sanitizer builds). A mutex is created
/// lazily by TSan at its first lock: a `Mutex` moves after `new`, so only then is its address final.
mod tsan {
    #[cfg(contend_tsan)]
    unsafe extern "C" {
        fn __tsan_mutex_destroy(addr: *mut std::ffi::c_void, flags: u32);
        fn __tsan_mutex_pre_lock(addr: *mut std::ffi::c_void, flags: u32);
        fn __tsan_mutex_post_lock(addr: *mut std::ffi::c_void, flags: u32, recursion: i32);
        fn __tsan_mutex_pre_unlock(addr: *mut std::ffi::c_void, flags: u32) -> i32;
        fn __tsan_mutex_post_unlock(addr: *mut std::ffi::c_void, flags: u32);
    }

    /// Runs `f` with the annotation hook, in sanitizer builds only.
    macro_rules! hook {
        ($call:expr) => {{
            #[cfg(contend_tsan)]
            // SAFETY: the TSan runtime only uses the address as the mutex's identity.
            unsafe {
                $call;
            }
        }};
    }

    /// Before blocking to lock the mutex at `addr` (the deadlock detector's lock-order edge).
    #[inline(always)]
    pub fn pre_lock(addr: *const ()) {
        hook!(__tsan_mutex_pre_lock(addr as *mut _, 0));
        let _ = addr;
    }

    /// The mutex at `addr` is now held: acquires everything released by its last unlock.
    #[inline(always)]
    pub fn post_lock(addr: *const ()) {
        hook!(__tsan_mutex_post_lock(addr as *mut _, 0, 0));
        let _ = addr;
    }

    /// About to unlock the mutex at `addr`: releases this thread's accesses so far.
    #[inline(always)]
    pub fn pre_unlock(addr: *const ()) {
        hook!(__tsan_mutex_pre_unlock(addr as *mut _, 0));
        let _ = addr;
    }

    /// The mutex at `addr` is unlocked.
    #[inline(always)]
    pub fn post_unlock(addr: *const ()) {
        hook!(__tsan_mutex_post_unlock(addr as *mut _, 0));
        let _ = addr;
    }

    /// The mutex at `addr` is gone (its memory may hold another mutex next).
    #[inline(always)]
    pub fn destroy(addr: *const ()) {
        hook!(__tsan_mutex_destroy(addr as *mut _, 0));
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
        tsan::pre_lock(self.addr());
        let result = self.inner.lock();
        tsan::post_lock(self.addr());
        rewrap(result, self.addr())
    }
}

impl<T> Drop for Mutex<T> {
    fn drop(&mut self) {
        tsan::destroy(self.addr());
    }
}

impl<T> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            tsan::pre_unlock(self.lock);
            drop(inner);
            tsan::post_unlock(self.lock);
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
        tsan::pre_unlock(lock);
        tsan::post_unlock(lock);
        let result = self.0.wait(inner);
        tsan::pre_lock(lock);
        tsan::post_lock(lock);
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
        tsan::pre_unlock(lock);
        tsan::post_unlock(lock);
        let result = self.0.wait_timeout(inner, timeout);
        tsan::pre_lock(lock);
        tsan::post_lock(lock);
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
