//! `assay classify` through the binary, on ledgers written by the committed generator:
//! conservation of amounts per organisation, agreement with an independent aggregation
//! written here, byte-identical output whatever the thread count or chunk size, and the
//! bad-row policies.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "test code: failing loudly is the point")]

mod common;

#[allow(dead_code, reason = "the test uses the generator's functions, not its main")]
#[path = "../examples/gen_ledger.rs"]
mod gen_ledger;

use common::{assay, assay_in, assay_with_env, dec, ok_json, ok_stdout, repo, stderr};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `assay classify ARGS` from the repository root, with these environment variables.
fn classify(args: &[&str], envs: &[(&str, &str)]) -> Output {
    assay_with_env(repo(), &[&["classify"], args].concat(), envs)
}

/// A generated ledger in a fresh folder.
fn ledger(rows: u64, orgs: u64) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.csv");
    let mut f = std::fs::File::create(&path).unwrap();
    gen_ledger::generate(rows, &gen_ledger::Owners::synthetic(orgs), 7, &mut f).unwrap();
    (dir, path)
}

const PARTIAL: &[&str] =
    &["--rules", "rules", "tests/data/classify/partial.assay", "--table", "ledger_activity_partial"];

fn run_partial(data: &Path, extra: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut args: Vec<&str> = PARTIAL.to_vec();
    args.extend(["--data", data.to_str().unwrap()]);
    args.extend(extra);
    let out = classify(&args, envs);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    out
}

/// The ledger's lines as (organisation, year, cost centre, account, amount), read with the
/// csv crate rather than Assay's reader.
fn lines(path: &Path) -> Vec<(String, String, String, String, Decimal)> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].into(), r[1].into(), r[2].into(), r[3].into(), dec(&r[4]))
        })
        .collect()
}

/// `tests/data/classify/partial.assay`, written again as plain Rust: (function, activity, class).
fn reference_row(cc: &str, account: &str, amount: Decimal) -> Option<(&'static str, &'static str, &'static str)> {
    let in_range = |lo: &str, hi: &str| account >= lo && account <= hi;
    if cc.starts_with("FIN-AP") {
        Some(("finance", "cash_disbursements", "transactional"))
    } else if cc.starts_with("FIN-AR") && amount < Decimal::ZERO {
        Some(("finance", "cash_application", "operational"))
    } else if cc.starts_with("FIN-AR") {
        Some(("finance", "customer_billing", "transactional"))
    } else if cc.starts_with("PAY-") {
        Some(("finance", "payroll_services", "transactional"))
    } else if cc.starts_with("IT-SD-") || cc.starts_with("IT-HD-") {
        Some(("information_technology", "it_service_desk", "transactional"))
    } else if cc.starts_with("IT-APP") && in_range("6400", "6499") {
        Some(("information_technology", "application_maintenance_and_support", "transactional"))
    } else if cc == "HR-DIR" || cc == "HR-EXEC" {
        Some(("human_resources", "hr_director", "strategic"))
    } else if cc.starts_with("PRC-") && in_range("5000", "5999") {
        Some(("procurement", "purchase_order_processing", "transactional"))
    } else {
        None
    }
}

type Key = (String, String, String, String, String, String);

/// The ledger's aggregates as `reference_row` classifies its lines.
#[allow(clippy::arithmetic_side_effects, reason = "test sums of a generated ledger, far from overflow")]
fn reference_aggregates(path: &Path) -> BTreeMap<Key, (Decimal, u64)> {
    let mut want: BTreeMap<Key, (Decimal, u64)> = BTreeMap::new();
    for (org, year, cc, account, amount) in lines(path) {
        let key = match reference_row(&cc, &account, amount) {
            Some((f, a, c)) => (org, year, "true".into(), f.into(), a.into(), c.into()),
            None => (org, year, "false".into(), String::new(), String::new(), String::new()),
        };
        let e = want.entry(key).or_insert((Decimal::ZERO, 0));
        e.0 += amount;
        e.1 += 1;
    }
    want
}

