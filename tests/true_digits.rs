//! No digit written that is not true: every figure and total of `eval --format csv` is
//! checked against exact rational arithmetic. A figure said to be exact must be exactly the
//! true value; one said to be rounded (`exact` false) must be within one unit of its last
//! written digit of it. The rules chain quotients into products, sums, a mean over peers, a
//! cancellation whose true value is zero, and a scale that does not end (1 / 30%).

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "test code: failing loudly is the point"
)]

mod common;

use common::fs::temp_folder_with;
use common::rng::Rng;
use common::{assay_in, ok_stdout};
use num_bigint::BigInt;
use num_rational::BigRational;
use std::collections::BTreeMap;

const RULES: &str = r#"
source worked "Reference" { document "tests/true_digits.rs" }

unit GBP "pound sterling" symbol "£"

set kind "Kind" {
  cite worked "kinds"
  a "A",
  b "B",
  c "C"
}

function finance "Finance" { cite worked "function" }

dataset returns "Returns" {
  cite worked "data"
  file "returns.csv"
  period_start "04-01"
  entity organisation key "Code"
  period year from "Year"
  field kind : kind from "Kind"
  field turnover : GBP from "Turnover"
  field cost[f in function] : GBP from "{f.title} cost"
}

param rate[t in kind] : ratio {
  cite worked "rates"
  a = 30%
  b = 70%
  c = 100%
}

kpi share[f in function] "Cost of {f.title} as % of turnover" : percent =
  cost[f] / turnover
  cite worked "KPI"

methodology m "Quotients carried on" {
  cite worked "method"
  peers same kind minimum 2
  let target[f in function] : percent = mean(share[f], missing: skip) over peers
  let saving[f in function] : GBP = max(0, share[f] - target[f]) * turnover
  let back[f in function] : GBP = share[f] * turnover
  let gap[f in function] : GBP = share[f] * turnover - cost[f]
  let thirds[f in function] : GBP = cost[f] / 3 * 3
  scale 1 / rate[kind]
  total saving by kind
  total saving
}
"#;

fn rational(text: &str) -> BigRational {
    let (sign, digits) = text.strip_prefix('-').map_or((1, text), |d| (-1, d));
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let numerator: BigInt = format!("{int}{frac}").parse().unwrap();
    let denominator = BigInt::from(10).pow(frac.len() as u32);
    BigRational::new(numerator * sign, denominator)
}

struct Org {
    code: String,
    kind: &'static str,
    turnover: BigRational,
    cost: BigRational,
}

/// Random organisations: turnover and cost in pounds and pence, so every quotient is a
/// long or recurring decimal.
fn organisations(seed: u64) -> (Vec<Org>, String) {
    let mut rng = Rng(seed);
    let mut csv = String::from("Code,Year,Kind,Turnover,Finance cost\n");
    let mut orgs = Vec::new();
    for i in 0..60 {
        let kind = ["A", "B", "C"][rng.below(3)];
        let turnover = format!("{}.{:02}", 1_000_000 + rng.below(900_000_000), rng.below(100));
        let cost = format!("{}.{:02}", 10_000 + rng.below(9_000_000), rng.below(100));
        csv.push_str(&format!("O{i:03},2020/21,{kind},{turnover},{cost}\n"));
        let kind = match kind {
            "A" => "a",
            "B" => "b",
            _ => "c",
        };
        orgs.push(Org { code: format!("O{i:03}"), kind, turnover: rational(&turnover), cost: rational(&cost) });
    }
    (orgs, csv)
}

