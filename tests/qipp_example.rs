//! The shipped example data (`examples/qipp-2009-10`): it is exactly what the generator
//! writes, it holds the calibration its README states, and the engine's national-average
//! savings over it equal figures worked out here from the CSV, independently of the engine.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "test code: failing loudly is the point"
)]

mod common;

#[path = "../examples/gen_qipp.rs"]
mod gen_qipp;

use common::{assay, assay_with_env, dec, ok_json, ok_stdout, repo, stderr};
use rust_decimal::Decimal;
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::path::Path;

const DATA: &str = "examples/qipp-2009-10";

// ---------------------------------------------------------------------------------------
// The source's figures, written out here rather than read from rules/, so the test checks
// the data against the source and not against itself.

/// `Type` column → (member of `org_type` in rules/sets.assay, group of Tables 5 and 6,
/// return rate of Table 4).
const TYPES: [(&str, &str, &str, &str); 9] = [
    ("Acute trust", "acute", "Acute", "0.87"),
    ("Acute foundation trust", "acute_ft", "Acute FT", "0.58"),
    ("PCT – undifferentiated", "pct_undifferentiated", "PCT", "0.92"),
    ("PCT – commissioner", "pct_commissioner", "PCT", "0.92"),
    ("PCT – provider", "pct_provider", "PCT", "0.92"),
    ("Mental health trust", "mental_health", "MH trust", "1"),
    ("Mental health foundation trust", "mental_health_ft", "MH FT", "0.53"),
    ("Ambulance trust", "ambulance", "Ambulance trust", "0.82"),
    ("Community trust", "community", "Community trust", "1"),
];

/// Table 5: spend on back-office functions by group, £m.
const TABLE_5: [(&str, &str); 7] = [
    ("Acute", "738.2"),
    ("Acute FT", "700.0"),
    ("PCT", "958.6"),
    ("MH trust", "113.6"),
    ("MH FT", "222.0"),
    ("Community trust", "9.9"),
    ("Ambulance trust", "74.4"),
];

/// Table 6: national-average savings by group, £m (no community figure).
const TABLE_6: [(&str, &str); 6] = [
    ("Acute", "110.1"),
    ("Acute FT", "118.7"),
    ("Ambulance trust", "11.4"),
    ("MH trust", "24.0"),
    ("MH FT", "39.4"),
    ("PCT", "312.6"),
];

/// Column title → member of `qipp_function`.
const FUNCTIONS: [(&str, &str); 7] = [
    ("Finance", "finance"),
    ("HR", "human_resources"),
    ("IM&T", "information_technology"),
    ("Procurement", "procurement"),
    ("Estates", "estates"),
    ("Payroll", "payroll"),
    ("Governance and risk", "governance_and_risk"),
];

fn type_of(title: &str) -> (&'static str, &'static str, Decimal) {
    let t = TYPES.iter().find(|t| t.0 == title).unwrap_or_else(|| panic!("unknown type {title}"));
    (t.1, t.2, dec(t.3))
}

// ---------------------------------------------------------------------------------------
// The CSV, read here with the csv crate and exact decimals.

struct Org {
    code: String,
    org_type: &'static str,
    group: &'static str,
    rate: Decimal,
    turnover: Decimal,
    cost: [Option<Decimal>; 7],
    fte: [Option<Decimal>; 7],
    shared: [Option<Decimal>; 7],
}

fn cell(text: &str) -> Option<Decimal> {
    let t = text.trim();
    if t.is_empty() || t == "Not Applicable" {
        return None;
    }
    Some(dec(&t.replace(',', "")))
}

fn read_orgs(path: &Path) -> Vec<Org> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let headers = r.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}"));
    let (code, year, ty, turnover) = (col("Code"), col("Year"), col("Type"), col("Turnover"));
    let per = |suffix: &str| FUNCTIONS.map(|(f, _)| col(&format!("{f} {suffix}")));
    let (cost, fte, shared) = (per("cost"), per("FTE"), per("shared or outsourced cost"));
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            assert_eq!(&rec[year], "2009/10");
            let (org_type, group, rate) = type_of(&rec[ty]);
            Org {
                code: rec[code].to_string(),
                org_type,
                group,
                rate,
                turnover: cell(&rec[turnover]).unwrap(),
                cost: cost.map(|i| cell(&rec[i])),
                fte: fte.map(|i| cell(&rec[i])),
                shared: shared.map(|i| cell(&rec[i])),
            }
        })
        .collect()
}

