//! An `--output` that is one of the run's inputs (a data file, a rule file, a script, a
//! file compared against) is refused before anything runs, however it is spelled, and
//! nothing is written: the inputs are left byte for byte as they were.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: failing loudly is the point"
)]

mod common;

use common::{assay_in, stderr};
use std::path::Path;

const RULES: &str = r#"unit GBP "pound sterling" symbol "£"

dataset returns "Returns" {
  file "returns.csv"
  entity organisation key "Code"
  period year from "Year"
  field turnover : GBP from "Turnover"
  field cost : GBP from "Cost"
}

script tools "tools.rhai" { fn half(x: GBP) : GBP }

kpi cost_share "Cost as % of turnover" : percent = cost / turnover
kpi half_turnover "Half the turnover" : GBP = half(turnover)
"#;

const DATA: &str = "Code,Year,Turnover,Cost\nA,2010,100,10\nB,2010,200,30\n";
const SCRIPT: &str = "fn half(x) { x / 2 }\n";

/// A folder with `main.assay`, `tools.rhai` and `data/returns.csv`, plus links to them.
fn folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("main.assay"), RULES).unwrap();
    std::fs::write(d.join("tools.rhai"), SCRIPT).unwrap();
    std::fs::create_dir(d.join("data")).unwrap();
    std::fs::write(d.join("data/returns.csv"), DATA).unwrap();
    std::os::unix::fs::symlink(d.join("data/returns.csv"), d.join("link.csv")).unwrap();
    std::fs::hard_link(d.join("data/returns.csv"), d.join("hard.csv")).unwrap();
    std::fs::hard_link(d.join("main.assay"), d.join("hard.assay")).unwrap();
    dir
}

/// The folder's files and their bytes, to show that a refused run changed nothing.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for sub in ["", "data"] {
        for entry in std::fs::read_dir(dir.join(sub)).unwrap() {
            let p = entry.unwrap().path();
            if p.is_file() {
                out.push((p.display().to_string(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

fn refused(dir: &Path, args: &[&str]) {
    let before = snapshot(dir);
    let out = assay_in(dir, args);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(err.contains("output-is-input"), "{args:?}: {err}");
    assert!(out.stdout.is_empty(), "{args:?}");
    assert_eq!(snapshot(dir), before, "{args:?}: nothing is written");
}

#[test]
fn eval_refuses_to_write_over_its_inputs_however_spelled() {
    let dir = folder();
    let outputs = [
        "data/returns.csv",
        "./data/returns.csv",
        "data/../data/returns.csv",
        "link.csv",
        "hard.csv",
        "main.assay",
        "./hard.assay",
        "tools.rhai",
    ];
    for output in outputs {
        refused(
            dir.path(),
            &["eval", "--rules", "main.assay", "--data", "data", "--format", "csv", "--output", output],
        );
    }
    let absolute = dir.path().join("data/returns.csv");
    let args = ["eval", "--rules", "main.assay", "--data", "data", "--output", absolute.to_str().unwrap()];
    refused(dir.path(), &args);
}

#[test]
fn explain_refuses_to_write_over_the_file_it_compares_against() {
    let dir = folder();
    let eval = ["eval", "--rules", "main.assay", "--data", "data", "--format", "json", "--output", "saved.json"];
    assert_eq!(assay_in(dir.path(), &eval).status.code(), Some(0));
    let args = [
        "explain",
        "--rules",
        "main.assay",
        "--data",
        "data",
        "cost_share",
        "--entity",
        "A",
        "--against",
        "saved.json",
        "--output",
        "./saved.json",
    ];
    refused(dir.path(), &args);
    let args = [
        "explain",
        "--rules",
        "main.assay",
        "--data",
        "data",
        "cost_share",
        "--entity",
        "A",
        "--output",
        "data/returns.csv",
    ];
    refused(dir.path(), &args);
}

#[test]
fn classify_refuses_to_write_over_the_file_it_classifies() {
    let dir = folder();
    let table = r#"
set band "Band" { small "Small", large "Large" }
dataset lines "Lines" records {
  file "returns.csv"
  entity organisation key "Code"
  period year from "Year"
  field cost : GBP from "Cost"
}
classify bands "Lines by cost" on lines hit first {
  | cost  | => band |
  | < 20  | small   |
  | *     | large   |
}
"#;
    std::fs::write(dir.path().join("table.assay"), table).unwrap();
    for (data, output) in [("data", "data/returns.csv"), ("data/returns.csv", "link.csv"), ("data", "table.assay")] {
        let args = [
            "classify",
            "--rules",
            "main.assay",
            "table.assay",
            "--data",
            data,
            "--table",
            "bands",
            "--output",
            output,
        ];
        refused(dir.path(), &args);
    }
}

/// A new file, or one that is not an input, is written as before.
#[test]
fn an_output_that_is_no_input_is_written() {
    let dir = folder();
    let out = assay_in(
        dir.path(),
        &["eval", "--rules", "main.assay", "--data", "data", "--format", "csv", "--output", "data/out.csv"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(dir.path().join("data/out.csv").exists());
}
