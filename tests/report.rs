//! `assay report` as a user runs it: the pages it writes for the shipped rules and example
//! (and the ERIC example), read back with an HTML parser. Every printed figure is checked
//! against `assay eval --format json` and against a rounding written here; every
//! distribution against the peer group read straight from the example's CSV; bad input
//! against its exit code, its diagnostic and the files it must not leave behind.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "test code: failing loudly is the point"
)]

mod common;

use common::{assay, dec, ok_json, repo, stderr};
use rust_decimal::{Decimal, RoundingStrategy};
use scraper::{ElementRef, Html, Selector};
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

const CSV: &str = "examples/qipp-2009-10/benchmark.csv";
const PERIOD: &str = "2009/10";
const ERIC_RULES: &str = "examples/eric/rules";
const ERIC_DATA: &str = "examples/eric/data";
const ERIC_PERIODS: [&str; 4] = ["2013/14", "2014/15", "2015/16", "2016/17"];

// ---------------------------------------------------------------------------------------
// What the tests are checked against: the CSV read directly, eval's JSON, and a rounding
// written here.

/// An organisation as the example's CSV has it.
#[derive(Debug, Clone)]
struct Org {
    code: String,
    name: String,
    kind: String,
}

/// Every organisation of the example, read with the csv crate (not through assay).
fn orgs() -> &'static Vec<Org> {
    static ORGS: OnceLock<Vec<Org>> = OnceLock::new();
    ORGS.get_or_init(|| read_orgs(&repo().join(CSV)))
}

fn read_orgs(path: &Path) -> Vec<Org> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let headers = r.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}"));
    let (code, name, kind) = (col("Code"), col("Name"), col("Type"));
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            Org { code: rec[code].to_string(), name: rec[name].to_string(), kind: rec[kind].to_string() }
        })
        .collect()
}

/// The organisations whose pages are checked: the first of three types (a large group, a
/// small one, and one too small for the methodologies' statistics, so missing savings).
fn three_orgs() -> Vec<&'static Org> {
    ["Acute trust", "Ambulance trust", "Community trust"]
        .iter()
        .map(|t| orgs().iter().find(|o| o.kind == *t).unwrap_or_else(|| panic!("no {t} in the CSV")))
        .collect()
}

/// A figure record's key: period, entity, methodology, name, index members (sorted).
type FigKey = (String, String, Option<String>, String, Vec<String>);

/// `assay eval --format json`'s records, by key.
struct Eval {
    figures: HashMap<FigKey, Json>,
    totals: Vec<Json>,
}

impl Eval {
    fn run(args: &[&str]) -> Eval {
        let mut all = vec!["eval", "--format", "json"];
        all.extend(args);
        let json = ok_json(&assay(&all));
        let mut figures = HashMap::new();
        for f in json["figures"].as_array().unwrap() {
            let mut members: Vec<String> =
                f["index"].as_object().unwrap().values().map(|m| m.as_str().unwrap().to_string()).collect();
            members.sort();
            let key = (
                f["period"].as_str().unwrap().to_string(),
                f["entity"].as_str().unwrap().to_string(),
                f["methodology"].as_str().map(str::to_string),
                f["name"].as_str().unwrap().to_string(),
                members,
            );
            assert!(figures.insert(key.clone(), f.clone()).is_none(), "two records for {key:?}");
        }
        Eval { figures, totals: json["totals"].as_array().unwrap().clone() }
    }

    /// A figure's record: `figure` as the page names it (`cost_share`, `national_average.saving`).
    fn figure(&self, period: &str, entity: &str, figure: &str, members: &[&str]) -> &Json {
        let (methodology, name) = match figure.split_once('.') {
            Some((m, n)) => (Some(m.to_string()), n.to_string()),
            None => (None, figure.to_string()),
        };
        let mut members: Vec<String> = members.iter().map(|m| m.to_string()).collect();
        members.sort();
        let key = (period.to_string(), entity.to_string(), methodology, name, members);
        self.figures.get(&key).unwrap_or_else(|| panic!("eval has no record {key:?}"))
    }

