//! Every command shown in `README.md` and in `--help` runs as shown, through `sh`, in a
//! fresh copy of the repository's rules and examples (a git repository of two commits, so
//! that `diff HEAD~1 HEAD` has something to compare): a wrong example is a first-day defect.

#![allow(clippy::unwrap_used, reason = "test code: failing loudly is the point")]

mod common;

use common::fs::copy_tree;
use common::git::{git, init_and_commit};
use common::repo;
use std::path::Path;
use std::process::Command;

/// Commands that exit 1 on purpose as shown, and why.
const EXIT_ONE: &[(&str, &str)] = &[(
    "assay verify --data examples/plans/failing     # each violation, then a summary (exit 1)",
    "the failing plan breaks error policies: exit 1 is what a pipeline gates on",
)];

/// A workspace as a newcomer has it: the rules and examples, committed twice (the second
/// commit changes only a comment), plus the `big.csv` the README's classify example reads.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for folder in ["rules", "examples"] {
        copy_tree(&repo().join(folder), &dir.path().join(folder));
    }
    std::fs::copy(repo().join("examples/qipp-2009-10/ledger.csv"), dir.path().join("big.csv")).unwrap();
    init_and_commit(dir.path(), "one");
    let kpis = dir.path().join("rules/classes.assay");
    let text = std::fs::read_to_string(&kpis).unwrap();
    std::fs::write(&kpis, format!("# a comment\n{text}")).unwrap();
    git(dir.path(), &["commit", "-q", "-am", "two"]);
    dir
}

/// Run a command line as a user would type it, with `assay` being the built binary.
fn run_shell(dir: &Path, line: &str) -> (Option<i32>, String) {
    let bin = Path::new(env!("CARGO_BIN_EXE_assay"));
    let script = format!("assay() {{ '{}' \"$@\"; }}\n{line}", bin.display());
    let out = Command::new("sh").arg("-c").arg(script).current_dir(dir).env("NO_COLOR", "1").output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn expect_success(dir: &Path, line: &str, origin: &str) -> Option<String> {
    let (code, err) = run_shell(dir, line);
    let wanted = if EXIT_ONE.iter().any(|(l, _)| *l == line) { 1 } else { 0 };
    (code != Some(wanted)).then(|| format!("{origin}: `{line}` exited {code:?}, not {wanted}:\n{err}"))
}

/// The README's `sh` blocks, with `cargo run --release --` standing for the binary. The
/// test suite's own command (`cargo test`) is left out.
fn readme_commands() -> Vec<String> {
    let text = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let mut out = Vec::new();
    let mut in_sh = false;
    for line in text.lines() {
        if line.starts_with("```") {
            in_sh = line.trim() == "```sh";
            continue;
        }
        if let Some(rest) = line.strip_prefix("cargo run --release -- ").filter(|_| in_sh) {
            out.push(format!("assay {rest}"));
        }
    }
    out
}

#[test]
fn every_command_in_the_readme_runs_as_shown() {
    let dir = workspace();
    let commands = readme_commands();
    assert!(commands.len() > 25, "{commands:?}");
    let failures: Vec<String> = commands.iter().filter_map(|c| expect_success(dir.path(), c, "README.md")).collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_example_in_help_runs_as_shown() {
    let dir = workspace();
    let subcommands = ["check", "classify", "eval", "diff", "explain", "explain-code", "test", "fmt"];
    let mut examples = Vec::new();
    for sub in [None].into_iter().chain(subcommands.map(Some)) {
        let args: Vec<&str> = sub.into_iter().chain(["--help"]).collect();
        let help = common::ok_stdout(&common::assay(&args));
        // Help text is wrapped: join it back into one line before finding `assay …` spans.
        let joined = help.split_whitespace().collect::<Vec<_>>().join(" ");
        for piece in joined.split('`').skip(1).step_by(2) {
            if piece.starts_with("assay ") {
                examples.push((sub.unwrap_or("assay"), piece.to_string()));
            }
        }
    }
    assert!(examples.len() >= 5, "{examples:?}");
    let failures: Vec<String> = examples
        .iter()
        .filter_map(|(sub, line)| expect_success(dir.path(), line, &format!("`{sub} --help`")))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
