//! The few operating-system calls that differ between Linux, other Unix systems (macOS) and
//! Windows, each with the fallback that keeps contend running where the call does not exist. Linux
//! is the supported platform; elsewhere contend runs unpinned and without per-thread evidence (see
//! the README's platform table).

use std::path::Path;
use std::process::Command;

/// Whether the OS can bind a thread to one CPU. macOS takes thread affinity only as a scheduling
/// hint, so a "pin" there would claim a placement that does not hold: contend does not pin there.
pub const CAN_PIN: bool = !cfg!(target_os = "macos");

/// The CPU the calling thread runs on now, if the OS says (Linux only).
pub fn current_cpu() -> Option<usize> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: sched_getcpu has no preconditions; it returns -1 on error.
        let cpu = unsafe { libc::sched_getcpu() };
        usize::try_from(cpu).ok()
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

/// The calling thread's kernel id (Linux only; 0 elsewhere, where nothing reads it).
pub fn thread_id() -> i32 {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: gettid has no preconditions and cannot fail.
        unsafe { libc::gettid() }
    }
    #[cfg(not(target_os = "linux"))]
    {
        0
    }
}

/// Kills process `pid` at once (SIGKILL; `taskkill /F` on Windows). Only for a child of ours that
/// has not been reaped, so the pid cannot have been reused; a failure is ignored (it has ended).
pub fn kill(pid: u32) {
    #[cfg(unix)]
    {
        // SAFETY: kill(2) has no memory preconditions; SIGKILL cannot be caught.
        unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
    }
    #[cfg(not(unix))]
    {
        let _ = Command::new("taskkill")
            .args(["/F", "/T", "/PID", &pid.to_string()])
            .output();
    }
}

/// Puts `cmd`'s process in a process group of its own (Unix), so the terminal's Ctrl-C reaches
/// only contend, which then lets the child finish its sample. Windows has no such groups here.
pub fn own_process_group(cmd: &mut Command) {
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(cmd, 0);
    #[cfg(not(unix))]
    let _ = cmd;
}

/// Whether `path` (an existing file) may be executed: an execute bit on Unix, an `.exe` elsewhere.
pub fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("exe"))
    }
}

/// Nanoseconds per USER_HZ tick (the unit of `/proc/stat`); 10 ms where the OS does not say.
pub fn clock_tick_ns() -> u64 {
    #[cfg(unix)]
    {
        // SAFETY: sysconf has no preconditions; it returns -1 for an unknown name.
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        if hz > 0 {
            return 1_000_000_000 / hz as u64;
        }
    }
    10_000_000
}

/// Reads `file` from offset 0 without moving its cursor (procfs regenerates a file's text on a
/// read at offset 0, so one open file can be re-read). Linux only: an error elsewhere.
pub fn read_from_start(file: &std::fs::File) -> std::io::Result<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileExt;
        let mut buf = vec![0u8; 4096];
        let mut len = 0;
        loop {
            let n = file.read_at(&mut buf[len..], len as u64)?;
            if n == 0 {
                break;
            }
            len += n;
            if len == buf.len() {
                buf.resize(buf.len() * 2, 0);
            }
        }
        buf.truncate(len);
        String::from_utf8(buf).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
    }
    #[cfg(not(unix))]
    {
        let _ = file;
        Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
    }
}

/// Lets a closed stdout end the process quietly, as for other command-line tools
/// (`contend list | head -1`): Rust ignores SIGPIPE, which turns every later `println!` into a
/// panic; the default action ends the process instead. contend never writes to a child's stdin,
/// so no pipe of its own can raise it. Unix only (Windows has no SIGPIPE).
pub fn quiet_broken_pipe() {
    #[cfg(unix)]
    // SAFETY: restoring a signal's default disposition has no preconditions.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