fn example() -> Vec<Org> {
    read_orgs(&repo().join(DATA).join("benchmark.csv"))
}

// ---------------------------------------------------------------------------------------
// The generator.

#[test]
fn committed_example_is_what_the_generator_writes() {
    let mut generated = Vec::new();
    gen_qipp::generate(gen_qipp::DEFAULT_ORGS, gen_qipp::DEFAULT_SEED, &mut generated).unwrap();
    let committed = std::fs::read(repo().join(DATA).join("benchmark.csv")).unwrap();
    assert!(
        generated == committed,
        "examples/qipp-2009-10/benchmark.csv is not what `cargo run --release --example gen_qipp` writes; rerun it"
    );
    let notice = std::fs::read_to_string(repo().join(DATA).join("NOTICE")).unwrap();
    assert_eq!(notice.trim_end(), gen_qipp::notice(gen_qipp::DEFAULT_ORGS, gen_qipp::DEFAULT_SEED));
    assert!(notice.starts_with("SYNTHETIC"));
}

#[test]
fn generator_is_deterministic_and_seeded() {
    let run = |orgs, seed| {
        let mut v = Vec::new();
        gen_qipp::generate(orgs, seed, &mut v).unwrap();
        v
    };
    // 5,000 organisations make two chunks per large type, so chunking is exercised.
    assert!(run(5_000, 7) == run(5_000, 7));
    assert!(run(5_000, 7) != run(5_000, 8));
    assert_eq!(run(5_000, 7).iter().filter(|&&b| b == b'\n').count(), 5_001);
    // Rows are a function of the seed, the type and the index within the type only.
    let small = String::from_utf8(run(315, 3)).unwrap();
    let codes: Vec<&str> = small.lines().skip(1).map(|l| l.split(',').next().unwrap()).collect();
    assert_eq!(codes.len(), 315);
    let mut unique = codes.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), 315, "organisation codes are unique");
}

#[test]
fn generator_arguments() {
    let args = |a: &[&str]| gen_qipp::parse_args(a.iter().map(|s| s.to_string()));
    assert_eq!(args(&[]).unwrap(), Some(gen_qipp::Options::default()));
    let o = args(&["--orgs", "1_000_000", "--seed=5", "--out", "/tmp/x"]).unwrap().unwrap();
    assert_eq!((o.orgs, o.seed, o.out.to_str()), (1_000_000, 5, Some("/tmp/x")));
    assert_eq!(args(&["--help"]).unwrap(), None);
    assert!(args(&["--orgs"]).is_err());
    assert!(args(&["--orgs", "many"]).is_err());
    assert!(args(&["--orgs", "0"]).is_err());
    assert!(args(&["--frobnicate", "1"]).is_err());
}

