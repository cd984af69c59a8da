//! A generated formula of 200,000 terms goes through every stage that walks expressions:
//! `eval` (parse, check, evaluate), `fmt --check` (format, then parse the output again to
//! verify it) and `explain` (trace it term by term). It is a test of correctness (no
//! stack overflow, no refusal for nesting, the right value), not of speed: the timings
//! are in `benches/huge-rules.sh`.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "test code: failing loudly is the point")]

mod common;

use common::fs::temp_folder_with;
use common::{assay_in, ok_json, ok_stdout};

const TERMS: usize = 200_000;

/// `a + 2 * b + a + 2 * b + ...`, twenty terms a line, written as `assay fmt` writes it:
/// a chain of `+` whose every other operand is a chain of `*`.
fn rules(n: usize) -> String {
    let terms: Vec<&str> = (0..n).map(|i| if i % 2 == 0 { "a" } else { "2 * b" }).collect();
    let lines: Vec<String> = terms.chunks(20).map(|c| c.join(" + ")).collect();
    format!(
        "unit GBP \"pound sterling\"\n\n\
         dataset t \"T\" {{\n  file \"t.csv\"\n  entity org key \"Code\"\n  period year from \"Year\"\n  \
         field a : GBP from \"A\"\n  field b : GBP from \"B\"\n}}\n\n\
         kpi total \"Total\" : GBP =\n  {}\n",
        lines.join("\n    + ")
    )
}

#[test]
fn a_sum_of_200000_terms_checks_formats_evaluates_and_explains() {
    let dir = temp_folder_with(&[
        ("rules/huge.assay", &rules(TERMS)),
        ("data/t.csv", "Code,Year,A,B\nE1,2020,1,0.5\nE2,2020,3,-1\n"),
    ]);
    let at = dir.path();
    // Half the terms are `a`, half `2 * b`: E1 is 100,000 × 1 + 100,000 × 1 = 200,000,
    // E2 is 100,000 × 3 - 100,000 × 2 = 100,000. `eval` checks the rules before it runs.
    let out = ok_stdout(&assay_in(
        at,
        &["eval", "--rules", "rules", "--data", "data", "--select", "total", "--format", "csv"],
    ));
    // kind,period,entity,methodology,name,index,value,...
    let values: Vec<(&str, &str)> = out
        .lines()
        .filter(|l| l.starts_with("figure,"))
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            (cells[2], cells[6])
        })
        .collect();
    assert_eq!(values, [("E1", "200000"), ("E2", "100000")], "{out}");

    // The file is as the formatter writes it: it prints it back unchanged, and parses its
    // own output to the same tree (or it would refuse with `format-unsafe`).
    let fmt = assay_in(at, &["fmt", "--check", "rules"]);
    assert!(ok_stdout(&fmt).contains("1 file already formatted"), "{}", common::stdout(&fmt));

    // The tracer walks every operand: 200,000 terms, one input per field, the same value.
    let graph = ok_json(&assay_in(
        at,
        &["explain", "total", "--entity", "E2", "--rules", "rules", "--data", "data", "--format", "json"],
    ));
    let root = &graph["nodes"][graph["root"].as_u64().unwrap() as usize];
    assert_eq!(root["value"], "100000");
    assert_eq!(root["inputs"].as_array().unwrap().len(), 2);
}

#[test]
fn a_formula_of_too_many_terms_to_label_is_explained_with_its_value_alone() {
    // 1,000 terms: 1,000 references, a subtotal after each `*` and the sum, far more labels
    // than a reader (or miette, which finds each label's line from the file's start) takes.
    let dir =
        temp_folder_with(&[("rules/huge.assay", &rules(1_000)), ("data/t.csv", "Code,Year,A,B\nE1,2020,1,0.5\n")]);
    let out =
        ok_stdout(&assay_in(dir.path(), &["explain", "total", "--entity", "E1", "--rules", "rules", "--data", "data"]));
    assert!(out.contains("1,000 GBP (1,501 sub-expressions, too many to label here"), "{out}");
}
