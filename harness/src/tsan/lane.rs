//! ThreadSanitizer lanes: how a TSan build can be made on this machine, best first.

use std::path::{Path, PathBuf};
use std::process::Command;

/// One way to build with ThreadSanitizer (see TSAN.md in the README's "Race detection" section).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lane {
    /// rustup's `x86_64-unknown-linux-gnutsan` target: a prebuilt, instrumented std.
    Gnutsan,
    /// rustup nightly with rust-src: std rebuilt with TSan (`-Zbuild-std`).
    NightlySrc,
    /// Debian's rustc-web + rust-web-src + libclang-rt-22-dev: std rebuilt with TSan.
    Debian,
    /// rustup nightly without rust-src: only this workspace's crates are instrumented.
    CrateOnly,
}

/// The host target every lane builds for (`-Zbuild-std` needs an explicit target).
pub const HOST_TARGET: &str = "x86_64-unknown-linux-gnu";
const DEBIAN_SYSROOT: &str = "/usr/lib/rustlib";
const DEBIAN_TSAN_RT: &str =
    "/usr/lib/rustlib/x86_64-unknown-linux-gnu/lib/librustc-stable_rt.tsan.a";
const CLANG_TSAN_RT: &str = "/usr/lib/llvm-22/lib/clang/22/lib/linux/libclang_rt.tsan-x86_64.a";

impl Lane {
    pub const ALL: [Lane; 4] = [
        Lane::Gnutsan,
        Lane::NightlySrc,
        Lane::Debian,
        Lane::CrateOnly,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Lane::Gnutsan => "gnutsan",
            Lane::NightlySrc => "nightly-src",
            Lane::Debian => "debian",
            Lane::CrateOnly => "crate-only",
        }
    }

    /// What this lane cannot see, for the verdict matrix and the JSON.
    pub fn blind_spots(self) -> &'static str {
        match self {
            Lane::Gnutsan | Lane::NightlySrc | Lane::Debian => {
                "std is instrumented: all Rust synchronization is visible, except standalone \
                 fences (TSan does not model them). Not seen: races on paths a run did not \
                 execute, races TSan's bounded history or its 4 shadow cells per word forgot, and \
                 lock-order inversions of locks TSan is not told about (std and parking_lot locks \
                 are futex-based; the workloads' locks are annotated)"
            }
            Lane::CrateOnly => {
                "std is NOT instrumented: happens-before edges inside std (contended Mutex, \
                 RwLock, Condvar, Barrier, Once/OnceLock/LazyLock, scoped-thread joins, and rayon's \
                 latches built on them) are invisible; a report that may stem from one is \
                 'unverifiable' (neither race nor clean), and a narrow suppressions file hides the \
                 known std-internal reports of dependencies"
            }
        }
    }

    /// Whether the target's std is instrumented (lanes 1-3).
    pub fn instruments_std(self) -> bool {
        self != Lane::CrateOnly
    }

    /// The target triple the lane builds for.
    pub fn target(self) -> &'static str {
        match self {
            Lane::Gnutsan => "x86_64-unknown-linux-gnutsan",
            _ => HOST_TARGET,
        }
    }
}

/// A usable lane: the cargo to call and the environment and flags it needs.
#[derive(Debug, Clone)]
pub struct Toolchain {
    pub lane: Lane,
    /// Program to run (rustup's `cargo` proxy or Debian's `/usr/bin/cargo`).
    pub cargo: PathBuf,
    /// Arguments before the cargo subcommand (e.g. `+nightly`).
    pub pre_args: Vec<String>,
    /// Extra cargo arguments after the subcommand (e.g. `-Zbuild-std`).
    pub build_args: Vec<String>,
    pub env: Vec<(String, String)>,
    /// `rustc -V` of the compiler used.
    pub rustc_version: String,
}

