//! Decision-table cell semantics, shared by the checker (overlaps, gaps) and evaluation.

use crate::ast::{Cell, CompareOp, Date, Literal};
use regex::Regex;
use rust_decimal::Decimal;
use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

mod index;
mod interval;
pub use index::{hits, ColumnIndex, Rows};
pub use interval::{inside, overlap, Overlap};

/// A value a cell is matched against.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Number(Decimal),
    /// A cell of a `date` field, read as a calendar date (never compared as text).
    Date(Date),
    Missing,
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Text(s) => write!(f, "\"{s}\""),
            Value::Number(n) => write!(f, "{n}"),
            Value::Date(d) => write!(f, "{d}"),
            Value::Missing => write!(f, "missing"),
        }
    }
}

impl Value {
    fn as_number(&self) -> Option<Decimal> {
        match self {
            Value::Number(n) => Some(*n),
            Value::Text(s) => Decimal::from_str(s.trim()).ok(),
            Value::Date(_) | Value::Missing => None,
        }
    }

    fn as_text(&self) -> Option<String> {
        match self {
            Value::Text(s) => Some(s.clone()),
            Value::Number(n) => Some(n.normalize().to_string()),
            Value::Date(d) => Some(d.to_string()),
            Value::Missing => None,
        }
    }
}

/// A literal as a value: numbers, dates and words stay what they are.
pub fn literal_value(lit: &Literal) -> Value {
    match lit {
        Literal::Text(s) | Literal::Word(s) => Value::Text(s.clone()),
        Literal::Number(n) => Value::Number(*n),
        Literal::Date(d) => Value::Date(*d),
    }
}

/// Order a value against a literal: numerically when the literal is a number, as dates
/// when both are dates, else as text. A date is never ordered against a number, and a
/// date literal orders text (a `text` field) as its `YYYY-MM-DD` spelling.
fn compare(value: &Value, lit: &Literal) -> Option<Ordering> {
    match (literal_value(lit), value) {
        (Value::Number(n), _) => value.as_number().map(|v| v.cmp(&n)),
        (Value::Date(d), Value::Date(v)) => Some(v.cmp(&d)),
        (Value::Date(d), _) => value.as_text().map(|v| v.as_str().cmp(d.to_string().as_str())),
        (Value::Text(t), _) => value.as_text().map(|v| v.as_str().cmp(t.as_str())),
        (Value::Missing, _) => None,
    }
}

/// Does `cell` match `value`? `regex` is the compiled pattern of a `matches` cell.
/// A missing value matches only `*`.
pub fn matches(cell: &Cell, regex: Option<&Regex>, value: &Value) -> bool {
    if matches!(cell, Cell::Any) {
        return true;
    }
    if *value == Value::Missing {
        return false;
    }
    match cell {
        Cell::Any => true,
        Cell::Exact(lit) => compare(value, lit) == Some(Ordering::Equal),
        Cell::Set(items) => items.iter().any(|lit| compare(value, lit) == Some(Ordering::Equal)),
        Cell::Starts(prefix) => value.as_text().is_some_and(|t| t.starts_with(prefix.as_str())),
        Cell::Regex(_) => match (regex, value.as_text()) {
            (Some(re), Some(t)) => re.is_match(&t),
            _ => false,
        },
        Cell::Range(lo, hi) => {
            matches!(compare(value, lo), Some(Ordering::Greater | Ordering::Equal))
                && matches!(compare(value, hi), Some(Ordering::Less | Ordering::Equal))
        }
        Cell::Compare(op, lit) => match (op, compare(value, lit)) {
            (_, None) => false,
            (CompareOp::Lt, Some(o)) => o == Ordering::Less,
            (CompareOp::Le, Some(o)) => o != Ordering::Greater,
            (CompareOp::Gt, Some(o)) => o == Ordering::Greater,
            (CompareOp::Ge, Some(o)) => o != Ordering::Less,
        },
    }
}

/// Whether no value can match both cells, decided without looking for one, where that is
/// plain from their text: two exact texts that differ, an exact text without a prefix, two
/// prefixes neither of which starts the other, two exact numbers that differ. `false`
/// means only "not plain": the overlap check then looks for a shared value. (A value is
/// compared as one text and one number, so it cannot equal two different ones.)
pub fn surely_disjoint(a: &Cell, b: &Cell) -> bool {
    use Literal::{Number, Text, Word};
    match (a, b) {
        (Cell::Exact(Text(t) | Word(t)), Cell::Exact(Text(u) | Word(u))) => t != u,
        (Cell::Exact(Text(t) | Word(t)), Cell::Starts(p)) | (Cell::Starts(p), Cell::Exact(Text(t) | Word(t))) => {
            !t.starts_with(p.as_str())
        }
        (Cell::Starts(p), Cell::Starts(q)) => !p.starts_with(q.as_str()) && !q.starts_with(p.as_str()),
        (Cell::Exact(Number(n)), Cell::Exact(Number(m))) => n != m,
        _ => false,
    }
}

