//! Snapshot fixtures: each `.assay` file (or folder with a `main.assay`) under
//! `tests/fixtures/` names its command on its first line (`# assay check x.assay`).
//! The runner runs that command through the real binary, from the fixture's folder,
//! and snapshots the source together with the exit code and output.

#![allow(clippy::unwrap_used, clippy::panic, reason = "test code: failing loudly is the point")]

mod common;

use common::fs::files_under;
use std::path::Path;
use std::process::Command;

fn command_line(main: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(main).unwrap();
    let first = text.lines().next().unwrap_or_default();
    let rest = first
        .strip_prefix("# assay ")
        .unwrap_or_else(|| panic!("{}: the first line must be `# assay <args>`", main.display()));
    rest.split_whitespace().map(str::to_string).collect()
}

/// Every file a fixture consists of, with its name relative to the fixture folder.
fn sources(main: &Path, folder_fixture: bool) -> Vec<(String, String)> {
    if !folder_fixture {
        let name = main.file_name().unwrap().to_string_lossy().into_owned();
        return vec![(name, std::fs::read_to_string(main).unwrap())];
    }
    let dir = main.parent().unwrap();
    files_under(dir)
        .into_iter()
        .map(|p| {
            let name = p.strip_prefix(dir).unwrap().to_string_lossy().replace('\\', "/");
            let text = std::fs::read(&p).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap();
            (name, text)
        })
        .collect()
}

fn run_fixture(main: &Path, folder_fixture: bool) -> String {
    let args = command_line(main);
    let cwd = main.parent().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_assay"))
        .args(&args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env_remove("RUST_BACKTRACE")
        .output()
        .unwrap();
    let mut snap = format!("$ assay {}\nexit: {}\n", args.join(" "), output.status.code().unwrap_or(-1));
    for (name, text) in sources(main, folder_fixture) {
        snap.push_str(&format!("\n--- {name}\n{}", text.trim_end()));
        snap.push('\n');
    }
    snap.push_str("\n--- stdout\n");
    snap.push_str(String::from_utf8_lossy(&output.stdout).trim_end());
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !stderr.trim().is_empty() {
        snap.push_str("\n\n--- stderr\n");
        snap.push_str(stderr.trim_end());
    }
    snap.push('\n');
    snap
}

#[test]
fn check_fixtures() {
    insta::glob!("fixtures/check/*.assay", |path| {
        insta::assert_snapshot!(run_fixture(path, false));
    });
}

#[test]
fn check_folder_fixtures() {
    insta::glob!("fixtures/check/*/main.assay", |path| {
        insta::assert_snapshot!(run_fixture(path, true));
    });
}

#[test]
fn eval_folder_fixtures() {
    insta::glob!("fixtures/eval/*/main.assay", |path| {
        insta::assert_snapshot!(run_fixture(path, true));
    });
}

#[test]
fn rule_test_folder_fixtures() {
    insta::glob!("fixtures/test/*/main.assay", |path| {
        insta::assert_snapshot!(run_fixture(path, true));
    });
}

#[test]
fn diff_folder_fixtures() {
    insta::glob!("fixtures/diff/*/main.assay", |path| {
        insta::assert_snapshot!(run_fixture(path, true));
    });
}

#[test]
fn classify_folder_fixtures() {
    insta::glob!("fixtures/classify/*/main.assay", |path| {
        insta::assert_snapshot!(run_fixture(path, true));
    });
}