    /// A total's record: its grouping (`total_by`) is the dimensions of `by`; the grand
    /// total (no `by`) is the one of no grouping, the "in all" table's.
    fn total(&self, period: &str, methodology: &str, name: &str, by: &BTreeMap<String, String>) -> &Json {
        let found: Vec<&Json> = self
            .totals
            .iter()
            .filter(|t| {
                let t_by: BTreeMap<String, String> = t["by"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                    .collect();
                let mut total_by: Vec<String> =
                    t["total_by"].as_array().unwrap().iter().map(|d| d.as_str().unwrap().to_string()).collect();
                total_by.sort();
                t["period"] == period
                    && t["methodology"] == methodology
                    && t["name"] == name
                    && t_by == *by
                    && total_by == by.keys().cloned().collect::<Vec<_>>()
            })
            .collect();
        assert_eq!(found.len(), 1, "eval's totals for {methodology}.{name} by {by:?}: {found:?}");
        found[0]
    }
}

fn qipp_eval() -> &'static Eval {
    static EVAL: OnceLock<Eval> = OnceLock::new();
    EVAL.get_or_init(|| Eval::run(&[]))
}

fn eric_eval() -> &'static Eval {
    static EVAL: OnceLock<Eval> = OnceLock::new();
    EVAL.get_or_init(|| Eval::run(&["--rules", ERIC_RULES, "--data", ERIC_DATA]))
}

/// Half to even at `places`, written with exactly that many places.
fn fixed(d: Decimal, places: u32) -> String {
    let r = d.round_dp_with_strategy(places, RoundingStrategy::MidpointNearestEven);
    let text = r.abs().to_string();
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let mut frac = frac.to_string();
    while frac.len() < places as usize {
        frac.push('0');
    }
    let sign = if r.is_sign_negative() && !r.is_zero() { "-" } else { "" };
    if places == 0 {
        format!("{sign}{}", thousands(int))
    } else {
        format!("{sign}{}.{frac}", thousands(int))
    }
}

/// `1234567` → `1,234,567`.
fn thousands(digits: &str) -> String {
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// What a person should be shown for an eval record: money to the penny with `£` in front,
/// a percentage (eval writes it in percent) to two places, another number to at most four
/// places (trailing zeros dropped) with its unit after it; a missing value with its reason.
fn expected_text(record: &Json) -> String {
    let Some(value) = record["value"].as_str() else {
        return format!("missing ({})", record["missing"].as_str().unwrap());
    };
    let d = dec(value);
    match record["unit"].as_str().unwrap() {
        "GBP" => format!("£{}", fixed(d, 2)),
        "percent" => format!("{}%", fixed(d, 2)),
        unit => {
            let symbol = match unit {
                "GBP_per_FTE" => " £ / FTE",
                "GBP · m2^-1" => " £ / m2",
                "ratio" => "",
                other => panic!("the test does not know how unit `{other}` is shown"),
            };
            let text = fixed(d, 4);
            let text = if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.') } else { &text };
            format!("{text}{symbol}")
        }
    }
}

// ---------------------------------------------------------------------------------------
// The pages, written once per test binary.

/// `assay report --all` over the shipped rules and example, into a folder under the
/// target directory (an earlier run's folder there is replaced, as a user's would be).
fn all_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-all");
        let out = assay(&["report", "--all", "--output", dir.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        dir
    })
}

fn read_page(path: &Path) -> Html {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Html::parse_document(&text)
}

fn org_page(code: &str) -> Html {
    read_page(&all_dir().join("peer_to_peer").join(format!("{code}.html")))
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap()
}

fn text(e: ElementRef<'_>) -> String {
    e.text().collect()
}

fn attr<'a>(e: ElementRef<'a>, name: &str) -> &'a str {
    e.value().attr(name).unwrap_or_else(|| panic!("no {name} on {}", e.html()))
}