/// Table 4: the assumed eligible counts give each type's return rate (rounded), 315
/// respondents in all and 78% overall (s5.1); scaled files keep the proportions.
#[test]
fn organisations_per_type_follow_table_4() {
    let table = gen_qipp::respondents();
    for (title, respondents, eligible, rate) in &table {
        let (_, _, source_rate) = type_of(title);
        assert_eq!(Decimal::from(*rate) / Decimal::from(100), source_rate, "{title}");
        let achieved = Decimal::from(100 * respondents) / Decimal::from(*eligible);
        assert_eq!(achieved.round(), Decimal::from(*rate), "{title}: {respondents}/{eligible}");
    }
    let respondents: u64 = table.iter().map(|t| t.1).sum();
    let eligible: u64 = table.iter().map(|t| t.2).sum();
    assert_eq!(respondents, 315);
    assert_eq!((Decimal::from(100 * respondents) / Decimal::from(eligible)).round(), Decimal::from(78));

    let orgs = example();
    for (title, respondents, _, _) in &table {
        let (member, _, _) = type_of(title);
        assert_eq!(orgs.iter().filter(|o| o.org_type == member).count() as u64, *respondents, "{title}");
    }
    for n in [1, 10, 1_000, 100_000, 1_000_000] {
        let counts = gen_qipp::type_counts(n);
        assert_eq!(counts.iter().sum::<u64>(), n);
        for (c, t) in counts.iter().zip(&table) {
            let exact = n as f64 * t.1 as f64 / 315.0;
            assert!((*c as f64 - exact).abs() < 1.0, "{n} orgs: {} gets {c}", t.0);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Calibration, worked from the committed CSV.

fn sum(it: impl Iterator<Item = Decimal>) -> Decimal {
    it.fold(Decimal::ZERO, |a, b| a + b)
}

fn back_office(o: &Org) -> Decimal {
    sum(o.cost.iter().flatten().copied())
}

fn pct(x: Decimal) -> String {
    format!("{:.2}%", (x * Decimal::from(100)).round_dp(2))
}

/// The calibration the README's table reports (print it with `cargo test --test
/// qipp_example calibration -- --nocapture`).
#[test]
fn calibration_holds_on_the_committed_file() {
    let orgs = example();
    let million = Decimal::from(1_000_000);
    println!("| group | organisations | spend extrapolated (£m) | Table 5 (£m) | difference | back office % of turnover | cost per back-office FTE | shared or outsourced |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    let mut all_spend = Decimal::ZERO;
    let mut all_shared = Decimal::ZERO;
    for (group, table_5) in TABLE_5 {
        let members: Vec<&Org> = orgs.iter().filter(|o| o.group == group).collect();
        // Extrapolated to 100%: each organisation's spend divided by its type's return rate.
        let spend = sum(members.iter().map(|o| back_office(o) / o.rate));
        let shared = sum(members.iter().map(|o| sum(o.shared.iter().flatten().copied()) / o.rate));
        all_spend += spend;
        all_shared += shared;
        let target = dec(table_5) * million;
        let diff = (spend - target) / target;
        assert!(diff.abs() < dec("0.05"), "{group}: extrapolated spend £{spend:.0} is not within 5% of £{target}");

        // Back office as a share of turnover (s1, s5.3): PCTs about 9%, mental health 4.6%,
        // acute and other providers about 3%.
        let cost = sum(members.iter().map(|o| back_office(o)));
        let share = cost / sum(members.iter().map(|o| o.turnover));
        let (lo, hi) = match group {
            "PCT" => ("0.085", "0.095"),
            "MH trust" | "MH FT" => ("0.042", "0.050"),
            _ => ("0.027", "0.033"),
        };
        assert!(share >= dec(lo) && share <= dec(hi), "{group}: back office is {} of turnover", pct(share));

        // Cost per back-office FTE: £40–50k (s1, s5.5).
        let fte = sum(members.iter().flat_map(|o| o.fte.iter().flatten().copied()));
        let per_fte = cost / fte;
        assert!(per_fte >= dec("40000") && per_fte <= dec("50000"), "{group}: £{per_fte:.0} per FTE");
        println!(
            "| {group} | {} | {:.1} | {table_5} | {} | {} | £{:.0} | {} |",
            members.len(),
            (spend / million).round_dp(1),
            pct(diff),
            pct(share),
            per_fte.round(),
            pct(shared / spend)
        );
    }
    let total = dec("2820") * million;
    assert!(((all_spend - total) / total).abs() < dec("0.01"), "total £{all_spend:.0} against £2.82bn");
    // About 13% shared or outsourced (£370m, s5.4).
    let shared_share = all_shared / all_spend;
    assert!(shared_share >= dec("0.11") && shared_share <= dec("0.15"), "shared {}", pct(shared_share));
    println!(
        "| all | {} | {:.1} | 2816.7 (£2.82bn) | | | | {} (£{:.0}m) |",
        orgs.len(),
        (all_spend / million).round_dp(1),
        pct(shared_share),
        (all_shared / million).round()
    );

    // By function: governance the highest cost per FTE, payroll the lowest (s5.5); IM&T
    // then finance the most shared or outsourced (s5.4).
    println!("\n| function | cost per FTE | shared or outsourced (£m, extrapolated) | acute FT cost % of turnover |");
    println!("|---|---:|---:|---:|");
    let acute_ft_turnover = sum(orgs.iter().filter(|o| o.org_type == "acute_ft").map(|o| o.turnover));
    let mut per_fte = Vec::new();
    let mut shared = Vec::new();
    for (i, (title, member)) in FUNCTIONS.iter().enumerate() {
        let cost = sum(orgs.iter().filter_map(|o| o.cost[i]));
        let fte = sum(orgs.iter().filter_map(|o| o.fte[i]));
        let s = sum(orgs.iter().filter_map(|o| o.shared[i].map(|x| x / o.rate)));
        let ft = sum(orgs.iter().filter(|o| o.org_type == "acute_ft").filter_map(|o| o.cost[i])) / acute_ft_turnover;
        println!("| {title} | £{:.0} | {:.1} | {} |", (cost / fte).round(), (s / million).round_dp(1), pct(ft));
        per_fte.push((cost / fte, *member));
        shared.push((s, *member));
    }
    per_fte.sort();
    shared.sort();
    assert_eq!(per_fte.first().unwrap().1, "payroll");
    assert_eq!(per_fte.last().unwrap().1, "governance_and_risk");
    assert_eq!(shared.iter().rev().take(2).map(|s| s.1).collect::<Vec<_>>(), ["information_technology", "finance"]);
}

// ---------------------------------------------------------------------------------------
// The engine over the example.

#[test]
fn default_eval_reads_the_example_and_says_it_is_synthetic() {
    // `cargo run --release -- eval`: rules/ and examples/qipp-2009-10 by default.
    let out = ok_stdout(&assay(&["eval"]));
    assert!(out.lines().next().unwrap().contains("SYNTHETIC"), "{out}");
    assert!(out.contains("dataset benchmark: 315 rows read, 315 used, 0 skipped"), "{out}");
    assert!(out.contains("Total saving by org_type and qipp_function"), "{out}");
}

/// The header line of the table that follows the line `title`.
fn table_header<'a>(out: &'a str, title: &str) -> &'a str {
    let mut lines = out.lines().skip_while(|l| !l.starts_with(title));
    assert!(lines.next().is_some(), "no table `{title}` in:\n{out}");
    lines.next().unwrap()
}

#[test]
fn savings_by_type_and_function_side_by_side() {
    let out =
        ok_stdout(&assay(&["eval", "--data", DATA, "--methodology", "national_average,top_quartile,best_in_class"]));
    assert!(out.starts_with("NOTE: SYNTHETIC DATA"), "{out}");
    let header = table_header(&out, "Total saving by org_type and qipp_function");
    for word in ["org_type", "qipp_function", "national_average", "top_quartile", "best_in_class"] {
        assert!(header.contains(word), "{header}");
    }
    // best_in_class also totals by Hackett level (median, best in class) and type.
    let header = table_header(&out, "Total saving_by_level by hackett_level and org_type");
    assert!(header.contains("best_in_class"), "{header}");
    let header = table_header(&out, "Total saving by org_type,");
    assert!(header.contains("national_average") && header.contains("top_quartile"), "{header}");
    for member in ["acute_ft", "pct_provider", "mental_health_ft", "ambulance"] {
        assert!(out.lines().any(|l| l.starts_with(member) && l.contains('£')), "{member}");
    }
}

/// National-average savings worked here from the CSV, as rules/methodologies/
/// national_average.assay defines them: peers of the same `org_type` (the three kinds of PCT
/// apart), at least 4 of them; per function, cost share = cost / turnover; drop floor(n ×
/// 25%) organisations from each end (equal shares ordered by code), average the rest;
/// saving = max(0, share − average) × turnover; totals divided by the type's return rate.
fn national_average(orgs: &[Org]) -> BTreeMap<(&'static str, &'static str), Option<Decimal>> {
    let mut out = BTreeMap::new();
    for (_, member, _, _) in TYPES {
        let peers: Vec<&Org> = orgs.iter().filter(|o| o.org_type == member).collect();
        for (i, (_, function)) in FUNCTIONS.iter().enumerate() {
            // missing: skip — an organisation without the cost is left out.
            let mut shares: Vec<(Decimal, &str, &Org)> =
                peers.iter().filter_map(|o| o.cost[i].map(|c| (c / o.turnover, o.code.as_str(), *o))).collect();
            if peers.len() < 4 {
                out.insert((member, *function), None);
                continue;
            }
            shares.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(b.1)));
            let drop = shares.len() / 4;
            let kept = &shares[drop..shares.len() - drop];
            let target = sum(kept.iter().map(|s| s.0)) / Decimal::from(kept.len());
            let saving = sum(shares.iter().map(|(share, _, o)| (*share - target).max(Decimal::ZERO) * o.turnover));
            let rate = peers[0].rate;
            out.insert((member, *function), Some(saving / rate));
        }
    }
    out
}

