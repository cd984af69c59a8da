//! Exact overlap of comparison, range and value cells: each such cell is a union of
//! intervals of one ordered domain (numbers, dates or text) with open or closed ends, and
//! two cells overlap exactly when two of their intervals intersect. Trying sample values
//! instead misses overlaps narrower than the step (`> 10` and `< 10.5`).

use super::{literal_value, Value};
use crate::ast::{Cell, CompareOp, Date, Literal};
use rust_decimal::Decimal;
use std::cmp::Ordering;

/// One end of an interval: a value, included or not.
#[derive(Debug, Clone)]
struct Bound {
    value: Value,
    closed: bool,
}

/// An interval; `None` ends are unbounded.
#[derive(Debug, Clone)]
struct Interval {
    lo: Option<Bound>,
    hi: Option<Bound>,
}

/// What an exact test says about two cells.
#[derive(Debug, Clone, PartialEq)]
pub enum Overlap {
    /// Both cells match this value.
    Both(Value),
    /// No value matches both.
    Disjoint,
    /// The cells are not both intervals of one domain (patterns, prefixes, text against
    /// numbers): the caller tries samples.
    Unknown,
}

/// The order of two values of one domain; `None` across domains.
fn order(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => Some(x.cmp(y)),
        (Value::Date(x), Value::Date(y)) => Some(x.cmp(y)),
        (Value::Text(x), Value::Text(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

fn same_domain(a: &Value, b: &Value) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}

fn point(lit: &Literal) -> Interval {
    let b = Bound { value: literal_value(lit), closed: true };
    Interval { lo: Some(b.clone()), hi: Some(b) }
}

/// A cell as intervals of one domain, with a value of that domain; `None` for `*`,
/// prefixes, patterns and cells mixing domains.
fn intervals(cell: &Cell) -> Option<(Vec<Interval>, Value)> {
    let list = match cell {
        Cell::Exact(lit) => vec![point(lit)],
        Cell::Set(items) => items.iter().map(point).collect(),
        Cell::Range(lo, hi) => vec![Interval {
            lo: Some(Bound { value: literal_value(lo), closed: true }),
            hi: Some(Bound { value: literal_value(hi), closed: true }),
        }],
        Cell::Compare(op, lit) => {
            let value = literal_value(lit);
            let closed = matches!(op, CompareOp::Le | CompareOp::Ge);
            let b = Some(Bound { value, closed });
            match op {
                CompareOp::Lt | CompareOp::Le => vec![Interval { lo: None, hi: b }],
                CompareOp::Gt | CompareOp::Ge => vec![Interval { lo: b, hi: None }],
            }
        }
        Cell::Any | Cell::Starts(_) | Cell::Regex(_) => return None,
    };
    let ends: Vec<&Value> = list.iter().flat_map(|i| [&i.lo, &i.hi]).flatten().map(|b| &b.value).collect();
    let first = (*ends.first()?).clone();
    let one_domain = ends.iter().all(|v| same_domain(v, &first));
    one_domain.then_some((list, first))
}

/// The higher of two low ends (the open one when they are equal).
fn max_lo(a: Option<Bound>, b: Option<Bound>) -> Option<Bound> {
    match (a, b) {
        (None, x) | (x, None) => x,
        (Some(a), Some(b)) => Some(match order(&a.value, &b.value) {
            Some(Ordering::Greater) => a,
            Some(Ordering::Less) => b,
            _ => Bound { closed: a.closed && b.closed, value: a.value },
        }),
    }
}

/// The lower of two high ends (the open one when they are equal).
fn min_hi(a: Option<Bound>, b: Option<Bound>) -> Option<Bound> {
    match (a, b) {
        (None, x) | (x, None) => x,
        (Some(a), Some(b)) => Some(match order(&a.value, &b.value) {
            Some(Ordering::Less) => a,
            Some(Ordering::Greater) => b,
            _ => Bound { closed: a.closed && b.closed, value: a.value },
        }),
    }
}

/// The day after, or `None` past the last representable one.
fn next_day(d: Date) -> Option<Date> {
    let day = d.day.checked_add(1)?;
    Date::new(d.year, d.month, day)
        .or_else(|| Date::new(d.year, d.month.checked_add(1)?, 1))
        .or_else(|| Date::new(d.year.checked_add(1)?, 1, 1))
}

/// The day before, or `None` before the first representable one.
fn previous_day(d: Date) -> Option<Date> {
    if d.day > 1 {
        return Date::new(d.year, d.month, d.day.saturating_sub(1));
    }
    let (year, month) = if d.month > 1 { (d.year, d.month.saturating_sub(1)) } else { (d.year.checked_sub(1)?, 12) };
    [31, 30, 29, 28].into_iter().find_map(|day| Date::new(year, month, day))
}

/// A value above `v` (and below `hi`, if given, which is above `v`).
fn above(v: &Value, hi: Option<&Value>) -> Option<Value> {
    let below_hi = |c: &Value| hi.is_none_or(|h| order(c, h) == Some(Ordering::Less));
    let candidates: Vec<Value> = match v {
        Value::Number(n) => {
            let mut c: Vec<Value> = n.checked_add(Decimal::ONE).map(Value::Number).into_iter().collect();
            if let Some(h) = hi.and_then(|h| if let Value::Number(h) = h { Some(*h) } else { None }) {
                // Halfway: a value strictly between two distinct decimals, down to the
                // precision a cell can be read at.
                let half = n.checked_div(Decimal::TWO).zip(h.checked_div(Decimal::TWO));
                if let Some(mid) = half.and_then(|(a, b)| a.checked_add(b)) {
                    c.push(Value::Number(mid.normalize()));
                }
            }
            c
        }
        Value::Date(d) => next_day(*d).map(Value::Date).into_iter().collect(),
        // `t` followed by the lowest character is the very next text: if it is not below
        // `hi`, nothing is.
        Value::Text(t) => ["0", "a", "\u{0}"].iter().map(|s| Value::Text(format!("{t}{s}"))).collect(),
        Value::Missing => Vec::new(),
    };
    candidates.into_iter().find(|c| order(c, v) == Some(Ordering::Greater) && below_hi(c))
}

/// A value below `v`.
fn below(v: &Value) -> Option<Value> {
    match v {
        Value::Number(n) => n.checked_sub(Decimal::ONE).map(Value::Number),
        Value::Date(d) => previous_day(*d).map(Value::Date),
        // The empty text is below every other.
        Value::Text(t) => (!t.is_empty()).then(|| Value::Text(String::new())),
        Value::Missing => None,
    }
}

/// A value in the interval from `lo` to `hi`, if any: an included end when there is one.
fn member(lo: Option<&Bound>, hi: Option<&Bound>, domain: &Value) -> Option<Value> {
    match (lo, hi) {
        (Some(l), Some(h)) => match order(&l.value, &h.value)? {
            Ordering::Greater => None,
            Ordering::Equal => (l.closed && h.closed).then(|| l.value.clone()),
            Ordering::Less if l.closed => Some(l.value.clone()),
            Ordering::Less if h.closed => Some(h.value.clone()),
            Ordering::Less => above(&l.value, Some(&h.value)),
        },
        (Some(l), None) => {
            if l.closed {
                Some(l.value.clone())
            } else {
                above(&l.value, None)
            }
        }
        (None, Some(h)) => {
            if h.closed {
                Some(h.value.clone())
            } else {
                below(&h.value)
            }
        }
        (None, None) => Some(domain.clone()),
    }
}

/// Whether two cells can match one value, decided exactly when both are intervals of one
/// domain, with a value both match as the witness.
pub fn overlap(a: &Cell, b: &Cell) -> Overlap {
    let (Some((xs, dx)), Some((ys, dy))) = (intervals(a), intervals(b)) else { return Overlap::Unknown };
    if !same_domain(&dx, &dy) {
        return Overlap::Unknown;
    }
    for x in &xs {
        for y in &ys {
            let lo = max_lo(x.lo.clone(), y.lo.clone());
            let hi = min_hi(x.hi.clone(), y.hi.clone());
            if let Some(v) = member(lo.as_ref(), hi.as_ref(), &dx) {
                return Overlap::Both(v);
            }
        }
    }
    Overlap::Disjoint
}

/// A value the cell matches, when it is an interval cell with a value in it.
pub fn inside(cell: &Cell) -> Option<Value> {
    let (list, domain) = intervals(cell)?;
    list.iter().find_map(|i| member(i.lo.as_ref(), i.hi.as_ref(), &domain))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(s: &str) -> Literal {
        Literal::Number(s.parse().unwrap_or_default())
    }

    fn n(s: &str) -> Value {
        Value::Number(s.parse().unwrap_or_default())
    }

    #[test]
    fn narrow_and_touching_intervals_are_decided_exactly() {
        let gt = |s| Cell::Compare(CompareOp::Gt, num(s));
        let lt = |s| Cell::Compare(CompareOp::Lt, num(s));
        let ge = |s| Cell::Compare(CompareOp::Ge, num(s));
        let le = |s| Cell::Compare(CompareOp::Le, num(s));
        assert_eq!(overlap(&gt("10"), &lt("10.5")), Overlap::Both(n("10.25")));
        assert_eq!(overlap(&gt("10"), &lt("10")), Overlap::Disjoint);
        assert_eq!(overlap(&ge("10"), &lt("10")), Overlap::Disjoint);
        assert_eq!(overlap(&ge("10"), &le("10")), Overlap::Both(n("10")));
        assert_eq!(overlap(&gt("10"), &lt("30")), Overlap::Both(n("11")));
        assert_eq!(overlap(&Cell::Range(num("0"), num("10")), &gt("10")), Overlap::Disjoint);
        assert_eq!(overlap(&Cell::Range(num("0"), num("10")), &ge("10")), Overlap::Both(n("10")));
        assert_eq!(overlap(&Cell::Set(vec![num("1"), num("5")]), &gt("4.999")), Overlap::Both(n("5")));
        assert_eq!(overlap(&Cell::Exact(num("10.0")), &le("10")), Overlap::Both(n("10.0")));
        assert_eq!(overlap(&Cell::Starts("x".into()), &gt("1")), Overlap::Unknown);
    }

    #[test]
    fn dates_and_texts_are_discrete_where_they_are() {
        let date = |y, m, d| Literal::Date(Date::new(y, m, d).unwrap_or(Date { year: 1, month: 1, day: 1 }));
        let after = Cell::Compare(CompareOp::Gt, date(2016, 9, 30));
        assert_eq!(overlap(&after, &Cell::Compare(CompareOp::Lt, date(2016, 10, 1))), Overlap::Disjoint);
        let got = overlap(&after, &Cell::Compare(CompareOp::Lt, date(2016, 10, 2)));
        assert_eq!(got, Overlap::Both(literal_value(&date(2016, 10, 1))));
        let year_end = Cell::Compare(CompareOp::Gt, date(2016, 12, 31));
        assert_eq!(inside(&year_end), Some(literal_value(&date(2017, 1, 1))));
        let text = |s: &str| Literal::Text(s.into());
        let gt_a = Cell::Compare(CompareOp::Gt, text("a"));
        assert_eq!(overlap(&gt_a, &Cell::Compare(CompareOp::Lt, text("a\u{0}"))), Overlap::Disjoint);
        assert_eq!(overlap(&gt_a, &Cell::Compare(CompareOp::Lt, text("b"))), Overlap::Both(Value::Text("a0".into())));
        assert_eq!(overlap(&Cell::Range(text("4000"), text("4999")), &gt_a), Overlap::Disjoint);
    }
}
