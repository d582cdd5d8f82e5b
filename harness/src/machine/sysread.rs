//! Small, forgiving readers of sysfs and procfs files: a missing, empty or malformed file is
//! `None` (unknown), never an error.

use std::path::{Path, PathBuf};

/// The file's text, trimmed; `None` when it cannot be read or is blank.
pub fn text(path: &Path) -> Option<String> {
    let t = std::fs::read_to_string(path).ok()?;
    let t = t.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// The file's text parsed as a number.
pub fn number<T: std::str::FromStr>(path: &Path) -> Option<T> {
    text(path)?.parse().ok()
}

/// `0` or `1` as a flag.
pub fn flag(path: &Path) -> Option<bool> {
    match text(path)?.as_str() {
        "1" => Some(true),
        "0" => Some(false),
        _ => None,
    }
}

/// A kernel CPU list (`0-3,8`) from the file, ascending.
pub fn cpu_list(path: &Path) -> Option<Vec<usize>> {
    crate::topology::parse_cpu_list(&text(path)?).ok()
}

/// The subdirectories of `dir` named `<prefix><number>`, by number (none when `dir` is missing).
pub fn numbered(dir: &Path, prefix: &str) -> Vec<(usize, PathBuf)> {
    let mut found: Vec<(usize, PathBuf)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let n = e.file_name().to_str()?.strip_prefix(prefix)?.parse().ok()?;
            Some((n, e.path()))
        })
        .collect();
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_blank_and_malformed_files_are_unknown() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        std::fs::write(p.join("blank"), " \n").unwrap();
        std::fs::write(p.join("word"), "maybe\n").unwrap();
        std::fs::write(p.join("one"), "1\n").unwrap();
        std::fs::write(p.join("list"), "0-2,5\n").unwrap();
        assert_eq!(text(&p.join("absent")), None);
        assert_eq!(text(&p.join("blank")), None);
        assert_eq!(number::<u64>(&p.join("word")), None);
        assert_eq!(flag(&p.join("word")), None);
        assert_eq!(flag(&p.join("one")), Some(true));
        assert_eq!(cpu_list(&p.join("list")), Some(vec![0, 1, 2, 5]));
        assert_eq!(cpu_list(&p.join("word")), None);
    }

    #[test]
    fn numbered_directories_come_in_numeric_order() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["index10", "index2", "indexX", "other1"] {
            std::fs::create_dir(dir.path().join(name)).unwrap();
        }
        let found: Vec<usize> = numbered(dir.path(), "index")
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(found, [2, 10]);
        assert!(numbered(&dir.path().join("absent"), "index").is_empty());
    }
}
