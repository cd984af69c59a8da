//! The browser check that `assay report`'s pages must pass (tests/common/browser.rs runs
//! tests/browser/check_page.py: headless Chromium, `file://`, the network off), tried here on
//! fixture pages in tests/browser/fixtures: a self-contained page with two charts passes and
//! leaves a screenshot, and a page with an external request, a console error, an SVG of zero
//! width or no chart at all fails, naming what is wrong, so that a checker that passes
//! anything fails this test.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unreachable,
    reason = "test code: failing loudly is the point"
)]

mod common;

use common::browser::{browser_python, check_page, run_check_page};
use common::repo;
use serde_json::Value as Json;
use std::path::{Path, PathBuf};

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

fn fixture(name: &str) -> PathBuf {
    repo().join("tests/browser/fixtures").join(name)
}

/// The width and height a PNG file says it has (its IHDR chunk), after checking that it is
/// one and not a trivial one.
fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("no screenshot at {}: {e}", path.display()));
    assert!(bytes.starts_with(PNG_SIGNATURE), "{} is not a PNG", path.display());
    assert!(bytes.len() > 4096, "{} is only {} bytes", path.display(), bytes.len());
    assert_eq!(&bytes[12..16], b"IHDR", "{}: no IHDR chunk first", path.display());
    let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (be(16), be(20))
}

/// The checker's verdict on a fixture that must fail: its JSON summary and the `FAIL:` lines
/// it wrote, after checking it exited 1 and left a screenshot all the same. `None` when
/// there is no browser (outside CI only).
fn failing(name: &str, min_charts: usize) -> Option<(Json, String)> {
    let dir = tempfile::tempdir().unwrap();
    let shot = dir.path().join("shot.png");
    let out = run_check_page(&fixture(name), &shot, min_charts)?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{name} must fail the check:\n{stderr}\n{stdout}");
    let summary: Json = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("no JSON ({e}):\n{stdout}"));
    assert_eq!(summary["ok"], Json::Bool(false), "{stdout}");
    let fails: Vec<&str> = stderr.lines().filter(|l| l.starts_with("FAIL: ")).collect();
    assert!(!fails.is_empty(), "{name}: no FAIL line:\n{stderr}");
    assert_eq!(fails.len(), summary["failures"].as_array().unwrap().len(), "{stderr}\n{stdout}");
    png_size(&shot);
    Some((summary, stderr))
}

#[test]
fn a_self_contained_page_with_two_charts_passes_and_leaves_a_screenshot() {
    let dir = tempfile::tempdir().unwrap();
    let shot = dir.path().join("good.png");
    let Some(summary) = check_page(&fixture("good.html"), &shot, 2) else { return };
    assert_eq!(summary["charts"], 2, "{summary}");
    let svgs = summary["svgs"].as_array().unwrap();
    assert_eq!(svgs.len(), 2, "{summary}");
    for svg in svgs {
        assert_eq!(svg["chart"], true, "{svg}");
        // The fixture's charts are 100% of a 40rem figure with a 2:1 viewBox: 640x320.
        assert_eq!((svg["width"].as_f64(), svg["height"].as_f64()), (Some(640.0), Some(320.0)), "{svg}");
        assert!(svg["content"]["width"].as_f64().unwrap() > 0.0, "{svg}");
    }
    assert_eq!(summary["requests"], Json::Array(vec![]), "{summary}");
    assert_eq!(summary["console_errors"], Json::Array(vec![]), "{summary}");
    // A full-page screenshot: the viewport's width, and at least its height.
    let (width, height) = png_size(&shot);
    assert_eq!(width, 1280);
    assert!(height >= 800, "{height}");
}

#[test]
fn a_page_that_fetches_an_image_fails_naming_the_url() {
    let Some((summary, stderr)) = failing("request.html", 1) else { return };
    assert_eq!(summary["requests"], serde_json::json!(["http://example.com/x.png"]), "{summary}");
    assert_eq!(summary["blocked"], serde_json::json!(["http://example.com/x.png"]), "{summary}");
    assert!(stderr.contains("FAIL: request for http://example.com/x.png (blocked: network off)"), "{stderr}");
    // Its chart renders: the request alone fails it.
    assert_eq!(summary["charts"], 1, "{summary}");
}

#[test]
fn a_page_that_logs_an_error_fails_naming_it() {
    let Some((summary, stderr)) = failing("console.html", 1) else { return };
    assert!(stderr.contains("FAIL: console error: boom"), "{stderr}");
    assert_eq!(summary["failures"].as_array().unwrap().len(), 1, "{summary}");
    assert_eq!(summary["requests"], Json::Array(vec![]), "{summary}");
}

#[test]
fn an_svg_of_zero_width_fails_naming_it() {
    let Some((summary, stderr)) = failing("empty_svg.html", 1) else { return };
    assert!(stderr.contains("FAIL: svg #1 (A chart of zero width) [chart] renders at 0x100: an empty box"), "{stderr}");
    // The other chart renders and is not named.
    assert!(!stderr.contains("A good chart"), "{stderr}");
    assert_eq!(summary["failures"].as_array().unwrap().len(), 1, "{summary}");
}

#[test]
fn a_page_without_charts_fails() {
    let Some((summary, stderr)) = failing("no_chart.html", 1) else { return };
    assert!(stderr.contains("FAIL: 0 chart(s) found"), "{stderr}");
    assert_eq!(summary["charts"], 0, "{summary}");
}

#[test]
fn fewer_charts_than_wanted_fail() {
    let Some((summary, stderr)) = failing("good.html", 3) else { return };
    assert!(stderr.contains("FAIL: 2 chart(s) found"), "{stderr}");
    assert!(stderr.contains("at least 3 wanted"), "{stderr}");
    assert_eq!(summary["failures"].as_array().unwrap().len(), 1, "{summary}");
}

#[test]
fn check_page_panics_with_the_checkers_output_on_a_failing_page() {
    if browser_python().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let shot = dir.path().join("console.png");
    let page = fixture("console.html");
    let caught = std::panic::catch_unwind(|| check_page(&page, &shot, 1));
    let err = caught.expect_err("check_page passed a page that logs an error");
    let message =
        err.downcast_ref::<String>().cloned().or_else(|| err.downcast_ref::<&str>().map(|s| (*s).to_owned())).unwrap();
    assert!(message.contains("fails in the browser"), "{message}");
    assert!(message.contains("FAIL: console error: boom"), "{message}");
}
