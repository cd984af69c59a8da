//! `assay eval` through the command line: hand-worked figures, bad data, determinism,
//! atomic output and the rhai sandbox.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::string_slice,
    reason = "test code: failing loudly is the point"
)]

mod common;

use common::fs::temp_folder_with;
use common::{assay, assay_in, assay_with_env, ok_json, ok_stdout, ok_stdout_bytes, repo, stderr, stdout};
use serde_json::Value as Json;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

const IQM_RULES: &str = "tests/fixtures/eval/iqm/rules";
const IQM_DATA: &str = "tests/fixtures/eval/iqm/data";

/// The value of one record, rounded to the penny (or to 0.01 of a percent).
fn value(records: &Json, pick: impl Fn(&Json) -> bool) -> String {
    let found: Vec<&Json> = records.as_array().unwrap().iter().filter(|r| pick(r)).collect();
    assert_eq!(found.len(), 1, "expected one record, found {}", found.len());
    let v = found[0]["value"].as_str().unwrap();
    let d: rust_decimal::Decimal = v.parse().unwrap();
    format!("{:.2}", d.round_dp(2))
}

/// Nine organisations in two types (tests/fixtures/eval/iqm), worked by hand:
///
/// Type A, five organisations, turnover £1,000,000 each, finance cost £10k..£50k:
///   cost shares 1%, 2%, 3%, 4%, 5%. Trimming 25% from each end of 5 values is 1.25,
///   rounded down (`round: down`) to 1: drop 1% and 5%, keep 2%, 3%, 4%: mean 3%.
///   Savings = (share − 3%) × turnover where above: A4 £10,000.00, A5 £20,000.00.
///   Total £30,000.00; scaled by 1 / return rate 80% = £37,500.00.
/// Type B, four organisations:
///   B1 £30,000 / £2,000,000 = 1.5%; B2 £12,500 / £500,000 = 2.5%;
///   B3 £35,000 / £1,000,000 = 3.5%; B4 £180,000 / £4,000,001 = 4.4999989%.
///   Drop one from each end (4 × 25% = 1): keep 2.5% and 3.5%: mean 3%.
///   Savings: B3 0.5% × £1,000,000 = £5,000.00;
///   B4 £180,000 − 3% × £4,000,001 = £180,000 − £120,000.03 = £59,999.97.
///   Total £64,999.97; scaled by 1 / 50% = £129,999.94.
/// Grand total, scaled: £37,500.00 + £129,999.94 = £167,499.94.
#[test]
fn interquartile_means_and_savings_match_the_hand_worked_figures() {
    let out = assay(&["eval", "--rules", IQM_RULES, "--data", IQM_DATA, "--format", "json"]);
    let v = ok_json(&out);
    let figures = &v["figures"];
    let fig = |entity: &str, name: &str| {
        let entity = entity.to_string();
        let name = name.to_string();
        value(figures, move |r| r["entity"] == entity.as_str() && r["name"] == name.as_str())
    };
    for e in ["A1", "A2", "A3", "A4", "A5", "B1", "B2", "B3", "B4"] {
        assert_eq!(fig(e, "target"), "3.00", "target of {e} (percent)");
    }
    assert_eq!(fig("A3", "saving"), "0.00");
    assert_eq!(fig("A4", "saving"), "10000.00");
    assert_eq!(fig("A5", "saving"), "20000.00");
    assert_eq!(fig("B2", "saving"), "0.00");
    assert_eq!(fig("B3", "saving"), "5000.00");
    assert_eq!(fig("B4", "saving"), "59999.97");
    assert_eq!(fig("B4", "cost_share"), "4.50");
    let totals = &v["totals"];
    let by_type = |t: &str| {
        let t = t.to_string();
        value(totals, move |r| r["by"]["org_type"] == t.as_str() && r["by"]["function"] == "finance")
    };
    assert_eq!(by_type("a"), "37500.00");
    assert_eq!(by_type("b"), "129999.94");
    let grand = value(totals, |r| r["total_by"].as_array().unwrap().is_empty() && r["name"] == "saving");
    assert_eq!(grand, "167499.94");
    // The stamp names the rule and data files with their SHA-256.
    assert_eq!(v["stamp"]["tool"], "assay");
    assert_eq!(v["stamp"]["rules"][0]["path"], "tests/fixtures/eval/iqm/rules/iqm.assay");
    assert_eq!(v["stamp"]["data"][0]["sha256"].as_str().unwrap().len(), 64);
}