/// Assay's CSV output as rows keyed by (organisation, year, classified, function, activity, class).
fn parse_output(text: &str) -> BTreeMap<Key, (Decimal, u64)> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        ["organisation", "year", "classified", "function", "activity", "class", "amount", "records"]
    );
    let mut out = BTreeMap::new();
    for r in reader.records() {
        let r = r.unwrap();
        let key = (r[0].into(), r[1].into(), r[2].into(), r[3].into(), r[4].into(), r[5].into());
        let old = out.insert(key, (dec(&r[6]), r[7].parse().unwrap()));
        assert!(old.is_none(), "a row appears twice: {r:?}");
    }
    out
}

#[test]
fn aggregates_agree_row_by_row_with_an_independent_aggregation() {
    let (_dir, path) = ledger(30_000, 6);
    let out = run_partial(&path, &[], &[("ASSAY_CHUNK_BYTES", "65536")]);
    let got = parse_output(&String::from_utf8(out.stdout).unwrap());
    let want = reference_aggregates(&path);
    assert_eq!(got.len(), want.len());
    for (key, value) in &want {
        assert_eq!(got.get(key), Some(value), "{key:?}");
    }
}

/// A ledger whose cost centres never repeat (each line's given a suffix of its own, which
/// keeps its prefix): a chunk stops remembering the cost centres it matched, and the
/// aggregates still agree with the independent aggregation.
#[test]
fn distinct_cost_centres_are_classified_as_the_reference_does() {
    let (dir, path) = ledger(30_000, 6);
    let distinct = dir.path().join("distinct.csv");
    let mut reader = csv::Reader::from_path(&path).unwrap();
    let mut writer = csv::Writer::from_path(&distinct).unwrap();
    writer.write_record(reader.headers().unwrap()).unwrap();
    for (i, r) in reader.records().enumerate() {
        let r = r.unwrap();
        let cc = format!("{}-{i:06}", &r[2]);
        let mut fields: Vec<&str> = r.iter().collect();
        fields[2] = &cc;
        writer.write_record(&fields).unwrap();
    }
    writer.flush().unwrap();
    let out = run_partial(&distinct, &[], &[]);
    let got = parse_output(&String::from_utf8(out.stdout).unwrap());
    let want = reference_aggregates(&distinct);
    assert!(want.keys().any(|k| k.2 == "true") && want.keys().any(|k| k.2 == "false"));
    assert_eq!(got, want);
}

