//! Steal time per CPU from `/proc/stat`: parsed from text (pure) and read around a sample's window
//! by the runner's control thread.
//!
//! The per-CPU lines are `cpuN user nice system idle iowait irq softirq steal guest guest_nice`, in
//! USER_HZ ticks (`sysconf(_SC_CLK_TCK)`, 100 on Linux: 10 ms). Steal is the 8th value.

use std::collections::BTreeMap;
use std::time::Instant;

/// Steal ticks per CPU from the text of `/proc/stat` (the aggregate `cpu` line is skipped; a
/// malformed or short line is left out).
pub fn parse_steal_ticks(text: &str) -> BTreeMap<usize, u64> {
    text.lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let cpu = fields.next()?.strip_prefix("cpu")?.parse().ok()?;
            let steal = fields.nth(7)?.parse().ok()?;
            Some((cpu, steal))
        })
        .collect()
}

/// Steal ticks summed over `cpus` (every CPU listed when `None`); CPUs not listed count zero.
pub fn sum_steal(per_cpu: &BTreeMap<usize, u64>, cpus: Option<&[usize]>) -> u64 {
    match cpus {
        None => per_cpu.values().sum(),
        Some(cpus) => cpus.iter().filter_map(|c| per_cpu.get(c)).sum(),
    }
}

/// Nanoseconds per USER_HZ tick on this machine.
pub fn tick_ns() -> u64 {
    crate::platform::clock_tick_ns()
}

/// One read of `/proc/stat` and when it was taken.
#[derive(Debug, Clone)]
pub struct StatSnapshot {
    pub at: Instant,
    pub steal_ticks: BTreeMap<usize, u64>,
}

impl StatSnapshot {
    /// Reads `/proc/stat` now; `None` when it cannot be read or lists no CPU.
    pub fn read() -> Option<StatSnapshot> {
        let text = std::fs::read_to_string("/proc/stat").ok()?;
        let at = Instant::now();
        let steal_ticks = parse_steal_ticks(&text);
        (!steal_ticks.is_empty()).then_some(StatSnapshot { at, steal_ticks })
    }
}

/// Steal between two snapshots on `cpus` (all CPUs when `None`): `(steal_ns, window_cpu_ns)`, the
/// second being the time between the snapshots times the number of CPUs summed.
pub fn steal_between(
    before: &StatSnapshot,
    after: &StatSnapshot,
    cpus: Option<&[usize]>,
    tick_ns: u64,
) -> (u64, u64) {
    let ticks =
        sum_steal(&after.steal_ticks, cpus).saturating_sub(sum_steal(&before.steal_ticks, cpus));
    let counted = match cpus {
        None => after.steal_ticks.len(),
        Some(cpus) => cpus
            .iter()
            .filter(|c| after.steal_ticks.contains_key(c))
            .count(),
    };
    let window = after.at.saturating_duration_since(before.at).as_nanos() as u64;
    (ticks * tick_ns, window * counted as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const BEFORE: &str = "cpu  39947 0 5436 67474 530 0 63 37 0 0\n\
        cpu0 21693 0 2463 32599 78 0 9 15 0 0\n\
        cpu1 18254 0 2973 34874 452 0 53 22 0 0\n\
        intr 453261 0 0 0\n\
        ctxt 2702204\n\
        btime 1764488000\n\
        processes 15000\n";
    const AFTER: &str = "cpu  40047 0 5436 67474 530 0 63 40 0 0\n\
        cpu0 21743 0 2463 32599 78 0 9 15 0 0\n\
        cpu1 18304 0 2973 34874 452 0 53 25 0 0\n\
        ctxt 2702304\n";

    #[test]
    fn per_cpu_steal_is_the_eighth_value() {
        let steal = parse_steal_ticks(BEFORE);
        assert_eq!(steal, BTreeMap::from([(0, 15), (1, 22)]));
        assert_eq!(sum_steal(&steal, None), 37);
        assert_eq!(sum_steal(&steal, Some(&[1])), 22);
        assert_eq!(
            sum_steal(&steal, Some(&[1, 7])),
            22,
            "an unknown CPU counts zero"
        );
    }

    #[test]
    fn old_kernels_and_garbage_lines_are_skipped() {
        // Before Linux 2.6.11 a cpu line had 7 values and no steal.
        assert!(parse_steal_ticks("cpu0 1 2 3 4 5 6 7\ncpufreq x\n").is_empty());
        assert!(parse_steal_ticks("").is_empty());
    }

    #[test]
    fn steal_between_snapshots_on_the_case_cpus() {
        let t0 = Instant::now();
        let before = StatSnapshot {
            at: t0,
            steal_ticks: parse_steal_ticks(BEFORE),
        };
        let after = StatSnapshot {
            at: t0 + Duration::from_millis(500),
            steal_ticks: parse_steal_ticks(AFTER),
        };
        let tick = 10_000_000;
        assert_eq!(
            steal_between(&before, &after, Some(&[1]), tick),
            (30_000_000, 500_000_000)
        );
        assert_eq!(
            steal_between(&before, &after, None, tick),
            (30_000_000, 1_000_000_000)
        );
        assert_eq!(steal_between(&before, &after, Some(&[0]), tick).0, 0);
    }

    #[test]
    fn this_machine_has_readable_steal_and_a_tick() {
        let snap = StatSnapshot::read().expect("/proc/stat lists CPUs");
        assert!(!snap.steal_ticks.is_empty());
        assert!(tick_ns() > 0);
    }
}