/// The IQM fixture's rules, edited, alone in a throwaway folder.
fn iqm_rules_edited(edit: impl FnOnce(&str) -> String) -> tempfile::TempDir {
    let text = std::fs::read_to_string(repo().join(IQM_RULES).join("iqm.assay")).unwrap();
    temp_folder_with(&[("iqm.assay", &edit(&text))])
}

fn temp_copy_of_iqm(csv: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = temp_folder_with(&[("data/returns.csv", csv)]);
    let data = dir.path().join("data");
    (dir, data)
}

#[test]
fn a_bad_money_cell_stops_the_run_names_the_cell_and_writes_nothing() {
    let csv = "Code,Year,Type,Turnover,Finance cost\nA1,2009/10,Type A,\"1,000,000\",\"10,000\"\nA2,2009/10,Type A,\"12,3x4\",\"20,000\"\n";
    let (dir, data) = temp_copy_of_iqm(csv);
    let target = dir.path().join("out.json");
    let out = assay(&[
        "eval",
        "--rules",
        IQM_RULES,
        "--data",
        data.to_str().unwrap(),
        "--format",
        "json",
        "--output",
        target.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("data-not-a-number"), "{err}");
    assert!(err.contains("`12,3x4` is not a number"), "{err}");
    assert!(err.contains("returns.csv:3:4"), "file, row and column: {err}");
    // The cell itself is underlined, below the data line.
    let line = err.lines().find(|l| l.contains("A2,2009/10,Type A")).expect("the data line is shown");
    let underline = err.lines().skip_while(|l| *l != line).nth(1).unwrap();
    let col = line.find("\"12,3x4\"").map(|b| line[..b].chars().count()).unwrap();
    assert_eq!(underline.chars().position(|c| c == '─'), Some(col), "{err}");
    assert!(!target.exists(), "no output file on failure");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers.len(), 1, "no temporary file left behind: {leftovers:?}");
}

/// A bad cell far down a file read in chunks (`ASSAY_CHUNK_BYTES`) is reported exactly as
/// when the file is read whole: the chunked reader hands any problem to the whole-file one.
#[test]
fn a_bad_cell_in_a_file_read_in_chunks_is_reported_as_in_one_read_whole() {
    let mut csv = String::from("Code,Year,Type,Turnover,Finance cost\n");
    for i in 0..3000 {
        let (t, cell) = if i == 2876 {
            ("B", "\"12,3x4\"")
        } else if i % 2 == 0 {
            ("A", "\"1,000,000\"")
        } else {
            ("B", "2000000")
        };
        csv.push_str(&format!("O{i},2009/10,Type {t},{cell},\"{},000\"\n", 10 + i % 7));
    }
    let (_dir, data) = temp_copy_of_iqm(&csv);
    let run = |chunk_bytes: &str| {
        let args = ["eval", "--rules", IQM_RULES, "--data", data.to_str().unwrap(), "--format", "json"];
        let out = assay_with_env(repo(), &args, &[("ASSAY_CHUNK_BYTES", chunk_bytes)]);
        assert_eq!(out.status.code(), Some(1));
        stderr(&out)
    };
    let chunked = run("4096");
    assert!(chunked.contains("returns.csv:2878:4"), "file, row and column: {chunked}");
    assert_eq!(chunked, run("1000000000"));
}

/// A declared marker that is itself a number (`missing "999"`) still means missing, in a
/// plain cell and a quoted one; a number that only starts like it is a number.
#[test]
fn a_numeric_missing_marker_is_missing_not_a_number() {
    let rules = iqm_rules_edited(|t| t.replace("  file \"returns.csv\"", "  file \"returns.csv\"\n  missing \"999\""));
    let csv = "Code,Year,Type,Turnover,Finance cost\nA1,2009/10,Type A,999,10\nA2,2009/10,Type A,\" 999 \",20\nA3,2009/10,Type A,9990,30\n";
    let (_dir, data) = temp_copy_of_iqm(csv);
    let args =
        ["eval", "--rules", rules.path().to_str().unwrap(), "--data", data.to_str().unwrap(), "--format", "json"];
    let json = ok_json(&assay(&args));
    let share = |entity: &str| {
        let records = json["figures"].as_array().unwrap();
        let found = records.iter().find(|r| r["name"] == "cost_share" && r["entity"] == entity).unwrap();
        (found["value"].clone(), found["missing"].clone())
    };
    for entity in ["A1", "A2"] {
        let (value, missing) = share(entity);
        assert!(value.is_null(), "{entity}: {value}");
        assert!(missing.as_str().is_some_and(|m| m.contains("999")), "{entity}: {missing}");
    }
    // A percent figure's value is in percentage points: 30 / 9,990 = 0.3003…%, a quotient
    // that does not end, written to its certain digits.
    assert_eq!(share("A3").0, "0.3003003003003003003003");
}

