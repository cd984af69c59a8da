//! `assay explain` agrees with `assay eval`, through the command line, for every figure of
//! three entities of every example: the one-entity path (its row alone, its peer group, the
//! data cache, datasets built `from classify`) must load and compute what the whole run
//! does. (tests/explain.rs compares every figure of the examples in-process, in bulk.)

#![allow(clippy::panic, clippy::indexing_slicing, reason = "test code: failing loudly is the point")]

mod common;

use common::{assay, ok_stdout};
use std::collections::BTreeMap;

/// One figure of `eval --format csv`: its selector for `explain`, and the value eval gave.
struct Figure {
    period: String,
    entity: String,
    methodology: Option<String>,
    selector: String,
    value: String,
    missing: String,
}

/// Every figure `eval` reports for the given rules and data, keyed by entity.
fn eval_figures(rules: &[&str], data: &str) -> BTreeMap<String, Vec<Figure>> {
    let mut args = vec!["eval", "--format", "csv", "--data", data, "--rules"];
    args.extend_from_slice(rules);
    let text = ok_stdout(&assay(&args));
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut out: BTreeMap<String, Vec<Figure>> = BTreeMap::new();
    for row in reader.records() {
        let row = row.unwrap_or_else(|e| panic!("eval's CSV: {e}"));
        let field = |i: usize| row.get(i).unwrap_or_default().to_string();
        if field(0) != "figure" {
            continue;
        }
        // The index as eval writes it (`set=member;set=member`, in declared order) is the
        // order explain's brackets take.
        let members: Vec<String> = field(5)
            .split(';')
            .filter(|p| !p.is_empty())
            .map(|p| p.split_once('=').map_or(p, |(_, m)| m).to_string())
            .collect();
        let name = field(4);
        let selector = if members.is_empty() { name } else { format!("{name}[{}]", members.join(",")) };
        let methodology = Some(field(3)).filter(|m| !m.is_empty());
        out.entry(field(2)).or_default().push(Figure {
            period: field(1),
            entity: field(2),
            methodology,
            selector,
            value: field(6),
            missing: field(8),
        });
    }
    out
}

/// The first, middle and last entity (by key), so that groups of every size and the ends
/// of orderings are met.
fn three(entities: &BTreeMap<String, Vec<Figure>>) -> Vec<&Vec<Figure>> {
    let all: Vec<&Vec<Figure>> = entities.values().collect();
    let picks = [0, all.len() / 2, all.len().saturating_sub(1)];
    let mut chosen: Vec<&Vec<Figure>> = picks.iter().filter_map(|&i| all.get(i).copied()).collect();
    chosen.dedup_by_key(|f| f.first().map(|f| f.entity.clone()));
    chosen
}

/// Explain each figure through the CLI (two at a time) and compare its value and reason
/// with eval's. Returns how many were compared.
fn explain_agrees(rules: &[&str], data: &str, keep: impl Fn(&Figure) -> bool) -> usize {
    let entities = eval_figures(rules, data);
    let figures: Vec<&Figure> = three(&entities).into_iter().flatten().filter(|f| keep(f)).collect();
    let failures = std::sync::Mutex::new(Vec::new());
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(f) = figures.get(i) else { break };
                if let Some(why) = compare(rules, data, f) {
                    failures.lock().unwrap_or_else(|e| e.into_inner()).push(why);
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap_or_else(|e| e.into_inner());
    assert!(failures.is_empty(), "{} of {} figures disagree:\n{}", failures.len(), figures.len(), failures.join("\n"));
    figures.len()
}

fn compare(rules: &[&str], data: &str, f: &Figure) -> Option<String> {
    let mut args = vec![
        "explain",
        f.selector.as_str(),
        "--entity",
        f.entity.as_str(),
        "--period",
        f.period.as_str(),
        "--depth",
        "1",
        "--format",
        "json",
        "--data",
        data,
    ];
    if let Some(m) = &f.methodology {
        args.extend_from_slice(&["--methodology", m.as_str()]);
    }
    args.push("--rules");
    args.extend_from_slice(rules);
    let o = assay(&args);
    let what = format!("{} {:?} of {}", f.selector, f.methodology, f.entity);
    if o.status.code() != Some(0) {
        return Some(format!("{what}: explain exited {:?}: {}", o.status.code(), common::stderr(&o)));
    }
    let graph: serde_json::Value = match serde_json::from_slice(&o.stdout) {
        Ok(g) => g,
        Err(e) => return Some(format!("{what}: explain's JSON: {e}")),
    };
    let root = &graph["nodes"][graph["root"].as_u64().unwrap_or_default() as usize];
    let value = root["value"].as_str().unwrap_or_default();
    let missing = root["missing"].as_str().unwrap_or_default();
    (value != f.value || missing != f.missing)
        .then(|| format!("{what}: eval {:?} ({:?}), explain {value:?} ({missing:?})", f.value, f.missing))
}

#[test]
fn the_qipp_example_explains_every_figure_of_three_organisations_as_eval_computes_it() {
    let n = explain_agrees(&["rules"], "examples/qipp-2009-10", |_| true);
    assert!(n > 900, "only {n} figures");
}

#[test]
fn the_eric_example_explains_every_figure_of_three_trusts_as_eval_computes_it() {
    let n = explain_agrees(&["examples/eric/rules"], "examples/eric/data", |_| true);
    assert!(n > 30, "only {n} figures");
}

/// A dataset built `from classify` is loaded by explain as by eval (it once was not:
/// `dataset ledger_costs names no file`). The library's own figures are compared above;
/// here, the KPIs the ledger example adds.
#[test]
fn the_ledger_example_explains_its_classified_figures_as_eval_computes_them() {
    let added = ["class_share", "activity_cost", "shareable_spend"];
    let n = explain_agrees(&["rules", "examples/ledger"], "examples/qipp-2009-10", |f| {
        f.methodology.is_none() && added.iter().any(|a| f.selector.split('[').next() == Some(a))
    });
    assert!(n > 100, "only {n} figures");
    // Its data node says where the value comes from, not a line 0 of the ledger.
    let o = assay(&["explain", "shareable_spend", "--entity", "SA0001", "--rules", "rules", "examples/ledger"]);
    let text = ok_stdout(&o);
    assert!(text.contains("summed over the records of examples/qipp-2009-10/ledger.csv"), "{text}");
    assert!(!text.contains("ledger.csv:0"), "{text}");
}

/// The tutorial's methodology, added to the library from a folder of its own.
#[test]
fn the_tutorial_methodology_explains_every_figure_of_three_organisations_as_eval_computes_it() {
    let n = explain_agrees(&["rules", "examples/tutorial"], "examples/qipp-2009-10", |f| {
        f.methodology.as_deref() == Some("national_median")
    });
    assert!(n >= 40, "only {n} figures");
}
