//! `assay verify` judging a large file chunk by chunk as it is read (memory that of a
//! chunk, not of the file) must say exactly what judging the whole table says: the same
//! verdicts in the same order, in every format, and the same diagnostics when the data is
//! bad. `ASSAY_CHUNK_BYTES` makes the shipped examples span many chunks; `ASSAY_TIMINGS`
//! shows which way a run went, so that no test here passes by not streaming at all.

#![allow(clippy::unwrap_used, clippy::panic, reason = "test code: failing loudly is the point")]

mod common;

use common::{assay_with_env, repo, stderr, stdout};
use std::process::Output;

/// The plan policies that judge each row on its own (the grouped ones read across rows,
/// and a run with them is judged whole).
const ROW_POLICIES: &str = "strategic_in_house,operational_not_outsourced,transactional_candidates,co_operative_scale,\
co_operative_equitable_shares,co_operative_exit_costs,co_operative_new_partner_savings,align_before_sharing,\
partners_by_april_2011";

/// Small chunks: the example plan (15 KB) and return (140 KB) become many.
const SMALL_CHUNKS: &str = "1024";

fn run(args: &[&str], chunk_bytes: Option<&str>) -> Output {
    let mut envs = vec![("ASSAY_TIMINGS", "1")];
    if let Some(c) = chunk_bytes {
        envs.push(("ASSAY_CHUNK_BYTES", c));
    }
    assay_with_env(repo(), args, &envs)
}

fn streamed(o: &Output, dataset: &str) -> bool {
    stderr(o).contains(&format!("read `{dataset}` and judge it chunk by chunk"))
}

/// What a user sees: standard output, the exit status, and standard error without the
/// timing lines.
fn seen(o: &Output) -> (String, Option<i32>, String) {
    let text = stderr(o);
    let errors: Vec<&str> = text.lines().filter(|l| !l.starts_with("timing:")).map(str::trim_end).collect();
    (stdout(o), o.status.code(), errors.join("\n"))
}

fn same_either_way(args: &[&str], dataset: &str) {
    let whole = run(args, None);
    let chunked = run(args, Some(SMALL_CHUNKS));
    assert!(!streamed(&whole, dataset), "a small file is judged whole:\n{}", stderr(&whole));
    assert!(streamed(&chunked, dataset), "small chunks make the run stream:\n{}", stderr(&chunked));
    assert_eq!(seen(&chunked), seen(&whole), "{args:?}");
}

#[test]
fn a_plan_judged_chunk_by_chunk_gives_the_whole_tables_verdicts_in_every_format() {
    for format in ["human", "json", "csv", "sarif", "junit"] {
        let args = ["verify", "--data", "examples/plans/failing", "--policy", ROW_POLICIES, "--format", format];
        same_either_way(&args, "plan");
    }
}

#[test]
fn a_return_judged_chunk_by_chunk_gives_the_whole_tables_verdicts() {
    // The shipped return breaks only the payslip policy: these are its data-quality checks.
    for format in ["json", "csv"] {
        same_either_way(&["verify", "--data", "examples/qipp-2009-10", "--format", format], "benchmark");
    }
    let period = ["verify", "--data", "examples/qipp-2009-10", "--period", "2009/10", "--format", "csv"];
    same_either_way(&period, "benchmark");
}

#[test]
fn a_grouped_policy_is_judged_on_the_whole_table() {
    let o = run(&["verify", "--data", "examples/plans/failing", "--format", "json"], Some(SMALL_CHUNKS));
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(!streamed(&o, "plan"), "groups of rows need the whole table:\n{}", stderr(&o));
}

