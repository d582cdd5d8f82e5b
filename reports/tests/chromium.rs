//! Loads the rendered reports in headless Chromium: the page must load without console errors, every chart must
//! contain data, and screenshots are left for a developer to look at.
//!
//! Needs `chromium` (Debian: `apt-get install chromium`). Without it the test prints
//! "skipped: chromium not found" and passes, so the README's test command passes on a machine
//! with only Rust; CI sets `CONTEND_REQUIRE_BROWSER=1`, which makes a missing browser a failure.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use contend_reports::charts::data_colours;
use contend_reports::render_html;
use contend_reports::schema::{Results, read_results};

fn fixture(name: &str) -> Results {
    read_results(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .unwrap()
}

/// The browser binary, or `None` when absent (skip); panics when absent and required.
fn browser() -> Option<PathBuf> {
    let candidates = [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ];
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = std::env::var_os("CHROMIUM").map(PathBuf::from).or_else(|| {
        candidates.iter().find_map(|c| {
            std::env::split_paths(&path)
                .map(|d| d.join(c))
                .find(|p| p.is_file())
        })
    });
    if found.is_none() {
        assert!(
            std::env::var_os("CONTEND_REQUIRE_BROWSER").is_none_or(|v| v != "1"),
            "headless Chromium not found and CONTEND_REQUIRE_BROWSER=1: install it \
             (`apt-get install chromium` on Debian)"
        );
        // Straight to the stream, not `eprintln!`, which the test harness captures on a pass.
        let _ = writeln!(
            std::io::stderr(),
            "skipped: chromium not found (install it to check the reports in a browser; \
             CONTEND_REQUIRE_BROWSER=1 makes this a failure)"
        );
    }
    found
}

/// Runs the browser with `args` on `url`, killing it after 90 s; returns (stdout, stderr).
fn run_browser(bin: &Path, profile: &Path, args: &[&str], url: &str) -> (String, String) {
    let out_dir = profile.parent().unwrap();
    let (out_path, err_path) = (out_dir.join("stdout.txt"), out_dir.join("stderr.txt"));
    let mut child = Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--enable-logging=stderr",
            "--v=1",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .expect("start chromium");
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let (out, err) = (
                std::fs::read_to_string(&out_path).unwrap(),
                std::fs::read_to_string(&err_path).unwrap(),
            );
            assert!(
                status.success(),
                "chromium failed ({status}):\n{}",
                tail(&err)
            );
            return (out, err);
        }
        if start.elapsed() > Duration::from_secs(90) {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "chromium did not finish in 90 s:\n{}",
                tail(&std::fs::read_to_string(&err_path).unwrap())
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn tail(s: &str) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

/// Console errors in Chromium's log.
fn console_errors(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| {
            l.contains("Uncaught") || l.contains("ERROR:CONSOLE") || l.contains(":CONSOLE(")
        })
        .collect()
}

/// Checks every chart `<svg>` in the loaded DOM draws data: a data-coloured polyline with two or more points.
fn check_charts(dom: &str, name: &str) -> usize {
    let colours = data_colours();
    let figures: Vec<&str> = dom.split("<figure class=\"chart\"").skip(1).collect();
    assert!(!figures.is_empty(), "{name}: no charts in the loaded page");
    for (i, fig) in figures.iter().enumerate() {
        let svg = &fig[..fig
            .find("</svg>")
            .unwrap_or_else(|| panic!("{name}: chart {i} has no </svg>"))];
        let kind = fig.split('"').nth(1).unwrap_or("?");
        let data_lines = svg
            .split("<polyline")
            .skip(1)
            .filter(|p| {
                colours
                    .iter()
                    .any(|c| p.contains(&format!("stroke=\"{c}\"")))
            })
            .filter(|p| {
                let pts = p
                    .split("points=\"")
                    .nth(1)
                    .and_then(|s| s.split('"').next())
                    .unwrap_or("");
                pts.split_whitespace().count() >= 2
            })
            .count();
        assert!(
            data_lines > 0,
            "{name}: chart {i} ({kind}) has no data lines"
        );
    }
    figures.len()
}

fn check_page(bin: &Path, dir: &Path, name: &str, html: &str, expect_title: &str) {
    let file = dir.join(format!("{name}.html"));
    std::fs::write(&file, html).unwrap();
    let url = format!("file://{}", file.display());
    let profile = dir.join(format!("profile-{name}"));

    let (dom, stderr) = run_browser(bin, &profile, &["--dump-dom"], &url);
    assert!(
        dom.contains("<main>") && dom.contains(expect_title),
        "{name}: page did not load:\n{}",
        tail(&dom)
    );
    let errors = console_errors(&stderr);
    assert!(
        errors.is_empty(),
        "{name}: console errors:\n{}",
        errors.join("\n")
    );
    let charts = check_charts(&dom, name);

    let png = dir.join(format!("{name}.png"));
    let shot = format!("--screenshot={}", png.display());
    run_browser(
        bin,
        &profile,
        &[&shot, "--window-size=1400,2400", "--hide-scrollbars"],
        &url,
    );
    let bytes = std::fs::read(&png)
        .unwrap_or_else(|e| panic!("{name}: no screenshot at {}: {e}", png.display()));
    assert!(
        bytes.starts_with(b"\x89PNG") && bytes.len() > 10_000,
        "{name}: screenshot looks empty"
    );
    eprintln!("{name}: {charts} charts ok; screenshot {}", png.display());
}

#[test]
fn reports_load_in_chromium_with_drawn_charts() {
    let Some(bin) = browser() else { return };
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("report-browser");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (a, b) = (fixture("machine-a.json"), fixture("machine-b.json"));
    check_page(
        &bin,
        &dir,
        "comparison",
        &render_html(&[a.clone(), b.clone()]),
        "contend comparison",
    );
    check_page(&bin, &dir, "single", &render_html(&[b]), "contend report");
}
