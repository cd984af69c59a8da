//! `assay verify --format sarif` and `--format junit` validate against their schemas: the
//! OASIS SARIF 2.1.0 JSON schema and the JUnit XSD that Jenkins' xUnit plugin enforces, both
//! shipped in tests/schemas (README.md there says where from). The files are written with
//! `--output` for the failing and the compliant example plans, with and without `--deny
//! warnings`, and for a waived, an undecided and a failed row whose names and file need
//! escaping; each is checked by tests/schemas/validate.py, run by the Python that
//! `benches/duckdb-venv.sh` sets up (jsonschema and lxml from PyPI). Broken files are
//! checked too, so that a validator that accepts anything fails the test.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unreachable,
    reason = "test code: failing loudly is the point"
)]

mod common;

use common::fs::temp_folder_with;
use common::{assay_in, repo, stderr, stdout};
use serde_json::Value as Json;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

const FAILING: &str = "examples/plans/failing";
const COMPLIANT: &str = "examples/plans/compliant";

/// The venv's Python, made once for all the tests here. Under CI (`CI` set, as `.ci/run`
/// runs) a Python with jsonschema and lxml that cannot be had fails the test rather than
/// skipping it; elsewhere the tests say they skipped.
fn python() -> Option<&'static Path> {
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    common::venv::or_skip(PYTHON.get_or_init(|| common::venv::setup(&[])), "Python with jsonschema and lxml")
}

/// Run tests/schemas/validate.py on `file` as `kind` (`sarif` or `junit`).
fn validate(python: &Path, kind: &str, file: &Path) -> Output {
    Command::new(python)
        .arg(repo().join("tests/schemas/validate.py"))
        .arg(kind)
        .arg(file)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()))
}

/// `file` must be valid `kind`.
fn assert_valid(python: &Path, kind: &str, file: &Path) {
    let out = validate(python, kind, file);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{} is not valid {kind}:\n{}{}\n{}",
        file.display(),
        stdout(&out),
        stderr(&out),
        std::fs::read_to_string(file).unwrap_or_default()
    );
}

/// `file` must be rejected as `kind`, with `why` among the validator's errors.
fn assert_rejected(python: &Path, kind: &str, file: &Path, why: &str) {
    let out = validate(python, kind, file);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{} was not rejected as {kind}:\n{}{}",
        file.display(),
        stdout(&out),
        stderr(&out)
    );
    assert!(stdout(&out).contains(why), "expected `{why}` among:\n{}", stdout(&out));
}

/// Run `assay verify` from `dir` with `args`, writing `--format kind` to `out`; it must exit
/// with `code`. Returns the file's text.
fn write(dir: &Path, args: &[&str], kind: &str, out: &Path, code: i32) -> String {
    let mut all = vec!["verify", "--format", kind, "--output", out.to_str().unwrap()];
    all.extend_from_slice(args);
    let run = assay_in(dir, &all);
    assert_eq!(run.status.code(), Some(code), "exit {:?}\n{}\n{}", run.status.code(), stdout(&run), stderr(&run));
    std::fs::read_to_string(out).unwrap_or_else(|e| panic!("{} was not written: {e}", out.display()))
}

/// The `level` of each SARIF result.
fn levels(sarif: &str) -> Vec<String> {
    let doc: Json = serde_json::from_str(sarif).unwrap();
    doc["runs"][0]["results"].as_array().unwrap().iter().map(|r| r["level"].as_str().unwrap().to_string()).collect()
}

#[test]
fn the_failing_plan_validates() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let sarif = dir.path().join("failing.sarif");
    let junit = dir.path().join("failing.xml");
    let s = write(repo(), &["--data", FAILING], "sarif", &sarif, 1);
    let j = write(repo(), &["--data", FAILING], "junit", &junit, 1);
    // Not a vacuous pass: the plan's fifteen verdicts (4 errors, 10 warnings, 1 waived)
    // are in both files, and only the errors fail the JUnit run.
    assert_eq!(levels(&s).len(), 15, "{s}");
    assert_eq!(levels(&s).iter().filter(|l| *l == "error").count(), 4, "{s}");
    assert_eq!(s.matches("\"suppressions\"").count(), 1, "{s}");
    assert_eq!(j.matches("<failure ").count(), 4, "{j}");
    assert_valid(py, "sarif", &sarif);
    assert_valid(py, "junit", &junit);
}