/// A copy of the example plan with a bad cell far down it, where streaming has already
/// judged the chunks above: the run must end as the whole-file read does (the cell's
/// diagnostic, exit 1, nothing written), not with the verdicts of the chunks before.
#[test]
fn a_bad_cell_in_a_late_chunk_stops_the_run_as_it_would_whole() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(repo().join("examples/plans/failing/plan.csv")).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let last = lines.len() - 1;
    let header: Vec<&str> = lines[0].split(',').collect();
    let activity = header.iter().position(|h| h.to_lowercase().contains("activity")).unwrap();
    let mut cells: Vec<String> = lines[last].split(',').map(str::to_string).collect();
    cells[activity] = "payrol processing".to_string();
    lines[last] = cells.join(",");
    std::fs::write(dir.path().join("plan.csv"), lines.join("\n") + "\n").unwrap();
    let out = dir.path().join("out.csv");
    let args =
        ["verify", "--data", dir.path().to_str().unwrap(), "--policy", ROW_POLICIES, "--format", "csv", "--output"];
    let whole = run(&[&args[..], &[out.to_str().unwrap()]].concat(), None);
    assert_eq!(whole.status.code(), Some(1), "{}", stderr(&whole));
    assert!(!out.exists());
    let chunked = run(&[&args[..], &[out.to_str().unwrap()]].concat(), Some(SMALL_CHUNKS));
    assert_eq!(seen(&chunked), seen(&whole));
    assert!(!out.exists(), "nothing is written");
    assert!(stderr(&chunked).contains("payrol processing"), "{}", stderr(&chunked));
}

/// An organisation twice in one period, the second far down the return: reported as a
/// duplicate key, as the whole-file read reports it.
#[test]
fn a_key_repeated_in_a_later_chunk_is_refused_as_it_would_be_whole() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(repo().join("examples/qipp-2009-10/benchmark.csv")).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let first = lines[1].to_string();
    lines.push(&first);
    std::fs::write(dir.path().join("benchmark.csv"), lines.join("\n") + "\n").unwrap();
    let args = ["verify", "--data", dir.path().to_str().unwrap(), "--format", "csv"];
    let whole = run(&args, None);
    assert_eq!(whole.status.code(), Some(1), "{}", stderr(&whole));
    let chunked = run(&args, Some(SMALL_CHUNKS));
    assert_eq!(seen(&chunked), seen(&whole));
    let code = first.split(',').next().unwrap();
    assert!(stderr(&chunked).contains(code), "{}", stderr(&chunked));
}

/// The cells a verdict lists are read back from the chunk its row came in, not from the
/// file: on a plan saved by a spreadsheet (a byte-order mark, CRLF line ends, quoted values
/// with commas) they must be the cells of the file at the lines and columns they name.
#[test]
fn cells_read_back_from_a_chunk_are_the_files_cells() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(repo().join("examples/plans/failing/plan.csv")).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let consortium = header.iter().position(|h| *h == "Consortium").unwrap();
    let rows: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let mut cells: Vec<String> = line.split(',').map(str::to_string).collect();
            if i > 0 {
                cells[consortium] = format!("\"{}, as named\"", cells[consortium]);
            }
            cells.join(",")
        })
        .collect();
    let file = dir.path().join("plan.csv");
    std::fs::write(&file, format!("\u{feff}{}\r\n", rows.join("\r\n"))).unwrap();
    let data = dir.path().to_str().unwrap();
    let args = ["verify", "--data", data, "--policy", ROW_POLICIES, "--format", "csv"];
    let whole = run(&args, None);
    let chunked = run(&args, Some(SMALL_CHUNKS));
    assert!(streamed(&chunked, "plan"), "{}", stderr(&chunked));
    assert_eq!(seen(&chunked), seen(&whole));
    // `field=text@file:line:column`, each checked against the file read as CSV here.
    let written = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<&str> = written.trim_start_matches('\u{feff}').split("\r\n").collect();
    let mut checked = 0;
    let listed = stdout(&whole);
    let mut out = csv::Reader::from_reader(listed.as_bytes());
    for record in out.records() {
        let record = record.unwrap();
        for cell in record.get(10).unwrap().split(';').filter(|c| !c.is_empty()) {
            let (field_text, place) = cell.split_once('@').unwrap();
            let text = field_text.split_once('=').unwrap().1;
            let mut at = place.rsplitn(3, ':');
            let column: usize = at.next().unwrap().parse().unwrap();
            let line: usize = at.next().unwrap().parse().unwrap();
            let row =
                csv::ReaderBuilder::new().has_headers(false).from_reader(lines[line - 1].as_bytes()).records().next();
            assert_eq!(row.unwrap().unwrap().get(column - 1).unwrap().trim(), text, "{cell}");
            checked += 1;
        }
    }
    assert!(checked > 20, "{checked} cells checked");
}
