//! Records the compiler version and the git commit, dirty flag and branch the harness was built
//! from, for the results JSON and the history.
use std::process::Command;

fn output(cmd: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(cmd).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
}

fn main() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let version = output(&rustc, &["-V"]).unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=CONTEND_RUSTC_VERSION={version}");
    if let Some(commit) = output("git", &["rev-parse", "--short=12", "HEAD"]) {
        println!("cargo:rustc-env=CONTEND_GIT_COMMIT={commit}");
        // Tracked files changed since the commit: the binary is not exactly that commit. (No
        // optional locks: git status must not rewrite the index, which would re-run this script.)
        let status = Command::new("git")
            .args([
                "--no-optional-locks",
                "status",
                "--porcelain",
                "--untracked-files=no",
            ])
            .output();
        if let Ok(s) = status
            && s.status.success()
        {
            let dirty = !s.stdout.is_empty();
            println!("cargo:rustc-env=CONTEND_GIT_DIRTY={dirty}");
        }
    }
    // The branch: git's, else CI's name for it (a pull request's checkout is detached).
    let branch = output("git", &["symbolic-ref", "--short", "-q", "HEAD"])
        .or_else(|| {
            std::env::var("GITHUB_HEAD_REF")
                .ok()
                .filter(|b| !b.is_empty())
        })
        .or_else(|| {
            std::env::var("GITHUB_REF_NAME")
                .ok()
                .filter(|b| !b.is_empty())
        });
    if let Some(branch) = branch {
        println!("cargo:rustc-env=CONTEND_GIT_BRANCH={branch}");
    }
    println!("cargo:rerun-if-env-changed=GITHUB_HEAD_REF");
    println!("cargo:rerun-if-env-changed=GITHUB_REF_NAME");
    for path in ["HEAD", "index"] {
        if let Some(p) = output("git", &["rev-parse", "--git-path", path]) {
            println!("cargo:rerun-if-changed={p}");
        }
    }
    // Sources: an edit re-runs this script, so the dirty flag follows the working tree.
    for dir in ["src", "../workloads/src", "../reports/src"] {
        println!("cargo:rerun-if-changed={dir}");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
