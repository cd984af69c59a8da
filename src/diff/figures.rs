//! Figures that moved: both sides evaluated over the same data, compared entity by entity,
//! largest change first, each with the changed definitions it depends on.

use super::semantic::Change;
use crate::check::exprs::Node;
use crate::eval::run::{self, Request, Results};
use crate::ruletest::derivation::show_value;
use crate::value::Value;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Serialize)]
pub struct Moved {
    pub period: String,
    pub entity: String,
    /// `national_average.saving[finance]`.
    pub figure: String,
    pub old: String,
    pub new: String,
    /// New minus old, in the figure's shown unit (percent figures in percent); null when
    /// one side is missing.
    pub change: Option<String>,
    /// The values exactly, as `eval --format json` gives them (percentages as fractions).
    pub old_exact: String,
    pub new_exact: String,
    /// Changed definitions the figure depends on (`methodology national_average`).
    pub because: Vec<String>,
    #[serde(skip)]
    size: Decimal,
}

type Key = (String, String, String);

/// Every entity figure of a result, keyed by (period, figure, entity), with its shown value.
fn figures(results: &Results) -> BTreeMap<Key, (Value, crate::eval::run::UnitOut, Node)> {
    let mut out = BTreeMap::new();
    for p in &results.periods {
        for f in &p.figures {
            let index: Vec<&str> = f.index.iter().map(|(_, m)| m.as_str()).collect();
            let base = match &f.methodology {
                Some(m) => format!("{m}.{}", f.name),
                None => f.name.clone(),
            };
            let label = if index.is_empty() { base } else { format!("{base}[{}]", index.join(", ")) };
            let node = match &f.methodology {
                Some(m) => Node::Figure(m.clone(), f.name.clone()),
                None => Node::Kpi(f.name.clone()),
            };
            for (row, entity) in p.entities.iter().enumerate() {
                out.insert(
                    (p.period.clone(), label.clone(), entity.to_string()),
                    (f.values.get(row).clone(), f.unit.clone(), node.clone()),
                );
            }
        }
    }
    out
}

/// Evaluate one side over the data; errors are returned as diagnostics with the sources.
pub fn evaluate(
    tree: &crate::load::RuleTree,
    data: &std::path::Path,
    budget: &crate::eval::budget::ScriptBudget,
) -> (Option<Results>, Vec<crate::diagnostic::Diagnostic>, Vec<crate::source::SourceFile>) {
    let mut sources = tree.files.clone();
    let request = Request { data_dir: data.to_path_buf(), budget: budget.clone(), ..Request::default() };
    let (results, diags) = run::run(tree, &request, &mut sources);
    (results, diags, sources)
}

/// The figures whose value differs, largest absolute change first (a figure that became
/// or stopped being missing first of all).
pub fn moved(old: &Results, new: &Results, changes: &[Change], deps: &BTreeMap<Node, BTreeSet<Node>>) -> Vec<Moved> {
    let (a, b) = (figures(old), figures(new));
    let mut out = Vec::new();
    for (key, (after, unit, node)) in &b {
        let Some((before, _, _)) = a.get(key) else { continue };
        if before == after {
            continue;
        }
        let in_unit =
            |v: &Value| if unit.percent { v.as_num().and_then(crate::value::format::to_percent) } else { v.as_num() };
        let (change, size) = match delta(in_unit(before), in_unit(after)) {
            Some(d) => (Some(d.normalize().to_string()), d.abs()),
            _ => (None, Decimal::MAX),
        };
        let because = responsible(changes, deps, std::slice::from_ref(node));
        out.push(Moved {
            period: key.0.clone(),
            figure: key.1.clone(),
            entity: key.2.clone(),
            old: shown(before, unit),
            new: shown(after, unit),
            change: change.map(|c| round_text(&c, unit)),
            because,
            size,
            old_exact: before.to_string(),
            new_exact: after.to_string(),
        });
    }
    out.sort_by(|x, y| {
        y.size.cmp(&x.size).then_with(|| (&x.period, &x.figure, &x.entity).cmp(&(&y.period, &y.figure, &y.entity)))
    });
    out
}

/// How many entity figures only one side has (those of added or removed definitions, or
/// of entities only one side's data gives): (only in the old, only in the new).
pub fn unmatched(old: &Results, new: &Results) -> (usize, usize) {
    let (a, b) = (figures(old), figures(new));
    (a.keys().filter(|k| !b.contains_key(*k)).count(), b.keys().filter(|k| !a.contains_key(*k)).count())
}

/// Everything each definition depends on, directly or not.
pub fn closure(deps: &[crate::check::exprs::Dep]) -> BTreeMap<Node, BTreeSet<Node>> {
    let mut direct: BTreeMap<Node, BTreeSet<Node>> = BTreeMap::new();
    for d in deps {
        direct.entry(d.from.clone()).or_default().insert(d.to.clone());
    }
    let mut out = BTreeMap::new();
    for start in direct.keys() {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<&Node> = vec![start];
        while let Some(n) = stack.pop() {
            for m in direct.get(n).into_iter().flatten() {
                if seen.insert(m.clone()) {
                    stack.push(m);
                }
            }
        }
        out.insert(start.clone(), seen);
    }
    out
}

