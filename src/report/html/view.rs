//! The evaluated results as a report reads them: a period's entities by key, each one's
//! name and peer group, and a figure's value by name, methodology and index members.

use crate::ast::FigureRef;
use crate::eval::column::Column;
use crate::eval::run::{FigureOut, PeriodResult, Results, TotalOut};
use crate::value::{UnitOut, Value};
use std::collections::HashMap;

/// One period of the results, indexed.
pub struct PeriodView<'r> {
    pub result: &'r PeriodResult,
    row_of: HashMap<&'r str, usize>,
    /// Each entity's peer group (the `peers same` fields' values joined), by row.
    peer_group: Vec<String>,
    label: Option<&'r Column>,
}

impl<'r> PeriodView<'r> {
    pub fn new(result: &'r PeriodResult, peer_fields: &[String], label: Option<&str>) -> PeriodView<'r> {
        // Rows are in key order: charts rank equal values by row, as by key.
        debug_assert!(result.entities.is_sorted(), "a period's entities are in key order");
        let row_of = result.entities.iter().enumerate().map(|(i, e)| (e.as_ref(), i)).collect();
        let columns: Vec<&Column> =
            peer_fields.iter().filter_map(|f| result.fields.iter().find(|(n, _)| n == f).map(|(_, c)| c)).collect();
        let peer_group = (0..result.entities.len())
            .map(|row| columns.iter().map(|c| c.get(row).to_string()).collect::<Vec<_>>().join(" · "))
            .collect();
        let label = label.and_then(|l| result.fields.iter().find(|(n, _)| n == l).map(|(_, c)| c));
        PeriodView { result, row_of, peer_group, label }
    }

    pub fn period(&self) -> &'r str {
        &self.result.period
    }

    pub fn row(&self, entity: &str) -> Option<usize> {
        self.row_of.get(entity).copied()
    }

    pub fn key(&self, row: usize) -> &'r str {
        self.result.entities.get(row).map_or("", |k| k.as_ref())
    }

    /// The entity's name (its `label` field), or its key when it has none.
    pub fn name(&self, row: usize) -> String {
        match self.label.map(|c| c.get(row)) {
            Some(Value::Text(t) | Value::Member(t)) if !t.trim().is_empty() => t.to_string(),
            _ => self.key(row).to_string(),
        }
    }

    pub fn peer_group(&self, row: usize) -> &str {
        self.peer_group.get(row).map_or("", String::as_str)
    }

    /// The rows of a peer group, in key order (the results' entity order).
    pub fn members(&self, group: &str) -> Vec<usize> {
        (0..self.result.entities.len()).filter(|&r| self.peer_group(r) == group).collect()
    }

    /// Every peer group, in order of its name.
    pub fn groups(&self) -> Vec<String> {
        let mut g = self.peer_group.clone();
        g.sort();
        g.dedup();
        g
    }

    /// The figure's results for each combination of its index members, in the rules' order.
    pub fn figures(&self, f: &FigureRef) -> Vec<&'r FigureOut> {
        let meth = f.methodology.as_ref().map(|m| m.node.as_str());
        self.result.figures.iter().filter(|o| o.name == f.name.node && o.methodology.as_deref() == meth).collect()
    }

    /// The figure's result for these index members.
    pub fn figure(&self, f: &FigureRef, members: &[String]) -> Option<&'r FigureOut> {
        self.figures(f).into_iter().find(|o| o.index.iter().map(|(_, m)| m).eq(members.iter()))
    }

    pub fn totals(&self, methodology: &str) -> Vec<&'r TotalOut> {
        self.result.totals.iter().filter(|t| t.methodology == methodology).collect()
    }
}

/// Every period's view, in the results' order (oldest first).
pub fn periods<'r>(results: &'r Results, peer_fields: &[String], label: Option<&str>) -> Vec<PeriodView<'r>> {
    results.periods.iter().map(|p| PeriodView::new(p, peer_fields, label)).collect()
}

/// A value as the tables print it (money to the penny, percentages to two places), and
/// its exact digits for machines (`data-value`).
pub fn shown(value: &Value, unit: &UnitOut) -> (String, Option<String>) {
    (crate::value::format::human(value, unit), crate::value::format::exact(value, unit))
}
