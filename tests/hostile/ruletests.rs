//! Hostile rule tests (`*.test.yaml`): encodings, control bytes, junk, documents that are
//! not test files, several documents, huge numbers, deep nesting and data folders that
//! are not folders.

use crate::case::Case;
use crate::data::RULES;

/// `assay test t.test.yaml --rules main.assay` over these bytes.
fn test(name: &str, bytes: impl AsRef<[u8]>) -> Case {
    Case::new(format!("rule tests: {name}")).file("main.assay", RULES).file("t.test.yaml", bytes).run(&[
        "test",
        "t.test.yaml",
        "--rules",
        "main.assay",
    ])
}

/// A passing test file.
const OK: &str = "period: 2009/10
entities:
  - {organisation: A1, turnover: 1000, cost: 100}
cases:
  - name: share
    expect:
      - {figure: cost_share, entity: A1, value: 10}
";

pub fn cases() -> Vec<Case> {
    vec![
        test("a passing file", OK).ok(),
        test("a byte-order mark", format!("\u{FEFF}{OK}")).ok(),
        test("CRLF line ends", OK.replace('\n', "\r\n")).ok(),
        test("an empty file", "").fails(1, &["test-file-invalid"]),
        test("a NUL byte", OK.replace("1000", "10\u{0}00")).fails(1, &["test-file-invalid"]),
        test("invalid UTF-8", OK.replace("A1", "A@").bytes().map(|b| if b == b'@' { 0xFF } else { b }).collect::<Vec<u8>>())
            .fails(1, &["test-file-invalid"]),
        test("binary junk", (0..=255u8).cycle().take(10_000).collect::<Vec<u8>>()).fails(1, &["test-file-invalid"]),
        test("a list, not a mapping", "- 1\n").fails(1, &["test-file-invalid"]),
        test("a second document", format!("{OK}---\n{}", OK.replace("value: 10", "value: 11"))).fails(1, &["test-file-invalid"]),
        test("an expected value of 5,000 digits", OK.replace("value: 10", &format!("value: {}", "9".repeat(5000))))
            .fails(1, &["test-file-invalid"]),
        test("a tolerance of 50 digits", OK.replace("value: 10", &format!("value: 10, tolerance: 1{}", "0".repeat(50))))
            .fails(1, &["test-file-invalid"]),
        test("10,000 nested lists", format!("cases: {}{}\n", "[".repeat(10_000), "]".repeat(10_000))).fails(1, &["test-file-invalid"]),
        test("a figure name of 100,000 letters", OK.replace("cost_share", &"x".repeat(100_000))).fails(1, &["test-file-invalid"]),
        test("a case name of a megabyte", OK.replace("name: share", &format!("name: {}", "x".repeat(1 << 20)))).ok(),
        test("a data folder that is a file", "cases:\n  - name: d\n    data: main.assay\n    period: 2009/10\n    expect:\n      - {figure: cost_share, entity: A1, value: 10}\n")
            .fails(1, &["data-file-missing"]),
        test("a turnover that is not a number", OK.replace("1000", "12x")).fails(1, &["data-not-a-number"]),
    ]
}