fn totals<'a>(json: &'a Json, methodology: &str, by: &[&str]) -> Vec<&'a Json> {
    json["totals"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| {
            t["methodology"] == methodology
                && t["name"] == "saving"
                && t["grand"] == false
                && t["total_by"].as_array().unwrap().iter().map(|b| b.as_str().unwrap()).eq(by.iter().copied())
        })
        .collect()
}

fn assert_penny(engine: &Json, expected: Decimal, what: &str) {
    let got = dec(engine.as_str().unwrap_or_else(|| panic!("{what}: no value ({engine})")));
    assert!((got - expected).abs() < dec("0.005"), "{what}: engine £{got}, worked here £{}", expected.round_dp(2));
}

#[test]
fn national_average_totals_match_an_independent_calculation() {
    let orgs = example();
    let expected = national_average(&orgs);
    let o = assay(&["eval", "--data", DATA, "--format", "json", "--methodology", "national_average"]);
    let json: Json = ok_json(&o);
    assert!(json["notices"][0].as_str().unwrap().starts_with("SYNTHETIC DATA"), "{}", json["notices"]);

    // By type and function (Figure 10).
    let by_both = totals(&json, "national_average", &["org_type", "qipp_function"]);
    assert_eq!(by_both.len(), expected.len());
    for t in by_both {
        let key = (t["by"]["org_type"].as_str().unwrap(), t["by"]["qipp_function"].as_str().unwrap());
        let (&k, want) = expected.get_key_value(&key).unwrap_or_else(|| panic!("unexpected total {key:?}"));
        match want {
            Some(w) => assert_penny(&t["value"], *w, &format!("{k:?}")),
            None => assert!(t["value"].is_null(), "{k:?}: the group is under 4 and has no target, got {}", t["value"]),
        }
    }

    // By type (Table 6), and against Table 6 loosely: the data are calibrated to Table 5,
    // not to the savings, which follow from the spread of the synthetic organisations.
    let by_type = totals(&json, "national_average", &["org_type"]);
    assert_eq!(by_type.len(), TYPES.len());
    let mut by_group: BTreeMap<&str, Decimal> = BTreeMap::new();
    for t in by_type {
        let member = t["by"]["org_type"].as_str().unwrap();
        let parts: Vec<Decimal> = expected.iter().filter(|(k, _)| k.0 == member).filter_map(|(_, v)| *v).collect();
        if parts.is_empty() {
            assert!(t["value"].is_null(), "{member}");
            continue;
        }
        assert_penny(&t["value"], sum(parts.iter().copied()), member);
        let group = TYPES.iter().find(|x| x.1 == member).unwrap().2;
        *by_group.entry(group).or_default() += sum(parts.into_iter());
    }
    for (group, published) in TABLE_6 {
        let got = by_group[group] / Decimal::from(1_000_000);
        let ratio = got / dec(published);
        assert!(ratio > dec("0.6") && ratio < dec("1.5"), "{group}: £{got:.1}m against Table 6's £{published}m");
    }

    // The grand total (the £616m of s5.7).
    let grand = sum(expected.values().flatten().copied());
    let grand_totals: Vec<&Json> = json["totals"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["methodology"] == "national_average" && t["name"] == "saving" && t["grand"] == true)
        .collect();
    assert!(!grand_totals.is_empty());
    for t in grand_totals {
        assert_penny(&t["value"], grand, "grand total");
    }
    let m = grand / Decimal::from(1_000_000);
    assert!(m > dec("550") && m < dec("700"), "national-average saving £{m:.1}m against the published £616m");
}