/// Every `span.figure` of a page checked against eval: its `data-value` is eval's value
/// for the same key and its text the rounding of that value. Returns how many were checked.
fn check_figures(page: &Html, eval: &Eval, what: &str) -> usize {
    let mut checked = 0;
    for span in page.select(&sel("span.figure")) {
        let period = attr(span, "data-period");
        let figure = attr(span, "data-figure");
        let record = if span.value().classes().any(|c| c == "total") {
            let by: BTreeMap<String, String> = attr(span, "data-by")
                .split(',')
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let (k, v) = p.split_once('=').unwrap();
                    (k.to_string(), v.to_string())
                })
                .collect();
            eval.total(period, attr(span, "data-methodology"), figure, &by)
        } else {
            let members: Vec<&str> = attr(span, "data-index").split(',').filter(|m| !m.is_empty()).collect();
            eval.figure(period, attr(span, "data-entity"), figure, &members)
        };
        assert_eq!(
            attr(span, "data-value"),
            record["value"].as_str().unwrap_or(""),
            "{what}: data-value of {} is not eval's {record}",
            span.html()
        );
        assert_eq!(text(span), expected_text(record), "{what}: printed text of {} (eval: {record})", span.html());
        checked += 1;
    }
    checked
}

// ---------------------------------------------------------------------------------------
// 1. --all

#[test]
fn all_writes_national_index_and_a_page_per_organisation() {
    let dir = all_dir();
    assert!(dir.join("index.html").is_file());
    assert!(dir.join("national.html").is_file());
    let pages: BTreeSet<String> = std::fs::read_dir(dir.join("peer_to_peer"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let expected: BTreeSet<String> = orgs().iter().map(|o| format!("{}.html", o.code)).collect();
    assert_eq!(orgs().len(), 315, "the example has 315 organisations");
    assert_eq!(expected.len(), orgs().len(), "keys are unique in the CSV");
    assert_eq!(pages, expected, "one page per organisation, named by its key, and nothing else");

    // The index links every page written, and nothing that is not there.
    let index = read_page(&dir.join("index.html"));
    let links: BTreeSet<String> = index.select(&sel("a[href]")).map(|a| attr(a, "href").to_string()).collect();
    let mut written: BTreeSet<String> = pages.iter().map(|p| format!("peer_to_peer/{p}")).collect();
    written.insert("national.html".to_string());
    assert_eq!(links, written);
}

// ---------------------------------------------------------------------------------------
// 2. Figures

#[test]
fn every_printed_figure_is_evals() {
    let eval = qipp_eval();
    let national = read_page(&all_dir().join("national.html"));
    let n = check_figures(&national, eval, "national.html");
    assert!(n > 100, "national.html: only {n} figures checked");
    for o in three_orgs() {
        let page = org_page(&o.code);
        let n = check_figures(&page, eval, &o.code);
        assert!(n > 20, "{}: only {n} figures checked", o.code);
        // The page is that organisation's: every entity figure on it is its own.
        for span in page.select(&sel("span.figure:not(.total)")) {
            assert_eq!(attr(span, "data-entity"), o.code);
        }
    }
}

#[test]
fn the_rounding_written_here_is_the_one_people_expect() {
    // The reference the pages are checked against, checked by hand.
    let rec = |value: &str, unit: &str| serde_json::json!({"value": value, "unit": unit});
    assert_eq!(expected_text(&rec("1234567.555", "GBP")), "£1,234,567.56");
    assert_eq!(expected_text(&rec("0.125", "GBP")), "£0.12");
    assert_eq!(expected_text(&rec("-1234.5", "GBP")), "£-1,234.50");
    assert_eq!(expected_text(&rec("1.0344533", "percent")), "1.03%");
    assert_eq!(expected_text(&rec("0.005", "percent")), "0.00%");
    assert_eq!(expected_text(&rec("49460.41948495", "GBP_per_FTE")), "49,460.4195 £ / FTE");
    assert_eq!(expected_text(&rec("15.45", "GBP · m2^-1")), "15.45 £ / m2");
    assert_eq!(expected_text(&rec("100", "ratio")), "100");
    assert_eq!(expected_text(&serde_json::json!({"value": null, "unit": "GBP", "missing": "why"})), "missing (why)");
}

// ---------------------------------------------------------------------------------------
// 3. Distributions

/// One distribution chart as the page draws it.
struct Chart {
    caption: String,
    /// Each mark's class after `mark` and its `y`, in plotted order.
    marks: Vec<(String, f64)>,
    /// The values-plotted table: (name, value as printed, kind).
    rows: Vec<(String, String, String)>,
}

fn chart(figure: ElementRef<'_>) -> Chart {
    let caption = figure.select(&sel("figcaption")).next().map(text).unwrap_or_default().trim().to_string();
    let marks = figure
        .select(&sel("rect.mark"))
        .map(|r| {
            let kind = r.value().classes().find(|c| *c != "mark").unwrap_or("").to_string();
            (kind, attr(r, "y").parse::<f64>().unwrap())
        })
        .collect();
    let rows = figure
        .select(&sel("details table tbody tr"))
        .filter_map(|tr| {
            let tds: Vec<String> = tr.select(&sel("td")).map(text).collect();
            let th: String = tr.select(&sel("th")).map(text).collect();
            // Reference lines' rows have one cell; the values' have rank, value and kind.
            (tds.len() == 3).then(|| (th, tds[1].clone(), tds[2].clone()))
        })
        .collect();
    Chart { caption, marks, rows }
}

/// The organisations of `kind` with a value of cost_share[function], lowest first (equal
/// values by key), each as (code, name, text as printed).
fn peer_values(kind: &str, function: &str) -> Vec<(String, String, String)> {
    let eval = qipp_eval();
    let mut peers: Vec<(Decimal, &Org, String)> = orgs()
        .iter()
        .filter(|o| o.kind == kind)
        .filter_map(|o| {
            let r = eval.figure(PERIOD, &o.code, "cost_share", &[function]);
            r["value"].as_str().map(|v| (dec(v), o, expected_text(r)))
        })
        .collect();
    peers.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.code.cmp(&b.1.code)));
    peers.into_iter().map(|(_, o, t)| (o.code.clone(), o.name.clone(), t)).collect()
}