/// Places shown: pennies for money, four for anything else (percent in percent).
fn places(unit: &crate::eval::run::UnitOut) -> u32 {
    if unit.money {
        2
    } else if unit.percent {
        6
    } else {
        4
    }
}

/// A value as the diff shows it: money to the penny (`£1234.50`), others rounded.
fn shown(v: &Value, unit: &crate::eval::run::UnitOut) -> String {
    if v.is_approx() {
        return crate::value::format::human(v, unit);
    }
    match v {
        Value::Num(d) if unit.money => format!("{}{:.2}", unit.symbol, d.round_dp(2)),
        Value::Num(d) => {
            let p = if unit.percent { places(unit).saturating_add(2) } else { places(unit) };
            show_value(&Value::Num(d.round_dp(p)), Some(unit))
        }
        other => show_value(other, Some(unit)),
    }
}

fn round_text(text: &str, unit: &crate::eval::run::UnitOut) -> String {
    match text.parse::<Decimal>() {
        Ok(d) if unit.money => format!("{:.2}", d.round_dp(2)),
        Ok(d) => d.round_dp(places(unit)).normalize().to_string(),
        Err(_) => text.to_string(),
    }
}

/// A methodology total whose value changed: `national_average.saving by org_type (small)`.
#[derive(Debug, Clone, Serialize)]
pub struct MovedTotal {
    pub period: String,
    pub total: String,
    pub old: String,
    pub new: String,
    pub change: Option<String>,
    pub because: Vec<String>,
    #[serde(skip)]
    size: Decimal,
}

/// Every total row of a result, keyed by (period, label).
/// A total reads its figure and, through the methodology's `scale`, whatever that reads:
/// both nodes are kept, so either's changes are named.
fn totals(results: &Results) -> BTreeMap<(String, String), (Value, crate::eval::run::UnitOut, [Node; 2])> {
    let mut out = BTreeMap::new();
    for p in &results.periods {
        for t in &p.totals {
            let name = format!("{}.{}", t.methodology, t.figure);
            let node = [Node::Figure(t.methodology.clone(), t.figure.clone()), Node::Scale(t.methodology.clone())];
            let by = if t.by.is_empty() { String::new() } else { format!(" by {}", t.by.join(", ")) };
            for row in &t.rows {
                let label = format!("{name}{by} ({})", row.dims.join(", "));
                out.insert((p.period.clone(), label), (row.value.clone(), t.unit.clone(), node.clone()));
            }
            if t.has_grand {
                let label = if t.by.is_empty() { name.clone() } else { format!("{name}{by} (all)") };
                out.insert((p.period.clone(), label), (t.grand.value.clone(), t.unit.clone(), node.clone()));
            }
        }
    }
    out
}

/// The totals whose value differs, largest absolute change first.
pub fn moved_totals(
    old: &Results,
    new: &Results,
    changes: &[Change],
    deps: &BTreeMap<Node, BTreeSet<Node>>,
) -> Vec<MovedTotal> {
    let (a, b) = (totals(old), totals(new));
    let mut out = Vec::new();
    for (key, (after, unit, node)) in &b {
        let Some((before, _, _)) = a.get(key) else { continue };
        if before == after {
            continue;
        }
        let in_unit =
            |v: &Value| if unit.percent { v.as_num().and_then(crate::value::format::to_percent) } else { v.as_num() };
        let (change, size) = match delta(in_unit(before), in_unit(after)) {
            Some(d) => (Some(round_text(&d.normalize().to_string(), unit)), d.abs()),
            _ => (None, Decimal::MAX),
        };
        out.push(MovedTotal {
            period: key.0.clone(),
            total: key.1.clone(),
            old: shown(before, unit),
            new: shown(after, unit),
            change,
            because: responsible(changes, deps, node),
            size,
        });
    }
    out.sort_by(|x, y| y.size.cmp(&x.size).then_with(|| (&x.period, &x.total).cmp(&(&y.period, &y.total))));
    out
}

/// The changed definitions a figure depends on (through `nodes`, themselves included, or
/// anything they read, directly or not); when none, the changes that name no figure
/// (datasets, sets), which may be behind it.
fn responsible(changes: &[Change], deps: &BTreeMap<Node, BTreeSet<Node>>, nodes: &[Node]) -> Vec<String> {
    let reaches = |n: &Node| nodes.iter().any(|own| own == n || deps.get(own).is_some_and(|u| u.contains(n)));
    let direct: Vec<String> =
        changes.iter().filter(|c| c.nodes.iter().any(reaches)).map(|c| format!("{} {}", c.kind, c.name)).collect();
    if direct.is_empty() {
        changes.iter().filter(|c| c.nodes.is_empty()).map(|c| format!("{} {}", c.kind, c.name)).collect()
    } else {
        direct
    }
}

/// How far a figure moved, when both sides are numbers and the difference fits a decimal.
fn delta(before: Option<Decimal>, after: Option<Decimal>) -> Option<Decimal> {
    after?.checked_sub(before?)
}
