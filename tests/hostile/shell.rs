//! The shell around a command: standard output closed early or full, outputs that cannot be
//! written, FIFOs where files are expected, symbolic-link loops in folders that are walked,
//! and large outputs into a pipe that stops reading.

use crate::case::{Case, Stdout};
use crate::data::RULES;
use std::path::Path;

const CSV: &str = "Code,Year,Turnover,Cost\nA1,2009/10,100,10\nA2,2009/10,200,30\n";
const TEST: &str = "period: 2009/10\nentities:\n  - {organisation: A1, turnover: 1000, cost: 100}\ncases:\n  - name: share\n    expect:\n      - {figure: cost_share, entity: A1, value: 10}\n";

/// A folder with `main.assay`, `data/returns.csv` and `t.test.yaml`.
fn folder(name: &str) -> Case {
    Case::new(format!("shell: {name}"))
        .file("main.assay", RULES)
        .file("data/returns.csv", CSV)
        .file("t.test.yaml", TEST)
}

const EVAL: &[&str] = &["eval", "--rules", "main.assay", "--data", "data", "--format", "csv"];

fn eval_with(extra: &[&str]) -> Vec<String> {
    EVAL.iter().chain(extra).map(|s| s.to_string()).collect()
}

fn fifo(path: &Path) {
    let status = std::process::Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success(), "mkfifo {}", path.display());
}

fn link(target: &str, path: &Path) {
    std::os::unix::fs::symlink(target, path).unwrap();
}

/// 50,000 organisations: output far larger than a pipe holds.
fn many_rows() -> Vec<u8> {
    let mut out = b"Code,Year,Turnover,Cost\n".to_vec();
    for i in 0..50_000 {
        out.extend(format!("E{i},2009/10,{},{}\n", i + 1, i % 7).as_bytes());
    }
    out
}

pub fn cases() -> Vec<Case> {
    let mut cases = pipes();
    cases.extend(outputs());
    cases.extend(fifos());
    cases.extend(loops());
    cases
}

fn pipes() -> Vec<Case> {
    vec![
        folder("check into a closed pipe").run(&["check", "main.assay"]).stdout(Stdout::Closed).ok(),
        folder("check with errors into a closed pipe")
            .file("bad.assay", "kpi a \"A\" : percent = b\n")
            .run(&["check", "bad.assay"])
            .stdout(Stdout::Closed)
            .ok(),
        folder("eval into a closed pipe").run(EVAL).stdout(Stdout::Closed).ok(),
        folder("test into a closed pipe")
            .run(&["test", "t.test.yaml", "--rules", "main.assay"])
            .stdout(Stdout::Closed)
            .ok(),
        folder("fmt --check into a closed pipe")
            .file("messy.assay", "kpi   a \"A\" : percent = 1%\n")
            .run(&["fmt", "--check", "messy.assay"])
            .stdout(Stdout::Closed)
            .ok(),
        folder("explain into a closed pipe")
            .run(&["explain", "cost_share", "--entity", "A1", "--rules", "main.assay", "--data", "data"])
            .stdout(Stdout::Closed)
            .ok(),
        folder("explain-code into a closed pipe").run(&["explain-code", "syntax-error"]).stdout(Stdout::Closed).ok(),
        folder("help into a closed pipe").run(&["--help"]).human().stdout(Stdout::Closed).ok(),
        folder("a large eval into a pipe closed after one line")
            .made("data/returns.csv", many_rows)
            .run(EVAL)
            .stdout(Stdout::HeadLine)
            .ok(),
        folder("a large JSON eval into a pipe closed after one line")
            .made("data/returns.csv", many_rows)
            .run(&["eval", "--rules", "main.assay", "--data", "data", "--format", "json"])
            .stdout(Stdout::HeadLine)
            .ok(),
        folder("check into /dev/full").run(&["check", "main.assay"]).stdout(Stdout::Full).fails(1, &["output-error"]),
        folder("eval into /dev/full").run(EVAL).stdout(Stdout::Full).fails(1, &["output-error"]),
        folder("test into /dev/full")
            .run(&["test", "t.test.yaml", "--rules", "main.assay"])
            .stdout(Stdout::Full)
            .fails(1, &["output-error"]),
        folder("explain into /dev/full")
            .run(&["explain", "cost_share", "--entity", "A1", "--rules", "main.assay", "--data", "data"])
            .stdout(Stdout::Full)
            .fails(1, &["output-error"]),
    ]
}

fn outputs() -> Vec<Case> {
    vec![
        folder("an output whose folder is a file")
            .run(&eval_with(&["--output", "main.assay/out.csv"]))
            .fails(1, &["output-error"]),
        folder("an output in a folder that does not exist")
            .run(&eval_with(&["--output", "nowhere/out.csv"]))
            .fails(1, &["output-error"]),
        folder("an output under /proc").run(&eval_with(&["--output", "/proc/version"])).fails(1, &["output-error"]),
        folder("an output that is a folder")
            .file("out/keep", "")
            .run(&eval_with(&["--output", "out"]))
            .fails(1, &["output-error"]),
        folder("an output that is the data folder")
            .run(&eval_with(&["--output", "data"]))
            .fails(2, &["output-is-input"]),
        folder("an output that is the current folder").run(&eval_with(&["--output", "."])).fails(1, &["output-error"]),
        folder("an output that is a FIFO")
            .setup(|d| fifo(&d.join("out.csv")))
            .run(&eval_with(&["--output", "out.csv"]))
            .ok()
            .writes("out.csv"),
        folder("an output that is the data file")
            .run(&eval_with(&["--output", "data/returns.csv"]))
            .fails(2, &["output-is-input"]),
        folder("an output through a dangling link")
            .setup(|d| link("gone/out.csv", &d.join("out.csv")))
            .run(&eval_with(&["--output", "out.csv"]))
            .ok()
            .writes("out.csv"),
        folder("an output of an empty name").run(&eval_with(&["--output", ""])).fails(2, &["usage-error"]),
        folder("an output name longer than the system allows")
            .run(&eval_with(&["--output", &"o".repeat(300)]))
            .fails(1, &["output-error"]),
        folder("a successful output").run(&eval_with(&["--output", "out.csv"])).ok().writes("out.csv"),
    ]
}

