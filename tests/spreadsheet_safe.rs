//! Data is hostile to whatever embeds it: every CSV the tool writes (`eval`, `verify`,
//! `classify`) writes a key, period or other text of the data that a spreadsheet would run
//! as a formula (`=`, `+`, `-`, `@` first) with a leading `'`, so it shows as text; numbers,
//! negative ones included, are written as they are.

#![allow(clippy::unwrap_used, clippy::panic, reason = "test code: failing loudly is the point")]

mod common;

use common::{assay_in, stderr, stdout};

/// Keys a spreadsheet would run, and one it would not.
const KEYS: [&str; 4] = ["=HYPERLINK(\"http://x\")", "+SUM(A1)", "@cmd", "plain"];

const RULES: &str = r#"unit GBP "pound sterling" symbol "£"

dataset returns "Returns" {
  file "returns.csv"
  entity organisation key "Code"
  period year from "Year"
  field name : text from "Name"
  field turnover : GBP from "Turnover"
  field cost : GBP from "Cost"
}

kpi net "Turnover less cost" : GBP = turnover - cost

policy positive "Cost below turnover" severity error {
  for o in returns: require cost < turnover
  message "{o.name} spends more than it takes"
}

dataset lines "Ledger lines" records {
  file "lines.csv"
  entity organisation key "Org"
  period year from "Year"
  field centre : text from "Centre"
  field amount : GBP from "Amount"
}

set pool "Cost pool" { finance "Finance" }

classify pools "Lines to cost pools" on lines hit first {
  | centre | amount | => pool    |
  | *      | *      | finance   |
}
"#;

fn folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.assay"), RULES).unwrap();
    let quoted = |k: &str| format!("\"{}\"", k.replace('"', "\"\""));
    // Costs above turnover: every organisation breaks the policy, and `net` is negative.
    let mut returns = String::from("Code,Year,Name,Turnover,Cost\n");
    let mut lines = String::from("Org,Year,Centre,Amount\n");
    for k in KEYS {
        returns.push_str(&format!("{},-2010,{},100,150\n", quoted(k), quoted(k)));
        lines.push_str(&format!("{},-2010,FIN,-5\n", quoted(k)));
    }
    std::fs::create_dir(dir.path().join("data")).unwrap();
    std::fs::write(dir.path().join("data/returns.csv"), returns).unwrap();
    std::fs::write(dir.path().join("data/lines.csv"), lines).unwrap();
    dir
}

/// The CSV's records, read back with the csv crate.
fn records(text: &str) -> Vec<Vec<String>> {
    let mut r = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    r.records().map(|rec| rec.unwrap().iter().map(str::to_string).collect()).collect()
}

/// Every key appears as text (`'` first where it would be a formula), in the named column.
fn keys_are_text(rows: &[Vec<String>], column: usize, what: &str) {
    for k in KEYS {
        let shown = if k == "plain" { k.to_string() } else { format!("'{k}") };
        assert!(
            rows.iter().any(|r| r.get(column) == Some(&shown)),
            "{what}: no `{shown}` in column {column}: {rows:?}"
        );
    }
    for r in rows {
        let cell = r.get(column).map(String::as_str).unwrap_or("");
        assert!(!cell.starts_with(['=', '+', '@']), "{what}: a formula left as is: {r:?}");
    }
}

#[test]
fn eval_csv_writes_keys_and_periods_as_text_and_numbers_as_numbers() {
    let dir = folder();
    let o = assay_in(dir.path(), &["eval", "--rules", "main.assay", "--data", "data", "--format", "csv"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows = records(&stdout(&o));
    let figures: Vec<Vec<String>> = rows.into_iter().filter(|r| r[0] == "figure").collect();
    assert_eq!(figures.len(), KEYS.len(), "{figures:?}");
    keys_are_text(&figures, 2, "eval");
    for r in &figures {
        assert_eq!(r[1], "'-2010", "the period, which starts with `-`");
        assert_eq!(r[6], "-50", "a negative figure is a number, not text");
    }
}

#[test]
fn verify_csv_writes_keys_and_messages_as_text() {
    let dir = folder();
    let o = assay_in(
        dir.path(),
        &["verify", "--rules", "main.assay", "--data", "data", "--policy", "positive", "--format", "csv"],
    );
    assert_eq!(o.status.code(), Some(1), "every organisation breaks the policy: {}", stderr(&o));
    let rows: Vec<Vec<String>> = records(&stdout(&o)).into_iter().skip(1).collect();
    assert_eq!(rows.len(), KEYS.len());
    keys_are_text(&rows, 5, "verify");
    assert!(rows.iter().any(|r| r[8] == "'=HYPERLINK(\"http://x\") spends more than it takes"), "{rows:?}");
}

#[test]
fn classify_csv_writes_keys_as_text_and_sums_as_numbers() {
    let dir = folder();
    let o = assay_in(dir.path(), &["classify", "--rules", "main.assay", "--data", "data", "--table", "pools"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows: Vec<Vec<String>> = records(&stdout(&o)).into_iter().skip(1).collect();
    assert_eq!(rows.len(), KEYS.len(), "{rows:?}");
    keys_are_text(&rows, 0, "classify");
    for r in &rows {
        assert_eq!(r[1], "'-2010");
        assert!(r.iter().any(|c| c == "-5" || c == "-5.00"), "the negative sum is a number: {r:?}");
    }
}
