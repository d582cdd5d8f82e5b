//! The results history: every run recorded in an embedded SQLite file (`store`), one
//! transaction per run (`record`), named baselines (`baseline`), and series read back for trends
//! (`trends`). The results JSON stays the interchange format: files can be imported.

pub mod baseline;
pub mod for_run;
pub mod record;
pub mod store;
pub mod trends;

use std::path::{Path, PathBuf};

use contend_reports::schema::Results;
use rusqlite::Connection;

use crate::error::UsageError;
pub use record::Recorded;

/// The history's file name inside the results root.
pub const FILE: &str = "history.sqlite";

/// `contend-results/history.sqlite`.
pub fn default_path() -> PathBuf {
    Path::new(crate::results_dir::ROOT).join(FILE)
}

/// An open history.
pub struct History {
    pub path: PathBuf,
    conn: Connection,
}

impl History {
    /// Opens (creating when absent) the history at `path`; see [`store::open`].
    pub fn open(path: &Path) -> Result<History, UsageError> {
        Ok(History {
            path: path.to_path_buf(),
            conn: store::open(path)?,
        })
    }

    /// Opens an existing history; a missing file is a usage error (nothing to read yet).
    pub fn open_existing(path: &Path) -> Result<History, UsageError> {
        if !path.is_file() {
            return Err(UsageError::new(format!(
                "{}: no history there yet (`contend run` records into {} by default, or give \
                 --history PATH)",
                path.display(),
                default_path().display()
            )));
        }
        History::open(path)
    }

    /// Records one results document in one transaction.
    pub fn record(&mut self, results: &Results, source: &Path) -> anyhow::Result<Recorded> {
        record::record(&mut self.conn, results, &source.display().to_string())
            .map_err(|e| anyhow::anyhow!("{}: recording the run: {e}", self.path.display()))
    }

    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// How many runs the history holds.
    pub fn runs(&self) -> rusqlite::Result<i64> {
        self.conn
            .query_row("SELECT count(*) FROM runs", [], |r| r.get(0))
    }
}
