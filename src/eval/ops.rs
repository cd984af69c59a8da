//! Element-wise operations over columns, exact and missing-aware.
//!
//! A missing operand makes the result missing with the same reason; division by zero and
//! overflow make it missing with their own. Big columns are processed in parallel, and
//! results keep their row order, so output does not depend on the thread count.

use super::column::Column;
use crate::ast::{BinaryOp, UnaryOp};
use crate::value::{approx, Value};
use rayon::prelude::*;
use std::cmp::Ordering;

/// Rows above which element-wise work is split across threads.
const PARALLEL_ROWS: usize = 16_384;

pub fn map1(a: &Column, n: usize, f: impl Fn(&Value) -> Value + Sync) -> Column {
    match a {
        Column::Const(v) => Column::Const(f(v)),
        Column::Grouped(g) => g.map(f),
        Column::Values(vs) if n >= PARALLEL_ROWS => Column::from_vec(vs.par_iter().map(&f).collect()),
        Column::Values(vs) => Column::from_vec(vs.iter().map(f).collect()),
    }
}

pub fn map2(a: &Column, b: &Column, n: usize, f: impl Fn(&Value, &Value) -> Value + Sync) -> Column {
    match (a, b) {
        (Column::Const(x), Column::Const(y)) => Column::Const(f(x, y)),
        (Column::Grouped(g), Column::Const(y)) => g.map(|x| f(x, y)),
        (Column::Const(x), Column::Grouped(g)) => g.map(|y| f(x, y)),
        _ if n >= PARALLEL_ROWS => Column::from_vec(match (a, b) {
            // The common pairs loop over their values directly, without asking each
            // column for each row what kind it is.
            (Column::Values(x), Column::Values(y)) if x.len() == n && y.len() == n => {
                x.par_iter().zip(y.par_iter()).map(|(p, q)| f(p, q)).collect()
            }
            (Column::Values(x), Column::Const(c)) if x.len() == n => x.par_iter().map(|p| f(p, c)).collect(),
            (Column::Const(c), Column::Values(y)) if y.len() == n => y.par_iter().map(|q| f(c, q)).collect(),
            (Column::Values(x), Column::Grouped(g)) if x.len() == n && g.of_row.len() == n => {
                x.par_iter().zip(g.of_row.par_iter()).map(|(p, k)| f(p, g.at(*k))).collect()
            }
            _ => (0..n).into_par_iter().map(|i| f(a.get(i), b.get(i))).collect(),
        }),
        _ => Column::from_vec((0..n).map(|i| f(a.get(i), b.get(i))).collect()),
    }
}

/// `*x = f(x, b[i])` for each row i of `xs`, in parallel.
fn update_left(xs: &mut [Value], b: &Column, f: impl Fn(&Value, &Value) -> Value + Sync) {
    let n = xs.len();
    match b {
        Column::Const(c) => xs.par_iter_mut().for_each(|x| *x = f(x, c)),
        Column::Values(y) if y.len() == n => xs.par_iter_mut().zip(y.par_iter()).for_each(|(x, q)| *x = f(x, q)),
        Column::Grouped(g) if g.of_row.len() == n => {
            xs.par_iter_mut().zip(g.of_row.par_iter()).for_each(|(x, k)| *x = f(x, g.at(*k)))
        }
        _ => xs.par_iter_mut().enumerate().for_each(|(i, x)| *x = f(x, b.get(i))),
    }
}

/// `*y = f(a[i], y)` for each row i of `ys`, in parallel.
fn update_right(a: &Column, ys: &mut [Value], f: impl Fn(&Value, &Value) -> Value + Sync) {
    update_left(ys, a, |y, x| f(x, y));
}

