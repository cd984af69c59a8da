//! What every page shares: names of figures and index members as people read them, a
//! printed figure with its explanation under it, and the ranked values a chart plots.

use super::explained::{Explanation, Wanted};
use super::view::{self, PeriodView};
use crate::ast::{DefKind, FigureRef};
use crate::check::symbols::Item;
use crate::eval::model::Model;
use crate::eval::run::FigureOut;
use crate::eval::stats::{self, QuantileMethod};
use crate::report::markup::escape;
use crate::value::{UnitOut, Value};
use rayon::prelude::*;
use rust_decimal::Decimal;
use std::collections::HashMap;

/// What a page is drawn from.
pub struct Ctx<'a> {
    pub model: &'a Model<'a>,
    /// Every period, oldest first, and the one the page shows.
    pub views: &'a [PeriodView<'a>],
    pub now: usize,
    /// Explanations of the figures the page prints, as HTML.
    pub why: &'a HashMap<Wanted, Explanation>,
}

impl<'a> Ctx<'a> {
    pub fn view(&self) -> Option<&'a PeriodView<'a>> {
        self.views.get(self.now)
    }

    /// A member's title (`Finance`), or its name.
    pub fn member(&self, set: &str, member: &str) -> String {
        self.model
            .syms
            .members(set)
            .and_then(|ms| ms.into_iter().find(|m| m.name == member).and_then(|m| m.title.map(str::to_string)))
            .unwrap_or_else(|| member.to_string())
    }

    /// Index members as people read them: `Finance`, `Finance, small`.
    pub fn members(&self, index: &[(String, String)]) -> String {
        index.iter().map(|(set, m)| self.member(set, m)).collect::<Vec<_>>().join(", ")
    }

    /// A figure's title for these members: a KPI's title with `{f.title}` and `{f}` filled
    /// in; otherwise its name, then the members.
    pub fn title(&self, f: &FigureRef, index: &[(String, String)]) -> String {
        if f.methodology.is_none() {
            if let Some(Item::Kpi(k)) = self.model.syms.get(&f.name.node).map(|s| s.item) {
                if let Some(t) = &k.title {
                    let mut text = t.node.clone();
                    for (i, decl) in k.indices.iter().enumerate() {
                        let var = &decl.node.var.node;
                        // Without members (a column heading over all of them): an ellipsis.
                        let (title, name) = match index.get(i) {
                            Some((set, m)) => (self.member(set, m), m.clone()),
                            None => ("…".to_string(), "…".to_string()),
                        };
                        text = text.replace(&format!("{{{var}.title}}"), &title);
                        text = text.replace(&format!("{{{var}}}"), &name);
                    }
                    return text;
                }
            }
        }
        let what = match &f.methodology {
            Some(m) => format!("{} ({})", f.name.node.replace('_', " "), self.methodology_title(&m.node)),
            None => f.name.node.replace('_', " "),
        };
        if index.is_empty() {
            what
        } else {
            format!("{what}: {}", self.members(index))
        }
    }

    pub fn methodology_title(&self, name: &str) -> String {
        self.model
            .definitions()
            .find_map(|d| match &d.node.kind {
                DefKind::Methodology(m) if d.node.name.node == name => Some(m.title.node.clone()),
                _ => None,
            })
            .unwrap_or_else(|| name.to_string())
    }

    /// A printed figure of one entity, with its explanation under it (`how`).
    pub fn value(&self, v: &PeriodView<'_>, f: &FigureRef, out: &FigureOut, row: usize) -> String {
        let value = out.values.get(row);
        let members: Vec<String> = out.index.iter().map(|(_, m)| m.clone()).collect();
        let (text, exact) = view::shown(value, &out.unit);
        let mut html = format!(
            "<span class=\"figure\" data-period=\"{}\" data-entity=\"{}\" data-figure=\"{}\" data-index=\"{}\" data-value=\"{}\">{}</span>",
            escape(v.period()),
            escape(v.key(row)),
            escape(&f.text()),
            escape(&members.join(",")),
            escape(exact.as_deref().unwrap_or("")),
            escape(&text)
        );
        if let Some(why) = self.why.get(&wanted(f, &members)) {
            html.push_str(&format!("<details class=\"why\"><summary>how</summary>{}</details>", why.html));
        }
        html
    }
}

