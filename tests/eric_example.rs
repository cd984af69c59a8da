//! The ERIC example (`examples/eric/`): real NHS estates returns 2013/14 to 2016/17, rules
//! that sum site rows to trusts, estates KPIs, an energy-saving methodology and a trend.
//! Figures are checked against hand-worked sums of raw site rows and against an
//! independent computation from the CSV files.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "test code: failing loudly is the point"
)]

mod common;

use common::{assay, dec, ok_json, repo, stderr};
use rust_decimal::Decimal;
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::OnceLock;

const RULES: &str = "examples/eric/rules";
const DATA: &str = "examples/eric/data";
const PERIODS: [&str; 4] = ["2013/14", "2014/15", "2015/16", "2016/17"];
const KPIS: [&str; 5] =
    ["energy_per_m2", "water_per_m2", "maintenance_per_m2", "cleaning_per_wte", "portering_per_wte"];

/// `assay eval --format json` over the example, for one period or all; run once per test binary.
fn eval_json(period: Option<&str>) -> &'static Json {
    static ONE: OnceLock<Json> = OnceLock::new();
    static ALL: OnceLock<Json> = OnceLock::new();
    let run = || {
        let mut args = vec!["eval", "--rules", RULES, "--data", DATA, "--format", "json"];
        if let Some(p) = period {
            args.extend(["--period", p]);
        }
        ok_json(&assay(&args))
    };
    match period {
        Some(p) => {
            assert_eq!(p, "2016/17", "only the 2016/17 run is cached");
            ONE.get_or_init(run)
        }
        None => ALL.get_or_init(run),
    }
}

/// A KPI (methodology `None`) or methodology figure of one trust in one period.
fn figure(doc: &Json, period: &str, entity: &str, methodology: Option<&str>, name: &str) -> Option<Decimal> {
    let records: Vec<&Json> = doc["figures"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["period"] == period
                && f["entity"] == entity
                && f["name"] == name
                && f["methodology"].as_str() == methodology
        })
        .collect();
    assert_eq!(records.len(), 1, "one record for {period} {entity} {name}");
    records[0]["value"].as_str().map(dec)
}

// ------------------------------------------------------------------ the CSV, read independently

/// A year's Site Data: header and rows, subtotal and grand-total rows left out.
struct Sheet {
    headers: Vec<String>,
    rows: Vec<csv::StringRecord>,
}

fn site_data(year: &str) -> Sheet {
    let path: PathBuf = repo().join(DATA).join(format!("ERIC_{year}_SiteData.csv"));
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_path(&path).unwrap();
    let mut records = reader.records().map(Result::unwrap);
    let headers: Vec<String> = records.next().unwrap().iter().map(|h| h.trim().to_string()).collect();
    let rows = records
        .filter(|r| {
            let code = r[0].trim();
            !code.ends_with(" Result") && code != "Grand Total"
        })
        .collect();
    Sheet { headers, rows }
}

impl Sheet {
    /// The first column with the first of these names the file has (duplicate headers:
    /// the first one, as the engine reads them).
    fn column(&self, names: &[&str]) -> usize {
        names
            .iter()
            .find_map(|n| self.headers.iter().position(|h| h == n))
            .unwrap_or_else(|| panic!("none of {names:?} in the header"))
    }

    /// A number, or None for `Not Applicable` and blanks.
    fn number(row: &csv::StringRecord, col: usize) -> Option<Decimal> {
        match row[col].trim() {
            "" | "Not Applicable" | "No Data Provided" => None,
            text => Some(dec(text)),
        }
    }

    fn codes(&self) -> BTreeSet<String> {
        self.rows.iter().map(|r| r[0].trim().to_string()).collect()
    }
}

/// Per trust: (published organisation type, sum of a column over its sites; None if every
/// site's cell is missing), keyed and ordered by organisation code.
fn trust_sums(sheet: &Sheet, col: usize) -> BTreeMap<String, (String, Option<Decimal>)> {
    let mut out: BTreeMap<String, (String, Option<Decimal>)> = BTreeMap::new();
    for r in &sheet.rows {
        let entry = out.entry(r[0].trim().to_string()).or_insert_with(|| (r[3].trim().to_string(), None));
        assert_eq!(entry.0, r[3].trim(), "a trust's sites disagree on its type");
        if let Some(v) = Sheet::number(r, col) {
            entry.1 = Some(entry.1.unwrap_or_default() + v);
        }
    }
    out
}

