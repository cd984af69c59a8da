//! The data-quality policies (`rules/data_quality.assay`, `examples/eric/rules/data_quality.assay`):
//! for each policy, which organisations `assay verify --policy NAME --format json` reports
//! (entity and status) equals the set worked out here from the CSV files directly, with the
//! csv crate and exact decimals, independently of the engine. The shipped benchmark return
//! breaks only the payslip policy, so every benchmark policy is also checked on a copy of
//! the return with planted violations.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "test code: failing loudly is the point"
)]

mod common;

use common::{assay, dec, stderr, stdout};
use rust_decimal::Decimal;
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const QIPP: &str = "examples/qipp-2009-10";
const ERIC_RULES: &str = "examples/eric/rules";
const ERIC_DATA: &str = "examples/eric/data";

/// The seven functions of the return: (member of `qipp_function`, column title).
const FUNCTIONS: [(&str, &str); 7] = [
    ("finance", "Finance"),
    ("human_resources", "HR"),
    ("information_technology", "IM&T"),
    ("procurement", "Procurement"),
    ("estates", "Estates"),
    ("payroll", "Payroll"),
    ("governance_and_risk", "Governance and risk"),
];

/// The payslip outlier threshold of 002 ("over £10 per payslip"), written out here rather
/// than read from rules/.
const PAYSLIP_OUTLIER: &str = "10";

type Flagged = BTreeSet<(String, &'static str)>;

/// (entity, status) of every row one policy reports.
fn reported(rules: &str, data: &Path, policy: &str) -> BTreeSet<(String, String)> {
    let o =
        assay(&["verify", "--rules", rules, "--data", data.to_str().unwrap(), "--policy", policy, "--format", "json"]);
    // 1 when an `error` policy is broken; the output is written either way.
    assert!(matches!(o.status.code(), Some(0 | 1)), "exit {:?}\n{}", o.status.code(), stderr(&o));
    let doc: Json = serde_json::from_str(&stdout(&o)).unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(&o)));
    let runs = doc["policies"].as_array().unwrap();
    assert_eq!(runs.len(), 1, "{policy}: one policy run");
    assert_eq!(runs[0]["name"], policy);
    doc["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            assert_eq!(v["policy"], policy);
            (v["entity"].as_str().unwrap().to_string(), v["status"].as_str().unwrap().to_string())
        })
        .collect()
}

fn same(expected: &Flagged, got: &BTreeSet<(String, String)>, policy: &str) {
    let expected: BTreeSet<(String, String)> = expected.iter().map(|(e, s)| (e.clone(), (*s).to_string())).collect();
    let missing: Vec<_> = expected.difference(got).collect();
    let extra: Vec<_> = got.difference(&expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{policy}: not reported {missing:?}; reported but not expected {extra:?}"
    );
}

// ---------------------------------------------------------------------------------------
// The benchmark return, read as `rules/datasets.assay` declares it: `missing "Not
// Applicable", ""`, numbers possibly with thousands separators ("308,203,241.65").

struct Return {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Return {
    fn read(path: &Path) -> Return {
        let mut r = csv::Reader::from_path(path).unwrap();
        let header = r.headers().unwrap().iter().map(str::to_string).collect();
        let rows = r.records().map(|rec| rec.unwrap().iter().map(str::to_string).collect()).collect();
        Return { header, rows }
    }

    fn col(&self, name: &str) -> usize {
        self.header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column `{name}`"))
    }

    fn write(&self, path: &Path) {
        let mut w = csv::Writer::from_path(path).unwrap();
        w.write_record(&self.header).unwrap();
        for row in &self.rows {
            w.write_record(row).unwrap();
        }
        w.flush().unwrap();
    }

    /// The number in a cell: `None` where the dataset declares the cell missing.
    fn num(&self, row: &[String], column: &str) -> Option<Decimal> {
        let cell = row[self.col(column)].trim();
        if cell.is_empty() || cell == "Not Applicable" {
            return None;
        }
        Some(dec(&cell.replace(',', "")))
    }

    fn code(&self, row: &[String]) -> String {
        row[self.col("Code")].clone()
    }

