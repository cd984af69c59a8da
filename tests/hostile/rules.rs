//! Hostile rule files: encodings and line ends, control bytes, binary junk, huge numbers,
//! deep nesting, very long names and lines, many definitions, and what `fmt` makes of them.

use crate::case::Case;

/// `assay check r.assay` over these bytes.
fn check(name: &str, bytes: impl AsRef<[u8]>) -> Case {
    Case::new(format!("rules: {name}")).file("r.assay", bytes).run(&["check", "r.assay"])
}

const KPI: &str = "kpi a \"A\" : percent = 1%\n";

fn repeat(s: &str, n: usize) -> String {
    s.repeat(n)
}

pub fn cases() -> Vec<Case> {
    let mut junk: Vec<u8> = (0..=255u8).cycle().take(64 * 1024).collect();
    junk.extend(b"kpi");
    vec![
        check("an empty file", "").ok(),
        check("a byte-order mark alone", b"\xEF\xBB\xBF").ok(),
        check("a byte-order mark before a definition", [&b"\xEF\xBB\xBF"[..], KPI.as_bytes()].concat()).ok(),
        check("CRLF line ends", "kpi a \"A\" : percent = 1%\r\nkpi b \"B\" : percent = a\r\n").ok(),
        check("CR line ends", "kpi a \"A\" : percent = 1%\rkpi b \"B\" : percent = a\r").ok(),
        check("a NUL byte inside a number", "kpi a \"A\" : percent = 1\0%\n").fails(1, &["syntax-error"]),
        check("a NUL byte inside a title", "kpi a \"A\0B\" : percent = 1%\n").ok(),
        check("nothing but NUL bytes", vec![0u8; 4096]).fails(1, &["syntax-error"]),
        check("binary junk", junk).fails(1, &["invalid-utf8"]),
        check("invalid UTF-8 in a title", b"kpi a \"\xFF\" : percent = 1%\n").fails(1, &["invalid-utf8"]),
        check("a truncated UTF-8 sequence at the end", [KPI.as_bytes(), &b"\xF0\x9F\x98"[..]].concat())
            .fails(1, &["invalid-utf8"]),
        check("an overlong UTF-8 encoding", b"kpi a \"\xC0\xAF\" : percent = 1%\n").fails(1, &["invalid-utf8"]),
        check("UTF-16 with its byte-order mark", utf16(KPI)).fails(1, &["invalid-utf8"]),
        check("a number of 5,000 digits", format!("param p : percent = {}%\n", repeat("9", 5000)))
            .fails(1, &["number-out-of-range"]),
        check("a number with 100 decimal places", format!("param p : percent = 0.{}1%\n", repeat("0", 100)))
            .fails(1, &["number-out-of-range"]),
        check("a date in year 99999", "param p : percent = 1% since 99999-01-01\n").fails(1, &["syntax-error"]),
        check(
            "100,000 nested brackets",
            format!("kpi a \"A\" : percent = {}1%{}\n", repeat("(", 100_000), repeat(")", 100_000)),
        )
        .fails(1, &["nesting-too-deep"]),
        check("100,000 unclosed brackets", format!("kpi a \"A\" : percent = {}\n", repeat("(", 100_000)))
            .fails(1, &["nesting-too-deep"]),
        check(
            "5,000 nested ifs",
            format!("kpi a \"A\" : percent = {}1%{}\n", repeat("if 1 > 0 then ", 5000), repeat(" else 2%", 5000)),
        )
        .fails(1, &["nesting-too-deep"]),
        // A flat chain of one operator is one node, not 20,000 levels: accepted (a mapping
        // spreadsheet turned into rules writes such sums).
        check("a chain of 20,000 additions", format!("kpi a \"A\" : percent = {}1%\n", repeat("1% + ", 20_000))).ok(),
        check(
            "20,000 additions nested in brackets",
            format!("kpi a \"A\" : percent = {}1%{}\n", repeat("1% + (", 20_000), repeat(")", 20_000)),
        )
        .fails(1, &["nesting-too-deep"]),
        // The grammar takes at most 8 prefix operators in a row.
        check("10,000 minus signs in a row", format!("kpi a \"A\" : percent = {}1%\n", repeat("-", 10_000)))
            .fails(1, &["syntax-error"]),
        check("a name of a million letters", format!("kpi {} \"A\" : percent = 1%\n", repeat("a", 1_000_000))).ok(),
        check("an unknown name of 100,000 letters", format!("kpi a \"A\" : percent = {}\n", repeat("b", 100_000)))
            .fails(1, &["unknown-name"]),
        check("a title of a million characters", format!("kpi a \"{}\" : percent = 1%\n", repeat("é", 500_000))).ok(),
        check("an unterminated title", "kpi a \"A : percent = 1%\n").fails(1, &["syntax-error"]),
        check("a comment line of 2 MB", format!("# {}\n{KPI}", repeat("x", 2_000_000))).ok(),
        check("5,000 definitions", (0..5000).map(|i| format!("kpi k{i} \"K\" : percent = {i}%\n")).collect::<String>())
            .ok(),
        check("one name defined 2,000 times", repeat(KPI, 2000)).fails(1, &["duplicate-name"]),
        check("a right-to-left override in a name", "kpi a\u{202E}b \"A\" : percent = 1%\n")
            .fails(1, &["syntax-error"]),
        check("a KPI defined by itself", "kpi a \"A\" : percent = a\n").fails(1, &["cycle"]),
        Case::new("fmt: invalid UTF-8 is left untouched")
            .file("r.assay", b"kpi   a \"\xFF\" : percent = 1%\n")
            .run(&["fmt", "r.assay"])
            .fails(1, &["invalid-utf8"]),
        Case::new("fmt: a NUL byte is left untouched")
            .file("r.assay", "kpi   a \"A\" : percent = 1\0%\n")
            .run(&["fmt", "r.assay"])
            .fails(1, &["syntax-error"]),
        Case::new("fmt: deep nesting is left untouched")
            .file("r.assay", format!("kpi   a \"A\" : percent = {}1%{}\n", repeat("(", 10_000), repeat(")", 10_000)))
            .run(&["fmt", "r.assay"])
            .fails(1, &["nesting-too-deep"]),
        Case::new("fmt: CRLF line ends are rewritten")
            .file("r.assay", "kpi a \"A\" : percent = 1%\r\n")
            .run(&["fmt", "r.assay"])
            .ok()
            .writes("r.assay"),
        Case::new("fmt --check: a byte-order mark is a change, and nothing is written")
            .file("r.assay", [&b"\xEF\xBB\xBF"[..], KPI.as_bytes()].concat())
            .run(&["fmt", "--check", "r.assay"])
            .fails(1, &[]),
    ]
}

/// `text` in UTF-16 (little-endian), with its byte-order mark.
fn utf16(text: &str) -> Vec<u8> {
    let mut out = vec![0xFF, 0xFE];
    out.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    out
}
