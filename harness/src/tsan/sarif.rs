//! SARIF 2.1.0 for `contend tsan --sarif FILE`: one result per distinct race (or lock-order
//! inversion), located at the current access, with the other access as a related location and
//! both accesses' stacks as the threads of a code flow. Races the target was expected to have
//! (deliberately racy variants, `race_*` tests) are included but marked suppressed, with the
//! reason, so code scanning shows only the unexpected ones.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};

use super::parse::{Frame, Report, Section, thread_of};

/// A distinct report and where it came from.
#[derive(Debug, Clone)]
pub struct Finding {
    pub report: Report,
    /// Targets (variants or tests) that produced it.
    pub targets: Vec<String>,
    /// Whether those targets were expected to produce it.
    pub expected: bool,
    /// Reports of it over all runs of its targets.
    pub runs: u32,
    /// Its identity (see [`site`]).
    site: String,
}

/// What makes two reports the same race: their kind and, for each access, the chain of frames in
/// the project's code (`file:line`, innermost first). Stack tops alone would merge every race that
/// goes through one helper.
fn site(report: &Report, project: &str) -> String {
    let chains: Vec<String> = report
        .accesses()
        .map(|s| {
            s.frames
                .iter()
                .filter(|f| f.file.as_deref().is_some_and(|p| p.starts_with(project)))
                .map(|f| {
                    format!(
                        "{}:{}",
                        f.file.as_deref().unwrap_or(""),
                        f.line.unwrap_or(0)
                    )
                })
                .collect::<Vec<_>>()
                .join(" < ")
        })
        .collect();
    format!("{} @ {}", report.kind, chains.join(" / "))
}

/// Adds `report` of `target` to `findings`, merging it with an earlier report of the same race;
/// `project` is the examined source tree.
pub fn collect(
    findings: &mut Vec<Finding>,
    target: &str,
    expected: bool,
    report: &Report,
    project: &str,
) {
    let key = site(report, project);
    match findings.iter_mut().find(|f| f.site == key) {
        Some(f) => {
            f.runs += 1;
            if !f.targets.iter().any(|t| t == target) {
                f.targets.push(target.to_string());
            }
            f.expected &= expected;
        }
        None => findings.push(Finding {
            site: key,
            report: report.clone(),
            targets: vec![target.to_string()],
            expected,
            runs: 1,
        }),
    }
}

/// Where results' paths are relative to: the git checkout around `project`, else `project`.
pub fn source_root(project: &Path) -> std::path::PathBuf {
    project
        .ancestors()
        .find(|d| d.join(".git").exists())
        .unwrap_or(project)
        .to_path_buf()
}

/// The rule a report kind belongs to: (id, name, level, description).
fn rule(kind: &str) -> (&'static str, &'static str, &'static str, &'static str) {
    if kind.starts_with("lock-order-inversion") {
        (
            "tsan/lock-order-inversion",
            "LockOrderInversion",
            "warning",
            "Two locks are taken in opposite orders by different threads: a potential deadlock.",
        )
    } else if kind == "data race" {
        (
            "tsan/data-race",
            "DataRace",
            "error",
            "Two threads access the same memory, at least one writes, and no happens-before edge orders them.",
        )
    } else {
        (
            "tsan/other",
            "ThreadSanitizerReport",
            "error",
            "Another ThreadSanitizer report (use after free, signal-unsafe call, ...).",
        )
    }
}

/// A SARIF physical location for a frame, relative to `root` when inside it.
fn physical(frame: &Frame, root: &str) -> Option<Value> {
    let file = frame.file.as_deref()?;
    let uri = match file.strip_prefix(root) {
        Some(rel) => rel.trim_start_matches('/').to_string(),
        None => format!("file://{file}"),
    };
    let mut loc = json!({ "artifactLocation": { "uri": uri } });
    if file.starts_with(root) {
        loc["artifactLocation"]["uriBaseId"] = json!("SRCROOT");
    }
    if let Some(line) = frame.line.filter(|l| *l > 0) {
        loc["region"] = json!({ "startLine": line });
    }
    Some(loc)
}

/// The frame that stands for an access: its first frame in the project, else its first with a file.
fn anchor<'a>(section: &'a Section, project: &str) -> Option<&'a Frame> {
    section
        .frames
        .iter()
        .find(|f| f.file.as_deref().is_some_and(|p| p.starts_with(project)))
        .or_else(|| section.frames.iter().find(|f| f.file.is_some()))
}

fn thread_flow(section: &Section, root: &str) -> Value {
    let locations: Vec<Value> = section
        .frames
        .iter()
        .filter_map(|f| {
            Some(json!({
                "location": {
                    "physicalLocation": physical(f, root)?,
                    "message": { "text": f.function },
                },
            }))
        })
        .collect();
    let mut flow = json!({
        "message": { "text": section.header },
        "locations": locations,
    });
    if let Some(t) = thread_of(&section.header) {
        flow["id"] = json!(t);
    }
    flow
}

