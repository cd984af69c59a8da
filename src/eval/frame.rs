//! A period's frame: the entities that have data in it, and every field as a column.

use super::value::{Column, Value};
use crate::ast::Date;
use crate::data::{DatasetSpec, FieldKey, Table};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

pub struct Frame {
    pub period: Arc<str>,
    /// The date parameters are resolved at: the period's start, if its name says a year.
    pub date: Option<Date>,
    /// Entity keys in sorted order, so that output never depends on input row order.
    pub keys: Vec<Arc<str>>,
    pub fields: HashMap<FieldKey, Column>,
    /// For each table, the row each entity's values came from.
    pub rows: Vec<Vec<Option<usize>>>,
}

impl Frame {
    pub fn period_label(&self) -> String {
        if self.period.is_empty() {
            "the data".to_string()
        } else {
            format!("period {}", self.period)
        }
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
pub fn build(tables: &[Table], specs: &[DatasetSpec], period: &Arc<str>) -> Frame {
    let in_period = |t: &Table, i: usize| t.periods.get(i).is_some_and(|p| p.is_empty() || p == period);
    let keys: BTreeSet<Arc<str>> = tables
        .iter()
        .filter(|t| !t.records)
        .flat_map(|t| t.keys.iter().enumerate().filter(|(i, _)| in_period(t, *i)).map(|(_, k)| k.clone()))
        .collect();
    let keys: Vec<Arc<str>> = keys.into_iter().collect();
    let position: HashMap<&str, usize> = keys.iter().enumerate().map(|(i, k)| (k.as_ref(), i)).collect();
    let mut fields = HashMap::new();
    let mut rows = Vec::new();
    for t in tables {
        let mut row_of = vec![None; keys.len()];
        if !t.records {
            for (i, k) in t.keys.iter().enumerate() {
                if in_period(t, i) {
                    if let Some(&e) = position.get(k.as_ref()) {
                        if let Some(slot) = row_of.get_mut(e) {
                            *slot = Some(i);
                        }
                    }
                }
            }
            let absent = Value::missing(format!("no row in dataset `{}`", t.dataset));
            for (key, values) in &t.columns {
                let column: Vec<Value> = row_of
                    .iter()
                    .map(|r| r.and_then(|i| values.get(i)).cloned().unwrap_or_else(|| absent.clone()))
                    .collect();
                fields.insert(key.clone(), Column::from_vec(column));
            }
        }
        rows.push(row_of);
    }
    let start = specs.iter().find_map(|s| s.period_start).unwrap_or((1, 1));
    Frame { period: period.clone(), date: period_date(period, start), keys, fields, rows }
}

/// `2009/10` with periods starting on 04-01 → 2009-04-01.
fn period_date(period: &str, (month, day): (u8, u8)) -> Option<Date> {
    let year: u16 = period.get(..4)?.parse().ok()?;
    Some(Date { year, month, day })
}
