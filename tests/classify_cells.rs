//! `assay classify` on cells that must be read exactly: dates read as dates, overlaps of
//! `hit unique` rows found exactly, and a CSV whose rows all have the header's fields.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: failing loudly is the point"
)]

mod common;

use common::{assay_in, ok_stdout, stderr};
use std::path::Path;

const DATASET: &str = r#"unit GBP "pound sterling" symbol "£"
class early "Early"
class late "Late"

dataset lines "Ledger lines" records {
  file "lines.csv"
  on_bad_row reject
  entity organisation key "Org"
  period year from "Year"
  field posted : date from "Posted"
  field centre : text from "Centre"
  field amount : GBP from "Amount" optional
}
"#;

/// A folder with `main.assay` (the dataset above and `table`) and `data/lines.csv`.
fn folder(table: &str, csv: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.assay"), format!("{DATASET}\n{table}")).unwrap();
    std::fs::create_dir(dir.path().join("data")).unwrap();
    std::fs::write(dir.path().join("data/lines.csv"), csv).unwrap();
    dir
}

fn classify(dir: &Path, table: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["classify", "--rules", "main.assay", "--data", "data", "--table", table];
    args.extend(extra);
    assay_in(dir, &args)
}

const BY_DATE: &str = r#"classify by_date "Lines by date" on lines hit first {
  | posted        | => class |
  | > 2016-10-01  | late     |
  | *             | early    |
}
"#;

/// A date cell is read as the data loader reads it: `30/09/2016` and `2016-9-30` are the
/// day before October, not text that sorts after `2016-10-01`.
#[test]
fn date_cells_are_compared_as_dates() {
    let csv = "Org,Year,Posted,Centre,Amount\nA,2016,30/09/2016,X,1\nA,2016,2016-9-30,X,2\nA,2016,02/10/2016,X,4\n";
    let dir = folder(BY_DATE, csv);
    let out = ok_stdout(&classify(dir.path(), "by_date", &["--format", "json"]));
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rows: Vec<(String, String, u64)> = doc["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (r["class"].as_str().unwrap().into(), r["amount"].as_str().unwrap().into(), r["records"].as_u64().unwrap())
        })
        .collect();
    assert_eq!(rows, vec![("late".into(), "4".into(), 1), ("early".into(), "3".into(), 2)], "{out}");
}

/// A cell that is not a date is refused as the loader refuses it, never matched as text.
#[test]
fn a_cell_that_is_not_a_date_is_refused() {
    let dir = folder(BY_DATE, "Org,Year,Posted,Centre,Amount\nA,2016,not-a-date,X,1\n");
    let out = classify(dir.path(), "by_date", &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("data-bad-date"), "{}", stderr(&out));
    assert!(stderr(&out).contains("`not-a-date` is not a date"), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
}

/// Rows `> 10` and `< 10.5` overlap (10.2 matches both): the run is refused before any
/// record is read, with a value of the overlap as the example.
#[test]
fn narrow_overlaps_of_a_unique_table_are_refused_before_the_run() {
    let table = r#"classify by_amount "Lines by amount" on lines hit unique {
  | amount | => class |
  | > 10   | late     |
  | < 10.5 | early    |
}
"#;
    let dir = folder(table, "Org,Year,Posted,Centre,Amount\nA,2016,2016-01-01,X,10.2\n");
    let out = classify(dir.path(), "by_amount", &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("table-overlap") && err.contains("amount = 10.25 matches both"), "{err}");
    assert!(err.contains("nothing was"), "the rules are refused before the data is read: {err}");
}

/// Every CSV row has the header's number of fields, even with no field to sum.
#[test]
fn csv_rows_have_the_header_fields_without_sums() {
    let dataset = r#"class early "Early"
class late "Late"

dataset notes "Notes" records {
  file "notes.csv"
  entity organisation key "Org"
  period year from "Year"
  field centre : text from "Centre"
}

classify by_centre "Notes by centre" on notes hit first {
  | centre     | => class |
  | starts "A" | early    |
}
"#;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.assay"), dataset).unwrap();
    std::fs::create_dir(dir.path().join("data")).unwrap();
    std::fs::write(dir.path().join("data/notes.csv"), "Org,Year,Centre\nA,2016,AB\nA,2016,ZZ\n").unwrap();
    let args = ["classify", "--rules", "main.assay", "--data", "data", "--table", "by_centre", "--format", "csv"];
    let out = ok_stdout(&assay_in(dir.path(), &args));
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(out.as_bytes());
    let header = reader.headers().unwrap().len();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2, "a classified row and an unclassified one: {out}");
    for row in rows {
        assert_eq!(row.len(), header, "{out}");
    }
}

/// The dataset's `exclude` rules read their cells as the loader does: dates as dates and
/// amounts in the field's unit, and a cell they cannot read is a bad row.
#[test]
fn exclude_rules_read_dates_and_amounts_as_such() {
    let dataset = DATASET.replace(
        "  on_bad_row reject",
        "  on_bad_row reject\n  exclude \"Posted\" < 2016-10-01\n  exclude \"Amount\" > 1000",
    );
    let table =
        "classify all_lines \"All lines\" on lines hit first {\n  | centre | => class |\n  | *      | early    |\n}\n";
    let run = |csv: &str| {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("main.assay"), format!("{dataset}\n{table}")).unwrap();
        std::fs::create_dir(dir.path().join("data")).unwrap();
        std::fs::write(dir.path().join("data/lines.csv"), csv).unwrap();
        let out = classify(dir.path(), "all_lines", &["--format", "json"]);
        (out, dir)
    };
    let csv =
        "Org,Year,Posted,Centre,Amount\nA,2016,30/09/2016,X,1\nA,2016,02/10/2016,X,\"£1,500\"\nA,2016,02/10/2016,X,4\n";
    let (out, _dir) = run(csv);
    let doc: serde_json::Value = serde_json::from_str(&ok_stdout(&out)).unwrap();
    let amounts: Vec<&str> = doc["rows"].as_array().unwrap().iter().map(|r| r["amount"].as_str().unwrap()).collect();
    assert_eq!(amounts, vec!["4"], "{doc}");
    for (csv, code) in [
        ("Org,Year,Posted,Centre,Amount\nA,2016,not-a-date,X,1\n", "data-bad-date"),
        ("Org,Year,Posted,Centre,Amount\nA,2016,02/10/2016,X,1.5.0\n", "data-not-a-number"),
    ] {
        let (out, _dir) = run(csv);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert!(stderr(&out).contains(code), "{code}: {}", stderr(&out));
    }
}