/// Values that a cell is sure to match, or nearly: the raw material for witnesses.
pub fn samples(cell: &Cell) -> Vec<Value> {
    match cell {
        Cell::Any => Vec::new(),
        Cell::Exact(lit) => vec![literal_value(lit)],
        Cell::Set(items) => items.iter().map(literal_value).collect(),
        Cell::Starts(prefix) => vec![Value::Text(prefix.clone()), Value::Text(format!("{prefix}1"))],
        Cell::Regex(pattern) => {
            let (prefix, suffix) = regex_literals(pattern);
            vec![Value::Text(prefix.clone()), Value::Text(format!("{prefix}{suffix}"))]
        }
        Cell::Range(lo, hi) => vec![literal_value(lo), literal_value(hi)],
        Cell::Compare(op, lit) => match (op, literal_value(lit)) {
            (CompareOp::Gt, Value::Number(n)) => vec![Value::Number(n.checked_add(Decimal::ONE).unwrap_or(n))],
            (CompareOp::Lt, Value::Number(n)) => vec![Value::Number(n.checked_sub(Decimal::ONE).unwrap_or(n))],
            (CompareOp::Gt, Value::Text(t)) => vec![Value::Text(format!("{t}0"))],
            (CompareOp::Lt, Value::Text(_)) => vec![Value::Text(String::new())],
            (_, v) => vec![v],
        },
    }
}

/// The literal text a pattern starts with (after `^`) and ends with (before `$`), as far
/// as plain characters go: enough to build values that a pattern matches.
pub fn regex_literals(pattern: &str) -> (String, String) {
    let plain = |c: &char| c.is_alphanumeric() || matches!(c, '-' | '_' | ' ' | ':' | '/');
    let prefix: String = pattern.strip_prefix('^').unwrap_or("").chars().take_while(plain).collect();
    let suffix: String = match pattern.strip_suffix('$') {
        Some(body) => {
            let mut tail: Vec<char> = body.chars().rev().take_while(plain).collect();
            tail.reverse();
            tail.into_iter().collect()
        }
        None => String::new(),
    };
    (prefix, suffix)
}

/// Values that may match both cells: each cell's samples, and each extended by the other's
/// pattern suffix (so `starts "FIN"` and `matches "^FIN.*AP$"` meet at `FINAP`).
pub fn joint_samples(a: &Cell, b: &Cell) -> Vec<Value> {
    let mut out = samples(a);
    out.extend(samples(b));
    let suffix = |c: &Cell| match c {
        Cell::Regex(p) => Some(regex_literals(p).1),
        _ => None,
    };
    for (x, y) in [(a, b), (b, a)] {
        if let Some(sfx) = suffix(y).filter(|s| !s.is_empty()) {
            for v in samples(x) {
                if let Value::Text(t) = v {
                    out.push(Value::Text(format!("{t}{sfx}")));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Value {
        Value::Text(s.into())
    }

    #[test]
    fn cells_match_as_documented() {
        let n = |x: i64| Literal::Number(Decimal::from(x));
        let t = |s: &str| Literal::Text(s.into());
        assert!(matches(&Cell::Starts("FIN".into()), None, &text("FIN-AP")));
        assert!(!matches(&Cell::Starts("FIN".into()), None, &text("HR")));
        assert!(matches(&Cell::Range(t("4000"), t("4999")), None, &text("4500")));
        assert!(!matches(&Cell::Range(t("4000"), t("4999")), None, &text("5000")));
        assert!(matches(&Cell::Range(n(10), n(20)), None, &Value::Number(Decimal::from(20))));
        assert!(matches(&Cell::Compare(CompareOp::Ge, n(0)), None, &text("0.00")));
        assert!(!matches(&Cell::Compare(CompareOp::Gt, n(0)), None, &Value::Number(Decimal::ZERO)));
        assert!(matches(&Cell::Set(vec![t("a"), t("b")]), None, &text("b")));
        let re = Regex::new("^TRS-").ok();
        assert!(matches(&Cell::Regex("^TRS-".into()), re.as_ref(), &text("TRS-1")));
        assert!(matches(&Cell::Any, None, &Value::Missing));
        assert!(!matches(&Cell::Exact(t("x")), None, &Value::Missing));
    }
}