    fn set(&mut self, code: &str, column: &str, value: &str) {
        let (c, k) = (self.col(column), self.col("Code"));
        let row = self.rows.iter_mut().find(|r| r[k] == code).unwrap_or_else(|| panic!("no organisation {code}"));
        row[c] = value.to_string();
    }
}

/// The organisations each benchmark policy should flag, worked out from the return.
fn expected_benchmark(ret: &Return) -> BTreeMap<String, Flagged> {
    let zero = Decimal::ZERO;
    let mut out: BTreeMap<String, Flagged> = BTreeMap::new();
    let mut flag = |policy: String, code: String, status: &'static str| {
        out.entry(policy).or_default().insert((code, status));
    };
    for row in &ret.rows {
        let code = ret.code(row);
        // A blank payslip count is accepted; a zero count or a blank payroll cost cannot be
        // decided; above £10 a payslip (cost > 10 × payslips, exactly) fails.
        if let Some(payslips) = ret.num(row, "Payslips") {
            match ret.num(row, "Payroll cost") {
                Some(cost) if payslips != zero => {
                    if cost > dec(PAYSLIP_OUTLIER) * payslips {
                        flag("payslip_cost_outlier".into(), code.clone(), "failed");
                    }
                }
                _ => flag("payslip_cost_outlier".into(), code.clone(), "undecided"),
            }
        }
        for (policy, column) in [("turnover_positive", "Turnover"), ("total_pay_positive", "Total pay")] {
            match ret.num(row, column) {
                None => flag(policy.into(), code.clone(), "undecided"),
                Some(v) if v <= zero => flag(policy.into(), code.clone(), "failed"),
                Some(_) => {}
            }
        }
        for (member, title) in FUNCTIONS {
            let cost = ret.num(row, &format!("{title} cost"));
            let fte = ret.num(row, &format!("{title} FTE"));
            let shared = ret.num(row, &format!("{title} shared or outsourced cost"));
            // A cost above zero needs an FTE above zero; a blank FTE there fails.
            if cost.is_some_and(|c| c > zero) && fte.is_none_or(|f| f <= zero) {
                flag(format!("{member}_fte_with_cost"), code.clone(), "failed");
            }
            // A shared cost must be within 0 and the function's cost: negative fails
            // whatever the cost; otherwise a blank cost cannot be decided.
            if let Some(s) = shared {
                let policy = format!("{member}_shared_within_cost");
                if s < zero {
                    flag(policy, code.clone(), "failed");
                } else {
                    match cost {
                        None => flag(policy, code.clone(), "undecided"),
                        Some(c) if s > c => flag(policy, code.clone(), "failed"),
                        Some(_) => {}
                    }
                }
            }
        }
    }
    out
}

fn benchmark_policies() -> Vec<String> {
    let mut p = vec!["payslip_cost_outlier".to_string(), "turnover_positive".into(), "total_pay_positive".into()];
    for (member, _) in FUNCTIONS {
        p.push(format!("{member}_fte_with_cost"));
        p.push(format!("{member}_shared_within_cost"));
    }
    p
}

/// Every data-quality policy of the rules is one this test computes (none left unchecked).
#[test]
fn every_benchmark_policy_is_checked_here() {
    let text = std::fs::read_to_string(common::repo().join("rules/data_quality.assay")).unwrap();
    let declared: BTreeSet<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("policy "))
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .collect();
    let here: BTreeSet<String> = benchmark_policies().into_iter().collect();
    assert_eq!(declared, here);
}

#[test]
fn shipped_return_flags_what_the_csv_says() {
    let data = common::repo().join(QIPP);
    let ret = Return::read(&data.join("benchmark.csv"));
    assert_eq!(ret.rows.len(), 315);
    let expected = expected_benchmark(&ret);
    // The shipped return is clean but for the payslip outliers: at least some flagged.
    let payslips = expected.get("payslip_cost_outlier").cloned().unwrap_or_default();
    assert!(payslips.len() > 10, "only {} payslip outliers", payslips.len());
    assert!(payslips.iter().all(|(_, s)| *s == "failed"));
    for policy in benchmark_policies() {
        let want = expected.get(&policy).cloned().unwrap_or_default();
        same(&want, &reported("rules", &data, &policy), &policy);
    }
}