/// Like [`map1`], but writes into `a`'s buffer when no one else holds it (a temporary),
/// saving an allocation of a whole column.
pub fn map1_owned(a: Column, n: usize, f: impl Fn(&Value) -> Value + Sync) -> Column {
    match a {
        Column::Const(v) => Column::Const(f(&v)),
        grouped @ Column::Grouped(_) => map1(&grouped, n, f),
        Column::Values(arc) => match std::sync::Arc::try_unwrap(arc) {
            Ok(mut vs) => {
                let g = |x: &mut Value| *x = f(x);
                if n >= PARALLEL_ROWS {
                    vs.par_iter_mut().for_each(g);
                } else {
                    vs.iter_mut().for_each(g);
                }
                Column::from_vec(vs)
            }
            Err(shared) => map1(&Column::Values(shared), n, f),
        },
    }
}

/// Like [`map2`], reusing the buffer of whichever operand is a temporary.
pub fn map2_owned(a: Column, b: Column, n: usize, f: impl Fn(&Value, &Value) -> Value + Sync) -> Column {
    let unique = |c: &Column| matches!(c, Column::Values(arc) if std::sync::Arc::strong_count(arc) == 1);
    match (a, b) {
        (Column::Const(x), Column::Const(y)) => Column::Const(f(&x, &y)),
        (a, b) if unique(&a) => {
            let Column::Values(arc) = a else { return map2(&a, &b, n, f) };
            match std::sync::Arc::try_unwrap(arc) {
                Ok(mut vs) => {
                    if n >= PARALLEL_ROWS {
                        update_left(&mut vs, &b, f);
                    } else {
                        vs.iter_mut().enumerate().for_each(|(i, x)| *x = f(x, b.get(i)));
                    }
                    Column::from_vec(vs)
                }
                Err(shared) => map2(&Column::Values(shared), &b, n, f),
            }
        }
        (a, b) if unique(&b) => {
            let Column::Values(arc) = b else { return map2(&a, &b, n, f) };
            match std::sync::Arc::try_unwrap(arc) {
                Ok(mut vs) => {
                    if n >= PARALLEL_ROWS {
                        update_right(&a, &mut vs, f);
                    } else {
                        vs.iter_mut().enumerate().for_each(|(i, y)| *y = f(a.get(i), y));
                    }
                    Column::from_vec(vs)
                }
                Err(shared) => map2(&a, &Column::Values(shared), n, f),
            }
        }
        (a, b) => map2(&a, &b, n, f),
    }
}

/// `if c then t else o`, row by row; a missing condition gives a missing result.
pub fn choose(c: &Column, t: &Column, o: &Column, n: usize) -> Column {
    let pick = |cond: &Value, i: usize| match cond {
        Value::Bool(true) => t.get(i).clone(),
        Value::Bool(false) => o.get(i).clone(),
        Value::Missing(r) => Value::Missing(r.clone()),
        _ => Value::missing("condition is not true or false"),
    };
    match c {
        Column::Const(cond) => match cond {
            Value::Bool(true) => t.clone(),
            Value::Bool(false) => o.clone(),
            other => Column::Const(pick(other, 0)),
        },
        _ if n >= PARALLEL_ROWS => Column::from_vec((0..n).into_par_iter().map(|i| pick(c.get(i), i)).collect()),
        _ => Column::from_vec((0..n).map(|i| pick(c.get(i), i)).collect()),
    }
}

pub fn unary(op: UnaryOp, v: &Value) -> Value {
    match (op, v) {
        (_, Value::Missing(r)) => Value::Missing(r.clone()),
        (UnaryOp::Neg, Value::Num(d)) => Value::Num(-*d),
        (UnaryOp::Neg, Value::Approx(d, b)) => Value::Approx(-*d, *b),
        (UnaryOp::Not, Value::Bool(b)) => Value::Bool(!b),
        _ => Value::missing("operand of the wrong type"),
    }
}

