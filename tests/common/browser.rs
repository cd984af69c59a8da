//! Pages in a browser: tests/browser/check_page.py opens an HTML page from `file://` in
//! headless Chromium with the network off and checks that every SVG chart renders with a
//! non-zero size, with no console errors and no requests, writing a screenshot. It runs on the
//! venv's Python that `benches/duckdb-venv.sh` sets up (playwright from PyPI) and drives
//! Debian's Chromium, which `benches/chromium.sh` installs with apt. Under CI (`CI` set, as
//! `.ci/run` runs) a browser that cannot be had fails the test; elsewhere the test says it
//! skipped.

use super::repo;
use serde_json::Value as Json;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The venv's Python with playwright, once Chromium is installed too; made once for all the
/// tests of a file. `None` (the test should skip) only outside CI.
pub fn browser_python() -> Option<&'static Path> {
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    super::venv::or_skip(
        PYTHON.get_or_init(|| super::venv::setup(&["benches/chromium.sh"])),
        "headless Chromium with playwright",
    )
}

/// Run the checker on `page`, writing `screenshot`, wanting at least `min_charts` charts;
/// `None` when there is no browser (outside CI only).
pub fn run_check_page(page: &Path, screenshot: &Path, min_charts: usize) -> Option<Output> {
    let python = browser_python()?;
    let out = Command::new(python)
        .arg(repo().join("tests/browser/check_page.py"))
        .arg(page)
        .arg(screenshot)
        .arg("--min-charts")
        .arg(min_charts.to_string())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    Some(out)
}

/// `page` (an HTML file) must render in headless Chromium from `file://`, offline: at least
/// `min_charts` SVG charts (`<svg>` in `<figure class="chart">`), every `<svg>` with a
/// non-zero size, no console or page errors, no request but the page itself. A full-page
/// screenshot is written to `screenshot`. Panics with the checker's output when a check
/// fails; returns its JSON summary (charts and their sizes), or `None` when the test skipped
/// for want of a browser (never under CI).
pub fn check_page(page: &Path, screenshot: &Path, min_charts: usize) -> Option<Json> {
    let out = run_check_page(page, screenshot, min_charts)?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{} fails in the browser (screenshot: {}):\n{stderr}\n{stdout}",
        page.display(),
        screenshot.display()
    );
    let summary: Json =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("the checker printed no JSON ({e}):\n{stdout}"));
    assert_eq!(summary.get("ok"), Some(&Json::Bool(true)), "{stdout}");
    Some(summary)
}
