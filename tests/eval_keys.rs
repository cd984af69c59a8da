//! Every record of `eval --format csv` and `--format json` on the shipped example has a
//! unique key, so that no figure or total can be counted twice or mistaken for another:
//! a grand total appears once per grouping, and says which.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "test code: failing loudly is the point"
)]

mod common;

use common::{assay, ok_stdout};
use std::collections::BTreeMap;

/// The first key seen twice, with how many records were read.
fn first_duplicate(keys: impl Iterator<Item = String>) -> (Option<String>, usize) {
    let mut seen = BTreeMap::new();
    let mut n = 0;
    for k in keys {
        n += 1;
        if seen.insert(k.clone(), ()).is_some() {
            return (Some(k), n);
        }
    }
    (None, n)
}

#[test]
fn every_csv_row_has_a_unique_key() {
    let text = ok_stdout(&assay(&["eval", "--format", "csv"]));
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    let key_columns = ["kind", "period", "entity", "methodology", "name", "index", "total_by", "grand", "scaled"];
    let rows: Vec<BTreeMap<String, String>> =
        reader.records().map(|r| header.iter().cloned().zip(r.unwrap().iter().map(str::to_string)).collect()).collect();
    let keys = rows
        .iter()
        .map(|row| key_columns.iter().map(|c| row.get(*c).cloned().unwrap_or_default()).collect::<Vec<_>>().join("|"));
    let (duplicate, n) = first_duplicate(keys);
    assert_eq!(duplicate, None, "a key seen twice");
    assert!(n > 1000, "the example has many rows: {n}");
    let totals: Vec<_> = rows.iter().filter(|r| r["kind"] == "total").collect();
    assert!(totals.iter().any(|r| r["grand"] == "true") && totals.iter().any(|r| r["grand"] == "false"));
    assert!(totals.iter().any(|r| r["scaled"] == "true"), "the example's totals are scaled by return rate");
    assert!(rows.iter().filter(|r| r["kind"] == "figure").all(|r| r["scaled"] == "false"));
    // Each grouping's grand total is its groups' sum: summing one grouping counts once.
    assert!(totals.iter().filter(|r| r["grand"] == "true").all(|r| r["index"].is_empty()));
}

#[test]
fn every_json_record_has_a_unique_key() {
    let doc: serde_json::Value = serde_json::from_str(&ok_stdout(&assay(&["eval", "--format", "json"]))).unwrap();
    let field = |r: &serde_json::Value, k: &str| r.get(k).map(ToString::to_string).unwrap_or_default();
    let figures = doc["figures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| ["period", "entity", "methodology", "name", "index", "scaled"].map(|k| field(r, k)).join("|"));
    let (duplicate, n) = first_duplicate(figures);
    assert_eq!(duplicate, None);
    assert!(n > 1000, "{n}");
    assert!(doc["figures"].as_array().unwrap().iter().all(|r| r["scaled"] == false));
    let totals =
        doc["totals"].as_array().unwrap().iter().map(|r| {
            ["period", "methodology", "name", "total_by", "by", "grand", "scaled"].map(|k| field(r, k)).join("|")
        });
    let (duplicate, n) = first_duplicate(totals);
    assert_eq!(duplicate, None);
    assert!(n > 10, "{n}");
}
