//! Reading trends out of the history: per machine and case, every recorded run's median
//! throughput, its spread and its p99, oldest first.

use std::collections::BTreeMap;

use contend_reports::schema::Machine;
use contend_reports::trend::{TrendPoint, TrendSeries};
use rusqlite::Connection;

/// Which series to read.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Families or variants (`counter`, `counter/atomic`); empty: every case.
    pub workloads: Vec<String>,
    /// A machine: a fingerprint-hash prefix, or a host name / CPU model substring; None: all.
    pub machine: Option<String>,
}

impl Filter {
    fn wants_case(&self, key: &str) -> bool {
        self.workloads.is_empty()
            || self.workloads.iter().any(|w| {
                key.strip_prefix(w.as_str())
                    .is_some_and(|rest| rest.starts_with('/') || rest.starts_with('@'))
            })
    }

    fn wants_machine(&self, hash: &str, machine: &Machine) -> bool {
        self.machine.as_deref().is_none_or(|m| {
            hash.starts_with(m) || machine.hostname.contains(m) || machine.cpu_model.contains(m)
        })
    }
}

/// A short description of a machine for a trend's title.
fn describe(machine: &Machine) -> String {
    format!(
        "{}, {} CPUs available ({} logical)",
        machine.cpu_model,
        machine.available_cpus.len(),
        machine.logical_cpus
    )
}

/// Every series `filter` selects, by machine then case key; points by start time (then run id).
/// Only cases that finished and were proven (`ok`) are points.
pub fn series(conn: &Connection, filter: &Filter) -> rusqlite::Result<Vec<TrendSeries>> {
    let mut machines: BTreeMap<String, (Machine, String)> = BTreeMap::new();
    let mut stmt = conn.prepare(
        "SELECT machine_hash, machine_json FROM runs WHERE id IN
             (SELECT max(id) FROM runs GROUP BY machine_hash)",
    )?;
    for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))? {
        let (hash, json) = row?;
        if let Ok(machine) = serde_json::from_str::<Machine>(&json)
            && filter.wants_machine(&hash, &machine)
        {
            let text = describe(&machine);
            machines.insert(hash, (machine, text));
        }
    }
    let mut stmt = conn.prepare(
        "SELECT r.machine_hash, c.key, c.unit, r.id, r.started_at, r.git_commit, r.git_dirty,
                r.label, c.throughput, c.band_low, c.band_high, c.p99
         FROM cases c JOIN runs r ON r.id = c.run_id
         WHERE c.status = 'ok'
         ORDER BY r.machine_hash, c.key, r.started_at, r.id",
    )?;
    let mut out: Vec<TrendSeries> = Vec::new();
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let hash: String = r.get(0)?;
        let Some((_, machine)) = machines.get(&hash) else {
            continue;
        };
        let key: String = r.get(1)?;
        if !filter.wants_case(&key) {
            continue;
        }
        let point = TrendPoint {
            run_id: r.get(3)?,
            started_at: r.get(4)?,
            commit: r.get(5)?,
            dirty: r.get::<_, Option<bool>>(6)?.unwrap_or(false),
            label: r.get(7)?,
            median: r.get(8)?,
            low: r.get(9)?,
            high: r.get(10)?,
            p99_ns: r.get(11)?,
        };
        match out.last_mut() {
            Some(s) if s.machine_hash == hash && s.key == key => s.points.push(point),
            _ => out.push(TrendSeries {
                key,
                unit: r.get(2)?,
                machine_hash: hash.clone(),
                machine: machine.clone(),
                points: vec![point],
            }),
        }
    }
    Ok(out)
}
