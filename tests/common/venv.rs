//! The tools some tests run beside Assay, from the package registries: the venv's Python
//! that `benches/duckdb-venv.sh` sets up (DuckDB, jsonschema, lxml, playwright from PyPI),
//! after any other setup script a test needs (`benches/chromium.sh`). Under CI (`CI` set,
//! as `.ci/run` runs) a tool that cannot be had fails the test; elsewhere it says it skipped.

use super::repo;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Run `before` (setup scripts, in order), then `benches/duckdb-venv.sh`; its Python, or
/// why it cannot be had. Call once per test file (keep it in a `OnceLock`).
pub fn setup(before: &[&str]) -> Result<PathBuf, String> {
    let mut why = String::new();
    for script in before.iter().chain(["benches/duckdb-venv.sh"].iter()) {
        let out = Command::new("bash").arg(repo().join(script)).output().unwrap();
        if !out.status.success() {
            why.push_str(&format!("{script} failed: {}", String::from_utf8_lossy(&out.stderr)));
        } else if *script == "benches/duckdb-venv.sh" && why.is_empty() {
            return Ok(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
        }
    }
    Err(why)
}

/// The Python `setup` found, or `None` (the test should return) after saying it skipped;
/// under CI, a failure: the test must run. `needs` says what for.
pub fn or_skip<'p>(found: &'p Result<PathBuf, String>, needs: &str) -> Option<&'p Path> {
    match found {
        Ok(python) => Some(python),
        Err(why) => {
            assert!(std::env::var_os("CI").is_none(), "CI must have {needs}, but: {why}");
            eprintln!("skipped: no {needs}: {why}");
            None
        }
    }
}
