//! A period's frame: the entities that have data in it, and each field as a column,
//! gathered from the tables only when a formula first needs it.

use super::column::Column;
use crate::ast::Date;
use crate::data::{DatasetSpec, FieldKey, Table};
use crate::value::Value;
use rayon::prelude::*;
use std::collections::BTreeSet;
use std::sync::Arc;

/// Entities above which a field's column is gathered in parallel.
const PARALLEL_ROWS: usize = 16_384;

pub struct Frame<'t> {
    pub period: Arc<str>,
    /// The date parameters are resolved at: the period's start, if its name says a year.
    pub date: Option<Date>,
    /// Entity keys in sorted order, so that output never depends on input row order
    /// (records in file order: see `records`).
    pub keys: Vec<Arc<str>>,
    pub tables: &'t [Table],
    /// For each table, the row each entity's values come from.
    pub rows: Vec<TableRows>,
    /// The records table whose rows this frame's rows are, for a policy over records:
    /// then `keys` are each record's entity, in file order, and fields are read from it.
    pub records: Option<usize>,
}

/// Which row of one table each entity's values come from.
pub enum TableRows {
    /// Entity i is row i, of this many: the frame is the table's own rows (no list kept).
    Own(usize),
    /// None of the entities has a row.
    None,
    /// Each entity's row, if it has one.
    Listed(Vec<Option<usize>>),
}

impl TableRows {
    /// The row of entity `entity`, if it has one.
    pub fn get(&self, entity: usize) -> Option<usize> {
        match self {
            TableRows::Own(n) => (entity < *n).then_some(entity),
            TableRows::None => None,
            TableRows::Listed(rows) => rows.get(entity).copied().flatten(),
        }
    }
}

impl<'t> Frame<'t> {
    pub fn period_label(&self) -> String {
        if self.period.is_empty() {
            "the data".to_string()
        } else {
            format!("period {}", self.period)
        }
    }

    /// The entity keys, owned (the rest of the frame borrows the tables).
    pub fn into_keys(self) -> Vec<Arc<str>> {
        self.keys
    }

    /// The frame of one of its entities alone: its figures are computed over one row,
    /// with statistics delegated to this whole frame (see [`super::engine::Peers`]).
    pub fn single(&self, row: usize) -> Frame<'t> {
        Frame {
            period: self.period.clone(),
            date: self.date,
            keys: self.keys.get(row).cloned().into_iter().collect(),
            tables: self.tables,
            rows: self.rows.iter().map(|r| TableRows::Listed(vec![r.get(row)])).collect(),
            records: self.records,
        }
    }

    /// A field's values for every entity (missing where its dataset has no row for it).
    pub fn field(&self, key: &FieldKey) -> Option<Column> {
        let (t, table) = self
            .tables
            .iter()
            .enumerate()
            .find(|(i, t)| (!t.records || self.records == Some(*i)) && t.columns.contains_key(key))?;
        let values = table.columns.get(key)?;
        let absent = Value::missing(format!("no row in dataset `{}`", table.dataset));
        let own: Vec<Option<usize>>;
        let rows = match self.rows.get(t)? {
            TableRows::Own(n) if *n == values.len() => return Some(Column::Values(values.clone())),
            TableRows::Own(n) => {
                own = (0..*n).map(Some).collect();
                &own
            }
            TableRows::None => return Some(Column::Const(absent)),
            // The frame's rows are the table's own, in order: share its column.
            TableRows::Listed(rows)
                if rows.len() == values.len() && rows.iter().enumerate().all(|(i, r)| *r == Some(i)) =>
            {
                return Some(Column::Values(values.clone()))
            }
            TableRows::Listed(rows) => rows,
        };
        let gather = |r: &Option<usize>| r.and_then(|i| values.get(i)).cloned().unwrap_or_else(|| absent.clone());
        // Text and members share one `Arc` per distinct value: cloning those from two
        // threads at once fights over its count, so only numbers are gathered in parallel.
        let numbers = values.first().is_some_and(|v| matches!(v, Value::Num(_)));
        let column: Vec<Value> = if rows.len() >= PARALLEL_ROWS && numbers {
            rows.par_iter().map(gather).collect()
        } else {
            rows.iter().map(gather).collect()
        };
        Some(Column::from_vec(column))
    }
}

/// Every period present in the entity datasets, sorted; one unnamed period if none declares any.
pub fn periods(tables: &[Table]) -> Vec<Arc<str>> {
    let mut set: BTreeSet<Arc<str>> = BTreeSet::new();
    for t in tables.iter().filter(|t| !t.records) {
        add_periods(&mut set, t);
    }
    if set.is_empty() {
        vec![Arc::from("")]
    } else {
        set.into_iter().collect()
    }
}

