//! The policy language through `assay verify` on small rule files written here: records
//! and entities, `unless` waivers, `info`, `previous(x)` across periods, undecided rows,
//! and the check-time mistakes a policy team can make, each refused with its code.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "test code: failing loudly is the point"
)]

mod common;

use common::fs::temp_folder_with;
use common::{assay_in, stderr, stdout};
use serde_json::Value as Json;

const UNITS: &str = r#"
unit GBP "pound sterling" symbol "£"
set model "Model" { in_house "In-house", outsourced "Outsourced" }
dataset returns "Returns" {
  file "returns.csv"
  entity organisation key "Code"
  period year from "Year"
  missing ""
  field name : text from "Name"
  field cost : GBP from "Cost"
}
dataset plan "Plan" records {
  file "plan.csv"
  entity organisation key "Organisation"
  missing ""
  field model : model from "Model"
  field reason : text from "Reason" optional
  field cost : GBP from "Cost" optional
}
param cap : GBP = £100
kpi doubled "Doubled" : GBP = cost * 2
"#;

const RETURNS: &str = "Code,Year,Name,Cost\n\
A,2015/16,Alpha,100\n\
B,2015/16,Beta,100\n\
C,2015/16,Gamma,100\n\
A,2016/17,Alpha,120\n\
B,2016/17,Beta,180\n\
D,2016/17,Delta,500\n";

const PLAN: &str = "Organisation,Model,Reason,Cost\n\
A,in_house,,50\n\
B,outsourced,,\n\
C,outsourced,agreed by the board,150\n\
D,outsourced,,90\n";

fn verify(policies: &str, args: &[&str]) -> (std::process::Output, tempfile::TempDir) {
    let dir = temp_folder_with(&[
        ("rules/base.assay", UNITS),
        ("rules/policies.assay", policies),
        ("data/returns.csv", RETURNS),
        ("data/plan.csv", PLAN),
    ]);
    let mut all = vec!["verify", "--rules", "rules", "--data", "data"];
    all.extend_from_slice(args);
    let out = assay_in(dir.path(), &all);
    (out, dir)
}

fn violations(out: &std::process::Output) -> Vec<(String, String, String, String)> {
    let doc: Json = serde_json::from_str(&stdout(out)).unwrap_or_else(|e| panic!("{e}\n{}", stderr(out)));
    doc["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
            (s("policy"), s("period"), s("entity"), s("status"))
        })
        .collect()
}

fn row(policy: &str, period: &str, entity: &str, status: &str) -> (String, String, String, String) {
    (policy.into(), period.into(), entity.into(), status.into())
}