/// The true value of every figure and total, by (name, entity or total's members).
fn truth(orgs: &[Org]) -> BTreeMap<(String, String), BigRational> {
    let zero = BigRational::from_integer(BigInt::from(0));
    let hundred = BigRational::from_integer(BigInt::from(100));
    let share = |o: &Org| o.cost.clone() / o.turnover.clone();
    let mut out = BTreeMap::new();
    let mut by_kind: BTreeMap<&str, Vec<&Org>> = BTreeMap::new();
    orgs.iter().for_each(|o| by_kind.entry(o.kind).or_default().push(o));
    let rate = |k: &str| match k {
        "a" => rational("0.3"),
        "b" => rational("0.7"),
        _ => rational("1"),
    };
    let mut grand = zero.clone();
    for (kind, members) in &by_kind {
        let n = BigRational::from_integer(BigInt::from(members.len()));
        let target = members.iter().map(|o| share(o)).fold(zero.clone(), |a, b| a + b) / n;
        let mut kind_total = zero.clone();
        for o in members {
            let s = share(o);
            let saving = if s > target { (s.clone() - target.clone()) * o.turnover.clone() } else { zero.clone() };
            kind_total += saving.clone() / rate(kind);
            let e = o.code.clone();
            out.insert(("share".into(), e.clone()), s.clone() * hundred.clone());
            out.insert(("target".into(), e.clone()), target.clone() * hundred.clone());
            out.insert(("saving".into(), e.clone()), saving);
            out.insert(("back".into(), e.clone()), o.cost.clone());
            out.insert(("gap".into(), e.clone()), zero.clone());
            out.insert(("thirds".into(), e), o.cost.clone());
        }
        out.insert(("total saving".into(), format!("kind={kind}")), kind_total.clone());
        grand += kind_total;
    }
    out.insert(("total saving".into(), String::new()), grand);
    out
}

#[test]
fn every_written_digit_is_true_and_every_exact_figure_exact() {
    let (orgs, csv) = organisations(2026);
    let dir = temp_folder_with(&[("rules/main.assay", RULES), ("data/returns.csv", &csv)]);
    let out = assay_in(dir.path(), &["eval", "--rules", "rules", "--data", "data", "--format", "csv"]);
    let text = ok_stdout(&out);
    let truth = truth(&orgs);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (kind, entity, name, index, value, exact) =
        (col("kind"), col("entity"), col("name"), col("index"), col("value"), col("exact"));
    let (mut checked, mut rounded, mut total_checked) = (0, 0, 0);
    for row in reader.records() {
        let row = row.unwrap();
        let key = match &row[kind] {
            "figure" => (row[name].to_string(), row[entity].to_string()),
            "total" => (format!("total {}", &row[name]), row[index].to_string()),
            _ => continue,
        };
        let Some(want) = truth.get(&key) else { continue };
        let written = &row[value];
        assert!(!written.is_empty(), "{key:?} has no value: {row:?}");
        let got = rational(written);
        if &row[exact] == "true" {
            assert_eq!(&got, want, "{key:?}: {written} is said to be exact");
        } else {
            rounded += 1;
            let places = written.split_once('.').map_or(0, |(_, f)| f.len());
            let unit = BigRational::new(BigInt::from(1), BigInt::from(10).pow(places as u32));
            let gap = if &got > want { got.clone() - want.clone() } else { want.clone() - got.clone() };
            assert!(gap <= unit, "{key:?}: {written} is not within one unit of its last digit of the true value");
        }
        checked += 1;
        total_checked += usize::from(&row[kind] == "total");
    }
    // Every figure of every organisation and the five totals (three kinds and the grand
    // total of `total saving by kind`, and `total saving`'s own), so none was skipped unseen.
    assert_eq!(checked, 60 * 6 + 5, "{text}");
    assert_eq!(total_checked, 5);
    assert!(rounded > 60, "quotients that do not end are said to be rounded: {rounded}");
}

/// A quotient multiplied back up is written as the true value, not with noise in its last
/// digits, in `eval` and in `explain`, and neither calls a rounded number exact.
#[test]
fn a_quotient_multiplied_back_is_written_without_noise() {
    let (orgs, csv) = organisations(7);
    let dir = temp_folder_with(&[("rules/main.assay", RULES), ("data/returns.csv", &csv)]);
    let out =
        assay_in(dir.path(), &["eval", "--rules", "rules", "--data", "data", "--format", "csv", "--select", "m.back"]);
    let text = ok_stdout(&out);
    for o in &orgs {
        let line = text.lines().find(|l| l.contains(&format!(",{},m,back,", o.code))).unwrap();
        let written = line.split(',').nth(6).unwrap();
        assert_eq!(rational(written), o.cost, "{line}");
    }
    let first = &orgs[0].code;
    let args = ["explain", "m.back[finance]", "--entity", first, "--rules", "rules", "--data", "data"];
    let explained = ok_stdout(&assay_in(dir.path(), &args));
    assert!(!explained.contains("exactly"), "{explained}");
    let kpi = ok_stdout(&assay_in(
        dir.path(),
        &["explain", "share[finance]", "--entity", first, "--rules", "rules", "--data", "data"],
    ));
    assert!(kpi.contains("≈ ") && kpi.contains("rounded on the way"), "{kpi}");
}
