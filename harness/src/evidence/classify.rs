//! Which samples are disturbed: thresholds on the per-sample evidence, all in one place.
//!
//! Calibrated on the project's 2-vCPU KVM VM (pinned compact, 50 ms samples) with 12 runs of
//! `contend run --quick --no-overhead` (34 cases x 5 samples) and 32 processes of `counter/atomic`
//! at 2 threads. Other sessions share that VM; runs beside their `cargo build` were told apart by
//! other processes' CPU time and are counted apart. Share of samples each criterion fired on:
//!
//! | criterion                                | quick, quiet (8 runs) | quick, beside a build (4) | atomic@2, quiet (29) |
//! |------------------------------------------|-----------------------|---------------------------|----------------------|
//! | steal (sure part > 2% of the window)     | 0 / 0                 | 0 / 0                     | 0                    |
//! | migration of a pinned thread             | 0 / 0                 | 0 / 0                     | 0                    |
//! | involuntary switches > 15 per thread     | 0 / 4.6%              | 0.9% / 19%                | 7.6%                 |
//! | run-queue wait > 2% of the window        | 1.4% / 6.9%           | 24% / 65%                 | 11%                  |
//! | any                                      | 1.4% / 10.6%          | 24% / 67%                 | 16%                  |
//!
//! (one thread / two threads, not oversubscribed; 440 / 680 quiet samples, 220 / 340 beside a
//! build, 145 atomic@2 samples; the 240 oversubscribed quiet samples never fired.) One tick of
//! steal was seen in 13 of 1360 quiet samples (1%), never two.
//!
//! At two threads on two vCPUs the runner's own control thread (unpinned) shares a CPU with a
//! worker: it wakes to open and close every window, so a clean two-thread sample has ~3 involuntary
//! switches per thread (median 5-7 per sample, p90 8-15), a one-thread sample 0-1. Switches alone
//! barely predict an odd sample (quick suite, flagged by switches only: median throughput 0.999 of
//! the case's median, at 10 per thread; above 15 the rate hardly falls further) while run-queue
//! wait does (0.971 quick suite; 1.10 for `counter/atomic@2`, which runs faster while one thread
//! is off its CPU), because it measures the time lost rather than how often a thread was
//! interrupted. Oversubscribed cases take turns by design (their threads wait ~1/3 of the window),
//! so neither switch criterion applies to them.

use contend_reports::schema::SampleEvidence;

/// Steal above this fraction of the window on the case's CPUs marks a sample disturbed. `/proc/stat`
/// counts steal in 10 ms ticks, and a difference of one tick can be rounding (anything from a few
/// ns to 20 ms of real steal), so the steal we are sure of, one tick less than seen, is compared:
/// for a 50 ms window on two CPUs that takes 2 ticks (20 ms seen, >= 10 ms sure), for 150 ms also
/// 2 ticks. The one-tick readings seen on the idle VM (1% of samples) do not fire.
pub const STEAL_FRACTION_LIMIT: f64 = 0.02;
/// Migrations of pinned threads above this mark a sample disturbed (pinning did not hold). Never
/// seen on the VM: a pinned thread migrates only if its pin failed.
pub const PINNED_MIGRATIONS_LIMIT: u64 = 0;
/// Involuntary switches above this many per thread (workers and helpers) mark a sample disturbed
/// (not oversubscribed cases). 15 per thread: five times a clean two-thread sample's ~3, above its
/// p90; 10 fired on 6.5% of quiet two-thread samples (14.5% for `counter/atomic@2`), 15 on 4.6%.
pub const INVOLUNTARY_SWITCHES_PER_THREAD_LIMIT: u64 = 15;
/// Run-queue wait above this fraction of the window times the threads marks a sample disturbed
/// (not oversubscribed cases): the threads lost that much of their window to other tasks. A
/// clean two-thread sample waits ~0.1% (p90 0.8%); a disturbed one typically one time slice
/// (~3 ms of 2 x 50 ms), beside a build 30-50%.
pub const RUNQUEUE_WAIT_FRACTION_LIMIT: f64 = 0.02;

/// What classification needs to know about the case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseShape {
    /// Distinct CPUs the threads are pinned to, in order of first use; `None` when unpinned.
    pub pinned_cpus: Option<Vec<usize>>,
    /// More threads than CPUs.
    pub oversubscribed: bool,
    /// Worker and helper threads.
    pub threads: usize,
}

