//! Opening the history file: SQLite in WAL mode with a busy timeout, recognised by its
//! application id, its schema brought up to date by numbered migrations.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::error::UsageError;

/// `PRAGMA application_id` of a contend history ("cntd"): how a foreign SQLite file is told apart.
pub const APPLICATION_ID: i64 = 0x636e_7464;

/// How long a writer waits for another to finish before giving up (never forever).
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// The schema, one migration per version (`PRAGMA user_version` counts those applied).
const MIGRATIONS: &[&str] = &[
    // 1: runs, their cases, named baselines.
    "CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        started_at TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        label TEXT NOT NULL,
        git_commit TEXT,
        git_dirty INTEGER,
        git_branch TEXT,
        tool_version TEXT NOT NULL,
        machine_hash TEXT NOT NULL,
        machine_json TEXT NOT NULL,
        config_json TEXT NOT NULL,
        command TEXT NOT NULL,
        source TEXT NOT NULL,
        digest TEXT NOT NULL UNIQUE
    );
    CREATE INDEX runs_by_machine ON runs (machine_hash, started_at);
    CREATE TABLE cases (
        run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        variant TEXT NOT NULL,
        threads INTEGER NOT NULL,
        placement TEXT NOT NULL,
        status TEXT NOT NULL,
        unit TEXT NOT NULL,
        throughput REAL NOT NULL,
        band_low REAL NOT NULL,
        band_high REAL NOT NULL,
        forks INTEGER NOT NULL,
        fork_medians TEXT NOT NULL,
        samples TEXT NOT NULL,
        p50 REAL, p90 REAL, p99 REAL, p999 REAL, max REAL,
        PRIMARY KEY (run_id, key)
    ) WITHOUT ROWID;
    CREATE INDEX cases_by_key ON cases (key, run_id);
    CREATE TABLE baselines (
        name TEXT NOT NULL,
        machine_hash TEXT NOT NULL,
        run_id INTEGER NOT NULL REFERENCES runs (id),
        saved_at TEXT NOT NULL,
        results_json BLOB NOT NULL,
        PRIMARY KEY (name, machine_hash)
    );",
];

/// The schema version this build writes.
pub fn schema_version() -> i64 {
    MIGRATIONS.len() as i64
}

fn not_history(path: &Path, why: impl std::fmt::Display) -> UsageError {
    UsageError::new(format!(
        "{}: not a usable contend history ({why}); give another --history PATH, or move it away",
        path.display()
    ))
}

/// Opens (creating when absent) the history at `path` and migrates it to this build's schema.
/// A file that is not SQLite, another program's database, a corrupt one or one written by a
/// newer contend is a usage error naming the file; nothing in it is changed.
pub fn open(path: &Path) -> Result<Connection, UsageError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| not_history(path, e))?;
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| not_history(path, e))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(|e| not_history(path, e))?;
    let app: i64 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .map_err(|e| not_history(path, e))?;
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| not_history(path, e))?;
    let tables: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'table'",
            [],
            |r| r.get(0),
        )
        .map_err(|e| not_history(path, e))?;
    if app != APPLICATION_ID && (app != 0 || tables > 0) {
        return Err(not_history(
            path,
            format!(
                "another program's SQLite database: application id {app:#x}, {tables} table(s)"
            ),
        ));
    }
    if version > schema_version() {
        return Err(not_history(
            path,
            format!(
                "written by a newer contend: schema {version}, this build knows up to {}",
                schema_version()
            ),
        ));
    }
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(|e| not_history(path, e))?;
    conn.pragma_update(None, "foreign_keys", true)
        .map_err(|e| not_history(path, e))?;
    migrate(&conn, version).map_err(|e| not_history(path, e))?;
    Ok(conn)
}

/// Applies the migrations after `from`, each with its version bump in one transaction (a second
/// process migrating at the same time waits, then finds nothing left to do).
fn migrate(conn: &Connection, from: i64) -> rusqlite::Result<()> {
    if from == schema_version() {
        return Ok(());
    }
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let result = (|| {
        let now: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(now.max(0) as usize) {
            conn.execute_batch(sql)?;
            conn.pragma_update(None, "user_version", i as i64 + 1)?;
        }
        conn.pragma_update(None, "application_id", APPLICATION_ID)
    })();
    match result {
        Ok(()) => conn.execute_batch("COMMIT"),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_file_gets_the_schema_and_opens_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/history.sqlite");
        drop(open(&path).unwrap());
        let conn = open(&path).unwrap();
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, schema_version());
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }

    #[test]
    fn foreign_corrupt_and_newer_files_are_refused_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let text = dir.path().join("notes.sqlite");
        std::fs::write(
            &text,
            "just some text, long enough to have a header of sorts......\n".repeat(20),
        )
        .unwrap();
        let e = open(&text).unwrap_err().to_string();
        assert!(e.contains("not a usable contend history"), "{e}");
        assert!(
            std::fs::read_to_string(&text)
                .unwrap()
                .starts_with("just some text")
        );

        let other = dir.path().join("other.sqlite");
        Connection::open(&other)
            .unwrap()
            .execute_batch("CREATE TABLE t (x)")
            .unwrap();
        let e = open(&other).unwrap_err().to_string();
        assert!(e.contains("another program's SQLite database"), "{e}");

        let newer = dir.path().join("newer.sqlite");
        drop(open(&newer).unwrap());
        Connection::open(&newer)
            .unwrap()
            .pragma_update(None, "user_version", 99)
            .unwrap();
        let e = open(&newer).unwrap_err().to_string();
        assert!(e.contains("newer contend"), "{e}");
    }
}
