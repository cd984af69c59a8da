//! `previous(x)`: a value in the period before, for the same entity (year-on-year checks).

use super::{Env, Evaluator};
use crate::ast::Expr;
use crate::eval::column::Column;
use crate::eval::frame::Frame;
use crate::value::Value;

/// The evaluator of the period before, and each row's row in it.
pub struct Previous<'m, 'a> {
    pub ev: Box<Evaluator<'m, 'a>>,
    /// For each entity of this frame, its row in the period before (none where it has none).
    pub row_of: Vec<Option<usize>>,
}

impl<'m, 'a> Previous<'m, 'a> {
    /// Match `now`'s entities to `before`'s, whose keys are both sorted and distinct.
    pub fn new(ev: Evaluator<'m, 'a>, now: &Frame<'_>) -> Previous<'m, 'a> {
        let before = &ev.frame.keys;
        let mut j = 0usize;
        let row_of = now
            .keys
            .iter()
            .map(|k| {
                while before.get(j).is_some_and(|b| b < k) {
                    j = j.saturating_add(1);
                }
                (before.get(j) == Some(k)).then_some(j)
            })
            .collect();
        Previous { ev: Box::new(ev), row_of }
    }
}

impl Evaluator<'_, '_> {
    /// `x` in the period before, row by row: missing, with the reason, where there is no
    /// period before or the entity has no row in it.
    pub(super) fn previous_of(&mut self, e: &Expr, env: &Env<'_>) -> Column {
        let n = self.rows();
        let Some(p) = self.previous.as_mut() else {
            return Column::Const(Value::missing(format!("no period before {}", self.frame.period_label())));
        };
        let column = p.ev.eval(e, env);
        let absent = Value::missing(format!("no data in {}", p.ev.frame.period_label()));
        Column::from_vec(
            (0..n)
                .map(|row| match p.row_of.get(row).copied().flatten() {
                    Some(r) => column.get(r).clone(),
                    None => absent.clone(),
                })
                .collect(),
        )
    }
}
