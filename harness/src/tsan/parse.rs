//! Parses ThreadSanitizer's reports out of a process's stderr.

/// One `WARNING: ThreadSanitizer: ...` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// e.g. `data race`, `lock-order-inversion (potential deadlock)`, `heap-use-after-free`.
    pub kind: String,
    /// For each of the first two access stacks: the first frame in the project's code, as `file:line`
    /// (relative to the project root when inside it), or the top frame when none is.
    pub tops: Vec<String>,
    /// Whether any frame of the report lies in the project's own source (not std, not a dependency).
    pub reaches_project: bool,
    /// The report's text, from the WARNING line to the closing line.
    pub text: String,
}

impl Report {
    /// Identity for de-duplication: kind and stack tops.
    pub fn signature(&self) -> String {
        format!("{} @ {}", self.kind, self.tops.join(" / "))
    }
}

/// Headers of sections that describe an access or a lock acquisition (not an allocation or thread creation).
fn is_access_header(line: &str) -> bool {
    let l = line.trim_start();
    line.starts_with("  ")
        && !line.starts_with("    ")
        && line.trim_end().ends_with(':')
        && !l.starts_with("Location is")
        && !l.starts_with("Thread T")
        && !l.starts_with("Mutex ")
        || l.starts_with("Mutex ") && l.contains("acquired here")
}

/// The `file.rs:line` of a frame line such as `    #2 increment /src/racy.rs:35:28 (bin+0x1)`.
fn frame_location(line: &str) -> Option<&str> {
    line.split_whitespace()
        .find(|t| t.contains(".rs:"))
        .map(|t| {
            // Keep `file:line`, drop the column.
            match t.rmatch_indices(':').next() {
                Some((i, _)) if t[..i].contains(".rs:") => &t[..i],
                _ => t,
            }
        })
}

/// Whether `file` is the project's own code: under `root`, outside any dependency or toolchain source.
fn is_project_file(file: &str, root: &str) -> bool {
    file.starts_with(root)
        && !file.contains("/.cargo/")
        && !file.contains("/rustlib/")
        && !file.contains("/target/")
}

