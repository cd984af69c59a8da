//! Hostile input through the command line (issue #23): rule files, CSV and YAML data,
//! spreadsheets, rule tests, scripts and the shell around them (closed pipes, a full disk,
//! unwritable outputs, FIFOs, symbolic-link loops, files of tens of megabytes). Every case
//! runs the built binary in a throwaway folder and must end in time, without a panic, with
//! its documented exit status and its coded diagnostics, and without creating or changing
//! a file when it fails. The cases are tables in the files beside this one, run in
//! parallel threads.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "test code: failing loudly is the point, and sizes are small and fixed"
)]

mod common;

#[path = "hostile/case.rs"]
mod case;
#[path = "hostile/data.rs"]
mod data;
#[path = "hostile/rules.rs"]
mod rules;
#[path = "hostile/ruletests.rs"]
mod ruletests;
#[path = "hostile/scripts.rs"]
mod scripts;
#[path = "hostile/sheets.rs"]
mod sheets;
#[path = "hostile/shell.rs"]
mod shell;

use case::{run_all, Case};

/// Every table, run together so that the slow cases (files of tens of megabytes) overlap
/// with the many quick ones.
#[test]
fn hostile_input_is_refused_or_read_never_crashes_hangs_or_writes() {
    let tables: [(&str, Vec<Case>); 7] = [
        ("rules", rules::cases()),
        ("csv", data::csv_cases()),
        ("yaml", data::yaml_cases()),
        ("sheets", sheets::cases()),
        ("rule tests", ruletests::cases()),
        ("scripts", scripts::cases()),
        ("shell", shell::cases()),
    ];
    let counts: Vec<String> = tables.iter().map(|(kind, cases)| format!("{kind}: {}", cases.len())).collect();
    let cases: Vec<Case> = tables.into_iter().flat_map(|(_, cases)| cases).collect();
    assert!(cases.len() >= 100, "only {} cases ({})", cases.len(), counts.join(", "));
    let failures = run_all(cases);
    assert!(failures.is_empty(), "{} case(s) failed:\n\n{}", failures.len(), failures.join("\n\n"));
}