#[test]
fn records_fail_are_waived_or_undecided_and_errors_set_the_exit_status() {
    let policies = r#"
policy capped "Outsourced cost within the cap" severity error {
  for s in plan: require s.model == in_house or s.cost <= cap
  unless not is_missing(s.reason)
  message "{s.model} at {s.cost}"
}
"#;
    let (out, _dir) = verify(policies, &["--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    // A: in-house, passes. B: blank cost, undecided. C: over the cap but waived. D: within.
    assert_eq!(violations(&out), vec![row("capped", "", "B", "undecided"), row("capped", "", "C", "waived")]);
    let doc: Json = serde_json::from_str(&stdout(&out)).unwrap();
    let c = &doc["violations"][1];
    assert_eq!(c["message"], "outsourced at £150.00");
    assert_eq!(c["line"], 4);
    let cells: Vec<(&str, &str)> = c["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["field"].as_str().unwrap(), x["text"].as_str().unwrap()))
        .collect();
    // The cells the requirement read, and the justification the exception read.
    assert_eq!(cells, vec![("model", "outsourced"), ("reason", "agreed by the board"), ("cost", "150")]);
    assert_eq!(doc["policies"][0]["passed"], 2);
    assert!(stderr(&out).contains("1 policy over 4 rows of `plan`: 1 error, 0 warnings, 1 waived"), "{}", stderr(&out));
}

#[test]
fn warnings_and_notes_fail_only_when_denied() {
    let policies = r#"
policy small "Small" severity warning { for s in plan: require is_missing(s.cost) or s.cost < £100 message "big" }
policy note "Note" severity info { for s in plan: require s.model == in_house message "moved" }
"#;
    let (out, _dir) = verify(policies, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("1 warning, 3 notes, 0 waived"), "{}", stdout(&out));
    let (denied, _dir) = verify(policies, &["--deny", "warnings"]);
    assert_eq!(denied.status.code(), Some(1));
}

#[test]
fn previous_reads_the_period_before_for_the_same_entity() {
    let policies = r#"
policy steady "Cost moves by less than half" severity warning {
  for o in returns: require is_missing(previous(o.cost)) or abs(cost - previous(cost)) <= previous(cost) / 2
  message "{o.name}: {cost}"
}
policy kpi_cap "Doubled cost within £400" severity error {
  for o in returns: require doubled <= £400
  message "{o.name}: {doubled}"
}
"#;
    let (out, _dir) = verify(policies, &["--format", "json", "--policy", "steady,kpi_cap"]);
    // B moved 100 → 180 (80%); A 100 → 120 passes; D has no period before; D's doubled is 1000.
    assert_eq!(
        violations(&out),
        vec![row("steady", "2016/17", "B", "failed"), row("kpi_cap", "2016/17", "D", "failed")]
    );
    let (one, _dir) = verify(policies, &["--format", "json", "--period", "2015/16"]);
    assert_eq!(violations(&one), vec![]);
    assert_eq!(one.status.code(), Some(0), "{}", stderr(&one));
}

#[test]
fn mistakes_in_policies_are_refused_at_check_time() {
    let cases: &[(&str, &str, &str)] = &[
        (
            r#"policy p "P" { for s in plan: require s.modle == in_house message "x" }"#,
            "unknown-name",
            "did you mean `model`?",
        ),
        (
            r#"policy p "P" { for s in plan: require doubled > £0 message "x" }"#,
            "wrong-kind",
            "a policy over records cannot use the KPI `doubled`",
        ),
        (r#"kpi k "K" : GBP = previous(cost)"#, "wrong-kind", "`previous` is available in policies only"),
        (
            r#"policy p "P" { for s in plan: require s.model == in_house unless s.cost message "x" }"#,
            "invalid-policy",
            "an exception must be a condition",
        ),
        (
            r#"policy p "P" { for s in plan: require s.model == in_house message "{s.modle}" }"#,
            "invalid-policy",
            "`model`",
        ),
    ];
    for (policy, code, words) in cases {
        let (out, _dir) = verify(policy, &[]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{policy}\n{err}");
        assert!(err.contains(code) && err.contains(words), "{policy}: expected {code} with `{words}`\n{err}");
        assert!(stdout(&out).is_empty(), "nothing is written on failure");
    }
}

#[test]
fn bad_requests_are_refused_with_their_codes() {
    let policies = r#"policy capped "Capped" { for s in plan: require s.model == in_house message "x" }"#;
    let (out, _dir) = verify(policies, &["--policy", "caped"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("unknown-selection") && stderr(&out).contains("did you mean `capped`?"));
    let (out, _dir) = verify(policies, &["--period", "2016/71"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no data for period `2016/71`"), "{}", stderr(&out));
    let (out, dir) = verify(policies, &["--output", "missing/out.txt"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("output-error"), "{}", stderr(&out));
    assert!(!dir.path().join("missing").exists());
}

#[test]
fn a_verdict_is_explained_down_to_its_cells() {
    let policies = r#"
policy capped "Outsourced cost within the cap" severity error {
  for s in plan: require s.model == in_house or s.cost <= cap
  message "{s.model} at {s.cost}"
}
policy steady "Cost moves by less than half" severity warning {
  for o in returns: require is_missing(previous(o.cost)) or abs(cost - previous(cost)) <= previous(cost) / 2
  message "{o.name}"
}
"#;
    let dir = temp_folder_with(&[
        ("rules/base.assay", UNITS),
        ("rules/policies.assay", policies),
        ("data/returns.csv", RETURNS),
        ("data/plan.csv", PLAN),
    ]);
    let run = |args: &[&str]| {
        let mut all = vec!["explain", "--rules", "rules", "--data", "data"];
        all.extend_from_slice(args);
        assay_in(dir.path(), &all)
    };
    // C's row (line 4) breaks the cap: the verdict, the rule and both cells it read.
    let out = run(&["capped", "--entity", "C", "--row", "4"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(text.contains("policy capped for C = false"), "{text}");
    assert!(text.contains("data/plan.csv:4:2, column `Model`"), "{text}");
    assert!(text.contains("data/plan.csv:4:4, column `Cost`"), "{text}");
    assert!(text.contains("param cap"), "{text}");
    // A row that passes is explained too.
    let out = run(&["capped", "--entity", "A"]);
    assert!(stdout(&out).contains("policy capped for A = true"), "{}", stdout(&out));
    // An entity in the period after: its previous value is shown as evaluated.
    let out = run(&["steady", "--entity", "B", "--period", "2016/17"]);
    let text = stdout(&out);
    assert!(text.contains("policy steady for B in 2016/17 = false"), "{text}{}", stderr(&out));
    assert!(text.contains("100"), "{text}");
    // Asking for a row that is not there says so.
    let out = run(&["capped", "--entity", "A", "--row", "3"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("no row of `plan` at line 3 is `A`'s"), "{}", stderr(&out));
}

#[test]
fn rule_tests_expect_verdicts_and_refuse_vacuous_passes() {
    let policies =
        r#"policy capped "Capped" { for s in plan: require s.model == in_house or s.cost <= cap message "x" }"#;
    let case = |verdicts: &str| {
        format!(
            "dataset: plan\ncases:\n  - name: c\n    entities:\n      - {{organisation: A, model: in_house, cost: 500}}\n      - {{organisation: B, model: outsourced, cost: 500}}\n    verdicts: {verdicts}\n"
        )
    };
    let run = |verdicts: &str| {
        let dir = temp_folder_with(&[
            ("rules/base.assay", UNITS),
            ("rules/policies.assay", policies),
            ("rules/policies.test.yaml", &case(verdicts)),
        ]);
        let out = assay_in(dir.path(), &["test", "rules"]);
        (out.status.code(), stdout(&out))
    };
    let (code, text) =
        run("[{policy: capped, row: 1, status: passed}, {policy: capped, entity: B, row: 2, status: failed}]");
    assert_eq!(code, Some(0), "{text}");
    // A violation the case does not list fails it.
    let (code, text) = run("[{policy: capped, row: 1, status: passed}]");
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("unexpected: `capped` failed for B, row 2"), "{text}");
    // A pass of a row the case does not have is not a pass.
    let (code, text) = run("[{policy: capped, row: 9, status: passed}, {policy: capped, row: 2, status: failed}]");
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("no such verdict was given"), "{text}");
    // The wrong status is reported with the actual one.
    let (code, text) = run("[{policy: capped, row: 1, status: passed}, {policy: capped, row: 2, status: waived}]");
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("expected `capped` waived for row 2; it is failed"), "{text}");
}
