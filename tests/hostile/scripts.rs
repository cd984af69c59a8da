//! Hostile rhai scripts: endless loops and recursion, huge strings and arrays, numbers out
//! of range, invalid UTF-8, junk, a script that is a folder, and syntax errors.

use crate::case::Case;
use crate::data::RULES;

const CSV: &str = "Code,Year,Turnover,Cost\nA1,2009/10,100,10\nA2,2009/10,200,30\n";

/// `assay eval` with a KPI computed by `adjust(turnover)` in `tools.rhai` holding `script`.
fn script(name: &str, script: impl AsRef<[u8]>) -> Case {
    let rules = format!(
        "{RULES}\nscript tools \"tools.rhai\" {{ fn adjust(x: GBP) : GBP }}\n\nkpi adjusted \"Adjusted\" : GBP = adjust(turnover)\n"
    );
    Case::new(format!("scripts: {name}"))
        .file("main.assay", rules)
        .file("tools.rhai", script)
        .file("data/returns.csv", CSV)
        .run(&["eval", "--rules", "main.assay", "--data", "data", "--format", "csv"])
}

pub fn cases() -> Vec<Case> {
    vec![
        script("a valid script", "fn adjust(x) { x / 2 }\n").ok(),
        script("a byte-order mark", "\u{FEFF}fn adjust(x) { x / 2 }\n").ok(),
        script("CRLF line ends", "fn adjust(x) {\r\n  x / 2\r\n}\r\n").ok(),
        script("an empty script", "").fails(1, &["script-error"]),
        script("an endless loop", "fn adjust(x) { loop { } }\n").fails(1, &["script-limit"]),
        script("endless recursion", "fn adjust(x) { adjust(x) }\n").fails(1, &["script-limit"]),
        script("a string doubled without end", "fn adjust(x) { let s = \"x\"; loop { s += s; } }\n")
            .fails(1, &["script-limit"]),
        script("an array of a million items", "fn adjust(x) { let a = []; a.pad(1000000, 0); x }\n")
            .fails(1, &["script-limit"]),
        script("a number out of range", "fn adjust(x) { let y = x; while y > 0 { y *= 1000000; } y }\n")
            .fails(1, &["script-error"]),
        script("division by zero", "fn adjust(x) { x / (x - x) }\n").fails(1, &["script-error"]),
        script("text for a number", "fn adjust(x) { \"many\" }\n").fails(1, &["script-error"]),
        script("a syntax error", "fn adjust(x) { x + }\n").fails(1, &["script-error"]),
        script("an import", "import \"other\" as o;\nfn adjust(x) { x }\n").fails(1, &["script-limit"]),
        script("a NUL byte", "fn adjust(x) { x \0/ 2 }\n").fails(1, &["script-error"]),
        script("invalid UTF-8", b"fn adjust(x) { x } // \xFF\n").fails(1, &["missing-script"]),
        script("binary junk", (0..=255u8).cycle().take(10_000).collect::<Vec<u8>>()).fails(1, &["missing-script"]),
        script(
            "100,000 nested brackets",
            format!("fn adjust(x) {{ {}x{} }}\n", "(".repeat(100_000), ")".repeat(100_000)),
        )
        .fails(1, &["script-error"]),
        script(
            "a line of two million characters",
            format!("fn adjust(x) {{ x }} // {}\nfn broken( {{\n", "y".repeat(2_000_000)),
        )
        .fails(1, &["script-error"]),
        Case::new("scripts: a script path that is a folder")
            .file("main.assay", format!("{RULES}\nscript tools \"tools.rhai\" {{ fn adjust(x: GBP) : GBP }}\n"))
            .file("tools.rhai/inside.txt", "")
            .file("data/returns.csv", CSV)
            .run(&["eval", "--rules", "main.assay", "--data", "data"])
            .fails(1, &["missing-script"]),
    ]
}