/// A copy of the return with violations planted, so that every policy has rows to flag,
/// failed and (where a policy can be) undecided.
#[test]
fn planted_violations_are_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let mut ret = Return::read(&common::repo().join(QIPP).join("benchmark.csv"));
    let codes: Vec<String> = ret.rows.iter().map(|r| ret.code(r)).collect();
    let mut next = codes.iter().skip(3).step_by(5);
    let mut plant = |ret: &mut Return, column: &str, value: &str| -> String {
        let code = next.next().unwrap().clone();
        ret.set(&code, column, value);
        code
    };
    let mut planted: Vec<(String, String, &'static str)> = Vec::new();
    // Payslips: zero (undecided), blank (accepted).
    let c = plant(&mut ret, "Payslips", "0");
    planted.push(("payslip_cost_outlier".into(), c, "undecided"));
    plant(&mut ret, "Payslips", "");
    // Turnover and pay: zero, negative (with a thousands separator), blank.
    for (policy, column) in [("turnover_positive", "Turnover"), ("total_pay_positive", "Total pay")] {
        // The csv writer quotes "-1,234.50", as the shipped file quotes its turnovers.
        for (value, status) in [("0", "failed"), ("-1,234.50", "failed"), ("", "undecided")] {
            let c = plant(&mut ret, column, value);
            planted.push((policy.into(), c, status));
        }
    }
    for (member, title) in FUNCTIONS {
        let cost = format!("{title} cost");
        let fte = format!("{title} FTE");
        let shared = format!("{title} shared or outsourced cost");
        // FTE blank or zero where there is a cost: failed. A zero cost with a blank FTE: accepted.
        let c = plant(&mut ret, &fte, "");
        planted.push((format!("{member}_fte_with_cost"), c, "failed"));
        let c = plant(&mut ret, &fte, "0.00");
        planted.push((format!("{member}_fte_with_cost"), c, "failed"));
        let c = plant(&mut ret, &fte, "Not Applicable");
        ret.set(&c, &cost, "0");
        // Shared cost above the cost, negative, and with the cost blank.
        let c = plant(&mut ret, &shared, "99,999,999.00");
        planted.push((format!("{member}_shared_within_cost"), c, "failed"));
        let c = plant(&mut ret, &shared, "-0.01");
        planted.push((format!("{member}_shared_within_cost"), c, "failed"));
        let c = plant(&mut ret, &cost, "Not Applicable");
        planted.push((format!("{member}_shared_within_cost"), c.clone(), "undecided"));
        // ... which also leaves its FTE without a cost: accepted.
    }
    ret.write(&dir.path().join("benchmark.csv"));
    let reread = Return::read(&dir.path().join("benchmark.csv"));
    let expected = expected_benchmark(&reread);
    for (policy, code, status) in &planted {
        let set = expected.get(policy).cloned().unwrap_or_default();
        assert!(set.contains(&(code.clone(), *status)), "planted {policy} {code} {status} not expected: {set:?}");
    }
    for policy in benchmark_policies() {
        let want = expected.get(&policy).cloned().unwrap_or_default();
        assert!(!want.is_empty(), "{policy}: nothing planted");
        same(&want, &reported("rules", dir.path(), &policy), &policy);
    }
}

// ---------------------------------------------------------------------------------------
// ERIC: each trust's energy cost per year, summed over its sites as the `sites` dataset
// declares (the first column of the year's name; `missing "Not Applicable", "No Data
// Provided"`; 2015/16 subtotal and Grand Total rows excluded; a sum with no values missing).

const ERIC_YEARS: [(&str, &str); 4] = [
    ("2013/14", "ERIC_2013-14_SiteData.csv"),
    ("2014/15", "ERIC_2014-15_SiteData.csv"),
    ("2015/16", "ERIC_2015-16_SiteData.csv"),
    ("2016/17", "ERIC_2016-17_SiteData.csv"),
];
const ENERGY: [&str; 3] = [
    "Energy costs (all energy supplies) (£)",
    "Energy cost (all energy supplies) (£)",
    "Total energy cost (all energy supplies, utility, local and renewable) (£)",
];

