//! Counters of one case thread, opened and read by the thread itself outside the timed window:
//! context switches from `/proc/thread-self/status`, time spent runnable but waiting for a CPU from
//! `/proc/thread-self/schedstat`, CPU migrations from a perf software counter (or
//! `/proc/thread-self/sched` where perf is not permitted), hardware counters where available.

use std::fs::File;

use super::perf::{self, Counter, Scope};

/// Where a thread's migration count comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A `PERF_COUNT_SW_CPU_MIGRATIONS` counter of the thread.
    Perf,
    /// `se.nr_migrations` of `/proc/thread-self/sched` (needs `CONFIG_SCHED_DEBUG`).
    Procfs,
}

impl Source {
    /// The name recorded in the results (`SampleEvidence::source`).
    pub fn name(self) -> &'static str {
        match self {
            Source::Perf => "perf_event_open",
            Source::Procfs => "procfs",
        }
    }
}

/// A thread's counters at one moment, or (after [`Reading::since`]) over a span.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reading {
    pub voluntary: u64,
    pub involuntary: u64,
    /// Time runnable but waiting on a run queue, ns (null without `CONFIG_SCHED_INFO`).
    pub runqueue_wait_ns: Option<u64>,
    /// Null when neither perf nor `/proc/thread-self/sched` counts them.
    pub migrations: Option<u64>,
    /// Cycles, instructions, cache misses (user space) where hardware counters are available.
    pub hardware: Option<[u64; 3]>,
}

impl Reading {
    /// The counts from `earlier` to `self`.
    pub fn since(&self, earlier: &Reading) -> Reading {
        let hardware = match (self.hardware, earlier.hardware) {
            (Some(a), Some(b)) => Some([0, 1, 2].map(|i| a[i].saturating_sub(b[i]))),
            _ => None,
        };
        Reading {
            voluntary: self.voluntary.saturating_sub(earlier.voluntary),
            involuntary: self.involuntary.saturating_sub(earlier.involuntary),
            runqueue_wait_ns: self
                .runqueue_wait_ns
                .zip(earlier.runqueue_wait_ns)
                .map(|(a, b)| a.saturating_sub(b)),
            migrations: self
                .migrations
                .zip(earlier.migrations)
                .map(|(a, b)| a.saturating_sub(b)),
            hardware,
        }
    }
}

/// The counters of the thread that opened them: must be read by that same thread.
#[derive(Debug)]
pub struct ThreadCounters {
    source: Source,
    /// `/proc/thread-self/status`, kept open: re-read from offset 0 it describes this thread anew.
    status: Option<File>,
    /// `/proc/thread-self/schedstat`, kept open likewise.
    schedstat: Option<File>,
    /// `/proc/thread-self/sched`, kept open (procfs source only).
    sched: Option<File>,
    migrations: Option<Counter>,
    hardware: Option<[Counter; 3]>,
}

impl ThreadCounters {
    /// Opens the calling thread's counters: perf for migrations where the process may use it
    /// (probed once per process), procfs otherwise.
    pub fn open() -> ThreadCounters {
        let perf = perf::software_available()
            .is_ok()
            .then(|| Counter::open(perf::TYPE_SOFTWARE, perf::SW_CPU_MIGRATIONS, Scope::All).ok())
            .flatten();
        match perf {
            Some(counter) => ThreadCounters {
                source: Source::Perf,
                status: File::open("/proc/thread-self/status").ok(),
                schedstat: File::open("/proc/thread-self/schedstat").ok(),
                sched: None,
                migrations: Some(counter),
                hardware: open_hardware(),
            },
            None => ThreadCounters::open_procfs(),
        }
    }

    /// Opens the calling thread's counters without perf software events (the fallback).
    pub fn open_procfs() -> ThreadCounters {
        ThreadCounters {
            source: Source::Procfs,
            status: File::open("/proc/thread-self/status").ok(),
            schedstat: File::open("/proc/thread-self/schedstat").ok(),
            sched: File::open("/proc/thread-self/sched").ok(),
            migrations: None,
            hardware: open_hardware(),
        }
    }

    pub fn source(&self) -> Source {
        self.source
    }

    /// The counts now; a counter that cannot be read reads as zero (switches) or null.
    pub fn read(&self) -> Reading {
        let (voluntary, involuntary) = self
            .status
            .as_ref()
            .and_then(|f| crate::platform::read_from_start(f).ok())
            .and_then(|t| parse_status_switches(&t))
            .unwrap_or((0, 0));
        let runqueue_wait_ns = self
            .schedstat
            .as_ref()
            .and_then(|f| crate::platform::read_from_start(f).ok())
            .and_then(|t| parse_schedstat_wait(&t));
        let migrations = match (&self.migrations, &self.sched) {
            (Some(c), _) => c.read().ok(),
            (None, Some(f)) => crate::platform::read_from_start(f)
                .ok()
                .and_then(|t| parse_sched_migrations(&t)),
            (None, None) => None,
        };
        let hardware = self.hardware.as_ref().and_then(|cs| {
            let mut out = [0u64; 3];
            for (o, c) in out.iter_mut().zip(cs) {
                *o = c.read().ok()?;
            }
            Some(out)
        });
        Reading {
            voluntary,
            involuntary,
            runqueue_wait_ns,
            migrations,
            hardware,
        }
    }
}

