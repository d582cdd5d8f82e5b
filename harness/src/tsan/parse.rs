//! Parses ThreadSanitizer's reports out of a process's stderr: kind, sections and their frames.

/// One stack frame: `#2 increment /src/racy.rs:35:28 (bin+0x1)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The function as symbolized (inlined frames carry short names such as `{closure#0}`).
    pub function: String,
    /// Source file, when the symbolizer knew it.
    pub file: Option<String>,
    pub line: Option<u32>,
}

/// One indented block of a report: a header (`Write of size 8 at 0x.. by thread T2:`,
/// `Location is heap block ...`, `Thread T2 (tid=9, running) created by main thread at:`) and
/// the frames below it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub header: String,
    pub frames: Vec<Frame>,
}

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
    /// Every section, in the report's order.
    pub sections: Vec<Section>,
}

impl Report {
    /// Identity for de-duplication: kind and stack tops.
    pub fn signature(&self) -> String {
        format!("{} @ {}", self.kind, self.tops.join(" / "))
    }

    /// The (at most two) sections describing the racing accesses or the lock acquisitions.
    pub fn accesses(&self) -> impl Iterator<Item = &Section> {
        self.sections
            .iter()
            .filter(|s| is_access_header(&s.header))
            .take(2)
    }

    /// The `Location is ...` section, if any.
    pub fn location(&self) -> Option<&Section> {
        self.sections
            .iter()
            .find(|s| s.header.starts_with("Location is"))
    }

    /// The section saying how `thread` (`T2`, or `main` for the main thread) was created.
    pub fn creation_of(&self, thread: &str) -> Option<&Section> {
        self.sections.iter().find(|s| {
            s.header
                .strip_prefix("Thread ")
                .and_then(|rest| rest.split_whitespace().next())
                == Some(thread)
                && s.header.contains("created by")
        })
    }

    /// Whether this is a lock-order inversion (a potential deadlock) rather than a data race.
    pub fn is_lock_order_inversion(&self) -> bool {
        self.kind.starts_with("lock-order-inversion")
    }
}

/// The thread a header names: `T2` for `... by thread T2:`, `main` for `... by main thread:`.
pub fn thread_of(header: &str) -> Option<String> {
    if header.contains("by main thread") || header.contains("in main thread") {
        return Some("main".into());
    }
    let after = header
        .split(" by thread ")
        .nth(1)
        .or_else(|| header.split(" in thread ").nth(1))?;
    let id: String = after
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    (!id.is_empty()).then_some(id)
}

/// The creator named in a `Thread T2 (...) created by thread T1 at:` header (`main` for the main thread).
pub fn creator_of(header: &str) -> Option<String> {
    let by = header.split("created by ").nth(1)?;
    thread_of(&format!("x by {by}"))
}

/// Headers of sections that describe an access or a lock acquisition (not an allocation or thread creation).
fn is_access_header(line: &str) -> bool {
    let l = line.trim_start();
    l.ends_with(':')
        && !l.starts_with("Location is")
        && !l.starts_with("Thread T")
        && !l.starts_with("Mutex ")
        && !l.starts_with("Cycle in")
        || l.starts_with("Mutex ") && l.contains("acquired here")
}