/// A scaled file (as for benchmarks) keeps the types' proportions and reads cleanly.
#[test]
fn scaled_file_evaluates() {
    let dir = tempfile::tempdir().unwrap();
    let o = gen_qipp::Options { orgs: 3_000, seed: 11, out: dir.path().to_path_buf() };
    gen_qipp::run(&o).unwrap();
    let orgs = read_orgs(&dir.path().join("benchmark.csv"));
    assert_eq!(orgs.len(), 3_000);
    // Spend per organisation as in the 315: extrapolated spend scales with the count.
    let scale = Decimal::from(3_000) / Decimal::from(315);
    let spend = sum(orgs.iter().map(|o| back_office(o) / o.rate)) / scale;
    let target = dec("2816.7") * Decimal::from(1_000_000);
    assert!(((spend - target) / target).abs() < dec("0.01"), "£{spend:.0}");
    let data = dir.path().to_str().unwrap();
    let out = ok_stdout(&assay(&["eval", "--data", data, "--methodology", "national_average"]));
    assert!(out.starts_with("NOTE: SYNTHETIC DATA"), "{out}");
    assert!(out.contains("dataset benchmark: 3000 rows read, 3000 used, 0 skipped"), "{out}");
}

/// The README's tutorial: one added rule file gives a methodology of its own, evaluated
/// beside the library's; the figures are those the README shows.
#[test]
fn the_readme_tutorial_adds_a_methodology_in_one_file() {
    let out = ok_stdout(&assay(&[
        "eval",
        "--rules",
        "rules",
        "examples/tutorial",
        "--methodology",
        "national_average,national_median",
    ]));
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let table: Vec<&str> =
        out.lines().skip_while(|l| !l.starts_with("Total saving by org_type, scaled")).take(13).collect();
    assert_eq!(table.len(), 13, "{out}");
    for line in &table {
        assert!(readme.contains(line), "README does not show `{line}`");
    }
    assert!(table.iter().any(|l| l.starts_with("total") && l.contains("£670,114,449.19")), "{out}");
}