/// The selector `assay explain` takes for a figure and its members.
pub fn wanted(f: &FigureRef, members: &[String]) -> Wanted {
    let selector = if members.is_empty() { f.text() } else { format!("{}[{}]", f.text(), members.join(",")) };
    Wanted { selector, methodology: None, by: Vec::new(), entity: None }
}

/// The member of a group whose explanation of a statistic over the group stands for the
/// group (the statistic is the same for every member): the first, in key order, with a
/// value of it.
pub fn representative<'v>(stat: &FigureOut, rows: &[usize], v: &'v PeriodView<'_>) -> Option<&'v str> {
    rows.iter().find(|&&r| stat.values.get(r).as_near().is_some()).map(|&r| v.key(r))
}

/// An axis label with its unit: `£`, `%`, `£ / m2`.
pub fn axis(unit: &UnitOut) -> String {
    if unit.percent {
        "%".to_string()
    } else if unit.symbol.is_empty() || unit.symbol == "ratio" {
        "ratio".to_string()
    } else {
        unit.symbol.clone()
    }
}

/// The value a chart places: percentages in percent, as the axis reads.
pub fn placed(d: Decimal, unit: &UnitOut) -> f64 {
    let shown = if unit.percent { crate::value::format::to_percent(d).unwrap_or(d) } else { d };
    stats::approx(shown)
}

/// A group's values of a figure, lowest first (equal values by entity key), each with its
/// row; and how many members have no value (left out of the chart, counted in its caption).
pub fn ranked(out: &FigureOut, rows: &[usize]) -> (Vec<(usize, Decimal)>, usize) {
    let mut values = Vec::with_capacity(rows.len());
    let mut missing = 0usize;
    for &row in rows {
        match out.values.get(row).as_near() {
            Some((d, _)) => values.push((row, d)),
            None => missing = missing.saturating_add(1),
        }
    }
    // Floats decide the order where they can (exactly, see stats::compare): a group of a
    // few hundred thousand sorts by exact decimals only where two values are close.
    let mut placed: Vec<(f64, usize, Decimal)> =
        values.into_iter().map(|(row, d)| (stats::approx(d), row, d)).collect();
    // Equal values are ordered by key, which is the order of rows (a period's entities are
    // in key order): no two members are equal, so no order to keep. A peer group of a few
    // hundred thousand sorts on every core.
    placed.par_sort_unstable_by(|(fa, ra, a), (fb, rb, b)| stats::compare(*fa, *a, *fb, *b).then(ra.cmp(rb)));
    (placed.into_iter().map(|(_, row, d)| (row, d)).collect(), missing)
}

/// The quartiles of values lowest first, as [`ranked`] gives them (linear interpolation
/// between the ranked values, as `quantile(x, p, method: linear)` takes them): the first,
/// the median and the third.
pub fn quartiles(values: &[(usize, Decimal)]) -> Vec<(&'static str, Value)> {
    let sorted: Vec<Decimal> = values.iter().map(|(_, d)| *d).collect();
    [("first quartile", Decimal::new(25, 2)), ("median", Decimal::new(5, 1)), ("third quartile", Decimal::new(75, 2))]
        .into_iter()
        .filter_map(|(label, p)| {
            stats::quantile_sorted(&sorted, p, QuantileMethod::Linear).ok().map(|n| (label, Value::near(n)))
        })
        .collect()
}

/// The median of values lowest first, as [`quartiles`] takes it.
pub fn median(values: &[(usize, Decimal)]) -> Option<Value> {
    quartiles(values).into_iter().find(|(l, _)| *l == "median").map(|(_, m)| m)
}
