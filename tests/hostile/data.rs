//! Hostile data files, CSV and YAML: encodings, line ends, control bytes, junk, huge and
//! odd numbers, ragged rows, odd YAML, and files of tens of megabytes.

use crate::case::Case;

/// Two organisations' returns: a KPI over a CSV (or YAML) dataset.
pub const RULES: &str = r#"unit GBP "pound sterling" symbol "£"

dataset returns "Returns" {
  file "returns.csv"
  entity organisation key "Code"
  period year from "Year"
  field turnover : GBP from "Turnover"
  field cost : GBP from "Cost"
}

kpi cost_share "Cost as % of turnover" : percent = cost / turnover
"#;

pub const HEADER: &str = "Code,Year,Turnover,Cost\n";

/// `assay eval` over `returns.csv` holding these bytes.
fn csv(name: &str, bytes: impl AsRef<[u8]>) -> Case {
    Case::new(format!("csv: {name}")).file("main.assay", RULES).file("data/returns.csv", bytes).run(&[
        "eval",
        "--rules",
        "main.assay",
        "--data",
        "data",
        "--format",
        "csv",
    ])
}

/// `assay eval` over a large `returns.csv`, made when the case runs.
fn big(name: &str, make: fn() -> Vec<u8>) -> Case {
    Case::new(format!("csv: {name}")).file("main.assay", RULES).made("data/returns.csv", make).run(&[
        "eval",
        "--rules",
        "main.assay",
        "--data",
        "data",
        "--format",
        "csv",
    ])
}

/// A CSV of the header and one row.
fn row(cells: &str) -> String {
    format!("{HEADER}{cells}\n")
}

/// `assay eval` over `returns.yaml` holding these bytes.
fn yaml(name: &str, bytes: impl AsRef<[u8]>) -> Case {
    Case::new(format!("yaml: {name}"))
        .file("main.assay", RULES.replace("returns.csv", "returns.yaml"))
        .file("data/returns.yaml", bytes)
        .run(&["eval", "--rules", "main.assay", "--data", "data", "--format", "json"])
}

fn record(cells: &str) -> String {
    format!("- {{Code: A1, Year: 2009/10, {cells}}}\n")
}

const MB: usize = 1 << 20;

pub fn csv_cases() -> Vec<Case> {
    vec![
        csv("an empty file", "").fails(1, &["data-empty"]),
        csv("a header alone", HEADER).fails(1, &["data-empty"]),
        csv("blank lines alone", "\n\n\n").fails(1, &["data-empty"]),
        csv("a byte-order mark alone", b"\xEF\xBB\xBF").fails(1, &["data-empty"]),
        csv("a byte-order mark before the header", format!("\u{FEFF}{}", row("A1,2009/10,100,10"))).ok(),
        csv("CRLF line ends", row("A1,2009/10,100,10").replace('\n', "\r\n")).ok(),
        csv("CR line ends", row("A1,2009/10,100,10").replace('\n', "\r")).ok(),
        csv("a NUL byte inside a number", row("A1,2009/10,10\x000,10")).fails(1, &["data-not-a-number"]),
        csv("a NUL byte inside a key", row("A\x001,2009/10,100,10")).ok(),
        csv("a NUL byte in the header", row("A1,2009/10,100,10").replace("Cost", "Co\0st"))
            .fails(1, &["data-missing-column"]),
        csv("invalid UTF-8 in a key", [HEADER.as_bytes(), &b"A\xFF1,2009/10,100,10\n"[..]].concat())
            .fails(1, &["data-unreadable"]),
        csv("UTF-16 with its byte-order mark", utf16(&row("A1,2009/10,100,10"))).fails(1, &["data-unreadable"]),
        csv("binary junk", (0..=255u8).cycle().take(100_000).collect::<Vec<u8>>()).fails(1, &["data-unreadable"]),
        csv("a number of 400 digits", row(&format!("A1,2009/10,{},10", "9".repeat(400))))
            .fails(1, &["data-not-a-number"]),
        csv("a number with 60 decimal places", row(&format!("A1,2009/10,0.{}1,10", "0".repeat(60))))
            .fails(1, &["data-not-a-number"]),
        csv("an exponent", row("A1,2009/10,1e30,10")).fails(1, &["data-not-a-number"]),
        csv("NaN", row("A1,2009/10,NaN,10")).fails(1, &["data-not-a-number"]),
        csv("infinity", row("A1,2009/10,inf,10")).fails(1, &["data-not-a-number"]),
        csv("a zero turnover", row("A1,2009/10,0,10")).ok(),
        csv("a quote left open", row("A1,2009/10,\"100,10")).fails(1, &["data-unreadable"]),
        csv("rows short and long", format!("{HEADER}A1,2009/10\nA2,2009/10,1,2,3,4\n")).fails(1, &["data-unreadable"]),
        csv("a key twice", format!("{HEADER}A1,2009/10,100,10\nA1,2009/10,200,10\n")).fails(1, &["data-duplicate-key"]),
        csv("a column named twice", "Code,Year,Turnover,Cost,Turnover\nA1,2009/10,100,10,1000\n")
            .fails(1, &["data-unreadable"]),
        csv(
            "20,000 columns",
            format!("{}{}\nA1,2009/10,100,10{}\n", HEADER.trim_end(), ",x".repeat(20_000), ",1".repeat(20_000)),
        )
        .ok(),
        csv("a key of a megabyte", row(&format!("{},2009/10,100,10", "k".repeat(MB)))).ok(),
        csv("a megabyte number", row(&format!("A1,2009/10,{},10", "9".repeat(MB)))).fails(1, &["data-not-a-number"]),
        big("30 MB of random bytes", junk_30mb).fails(1, &["data-unreadable"]),
        big("one line of 16 MB", one_line_16mb).fails(1, &["data-unreadable"]),
        big("a number of 8 MB", number_8mb).fails(1, &["data-not-a-number"]),
        big("one bad cell after 12 MB of good rows", bad_after_12mb).fails(1, &["data-not-a-number"]),
        // People's diagnostics quote a window of the line, not the line.
        big("a number of 3 MB, in human diagnostics", number_3mb).human().fails(1, &["data-not-a-number"]),
        big("one line of 3 MB, in human diagnostics", one_line_3mb).human().fails(1, &["data-unreadable"]),
    ]
}

