//! Figures that moved: both sides evaluated over the same data, compared entity by entity,
//! largest change first, each with the changed definitions it depends on.

use super::semantic::Change;
use crate::check::exprs::Node;
use crate::eval::run::{self, Request, Results};
use crate::eval::value::Value;
use crate::ruletest::derivation::show_value;
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
) -> (Option<Results>, Vec<crate::diagnostic::Diagnostic>, Vec<crate::source::SourceFile>) {
    let mut sources = tree.files.clone();
    let request = Request { data_dir: data.to_path_buf(), ..Request::default() };
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
        let shown = |v: &Value| if unit.percent { v.as_num().map(|d| d * Decimal::ONE_HUNDRED) } else { v.as_num() };
        let (change, size) = match (shown(before), shown(after)) {
            (Some(x), Some(y)) => (Some((y - x).normalize().to_string()), (y - x).abs()),
            _ => (None, Decimal::MAX),
        };
        let upstream = deps.get(node);
        let mut because: Vec<String> = changes
            .iter()
            .filter(|c| c.nodes.iter().any(|n| n == node || upstream.is_some_and(|u| u.contains(n))))
            .map(|c| format!("{} {}", c.kind, c.name))
            .collect();
        if because.is_empty() {
            because = changes.iter().filter(|c| c.nodes.is_empty()).map(|c| format!("{} {}", c.kind, c.name)).collect();
        }
        out.push(Moved {
            period: key.0.clone(),
            figure: key.1.clone(),
            entity: key.2.clone(),
            old: show_value(&rounded(before, unit), Some(unit)),
            new: show_value(&rounded(after, unit), Some(unit)),
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

fn rounded(v: &Value, unit: &crate::eval::run::UnitOut) -> Value {
    match v {
        Value::Num(d) => {
            let p = if unit.percent { places(unit) + 2 } else { places(unit) };
            Value::Num(d.round_dp(p))
        }
        other => other.clone(),
    }
}

fn round_text(text: &str, unit: &crate::eval::run::UnitOut) -> String {
    match text.parse::<Decimal>() {
        Ok(d) => d.round_dp(places(unit)).normalize().to_string(),
        Err(_) => text.to_string(),
    }
}
