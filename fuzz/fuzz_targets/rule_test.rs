//! Any text as a rule-test file (`*.test.yaml`): read into cases as `assay test` reads it,
//! every mistake a diagnostic that renders and points into the file; a file of a few
//! cases is then run as `assay test --coverage` runs it, against small fixed rules with a
//! data folder beside them (`data: data`), and its diagnostics rendered too.
#![no_main]

use assay::ruletest::runner::{read_test_file, run_file};
use assay::source::SourceFile;
use assay_fuzz::{checked_tree, on_big_stack, show};
use libfuzzer_sys::fuzz_target;

/// The rules of the test-runner fixture: a dataset, a KPI, a parameter, a methodology with
/// totals, a records dataset and a decision table, so that every kind of case can run.
const RULES: &str = include_str!("../../tests/fixtures/test/failing/main.assay");
const RETURNS: &str = "Code,Year,Kind,Turnover,Cost\nA1,2020,x,1000,100\nA2,2020,x,2000,500\nB1,2020,y,500,50\n";
const LINES: &str = "Code,Amount\nA1,150\nA1,20\nB1,99.5\n";
/// Running cases evaluates and writes data folders: only small files run, to keep the rate up.
const MAX_CASES_RUN: usize = 4;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let pick = data.first().copied().unwrap_or(0);
    on_big_stack(|| {
        let (file, diags) = read_test_file(text, "fuzz.test.yaml", 0);
        show(&diags, &[SourceFile::new("fuzz.test.yaml", text)], pick);
        if file.cases.is_empty() || file.cases.len() > MAX_CASES_RUN {
            return;
        }
        let dir = tempfile::tempdir().expect("a temporary folder");
        let data_dir = dir.path().join("data");
        std::fs::create_dir(&data_dir).expect("the data folder");
        std::fs::write(data_dir.join("returns.csv"), RETURNS).expect("returns.csv");
        std::fs::write(data_dir.join("lines.csv"), LINES).expect("lines.csv");
        let test_path = dir.path().join("fuzz.test.yaml");
        std::fs::write(&test_path, text).expect("the test file");
        let tree = checked_tree(&dir.path().join("main.assay"), RULES);
        let mut sources = tree.files.clone();
        let options = assay::ruletest::runner::Options { record: true, ..Default::default() };
        let result = run_file(&tree, &test_path, &mut sources, &options);
        assert_eq!(result.outcomes.len(), file.cases.len(), "one outcome per case");
        show(&result.diagnostics, &sources, pick >> 2);
        assay::ruletest::coverage::render(&assay::ruletest::coverage::measure(&tree, &result.recorder));
    });
});