pub fn yaml_cases() -> Vec<Case> {
    let ok = record("Turnover: 100, Cost: 10");
    vec![
        yaml("a valid file", &ok).ok(),
        yaml("an empty file", "").fails(1, &["data-empty"]),
        yaml("a null document", "~\n").fails(1, &["data-unreadable"]),
        yaml("a mapping, not a list", "Code: A1\n").fails(1, &["data-unreadable"]),
        yaml("a list of numbers", "- 1\n- 2\n").fails(1, &["data-unreadable"]),
        yaml("a mapping as a value", "- {Code: {a: 1}, Year: 2009/10, Turnover: 100, Cost: 10}\n")
            .fails(1, &["data-not-a-value"]),
        yaml("100,000 nested lists", format!("- {}{}\n", "[".repeat(100_000), "]".repeat(100_000)))
            .fails(1, &["data-unreadable"]),
        yaml("a billion laughs", laughs()).fails(1, &["data-unreadable"]),
        yaml("a byte-order mark", format!("\u{FEFF}{ok}")).ok(),
        yaml("CRLF line ends", "- Code: A1\r\n  Year: 2009/10\r\n  Turnover: 100\r\n  Cost: 10\r\n").ok(),
        yaml("a NUL byte", record("Turnover: 1\x000, Cost: 10")).fails(1, &["data-unreadable"]),
        yaml("invalid UTF-8", [&b"- {Code: A\xFF1, "[..], b"Year: 2009/10, Turnover: 100, Cost: 10}\n"].concat())
            .fails(1, &["data-unreadable"]),
        yaml("a number of 1,000 digits", record(&format!("Turnover: {}, Cost: 10", "9".repeat(1000))))
            .fails(1, &["data-not-a-number"]),
        yaml("a float beyond f64", record("Turnover: 1.0e999, Cost: 10")).fails(1, &["data-not-a-number"]),
        yaml("infinity", record("Turnover: .inf, Cost: 10")).fails(1, &["data-not-a-number"]),
        yaml("a hexadecimal number", record("Turnover: 0x10, Cost: 10")).fails(1, &["data-not-a-number"]),
        yaml("a key twice in a record", record("Turnover: 100, Turnover: 200, Cost: 10"))
            .fails(1, &["data-unreadable"]),
        yaml("a second document", format!("{ok}---\n{}", ok.replace("A1", "A2"))).fails(1, &["data-unreadable"]),
        yaml("a tab after the dash", "-\t{Code: A1}\n").fails(1, &["data-missing-column"]),
        yaml("binary junk", (0..=255u8).cycle().take(10_000).collect::<Vec<u8>>()).fails(1, &["data-unreadable"]),
    ]
}

/// Nested aliases that would expand to a billion nodes.
fn laughs() -> String {
    let mut text = String::from("a: &a [1,2,3,4,5,6,7,8,9]\n");
    for (name, prev) in ["b", "c", "d", "e", "f", "g", "h", "i"].iter().zip(["a", "b", "c", "d", "e", "f", "g", "h"]) {
        text.push_str(&format!("{name}: &{name} [{}]\n", vec![format!("*{prev}"); 9].join(",")));
    }
    text
}

pub fn utf16(text: &str) -> Vec<u8> {
    let mut out = vec![0xFF, 0xFE];
    out.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    out
}

fn junk_30mb() -> Vec<u8> {
    let mut rng = crate::common::rng::Rng(0x5EED);
    (0..30 * MB / 8).flat_map(|_| rng.next().to_le_bytes()).collect()
}

fn one_line(size: usize) -> Vec<u8> {
    let mut out = HEADER.as_bytes().to_vec();
    out.resize(size, b'x');
    out
}

fn one_line_16mb() -> Vec<u8> {
    one_line(16 * MB)
}

fn one_line_3mb() -> Vec<u8> {
    one_line(3 * MB)
}

fn number(size: usize) -> Vec<u8> {
    let mut out = format!("{HEADER}A1,2009/10,").into_bytes();
    out.resize(size, b'9');
    out.extend(b",10\n");
    out
}

fn number_8mb() -> Vec<u8> {
    number(8 * MB)
}

fn number_3mb() -> Vec<u8> {
    number(3 * MB)
}

fn bad_after_12mb() -> Vec<u8> {
    let mut out = HEADER.as_bytes().to_vec();
    let mut i = 0;
    while out.len() < 12 * MB {
        out.extend(format!("E{i},2009/10,{},{}\n", i + 1, i % 7).as_bytes());
        i += 1;
    }
    out.extend(b"X,2009/10,12z,1\n");
    out
}