impl CaseShape {
    /// The shape of a case whose threads were pinned per `cpus_requested` (one entry per thread).
    pub fn new(cpus_requested: &[Option<usize>], oversubscribed: bool) -> CaseShape {
        let pinned = !cpus_requested.is_empty() && cpus_requested.iter().all(Option::is_some);
        let pinned_cpus = pinned.then(|| {
            let mut distinct: Vec<usize> = Vec::new();
            for &cpu in cpus_requested.iter().flatten() {
                if !distinct.contains(&cpu) {
                    distinct.push(cpu);
                }
            }
            distinct
        });
        CaseShape {
            pinned_cpus,
            oversubscribed,
            threads: cpus_requested.len(),
        }
    }
}

/// The reasons `e` is disturbed, one `kind: detail` line each; empty when clean. `window_ns` is the
/// sample's window (`Sample::elapsed_ns`), `tick_ns` the length of a `/proc/stat` tick.
pub fn disturbed(
    e: &SampleEvidence,
    shape: &CaseShape,
    window_ns: u64,
    tick_ns: u64,
) -> Vec<String> {
    let mut reasons = Vec::new();
    if let Some(steal) = e.steal_ns
        && e.window_cpu_ns > 0
    {
        let sure = steal.saturating_sub(tick_ns);
        if sure as f64 > STEAL_FRACTION_LIMIT * e.window_cpu_ns as f64 {
            reasons.push(format!(
                "steal: {} ms on the case's CPUs, at least {:.1}% of the window (limit {}%)",
                steal / 1_000_000,
                sure as f64 / e.window_cpu_ns as f64 * 100.0,
                STEAL_FRACTION_LIMIT * 100.0
            ));
        }
    }
    if shape.pinned_cpus.is_some()
        && let Some(m) = e.migrations
        && m > PINNED_MIGRATIONS_LIMIT
    {
        reasons.push(format!("migration: {m} CPU migration(s) of pinned threads"));
    }
    if shape.oversubscribed {
        return reasons;
    }
    let switch_limit = INVOLUNTARY_SWITCHES_PER_THREAD_LIMIT * shape.threads as u64;
    if e.involuntary_switches > switch_limit {
        reasons.push(format!(
            "involuntary_switches: {} over {} thread(s) (limit {switch_limit})",
            e.involuntary_switches, shape.threads
        ));
    }
    let thread_window = window_ns as f64 * shape.threads as f64;
    if let Some(wait) = e.runqueue_wait_ns
        && thread_window > 0.0
        && wait as f64 > RUNQUEUE_WAIT_FRACTION_LIMIT * thread_window
    {
        reasons.push(format!(
            "runqueue_wait: {:.1}% of the window over {} thread(s) ({} us; limit {}%)",
            wait as f64 / thread_window * 100.0,
            shape.threads,
            wait / 1000,
            RUNQUEUE_WAIT_FRACTION_LIMIT * 100.0
        ));
    }
    reasons
}

#[cfg(test)]
mod tests {
    use super::*;

    const TICK: u64 = 10_000_000;
    const WINDOW: u64 = 150_000_000;

    fn clean() -> SampleEvidence {
        SampleEvidence {
            steal_ns: Some(0),
            window_cpu_ns: 2 * WINDOW,
            involuntary_switches: 1,
            voluntary_switches: 0,
            runqueue_wait_ns: Some(20_000),
            migrations: Some(0),
            source: "perf_event_open".into(),
            hardware: None,
            disturbed: vec![],
        }
    }

    fn pinned2() -> CaseShape {
        CaseShape::new(&[Some(0), Some(1)], false)
    }

    #[test]
    fn shapes_list_distinct_pinned_cpus_in_order_of_use() {
        let s = CaseShape::new(&[Some(1), Some(0), Some(1)], true);
        assert_eq!(s.pinned_cpus, Some(vec![1, 0]));
        assert_eq!(s.threads, 3);
        assert_eq!(CaseShape::new(&[None, None], false).pinned_cpus, None);
        assert_eq!(CaseShape::new(&[], false).pinned_cpus, None);
    }

