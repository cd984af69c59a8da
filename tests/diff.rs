//! `assay diff` between committed states of a throwaway git repository: a change to the
//! national average's trimming rule lists that change and the organisations whose savings
//! moved; a change of layout and comments only reports no semantic change; a parameter read
//! only by a methodology's `scale` is named for the totals it moves; revisions read the same
//! from a subfolder, and their errors name their files as `REV:path`.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "test code: failing loudly is the point")]

mod common;

use common::fs::copy_tree;
use common::git::{git, init_and_commit};
use common::{assay_in, repo, stderr, stdout};
use std::path::Path;
use std::process::Command;

/// A git repository holding the shipped rules and example data, committed once.
fn committed_library() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&repo().join("rules"), &dir.path().join("rules"));
    copy_tree(&repo().join("examples/qipp-2009-10"), &dir.path().join("data"));
    init_and_commit(dir.path(), "library");
    dir
}

const METHODOLOGY: &str = "rules/methodologies/national_average.assay";

fn edit(dir: &Path, change: impl Fn(&str) -> String, message: &str) {
    edit_file(dir, METHODOLOGY, change, message);
}

fn edit_file(dir: &Path, file: &str, change: impl Fn(&str) -> String, message: &str) {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    let changed = change(&text);
    assert_ne!(changed, text, "the edit changed nothing");
    std::fs::write(&path, changed).unwrap();
    git(dir, &["commit", "-q", "-a", "-m", message]);
}

