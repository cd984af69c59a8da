//! Tracing a chain of operators, `a + b - c`: each operand walked, and the running value
//! after each operator a term, in a loop however long the chain.

use super::{Ctx, Tracer};
use crate::ast::{BinaryOp, Expr, Link};
use crate::check::exprs::Side;
use crate::eval::ops;
use crate::eval::run::UnitOut;
use crate::explain::graph::Term;
use crate::value::Value;

/// A chain with more operators than this shows the value of each operand and its result,
/// but not each running subtotal: a subtotal's text is the chain up to it, so listing
/// them all would take the square of the chain's length (a generated formula may sum
/// 200,000 terms).
const SUBTOTALS_UP_TO: usize = 16;

impl Tracer<'_, '_, '_> {
    /// `first` then each link, left to right: `(a + b) - c`. The unit after each operator
    /// is the checker's, one operator at a time, as `infer_unit` would give for the
    /// chain up to there (which, asked of every subtotal, would also be quadratic).
    #[allow(clippy::too_many_arguments, reason = "the tracer's walk state, passed as the other walk functions pass it")]
    pub(super) fn chain(
        &mut self,
        e: &Expr,
        first: &Expr,
        links: &[Link],
        ctx: &Ctx<'_>,
        terms: &mut Vec<Term>,
        inputs: &mut Vec<usize>,
        truncated: &mut bool,
    ) -> (Value, UnitOut) {
        let (mut value, mut unit) = self.walk(first, ctx, terms, inputs, truncated);
        let ty = self.checker.infer(first, &ctx.scope);
        let mut lhs = Side { ty, span: first.span, expr: Some(first) };
        for (i, Link { op, operand }) in links.iter().enumerate() {
            let (b, ub) = self.walk(operand, ctx, terms, inputs, truncated);
            value = ops::binary(op.node, &value, &b);
            let tb = self.checker.infer(operand, &ctx.scope);
            let ty = self.checker.binary(op, &lhs, tb, operand);
            // A product or quotient of percentages is not a percentage.
            let operands = if matches!(op.node, BinaryOp::Mul | BinaryOp::Div) { vec![] } else { vec![unit, ub] };
            unit = self.unit_of(ty.clone(), &operands);
            let last = i.saturating_add(1) == links.len();
            // The whole chain's text is its own span, which includes any brackets.
            let text = if last { e.span } else { lhs.span.to(operand.span) };
            if last || links.len() <= SUBTOTALS_UP_TO {
                self.term_of(terms, op.span, text, &value, &unit);
            }
            lhs = Side { ty, span: lhs.span.to(operand.span), expr: None };
        }
        self.checker.diags.clear();
        self.checker.deps.clear();
        (value, unit)
    }
}
