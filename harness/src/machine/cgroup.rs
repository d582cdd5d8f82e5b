//! The CPU quota and cpuset of the process's cgroup: cgroup v2 (`cpu.max`,
//! `cpuset.cpus.effective`) or v1 (`cpu.cfs_quota_us` / `cpu.cfs_period_us`,
//! `cpuset.effective_cpus`), the process's cgroup found in `<procfs>/self/cgroup`.

use std::path::{Path, PathBuf};

use contend_reports::schema::Cgroup;

use super::sysread;

/// One line of `/proc/self/cgroup`: `hierarchy:controllers:path`.
struct Membership {
    controllers: Vec<String>,
    path: String,
}

fn parse_memberships(text: &str) -> Vec<Membership> {
    text.lines()
        .filter_map(|l| {
            let mut parts = l.splitn(3, ':');
            let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
            path.starts_with('/').then(|| Membership {
                controllers: controllers
                    .split(',')
                    .filter(|c| !c.is_empty())
                    .map(str::to_string)
                    .collect(),
                path: path.to_string(),
            })
        })
        .collect()
}

/// A quota in CPUs from `cpu.max` text (`200000 100000`; `max ...` is no quota).
pub fn parse_cpu_max(text: &str) -> Option<f64> {
    let mut words = text.split_whitespace();
    let quota: f64 = words.next()?.parse().ok()?;
    let period: f64 = words.next().unwrap_or("100000").parse().ok()?;
    (quota > 0.0 && period > 0.0).then(|| quota / period)
}

/// `dir` and its ancestors up to `root`, nearest first.
fn up_to(root: &Path, dir: &Path) -> Vec<PathBuf> {
    dir.ancestors()
        .take_while(|d| d.starts_with(root))
        .map(Path::to_path_buf)
        .collect()
}

/// The tightest quota over `dirs` with the text that set it, or the nearest text when none does.
fn tightest(
    dirs: &[PathBuf],
    read: impl Fn(&Path) -> Option<String>,
) -> (Option<String>, Option<f64>) {
    let texts: Vec<String> = dirs.iter().filter_map(|d| read(d)).collect();
    let best = texts
        .iter()
        .filter_map(|t| Some((parse_cpu_max(t)?, t)))
        .min_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((q, t)) => (Some(t.clone()), Some(q)),
        None => (texts.into_iter().next(), None),
    }
}

/// The cgroup CPU limits of this process, read under `sys` (`fs/cgroup`) and `proc`.
pub fn read(sys: &Path, proc: &Path) -> Cgroup {
    let root = sys.join("fs/cgroup");
    let members = parse_memberships(&sysread::text(&proc.join("self/cgroup")).unwrap_or_default());
    let under = |base: &Path, path: &str| base.join(path.trim_start_matches('/'));
    if root.join("cgroup.controllers").is_file() {
        let path = members
            .iter()
            .find(|m| m.controllers.is_empty())
            .map_or("/".to_string(), |m| m.path.clone());
        let dirs = up_to(&root, &under(&root, &path));
        let (cpu_max, quota_cpus) = tightest(&dirs, |d| sysread::text(&d.join("cpu.max")));
        let cpuset = dirs
            .iter()
            .find_map(|d| sysread::cpu_list(&d.join("cpuset.cpus.effective")));
        return Cgroup {
            version: Some(2),
            path: Some(path),
            cpu_max,
            quota_cpus,
            cpuset,
        };
    }
    // v1: each controller has its own mount, named by its controllers (`cpu,cpuacct`) or by one.
    let v1 = |controller: &str| -> Option<(String, Vec<PathBuf>)> {
        let m = members
            .iter()
            .find(|m| m.controllers.iter().any(|c| c == controller))?;
        let mount = [m.controllers.join(","), controller.to_string()]
            .into_iter()
            .map(|name| root.join(name))
            .find(|d| d.is_dir())?;
        Some((m.path.clone(), up_to(&mount, &under(&mount, &m.path))))
    };
    let Some((path, dirs)) = v1("cpu") else {
        return Cgroup::default();
    };
    let (cpu_max, quota_cpus) = tightest(&dirs, |d| {
        let quota = sysread::text(&d.join("cpu.cfs_quota_us"))?;
        let period = sysread::text(&d.join("cpu.cfs_period_us"))?;
        Some(if quota == "-1" {
            format!("max {period}")
        } else {
            format!("{quota} {period}")
        })
    });
    let cpuset = v1("cpuset").and_then(|(_, dirs)| {
        dirs.iter()
            .find_map(|d| sysread::cpu_list(&d.join("cpuset.effective_cpus")))
    });
    Cgroup {
        version: Some(1),
        path: Some(path),
        cpu_max,
        quota_cpus,
        cpuset,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::tests::fixture;

    #[test]
    fn the_tightest_quota_of_the_cgroup_and_its_ancestors_counts() {
        let c = read(&fixture("sysfs/intel-2s"), &fixture("procfs/intel-2s"));
        assert_eq!(c.version, Some(2));
        assert_eq!(c.path.as_deref(), Some("/bench.slice/run.scope"));
        assert_eq!(c.quota_cpus, Some(2.0), "bench.slice's 200000/100000");
        assert_eq!(c.cpu_max.as_deref(), Some("200000 100000"));
        assert_eq!(c.cpuset, Some((0..8).collect()), "the nearest cpuset");
    }

    #[test]
    fn cpu_max_text_parses_to_cpus() {
        assert_eq!(parse_cpu_max("150000 100000"), Some(1.5));
        assert_eq!(parse_cpu_max("max 100000"), None);
        assert_eq!(parse_cpu_max("unlimited please"), None);
    }

    #[test]
    fn v1_hierarchies_are_read_from_their_controller_mounts() {
        let dir = tempfile::tempdir().unwrap();
        let (sys, proc) = (dir.path().join("sys"), dir.path().join("proc"));
        let cpu = sys.join("fs/cgroup/cpu,cpuacct/job");
        std::fs::create_dir_all(&cpu).unwrap();
        std::fs::write(cpu.join("cpu.cfs_quota_us"), "50000\n").unwrap();
        std::fs::write(cpu.join("cpu.cfs_period_us"), "100000\n").unwrap();
        let cpuset = sys.join("fs/cgroup/cpuset/job");
        std::fs::create_dir_all(&cpuset).unwrap();
        std::fs::write(cpuset.join("cpuset.effective_cpus"), "1\n").unwrap();
        std::fs::create_dir_all(proc.join("self")).unwrap();
        std::fs::write(
            proc.join("self/cgroup"),
            "4:cpu,cpuacct:/job\n3:cpuset:/job\n0::/\n",
        )
        .unwrap();
        let c = read(&sys, &proc);
        assert_eq!(c.version, Some(1));
        assert_eq!(c.path.as_deref(), Some("/job"));
        assert_eq!(c.cpu_max.as_deref(), Some("50000 100000"));
        assert_eq!(c.quota_cpus, Some(0.5));
        assert_eq!(c.cpuset, Some(vec![1]));
    }

    #[test]
    fn an_unreadable_cgroup_is_unknown() {
        assert_eq!(
            read(&fixture("sysfs/sparse"), &fixture("procfs/sparse")),
            Cgroup::default()
        );
        assert_eq!(
            read(Path::new("/nonexistent"), Path::new("/nonexistent")),
            Cgroup::default()
        );
    }
}