#[test]
fn a_new_trimming_rule_lists_the_change_and_the_savings_that_moved() {
    let dir = committed_library();
    edit(dir.path(), |t| t.replace("trim: 25%, round: down", "trim: 10%, round: down"), "trim 10%");
    let out = assay_in(dir.path(), &["diff", "HEAD~1", "HEAD", "--data", "data", "--limit", "2000"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(text.contains("changed methodology national_average"), "{text}");
    assert!(text.contains("trim: 25%") && text.contains("trim: 10%"), "{text}");
    // The national total moved, then organisations' savings, with amounts and the
    // definition responsible.
    let national = text.lines().find(|l| l.trim_start().starts_with("national_average.saving ")).unwrap();
    assert!(national.contains("2009/10") && national.matches('£').count() == 2, "{national}");
    let savings: Vec<&str> = text.lines().filter(|l| l.contains("national_average.saving[")).collect();
    assert!(savings.len() > 10, "{text}");
    for line in &savings {
        assert!(line.contains('£') && line.contains("methodology national_average"), "{line}");
    }
    // Largest change first.
    let json = assay_in(dir.path(), &["diff", "HEAD~1", "HEAD", "--data", "data", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let figures = doc["figures"].as_array().unwrap();
    let size = |f: &serde_json::Value| f["change"].as_str().map(|c| c.trim_start_matches('-').parse::<f64>().unwrap());
    let sizes: Vec<f64> = figures.iter().filter_map(size).collect();
    assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "not sorted by size");
    assert_eq!(doc["changes"][0]["name"], "national_average");
    // The working tree is untouched and the same figures come from a directory side.
    let status = Command::new("git").args(["status", "--porcelain"]).current_dir(dir.path()).output().unwrap();
    assert!(status.stdout.is_empty(), "{}", stdout(&status));
    let ci = assay_in(dir.path(), &["diff", "HEAD~1", "HEAD", "--fail-on-change"]);
    assert_eq!(ci.status.code(), Some(1));
    let md = assay_in(dir.path(), &["diff", "HEAD~1:rules", "rules", "--format", "markdown"]);
    assert!(stdout(&md).contains("- **changed** methodology `national_average`"));
}

#[test]
fn layout_and_comments_only_are_no_semantic_change() {
    let dir = committed_library();
    edit(
        dir.path(),
        |t| {
            let reindented: Vec<String> = t.lines().map(|l| format!("  {l}   ")).collect();
            format!("# A new comment at the top.\n{}\n\n# and one at the end\n", reindented.join("\n"))
                .replace("minimum 4", "minimum    4   # unchanged")
        },
        "layout",
    );
    let out = assay_in(dir.path(), &["diff", "HEAD~1", "HEAD", "--data", "data", "--fail-on-change"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(text.contains("no semantic change") && text.contains("no figure moved"), "{text}");
}

#[test]
fn an_unknown_revision_is_a_diagnostic() {
    let dir = committed_library();
    let out = assay_in(dir.path(), &["diff", "HEAD~5", "HEAD"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("revision-unreadable"));
}

const RETURN_RATES: &str = "rules/params/return_rates.assay";

/// The totals of a `diff --data --format json`, as (label, because of).
fn moved_totals(dir: &Path, old: &str) -> Vec<(String, Vec<String>)> {
    let out = assay_in(dir, &["diff", old, "HEAD", "--data", "data", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    doc["totals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let because = t["because"].as_array().unwrap().iter().map(|b| b.as_str().unwrap().to_string()).collect();
            (t["total"].as_str().unwrap().to_string(), because)
        })
        .collect()
}

#[test]
fn a_parameter_read_through_scale_is_named_for_the_totals_it_moves() {
    let dir = committed_library();
    edit_file(dir.path(), RETURN_RATES, |t| t.replace("  acute = 87%", "  acute = 80%"), "acute returns");
    let totals = moved_totals(dir.path(), "HEAD~1");
    assert!(totals.len() > 10, "{totals:?}");
    for (total, because) in &totals {
        assert_eq!(because, &["param return_rate"], "{total}");
    }
    // With a second change, each total names every change it depends on.
    edit(dir.path(), |t| t.replace("trim: 25%, round: down", "trim: 10%, round: down"), "trim 10%");
    let totals = moved_totals(dir.path(), "HEAD~2");
    let because =
        |label: &str| &totals.iter().find(|(t, _)| t == label).unwrap_or_else(|| panic!("{label}: {totals:?}")).1;
    assert_eq!(
        because("national_average.saving by org_type (acute)"),
        &["methodology national_average", "param return_rate"]
    );
    assert_eq!(because("front_and_middle_office.potential by org_type (acute)"), &["param return_rate"]);
}

#[test]
fn a_revision_reads_the_same_from_a_subfolder() {
    let dir = committed_library();
    edit(dir.path(), |t| t.replace("trim: 25%, round: down", "trim: 10%, round: down"), "trim 10%");
    let sub = dir.path().join("data");
    let out = assay_in(&sub, &["diff", "HEAD~1", "HEAD"]);
    let (text, err) = (stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(0), "{text}{err}");
    assert!(
        text.contains("changed methodology national_average  (HEAD:rules/methodologies/national_average.assay)"),
        "{text}"
    );
    // `REV:./path` is read from the current folder, as git reads it.
    let rules = dir.path().join("rules");
    let out = assay_in(&rules, &["diff", "HEAD~1:./methodologies", "HEAD:./methodologies"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(text.contains("changed methodology national_average"), "{text}");
    // A path the revision does not hold is named as the user wrote it, not by a temporary copy.
    let out = assay_in(&sub, &["diff", "HEAD~1:./nothing", "HEAD"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("revision-unreadable") && err.contains("`HEAD~1:./nothing`"), "{err}");
    assert!(!err.contains("assay-diff-"), "{err}");
}

#[test]
fn a_revision_s_errors_name_its_files_not_a_temporary_copy() {
    let dir = committed_library();
    edit_file(dir.path(), "rules/scripts/phasing.rhai", |t| format!("{t}\nfn broken( {{\n"), "break the script");
    let out = assay_in(dir.path(), &["diff", "HEAD~1", "HEAD", "--data", "data"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("script `HEAD:rules/scripts/phasing.rhai` does not compile"), "{err}");
    assert!(err.contains("[HEAD:rules/scripts/phasing.rhai:"), "{err}");
    assert!(!err.contains("assay-diff-"), "{err}");
}

#[test]
fn a_report_change_is_listed_item_by_item_and_moves_no_figure() {
    let dir = committed_library();
    edit_file(
        dir.path(),
        "rules/reports.assay",
        |t| {
            t.replace("    table cost_per_fte\n", "    table cost_per_fte, pay_share\n")
                .replace("\"National analysis of back-office costs\"", "\"National analysis\"")
        },
        "reports",
    );
    let out = assay_in(dir.path(), &["diff", "HEAD~1", "HEAD", "--data", "data"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(text.contains("changed report national"), "{text}");
    assert!(text.contains("title: \"National analysis of back-office costs\" → \"National analysis\""), "{text}");
    assert!(text.contains("in section \"Cost per FTE by function\", item removed: `table cost_per_fte`"), "{text}");
    assert!(
        text.contains("in section \"Cost per FTE by function\", item added: `table cost_per_fte, pay_share`"),
        "{text}"
    );
    assert!(text.contains("no figure moved"), "{text}");
}