/// Every `total` declaration of a figure ends in the same overall row, to the last digit:
/// totals are exact sums rounded once, whatever their grouping.
#[test]
fn grand_totals_of_one_figure_agree_across_declarations() {
    let out = assay(&["eval", "--format", "json"]);
    let json: serde_json::Value = ok_json(&out);
    let mut grand: std::collections::BTreeMap<(String, String, String), Vec<String>> = Default::default();
    for t in json["totals"].as_array().unwrap() {
        if t["grand"] == serde_json::Value::Bool(true) {
            let key = (t["methodology"].to_string(), t["name"].to_string(), t["period"].to_string());
            grand.entry(key).or_default().push(t["value"].to_string());
        }
    }
    let repeated = grand.values().filter(|v| v.len() > 1).count();
    assert!(repeated >= 4, "the example should declare several totals of some figures ({grand:?})");
    for (key, values) in &grand {
        assert!(values.windows(2).all(|w| w[0] == w[1]), "{key:?}: {values:?}");
    }
}

/// A file of several parse chunks whose lines are not all records (blank lines, CRLF and
/// lone-CR line ends, a quoted value spanning lines, a byte-order mark) loads the same
/// values as the clean file: chunks write into slices of the final columns, and the gaps
/// they leave close up. Read whole or streamed in small chunks (`ASSAY_CHUNK_BYTES`), each
/// file gives byte-identical results (stamps included) and explanations (lines and cells).
#[test]
fn chunks_with_blank_lines_and_mixed_line_ends_load_the_same_values() {
    let mut clean = Vec::new();
    gen_qipp::generate(5_000, 7, &mut clean).unwrap();
    assert!(clean.len() > 2 << 20, "several chunks of 1 MB");
    let text = String::from_utf8(clean.clone()).unwrap();
    let mut messy = String::from("\u{feff}");
    for (i, line) in text.lines().enumerate() {
        messy.push_str(line);
        messy.push_str(match i % 7 {
            1 => "\r\n",
            2 => "\n\n",
            4 => "\r",
            _ => "\n",
        });
        if i % 500 == 3 {
            messy.push_str("\n  \n");
        }
    }
    // Names with a line break inside quotes: still one record each, one near the end so
    // that small chunks must not cut inside it.
    let messy = messy.replacen("Dornstow Hospitals NHS Trust", "\"Dornstow\nHospitals NHS Trust\"", 1);
    let last_name = text.lines().last().unwrap().split(',').nth(2).unwrap();
    let messy = messy.replacen(last_name, &format!("\"{}\"", last_name.replacen(' ', "\n", 1)), 1);
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    for (dir, body) in dirs.iter().zip([text.as_bytes(), messy.as_bytes()]) {
        std::fs::write(dir.path().join("benchmark.csv"), body).unwrap();
        for other in std::fs::read_dir(repo().join(DATA)).unwrap() {
            let path = other.unwrap().path();
            let name = path.file_name().unwrap();
            if name != "benchmark.csv" && path.is_file() {
                std::fs::copy(&path, dir.path().join(name)).unwrap();
            }
        }
    }
    // Chunks far smaller than the file, and one chunk larger than it (read whole).
    let run = |args: &[&str], chunk_bytes: &str| {
        let envs = [("ASSAY_CACHE", "off"), ("ASSAY_CHUNK_BYTES", chunk_bytes), ("ASSAY_TIMINGS", "1")];
        let out = assay_with_env(repo(), args, &envs);
        // The phase timings say which reader ran.
        let streamed = stderr(&out).contains("read and parse in chunks");
        (ok_stdout(&out), streamed)
    };
    let both = |args: &[&str]| {
        let (whole, streamed_whole) = run(args, "1000000000");
        let (streamed, streamed_small) = run(args, "50000");
        assert!(!streamed_whole && streamed_small, "one run of each reader");
        assert!(whole == streamed, "the same output read whole and in chunks: {args:?}");
        whole
    };
    let figures = |dir: &Path| {
        let args = ["eval", "--data", dir.to_str().unwrap(), "--select", "national_average.saving", "--format", "json"];
        let doc: Json = serde_json::from_str(&both(&args)).unwrap();
        (doc["figures"].clone(), doc["totals"].clone(), doc["counts"].clone())
    };
    let (clean_figures, clean_totals, _) = figures(dirs[0].path());
    let (messy_figures, messy_totals, _) = figures(dirs[1].path());
    assert!(clean_figures.as_array().is_some_and(|f| f.len() >= 5_000 * 7), "a saving per organisation and function");
    assert!(clean_figures == messy_figures, "the same figures from both files");
    assert!(clean_totals == messy_totals);
    // The last organisation's cost cell, in a chunk far down the messy file.
    let entity = text.lines().last().unwrap().split(',').next().unwrap();
    let dir = dirs[1].path().to_str().unwrap();
    let explained = both(&["explain", "cost_share[finance]", "--entity", entity, "--data", dir]);
    let line = messy.split_inclusive(['\n']).position(|l| l.starts_with(&format!("{entity},"))).unwrap() + 1;
    assert!(explained.contains(&format!("benchmark.csv:{line}")), "the cell's line, {line}:\n{explained}");
}
