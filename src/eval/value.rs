//! Values and columns: exact decimals, text, set members, and `missing(reason)`.

use crate::ast::Date;
use rust_decimal::Decimal;
use std::fmt;
use std::sync::Arc;

/// Why a value is missing: shown in every output that carries the value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Reason(pub Arc<str>);

impl Reason {
    pub fn new(text: impl Into<Arc<str>>) -> Reason {
        Reason(text.into())
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One value of a figure for one entity.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Num(Decimal),
    Text(Arc<str>),
    Bool(bool),
    Date(Date),
    /// A member of a set, by name.
    Member(Arc<str>),
    Missing(Reason),
}

impl Value {
    pub fn missing(reason: impl Into<Arc<str>>) -> Value {
        Value::Missing(Reason::new(reason))
    }

    pub fn as_num(&self) -> Option<Decimal> {
        match self {
            Value::Num(d) => Some(*d),
            _ => None,
        }
    }

    pub fn is_missing(&self) -> bool {
        matches!(self, Value::Missing(_))
    }

    /// The text of a text or member value (members by name), for grouping and matching.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(t) | Value::Member(t) => Some(t),
            _ => None,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Num(d) => write!(f, "{}", d.normalize()),
            Value::Text(t) | Value::Member(t) => f.write_str(t),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Date(d) => write!(f, "{d}"),
            Value::Missing(r) => write!(f, "missing({r})"),
        }
    }
}

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