/// Parses a frame line such as `    #2 increment /src/racy.rs:35:28 (bin+0x1) (BuildId: ..)`.
fn parse_frame(line: &str) -> Option<Frame> {
    let rest = line.trim_start().strip_prefix('#')?;
    let (_, rest) = rest.split_once(' ')?;
    let tokens: Vec<&str> = rest.split_whitespace().collect();
    // The source location is the token after the function, followed by the module `(bin+0x..)`.
    let located = tokens.iter().enumerate().skip(1).find_map(|(i, t)| {
        let mut parts = t.rsplitn(3, ':');
        let (a, b, file) = (parts.next()?, parts.next()?, parts.next());
        let numeric = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
        match file {
            Some(f) if numeric(a) && numeric(b) => Some((i, f.to_string(), b.parse().ok())),
            _ if numeric(a) && !b.is_empty() && !b.contains('(') => {
                Some((i, b.to_string(), a.parse().ok()))
            }
            _ => None,
        }
        .filter(|_| tokens.get(i + 1).is_none_or(|n| n.starts_with('(')))
    });
    match located {
        Some((i, file, line)) => Some(Frame {
            function: tokens[..i].join(" "),
            file: Some(file),
            line,
        }),
        None => {
            let end = tokens
                .iter()
                .position(|t| t.starts_with('(') && t.contains("+0x"))
                .unwrap_or(tokens.len());
            Some(Frame {
                function: tokens[..end].join(" "),
                file: None,
                line: None,
            })
        }
    }
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

/// contend's annotated lock wrapper: its frames sit on top of every lock-order inversion in the
/// workloads, so the stack top shown is the caller's.
const LOCK_WRAPPER: &str = "/workloads/src/sync.rs";

/// The stack tops of a report's first two access sections (see [`Report::tops`]).
fn stack_tops(sections: &[Section], root: &str) -> Vec<String> {
    let shown = |f: &Frame| {
        let loc = match (&f.file, f.line) {
            (Some(file), Some(line)) => format!("{file}:{line}"),
            (Some(file), None) => file.clone(),
            (None, _) => f.function.clone(),
        };
        loc.strip_prefix(root)
            .map_or(loc.clone(), |s| s.trim_start_matches('/').to_string())
    };
    sections
        .iter()
        .filter(|s| is_access_header(&s.header))
        .take(2)
        .filter_map(|s| {
            let ours = s
                .frames
                .iter()
                .filter(|f| f.file.as_deref().is_some_and(|p| is_project_file(p, root)))
                .find(|f| !f.file.as_deref().is_some_and(|p| p.ends_with(LOCK_WRAPPER)));
            ours.or(s.frames.iter().find(|f| f.file.is_some()))
                .or(s.frames.first())
                .map(shown)
        })
        .collect()
}

/// Extracts every report from `stderr`; `root` is the project's source directory (absolute).
pub fn parse_reports(stderr: &str, root: &str) -> Vec<Report> {
    let root = root.trim_end_matches('/');
    let mut reports = Vec::new();
    let mut lines = stderr.lines();
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
        let mut sections: Vec<Section> = Vec::new();
        for l in lines.by_ref() {
            text.push(l.to_string());
            if l.starts_with("==================") {
                break;
            }
            if l.starts_with("  ") && !l.starts_with("    ") {
                sections.push(Section {
                    header: l.trim().to_string(),
                    frames: Vec::new(),
                });
            } else if l.trim_start().starts_with('#')
                && let (Some(section), Some(frame)) = (sections.last_mut(), parse_frame(l))
            {
                section.frames.push(frame);
            }
        }
        let reaches_project = sections
            .iter()
            .flat_map(|s| &s.frames)
            .any(|f| f.file.as_deref().is_some_and(|p| is_project_file(p, root)));
        reports.push(Report {
            kind,
            tops: stack_tops(&sections, root),
            reaches_project,
            text: text.join("\n"),
            sections,
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
    fn sections_frames_and_threads_are_structured() {
        let r = &parse_reports(RACY, "/work/main")[0];
        let accesses: Vec<_> = r.accesses().collect();
        assert_eq!(accesses.len(), 2);
        let top = &accesses[0].frames[0];
        assert!(top.file.as_deref().unwrap().ends_with(".rs"), "{top:?}");
        assert!(top.line.is_some());
        assert!(thread_of(&accesses[0].header).is_some());
        let t = thread_of(&accesses[0].header).unwrap();
        let created = r.creation_of(&t).expect("creation section");
        assert!(creator_of(&created.header).is_some(), "{}", created.header);
        assert!(r.location().is_some());
    }

    #[test]
    fn frames_with_spaces_in_names_and_without_files_parse() {
        let f = parse_frame("    #3 <fn() -> core::result::Result<(), alloc::string::String> as core::ops::function::FnOnce<()>>::call_once /rustc/x/library/core/src/ops/function.rs:250:5 (bin+0x1b516a) (BuildId: 90)").unwrap();
        assert_eq!(
            f.function,
            "<fn() -> core::result::Result<(), alloc::string::String> as core::ops::function::FnOnce<()>>::call_once"
        );
        assert_eq!(
            (f.file.as_deref(), f.line),
            (Some("/rustc/x/library/core/src/ops/function.rs"), Some(250))
        );
        let g =
            parse_frame("    #10 __rust_try race_suite.f682-cgu.09 (bin+0x1839c1) (BuildId: 90)")
                .unwrap();
        assert_eq!(
            (g.function.as_str(), g.file, g.line),
            ("__rust_try race_suite.f682-cgu.09", None, None)
        );
        let h = parse_frame("    #14 __libc_start_call_main csu/../sysdeps/nptl/libc_start_call_main.h:58:16 (libc.so.6+0x27249)").unwrap();
        assert_eq!(h.line, Some(58));
        assert_eq!(
            thread_of("Read of size 8 at 0x1 by main thread:"),
            Some("main".into())
        );
        assert_eq!(
            creator_of("Thread T2 (tid=9, finished) created by thread T1 at:"),
            Some("T1".into())
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
        assert!(r.is_lock_order_inversion());
        assert_eq!(
            r.tops,
            vec![
                "workloads/src/deadlock.rs:20",
                "workloads/src/deadlock.rs:30"
            ]
        );
        let threads: Vec<_> = r.accesses().map(|s| thread_of(&s.header)).collect();
        assert_eq!(threads, vec![Some("T1".into()), Some("T2".into())]);
    }
}
