//! The whole-run budget of script operations (`--script-budget`): a methodology written as
//! in the tutorial, over the shipped library and example data, whose script does needless
//! work on each of its 2,205 calls (315 organisations × 7 functions). Too small a budget
//! fails the run with `script-budget-exceeded`, promptly and the same way every time,
//! and writes nothing; a larger one lets it through.

#![allow(clippy::unwrap_used, clippy::panic, reason = "test code: failing loudly is the point")]

mod common;

use common::fs::temp_folder_with;
use common::{assay, ok_stdout, stderr};

const METHODOLOGY: &str = r#"script slow "slow.rhai" {
  fn slow_share(share: percent) : percent
}

## The median methodology, each cost share passed through a script that counts to 100 first.
methodology slow_median "Move to the median, through a slow script" {
  cite qipp2010 "s5.7"
  peers same org_type minimum 4
  let target[f in qipp_function] : percent = median(cost_share[f], missing: skip) over peers
  let saving[f in qipp_function] : GBP = max(0, slow_share(cost_share[f]) - target[f]) * turnover
  total saving
}
"#;

/// About 600 operations a call: 1.3 million for the run.
const SCRIPT: &str =
    "fn slow_share(share) {\n    let i = 0;\n    while i < 100 {\n        i += 1;\n    }\n    share\n}\n";

/// The calls the run makes when nothing stops it: one per organisation and function.
const CALLS: usize = 315 * 7;

fn eval(dir: &std::path::Path, budget: &str, output: &std::path::Path) -> std::process::Output {
    let rules = dir.join("slow_median.assay");
    assay(&[
        "eval",
        "--rules",
        "rules",
        rules.to_str().unwrap(),
        "--methodology",
        "slow_median",
        "--script-budget",
        budget,
        "--output",
        output.to_str().unwrap(),
    ])
}

/// The number of calls the diagnostic says were made.
fn calls_made(err: &str) -> usize {
    let after = err.split(" operations after ").nth(1).unwrap_or_else(|| panic!("no count of calls:\n{err}"));
    after.split(" call").next().unwrap().replace(',', "").parse().unwrap()
}

#[test]
fn a_run_past_its_script_budget_stops_promptly_and_writes_nothing_until_the_budget_is_raised() {
    let dir = temp_folder_with(&[("slow_median.assay", METHODOLOGY), ("slow.rhai", SCRIPT)]);
    let output = dir.path().join("out.txt");

    let mut counts = Vec::new();
    for _ in 0..2 {
        let run = eval(dir.path(), "100000", &output);
        let err = stderr(&run);
        assert_eq!(run.status.code(), Some(1), "{err}");
        assert!(err.contains("script-budget-exceeded"), "{err}");
        assert!(err.contains("the scripts ran out of the run's 100,000 operations"), "{err}");
        // On the `script` definition, naming the function; the help names the flag.
        assert!(err.contains(r#"script slow "slow.rhai" {"#) && err.contains("`slow_share` was running"), "{err}");
        assert!(err.contains("--script-budget 1000000"), "{err}");
        assert!(!output.exists(), "a failed run writes no output");
        counts.push(calls_made(&err));
    }
    // The same inputs fail the same way; and the run stopped calling the script once the
    // budget was spent (about 170 calls), rather than making all of them.
    assert_eq!(counts[0], counts[1], "the count of calls is deterministic");
    assert!(counts[0] < CALLS / 4, "{} of {CALLS} calls were made", counts[0]);

    let run = eval(dir.path(), "10000000", &output);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let table = std::fs::read_to_string(&output).unwrap();
    assert!(table.contains("slow_median"), "{table}");
}

#[test]
fn every_command_that_runs_scripts_takes_the_budget_and_fails_with_its_code() {
    for command in ["eval", "explain", "test", "diff"] {
        let help = ok_stdout(&assay(&[command, "--help"]));
        assert!(help.contains("--script-budget <OPERATIONS>"), "`assay {command} --help`:\n{help}");
    }
    // The shipped rule tests call the phasing script; a budget of 100 operations is spent
    // within a few calls, and the case that needed the script fails with the code.
    let run = assay(&["test", "--script-budget", "100"]);
    assert_eq!(run.status.code(), Some(1));
    assert!(stderr(&run).contains("script-budget-exceeded"), "{}", stderr(&run));
    // `explain` traces a script call of its own beside the evaluation's.
    let run = assay(&[
        "explain",
        "year_two[finance,low]",
        "--methodology",
        "simplify_standardise_share",
        "--entity",
        "SA0001",
        "--script-budget",
        "10",
    ]);
    assert_eq!(run.status.code(), Some(1));
    assert!(stderr(&run).contains("script-budget-exceeded"), "{}", stderr(&run));
}