    #[test]
    fn a_quiet_sample_is_clean() {
        assert!(disturbed(&clean(), &pinned2(), WINDOW, TICK).is_empty());
    }

    #[test]
    fn steal_we_are_sure_of_above_the_limit_is_a_disturbance() {
        let e = SampleEvidence {
            steal_ns: Some(3 * TICK), // 30 ms seen, >= 20 ms sure: 6.7% of 2 x 150 ms
            ..clean()
        };
        let reasons = disturbed(&e, &pinned2(), WINDOW, TICK);
        assert_eq!(reasons.len(), 1, "{reasons:?}");
        assert!(
            reasons[0].starts_with("steal: 30 ms on the case's CPUs, at least 6.7%"),
            "{reasons:?}"
        );
    }

    #[test]
    fn steal_below_the_fraction_is_clean() {
        let e = SampleEvidence {
            steal_ns: Some(2 * TICK), // >= 10 ms sure: 0.5% of 2 x 1 s
            window_cpu_ns: 2 * 1_000_000_000,
            ..clean()
        };
        assert!(disturbed(&e, &pinned2(), WINDOW, TICK).is_empty());
    }

    #[test]
    fn a_single_tick_of_steal_may_be_rounding_two_are_not() {
        let short = |ticks| SampleEvidence {
            steal_ns: Some(ticks * TICK),
            window_cpu_ns: 2 * 50_000_000,
            ..clean()
        };
        assert!(disturbed(&short(1), &pinned2(), WINDOW, TICK).is_empty());
        assert_eq!(disturbed(&short(2), &pinned2(), WINDOW, TICK).len(), 1);
    }

    #[test]
    fn a_pinned_thread_that_migrated_is_a_disturbance_an_unpinned_one_is_not() {
        let e = SampleEvidence {
            migrations: Some(1),
            ..clean()
        };
        let reasons = disturbed(&e, &pinned2(), WINDOW, TICK);
        assert!(reasons[0].starts_with("migration: 1"), "{reasons:?}");
        let unpinned = CaseShape::new(&[None, None], false);
        assert!(disturbed(&e, &unpinned, WINDOW, TICK).is_empty());
    }

    #[test]
    fn involuntary_switches_count_unless_oversubscribed() {
        let e = SampleEvidence {
            involuntary_switches: INVOLUNTARY_SWITCHES_PER_THREAD_LIMIT * 2 + 1,
            ..clean()
        };
        let reasons = disturbed(&e, &pinned2(), WINDOW, TICK);
        assert!(
            reasons[0].starts_with("involuntary_switches:"),
            "{reasons:?}"
        );
        let over = CaseShape::new(&[Some(0), Some(1), Some(0)], true);
        assert!(disturbed(&e, &over, WINDOW, TICK).is_empty());
    }

    #[test]
    fn run_queue_wait_counts_unless_oversubscribed() {
        // 3% of 2 threads x 150 ms.
        let e = SampleEvidence {
            runqueue_wait_ns: Some(9_000_000),
            ..clean()
        };
        let reasons = disturbed(&e, &pinned2(), WINDOW, TICK);
        assert_eq!(reasons.len(), 1, "{reasons:?}");
        assert!(reasons[0].starts_with("runqueue_wait: 3.0%"), "{reasons:?}");
        let over = CaseShape::new(&[Some(0), Some(1), Some(0)], true);
        assert!(disturbed(&e, &over, WINDOW, TICK).is_empty());
        let unknown = SampleEvidence {
            runqueue_wait_ns: None,
            ..e
        };
        assert!(disturbed(&unknown, &pinned2(), WINDOW, TICK).is_empty());
    }

    #[test]
    fn every_reason_is_listed() {
        let e = SampleEvidence {
            steal_ns: Some(10 * TICK),
            migrations: Some(2),
            involuntary_switches: 100,
            runqueue_wait_ns: Some(WINDOW),
            ..clean()
        };
        let kinds: Vec<String> = disturbed(&e, &pinned2(), WINDOW, TICK)
            .iter()
            .map(|r| r.split(':').next().unwrap().to_string())
            .collect();
        assert_eq!(
            kinds,
            [
                "steal",
                "migration",
                "involuntary_switches",
                "runqueue_wait"
            ]
        );
    }
}