/// Cycles, instructions and cache misses of the calling thread, if this process has them.
fn open_hardware() -> Option<[Counter; 3]> {
    perf::hardware_available().as_ref().ok()?;
    let open = |config| Counter::open(perf::TYPE_HARDWARE, config, Scope::User).ok();
    Some([
        open(perf::HW_CPU_CYCLES)?,
        open(perf::HW_INSTRUCTIONS)?,
        open(perf::HW_CACHE_MISSES)?,
    ])
}

/// `(voluntary, involuntary)` context switches from the text of `/proc/<pid>/task/<tid>/status`.
pub fn parse_status_switches(text: &str) -> Option<(u64, u64)> {
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
            .and_then(|v| v.trim().parse().ok())
    };
    Some((
        field("voluntary_ctxt_switches")?,
        field("nonvoluntary_ctxt_switches")?,
    ))
}

/// The run-queue wait (`run_delay`, ns; the second of three numbers) from the text of
/// `/proc/<pid>/task/<tid>/schedstat`.
pub fn parse_schedstat_wait(text: &str) -> Option<u64> {
    let mut fields = text.split_whitespace();
    fields.next()?.parse::<u64>().ok()?;
    fields.next()?.parse().ok()
}

/// `se.nr_migrations` from the text of `/proc/<pid>/task/<tid>/sched`.
pub fn parse_sched_migrations(text: &str) -> Option<u64> {
    text.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        (name.trim() == "se.nr_migrations")
            .then(|| value.trim().parse().ok())
            .flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &str = "Name:\tcounter/atomic#\nUmask:\t0022\nState:\tR (running)\n\
        Tgid:\t4242\nPid:\t4244\nCpus_allowed_list:\t1\n\
        voluntary_ctxt_switches:\t17\nnonvoluntary_ctxt_switches:\t3\n";

    const SCHED: &str = "contend (4244, #threads: 3)\n\
        -------------------------------------------------------------------\n\
        se.exec_start                                :        587707.749568\n\
        se.sum_exec_runtime                          :             0.172674\n\
        se.nr_migrations                             :                    5\n\
        nr_switches                                  :                   20\n\
        nr_voluntary_switches                        :                   17\n\
        nr_involuntary_switches                      :                    3\n";

    #[test]
    fn status_text_gives_both_switch_counts() {
        assert_eq!(parse_status_switches(STATUS), Some((17, 3)));
        assert_eq!(parse_status_switches("Name:\tx\n"), None);
        assert_eq!(
            parse_status_switches("voluntary_ctxt_switches:\tmany\nnonvoluntary_ctxt_switches:\t1"),
            None
        );
    }

    #[test]
    fn schedstat_text_gives_the_run_queue_wait() {
        assert_eq!(parse_schedstat_wait("121763 3444279 2\n"), Some(3_444_279));
        assert_eq!(parse_schedstat_wait("121763\n"), None);
        assert_eq!(parse_schedstat_wait(""), None);
    }

    #[test]
    fn sched_text_gives_migrations() {
        assert_eq!(parse_sched_migrations(SCHED), Some(5));
        assert_eq!(parse_sched_migrations("nr_switches : 4\n"), None);
    }

    #[test]
    fn readings_subtract_field_by_field() {
        let a = Reading {
            voluntary: 5,
            involuntary: 2,
            runqueue_wait_ns: Some(1000),
            migrations: Some(1),
            hardware: Some([100, 200, 3]),
        };
        let b = Reading {
            voluntary: 9,
            involuntary: 3,
            runqueue_wait_ns: Some(1500),
            migrations: Some(1),
            hardware: Some([150, 260, 4]),
        };
        assert_eq!(
            b.since(&a),
            Reading {
                voluntary: 4,
                involuntary: 1,
                runqueue_wait_ns: Some(500),
                migrations: Some(0),
                hardware: Some([50, 60, 1]),
            }
        );
        let none = Reading {
            migrations: None,
            ..a
        };
        assert_eq!(b.since(&none).migrations, None);
    }

    #[test]
    fn both_sources_read_this_thread() {
        for counters in [ThreadCounters::open(), ThreadCounters::open_procfs()] {
            let before = counters.read();
            std::thread::sleep(std::time::Duration::from_millis(1));
            let after = counters.read();
            let span = after.since(&before);
            assert!(
                after.voluntary >= 1,
                "{:?}: a sleeping thread switched voluntarily",
                counters.source()
            );
            assert!(span.voluntary >= 1, "{:?}: {span:?}", counters.source());
        }
        let procfs = ThreadCounters::open_procfs();
        assert_eq!(procfs.source(), Source::Procfs);
        if std::path::Path::new("/proc/thread-self/sched").exists() {
            assert!(
                procfs.read().migrations.is_some(),
                "the fallback counts migrations"
            );
        }
    }
}