/// A chart plots exactly `peers` in ascending order, `highlighted` (a code) marked; its
/// bars' tops do not go down as the values go up.
fn check_distribution(c: &Chart, peers: &[(String, String, String)], highlighted: Option<&str>) {
    let what = &c.caption;
    assert!(!peers.is_empty(), "{what}: a group with values");
    assert_eq!(c.marks.len(), peers.len(), "{what}: one mark per peer with a value");
    let rows: Vec<(String, String)> = c.rows.iter().map(|(n, t, _)| (n.clone(), t.clone())).collect();
    let want: Vec<(String, String)> = peers.iter().map(|(_, n, t)| (n.clone(), t.clone())).collect();
    assert_eq!(rows, want, "{what}: the values plotted, lowest first");
    let kinds: Vec<&str> = c.marks.iter().map(|(k, _)| k.as_str()).collect();
    let table_kinds: Vec<&str> = c.rows.iter().map(|(_, _, k)| k.as_str()).collect();
    assert_eq!(kinds, table_kinds, "{what}: the table says what each mark is");
    let lit: Vec<usize> = kinds.iter().enumerate().filter(|(_, k)| **k == "highlighted").map(|(i, _)| i).collect();
    match highlighted {
        Some(code) => {
            let at = peers.iter().position(|(c, _, _)| c == code).unwrap();
            assert_eq!(lit, vec![at], "{what}: exactly one mark highlighted, {code}'s");
        }
        None => assert!(lit.is_empty(), "{what}: nothing highlighted on the page of all"),
    }
    // Both pages draw the members the target's interquartile mean trimmed pale: floor(25% of
    // n) from each end of the ranked group (the rules' `trim: 25%, round: down, ties: key`),
    // computed here from the order alone; the organisation of its own page stays highlighted.
    let n = kinds.len();
    let k = n / 4;
    for (i, kind) in kinds.iter().enumerate() {
        let want = if lit == vec![i] {
            "highlighted"
        } else if i < k || i >= n - k {
            "trimmed"
        } else {
            "peer"
        };
        assert_eq!(*kind, want, "{what}: mark {i} of {n} ({k} trimmed each side): {kinds:?}");
    }
    for (i, w) in c.marks.windows(2).enumerate() {
        assert!(w[1].1 <= w[0].1, "{what}: mark {} (y {}) is below mark {i} (y {})", i + 1, w[1].1, w[0].1);
    }
    // Values ascending and not all equal: the first bar is lower than the last.
    if peers.first().map(|p| &p.2) != peers.last().map(|p| &p.2) {
        assert!(c.marks.last().unwrap().1 < c.marks.first().unwrap().1, "{what}: the bars rise");
    }
}

