//! Steal time of every CPU over a whole `contend run`: `/proc/stat` read at the start and at the
//! end with the evidence module's reader.

use contend_reports::schema::StealOverRun;

use crate::evidence::procstat::{StatSnapshot, steal_between, tick_ns};

/// The start of a run's steal measurement (nothing when `/proc/stat` was unreadable).
#[derive(Debug, Clone)]
pub struct RunSteal {
    start: Option<StatSnapshot>,
}

/// Steal between two snapshots, over every CPU listed in both.
pub fn over(before: &StatSnapshot, after: &StatSnapshot, tick_ns: u64) -> StealOverRun {
    let cpus: Vec<usize> = after
        .steal_ticks
        .keys()
        .copied()
        .filter(|c| before.steal_ticks.contains_key(c))
        .collect();
    let (steal_ns, _) = steal_between(before, after, Some(&cpus), tick_ns);
    StealOverRun {
        steal_ns,
        window_ns: after.at.saturating_duration_since(before.at).as_nanos() as u64,
        cpus: cpus.len(),
    }
}

impl RunSteal {
    /// Reads `/proc/stat` now.
    pub fn start() -> RunSteal {
        RunSteal {
            start: StatSnapshot::read(),
        }
    }

    /// Steal since [`RunSteal::start`]; `None` when either read failed.
    pub fn finish(&self) -> Option<StealOverRun> {
        Some(over(
            self.start.as_ref()?,
            &StatSnapshot::read()?,
            tick_ns(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::procstat::parse_steal_ticks;
    use crate::machine::tests::fixture;
    use std::time::{Duration, Instant};

    #[test]
    fn steal_over_the_run_sums_every_cpu() {
        let text = std::fs::read_to_string(fixture("procfs/intel-2s").join("stat")).unwrap();
        let before = StatSnapshot {
            at: Instant::now(),
            steal_ticks: parse_steal_ticks(&text),
        };
        assert_eq!(before.steal_ticks.len(), 16);
        let mut after = before.clone();
        after.at += Duration::from_secs(10);
        after.steal_ticks.insert(3, before.steal_ticks[&3] + 5);
        after.steal_ticks.insert(99, 1_000); // a CPU that came online: not counted
        let s = over(&before, &after, 10_000_000);
        assert_eq!(s.steal_ns, 50_000_000);
        assert_eq!(s.window_ns, 10_000_000_000);
        assert_eq!(s.cpus, 16);
        assert!((s.fraction() - 0.05 / 160.0).abs() < 1e-12);
    }

    #[test]
    fn a_run_on_this_machine_has_a_steal_figure() {
        let run = RunSteal::start();
        let s = run.finish().expect("this machine has /proc/stat");
        assert!(s.cpus >= 1);
        assert!(RunSteal { start: None }.finish().is_none());
    }
}
