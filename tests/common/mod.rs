//! Helpers shared by the CLI tests: the repository, running the built binary, and reading
//! what it printed. Each test file that needs them says `mod common;`.

#![allow(dead_code, reason = "each test file uses only some of the helpers")]
#![allow(clippy::panic, reason = "test code: failing loudly is the point")]

use std::path::Path;
use std::process::{Command, Output};

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
    Command::new(env!("CARGO_BIN_EXE_assay"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap_or_else(|e| panic!("cannot run assay: {e}"))
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Standard output of a run that must succeed; the panic shows its standard error.
pub fn ok_stdout(o: &Output) -> String {
    assert_eq!(o.status.code(), Some(0), "exit {:?}\n{}", o.status.code(), stderr(o));
    stdout(o)
}