/// The rules' member name for a published organisation type.
fn member(published: &str) -> &'static str {
    match published {
        "ACUTE - SMALL" => "acute_small",
        "ACUTE - MEDIUM" => "acute_medium",
        "ACUTE - LARGE" => "acute_large",
        "ACUTE - TEACHING" => "acute_teaching",
        "ACUTE - SPECIALIST" => "acute_specialist",
        "ACUTE - MULTI-SERVICE" => "acute_multi_service",
        "MENTAL HEALTH AND LEARNING DISABILITY" => "mental_health",
        "COMMUNITY" => "community",
        "AMBULANCE" => "ambulance",
        "CARE TRUST" => "care_trust",
        "INDEPENDENT SECTOR" => "independent_sector",
        other => panic!("unknown organisation type `{other}`"),
    }
}

const GIFA: [&str; 2] = ["Gross internal floor area (m²)", "Gross internal site floor area (m²)"];
const ENERGY: [&str; 3] = [
    "Energy costs (all energy supplies) (£)",
    "Energy cost (all energy supplies) (£)",
    "Total energy cost (all energy supplies, utility, local and renewable) (£)",
];

// ------------------------------------------------------------------ tests

#[test]
fn the_rules_check_clean_under_strict() {
    let out = assay(&["check", "--strict", RULES]);
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("0 errors, 0 warnings"), "{text}");
}

#[test]
fn every_2016_17_trust_has_an_energy_cost_per_m2_or_a_reason() {
    let doc = eval_json(Some("2016/17"));
    let sheet = site_data("2016-17");
    let codes = sheet.codes();
    assert_eq!(codes.len(), 236, "the shared README counts 236 trusts in the 2016/17 site sheet");
    let records: Vec<&Json> = doc["figures"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["name"] == "energy_per_m2" && f["methodology"].is_null())
        .collect();
    assert!(records.iter().all(|f| f["period"] == "2016/17"));
    let entities: BTreeSet<String> = records.iter().map(|f| f["entity"].as_str().unwrap().to_string()).collect();
    assert_eq!(records.len(), entities.len(), "one value per trust");
    assert_eq!(entities, codes, "the trusts evaluated are the organisation codes of the CSV");
    for f in &records {
        let value = f["value"].as_str();
        let reason = f["missing"].as_str();
        assert!(value.is_some_and(|v| dec(v) >= Decimal::ZERO) || reason.is_some_and(|r| !r.is_empty()), "{f}");
    }
    // The data folder's NOTICE heads the report.
    let notice = std::fs::read_to_string(repo().join(DATA).join("NOTICE")).unwrap();
    assert_eq!(doc["notices"][0].as_str(), notice.lines().next());
    assert!(notice.contains("Open Government Licence v3.0"));
}

