//! Named baselines (criterion's convention): a recorded run saved under a name for its machine,
//! kept whole (its results JSON) so `compare` sees exactly what a results file would give it.

use contend_reports::fingerprint::fingerprint_hash;
use contend_reports::schema::Results;
use rusqlite::{Connection, OptionalExtension, params};

use crate::error::UsageError;

/// A baseline as listed: its name, the machine it belongs to, when it was saved, its run.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    pub name: String,
    pub machine_hash: String,
    pub saved_at: String,
    pub run_id: i64,
}

/// A baseline found for a comparison.
#[derive(Debug, Clone)]
pub struct Found {
    pub results: Results,
    /// False when the name exists only for other machines: the comparison gives observations only.
    pub same_machine: bool,
}

/// Baseline names: 1-64 characters, letters, digits, `.`, `_`, `-`, `/`, `+`, `@`.
pub fn check_name(name: &str) -> Result<(), UsageError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-/+@".contains(c));
    if ok {
        Ok(())
    } else {
        Err(UsageError::new(format!(
            "baseline name {name:?}: use 1-64 letters, digits or . _ - / + @"
        )))
    }
}

/// Saves the recorded run `run_id` (holding `results`) as baseline `name` for its machine,
/// replacing an older baseline of that name on the same machine.
pub fn save(conn: &Connection, name: &str, run_id: i64, results: &Results) -> rusqlite::Result<()> {
    let json = serde_json::to_vec(results).unwrap_or_default();
    conn.execute(
        "INSERT OR REPLACE INTO baselines (name, machine_hash, run_id, saved_at, results_json)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            name,
            fingerprint_hash(&results.machine),
            run_id,
            humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
            json
        ],
    )?;
    Ok(())
}

/// Every baseline, by name then machine.
pub fn list(conn: &Connection) -> rusqlite::Result<Vec<Listed>> {
    let mut stmt = conn.prepare(
        "SELECT name, machine_hash, saved_at, run_id FROM baselines ORDER BY name, machine_hash",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(Listed {
            name: r.get(0)?,
            machine_hash: r.get(1)?,
            saved_at: r.get(2)?,
            run_id: r.get(3)?,
        })
    })?;
    rows.collect()
}

/// Baseline `name` for machine `machine_hash`; when only other machines have one, the newest of
/// those. An unknown name is a usage error listing the known names.
pub fn find(conn: &Connection, name: &str, machine_hash: &str) -> anyhow::Result<Found> {
    let row: Option<(Vec<u8>, String)> = conn
        .query_row(
            "SELECT results_json, machine_hash FROM baselines WHERE name = ?1
             ORDER BY machine_hash = ?2 DESC, saved_at DESC LIMIT 1",
            params![name, machine_hash],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((json, hash)) = row else {
        let mut names: Vec<String> = list(conn)?.into_iter().map(|l| l.name).collect();
        names.dedup();
        let known = if names.is_empty() {
            "none saved yet (contend run --save-baseline NAME)".to_string()
        } else {
            names.join(", ")
        };
        return Err(UsageError::new(format!("no baseline named {name:?}; known: {known}")).into());
    };
    let results: Results = serde_json::from_slice(&json)
        .map_err(|e| anyhow::anyhow!("baseline {name:?} is stored unreadably: {e}"))?;
    Ok(Found {
        results,
        same_machine: hash == machine_hash,
    })
}