fn result(f: &Finding, root: &str, project: &str, lane: &str) -> Option<Value> {
    let accesses: Vec<&Section> = f.report.accesses().collect();
    let (first, rest) = accesses.split_first()?;
    let (id, _, level, _) = rule(&f.report.kind);
    let here = physical(anchor(first, project)?, root)?;
    let related: Vec<Value> = rest
        .iter()
        .filter_map(|s| Some((s, physical(anchor(s, project)?, root)?)))
        .enumerate()
        .map(|(i, (s, loc))| {
            json!({ "id": i + 1, "physicalLocation": loc, "message": { "text": s.header } })
        })
        .collect();
    let flows: Vec<Value> = accesses.iter().map(|s| thread_flow(s, root)).collect();
    let mut text = format!(
        "ThreadSanitizer: {} in {} ({} report(s), lane {lane}). {}",
        f.report.kind,
        f.targets.join(", "),
        f.runs,
        first.header.trim_end_matches(':')
    );
    if let Some(other) = rest.first() {
        text.push_str(&format!("; {}", other.header.trim_end_matches(':')));
    }
    text.push('.');
    let mut r = json!({
        "ruleId": id,
        "level": level,
        "message": { "text": text },
        "locations": [{ "physicalLocation": here }],
        "relatedLocations": related,
        "codeFlows": [{ "threadFlows": flows }],
        "partialFingerprints": { "contendSite/v1": f.site.replace(project, "") },
        "properties": { "targets": f.targets, "runs": f.runs, "expected": f.expected },
    });
    if f.expected {
        r["suppressions"] = json!([{
            "kind": "external",
            "justification": "expected: the target is deliberately racy (a racy variant or a race_* test)",
        }]);
    }
    Some(r)
}

/// The SARIF log for `findings`. `project` is the examined source tree, `root` the directory result
/// paths are relative to (see [`source_root`]); `lane` and `version` describe the run.
pub fn render(
    findings: &[Finding],
    project: &Path,
    root: &Path,
    lane: &str,
    version: &str,
) -> String {
    let (project, root) = (project.display().to_string(), root.display().to_string());
    let mut rules: BTreeMap<&str, Value> = BTreeMap::new();
    for f in findings {
        let (id, name, level, text) = rule(&f.report.kind);
        rules.entry(id).or_insert_with(|| {
            json!({
                "id": id,
                "name": name,
                "shortDescription": { "text": text },
                "helpUri": "https://clang.llvm.org/docs/ThreadSanitizer.html",
                "defaultConfiguration": { "level": level },
            })
        });
    }
    let results: Vec<Value> = findings
        .iter()
        .filter_map(|f| result(f, &root, &project, lane))
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "contend tsan",
                "version": version,
                "informationUri": "https://clang.llvm.org/docs/ThreadSanitizer.html",
                "rules": rules.into_values().collect::<Vec<_>>(),
            }},
            "originalUriBaseIds": { "SRCROOT": { "uri": format!("file://{}/", root.trim_end_matches('/')) } },
            "results": results,
            "properties": { "lane": lane },
        }],
    });
    serde_json::to_string_pretty(&log).expect("SARIF is plain JSON") + "\n"
}

/// Checks before anything is built that `path` can be written: its folder exists and accepts a
/// new file. A one-line message otherwise.
pub fn check_writable(path: &Path) -> Result<(), String> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if path.is_dir() {
        return Err(format!("--sarif {}: is a directory", path.display()));
    }
    let probe = dir.join(format!(".contend-sarif-probe-{}", std::process::id()));
    std::fs::write(&probe, b"")
        .and_then(|()| std::fs::remove_file(&probe))
        .map_err(|e| {
            format!(
                "--sarif {}: cannot write in {}: {e}",
                path.display(),
                dir.display()
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tsan::parse::parse_reports;

    const RACY: &str = include_str!("testdata-racy-counter.txt");

    #[test]
    fn one_result_per_distinct_race_with_both_stacks() {
        let mut findings = Vec::new();
        for r in parse_reports(RACY, "/work/main") {
            collect(&mut findings, "counter/racy", true, &r, "/work/main");
            collect(&mut findings, "counter/racy", true, &r, "/work/main");
        }
        assert_eq!(findings.len(), 2);
        assert_eq!(findings[0].runs, 2);
        let text = render(
            &findings,
            Path::new("/work/main"),
            Path::new("/work/main"),
            "debian",
            "1",
        );
        let log: Value = serde_json::from_str(&text).unwrap();
        let results = log["runs"][0]["results"].as_array().unwrap();
        assert_eq!(results.len(), 2);
        let r = &results[0];
        assert_eq!(r["ruleId"], "tsan/data-race");
        assert_eq!(
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "workloads/src/counter/racy.rs"
        );
        assert_eq!(
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
            35
        );
        assert_eq!(
            r["relatedLocations"][0]["physicalLocation"]["region"]["startLine"],
            38
        );
        assert_eq!(
            r["codeFlows"][0]["threadFlows"].as_array().unwrap().len(),
            2
        );
        assert!(
            r["suppressions"][0]["justification"]
                .as_str()
                .unwrap()
                .contains("expected")
        );
    }

    #[test]
    fn an_unwritable_path_is_refused_up_front() {
        assert!(check_writable(Path::new("/nonexistent-dir/x.sarif")).is_err());
        let dir = tempfile::tempdir().unwrap();
        assert!(
            check_writable(dir.path())
                .unwrap_err()
                .contains("is a directory")
        );
        assert!(check_writable(&dir.path().join("r.sarif")).is_ok());
        assert!(
            !dir.path().join("r.sarif").exists(),
            "the check leaves nothing behind"
        );
    }
}