fn fifos() -> Vec<Case> {
    vec![
        folder("a FIFO as the rule file").setup(|d| fifo(&d.join("r.assay"))).run(&["check", "r.assay"]).fails(1, &["io-error"]),
        folder("a FIFO among the rule files")
            .setup(|d| fifo(&d.join("data/x.assay")))
            .run(&["check", "data"])
            .fails(1, &["io-error"]),
        folder("a FIFO as the data file")
            .setup(|d| {
                std::fs::remove_file(d.join("data/returns.csv")).unwrap();
                fifo(&d.join("data/returns.csv"));
            })
            .run(EVAL)
            .fails(1, &["data-unreadable"]),
        // The notice is optional: one that cannot be read is no notice, and never waited for.
        folder("a FIFO as the data's NOTICE").setup(|d| fifo(&d.join("data/NOTICE"))).run(EVAL).ok(),
        folder("a FIFO as DEFAULT_DATA")
            .file("rules/main.assay", RULES)
            .setup(|d| fifo(&d.join("rules/DEFAULT_DATA")))
            .run(&["eval", "--rules", "rules"])
            .fails(2, &["usage-error"]),
        folder("a FIFO as a script")
            .file("s.assay", format!("{RULES}\nscript tools \"tools.rhai\" {{ fn half(x: GBP) : GBP }}\n"))
            .setup(|d| fifo(&d.join("tools.rhai")))
            .run(&["eval", "--rules", "s.assay", "--data", "data"])
            .fails(1, &["missing-script"]),
        folder("a FIFO as the test file").setup(|d| fifo(&d.join("f.test.yaml"))).run(&["test", "f.test.yaml", "--rules", "main.assay"]).fails(1, &["io-error"]),
        folder("a FIFO among the test files")
            .file("tests/t.test.yaml", TEST)
            .setup(|d| fifo(&d.join("tests/f.test.yaml")))
            .run(&["test", "tests", "--rules", "main.assay"])
            .fails(1, &["io-error"]),
        folder("a FIFO as the result compared against")
            .setup(|d| fifo(&d.join("saved.json")))
            .run(&["explain", "cost_share", "--entity", "A1", "--rules", "main.assay", "--data", "data", "--against", "saved.json"])
            .fails(1, &["io-error"]),
        folder("a FIFO as the file to format").setup(|d| fifo(&d.join("r.assay"))).run(&["fmt", "r.assay"]).fails(1, &["io-error"]),
        folder("a FIFO as the file to classify")
            .file("c.assay", format!("{RULES}\ndataset lines \"Lines\" records {{\n  file \"lines.csv\"\n  entity organisation key \"Code\"\n  field amount : GBP from \"Amount\"\n}}\n\nset size \"Size\" {{ big \"Big\", small \"Small\" }}\n\nclassify sizes \"Sizes\" on lines hit first {{\n  | amount  | => size |\n  | >= 100  | big     |\n  | *       | small   |\n}}\n"))
            .setup(|d| fifo(&d.join("lines.csv")))
            .run(&["classify", "--rules", "c.assay", "--table", "sizes", "--data", "lines.csv"])
            .fails(1, &["data-unreadable"]),
    ]
}

fn loops() -> Vec<Case> {
    vec![
        folder("a link to itself among the rule files")
            .file("rules/main.assay", RULES)
            .setup(|d| link("self.assay", &d.join("rules/self.assay")))
            .run(&["check", "rules"])
            .fails(1, &["io-error"]),
        folder("two links to each other among the rule files")
            .file("rules/main.assay", RULES)
            .setup(|d| {
                link("b", &d.join("rules/a"));
                link("a", &d.join("rules/b"));
            })
            .run(&["check", "rules"])
            .fails(1, &["io-error"]),
        folder("a link to an ancestor among the rule files")
            .file("rules/main.assay", RULES)
            .setup(|d| link("..", &d.join("rules/up")))
            .run(&["check", "rules"])
            .fails(1, &["io-error"]),
        folder("a link loop as the data file")
            .setup(|d| {
                std::fs::remove_file(d.join("data/returns.csv")).unwrap();
                link("returns.csv", &d.join("data/returns.csv"));
            })
            .run(EVAL)
            .fails(1, &["data-unreadable"]),
        folder("a link loop beside the data file").setup(|d| link("loop", &d.join("data/loop"))).run(EVAL).ok(),
        folder("a link to an ancestor among the test files")
            .file("tests/t.test.yaml", TEST)
            .setup(|d| link("..", &d.join("tests/up")))
            .run(&["test", "tests", "--rules", "main.assay"])
            .fails(1, &["io-error"]),
        folder("a link loop as the rules given")
            .setup(|d| link("r.assay", &d.join("r.assay")))
            .run(&["check", "r.assay"])
            .fails(2, &["usage-error"]),
        folder("fmt over a folder with a link loop")
            .file("rules/main.assay", "kpi a \"A\" : percent = 1%\n")
            .setup(|d| link("self.assay", &d.join("rules/self.assay")))
            .run(&["fmt", "--check", "rules"])
            .fails(1, &["io-error"]),
    ]
}
