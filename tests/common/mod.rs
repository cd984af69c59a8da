//! Helpers shared by the CLI tests: the repository, running the built binary, and reading
//! what it printed. Each test file that needs them says `mod common;`; the files beside
//! this one hold the helpers for pages in a browser ([`browser`]), folders ([`fs`]), git
//! ([`git`]), seeded mutations ([`rng`]) and the Python tools some tests run ([`venv`]).

#![allow(dead_code, reason = "each test file uses only some of the helpers")]
#![allow(clippy::panic, clippy::unwrap_used, reason = "test code: failing loudly is the point")]

pub mod browser;
pub mod fs;
pub mod git;
pub mod rng;
pub mod venv;

use rust_decimal::Decimal;
use std::path::Path;
use std::process::{Command, Output};
use std::str::FromStr;

/// The repository root: CLI tests run from here, as a user on a fresh clone would.
pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Run `assay` from the repository root, without colour.
pub fn assay(args: &[&str]) -> Output {
    assay_in(repo(), args)
}

/// Run `assay` from `dir`, without colour.
pub fn assay_in(dir: &Path, args: &[&str]) -> Output {
    assay_with_env(dir, args, &[])
}

/// Run `assay` from `dir`, without colour, with these environment variables set as well
/// (`ASSAY_THREADS`, `ASSAY_CHUNK_BYTES` and the like).
pub fn assay_with_env(dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_assay"));
    cmd.args(args).current_dir(dir).env("NO_COLOR", "1");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().unwrap_or_else(|e| panic!("cannot run assay: {e}"))
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Standard output of a run that must succeed, which must be UTF-8; the panic shows its
/// standard error.
pub fn ok_stdout(o: &Output) -> String {
    String::from_utf8(ok_stdout_bytes(o)).unwrap_or_else(|e| panic!("standard output is not UTF-8: {e}"))
}

/// Standard output of a run that must succeed, byte for byte.
pub fn ok_stdout_bytes(o: &Output) -> Vec<u8> {
    assert_eq!(o.status.code(), Some(0), "exit {:?}\n{}", o.status.code(), stderr(o));
    o.stdout.clone()
}

/// Standard output of a run that must succeed, read as JSON.
pub fn ok_json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&ok_stdout_bytes(o)).unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(o)))
}

/// An exact decimal written in a test or read from a CSV cell.
pub fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap_or_else(|e| panic!("`{s}`: {e}"))
}