/// Energy cost per m² of GIFA for seven trusts, worked out by hand from the raw site rows
/// (`line` is the line of the CSV file).
#[test]
fn energy_per_m2_matches_hand_worked_site_sums() {
    let doc = eval_json(None);
    let check = |period: &str, trust: &str, hand: &str| {
        let value = figure(doc, period, trust, None, "energy_per_m2").unwrap();
        assert_eq!(value.round_dp(4), dec(hand), "{period} {trust}: engine {value}");
    };

    // 2016/17 RCD (Harrogate and District NHS FT, ACUTE - SMALL), four site rows,
    // ERIC_2016-17_SiteData.csv, columns "Gross internal floor area (m²)" and
    // "Energy costs (all energy supplies) (£)":
    //   line 135  AGGRE  AGGREGATE SITE                               GIFA 10,953  energy   165,697
    //   line 136  RCD01  HARROGATE DISTRICT HOSPITAL                  GIFA 51,886  energy 1,033,959
    //   line 137  RCD02  RIPON COMMUNITY HOSPITAL                     GIFA  2,323  energy    52,200
    //   line 138  RCD08  LASCELLES NEUROLOGICAL REHABILITATION UNIT   GIFA    659  energy    14,382
    // GIFA 10,953 + 51,886 + 2,323 + 659 = 65,821 m²;
    // energy 165,697 + 1,033,959 + 52,200 + 14,382 = £1,266,238;
    // 1,266,238 / 65,821 = 19.23759894... → 19.2376 £/m².
    check("2016/17", "RCD", "19.2376");

    // 2016/17 RK5 (Sherwood Forest Hospitals, ACUTE - MEDIUM), one site `Not Applicable`:
    //   line 343  RK5BC  KINGS MILL HOSPITAL    GIFA 119,451  energy 2,949,809
    //   line 344  RK5BL  MANSFIELD COMMUNITY    GIFA   6,484  energy Not Applicable
    //   line 345  RK5HP  NEWARK HOSPITAL        GIFA  12,681  energy   210,581
    // GIFA 119,451 + 6,484 + 12,681 = 138,616 m² (every site's floor area counts);
    // energy 2,949,809 + 210,581 = £3,160,390 (the missing cell is left out of the sum);
    // 3,160,390 / 138,616 = 22.79960466... → 22.7996 £/m².
    check("2016/17", "RK5", "22.7996");

    // 2016/17 RD1 (Royal United Hospitals Bath, ACUTE - MEDIUM), a zero and a `Not Applicable`:
    //   line 146  AGGRE  AGGREGATE SITE                   GIFA  1,256  energy 0
    //   line 147  RD102  CHIPPENHAM HOSPITAL              GIFA    624  energy Not Applicable
    //   line 148  RD115  ROYAL NATIONAL HOSPITAL FOR RHEUMATIC DISEASES ...  GIFA 6,496  energy 126,800
    //   line 149  RD130  ROYAL UNITED HOSPITAL            GIFA 91,208  energy 1,706,749
    // GIFA 1,256 + 624 + 6,496 + 91,208 = 99,584 m²; energy 0 + 126,800 + 1,706,749 = £1,833,549;
    // 1,833,549 / 99,584 = 18.41208427... → 18.4121 £/m².
    check("2016/17", "RD1", "18.4121");

    // 2015/16 RA7 (University Hospitals Bristol, ACUTE - TEACHING), with the subtotal row
    // that 2015/16 adds after each trust's sites, ERIC_2015-16_SiteData.csv:
    //   line 67  AGGRE  AGGREGATE SITE                     GIFA   2,968  energy    33,195
    //   line 68  RA701  BRISTOL ROYAL INFIRMARY MAIN SITE  GIFA 192,342  energy 4,287,714
    //   line 69  RA773  SOUTH BRISTOL COMMUNITY HOSPITAL   GIFA  11,000  energy   201,774
    //   line 70  `RA7 Result` (blank type and site)        GIFA 206,310  energy 4,522,683  ← excluded by rule
    // GIFA 2,968 + 192,342 + 11,000 = 206,310 m²; energy 33,195 + 4,287,714 + 201,774 = £4,522,683;
    // 4,522,683 / 206,310 = 21.92178275... → 21.9218 £/m².
    // Counting the subtotal row would double both sums and leave the ratio alone, so the
    // sums themselves are checked too.
    check("2015/16", "RA7", "21.9218");
    assert_eq!(figure(doc, "2015/16", "RA7", Some("estates_totals"), "floor_area"), Some(dec("206310")));
    assert_eq!(figure(doc, "2015/16", "RA7", Some("estates_totals"), "energy_cost"), Some(dec("4522683")));

    // 2015/16 RK5, subtotal row and a `Not Applicable` site:
    //   line 420  RK5BC  KING'S MILL HOSPITAL           GIFA 119,298  energy 2,768,737
    //   line 421  RK5BL  MANSFIELD COMMUNITY HOSPITAL   GIFA   4,078  energy Not Applicable
    //   line 422  RK5HP  NEWARK HOSPITAL                GIFA  12,534  energy   200,143
    //   line 423  `RK5 Result`                          GIFA 135,910  energy 2,968,880  ← excluded
    // GIFA 119,298 + 4,078 + 12,534 = 135,910 m²; energy 2,768,737 + 200,143 = £2,968,880;
    // 2,968,880 / 135,910 = 21.84445588... → 21.8445 £/m².
    check("2015/16", "RK5", "21.8445");
    assert_eq!(figure(doc, "2015/16", "RK5", Some("estates_totals"), "floor_area"), Some(dec("135910")));

    // 2014/15 RCD, ERIC_2014-15_SiteData.csv: "Gross internal site floor area (m²)" and
    // "Energy cost (all energy supplies) (£)", column 52 (the same header again at column
    // 93 is the PFI section's figure, `Not Applicable` for RCD, and is not read):
    //   line 151  AGGRE  AGGREGATE SITE                               GIFA 30,597  energy   197,190
    //   line 152  RCD01  HARROGATE DISTRICT HOSPITAL                  GIFA 51,886  energy 1,337,735
    //   line 153  RCD02  RIPON COMMUNITY HOSPITAL                     GIFA  2,323  energy    46,791
    //   line 154  RCD08  LASCELLES NEUROLOGICAL REHABILITATION UNIT   GIFA    659  energy    15,598
    // GIFA 30,597 + 51,886 + 2,323 + 659 = 85,465 m²;
    // energy 197,190 + 1,337,735 + 46,791 + 15,598 = £1,597,314;
    // 1,597,314 / 85,465 = 18.68968583... → 18.6897 £/m².
    check("2014/15", "RCD", "18.6897");

    // 2013/14 RBT (Mid Cheshire Hospitals NHS FT, ACUTE - SMALL), ERIC_2013-14_SiteData.csv,
    // "Gross internal site floor area (m²)" and "Total energy cost (all energy supplies,
    // utility, local and renewable) (£)":
    //   line 150  RBT20  LEIGHTON HOSPITAL                   GIFA 86,394  energy 1,635,803
    //   line 151  RBT21  VICTORIA INFIRMARY NORTHWICH        GIFA  7,741  energy    86,253
    //   line 152  RBTAW  ELMHURST INTERMEDIATE CARE CENTRE   GIFA  1,461  energy    25,994
    // GIFA 86,394 + 7,741 + 1,461 = 95,596 m²; energy 1,635,803 + 86,253 + 25,994 = £1,748,050;
    // 1,748,050 / 95,596 = 18.28580693... → 18.2858 £/m².
    check("2013/14", "RBT", "18.2858");
}

