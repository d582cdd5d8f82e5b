//! Recording a run: the run's row and one row per case, in one transaction, so a crash or a kill
//! part-way leaves the history exactly as it was before.

use contend_reports::compare::fork_values;
use contend_reports::fingerprint::{fingerprint_hash, fnv1a64};
use contend_reports::schema::{Case, CaseStatus, Results};
use rusqlite::{Connection, params};

/// Test hook: with this set to N milliseconds, the insert stops half-way through its cases,
/// says so on stderr and sleeps, so a test can kill the writer inside the transaction.
pub const PAUSE_VAR: &str = "CONTEND_TEST_PAUSE_MID_INSERT";

/// What recording did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// A new run, with its id.
    New(i64),
    /// The same results were recorded before (same content), as this run id.
    Already(i64),
}

impl Recorded {
    pub fn run_id(self) -> i64 {
        match self {
            Recorded::New(id) | Recorded::Already(id) => id,
        }
    }
}

/// The digest that identifies one results document (its JSON), so importing a file twice, or
/// importing what a run already recorded, adds nothing.
pub fn digest(results: &Results) -> String {
    let json = serde_json::to_vec(results).unwrap_or_default();
    format!("{:016x}", fnv1a64(&json))
}

fn status_name(status: &CaseStatus) -> &'static str {
    match status {
        CaseStatus::Ok => "ok",
        CaseStatus::Failed => "failed",
        CaseStatus::Deadlocked { .. } => "deadlocked",
        CaseStatus::Error { .. } => "error",
    }
}

/// The spread a trend draws around the median: the range of the fork medians with two or more
/// forks (the process is the unit of variance), else the range of the samples of the one process.
fn band(case: &Case, forks: &[f64]) -> (f64, f64) {
    if forks.len() >= 2 {
        let lo = forks.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = forks.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (lo, hi)
    } else {
        (case.throughput.min, case.throughput.max)
    }
}

/// Records `results` (read from or written to `source`) in one transaction.
pub fn record(
    conn: &mut Connection,
    results: &Results,
    source: &str,
) -> rusqlite::Result<Recorded> {
    let digest = digest(results);
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let known: Option<i64> = tx
        .query_row("SELECT id FROM runs WHERE digest = ?1", [&digest], |r| {
            r.get(0)
        })
        .ok();
    if let Some(id) = known {
        return Ok(Recorded::Already(id));
    }
    tx.execute(
        "INSERT INTO runs (started_at, recorded_at, label, git_commit, git_dirty, git_branch,
             tool_version, machine_hash, machine_json, config_json, command, source, digest)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        params![
            results.started_at,
            humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
            results.label,
            results.tool.git_commit,
            results.tool.git_dirty,
            results.tool.git_branch,
            results.tool.version,
            fingerprint_hash(&results.machine),
            json(&results.machine),
            json(&results.config),
            json(&results.command),
            source,
            digest,
        ],
    )?;
    let run_id = tx.last_insert_rowid();
    let pause = std::env::var(PAUSE_VAR)
        .ok()
        .and_then(|v| v.parse::<u64>().ok());
    {
        let mut insert = tx.prepare(
            "INSERT OR REPLACE INTO cases (run_id, key, variant, threads, placement, status, unit,
                 throughput, band_low, band_high, forks, fork_medians, samples,
                 p50, p90, p99, p999, max)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
        )?;
        for (i, case) in results.cases.iter().enumerate() {
            if let Some(ms) = pause
                && i == results.cases.len() / 2
            {
                eprintln!("history: paused mid-insert (run {run_id})");
                std::thread::sleep(std::time::Duration::from_millis(ms));
            }
            let forks = fork_values(&case.samples);
            let (low, high) = band(case, &forks);
            let samples: Vec<(u32, f64)> = case
                .samples
                .iter()
                .map(|s| (s.fork, s.throughput))
                .collect();
            let lat = &case.latency;
            let ns = |v: u64| (lat.count > 0).then_some(v as f64);
            insert.execute(params![
                run_id,
                case.key(),
                case.variant,
                case.threads as i64,
                case.placement,
                status_name(&case.status),
                case.unit,
                case.throughput.median,
                low,
                high,
                forks.len() as i64,
                json(&forks),
                json(&samples),
                ns(lat.p50),
                ns(lat.p90),
                ns(lat.p99),
                ns(lat.p999),
                ns(lat.max),
            ])?;
        }
    }
    tx.commit()?;
    Ok(Recorded::New(run_id))
}

/// A value as JSON text for a column.
fn json<T: serde::Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}
