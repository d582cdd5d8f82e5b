//! A minimal `perf_event_open(2)` wrapper: one counting (not sampling) event of the calling thread,
//! on whichever CPU it runs, read with `read(2)` and scaled for multiplexing.
//!
//! The `libc` crate has the system call number but not `struct perf_event_attr`, so the first
//! fields of it (`PERF_ATTR_SIZE_VER1`, 72 bytes; the kernel accepts any published size) are
//! declared here.

// perf_event_open exists on Linux only: elsewhere `Counter::open` fails and its parts go unused.
#![cfg_attr(not(target_os = "linux"), allow(dead_code))]

use std::fs::File;
use std::io::{self, Read};
#[cfg(target_os = "linux")]
use std::os::fd::FromRawFd;
use std::sync::OnceLock;

/// `PERF_TYPE_HARDWARE`.
pub const TYPE_HARDWARE: u32 = 0;
/// `PERF_TYPE_SOFTWARE`.
pub const TYPE_SOFTWARE: u32 = 1;
/// `PERF_COUNT_HW_CPU_CYCLES`.
pub const HW_CPU_CYCLES: u64 = 0;
/// `PERF_COUNT_HW_INSTRUCTIONS`.
pub const HW_INSTRUCTIONS: u64 = 1;
/// `PERF_COUNT_HW_CACHE_MISSES`.
pub const HW_CACHE_MISSES: u64 = 3;
/// `PERF_COUNT_SW_CPU_MIGRATIONS`.
pub const SW_CPU_MIGRATIONS: u64 = 4;

const FORMAT_TOTAL_TIME_ENABLED: u64 = 1 << 0;
const FORMAT_TOTAL_TIME_RUNNING: u64 = 1 << 1;
const FLAG_EXCLUDE_KERNEL: u64 = 1 << 5;
const FLAG_EXCLUDE_HV: u64 = 1 << 6;
const PERF_FLAG_FD_CLOEXEC: libc::c_ulong = 1 << 3;

/// The first 72 bytes of `struct perf_event_attr` (`PERF_ATTR_SIZE_VER1`).
#[repr(C)]
#[derive(Default)]
struct Attr {
    kind: u32,
    size: u32,
    config: u64,
    sample_period: u64,
    sample_type: u64,
    read_format: u64,
    /// The bit field (`disabled`, `inherit`, ..., `exclude_kernel`, `exclude_hv`, ...).
    flags: u64,
    wakeup_events: u32,
    bp_type: u32,
    config1: u64,
    config2: u64,
}

/// Which privilege levels an event counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// User space only: allowed at `perf_event_paranoid` 2 (the default) without privileges.
    User,
    /// Kernel too. Software events such as migrations happen in the kernel, so they count nothing
    /// in user-only scope; this needs `perf_event_paranoid` <= 1 or `CAP_PERFMON`.
    All,
}

/// One open counter of the calling thread; closed on drop.
#[derive(Debug)]
pub struct Counter {
    file: File,
}

impl Counter {
    /// Opens event `config` of `kind` for the calling thread, counting from now on.
    pub fn open(kind: u32, config: u64, scope: Scope) -> io::Result<Counter> {
        #[cfg(target_os = "linux")]
        {
            let attr = Attr {
                kind,
                size: std::mem::size_of::<Attr>() as u32,
                config,
                read_format: FORMAT_TOTAL_TIME_ENABLED | FORMAT_TOTAL_TIME_RUNNING,
                flags: match scope {
                    Scope::User => FLAG_EXCLUDE_KERNEL | FLAG_EXCLUDE_HV,
                    Scope::All => 0,
                },
                ..Attr::default()
            };
            // SAFETY: `attr` is a valid, initialised perf_event_attr prefix whose `size` field tells
            // the kernel how many bytes to read; it outlives the call. pid 0 / cpu -1 = the calling
            // thread on any CPU, group -1 = no group; the kernel returns a new fd or -1.
            let fd = unsafe {
                libc::syscall(
                    libc::SYS_perf_event_open,
                    &attr as *const Attr,
                    0 as libc::pid_t,
                    -1 as libc::c_int,
                    -1 as libc::c_int,
                    PERF_FLAG_FD_CLOEXEC,
                )
            };
            if fd < 0 {
                return Err(io::Error::last_os_error());
            }
            // SAFETY: the kernel just returned this fd to us and nothing else owns it.
            let file = unsafe { File::from_raw_fd(fd as libc::c_int) };
            Ok(Counter { file })
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = (kind, config, scope);
            Err(io::Error::from(io::ErrorKind::Unsupported))
        }
    }

