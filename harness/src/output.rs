//! The output directory: checked for writability up front, files replaced atomically (temp + rename).

use std::path::{Path, PathBuf};

use contend_reports::schema::Results;

use crate::error::UsageError;

/// Name of the results file inside the output directory.
pub const RESULTS_FILE: &str = "results.json";

/// A writable output directory.
#[derive(Debug, Clone)]
pub struct OutputDir {
    dir: PathBuf,
}

impl OutputDir {
    /// Creates `dir` if needed and proves it is writable, before anything is measured.
    pub fn prepare(dir: &Path) -> Result<OutputDir, UsageError> {
        let fail = |e: std::io::Error| {
            UsageError::new(format!("--out {}: cannot write there: {e}", dir.display()))
        };
        std::fs::create_dir_all(dir).map_err(fail)?;
        let probe = dir.join(".contend-write-probe");
        std::fs::write(&probe, b"").map_err(fail)?;
        let _ = std::fs::remove_file(&probe);
        Ok(OutputDir {
            dir: dir.to_path_buf(),
        })
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Writes the results JSON atomically; readers never see a half-written file.
    pub fn write_results(&self, results: &Results) -> std::io::Result<PathBuf> {
        let json = serde_json::to_vec_pretty(results).map_err(std::io::Error::other)?;
        let path = self.path(RESULTS_FILE);
        write_atomically(&path, &json)?;
        Ok(path)
    }
}

/// Writes `bytes` to `path` through a temporary sibling and a rename.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".{}.tmp", std::process::id()));
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}