pub fn binary(op: BinaryOp, a: &Value, b: &Value) -> Value {
    // Three-valued logic: false and anything is false, true or anything is true.
    match (op, a, b) {
        (BinaryOp::And, Value::Bool(false), _) | (BinaryOp::And, _, Value::Bool(false)) => return Value::Bool(false),
        (BinaryOp::Or, Value::Bool(true), _) | (BinaryOp::Or, _, Value::Bool(true)) => return Value::Bool(true),
        _ => {}
    }
    if let Value::Missing(r) = a {
        return Value::Missing(r.clone());
    }
    if let Value::Missing(r) = b {
        return Value::Missing(r.clone());
    }
    match op {
        BinaryOp::And | BinaryOp::Or => match (a, b) {
            (Value::Bool(x), Value::Bool(y)) => Value::Bool(if op == BinaryOp::And { *x && *y } else { *x || *y }),
            _ => Value::missing("not a condition"),
        },
        BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div => {
            let (Some(x), Some(y)) = (a.as_near(), b.as_near()) else {
                return Value::missing("not a number");
            };
            // Exact operands give an exact result unless the decimal had to round it; an
            // approximate one carries its bound on (see value::approx).
            let result = match op {
                BinaryOp::Add => approx::add(x, y),
                BinaryOp::Sub => approx::sub(x, y),
                BinaryOp::Mul => approx::mul(x, y),
                _ if y.0.is_zero() => return Value::missing("division by zero"),
                _ => approx::div(x, y),
            };
            result.map_or_else(|| Value::missing("number too large"), Value::near)
        }
        // Names and texts are equal or not without ordering them (most differ in length).
        BinaryOp::Eq | BinaryOp::Ne if a.as_text().is_some() && b.as_text().is_some() => {
            Value::Bool((a.as_text() == b.as_text()) == (op == BinaryOp::Eq))
        }
        _ => match compare(a, b) {
            None => Value::missing("values cannot be compared"),
            Some(ord) => Value::Bool(match op {
                BinaryOp::Eq => ord == Ordering::Equal,
                BinaryOp::Ne => ord != Ordering::Equal,
                BinaryOp::Lt => ord == Ordering::Less,
                BinaryOp::Le => ord != Ordering::Greater,
                BinaryOp::Gt => ord == Ordering::Greater,
                _ => ord != Ordering::Less,
            }),
        },
    }
}

fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        // Approximate numbers compare by their computed value: a comparison is as certain
        // as the two figures are far apart (documented in the README).
        (Value::Num(_) | Value::Approx(..), Value::Num(_) | Value::Approx(..)) => Some(a.as_num()?.cmp(&b.as_num()?)),
        (Value::Date(x), Value::Date(y)) => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        _ => match (a.as_text(), b.as_text()) {
            (Some(x), Some(y)) => Some(x.cmp(y)),
            _ => None,
        },
    }
}

/// `abs(x)`: the bound of an approximate number is its own.
pub fn abs(v: &Value) -> Value {
    match v {
        Value::Num(d) => Value::Num(d.abs()),
        Value::Approx(d, b) => Value::Approx(d.abs(), *b),
        other => other.clone(),
    }
}

/// `round(x, places: p)`, half away from zero (see value::approx::round for an approximate x).
pub fn round(v: &Value, places: u32) -> Value {
    match v.as_near() {
        Some(x) => Value::near(approx::round(x, places, rust_decimal::RoundingStrategy::MidpointAwayFromZero)),
        None => v.clone(),
    }
}