#[test]
fn the_compliant_plan_validates() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let sarif = dir.path().join("compliant.sarif");
    let junit = dir.path().join("compliant.xml");
    let s = write(repo(), &["--data", COMPLIANT], "sarif", &sarif, 0);
    let j = write(repo(), &["--data", COMPLIANT], "junit", &junit, 0);
    // Its only results are the three waived verdicts, each suppressed with its reason.
    assert_eq!(levels(&s).len(), 3, "{s}");
    assert_eq!(s.matches("\"suppressions\"").count(), 3, "{s}");
    assert!(!j.contains("<failure"), "{j}");
    assert_valid(py, "sarif", &sarif);
    assert_valid(py, "junit", &junit);
}

/// Under `--deny warnings` the broken `warning` policies are errors, in both formats.
#[test]
fn deny_warnings_validates() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let sarif = dir.path().join("deny.sarif");
    let junit = dir.path().join("deny.xml");
    let s = write(repo(), &["--data", FAILING, "--deny", "warnings"], "sarif", &sarif, 1);
    let j = write(repo(), &["--data", FAILING, "--deny", "warnings"], "junit", &junit, 1);
    // Every broken policy fails; the waived verdict stays a suppressed warning.
    assert_eq!(levels(&s).iter().filter(|l| *l == "error").count(), 14, "{s}");
    assert_eq!(levels(&s).len(), 15, "{s}");
    assert_eq!(j.matches("<failure ").count(), 14, "{j}");
    assert_valid(py, "sarif", &sarif);
    assert_valid(py, "junit", &junit);
}

const WAIVER_RULES: &str = r#"## Spend lines.
dataset spend "Spend lines" records {
  file "spend & co.csv"
  on_bad_row reject
  entity organisation key "Organisation"
  missing ""
  field amount : count from "Amount"
  field justification : text from "Justification" optional
}

## Small amounts only, unless justified.
policy small_amounts "Amounts <stay> \"small\" & 'cheap'" severity error {
  for s in spend: require s.amount <= 10
  unless not is_missing(s.justification)
  message "{s.amount} is too large"
}
"#;

/// A waived row (a SARIF suppression, a JUnit `skipped`), an undecided one and a failed one,
/// in a data file and under organisation names that URIs and XML must escape.
#[test]
fn waived_undecided_and_escaped_rows_validate() {
    let Some(py) = python() else { return };
    let dir = temp_folder_with(&[
        ("rules/waiver.assay", WAIVER_RULES),
        (
            "my data/spend & co.csv",
            "Organisation,Amount,Justification\nA1,5,\n\"A2 <\"\"&'>\",50,agreed by the board\nA3,70,\nA4,,\n",
        ),
    ]);
    let args = ["--rules", "rules", "--data", "my data"];
    let sarif = dir.path().join("out.sarif");
    let junit = dir.path().join("out.xml");
    let s = write(dir.path(), &args, "sarif", &sarif, 1);
    let j = write(dir.path(), &args, "junit", &junit, 1);
    assert!(s.contains("\"suppressions\""), "{s}");
    assert!(s.contains("my%20data/spend%20%26%20co.csv"), "{s}");
    for status in ["waived", "failed", "undecided"] {
        assert!(s.contains(&format!("\"status\": \"{status}\"")), "{status}: {s}");
    }
    assert!(j.contains("<skipped "), "{j}");
    assert!(j.contains("A2 &lt;&quot;&amp;&apos;&gt;"), "{j}");
    assert_valid(py, "sarif", &sarif);
    assert_valid(py, "junit", &junit);
}