/// The other four KPIs for one trust in 2016/17 and, from the 2013/14 Trust Data sheet, one in 2013/14.
#[test]
fn other_kpis_match_hand_worked_sums() {
    let doc = eval_json(None);
    let check = |period: &str, trust: &str, kpi: &str, hand: &str| {
        let value = figure(doc, period, trust, None, kpi).unwrap();
        assert_eq!(value.round_dp(4), dec(hand), "{period} {trust} {kpi}: engine {value}");
    };
    // 2016/17 RK5, ERIC_2016-17_SiteData.csv lines 343-345 (RK5BL is `Not Applicable` in
    // every one of these columns; GIFA 138,616 m² as above):
    //   site    water    sewage   maintenance  cleaning £  cleaning WTE  portering £  portering WTE
    //   RK5BC  155,844  275,576    4,552,389   3,113,741       131.63     2,027,437          53.7
    //   RK5HP   13,995    8,390      529,384     541,812        29.87       218,978           5.8
    // water + sewage (169,839 + 283,966 = 453,805) / 138,616 = 3.27382841... → 3.2738 £/m²
    check("2016/17", "RK5", "water_per_m2", "3.2738");
    // "Estates and property maintenance (£)" 4,552,389 + 529,384 = 5,081,773; / 138,616 = 36.66079673... → 36.6608
    check("2016/17", "RK5", "maintenance_per_m2", "36.6608");
    // cleaning 3,113,741 + 541,812 = 3,655,553; WTE 131.63 + 29.87 = 161.50;
    // 3,655,553 / 161.5 = 22,635.00309597... → 22635.0031
    check("2016/17", "RK5", "cleaning_per_wte", "22635.0031");
    // portering 2,027,437 + 218,978 = 2,246,415; WTE 53.7 + 5.8 = 59.5;
    // 2,246,415 / 59.5 = 37,754.87394957... → 37754.8739
    check("2016/17", "RK5", "portering_per_wte", "37754.8739");

    // 2013/14 RBT, ERIC_2013-14_TrustData.csv line 37: "Total building and engineering
    // maintenance costs (£)" 1,973,939; "Cleaning services costs (£)" 2,791,865; "Number of
    // cleaning staff (WTE)" 108.5. GIFA 95,596 m² from the site rows (see above).
    // 1,973,939 / 95,596 = 20.64876145... → 20.6488 £/m²; 2,791,865 / 108.5 = 25,731.47465437... → 25731.4747
    check("2013/14", "RBT", "maintenance_per_m2", "20.6488");
    check("2013/14", "RBT", "cleaning_per_wte", "25731.4747");
}