/// An organisation page's cost_share distributions by function: each is the chart whose
/// position note (the paragraph after it) prints the organisation's cost_share of it.
fn cost_share_charts(page: &Html) -> Vec<(String, Chart, String)> {
    let mut out = Vec::new();
    for figure in page.select(&sel("figure.chart")) {
        let Some(next) = figure.next_siblings().filter_map(ElementRef::wrap).next() else { continue };
        if !next.value().classes().any(|c| c == "position") {
            continue;
        }
        let Some(span) = next.select(&sel("span.figure")).next() else { continue };
        if attr(span, "data-figure") == "cost_share" {
            out.push((attr(span, "data-index").to_string(), chart(figure), text(next)));
        }
    }
    out
}

#[test]
fn each_distribution_plots_the_peer_group() {
    let functions: Vec<String> = {
        // The functions eval has cost_share for, read from its records.
        let mut f: BTreeSet<String> = qipp_eval()
            .figures
            .keys()
            .filter(|(_, e, m, n, _)| e == "SA0001" && m.is_none() && n == "cost_share")
            .map(|k| k.4.join(","))
            .collect();
        f.retain(|x| !x.is_empty());
        f.into_iter().collect()
    };
    assert!(functions.len() >= 5, "{functions:?}");
    let mut finance_caption = None;
    for o in three_orgs() {
        let page = org_page(&o.code);
        let charts = cost_share_charts(&page);
        let seen: BTreeSet<String> = charts.iter().map(|(f, _, _)| f.clone()).collect();
        assert_eq!(seen.into_iter().collect::<Vec<_>>(), functions, "{}: one chart per function", o.code);
        assert_eq!(charts.len(), functions.len(), "{}", o.code);
        for (function, c, note) in &charts {
            let peers = peer_values(&o.kind, function);
            check_distribution(c, &peers, Some(&o.code));
            // The note under the chart: its rank among them, and how many peers it is above.
            let at = peers.iter().position(|(code, _, _)| *code == o.code).unwrap();
            let value = |i: usize| {
                dec(qipp_eval().figure(PERIOD, &peers[i].0, "cost_share", &[function])["value"].as_str().unwrap())
            };
            let below = (0..peers.len()).filter(|&i| value(i) < value(at)).count();
            let rank = format!(
                "rank {} of {}, lowest first; above {below} of its {} peers",
                at + 1,
                peers.len(),
                peers.len() - 1
            );
            assert!(note.contains(&rank), "{}: `{rank}` not in `{note}`", c.caption);
            if o.kind == "Acute trust" && function == "finance" {
                finance_caption = Some(c.caption.clone());
            }
        }
    }
    // The page of all: the same chart for the acute trusts, with nobody highlighted.
    let caption = finance_caption.unwrap();
    let national = read_page(&all_dir().join("national.html"));
    let found: Vec<Chart> = national.select(&sel("figure.chart")).map(chart).filter(|c| c.caption == caption).collect();
    assert_eq!(found.len(), 1, "national.html has one chart `{caption}`");
    check_distribution(&found[0], &peer_values("Acute trust", "finance"), None);
}

/// The note under each chart writes its percentile as an English ordinal: 1st, 2nd, 3rd,
/// 11th, 22nd (not `2th`).
#[test]
fn position_notes_write_ordinals() {
    let percentile = regex::Regex::new(r"\((\d+)(st|nd|rd|th) percentile\)").unwrap();
    let mut seen = 0;
    for o in three_orgs() {
        for (_, c, note) in cost_share_charts(&org_page(&o.code)) {
            let m = percentile.captures(&note).unwrap_or_else(|| panic!("{}: no percentile in {note}", c.caption));
            let n: u32 = m[1].parse().unwrap();
            let want = match (n % 10, n % 100) {
                (_, 11..=13) => "th",
                (1, _) => "st",
                (2, _) => "nd",
                (3, _) => "rd",
                _ => "th",
            };
            assert_eq!(&m[2], want, "{}: {note}", c.caption);
            seen += 1;
        }
    }
    assert!(seen >= 21, "three organisations' seven charts each: {seen}");
}