#[test]
fn skip_and_warn_policies_leave_bad_rows_out_and_say_so() {
    let rules = iqm_rules_edited(|t| t.replace("  file \"returns.csv\"", "  file \"returns.csv\"\n  on_bad_row skip"));
    let csv = "Code,Year,Type,Turnover,Finance cost\nA1,2009/10,Type A,\"1,000,000\",\"10,000\"\nA2,2009/10,Type A,oops,\"20,000\"\nA3,2009/10,Type Q,5,5\n";
    let (_dir, data) = temp_copy_of_iqm(csv);
    let out = assay(&["eval", "--rules", rules.path().to_str().unwrap(), "--data", data.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("rows-skipped") && err.contains("2 rows of"), "{err}");
    let report = stdout(&out);
    assert!(report.contains("dataset returns: 3 rows read, 1 used, 2 skipped"), "{report}");
}

#[test]
fn a_missing_column_names_the_closest_header() {
    let csv = "Code,Year,Type,Turn over,Finance cost\nA1,2009/10,Type A,1,1\n";
    let (_dir, data) = temp_copy_of_iqm(csv);
    let out = assay(&["eval", "--rules", IQM_RULES, "--data", data.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("data-missing-column") && err.contains("has no column `Turnover`"), "{err}");
    assert!(err.contains("the closest header is `Turn over`"), "{err}");
}

#[test]
fn duplicate_keys_and_values_outside_the_set_are_reported() {
    let csv =
        "Code,Year,Type,Turnover,Finance cost\nA1,2009/10,Type A,1,1\nA1,2009/10,Type A,2,2\nA3,2009/10,Type Z,1,1\n";
    let (_dir, data) = temp_copy_of_iqm(csv);
    let out = assay(&["eval", "--rules", IQM_RULES, "--data", data.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("data-not-in-set") && err.contains("`Type Z` is not a member of `org_type`"), "{err}");
}

/// A larger data set (enough rows for parallel parsing and evaluation), written in a
/// given row order.
fn generated_csv(rows: usize, reverse: bool) -> String {
    let mut lines: Vec<String> = (0..rows)
        .map(|i| {
            let kind = if i % 3 == 0 { "Type A" } else { "Type B" };
            let turnover = 1_000_000 + (i * 7919) % 500_000;
            let cost = 10_000 + (i * 104_729) % 40_000;
            format!("ORG{i:06},2009/10,{kind},\"{turnover}\",{cost}.{:02}", i % 100)
        })
        .collect();
    if reverse {
        lines.reverse();
        lines.swap(0, rows / 2);
    }
    format!("Code,Year,Type,Turnover,Finance cost\n{}\n", lines.join("\n"))
}

#[test]
fn json_output_is_byte_identical_across_thread_counts_and_row_orders() {
    let (_a, forward) = temp_copy_of_iqm(&generated_csv(40_000, false));
    let (_b, shuffled) = temp_copy_of_iqm(&generated_csv(40_000, true));
    let run = |data: &Path, threads: &str| {
        let args = ["eval", "--rules", IQM_RULES, "--data", data.to_str().unwrap(), "--format", "json"];
        ok_stdout_bytes(&assay_with_env(repo(), &args, &[("RAYON_NUM_THREADS", threads)]))
    };
    let one = run(&forward, "1");
    let two = run(&forward, "2");
    assert!(one == two, "thread count changed the output");
    let reordered = run(&shuffled, "2");
    // Only the data file's hash differs: the files are different bytes.
    let strip = |b: &[u8]| {
        let v: Json = serde_json::from_slice(b).unwrap();
        (v["figures"].clone(), v["totals"].clone())
    };
    assert!(strip(&one) == strip(&reordered), "row order changed the figures");
    assert!(one.len() > 1_000_000, "the output should hold every figure");
}

/// Totals alone (`--select METHODOLOGY`) sum each figure column and let it go; a total of a
/// figure that needs one already let go computes it again. Neither changes a figure: the
/// totals match a full run's, which keeps every column, and `doubled` is twice `saving`.
#[test]
fn totals_summed_column_by_column_match_a_full_run() {
    let rules = iqm_rules_edited(|t| {
        let text = t.replace(
            "  total saving by org_type, function\n  total saving\n",
            "  let doubled[f in function] : GBP = saving[f] * 2\n  total saving by org_type, function\n  total doubled by org_type\n  total saving\n  total doubled\n",
        );
        assert!(text.contains("total doubled by org_type"), "the fixture's totals moved");
        text
    });
    let (_d, data) = temp_copy_of_iqm(&generated_csv(40_000, true));
    let run = |select: &[&str]| {
        let mut args = vec!["eval", "--rules", rules.path().to_str().unwrap(), "--data", data.to_str().unwrap()];
        args.extend_from_slice(&["--format", "json"]);
        args.extend_from_slice(select);
        ok_json(&assay(&args))["totals"].clone()
    };
    let alone = run(&["--select", "national_average"]);
    let full = run(&[]);
    assert_eq!(alone, full, "totals alone differ from a full run's");
    // Two types (and an overall row) by type and function, the same by type, two grand totals.
    assert_eq!(alone.as_array().unwrap().len(), 3 + 3 + 1 + 1);
    let grand = |name: &str| {
        let found: Vec<&Json> = alone
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["name"] == name && r["total_by"].as_array().unwrap().is_empty())
            .collect();
        assert_eq!(found.len(), 1, "one grand total of {name}");
        found[0]["value"].as_str().unwrap().parse::<rust_decimal::Decimal>().unwrap()
    };
    assert!(grand("saving") > rust_decimal::Decimal::ZERO);
    assert_eq!(grand("doubled"), grand("saving") * rust_decimal::Decimal::TWO);
}

/// A set member is found by its name, title or `also` spelling in any case: a cell spelt as
/// the rules write it and one in another case land in the same peer group.
#[test]
fn members_are_found_whatever_the_case_of_the_cell() {
    let csv = std::fs::read_to_string(repo().join(IQM_DATA).join("returns.csv")).unwrap();
    let respelt = csv
        .replacen("A1,2009/10,Type A", "A1,2009/10,type a", 1)
        .replacen("A4,2009/10,Type A", "A4,2009/10, TYPE A ", 1)
        .replacen("B1,2009/10,Type B", "B1,2009/10,b", 1)
        .replacen("B4,2009/10,Type B", "B4,2009/10,B", 1);
    assert_eq!(respelt.matches("Type A").count(), 3, "the fixture's rows moved");
    let (_d, data) = temp_copy_of_iqm(&respelt);
    let run = |data: &str| {
        let v = ok_json(&assay(&["eval", "--rules", IQM_RULES, "--data", data, "--format", "json"]));
        (v["figures"].clone(), v["totals"].clone())
    };
    assert_eq!(run(data.to_str().unwrap()), run(IQM_DATA));
}

fn script_rules(body: &str) -> tempfile::TempDir {
    let extra = "\nscript tools \"scripts/tools.rhai\" { fn adjust(x: GBP) : GBP }\nkpi adjusted[f in function] : GBP = adjust(cost[f]) cite worked \"script\"\n";
    let dir = iqm_rules_edited(|t| format!("{t}{extra}"));
    std::fs::create_dir(dir.path().join("scripts")).unwrap();
    std::fs::write(dir.path().join("scripts/tools.rhai"), body).unwrap();
    dir
}

fn eval_with_script(body: &str) -> (Output, Duration) {
    let rules = script_rules(body);
    let start = Instant::now();
    let out = assay(&["eval", "--rules", rules.path().to_str().unwrap(), "--data", IQM_DATA, "--format", "json"]);
    (out, start.elapsed())
}

#[test]
fn scripts_receive_and_return_exact_decimals() {
    let (out, _) = eval_with_script("fn adjust(x) { x * 1.1 + 0.005 }\n");
    let v = ok_json(&out);
    // 10,000 × 1.1 + 0.005, exactly: no float on the way in or out.
    let got = v["figures"].as_array().unwrap().iter().find(|r| r["entity"] == "A1" && r["name"] == "adjusted").unwrap();
    assert_eq!(got["value"], "11000.005");
}

#[test]
fn a_runaway_script_stops_with_a_limit_diagnostic_within_a_second() {
    let (out, took) = eval_with_script("fn adjust(x) { loop { } }\n");
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("script-limit"), "{err}");
    assert!(err.contains("tools.rhai:1:"), "points into the script: {err}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[test]
fn import_eval_and_file_access_are_refused() {
    for (body, expect) in [
        ("import \"x\" as y;\nfn adjust(x) { x }\n", "script-limit"),
        ("fn adjust(x) { eval(\"x\") }\n", "script-limit"),
        ("fn adjust(x) { open_file(\"/etc/passwd\") }\n", "script-error"),
        ("fn adjust(x) { \"text\" }\n", "script-error"),
    ] {
        let (out, _) = eval_with_script(body);
        assert_eq!(out.status.code(), Some(1), "{body}");
        let err = stderr(&out);
        assert!(err.contains(expect), "{body}: {err}");
        assert!(err.contains("tools.rhai"), "{body}: {err}");
    }
}

#[test]
fn unknown_methodology_or_selection_is_a_usage_error_with_a_suggestion() {
    let out = assay(&["eval", "--rules", IQM_RULES, "--data", IQM_DATA, "--methodology", "national_averag"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("did you mean `national_average`?"), "{}", stderr(&out));
    let out = assay(&["eval", "--rules", IQM_RULES, "--data", IQM_DATA, "--period", "2010/11"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no data for period `2010/11`"), "{}", stderr(&out));
}

#[test]
fn every_format_renders_and_the_output_file_is_complete() {
    let dir = tempfile::tempdir().unwrap();
    for format in ["table", "json", "csv", "markdown"] {
        let target = dir.path().join(format!("out.{format}"));
        let out = assay(&[
            "eval",
            "--rules",
            IQM_RULES,
            "--data",
            IQM_DATA,
            "--format",
            format,
            "--output",
            target.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let text = std::fs::read_to_string(&target).unwrap();
        assert!(text.contains("167") && text.contains("499"), "{format}: {text}");
    }
    let csv = std::fs::read_to_string(dir.path().join("out.csv")).unwrap();
    assert!(
        csv.starts_with("kind,period,entity,methodology,name,index,value,unit,missing,total_by,grand,scaled,exact\n")
    );
    assert!(csv.contains("figure,2009/10,B4,national_average,saving,function=finance,59999.97"), "{csv}");
}

/// `--select` takes a KPI or figure with one member of each index, as `explain` does, and
/// reports those values only; several selections are a comma-separated list.
#[test]
fn select_takes_a_figure_with_its_index_members() {
    let out = assay(&["eval", "--select", "national_average.saving[finance]", "--format", "json"]);
    let v = ok_json(&out);
    let figures = v["figures"].as_array().unwrap();
    assert_eq!(figures.len(), 315);
    assert!(figures.iter().all(|f| f["name"] == "saving" && f["index"]["qipp_function"] == "finance"));
    let sa0001 = figures.iter().find(|f| f["entity"] == "SA0001").unwrap();
    // A quotient times spend, written to its certain digits (the raw product's last digits
    // were noise) and said to be rounded.
    assert_eq!(sa0001["value"], "568618.09293610331263774");
    assert_eq!(sa0001["exact"], false);
    let out = assay(&["eval", "--select", "cost_share[finance],national_average.saving[estates]", "cost_share"]);
    let table = ok_stdout(&out);
    assert!(table.contains("national_average.saving[estates]"), "{table}");
    assert!(!table.contains("national_average.saving[finance]"), "{table}");
    assert!(table.contains("cost_share[procurement]"), "{table}");
}

#[test]
fn select_refuses_members_a_figure_does_not_have() {
    let cases = [
        ("national_average.saving[finanse]", "`finanse` is not a member of `qipp_function`", "did you mean `finance`?"),
        ("national_average.saving[finance,acute]", "takes 1 index, not 2", "`national_average.saving[qipp_function]`"),
        ("national_average[finance]", "is a methodology", "`national_average.FIGURE[member, ...]`"),
        ("national_average.saving[finance", "is not a selection", "in brackets"),
    ];
    for (select, message, help) in cases {
        let out = assay(&["eval", "--select", select, "--error-format", "json"]);
        assert_eq!(out.status.code(), Some(2), "{select}");
        let err = stderr(&out);
        for expected in ["unknown-selection", message, help] {
            assert!(err.contains(expected), "{select}: no `{expected}` in {err}");
        }
    }
}

/// A total none of whose values is there says why when they all say the same (a peer group
/// below its minimum), and that the reasons differ when they do.
#[test]
fn a_total_with_every_value_missing_gives_their_reason() {
    let fixture = repo().join("tests/fixtures/eval/group_too_small");
    let run = |dir: &Path| ok_stdout(&assay_in(dir, &["eval", "--rules", "main.assay", "--data", "data"]));
    let table = run(&fixture);
    assert!(table.contains("\nb         missing (peer group of 2, below the minimum of 3)\n"), "{table}");
    // B2 without a turnover: its saving misses that, B1's the peer group.
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixture.join("main.assay"), dir.path().join("main.assay")).unwrap();
    std::fs::create_dir(dir.path().join("data")).unwrap();
    let csv = std::fs::read_to_string(fixture.join("data/returns.csv")).unwrap();
    std::fs::write(dir.path().join("data/returns.csv"), csv.replace("B2,2009/10,Type B,1000,", "B2,2009/10,Type B,,"))
        .unwrap();
    let table = run(dir.path());
    assert!(table.contains("\nb         missing (every value is missing, for different reasons)\n"), "{table}");
}

/// In Markdown the notice is a quote and the stamp a paragraph of its own, emphasised: a
/// line right after the quote would continue it, and a `_` alone on a line closes nothing.
#[test]
fn markdown_keeps_the_stamp_out_of_the_notice_quote() {
    let out = assay(&["eval", "--select", "national_average", "--format", "markdown"]);
    let text = ok_stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    let quote = lines.iter().position(|l| l.starts_with("> SYNTHETIC DATA")).unwrap();
    assert_eq!(lines[quote + 1], "", "{text}");
    assert!(lines[quote + 2].starts_with("_assay ") && lines[quote + 2].ends_with('\\'), "{text}");
    assert!(lines[quote + 3].starts_with("dataset benchmark: ") && lines[quote + 3].ends_with("skipped_"), "{text}");
    assert_eq!(lines[quote + 4], "", "{text}");
}

/// Run the IQM rules (with `edit` applied to their text) over a data folder holding
/// `name` with `contents`, writing JSON to `out.json`: the run and the folder.
fn run_iqm_over(edit: impl Fn(String) -> String, name: &str, contents: &str) -> (Output, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(repo().join(IQM_RULES).join("iqm.assay")).unwrap();
    std::fs::write(dir.path().join("iqm.assay"), edit(text)).unwrap();
    std::fs::create_dir(dir.path().join("data")).unwrap();
    std::fs::write(dir.path().join("data").join(name), contents).unwrap();
    let (rules, data, target) = (dir.path().join("iqm.assay"), dir.path().join("data"), dir.path().join("out.json"));
    let args = ["eval", "--rules", rules.to_str().unwrap(), "--data", data.to_str().unwrap(), "--format", "json"];
    let out = assay(&[&args[..], &["--output", target.to_str().unwrap()]].concat());
    (out, dir)
}

/// A cell in another unit than its field's (issue #23): `€5`, `$5`, `50%` and `£5%` in a
/// `£` column, and `(-5)`, a sign inside accountants' brackets, were read as other numbers
/// (£5, £0.50, £0.05, +5). Each is refused with its position; nothing is written.
#[test]
fn cells_in_another_unit_or_with_two_signs_are_refused_with_their_position() {
    let csv = "Code,Year,Type,Turnover,Finance cost\nA1,2009/10,Type A,€5,$5\nA2,2009/10,Type A,50%,£5%\nA3,2009/10,Type A,(-5),1e3\nA4,2009/10,Type A,\"1,23,4\",\"£1,000\"\n";
    let (out, dir) = run_iqm_over(|t| t, "returns.csv", csv);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    for (cell, place) in [
        ("€5", "returns.csv:2:4"),
        ("$5", "returns.csv:2:5"),
        ("50%", "returns.csv:3:4"),
        ("£5%", "returns.csv:3:5"),
        ("(-5)", "returns.csv:4:4"),
        ("1e3", "returns.csv:4:5"),
        ("1,23,4", "returns.csv:5:4"),
    ] {
        let line = err.lines().find(|l| l.contains(&format!("`{cell}` is not a number"))).unwrap();
        assert!(line.contains(place), "{cell} at {place}: {line}");
    }
    assert_eq!(err.matches("data-not-a-number").count(), 7, "`£1,000` is read: {err}");
    assert!(err.contains("column `Turnover` holds amounts in `£`"), "{err}");
    assert!(err.contains("only amounts in `£` are read here"), "{err}");
    assert!(!dir.path().join("out.json").exists(), "nothing written");
}

/// A refused cell is a bad cell like any other: `on_bad_row skip` leaves its row out and
/// counts it, and the forms the README accepts (`£ 1,000,000`, `(£10,000)`, `£-5`) read exactly.
#[test]
fn a_cell_in_another_currency_is_a_bad_row_under_the_datasets_policy() {
    let csv = "Code,Year,Type,Turnover,Finance cost\nA1,2009/10,Type A,£ 1,000,000,(£10.5)\nA2,2009/10,Type A,€5,1\nA3,2009/10,Type A,\"£1,000,000\",£-20\n"
        .replace("£ 1,000,000", "\"£ 1,000,000\"");
    let skip = |t: String| t.replace("  file \"returns.csv\"", "  file \"returns.csv\"\n  on_bad_row skip");
    let (out, dir) = run_iqm_over(skip, "returns.csv", &csv);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("rows-skipped") && err.contains("`€5` in column `Turnover` is not a number"), "{err}");
    let json: Json = serde_json::from_slice(&std::fs::read(dir.path().join("out.json")).unwrap()).unwrap();
    let share = |entity: &str| {
        let records = json["figures"].as_array().unwrap();
        records.iter().find(|r| r["name"] == "cost_share" && r["entity"] == entity).map(|r| r["value"].clone())
    };
    // Percent figures are in percentage points: -10.5 / 1,000,000 = -0.00105%.
    assert_eq!(share("A1").unwrap(), "-0.00105");
    assert_eq!(share("A3").unwrap(), "-0.002");
    assert_eq!(share("A2"), None, "the bad row is left out");
}

/// A mapping or a list in YAML data where one value belongs was read as a blank (a missing
/// value, exit 0): it is a coded error pointing at the YAML line.
#[test]
fn a_yaml_mapping_or_list_where_a_value_belongs_is_refused_at_its_line() {
    let yaml = "- {Code: A1, Year: 2009/10, Type: Type A, Turnover: 1000000, Finance cost: 10000}\n- Code: A2\n  Year: 2009/10\n  Type: Type A\n  Turnover:\n    amount: 5\n  Finance cost: [1, 2]\n";
    let to_yaml = |t: String| t.replace("file \"returns.csv\"", "file \"returns.yaml\"");
    let (out, dir) = run_iqm_over(to_yaml, "returns.yaml", yaml);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("data-not-a-value"), "{err}");
    assert!(err.contains("column `Turnover` holds a mapping, not a value"), "{err}");
    assert!(err.contains("column `Finance cost` holds a list, not a value"), "{err}");
    // The value itself is shown and underlined, on its own line of the file.
    assert!(err.contains("returns.yaml:6:5)") && err.contains("returns.yaml:7:17)"), "{err}");
    assert!(err.contains(" 7 │   Finance cost: [1, 2]"), "{err}");
    assert!(!dir.path().join("out.json").exists(), "nothing written");
}

/// Standard error with lines wrapped by the renderer joined again (and its gutters gone).
fn flat(err: &str) -> String {
    err.lines().map(|l| l.trim().trim_start_matches('│').trim()).collect::<Vec<_>>().join(" ")
}

/// The hand-worked rules with one piece of text replaced, in a temporary folder.
fn iqm_rules_with(from: &str, to: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(repo().join(IQM_RULES).join("iqm.assay")).unwrap();
    assert!(text.contains(from), "{from}");
    std::fs::write(dir.path().join("iqm.assay"), text.replace(from, to)).unwrap();
    dir
}

#[test]
fn a_trim_or_quantile_out_of_range_is_refused_by_check() {
    let rules = iqm_rules_with("trim: 25%", "trim: 25");
    let out = assay(&["check", "--strict", rules.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("out-of-range") && text.contains("must be at least 0% and below 50%, given `25`"), "{text}");
    assert!(text.contains("did you mean `25%`?"), "{text}");

    let rules = iqm_rules_with(
        "trimmed_mean(cost_share[f], trim: 25%, round: down, ties: key, missing: skip)",
        "quantile(cost_share[f], 250%, method: linear, missing: skip)",
    );
    let out = assay(&["check", "--strict", rules.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("the quantile must be between 0% and 100%, given `250%`"), "{text}");
}

/// A trim read from a parameter passes `check` (its value is known only at run time); out
/// of range, every value of the figure is missing, and the run says so on standard error.
#[test]
fn a_figure_missing_for_every_entity_is_reported_with_its_reason() {
    let rules = iqm_rules_with("trim: 25%", "trim: trim_share");
    let path = rules.path().join("iqm.assay");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("\nparam trim_share : ratio = 25\n");
    std::fs::write(&path, text).unwrap();
    let out = assay(&["eval", "--rules", rules.path().to_str().unwrap(), "--data", IQM_DATA]);
    let err = flat(&stderr(&out));
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("figure-all-missing"), "{err}");
    assert!(
        err.contains("figure `target` of `national_average` is missing for all 9 entities in period 2009/10"),
        "{err}"
    );
    assert!(err.contains("leaves none"), "the reason is named: {err}");
    assert!(err.contains("iqm.assay:"), "points at the rule file: {err}");
}

/// The shipped example has all-missing peer groups (a group of two), and KPIs over
/// optional columns its data does not have: neither is a figure missing by mistake.
#[test]
fn the_shipped_example_evaluates_without_all_missing_warnings() {
    let out = assay(&["eval"]);
    let err = flat(&stderr(&out));
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(!err.contains("figure-all-missing") && !err.contains("optional-column-misspelt"), "{err}");
    assert!(err.contains("group-too-small"), "{err}");
}

/// An optional column renamed by a change of case gets the did-you-mean a required one
/// gets, instead of emptying the figures that read it without a word.
#[test]
fn a_renamed_optional_column_names_the_header_it_probably_is() {
    let dir = tempfile::tempdir().unwrap();
    let example = repo().join("examples/qipp-2009-10");
    for entry in std::fs::read_dir(&example).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
    }
    let csv = dir.path().join("benchmark.csv");
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.contains(",Patient care funding"));
    std::fs::write(&csv, text.replacen(",Patient care funding", ",Patient Care Funding", 1)).unwrap();
    let out = assay(&["eval", "--data", dir.path().to_str().unwrap(), "--methodology", "model_hospital"]);
    let err = flat(&stderr(&out));
    assert!(err.contains("optional-column-misspelt"), "{err}");
    assert!(
        err.contains("benchmark.csv` has no column `Patient care funding`, but has `Patient Care Funding`"),
        "{err}"
    );
    assert!(err.contains("read by optional field `patient_care_funding`"), "{err}");
}

/// An `exclude` rule reads its column as it compares it: a number in the field's unit
/// (`"1,500,000"` is more than 1,200,000, not text that matches no number), a date as a
/// date (`30/09/2016` is before 2016-10-01, not after it as text), and a cell that is not
/// such a value is a bad cell of its row, never compared as text.
#[test]
fn exclude_rules_compare_numbers_and_dates_as_such() {
    let rules = iqm_rules_edited(|t| {
        t.replace(
            "  file \"returns.csv\"",
            "  file \"returns.csv\"\n  exclude \"Turnover\" > 1200000\n  exclude \"Opened\" < 2016-10-01",
        )
    });
    let run = |csv: &str| {
        let (dir, data) = temp_copy_of_iqm(csv);
        let args =
            ["eval", "--rules", rules.path().to_str().unwrap(), "--data", data.to_str().unwrap(), "--format", "json"];
        (assay(&args), dir)
    };
    let head = "Code,Year,Type,Turnover,Finance cost,Opened\n";
    let good = format!(
        "{head}A1,2009/10,Type A,\"1,000,000\",\"10,000\",2017-01-01\nA2,2009/10,Type A,\"1,500,000\",\"20,000\",2017-01-01\nA3,2009/10,Type A,\"1,000,000\",\"30,000\",30/09/2016\nA4,2009/10,Type A,\"1,000,000\",\"40,000\",01/10/2016\n"
    );
    let (out, _dir) = run(&good);
    let json = ok_json(&out);
    assert_eq!(json["counts"]["returns"]["excluded"], 2, "{json}");
    let entities: Vec<&str> = json["figures"].as_array().unwrap().iter().filter_map(|f| f["entity"].as_str()).collect();
    assert!(entities.contains(&"A1") && entities.contains(&"A4"), "{entities:?}");
    assert!(!entities.contains(&"A2") && !entities.contains(&"A3"), "{entities:?}");
    for (cell, code) in [("\"1,5OO,000\"", "data-not-a-number"), ("not-a-date", "data-bad-date")] {
        let bad = if code == "data-bad-date" {
            format!("{head}A1,2009/10,Type A,\"1,000,000\",\"10,000\",{cell}\n")
        } else {
            format!("{head}A1,2009/10,Type A,{cell},\"10,000\",2017-01-01\n")
        };
        let (out, _dir) = run(&bad);
        assert_eq!(out.status.code(), Some(1), "{cell}: {}", stderr(&out));
        assert!(stderr(&out).contains(code), "{cell}: {}", stderr(&out));
    }
}

/// A header that names a column twice is refused, unless the dataset says the first is
/// meant (`repeated_headers first`); then the first is read, never the second.
#[test]
fn a_repeated_header_is_refused_unless_the_first_is_declared_meant() {
    let csv = "Code,Year,Type,Turnover,Finance cost,Turnover\nA1,2009/10,Type A,\"1,000,000\",\"10,000\",5\n";
    let (_dir, data) = temp_copy_of_iqm(csv);
    let run = |rules: &tempfile::TempDir| {
        assay(&[
            "eval",
            "--rules",
            rules.path().to_str().unwrap(),
            "--data",
            data.to_str().unwrap(),
            "--format",
            "json",
        ])
    };
    let plain = iqm_rules_edited(|t| t.to_string());
    let out = run(&plain);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("has two columns `Turnover`"), "{}", stderr(&out));
    let first =
        iqm_rules_edited(|t| t.replace("  file \"returns.csv\"", "  file \"returns.csv\"\n  repeated_headers first"));
    let json = ok_json(&run(&first));
    let share = json["figures"].as_array().unwrap().iter().find(|f| f["name"] == "cost_share").unwrap();
    assert_eq!(share["value"], "1", "10,000 / 1,000,000 = 1%: {share}");
}