/// A copy of `doc` with the member at `pointer` set to `value` (added if need be), or
/// removed (it must be there).
fn broken(doc: &Json, pointer: &str, value: Option<Json>) -> Json {
    let mut doc = doc.clone();
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let object =
        doc.pointer_mut(parent).and_then(Json::as_object_mut).unwrap_or_else(|| panic!("no object at {parent}"));
    match value {
        Some(v) => {
            object.insert(key.to_string(), v);
        }
        None => {
            object.remove(key).unwrap_or_else(|| panic!("no {pointer}"));
        }
    }
    doc
}

/// The validator can fail: assay's own SARIF and JUnit, each broken in ways a consumer would
/// refuse, are rejected, with the reason.
#[test]
fn the_validator_rejects_broken_files() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let sarif = dir.path().join("good.sarif");
    let junit = dir.path().join("good.xml");
    let s = write(repo(), &["--data", FAILING], "sarif", &sarif, 1);
    let j = write(repo(), &["--data", FAILING], "junit", &junit, 1);
    assert_valid(py, "sarif", &sarif);
    assert_valid(py, "junit", &junit);

    let doc: Json = serde_json::from_str(&s).unwrap();
    let loc = "/runs/0/results/0/locations/0/physicalLocation";
    let cases: Vec<(Json, &str)> = vec![
        (broken(&doc, "/version", Some(Json::from("2.0.0"))), "is not one of ['2.1.0']"),
        (broken(&doc, "/runs/0/results/0/message", None), "'message' is a required property"),
        (broken(&doc, "/runs/0/results/0/level", Some(Json::from("fatal"))), "'fatal' is not one of"),
        (broken(&doc, &format!("{loc}/region/startLine"), Some(Json::from(0))), "0 is less than the minimum of 1"),
        (broken(&doc, &format!("{loc}/region/startLine"), None), "is not valid under any of the given schemas"),
        (
            broken(&doc, &format!("{loc}/artifactLocation/uri"), Some(Json::from("my plan.csv"))),
            "is not a 'uri-reference'",
        ),
        (broken(&doc, "/$schema", Some(Json::from("not a uri"))), "is not a 'uri'"),
        (broken(&doc, "/runs/0/tool/driver/name", None), "'name' is a required property"),
        (broken(&doc, "/runs/0/results/0/surprise", Some(Json::Null)), "Additional properties are not allowed"),
    ];
    for (i, (bad, why)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("bad{i}.sarif"));
        std::fs::write(&path, serde_json::to_string_pretty(bad).unwrap()).unwrap();
        assert_rejected(py, "sarif", &path, why);
    }
    let path = dir.path().join("truncated.sarif");
    std::fs::write(&path, &s.as_bytes()[..s.len() / 2]).unwrap();
    assert_rejected(py, "sarif", &path, "not JSON");

    let xml_cases: Vec<(String, &str)> = vec![
        (
            j.replacen(" name=\"co_operative", " title=\"co_operative", 1),
            "The attribute 'name' is required but missing",
        ),
        (j.replacen(" failures=\"", " fails=\"", 2), "The attribute 'failures' is required but missing"),
        (j.replacen("<failure ", "<failed ", 1).replacen("</failure>", "</failed>", 1), "This element is not expected"),
        (j.replacen("<testcase ", "<testcase/>\n    <testcase ", 1), "The attribute 'name' is required but missing"),
        (
            j.replacen("<testsuites ", "<testsuite-list ", 1).replacen("</testsuites>", "</testsuite-list>", 1),
            "No matching global declaration",
        ),
        (String::from_utf8_lossy(&j.as_bytes()[..j.len() / 2]).into_owned(), "not well-formed XML"),
    ];
    for (i, (bad, why)) in xml_cases.iter().enumerate() {
        assert_ne!(bad, &j, "case {i} changed nothing");
        let path = dir.path().join(format!("bad{i}.xml"));
        std::fs::write(&path, bad).unwrap();
        assert_rejected(py, "junit", &path, why);
    }
}