fn output(cmd: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(cmd)
        .args(args)
        .env_remove("RUSTUP_TOOLCHAIN")
        .env_remove("RUSTC")
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn nightly_sysroot() -> Option<PathBuf> {
    output("rustc", &["+nightly", "--print", "sysroot"]).map(PathBuf::from)
}

/// Checks whether `lane` can build here; on failure says exactly what to install.
pub fn probe(lane: Lane) -> Result<Toolchain, String> {
    let rustflags = |extra: &str| {
        (
            "RUSTFLAGS".to_string(),
            format!("-Zsanitizer=thread --cfg contend_tsan{extra}"),
        )
    };
    let nightly = |build_args: Vec<String>, extra: &str| -> Result<Toolchain, String> {
        let version = output("rustc", &["+nightly", "-V"])
            .ok_or("no rustup nightly toolchain: rustup toolchain install nightly")?;
        Ok(Toolchain {
            lane,
            cargo: "cargo".into(),
            pre_args: vec!["+nightly".into()],
            build_args,
            env: vec![rustflags(extra)],
            rustc_version: version,
        })
    };
    match lane {
        Lane::Gnutsan => {
            let sysroot = nightly_sysroot()
                .ok_or("no rustup nightly toolchain: rustup toolchain install nightly")?;
            if !sysroot
                .join("lib/rustlib")
                .join(lane.target())
                .join("lib")
                .is_dir()
            {
                return Err("target not installed: rustup target add x86_64-unknown-linux-gnutsan --toolchain nightly".into());
            }
            nightly(Vec::new(), "")
        }
        Lane::NightlySrc => {
            let sysroot = nightly_sysroot()
                .ok_or("no rustup nightly toolchain: rustup toolchain install nightly")?;
            if !sysroot.join("lib/rustlib/src/rust/library").is_dir() {
                return Err(
                    "nightly has no std source: rustup component add rust-src --toolchain nightly"
                        .into(),
                );
            }
            nightly(vec!["-Zbuild-std".into()], "")
        }
        Lane::Debian => {
            let install = "apt-get install -y rustc-web cargo-web rust-web-src libclang-rt-22-dev";
            let version = output("/usr/bin/rustc", &["-V"])
                .ok_or_else(|| format!("no Debian rustc: {install}"))?;
            if !Path::new("/usr/bin/cargo").exists()
                || !Path::new(DEBIAN_SYSROOT).join("src/rust/library").is_dir()
            {
                return Err(format!("Debian's cargo or std source missing: {install}"));
            }
            if !Path::new(DEBIAN_TSAN_RT).exists() {
                return Err(format!(
                    "TSan runtime not linked in: cp {CLANG_TSAN_RT} {DEBIAN_TSAN_RT} (after {install})"
                ));
            }
            Ok(Toolchain {
                lane,
                cargo: "/usr/bin/cargo".into(),
                pre_args: Vec::new(),
                build_args: vec!["-Zbuild-std".into()],
                env: vec![
                    ("RUSTC".into(), "/usr/bin/rustc".into()),
                    ("RUSTDOC".into(), "/usr/bin/rustdoc".into()),
                    ("RUSTC_BOOTSTRAP".into(), "1".into()),
                    rustflags(""),
                ],
                rustc_version: version,
            })
        }
        Lane::CrateOnly => nightly(Vec::new(), " -Cunsafe-allow-abi-mismatch=sanitizer"),
    }
}

/// The best lane available, or every lane's reason for being unavailable.
pub fn best() -> Result<Toolchain, Vec<(Lane, String)>> {
    let mut why = Vec::new();
    for lane in Lane::ALL {
        match probe(lane) {
            Ok(t) => return Ok(t),
            Err(e) => why.push((lane, e)),
        }
    }
    Err(why)
}

impl Toolchain {
    /// A cargo command for `subcommand` with this lane's environment, building into `target_dir`.
    /// Variables a parent cargo may have set (RUSTFLAGS, RUSTC, ...) are cleared first.
    pub fn cargo(&self, subcommand: &str, target_dir: &Path) -> Command {
        let mut cmd = Command::new(&self.cargo);
        for var in [
            "RUSTC",
            "RUSTDOC",
            "RUSTFLAGS",
            "CARGO_ENCODED_RUSTFLAGS",
            "RUSTC_WRAPPER",
            "RUSTUP_TOOLCHAIN",
            "CARGO_TARGET_DIR",
            "CARGO_BUILD_TARGET",
            "RUSTC_BOOTSTRAP",
            "CARGO",
        ] {
            cmd.env_remove(var);
        }
        cmd.args(&self.pre_args)
            .arg(subcommand)
            .args(&self.build_args)
            .args(["--target", self.lane.target()]);
        cmd.arg("--target-dir").arg(target_dir);
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
        // Reports need file:line for every frame, whatever the crate's own release profile says.
        cmd.env("CARGO_PROFILE_RELEASE_DEBUG", "line-tables-only");
        cmd
    }
}
