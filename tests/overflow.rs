//! Numbers at the limits of an exact decimal (about 7.9 × 10^28): a statistic or a trim
//! whose arithmetic would overflow gives a missing value with its reason, and the run goes
//! on; before, each of these runs panicked ("assay stopped unexpectedly").

#![allow(clippy::unwrap_used, clippy::panic, reason = "test code: failing loudly is the point")]

mod common;

use common::fs::temp_folder_with;
use common::{assay, repo, stderr};
use serde_json::Value as Json;
use std::path::Path;

/// The largest decimal: two of them overflow when added.
const MAX: &str = "79228162514264337593543950335";

/// The IQM fixture's rules with `edit` applied, over `csv`: the run and its JSON output.
fn iqm(edit: impl Fn(String) -> String, csv: &str) -> (std::process::Output, Json) {
    let rules = std::fs::read_to_string(repo().join("tests/fixtures/eval/iqm/rules/iqm.assay")).unwrap();
    let dir = temp_folder_with(&[("iqm.assay", &edit(rules)), ("data/returns.csv", csv)]);
    let path = |p: &str| dir.path().join(p).to_str().unwrap().to_string();
    let (rules, data, out) = (path("iqm.assay"), path("data"), path("out.json"));
    let run = assay(&["eval", "--rules", &rules, "--data", &data, "--format", "json", "--output", &out]);
    let json = if Path::new(&out).exists() {
        serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap()
    } else {
        Json::Null
    };
    (run, json)
}

/// Every value of figure `name` (a string, or the missing reason).
fn values(json: &Json, name: &str) -> Vec<String> {
    let figures = json["figures"].as_array().unwrap_or_else(|| panic!("no figures: {json}"));
    figures
        .iter()
        .filter(|r| r["name"] == name)
        .map(|r| r["value"].as_str().map_or_else(|| r["missing"].to_string(), str::to_string))
        .collect()
}

/// The median of five cost shares at the largest decimal added the two middle values
/// (midpoint) and overflowed.
#[test]
fn a_median_of_values_at_the_limit_is_missing_with_its_reason() {
    let median = |t: String| {
        t.replace(
            "trimmed_mean(cost_share[f], trim: 25%, round: down, ties: key, missing: skip)",
            "median(cost_share[f], missing: skip)",
        )
    };
    let mut csv = String::from("Code,Year,Type,Turnover,Finance cost\n");
    for org in ["A1", "A2", "A3", "A4", "A5"] {
        csv.push_str(&format!("{org},2009/10,Type A,1,{MAX}\n"));
    }
    let (run, json) = iqm(median, &csv);
    let err = stderr(&run);
    assert_eq!(run.status.code(), Some(0), "{err}");
    assert!(!err.contains("stopped unexpectedly"), "{err}");
    let targets = values(&json, "target");
    assert_eq!(targets.len(), 5, "{json}");
    for t in targets {
        assert!(t.contains("too large to halve"), "the reason is given: {t}");
    }
}

/// A trim read from a parameter is known only at run time: one too large to multiply by
/// the group's size overflowed; it trims everything, which leaves nothing to average.
#[test]
fn a_trim_too_large_to_multiply_is_missing_with_its_reason() {
    let huge_trim = |t: String| {
        t.replace("trim: 25%", "trim: trim_share") + "\nparam trim_share : ratio = 50000000000000000000000000000\n"
    };
    let csv = std::fs::read_to_string(repo().join("tests/fixtures/eval/iqm/data/returns.csv")).unwrap();
    let (run, json) = iqm(huge_trim, &csv);
    let err = stderr(&run);
    assert_eq!(run.status.code(), Some(0), "{err}");
    let targets = values(&json, "target");
    assert_eq!(targets.len(), 9, "{json}");
    for t in targets {
        assert!(t.contains("leaves none"), "the reason is given: {t}");
    }
}