/// trust → its summed energy cost (`None`: no site reports one), for one year's file.
fn energy_by_trust(path: &Path) -> BTreeMap<String, Option<Decimal>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    let energy = ENERGY.iter().find_map(|n| header.iter().position(|h| h == n)).unwrap();
    let org = header.iter().position(|h| h == "Organisation Code").unwrap();
    let mut out: BTreeMap<String, Option<Decimal>> = BTreeMap::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        let code = rec[org].to_string();
        if code.ends_with(" Result") || code == "Grand Total" {
            continue;
        }
        let cell = rec[energy].trim();
        let value = if cell == "Not Applicable" || cell == "No Data Provided" {
            None
        } else {
            Some(dec(&cell.replace(',', "")))
        };
        let sum = out.entry(code).or_insert(None);
        if let Some(v) = value {
            *sum = Some(sum.unwrap_or(Decimal::ZERO) + v);
        }
    }
    out
}

#[test]
fn eric_energy_jumps_are_those_the_csv_gives() {
    let data = common::repo().join(ERIC_DATA);
    let years: Vec<BTreeMap<String, Option<Decimal>>> =
        ERIC_YEARS.iter().map(|(_, f)| energy_by_trust(&data.join(f))).collect();
    let mut expected: Flagged = BTreeSet::new();
    let mut by_period: BTreeMap<&str, usize> = BTreeMap::new();
    for i in 1..years.len() {
        for (trust, now) in &years[i] {
            let Some(Some(before)) = years[i - 1].get(trust) else { continue };
            let Some(now) = now else { continue };
            if *before <= Decimal::ZERO {
                continue;
            }
            // More than half: |now − before| > before / 2, exactly.
            if (*now - *before).abs() * Decimal::TWO > *before {
                expected.insert((format!("{} {trust}", ERIC_YEARS[i].0), "failed"));
                *by_period.entry(ERIC_YEARS[i].0).or_default() += 1;
            }
        }
    }
    assert_eq!(expected.len(), 34, "the README's count of trust-years: {by_period:?}");
    // Keyed by period and trust: some trusts jump in more than one year.
    let o = assay(&[
        "verify",
        "--rules",
        ERIC_RULES,
        "--data",
        ERIC_DATA,
        "--policy",
        "energy_year_on_year",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "an info policy does not fail the run\n{}", stderr(&o));
    let doc: Json = serde_json::from_str(&stdout(&o)).unwrap();
    let mut got_by_period: BTreeMap<String, usize> = BTreeMap::new();
    let mut got: BTreeSet<(String, String)> = BTreeSet::new();
    assert_eq!(doc["violations"].as_array().unwrap().len(), 34);
    for v in doc["violations"].as_array().unwrap() {
        assert_eq!(v["severity"], "info");
        *got_by_period.entry(v["period"].as_str().unwrap().to_string()).or_default() += 1;
        let key = format!("{} {}", v["period"].as_str().unwrap(), v["entity"].as_str().unwrap());
        got.insert((key, v["status"].as_str().unwrap().to_string()));
    }
    let want_by_period: BTreeMap<String, usize> = by_period.iter().map(|(k, v)| ((*k).to_string(), *v)).collect();
    assert_eq!(got_by_period, want_by_period);
    same(&expected, &got, "energy_year_on_year");
}

/// A verdict lists the cells its rule read and no others: the payslip policy reads the
/// payroll cost (`cost[payroll]`, one member of an indexed field) and the payslip count,
/// so each violation shows those two cells of its row, with the text the CSV has there.
#[test]
fn a_verdict_shows_only_the_cells_its_rule_read() {
    let path = Path::new(QIPP).join("benchmark.csv");
    let ret = Return::read(&path);
    let o =
        assay(&["verify", "--rules", "rules", "--data", QIPP, "--policy", "payslip_cost_outlier", "--format", "json"]);
    let doc: Json = serde_json::from_str(&stdout(&o)).unwrap_or_else(|e| panic!("not JSON ({e}): {}", stderr(&o)));
    let violations = doc["violations"].as_array().unwrap();
    assert!(!violations.is_empty(), "the shipped return has payslip outliers");
    for v in violations {
        let cells = v["cells"].as_array().unwrap();
        let fields: Vec<&str> = cells.iter().map(|c| c["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["cost[payroll]", "payslips"], "{v}");
        let row = ret.rows.iter().find(|r| ret.code(r) == v["entity"].as_str().unwrap()).unwrap();
        for (cell, column) in cells.iter().zip(["Payroll cost", "Payslips"]) {
            assert_eq!(cell["header"], column, "{cell}");
            assert_eq!(cell["text"].as_str().unwrap(), row[ret.col(column)], "{cell}");
        }
    }
}