// ---------------------------------------------------------------------------------------
// 4. ERIC

#[test]
fn eric_entity_page_has_four_years() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("eric.html");
    let out = assay(&[
        "report",
        "--rules",
        ERIC_RULES,
        "--data",
        ERIC_DATA,
        "--entity",
        "R1A",
        "--output",
        file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let page = read_page(&file);
    let eval = eric_eval();

    // The tables print R1A's values of the latest year as eval gives them.
    let n = check_figures(&page, eval, "eric R1A");
    assert!(n >= 3, "{n}");
    let in_table: BTreeSet<(String, String, String)> = page
        .select(&sel("table.figures span.figure"))
        .map(|s| {
            (attr(s, "data-period").to_string(), attr(s, "data-entity").to_string(), attr(s, "data-figure").to_string())
        })
        .collect();
    let want: BTreeSet<(String, String, String)> = ["energy_per_m2", "water_per_m2", "maintenance_per_m2"]
        .iter()
        .map(|f| ("2016/17".to_string(), "R1A".to_string(), f.to_string()))
        .collect();
    assert_eq!(in_table, want);

    // Each KPI's title, from the distribution whose position note prints it.
    let mut titles: HashMap<String, String> = HashMap::new();
    for figure in page.select(&sel("figure.chart")) {
        let Some(next) = figure.next_siblings().filter_map(ElementRef::wrap).next() else { continue };
        if let Some(span) = next.select(&sel("span.figure")).next() {
            let caption = chart(figure).caption;
            let title = caption.split(" — ").next().unwrap().to_string();
            titles.insert(title, attr(span, "data-figure").to_string());
        }
    }
    assert_eq!(titles.len(), 3, "{titles:?}");

    // The trends: four periods, R1A's value in each as eval gives it.
    let mut trends = 0;
    for figure in page.select(&sel("figure.chart")) {
        let caption = chart(figure).caption;
        let Some(title) = caption.strip_suffix(" across periods") else { continue };
        let name = titles.get(title).unwrap_or_else(|| panic!("trend `{caption}` of no known figure"));
        let head: Vec<String> = figure.select(&sel("details table thead th")).skip(1).map(text).collect();
        assert_eq!(head, ERIC_PERIODS, "{caption}");
        let row = figure
            .select(&sel("details table tbody tr"))
            .find(|tr| tr.select(&sel("th")).map(text).collect::<String>() == "R1A")
            .unwrap_or_else(|| panic!("{caption}: no row for R1A"));
        let cells: Vec<String> = row.select(&sel("td")).map(text).collect();
        let want: Vec<String> = ERIC_PERIODS
            .iter()
            .map(|p| {
                let r = eval.figure(p, "R1A", name, &[]);
                if r["value"].is_null() {
                    "missing".to_string()
                } else {
                    expected_text(r)
                }
            })
            .collect();
        assert_eq!(cells, want, "{caption}");
        // A point per period with a value (R1A's and its type's median).
        let points = figure.select(&sel("circle.mark")).count();
        assert!(points > 4 && points <= 8, "{caption}: {points} points");
        trends += 1;
    }
    assert_eq!(trends, 3, "a trend per KPI the report declares");
}

// ---------------------------------------------------------------------------------------
// 5. Bad input

/// A run that must fail with `code` (exit) and `diagnostic` on standard error.
fn fails(out: &std::process::Output, code: i32, diagnostic: &str) -> String {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(code), "{err}");
    assert!(err.contains(diagnostic), "no `{diagnostic}` in:\n{err}");
    err
}