/// The larger (or smaller) of two numbers; missing if either is.
pub fn extreme(a: &Value, b: &Value, max: bool) -> Value {
    match (a, b) {
        (Value::Missing(r), _) | (_, Value::Missing(r)) => Value::Missing(r.clone()),
        _ => match (a.as_near(), b.as_near()) {
            (Some(x), Some(y)) => {
                let first = if max { x.0 >= y.0 } else { x.0 <= y.0 };
                let pick = if first { x } else { y };
                // Either could be the true extreme: the larger of the two bounds covers both.
                Value::near((pick.0, x.1.max(y.1)))
            }
            _ => Value::missing("not a number"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    fn num(n: i64) -> Value {
        Value::Num(Decimal::from(n))
    }

    /// Rows 0 and 2 in group 1, row 1 in group 0, row 3 in none.
    fn grouped() -> Column {
        let of_row = std::sync::Arc::new(vec![Some(1), Some(0), Some(1), None]);
        let g =
            super::super::column::Grouped { of_row, values: vec![num(10), num(20)], ungrouped: Value::missing("none") };
        Column::Grouped(std::sync::Arc::new(g))
    }

    #[test]
    fn grouped_columns_read_and_combine_like_their_rows() {
        let g = grouped();
        let rows: Vec<Value> = g.to_vec(4);
        assert_eq!(rows[..3], [num(20), num(10), num(20)]);
        assert!(rows[3].is_missing());
        let plus = |a: &Value, b: &Value| binary(BinaryOp::Add, a, b);
        // Against a constant the result stays grouped; against a column it is per row.
        let shifted = map2(&g, &Column::Const(num(1)), 4, plus);
        assert!(matches!(shifted, Column::Grouped(_)));
        assert_eq!(shifted.to_vec(4)[..3], [num(21), num(11), num(21)]);
        let per_row = map2(&g, &Column::from_vec(vec![num(1), num(2), num(3), num(4)]), 4, plus);
        assert_eq!(per_row.to_vec(4)[..3], [num(21), num(12), num(23)]);
        assert!(per_row.get(3).is_missing());
        let negated = map1_owned(g, 4, |v| unary(UnaryOp::Neg, v));
        assert_eq!(negated.get(0), &num(-20));
        assert!(negated.get(3).is_missing());
    }

    /// Above the parallel threshold each pair of column kinds has its own loop: every one
    /// must give what row-by-row reading gives, borrowed or owned, either way round.
    #[test]
    fn big_columns_of_every_kind_combine_like_their_rows() {
        let n = PARALLEL_ROWS + 5;
        let values = |m: i64| {
            Column::from_vec(
                (0..n as i64).map(|i| if i % 97 == 0 { Value::missing("gap") } else { num(i * m) }).collect(),
            )
        };
        let of_row = std::sync::Arc::new((0..n).map(|i| (i % 5 != 0).then_some(i % 3)).collect::<Vec<_>>());
        let grouped = Column::Grouped(std::sync::Arc::new(super::super::column::Grouped {
            of_row,
            values: vec![num(1), num(2), num(3)],
            ungrouped: Value::missing("no group"),
        }));
        let kinds = [values(2), values(-3), Column::Const(num(7)), grouped];
        let sub = |a: &Value, b: &Value| binary(BinaryOp::Sub, a, b);
        for a in &kinds {
            for b in &kinds {
                let expected: Vec<Value> = (0..n).map(|i| sub(a.get(i), b.get(i))).collect();
                assert_eq!(map2(a, b, n, sub).to_vec(n), expected);
                // Owned copies, so that each side in turn is a temporary to write into.
                let own = |c: &Column| match c {
                    Column::Values(v) => Column::from_vec(v.as_ref().clone()),
                    other => other.clone(),
                };
                assert_eq!(map2_owned(own(a), b.clone(), n, sub).to_vec(n), expected);
                assert_eq!(map2_owned(a.clone(), own(b), n, sub).to_vec(n), expected);
            }
        }
    }

    #[test]
    fn arithmetic_is_exact_and_missing_aware() {
        let third = binary(BinaryOp::Div, &num(1), &num(3));
        let back = binary(BinaryOp::Mul, &third, &num(3));
        assert_eq!(back.as_num().map(|d| d.round_dp(20)), Some(Decimal::ONE));
        assert_eq!(binary(BinaryOp::Div, &num(1), &num(0)), Value::missing("division by zero"));
        let gap = Value::missing("blank in data");
        assert_eq!(binary(BinaryOp::Add, &gap, &num(1)), gap);
        assert_eq!(binary(BinaryOp::And, &Value::Bool(false), &gap), Value::Bool(false));
        assert_eq!(binary(BinaryOp::Or, &gap, &Value::Bool(true)), Value::Bool(true));
        assert_eq!(binary(BinaryOp::Gt, &num(2), &num(1)), Value::Bool(true));
        let big = Value::Num(Decimal::MAX);
        assert_eq!(binary(BinaryOp::Mul, &big, &num(2)), Value::missing("number too large"));
    }
}
