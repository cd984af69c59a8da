//! `assay test` as a user runs it: the shipped library's tests pass with the coverage the
//! README states, failures and thresholds exit 1, usage mistakes exit 2.

mod common;

use common::fs::temp_folder_with;
use common::rng::Rng;
use common::{assay, assay_in, repo, stderr, stdout};

/// Rules with one KPI over one dataset, for the rule tests written beside them.
const SHARE_RULES: &str = "unit GBP \"pound\" symbol \"£\"\n\
     dataset d \"D\" { file \"d.csv\" entity org key \"Code\" field turnover : GBP from \"Turnover\" field cost : GBP from \"Cost\" }\n\
     kpi share : percent = cost / turnover\n";

#[test]
fn the_shipped_library_passes_its_tests_with_the_coverage_the_readme_states() {
    let out = assay(&["test", "rules/", "--coverage", "--threshold", "90"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(text.contains("test result: ok.") && text.contains(" 0 failed"), "{text}");
    // Every methodology and KPI family has a test file beside it.
    for dir in ["rules/methodologies", "rules/kpis"] {
        for entry in std::fs::read_dir(repo().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "assay") {
                let test = path.with_extension("test.yaml");
                assert!(test.exists(), "no tests for {}", path.display());
            }
        }
    }
    let total = text.lines().find(|l| l.trim_start().starts_with("total")).unwrap();
    let figures: Vec<&str> = total.split_whitespace().skip(1).collect();
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let stated = format!("{} definitions ({})", figures[0], figures[1]);
    assert!(readme.contains(&stated), "the README should say `{stated}`");
    let rest = format!("{} `if` arms and {} decision-table rows", figures[2], figures[3]);
    assert!(readme.contains(&rest), "the README should say `{rest}`");
}

#[test]
fn a_test_directory_inside_the_library_is_checked_against_the_whole_library() {
    let out = assay(&["test", "rules/kpis"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
}

/// `--rules` takes one path: the test file after it is the one tested, not a rule file.
/// Several rule roots repeat the flag.
#[test]
fn a_test_file_after_rules_is_the_one_tested() {
    let one = assay(&["test", "--rules", "rules", "rules/tables/spend_type.test.yaml"]);
    let text = stdout(&one);
    assert_eq!(one.status.code(), Some(0), "{text}{}", stderr(&one));
    assert!(text.contains("spend_type.test.yaml"), "{text}");
    assert!(!text.contains("ledger_activity.test.yaml"), "only the file named is tested:\n{text}");
    let both = assay(&["test", "--rules", "rules", "--rules", "examples/ledger", "rules/tables/spend_type.test.yaml"]);
    assert_eq!(both.status.code(), Some(0), "{}{}", stdout(&both), stderr(&both));
}

/// A verdict naming a policy the rules do not have is pointed at in the test file, with
/// the closest policy suggested.
#[test]
fn a_verdict_naming_no_policy_points_at_it() {
    let dir = tempfile::tempdir().unwrap();
    let shipped = std::fs::read_to_string(repo().join("rules/policies.test.yaml")).unwrap();
    // The file's header and its first case, which ends on line 15.
    let case: Vec<&str> = shipped.lines().take(15).collect();
    let text = case.join("\n").replacen("policy: strategic_in_house, row: 2", "policy: strategic_in_hose, row: 2", 1);
    assert!(text.contains("strategic_in_hose"), "{text}");
    let file = dir.path().join("typo.test.yaml");
    std::fs::write(&file, text + "\n").unwrap();
    let out = assay(&["test", "--rules", "rules", file.to_str().unwrap()]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("no policy `strategic_in_hose`"), "{err}");
    assert!(err.contains("typo.test.yaml:15:9"), "the verdict's place: {err}");
    assert!(err.contains("did you mean `strategic_in_house`?"), "{err}");
}

#[test]
fn a_wrong_expectation_fails_with_expected_actual_and_derivation() {
    let tests = "entities: [{org: A, turnover: 400, cost: 100}]\ncases:\n  - name: a quarter\n    expect: [{figure: share, entity: A, value: 20, relative: 1%}]\n";
    let dir = temp_folder_with(&[("r.assay", SHARE_RULES), ("r.test.yaml", tests)]);
    let out = assay_in(dir.path(), &["test", "--rules", "r.assay"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("expected: 20% ± 1%"), "{text}");
    assert!(text.contains("actual:   25%"), "{text}");
    // The derivation is explain's tree: the rule with each operand's value, down to the cells.
    assert!(text.contains("KPI share for A = 25.00%") && text.contains("defined at r.assay:3:5"), "{text}");
    assert!(text.contains("kpi share : percent = cost / turnover"), "{text}");
    assert!(
        text.contains("data cost for A = £100.00") && text.contains("read from d.csv:2:3, column `Cost`"),
        "{text}"
    );
    assert!(text.contains("data turnover for A = £400.00"), "{text}");
    assert!(text.contains("test result: FAILED. 0 passed; 1 failed"), "{text}");
    // Within the tolerance it passes.
    std::fs::write(
        dir.path().join("r.test.yaml"),
        "entities: [{org: A, turnover: 400, cost: 100}]\ncases:\n  - name: a quarter\n    expect: [{figure: share, entity: A, value: 24.9, tolerance: 0.1}]\n",
    )
    .unwrap();
    let out = assay_in(dir.path(), &["test", "--rules", "r.assay"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn a_failing_expectation_names_its_place_in_the_test_file() {
    let tests = "entities: [{org: A, turnover: 400, cost: 100}]\n\
         cases:\n\
         \x20 - name: a quarter\n\
         \x20   expect:\n\
         \x20     - {figure: share, entity: A, value: 25}\n\
         \x20     - {figure: share, entity: A, value: 20}\n\
         \x20     - {figure: share, entity: B, value: 25}\n\
         \x20   diagnostics: [unit-mismatch]\n";
    let dir = temp_folder_with(&[("r.assay", SHARE_RULES), ("r.test.yaml", tests)]);
    let out = assay_in(dir.path(), &["test", "--rules", "r.assay"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    // Each failing expectation, and only those, starts with file:line:column of its place.
    assert!(text.contains("r.test.yaml:6:9: share for `A`:"), "{text}");
    assert!(text.contains("r.test.yaml:7:9: share for `B`: no entity `B`"), "{text}");
    assert!(text.contains("r.test.yaml:8:19: expected a `unit-mismatch` diagnostic"), "{text}");
    assert!(!text.contains("r.test.yaml:5:"), "{text}");
}

#[test]
fn usage_mistakes_exit_2() {
    assert_eq!(assay(&["test", "--threshold", "150"]).status.code(), Some(2));
    assert_eq!(assay(&["test", "no/such/tests"]).status.code(), Some(2));
}

#[test]
fn mutated_test_files_never_panic() {
    let tree = assay::load::load(&[repo().join("rules")]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.test.yaml");
    let originals: Vec<Vec<u8>> = ["rules/methodologies/top_quartile.test.yaml", "rules/tables/spend_type.test.yaml"]
        .iter()
        .map(|p| std::fs::read(repo().join(p)).unwrap())
        .collect();
    let mut rng = Rng(7);
    for round in 0..300 {
        let mut bytes = originals[round % originals.len()].clone();
        let at = (rng.next() as usize) % bytes.len().max(1);
        match rng.next() % 4 {
            0 => bytes.truncate(at),
            1 => bytes[at] = (rng.next() % 256) as u8,
            2 => {
                let end = (at + (rng.next() % 40) as usize).min(bytes.len());
                bytes.drain(at..end);
            }
            _ => {
                let piece: Vec<u8> = bytes[at..(at + 30).min(bytes.len())].to_vec();
                bytes.splice(at..at, piece);
            }
        }
        std::fs::write(&path, &bytes).unwrap();
        let mut sources = tree.files.clone();
        let options = assay::ruletest::runner::Options { record: true, ..Default::default() };
        let result = assay::ruletest::runner::run_file(&tree, &path, &mut sources, &options);
        // Every outcome and diagnostic is well-formed: spans point into known sources.
        for d in &result.diagnostics {
            for l in &d.labels {
                assert!(l.span.file < sources.len(), "round {round}: span into no source");
            }
        }
    }
}

/// A `tolerance` that is not a number is named, at its place; the case whose only
/// expectation it spoils is not also said to "expect nothing".
#[test]
fn a_tolerance_that_is_not_a_number_is_named_and_nothing_else() {
    let tests = "entities: [{org: A, turnover: 400, cost: 100}]\ncases:\n  - name: a quarter\n    expect: [{figure: share, entity: A, value: 25, tolerance: abc}]\n";
    let dir = temp_folder_with(&[("r.assay", SHARE_RULES), ("r.test.yaml", tests)]);
    let out = assay_in(dir.path(), &["test", "--rules", "r.assay"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("`abc` is not a number") && err.contains("r.test.yaml:4:"), "{err}");
    assert!(!err.contains("expects nothing"), "{err}");
    assert!(!stdout(&out).contains("a quarter ... ok"), "{}", stdout(&out));
}