/// Nothing beside `path` in its folder but what was there: no `.tmp` or `.old` folder.
fn no_leftovers(folder: &Path) {
    let left: Vec<String> = std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp") || n.ends_with(".old"))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn an_unknown_figure_in_a_report_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    common::fs::copy_tree(&repo().join("rules"), &rules);
    let file = rules.join("reports.assay");
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str("\nreport broken \"Broken\" {\n  section \"S\" {\n    table cost_shar\n  }\n}\n");
    std::fs::write(&file, text).unwrap();
    let page = dir.path().join("out.html");
    let out = assay(&["report", "broken", "--rules", rules.to_str().unwrap(), "--output", page.to_str().unwrap()]);
    let err = fails(&out, 1, "unknown-name");
    assert!(err.contains("did you mean"), "{err}");
    assert!(err.contains("cost_share"), "the suggestion names the figure: {err}");
    assert!(!page.exists());
}

#[test]
fn an_unknown_entity_is_told_the_closest_key() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("out.html");
    let out = assay(&["report", "peer_to_peer", "--entity", "SA001", "--output", page.to_str().unwrap()]);
    let err = fails(&out, 1, "unknown-entity");
    assert!(err.contains("did you mean `SA0001`"), "{err}");
    assert!(!page.exists());
}

#[test]
fn a_missing_output_folder_fails() {
    let out = assay(&["report", "--output", "/nonexistent-dir/x.html"]);
    fails(&out, 1, "output-error");
    assert!(!Path::new("/nonexistent-dir").exists());
}

#[test]
fn all_wants_an_output_folder() {
    let out = assay(&["report", "--all"]);
    fails(&out, 2, "--output");
}

#[test]
fn all_into_a_users_folder_fails_and_leaves_it_alone() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("mine");
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("notes.txt"), "my notes").unwrap();
    // One report (the page of all) keeps the run short; the folder is the same question.
    let out = assay(&["report", "national", "--all", "--output", target.to_str().unwrap()]);
    fails(&out, 1, "output-error");
    let inside: Vec<String> =
        std::fs::read_dir(&target).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(inside, ["notes.txt"]);
    assert_eq!(std::fs::read_to_string(target.join("notes.txt")).unwrap(), "my notes");
    no_leftovers(dir.path());

    // And a folder that does not exist under a missing parent: nothing made.
    let nowhere = dir.path().join("no/such/folder");
    let out = assay(&["report", "national", "--all", "--output", nowhere.to_str().unwrap()]);
    fails(&out, 1, "output-error");
    assert!(!dir.path().join("no").exists());
    no_leftovers(dir.path());
}

#[test]
fn all_replaces_a_folder_an_earlier_run_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("pages");
    let run = || assay(&["report", "national", "--all", "--output", target.to_str().unwrap()]);
    let first = run();
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    assert!(target.join("national.html").is_file());
    // A file the earlier run did not write goes with the folder it wrote.
    std::fs::write(target.join("stale.html"), "old").unwrap();
    let second = run();
    assert_eq!(second.status.code(), Some(0), "{}", stderr(&second));
    assert!(target.join("national.html").is_file() && target.join("index.html").is_file());
    assert!(!target.join("stale.html").exists(), "the folder was replaced, not written into");
    no_leftovers(dir.path());
}

/// An entity's page reads only its peer group's rows when the data is cached: the page is
/// the same byte for byte as the one made from every row of the files.
#[test]
fn an_entity_page_from_the_cache_is_the_page_from_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let page = |code: &str, cached: bool| {
        let out_file = dir.path().join(format!("{code}-{cached}.html"));
        let args = ["report", "peer_to_peer", "--entity", code, "--output", out_file.to_str().unwrap()];
        let envs = [
            ("ASSAY_CACHE", if cached { cache.to_str().unwrap() } else { "off" }),
            ("ASSAY_CACHE_MIN_BYTES", "0"),
            ("ASSAY_TIMINGS", "1"),
        ];
        let out = common::assay_with_env(repo(), &args, &envs);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let restricted = stderr(&out).contains("one peer group's rows, from the cache");
        (std::fs::read_to_string(out_file).unwrap(), restricted)
    };
    let orgs = three_orgs();
    // The first run fills the cache from the files.
    assert!(!page(&orgs[0].code, true).1);
    for org in orgs {
        let (from_files, restricted) = page(&org.code, false);
        assert!(!restricted);
        let (from_cache, restricted) = page(&org.code, true);
        assert!(restricted, "{}'s page read its peer group alone", org.code);
        assert!(from_cache == from_files, "{}'s page differs when read from the cache", org.code);
    }
}

