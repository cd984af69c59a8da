//! A period's frame: the entities that have data in it, and each field as a column,
//! gathered from the tables only when a formula first needs it.

use super::value::{Column, Value};
use crate::ast::Date;
use crate::data::{DatasetSpec, FieldKey, Table};
use rayon::prelude::*;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

/// Entities above which a field's column is gathered in parallel.
const PARALLEL_ROWS: usize = 16_384;

pub struct Frame<'t> {
    pub period: Arc<str>,
    /// The date parameters are resolved at: the period's start, if its name says a year.
    pub date: Option<Date>,
    /// Entity keys in sorted order, so that output never depends on input row order.
    pub keys: Vec<Arc<str>>,
    pub tables: &'t [Table],
    /// For each table, the row each entity's values come from.
    pub rows: Vec<Vec<Option<usize>>>,
}

impl Frame<'_> {
    pub fn period_label(&self) -> String {
        if self.period.is_empty() {
            "the data".to_string()
        } else {
            format!("period {}", self.period)
        }
    }

    /// A field's values for every entity (missing where its dataset has no row for it).
    pub fn field(&self, key: &FieldKey) -> Option<Column> {
        let (t, table) = self.tables.iter().enumerate().find(|(_, t)| !t.records && t.columns.contains_key(key))?;
        let values = table.columns.get(key)?;
        let rows = self.rows.get(t)?;
        let absent = Value::missing(format!("no row in dataset `{}`", table.dataset));
        let gather = |r: &Option<usize>| r.and_then(|i| values.get(i)).cloned().unwrap_or_else(|| absent.clone());
        let column: Vec<Value> = if rows.len() >= PARALLEL_ROWS {
            rows.par_iter().map(gather).collect()
        } else {
            rows.iter().map(gather).collect()
        };
        Some(Column::from_vec(column))
    }
}

/// Every period present in the entity datasets, sorted; one unnamed period if none declares any.
pub fn periods(tables: &[Table]) -> Vec<Arc<str>> {
    let set: BTreeSet<Arc<str>> =
        tables.iter().filter(|t| !t.records).flat_map(|t| t.periods.iter().cloned()).collect();
    if set.is_empty() {
        vec![Arc::from("")]
    } else {
        set.into_iter().collect()
    }
}

/// The frame of one period. A dataset without a period column applies to every period.
pub fn build<'t>(tables: &'t [Table], specs: &[DatasetSpec], period: &Arc<str>) -> Frame<'t> {
    let in_period = |t: &Table, i: usize| t.periods.get(i).is_some_and(|p| p.is_empty() || p == period);
    let mut keys: Vec<Arc<str>> = tables
        .iter()
        .filter(|t| !t.records)
        .flat_map(|t| t.keys.iter().enumerate().filter(|(i, _)| in_period(t, *i)).map(|(_, k)| k.clone()))
        .collect();
    keys.par_sort_unstable();
    keys.dedup();
    let position: HashMap<&str, usize> = keys.iter().enumerate().map(|(i, k)| (k.as_ref(), i)).collect();
    let mut rows = Vec::new();
    for t in tables {
        let mut row_of = vec![None; keys.len()];
        if !t.records {
            for (i, k) in t.keys.iter().enumerate() {
                if in_period(t, i) {
                    if let Some(slot) = position.get(k.as_ref()).and_then(|&e| row_of.get_mut(e)) {
                        *slot = Some(i);
                    }
                }
            }
        }
        rows.push(row_of);
    }
    let start = specs.iter().find_map(|s| s.period_start).unwrap_or((1, 1));
    Frame { period: period.clone(), date: period_date(period, start), keys, tables, rows }
}

/// `2009/10` with periods starting on 04-01 → 2009-04-01.
fn period_date(period: &str, (month, day): (u8, u8)) -> Option<Date> {
    let year: u16 = period.get(..4)?.parse().ok()?;
    Some(Date { year, month, day })
}