    /// The count so far, scaled up by enabled/running time if the kernel multiplexed the event.
    pub fn read(&self) -> io::Result<u64> {
        let mut buf = [0u8; 24];
        (&self.file).read_exact(&mut buf)?;
        let word =
            |i: usize| u64::from_ne_bytes(buf[i * 8..i * 8 + 8].try_into().expect("8 bytes"));
        let (value, enabled, running) = (word(0), word(1), word(2));
        Ok(if running > 0 && running < enabled {
            (value as f64 * enabled as f64 / running as f64) as u64
        } else {
            value
        })
    }
}

/// The symbolic name of an errno value perf_event_open returns, for notes.
pub fn errno_name(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(libc::ENOENT) => "ENOENT".into(),
        Some(libc::EACCES) => "EACCES".into(),
        Some(libc::EPERM) => "EPERM".into(),
        Some(libc::ENODEV) => "ENODEV".into(),
        Some(libc::EOPNOTSUPP) => "EOPNOTSUPP".into(),
        Some(libc::EINVAL) => "EINVAL".into(),
        Some(libc::ENOSYS) => "ENOSYS".into(),
        _ => e.to_string(),
    }
}

/// Whether this process can count hardware events (cycles, user space), probed once per process:
/// `Err` holds the note to record, e.g. `hardware counters: not available on this machine
/// (perf_event_open: ENOENT)` (what KVM guests without a virtual PMU answer).
pub fn hardware_available() -> &'static Result<(), String> {
    static PROBE: OnceLock<Result<(), String>> = OnceLock::new();
    PROBE.get_or_init(|| {
        Counter::open(TYPE_HARDWARE, HW_CPU_CYCLES, Scope::User)
            .map(drop)
            .map_err(|e| {
                format!(
                    "hardware counters: not available on this machine (perf_event_open: {})",
                    errno_name(&e)
                )
            })
    })
}

/// Whether this process can count software events in kernel scope (migrations), probed once per
/// process: `Err` holds the note to record when threads fall back to procfs.
pub fn software_available() -> &'static Result<(), String> {
    static PROBE: OnceLock<Result<(), String>> = OnceLock::new();
    PROBE.get_or_init(|| {
        Counter::open(TYPE_SOFTWARE, SW_CPU_MIGRATIONS, Scope::All)
            .map(drop)
            .map_err(|e| {
                format!(
                    "software counters: perf_event_open not permitted ({}; perf_event_paranoid {}), \
                     migrations read from /proc/thread-self/sched",
                    errno_name(&e),
                    std::fs::read_to_string("/proc/sys/kernel/perf_event_paranoid")
                        .map(|s| s.trim().to_string())
                        .unwrap_or_else(|_| "unknown".into())
                )
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_attr_prefix_has_the_published_size() {
        assert_eq!(std::mem::size_of::<Attr>(), 72, "PERF_ATTR_SIZE_VER1");
    }

    #[test]
    fn a_migration_counter_sees_a_forced_migration_where_perf_is_permitted() {
        let Ok(counter) = Counter::open(TYPE_SOFTWARE, SW_CPU_MIGRATIONS, Scope::All) else {
            eprintln!("skipped: {}", software_available().clone().unwrap_err());
            return;
        };
        let cpus = crate::machine::available_cpus();
        if cpus.len() < 2 {
            eprintln!("skipped: needs 2 CPUs, this process may use {cpus:?}");
            return;
        }
        let before = counter.read().unwrap();
        // On a thread of its own, so the test thread's affinity is left alone.
        std::thread::scope(|s| {
            s.spawn(|| {
                let c = Counter::open(TYPE_SOFTWARE, SW_CPU_MIGRATIONS, Scope::All).unwrap();
                for &cpu in cpus.iter().cycle().take(6) {
                    core_affinity::set_for_current(core_affinity::CoreId { id: cpu });
                }
                assert!(c.read().unwrap() >= 1, "moving between CPUs is a migration");
            });
        });
        assert!(counter.read().unwrap() >= before);
    }

    #[test]
    fn hardware_is_available_or_explained() {
        if let Err(note) = hardware_available() {
            assert!(
                note.starts_with("hardware counters: not available"),
                "{note}"
            );
        }
    }
}