/// How many reports suppression rules hid, from TSan's `print_suppressions` summary lines
/// (`ThreadSanitizer: Matched 3 suppressions (pid=1):`); 0 when none matched.
pub fn suppressed_matches(stderr: &str) -> u64 {
    stderr
        .lines()
        .filter_map(|l| l.strip_prefix("ThreadSanitizer: Matched "))
        .filter_map(|rest| rest.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

/// Extracts every report from `stderr`; `root` is the project's source directory (absolute).
pub fn parse_reports(stderr: &str, root: &str) -> Vec<Report> {
    let root = root.trim_end_matches('/');
    let mut reports = Vec::new();
    let mut lines = stderr.lines().peekable();
    while let Some(line) = lines.next() {
        let Some(rest) = line.strip_prefix("WARNING: ThreadSanitizer: ") else {
            continue;
        };
        let kind = rest
            .rsplit_once(" (pid=")
            .map_or(rest, |(k, _)| k)
            .trim()
            .to_string();
        let mut text = vec![line.to_string()];
        let mut tops: Vec<String> = Vec::new();
        let mut in_access = false;
        let mut section_top: Option<String> = None;
        let mut section_first: Option<String> = None;
        let mut reaches_project = false;
        let close_section =
            |first: &mut Option<String>, top: &mut Option<String>, tops: &mut Vec<String>| {
                if let Some(t) = top.take().or(first.take()) {
                    tops.push(t);
                }
                *first = None;
            };
        for l in lines.by_ref() {
            text.push(l.to_string());
            if l.starts_with("==================") {
                break;
            }
            if l.starts_with("  ") && !l.starts_with("    ") {
                if in_access {
                    close_section(&mut section_first, &mut section_top, &mut tops);
                }
                in_access = is_access_header(l) && tops.len() < 2;
                continue;
            }
            if let Some(loc) = l
                .trim_start()
                .starts_with('#')
                .then(|| frame_location(l))
                .flatten()
            {
                let file = loc.rsplit_once(':').map_or(loc, |(f, _)| f);
                let ours = is_project_file(file, root);
                reaches_project |= ours;
                if in_access {
                    let shown = loc
                        .strip_prefix(root)
                        .map_or(loc, |s| s.trim_start_matches('/'))
                        .to_string();
                    section_first.get_or_insert_with(|| shown.clone());
                    if ours && section_top.is_none() {
                        section_top = Some(shown);
                    }
                }
            }
        }
        if in_access {
            close_section(&mut section_first, &mut section_top, &mut tops);
        }
        reports.push(Report {
            kind,
            tops,
            reaches_project,
            text: text.join("\n"),
        });
    }
    reports
}

/// Whether stderr shows ThreadSanitizer itself failing (not a report), e.g. an unsupported mapping.
pub fn tsan_fatal(stderr: &str) -> Option<String> {
    stderr
        .lines()
        .find(|l| l.starts_with("FATAL: ThreadSanitizer"))
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RACY: &str = include_str!("testdata-racy-counter.txt");

    #[test]
    fn counts_what_suppressions_hid_and_nothing_when_none_matched() {
        let stderr = "ThreadSanitizer: Matched 3 suppressions (pid=7):\n3 race:crossbeam-deque*/src/deque.rs\n\
                      ThreadSanitizer: Matched 2 suppressions (pid=7):\n";
        assert_eq!(suppressed_matches(stderr), 5);
        assert_eq!(suppressed_matches(RACY), 0);
    }

    #[test]
    fn reads_kind_and_the_two_stack_tops_in_our_code() {
        let reports = parse_reports(RACY, "/work/main");
        assert_eq!(reports.len(), 2);
        let r = &reports[0];
        assert_eq!(r.kind, "data race");
        assert_eq!(
            r.tops,
            vec![
                "workloads/src/counter/racy.rs:35",
                "workloads/src/counter/racy.rs:38"
            ]
        );
        assert!(r.reaches_project);
        assert!(r.text.starts_with("WARNING: ThreadSanitizer: data race"));
        assert!(r.text.ends_with("=================="));
        assert_eq!(
            reports[1].tops,
            vec![
                "workloads/src/counter/racy.rs:38",
                "workloads/src/counter/racy.rs:38"
            ]
        );
    }

    #[test]
    fn reports_outside_the_project_do_not_reach_it() {
        let reports = parse_reports(RACY, "/elsewhere");
        assert!(reports.iter().all(|r| !r.reaches_project));
        // Without project frames the top frame stands in.
        assert!(
            reports[0].tops[0].contains("ptr/mod.rs"),
            "{:?}",
            reports[0].tops
        );
    }

    #[test]
    fn clean_output_has_no_reports() {
        assert!(parse_reports("hello\nresults: x\n", "/work/main").is_empty());
        assert_eq!(
            tsan_fatal("x\nFATAL: ThreadSanitizer: unexpected memory mapping\n").as_deref(),
            Some("FATAL: ThreadSanitizer: unexpected memory mapping")
        );
        assert_eq!(tsan_fatal("all good\n"), None);
    }

    #[test]
    fn lock_order_inversions_are_reports_too() {
        let text = "WARNING: ThreadSanitizer: lock-order-inversion (potential deadlock) (pid=1)\n  Cycle in lock order graph: M0 => M1 => M0\n\n  Mutex M1 acquired here while holding mutex M0 in thread T1:\n    #0 lock /p/workloads/src/deadlock.rs:20:5 (x+0x1)\n\n  Mutex M0 acquired here while holding mutex M1 in thread T2:\n    #0 lock /p/workloads/src/deadlock.rs:30:5 (x+0x1)\n\nSUMMARY: ThreadSanitizer: lock-order-inversion (potential deadlock) /p/workloads/src/deadlock.rs:20:5 in lock\n==================\n";
        let r = &parse_reports(text, "/p")[0];
        assert_eq!(r.kind, "lock-order-inversion (potential deadlock)");
        assert_eq!(
            r.tops,
            vec![
                "workloads/src/deadlock.rs:20",
                "workloads/src/deadlock.rs:30"
            ]
        );
    }
}
