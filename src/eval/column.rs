//! Columns: a figure over all entities of a period, one value each, one for all, or one per
//! group of entities.

use crate::value::Value;
use std::sync::Arc;

/// A figure over all entities of a period: one value each, one value for all, or one
/// value per group of entities.
#[derive(Debug, Clone)]
pub enum Column {
    Const(Value),
    Values(Arc<Vec<Value>>),
    Grouped(Arc<Grouped>),
}

/// One value per group of rows (a statistic over peer groups): each row reads its group's,
/// without a column of copies, one per row.
#[derive(Debug)]
pub struct Grouped {
    /// Each row's group; a row without one reads `ungrouped`.
    pub of_row: Arc<Vec<Option<usize>>>,
    pub values: Vec<Value>,
    pub ungrouped: Value,
}

impl Grouped {
    /// The value of a row in group `k` (`None`: no group).
    pub fn at(&self, k: Option<usize>) -> &Value {
        match k {
            Some(k) => self.values.get(k).unwrap_or(&CONST_MISSING_ROW),
            None => &self.ungrouped,
        }
    }

    /// The same groups with each value mapped.
    pub fn map(&self, f: impl Fn(&Value) -> Value) -> Column {
        Column::Grouped(Arc::new(Grouped {
            of_row: self.of_row.clone(),
            values: self.values.iter().map(&f).collect(),
            ungrouped: f(&self.ungrouped),
        }))
    }
}

impl Column {
    pub fn get(&self, i: usize) -> &Value {
        match self {
            Column::Const(v) => v,
            Column::Values(vs) => vs.get(i).unwrap_or(&CONST_MISSING_ROW),
            Column::Grouped(g) => g.of_row.get(i).map_or(&CONST_MISSING_ROW, |k| g.at(*k)),
        }
    }

    pub fn from_vec(values: Vec<Value>) -> Column {
        Column::Values(Arc::new(values))
    }

    /// All values, materialised for `len` entities.
    pub fn to_vec(&self, len: usize) -> Vec<Value> {
        match self {
            Column::Const(v) => vec![v.clone(); len],
            Column::Values(vs) => vs.as_ref().clone(),
            Column::Grouped(_) => (0..len).map(|i| self.get(i).clone()).collect(),
        }
    }
}

/// What an out-of-range row reads as; rows are always in range, so this is a safety net.
static CONST_MISSING_ROW: std::sync::LazyLock<Value> = std::sync::LazyLock::new(|| Value::missing("no such row"));
