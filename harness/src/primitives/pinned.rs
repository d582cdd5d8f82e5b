//! Threads pinned for a primitive: one thread on a CPU, or two that meet (each knows the other's
//! handle, to unpark it) before their bodies run; waits that give up rather than hang.

use std::sync::OnceLock;
use std::thread::Thread;
use std::time::{Duration, Instant};

/// Longest a primitive's thread waits for its partner before it reports an error.
pub const PARTNER_TIMEOUT: Duration = Duration::from_secs(1);

/// Pins the calling thread to `cpu` and checks it runs there.
fn pin(cpu: usize) -> Result<(), String> {
    if crate::pin::pin_current(cpu) && crate::pin::current_cpu() == Some(cpu) {
        Ok(())
    } else {
        Err(format!("cannot pin a thread to CPU {cpu}"))
    }
}

fn joined<R>(r: std::thread::Result<Result<R, String>>) -> Result<R, String> {
    r.unwrap_or_else(|_| Err("a measuring thread panicked".into()))
}

/// Runs `body` on a new thread pinned to `cpu`.
pub fn on_cpu<R: Send>(
    cpu: usize,
    body: impl FnOnce() -> Result<R, String> + Send,
) -> Result<R, String> {
    std::thread::scope(|s| {
        joined(
            s.spawn(|| {
                pin(cpu)?;
                body()
            })
            .join(),
        )
    })
}

/// Runs `a` on a thread pinned to `cpus[0]` and `b` on one pinned to `cpus[1]` (the same CPU
/// twice is allowed); each body gets its partner's handle once both are pinned.
pub fn pair<RA: Send, RB: Send>(
    cpus: [usize; 2],
    a: impl FnOnce(&Thread) -> Result<RA, String> + Send,
    b: impl FnOnce(&Thread) -> Result<RB, String> + Send,
) -> Result<(RA, RB), String> {
    let slots: [OnceLock<Thread>; 2] = [OnceLock::new(), OnceLock::new()];
    let meet = |me: usize| -> Result<Thread, String> {
        pin(cpus[me])?;
        let _ = slots[me].set(std::thread::current());
        let start = Instant::now();
        loop {
            if let Some(peer) = slots[1 - me].get() {
                return Ok(peer.clone());
            }
            if start.elapsed() > PARTNER_TIMEOUT {
                return Err("the partner thread never started on its CPU".into());
            }
            std::thread::yield_now();
        }
    };
    std::thread::scope(|s| {
        let tb = s.spawn(|| b(&meet(1)?));
        let ra = joined(s.spawn(|| a(&meet(0)?)).join());
        let rb = joined(tb.join());
        Ok((ra?, rb?))
    })
}

/// Parks until `ready()` (checked after every wake-up, spurious ones included); an error naming
/// `what` after [`PARTNER_TIMEOUT`]. `ready` returns an error for a value out of sequence.
pub fn park_until(
    what: &str,
    mut ready: impl FnMut() -> Result<bool, String>,
) -> Result<(), String> {
    let start = Instant::now();
    while !ready()? {
        let waited = start.elapsed();
        if waited > PARTNER_TIMEOUT {
            return Err(format!(
                "{what}: no answer within {} ms",
                PARTNER_TIMEOUT.as_millis()
            ));
        }
        std::thread::park_timeout(PARTNER_TIMEOUT - waited);
    }
    Ok(())
}

/// Checks that a token seen by a waiting thread is its own last value (`own`) or the one it
/// waits for (`want`): true when `want` arrived; an error for anything else.
pub fn token(seen: u64, own: u64, want: u64) -> Result<bool, String> {
    if seen == want {
        Ok(true)
    } else if seen == own {
        Ok(false)
    } else {
        Err(format!(
            "the token was {seen}, expected {own} or {want}: a hand-off was lost or reordered"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_out_of_sequence_is_an_error() {
        assert_eq!(token(4, 3, 4), Ok(true));
        assert_eq!(token(3, 3, 4), Ok(false));
        assert!(token(6, 3, 4).unwrap_err().contains("lost or reordered"));
        assert!(token(2, 3, 4).is_err());
    }

    #[test]
    fn a_partner_that_never_answers_is_an_error_not_a_hang() {
        let cpu = crate::machine::available_cpus()[0];
        let r = pair(
            [cpu, cpu],
            |_| park_until("waiting", || Ok(false)),
            |_| Ok(()),
        );
        assert!(r.unwrap_err().contains("no answer"));
    }
}