/// The energy methodology's savings for 2016/17, computed here from the CSV alone: sum the
/// sites of each trust, divide, take the interquartile mean of each peer group (floor(n ×
/// 25%) dropped from each end, ties by organisation code, groups under 4 trusts without
/// one), and add up max(0, kpi − mean) × GIFA.
#[test]
fn energy_saving_total_matches_an_independent_computation() {
    let sheet = site_data("2016-17");
    let gifa = trust_sums(&sheet, sheet.column(&GIFA));
    let energy = trust_sums(&sheet, sheet.column(&ENERGY));
    // Per trust (in code order): type, GIFA, energy £/m² if both sums exist.
    let mut trusts: Vec<(String, &'static str, Option<Decimal>, Option<Decimal>)> = Vec::new();
    for (code, (kind, area)) in &gifa {
        let kpi = match (energy[code].1, area) {
            (Some(e), Some(a)) => e.checked_div(*a),
            _ => None,
        };
        trusts.push((code.clone(), member(kind), *area, kpi));
    }
    let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, t) in trusts.iter().enumerate() {
        groups.entry(t.1).or_default().push(i);
    }
    let mut target: HashMap<&str, Decimal> = HashMap::new();
    for (kind, members) in &groups {
        if members.len() < 4 {
            continue; // minimum 4: no target, no saving
        }
        let mut values: Vec<(Decimal, &str)> =
            members.iter().filter_map(|&i| trusts[i].3.map(|v| (v, trusts[i].0.as_str()))).collect();
        values.sort();
        let k = values.len() / 4;
        let kept = &values[k..values.len() - k];
        let sum = exact_sum(kept.iter().map(|(v, _)| *v));
        target.insert(kind, sum / Decimal::from(kept.len()));
    }
    let mut by_type: BTreeMap<&str, Decimal> = BTreeMap::new();
    let mut grand = Decimal::ZERO;
    let mut missing = 0;
    for (_, kind, area, kpi) in &trusts {
        match (kpi, target.get(kind), area) {
            (Some(kpi), Some(t), Some(a)) => {
                let saving = (*kpi - *t).max(Decimal::ZERO) * *a;
                *by_type.entry(kind).or_default() += saving;
                grand += saving;
            }
            _ => missing += 1,
        }
    }
    assert_eq!(groups["acute_multi_service"].len(), 3, "the one group below the minimum");
    assert_eq!(missing, 3);

    let doc = eval_json(Some("2016/17"));
    let totals: Vec<&Json> = doc["totals"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["methodology"] == "energy_to_peer_iqm" && t["name"] == "saving" && t["period"] == "2016/17")
        .collect();
    let grand_total = totals.iter().find(|t| t["total_by"].as_array().unwrap().is_empty()).unwrap();
    let engine = dec(grand_total["value"].as_str().unwrap());
    assert_eq!(engine.round_dp(2), grand.round_dp(2), "engine {engine}, independent {grand}");
    assert_eq!(grand_total["missing_values"], 3);
    assert!(grand > dec("50000000"), "£{grand}: a saving of tens of millions");
    // `total saving by trust_type` gives a row per type and its own grand row (`by` empty).
    for t in totals.iter().filter(|t| !t["by"].as_object().unwrap().is_empty()) {
        let kind = t["by"]["trust_type"].as_str().unwrap();
        match by_type.get(kind) {
            Some(hand) => assert_eq!(dec(t["value"].as_str().unwrap()).round_dp(2), hand.round_dp(2), "{kind}"),
            None => assert!(t["value"].is_null() && t["missing"].is_string(), "{kind}: {t}"),
        }
    }
    // Each trust's target is its group's mean, a quotient that does not end: written to
    // its certain digits, within one unit of the last of the independent 28-digit quotient,
    // and said to be rounded.
    let doc_target = figure(doc, "2016/17", "RCD", Some("energy_to_peer_iqm"), "target").unwrap();
    let unit = Decimal::new(1, doc_target.scale());
    assert!((doc_target - target["acute_small"]).abs() <= unit, "{doc_target} vs {}", target["acute_small"]);
    assert!(doc_target.scale() >= 20, "{doc_target}: only the uncertain digits are dropped");
    let record = doc["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["period"] == "2016/17" && f["entity"] == "RCD" && f["name"] == "target");
    assert_eq!(record.unwrap()["exact"], false);
}

/// Every KPI is evaluated for every trust in each of the four years; the trend figures and
/// the national totals exist for each year, and 2016/17's match the publication.
#[test]
fn the_trend_covers_four_years_of_every_kpi() {
    let doc = eval_json(None);
    let figures = doc["figures"].as_array().unwrap();
    let periods: BTreeSet<&str> = figures.iter().map(|f| f["period"].as_str().unwrap()).collect();
    assert_eq!(periods, PERIODS.into_iter().collect());
    for (period, year) in PERIODS.iter().zip(["2013-14", "2014-15", "2015-16", "2016-17"]) {
        let trusts = site_data(year).codes().len();
        for kpi in KPIS {
            let records: Vec<&Json> = figures
                .iter()
                .filter(|f| f["period"] == *period && f["name"] == kpi && f["methodology"].is_null())
                .collect();
            assert_eq!(records.len(), trusts, "{period} {kpi}: one record per trust");
            let with_value = records.iter().filter(|f| f["value"].is_string()).count();
            if *period == "2013/14" && kpi == "portering_per_wte" {
                // Portering was first collected in 2014/15: every 2013/14 value is missing.
                assert_eq!(with_value, 0);
                assert!(records.iter().all(|f| f["missing"].is_string()));
            } else {
                assert!(with_value * 5 >= trusts * 4, "{period} {kpi}: only {with_value} of {trusts} have a value");
            }
            for stat in ["national", "median"] {
                let name = format!("{stat}_{kpi}");
                let v = figures
                    .iter()
                    .find(|f| {
                        f["period"] == *period && f["name"] == name.as_str() && f["methodology"] == "estates_trend"
                    })
                    .unwrap_or_else(|| panic!("{period} {name}"));
                assert_eq!(v["value"].is_string(), !(*period == "2013/14" && kpi == "portering_per_wte"), "{v}");
            }
        }
    }
    // Energy £/m² nationally fell every year: 24.32, 23.18, 21.26, 20.15.
    let national: Vec<Decimal> = PERIODS
        .iter()
        .map(|p| {
            let f = figures.iter().find(|f| f["period"] == *p && f["name"] == "national_energy_per_m2").unwrap();
            dec(f["value"].as_str().unwrap()).round_dp(2)
        })
        .collect();
    assert_eq!(national, ["24.32", "23.18", "21.26", "20.15"].map(dec));

    // National totals for 2016/17 against the shared README's reference totals (GIFA 26.9
    // million m², energy £542m, water + sewage £84m, cleaning £977m) and, exactly, against
    // the CSV's own column sums.
    let grand = |name: &str| {
        let t = doc["totals"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| {
                t["period"] == "2016/17"
                    && t["methodology"] == "estates_totals"
                    && t["name"] == name
                    && t["total_by"].as_array().unwrap().is_empty()
            })
            .unwrap();
        dec(t["value"].as_str().unwrap())
    };
    let sheet = site_data("2016-17");
    let column_sum = |names: &[&str]| {
        let col = sheet.column(names);
        sheet.rows.iter().filter_map(|r| Sheet::number(r, col)).sum::<Decimal>()
    };
    let million = dec("1000000");
    assert_eq!(grand("floor_area"), column_sum(&GIFA));
    assert_eq!((grand("floor_area") / million).round_dp(1), dec("26.9"));
    assert_eq!(grand("energy_cost"), column_sum(&ENERGY));
    assert_eq!((grand("energy_cost") / million).round_dp(0), dec("542"));
    assert_eq!(grand("water_cost"), column_sum(&["Water cost (£)"]) + column_sum(&["Sewage cost (£)"]));
    assert_eq!((grand("water_cost") / million).round_dp(0), dec("84"));
    assert_eq!(grand("cleaning_cost"), column_sum(&["Cleaning service cost (£)"]));
    assert_eq!((grand("cleaning_cost") / million).round_dp(0), dec("977"));
}

/// The exact sum of decimals, rounded once (half to even) to fit a decimal, as the engine
/// sums a statistic's values: every term at scale 28 in an `i128`, then digits dropped.
fn exact_sum(values: impl Iterator<Item = Decimal>) -> Decimal {
    let mut total: i128 = 0;
    for v in values {
        total += v.mantissa() * 10i128.pow(28 - v.scale());
    }
    let mut scale = 28;
    while total.unsigned_abs() >= 1u128 << 96 {
        let (q, r) = (total / 10, total % 10);
        let away = r.abs() > 5 || (r.abs() == 5 && q % 2 != 0);
        total = if away { q + r.signum() } else { q };
        scale -= 1;
    }
    Decimal::from_i128_with_scale(total, scale)
}