#[test]
fn classified_plus_unclassified_is_the_input_total_per_organisation() {
    let (_dir, path) = ledger(25_000, 5);
    let out = run_partial(&path, &["--format", "json"], &[("ASSAY_CHUNK_BYTES", "32768")]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut input: BTreeMap<String, Decimal> = BTreeMap::new();
    for (org, _, _, _, amount) in lines(&path) {
        *input.entry(org).or_default() += amount;
    }
    let mut output: BTreeMap<String, Decimal> = BTreeMap::new();
    let amount = |r: &serde_json::Value| dec(r["amount"].as_str().unwrap());
    for r in doc["rows"].as_array().unwrap() {
        *output.entry(r["organisation"].as_str().unwrap().into()).or_default() += amount(r);
    }
    let unclassified = doc["unclassified"]["by_entity"].as_array().unwrap();
    assert!(!unclassified.is_empty(), "the generated ledger has unclassified lines");
    for r in unclassified {
        *output.entry(r["organisation"].as_str().unwrap().into()).or_default() += amount(r);
    }
    assert_eq!(input, output, "every penny of every organisation is classified or reported");
    let counts = &doc["counts"];
    assert_eq!(counts["read"], 25_000);
    assert_eq!(counts["classified"].as_u64().unwrap() + counts["unclassified"].as_u64().unwrap(), 25_000);
    assert_eq!(doc["unclassified"]["examples"].as_array().unwrap().len(), 5);
    assert!(doc["stamp"]["data"][0]["sha256"].as_str().unwrap().len() == 64);
}

#[test]
fn output_is_byte_identical_whatever_the_threads_and_chunks() {
    let (_dir, path) = ledger(20_000, 4);
    let one = run_partial(&path, &[], &[("RAYON_NUM_THREADS", "1"), ("ASSAY_CHUNK_BYTES", "16384")]);
    let two = run_partial(&path, &[], &[("RAYON_NUM_THREADS", "2"), ("ASSAY_CHUNK_BYTES", "16384")]);
    let big = run_partial(&path, &[], &[("RAYON_NUM_THREADS", "2")]);
    assert_eq!(one.stdout, two.stdout);
    assert_eq!(one.stdout, big.stdout);
    assert_eq!(one.stderr, two.stderr, "the unclassified report too");
    let json = ["--format", "json"];
    let a = run_partial(&path, &json, &[("RAYON_NUM_THREADS", "1"), ("ASSAY_CHUNK_BYTES", "8192")]);
    let b = run_partial(&path, &json, &[("RAYON_NUM_THREADS", "2")]);
    assert_eq!(a.stdout, b.stdout);
}

/// `ASSAY_TIMINGS=1` shows where the time went, stage by stage, and changes nothing else.
#[test]
fn timings_name_each_stage_and_change_no_figure() {
    let (_dir, path) = ledger(20_000, 4);
    let plain = run_partial(&path, &[], &[("ASSAY_CHUNK_BYTES", "65536")]);
    let timed = run_partial(&path, &[], &[("ASSAY_CHUNK_BYTES", "65536"), ("ASSAY_TIMINGS", "1")]);
    assert_eq!(plain.stdout, timed.stdout);
    let err = stderr(&timed);
    for stage in [
        "timing: read: ",
        "timing: split ",
        ", convert ",
        ", match ",
        ", sum ",
        "timing: merge: ",
        "timing: render and write: ",
    ] {
        assert!(err.contains(stage), "no `{stage}` in:\n{err}");
    }
    assert!(!stderr(&plain).contains("timing:"));
}

#[test]
fn the_shipped_table_classifies_the_example_ledger() {
    // No `--data`: the rules' default data folder, which holds the example ledger.
    let got = parse_output(&ok_stdout(&classify(&["--table", "ledger_activity"], &[])));
    assert!(got.keys().any(|k| k.4 == "cash_disbursements" && k.3 == "finance"));
    assert!(got.keys().all(|k| k.2 == "true"), "the library table has a catch-all row");
}

/// The same query in DuckDB. `benches/duckdb-venv.sh` installs DuckDB into
/// `target/bench-venv` (from PyPI) when it is not there; under CI (`CI` set, as `.ci/run`
/// runs) a DuckDB that cannot be had fails the test rather than skipping it.
#[test]
fn duckdb_agrees_on_a_small_ledger() {
    let found = common::venv::setup(&[]);
    let Some(python) = common::venv::or_skip(&found, "DuckDB (benches/duckdb-venv.sh)") else { return };
    let (dir, path) = ledger(10_000, 3);
    let assay_csv = dir.path().join("assay.csv");
    let duck_csv = dir.path().join("duckdb.csv");
    let out = classify(
        &["--table", "ledger_activity", "--data", path.to_str().unwrap(), "--output", assay_csv.to_str().unwrap()],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let run = |args: &[&str]| Command::new(python).current_dir(repo()).args(args).output().unwrap();
    let q = run(&["benches/classify/classify_duckdb.py", path.to_str().unwrap(), duck_csv.to_str().unwrap(), "rules"]);
    assert!(q.status.success(), "{}", String::from_utf8_lossy(&q.stderr));
    let c = run(&["benches/classify/compare.py", assay_csv.to_str().unwrap(), duck_csv.to_str().unwrap()]);
    assert!(c.status.success(), "{}", String::from_utf8_lossy(&c.stdout));
}

/// A dataset `from classify` feeds KPIs in `assay eval`: the example's class shares of each
/// organisation add up to 100% (the library table has a catch-all row), and the ledger
/// spend it sums is the ledger's, to the penny.
#[test]
fn eval_reads_the_aggregates_of_a_table_as_a_dataset() {
    let doc = ok_json(&assay(&[
        "eval",
        "--rules",
        "rules",
        "examples/ledger",
        "--select",
        "class_share",
        "--format",
        "json",
    ]));
    let mut shares: BTreeMap<String, Decimal> = BTreeMap::new();
    for f in doc["figures"].as_array().unwrap() {
        let v = dec(f["value"].as_str().unwrap());
        *shares.entry(f["entity"].as_str().unwrap().into()).or_default() += v;
    }
    assert_eq!(shares.len(), 315);
    for (org, total) in shares {
        assert!((total - Decimal::from(100)).abs() < dec("0.000000001"), "{org}: {total}");
    }
    let text = ok_stdout(&assay(&[
        "eval",
        "--rules",
        "rules",
        "examples/ledger",
        "--select",
        "shareable_spend",
        "--format",
        "csv",
    ]));
    let mut want: BTreeMap<String, Decimal> = BTreeMap::new();
    for (org, _, cc, _, amount) in lines(&repo().join("examples/qipp-2009-10/ledger.csv")) {
        if classify_line_is_transactional(&cc, amount) {
            *want.entry(org).or_default() += amount;
        }
    }
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut got: BTreeMap<String, Decimal> = BTreeMap::new();
    // Figure rows only: the stamp rows (tool, rule and data files) follow them.
    for r in reader.records() {
        let r = r.unwrap();
        if &r[0] == "figure" {
            got.insert(r[2].into(), dec(&r[6]));
        }
    }
    for (org, amount) in &want {
        assert_eq!(got.get(org), Some(amount), "{org}");
    }
}

/// Whether the library's `ledger_activity` puts a line in a transactional activity (its
/// transactional rows, as plain Rust; first match wins, so the operational and strategic
/// rows that come earlier are excluded first; both IT-APP rows are transactional, so the
/// account does not matter here).
fn classify_line_is_transactional(cc: &str, amount: Decimal) -> bool {
    let tax_other = cc.starts_with("FIN-TAX-REG") || cc.starts_with("FIN-TAX-VAT");
    if cc.starts_with("FIN-AR") {
        return amount >= Decimal::ZERO;
    }
    if tax_other {
        return false;
    }
    let transactional = [
        "FIN-AP", "FIN-COL", "FIN-TAX", "PAY-", "HR-BEN", "HR-REC", "HR-ADV", "IT-SD-", "IT-HD-", "IT-INF-", "IT-NET-",
        "IT-DC-", "IT-APP", "PRC-CAT", "PRC-REQ", "PRC-PO", "PRC-RCP", "PRC-SUP",
    ];
    cc == "FIN-GL" || cc == "FIN-PAY" || cc == "FIN-PAYROLL" || transactional.iter().any(|p| cc.starts_with(p))
}

#[test]
fn committed_example_ledger_is_what_the_generator_writes() {
    let codes: Vec<String> = std::fs::read_to_string(repo().join("examples/qipp-2009-10/benchmark.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next().map(str::to_string))
        .collect();
    let owners = gen_ledger::Owners { codes, periods: vec!["2009/10".into()] };
    let mut written = Vec::new();
    gen_ledger::generate(12_600, &owners, 2010, &mut written).unwrap();
    let committed = std::fs::read(repo().join("examples/qipp-2009-10/ledger.csv")).unwrap();
    assert!(written == committed, "regenerate with `cargo run --release --example gen_ledger`");
}

/// Under `on_bad_row reject` nothing is written, not even a partial file; under `warn` the
/// bad rows are counted, and the counts add up.
#[test]
fn bad_rows_leave_no_output_under_reject_and_are_counted_under_warn() {
    let dir = tempfile::tempdir().unwrap();
    let out_file = dir.path().join("out.csv");
    let run = |fixture: &str, extra: &[&str]| {
        let folder = repo().join("tests/fixtures/classify").join(fixture);
        let mut args = vec!["classify", "--rules", "main.assay", "--data", "data", "--table", "pools"];
        args.extend(extra);
        assay_in(&folder, &args)
    };
    let rejected = run("bad_rows_reject", &["--output", out_file.to_str().unwrap()]);
    assert_eq!(rejected.status.code(), Some(1));
    assert!(!out_file.exists(), "nothing is written on failure");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "no temporary file is left either");
    let warned = run("bad_rows_warn", &["--format", "json"]);
    assert_eq!(warned.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_slice(&warned.stdout).unwrap();
    let c = &doc["counts"];
    assert_eq!((c["read"].as_u64(), c["skipped"].as_u64(), c["used"].as_u64()), (Some(6), Some(4), Some(2)));
    let stderr = String::from_utf8_lossy(&warned.stderr);
    for place in ["data/lines.csv:3:4", "data/lines.csv:4", "data/lines.csv:6:1", "data/lines.csv:7:4"] {
        assert!(stderr.contains(place), "{place} in {stderr}");
    }
}

/// `--records` writes every ledger line as the table classified it: each line agrees with
/// the reference classification, points at the table row that gave its outputs, and the
/// lines add up to the aggregates exactly; whatever the threads and chunks, the same bytes.
#[test]
#[allow(clippy::arithmetic_side_effects, reason = "test sums of a generated ledger, far from overflow")]
fn records_are_each_line_as_classified_and_add_up_to_the_aggregates() {
    let (dir, path) = ledger(20_000, 4);
    let records = dir.path().join("records.csv");
    let aggregates = dir.path().join("aggregates.csv");
    let (r, a) = (records.to_str().unwrap(), aggregates.to_str().unwrap());
    let small = [("RAYON_NUM_THREADS", "2"), ("ASSAY_CHUNK_BYTES", "16384")];
    run_partial(&path, &["--records", r, "--output", a], &small);
    let text = std::fs::read_to_string(&records).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "line",
            "organisation",
            "year",
            "cost_centre",
            "account",
            "amount",
            "status",
            "rows",
            "rules",
            "function",
            "activity",
            "class"
        ]
    );
    let ledger_lines = lines(&path);
    // Where each record starts (a quoted description may run over several lines).
    let starts: Vec<usize> = {
        let mut reader = csv::Reader::from_path(&path).unwrap();
        let mut record = csv::ByteRecord::new();
        let mut starts = Vec::new();
        while reader.read_byte_record(&mut record).unwrap() {
            starts.push(usize::try_from(record.position().unwrap().line()).unwrap());
        }
        starts
    };
    assert!(starts.windows(2).any(|w| w[1] > w[0] + 1), "the ledger has records over several lines");
    let table = std::fs::read_to_string(repo().join("tests/data/classify/partial.assay")).unwrap();
    let table_lines: Vec<&str> = table.lines().collect();
    let mut sums: BTreeMap<Key, (Decimal, u64)> = BTreeMap::new();
    let mut seen = 0usize;
    for (n, r) in reader.records().enumerate() {
        let r = r.unwrap();
        let line: usize = r[0].parse().unwrap();
        assert_eq!(line, starts[n], "one line per record, in file order (a `hit first` table)");
        let (org, year, cc, account, amount) = &ledger_lines[n];
        assert_eq!((&r[1], &r[2], &r[3], &r[4]), (org.as_str(), year.as_str(), cc.as_str(), account.as_str()));
        assert_eq!(dec(&r[5]), *amount, "line {line}: the amount as read");
        let want = reference_row(cc, account, *amount);
        match want {
            Some((f, act, class)) => {
                assert_eq!((&r[6], &r[9], &r[10], &r[11]), ("classified", f, act, class), "line {line}");
                let (file, at) = r[8].rsplit_once(':').unwrap();
                assert_eq!(file, "tests/data/classify/partial.assay");
                let written = table_lines[at.parse::<usize>().unwrap() - 1];
                assert!(written.contains(&format!(" {act} ")), "line {line}: row {} is `{written}`", &r[7]);
                assert_eq!(written.trim_start().chars().next(), Some('|'), "a table row");
            }
            None => assert_eq!((&r[6], &r[7], &r[8], &r[10]), ("unclassified", "", "", ""), "line {line}"),
        }
        let key = (org.clone(), year.clone(), (want.is_some()).to_string(), r[9].into(), r[10].into(), r[11].into());
        let e = sums.entry(key).or_insert((Decimal::ZERO, 0));
        e.0 += dec(&r[5]);
        e.1 += 1;
        seen += 1;
    }
    assert_eq!(seen, ledger_lines.len());
    assert!(sums.keys().any(|k| k.2 == "false") && sums.keys().any(|k| k.2 == "true"), "both kinds of line");
    assert_eq!(sums, parse_output(&std::fs::read_to_string(&aggregates).unwrap()));
    let again = dir.path().join("again.csv");
    run_partial(&path, &["--records", again.to_str().unwrap()], &[("RAYON_NUM_THREADS", "1")]);
    assert!(std::fs::read(&again).unwrap() == text.as_bytes(), "the same bytes with one thread and large chunks");
}

/// A run that fails leaves no records file (nor a temporary one); a records file into a
/// missing folder, or onto the aggregates' own file, is refused before the work.
#[test]
fn records_are_written_whole_or_not_at_all() {
    let dir = tempfile::tempdir().unwrap();
    let records = dir.path().join("records.csv");
    let folder = repo().join("tests/fixtures/classify/bad_rows_reject");
    let args = ["classify", "--rules", "main.assay", "--data", "data", "--table", "pools"];
    let failed = assay_in(&folder, &[&args[..], &["--records", records.to_str().unwrap()]].concat());
    assert_eq!(failed.status.code(), Some(1), "{}", stderr(&failed));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "nothing is left in the folder");
    let missing = dir.path().join("no/such/records.csv");
    let refused = classify(&["--table", "ledger_activity", "--records", missing.to_str().unwrap()], &[]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(stderr(&refused).contains("output-error") && stderr(&refused).contains("no/such"), "{}", stderr(&refused));
    let same = classify(
        &["--table", "ledger_activity", "--records", records.to_str().unwrap(), "--output", records.to_str().unwrap()],
        &[],
    );
    assert_eq!(same.status.code(), Some(1));
    assert!(stderr(&same).contains("`--records` and `--output` are"), "{}", stderr(&same));
    let dash = classify(&["--table", "ledger_activity", "--records", "-"], &[]);
    assert_eq!(dash.status.code(), Some(1));
    assert!(stderr(&dash).contains("not standard output"), "{}", stderr(&dash));
    assert!(!repo().join("-").exists(), "no file named `-`");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "nothing is left in the folder");
}

/// `--records` over the classify fixtures: lines `skipped` as bad under `warn`, `excluded`
/// by the dataset's rules, and a line per pool under `hit collect` (with the rows that gave
/// it), as a reviewer reads them.
#[test]
fn records_show_skipped_excluded_and_collected_lines() {
    for (fixture, table) in
        [("bad_rows_warn", "pools"), ("excluded_rows", "pools"), ("staff_records_collect", "staff_pools")]
    {
        let dir = tempfile::tempdir().unwrap();
        let records = dir.path().join("records.csv");
        let folder = repo().join("tests/fixtures/classify").join(fixture);
        let args = ["classify", "--rules", "main.assay", "--data", "data", "--table", table];
        let out = assay_in(&folder, &[&args[..], &["--records", records.to_str().unwrap()]].concat());
        assert_eq!(out.status.code(), Some(0), "{fixture}: {}", stderr(&out));
        insta::assert_snapshot!(format!("records_{fixture}"), std::fs::read_to_string(&records).unwrap());
    }
}