/// An entity's page alone (its tables computed for it alone, its figures explained while
/// the report evaluates) is its page among all of them, but for the link to their index.
#[test]
fn an_entity_page_alone_is_its_page_among_all() {
    let dir = tempfile::tempdir().unwrap();
    for org in three_orgs() {
        let alone = dir.path().join(format!("{}.html", org.code));
        let out = assay(&["report", "peer_to_peer", "--entity", &org.code, "--output", alone.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let alone = std::fs::read_to_string(alone).unwrap();
        let among = std::fs::read_to_string(all_dir().join("peer_to_peer").join(format!("{}.html", org.code))).unwrap();
        let link = "<nav><a href=\"../index.html\">All reports</a></nav>\n";
        assert!(among.contains(link), "the page among all links to the index");
        assert!(alone == among.replacen(link, "", 1), "{}'s page alone differs from its page among all", org.code);
    }
}

// ---------------------------------------------------------------------------------------
// 6. Hostile names

#[test]
fn hostile_names_are_escaped() {
    const HOSTILE: &str = "<script>alert(1)</script> & \"Co\"";
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    common::fs::copy_tree(&repo().join("examples/qipp-2009-10"), &data);
    // SA0002's name is hostile; its key, and every other organisation, stay as they were.
    let csv_path = data.join("benchmark.csv");
    let mut r = csv::Reader::from_path(&csv_path).unwrap();
    let headers = r.headers().unwrap().clone();
    let name_col = headers.iter().position(|h| h == "Name").unwrap();
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&headers).unwrap();
    let mut changed = 0;
    for rec in r.records() {
        let rec = rec.unwrap();
        let mut fields: Vec<String> = rec.iter().map(str::to_string).collect();
        if fields[0] == "SA0002" {
            fields[name_col] = HOSTILE.to_string();
            changed += 1;
        }
        w.write_record(&fields).unwrap();
    }
    assert_eq!(changed, 1);
    std::fs::write(&csv_path, w.into_inner().unwrap()).unwrap();
    let data_arg = data.to_str().unwrap();

    for (report, entity, file) in [
        ("peer_to_peer", Some("SA0002"), "SA0002.html"),
        ("peer_to_peer", Some("SA0001"), "SA0001.html"),
        ("national", None, "national.html"),
    ] {
        let page = dir.path().join(file);
        let mut args = vec!["report", report, "--data", data_arg, "--output", page.to_str().unwrap()];
        if let Some(e) = entity {
            args.extend(["--entity", e]);
        }
        let out = assay(&args);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let html = std::fs::read_to_string(&page).unwrap();
        assert!(!html.to_ascii_lowercase().contains("<script"), "{file} holds a script element");
        let doc = Html::parse_document(&html);
        assert_eq!(doc.select(&sel("script")).count(), 0, "{file}");
        // The name reads back exactly where it is printed (the peer table of its group).
        let exact = doc.select(&sel("*")).filter(|e| e.children().count() == 1 && text(*e) == HOSTILE).count();
        assert!(exact > 0, "{file}: no element reads `{HOSTILE}`");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; "), "{file}: escaped as text");
    }
}

// ---------------------------------------------------------------------------------------
// 7. In a browser

#[test]
fn pages_render_in_a_browser() {
    let shots = repo().join("target/report-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    for (page, shot) in [
        (all_dir().join("national.html"), shots.join("national.png")),
        (all_dir().join("peer_to_peer/SA0001.html"), shots.join("peer_to_peer.png")),
    ] {
        let charts = read_page(&page).select(&sel("figure.chart svg")).count();
        assert!(charts > 5, "{}: {charts} charts", page.display());
        if let Some(summary) = common::browser::check_page(&page, &shot, charts) {
            assert!(shot.is_file(), "{summary}");
        }
    }
}