/// Add the periods of a table's rows to a set. Rows of one period share its text (the
/// loaders intern it), so a run of the same `Arc` is looked up once.
pub fn add_periods(set: &mut BTreeSet<Arc<str>>, table: &Table) {
    let mut last: Option<&Arc<str>> = None;
    for p in &table.periods {
        if last.is_some_and(|l| Arc::ptr_eq(l, p)) {
            continue;
        }
        if !set.contains(p) {
            set.insert(p.clone());
        }
        last = Some(p);
    }
}

/// The frame of one period. A dataset without a period column applies to every period.
pub fn build<'t>(tables: &'t [Table], specs: &[DatasetSpec], period: &Arc<str>) -> Frame<'t> {
    let in_period = |t: &Table, i: usize| t.periods.get(i).is_some_and(|p| p.is_empty() || p == period);
    let start = specs.iter().find_map(|s| s.period_start).unwrap_or((1, 1));
    let date = period_date(period, start);
    // One entity table, wholly in the period, keys sorted and distinct (as the explain
    // cache gives a peer group): the frame is the table's own rows, without a sort.
    let entity_tables: Vec<usize> = (0..tables.len()).filter(|t| tables.get(*t).is_some_and(|t| !t.records)).collect();
    if let [only] = entity_tables.as_slice() {
        if let Some(t) = tables.get(*only) {
            let n = t.keys.len();
            if (0..n).all(|i| in_period(t, i)) && t.keys.windows(2).all(|w| matches!(w, [a, b] if a < b)) {
                let rows =
                    (0..tables.len()).map(|i| if i == *only { TableRows::Own(n) } else { TableRows::None }).collect();
                return Frame { period: period.clone(), date, keys: t.keys.clone(), tables, rows, records: None };
            }
        }
    }
    // Every (key, table, row) of the period, sorted by key: entities are the distinct keys,
    // and each table's row for an entity falls out of the same pass (no hashing).
    let mut entries: Vec<(&Arc<str>, usize, usize)> = tables
        .iter()
        .enumerate()
        .filter(|(_, t)| !t.records)
        .flat_map(|(ti, t)| {
            t.keys.iter().enumerate().filter(move |(i, _)| in_period(t, *i)).map(move |(i, k)| (k, ti, i))
        })
        .collect();
    let order = |a: &(&Arc<str>, usize, usize), b: &(&Arc<str>, usize, usize)| {
        a.0.cmp(b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2))
    };
    // Data often comes sorted by key: checking is linear, sorting is not.
    if !entries.windows(2).all(|w| matches!(w, [a, b] if order(a, b).is_le())) {
        // A stable merge sort finds the sorted runs data often comes in (a run per kind of
        // entity, say) and merges them; the order is total, so any sort gives this result.
        entries.par_sort_by(order);
    }
    let mut keys: Vec<Arc<str>> = Vec::new();
    let mut rows: Vec<Vec<Option<usize>>> = vec![Vec::new(); tables.len()];
    for (key, table, row) in entries {
        if keys.last().is_none_or(|k| k != key) {
            keys.push(key.clone());
            rows.iter_mut().for_each(|r| r.push(None));
        }
        if let Some(slot) = rows.get_mut(table).and_then(|r| r.last_mut()) {
            slot.get_or_insert(row);
        }
    }
    let rows = rows.into_iter().map(TableRows::Listed).collect();
    Frame { period: period.clone(), date, keys, tables, rows, records: None }
}

/// The frame of the records of table `records` in one period (all of them when the
/// dataset has no period column): one row per record, in file order.
pub fn of_records<'t>(tables: &'t [Table], records: usize, specs: &[DatasetSpec], period: &Arc<str>) -> Frame<'t> {
    let start = specs.iter().find_map(|s| s.period_start).unwrap_or((1, 1));
    let rows: Vec<usize> = tables.get(records).map_or_else(Vec::new, |t| {
        (0..t.keys.len()).filter(|i| t.periods.get(*i).is_some_and(|p| p.is_empty() || p == period)).collect()
    });
    let keys =
        tables.get(records).map_or_else(Vec::new, |t| rows.iter().filter_map(|r| t.keys.get(*r).cloned()).collect());
    let listed = rows.into_iter().map(Some).collect();
    let mut table_rows: Vec<TableRows> = (0..tables.len()).map(|_| TableRows::None).collect();
    if let Some(slot) = table_rows.get_mut(records) {
        *slot = TableRows::Listed(listed);
    }
    Frame {
        period: period.clone(),
        date: period_date(period, start),
        keys,
        tables,
        rows: table_rows,
        records: Some(records),
    }
}

/// `2009/10` with periods starting on 04-01 → 2009-04-01.
fn period_date(period: &str, (month, day): (u8, u8)) -> Option<Date> {
    let year: u16 = period.get(..4)?.parse().ok()?;
    Some(Date { year, month, day })
}
