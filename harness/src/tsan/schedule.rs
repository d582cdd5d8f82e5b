//! What each run of a target varies, so that repeated runs see different interleavings, and which
//! runs a target gets: `--runs` on all CPUs, then, for a target with no verifiable report yet,
//! `--extra-runs` that alternate between one CPU (the kernel then interleaves the threads in time
//! slices, not instruction by instruction) and all CPUs. Every run gets its own seed: `--seed` for
//! the workloads, `CONTEND_TSAN_SEED` in a test's environment.

#[cfg(target_os = "linux")]
use std::os::unix::process::CommandExt;
use std::process::Command;

/// How one run is scheduled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// 1-based run number; also the run's seed.
    pub run: u32,
    /// The one CPU the run is confined to, or None for every CPU this process may use.
    pub cpu: Option<usize>,
    /// Whether this is an extra run (the target had no verifiable report after `--runs`).
    pub extra: bool,
}

/// Environment variable carrying the run's seed into a test process.
pub const SEED_VAR: &str = "CONTEND_TSAN_SEED";

impl Schedule {
    /// The schedule of run `run` (1-based) when `base` runs are regular; `cpus` are the CPUs this
    /// process may use. Extra runs start with one CPU and then alternate.
    pub fn for_run(run: u32, base: u32, cpus: &[usize]) -> Schedule {
        let extra = run > base;
        let one_cpu = extra && (run - base) % 2 == 1 && !cpus.is_empty();
        Schedule {
            run,
            cpu: one_cpu.then(|| cpus[(run as usize / 2) % cpus.len()]),
            extra,
        }
    }

    pub fn seed(&self) -> u64 {
        u64::from(self.run)
    }

    /// What the run used, for the JSON's run log: `cpus=all seed=2` or `cpu=1 seed=4 extra`.
    pub fn describe(&self) -> String {
        let cpus = self
            .cpu
            .map_or("cpus=all".to_string(), |c| format!("cpu={c}"));
        let extra = if self.extra { " extra" } else { "" };
        format!("{cpus} seed={}{extra}", self.seed())
    }

    /// Confines `cmd`'s process to the schedule's CPU (if any) and passes the seed in its
    /// environment.
    pub fn apply(&self, cmd: &mut Command) {
        cmd.env(SEED_VAR, self.seed().to_string());
        // CPU affinity is Linux's (elsewhere `allowed_cpus` is empty, so no run asks for one CPU).
        #[cfg(target_os = "linux")]
        if let Some(cpu) = self.cpu {
            // SAFETY: cpu_set_t is plain data; CPU_ZERO/CPU_SET only write inside it.
            let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
            // SAFETY: as above; `cpu` is one of the CPUs this process may use (< CPU_SETSIZE).
            unsafe { libc::CPU_SET(cpu, &mut set) };
            // SAFETY: runs in the child between fork and exec; sched_setaffinity is a plain system
            // call (async-signal-safe) on memory prepared before the fork.
            unsafe {
                cmd.pre_exec(move || {
                    if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0
                    {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        }
    }
}

/// The CPUs this process may run on (its affinity mask), lowest first.
pub fn allowed_cpus() -> Vec<usize> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: cpu_set_t is plain data, filled by the kernel.
        let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
        // SAFETY: `set` is a valid cpu_set_t of the size passed.
        let ok =
            unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) };
        if ok != 0 {
            return Vec::new();
        }
        (0..libc::CPU_SETSIZE as usize)
            // SAFETY: `c` < CPU_SETSIZE, inside the set.
            .filter(|&c| unsafe { libc::CPU_ISSET(c, &set) })
            .collect()
    }
    #[cfg(not(target_os = "linux"))]
    {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regular_runs_use_every_cpu_and_extra_runs_alternate_one_and_all() {
        let cpus = [0, 1];
        let s: Vec<String> = (1..=7)
            .map(|r| Schedule::for_run(r, 3, &cpus).describe())
            .collect();
        assert_eq!(
            s,
            [
                "cpus=all seed=1",
                "cpus=all seed=2",
                "cpus=all seed=3",
                "cpu=0 seed=4 extra",
                "cpus=all seed=5 extra",
                "cpu=1 seed=6 extra",
                "cpus=all seed=7 extra",
            ]
        );
    }

    #[test]
    fn a_one_cpu_run_really_runs_on_that_cpu() {
        let cpus = allowed_cpus();
        assert!(!cpus.is_empty());
        let schedule = Schedule {
            run: 4,
            cpu: Some(*cpus.last().unwrap()),
            extra: true,
        };
        let mut cmd = Command::new("sh");
        cmd.args([
            "-c",
            "grep Cpus_allowed_list /proc/self/status; echo $CONTEND_TSAN_SEED",
        ]);
        schedule.apply(&mut cmd);
        let out = String::from_utf8(cmd.output().unwrap().stdout).unwrap();
        assert!(
            out.contains(&format!("Cpus_allowed_list:\t{}\n", cpus.last().unwrap())),
            "{out}"
        );
        assert!(out.ends_with("4\n"), "{out}");
    }
}
