//! Lowering expressions: operators by precedence (iteratively, so long chains cannot
//! overflow the stack), prefixes, postfixes and primaries, with the tree's depth bounded.

use super::{Lowered, Lowerer};
use crate::ast::*;
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::parse::{Rule, MAX_EXPR_DEPTH};
use crate::source::{Span, Spanned};
use pest::iterators::Pair;
use rust_decimal::Decimal;

impl Lowerer {
    /// Lower an expression, refusing trees deeper than [`MAX_EXPR_DEPTH`].
    pub(super) fn expr(&mut self, pair: Pair<'_, Rule>) -> Lowered<Expr> {
        self.expr_depth(pair).map(|(e, _)| e)
    }

    /// Report a too-deep expression once, and stand a plain 0 in its place so the
    /// enclosing definition is kept (no cascade of unknown names).
    pub(super) fn too_deep(&mut self, span: Span) -> Option<(Expr, usize)> {
        self.diags.push(
            Diagnostic::new(Code::NestingTooDeep, format!("expression nested more than {MAX_EXPR_DEPTH} levels deep"))
                .primary(span, "this expression is too deep")
                .help("brackets, postfixes (`[..]`, `.name`, `over`) and operators of different precedence nest one level each (a run of `+` is one level however long); split the formula into named KPIs or figures"),
        );
        Some((Spanned::new(ExprKind::Number(Decimal::ZERO), span), 1))
    }

    pub(super) fn checked(&mut self, expr: Expr, depth: usize) -> Option<(Expr, usize)> {
        if depth > MAX_EXPR_DEPTH {
            return self.too_deep(expr.span);
        }
        Some((expr, depth))
    }

    pub(super) fn expr_depth(&mut self, pair: Pair<'_, Rule>) -> Option<(Expr, usize)> {
        let span = self.span(&pair);
        let Some(inner) = pair.into_inner().next() else {
            self.internal(span, "empty expression");
            return None;
        };
        match inner.as_rule() {
            Rule::if_expr => {
                let mut parts = Vec::new();
                for e in inner.into_inner() {
                    parts.push(self.expr_depth(e)?);
                }
                let mut it = parts.into_iter();
                let (Some((c, dc)), Some((t, dt)), Some((o, d_o))) = (it.next(), it.next(), it.next()) else {
                    self.internal(span, "if without three parts");
                    return None;
                };
                let depth = dc.max(dt).max(d_o).saturating_add(1);
                let kind = ExprKind::If { condition: Box::new(c), then: Box::new(t), otherwise: Box::new(o) };
                self.checked(Spanned::new(kind, span), depth)
            }
            _ => self.binary(inner),
        }
    }

    /// Operator precedence by shunting-yard: iterative, so long chains cannot overflow.
    pub(super) fn binary(&mut self, pair: Pair<'_, Rule>) -> Option<(Expr, usize)> {
        let mut operands: Vec<(Expr, usize)> = Vec::new();
        let mut operators: Vec<Spanned<BinaryOp>> = Vec::new();
        for p in pair.into_inner() {
            if p.as_rule() == Rule::infix {
                let span = self.span(&p);
                let Some(op) = BinaryOp::from_symbol(p.as_str()) else {
                    self.internal(span, "unknown operator");
                    return None;
                };
                // `>=`: operators of equal precedence group to the left.
                while operators.last().is_some_and(|top| top.node.precedence() >= op.precedence()) {
                    let top = operators.pop()?;
                    self.reduce(&mut operands, top)?;
                }
                operators.push(Spanned::new(op, span));
            } else {
                operands.push(self.unary(p)?);
            }
        }
        while let Some(top) = operators.pop() {
            self.reduce(&mut operands, top)?;
        }
        let result = operands.pop();
        if result.is_none() || !operands.is_empty() {
            self.internal(Span::default(), "operator without operands");
            return None;
        }
        result
    }

    /// Apply `op` to the top two operands. A left operand that is already a chain of
    /// operators of the same precedence gains a link instead of a new node above it, so a
    /// run of `+` is one flat node however long (and `(a + b) + c` the same tree as
    /// `a + b + c`, which it always was, as the formatter prints both alike).
    pub(super) fn reduce(&mut self, operands: &mut Vec<(Expr, usize)>, op: Spanned<BinaryOp>) -> Option<()> {
        let (Some((rhs, dr)), Some((lhs, dl))) = (operands.pop(), operands.pop()) else {
            self.internal(op.span, "operator without operands");
            return None;
        };
        let span = lhs.span.to(rhs.span);
        let precedence = op.node.precedence();
        let link = Link { op, operand: rhs };
        let (kind, depth) = match lhs.node {
            ExprKind::Chain { first, mut links }
                if links.first().is_some_and(|l| l.op.node.precedence() == precedence) =>
            {
                links.push(link);
                (ExprKind::Chain { first, links }, dl.max(dr.saturating_add(1)))
            }
            node => (
                ExprKind::Chain { first: Box::new(Spanned::new(node, lhs.span)), links: vec![link] },
                dl.max(dr).saturating_add(1),
            ),
        };
        operands.push(self.checked(Spanned::new(kind, span), depth)?);
        Some(())
    }

    pub(super) fn unary(&mut self, pair: Pair<'_, Rule>) -> Option<(Expr, usize)> {
        let mut prefixes = Vec::new();
        let mut operand = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::prefix => {
                    let span = self.span(&p);
                    let op = match p.into_inner().next().map(|o| o.as_rule()) {
                        Some(Rule::neg) => UnaryOp::Neg,
                        _ => UnaryOp::Not,
                    };
                    prefixes.push((op, span));
                }
                _ => operand = Some(self.postfixed(p)?),
            }
        }
        let (mut expr, mut depth) = operand?;
        for (op, span) in prefixes.into_iter().rev() {
            let whole = span.to(expr.span);
            (expr, depth) = self.checked(
                Spanned::new(ExprKind::Unary { op, operand: Box::new(expr) }, whole),
                depth.saturating_add(1),
            )?;
        }
        Some((expr, depth))
    }

    pub(super) fn postfixed(&mut self, pair: Pair<'_, Rule>) -> Option<(Expr, usize)> {
        let all = self.span(&pair);
        let mut kids = pair.into_inner();
        let primary = kids.next()?;
        let (mut expr, mut depth) = self.primary(primary)?;
        for post in kids {
            let pspan = self.span(&post);
            let Some(p) = post.into_inner().next() else { continue };
            let whole = expr.span.to(pspan);
            let (kind, d) = match p.as_rule() {
                Rule::index => {
                    let mut indices = Vec::new();
                    let mut d = depth;
                    for e in p.into_inner() {
                        let (ie, id) = self.expr_depth(e)?;
                        d = d.max(id);
                        indices.push(ie);
                    }
                    (ExprKind::Index { target: Box::new(expr), indices }, d)
                }
                Rule::member => {
                    let Some(w) = p.into_inner().next() else { continue };
                    (ExprKind::Member { target: Box::new(expr), member: self.name(&w) }, depth)
                }
                _ => {
                    let Some(g) = p.into_inner().next() else { continue };
                    (ExprKind::Over { aggregate: Box::new(expr), group: self.name(&g) }, depth)
                }
            };
            if d.saturating_add(1) > MAX_EXPR_DEPTH {
                // The whole run of postfixes goes: the rest would apply to the stand-in.
                return self.too_deep(all);
            }
            (expr, depth) = (Spanned::new(kind, whole), d.saturating_add(1));
        }
        Some((expr, depth))
    }

    pub(super) fn primary(&mut self, pair: Pair<'_, Rule>) -> Option<(Expr, usize)> {
        let span = self.span(&pair);
        let Some(p) = pair.into_inner().next() else {
            self.internal(span, "empty primary");
            return None;
        };
        let kind = match p.as_rule() {
            Rule::number => ExprKind::Number(self.decimal(&p, p.as_str())?),
            Rule::percent => ExprKind::Percent(self.decimal(&p, p.as_str().trim_end_matches('%'))?),
            Rule::money => self.money(&p)?,
            Rule::date => self.date(&p).map_or(ExprKind::Number(Decimal::ZERO), |d| ExprKind::Date(d.node)),
            Rule::string => ExprKind::Text(self.string(p).node),
            Rule::boolean => ExprKind::Bool(p.as_str() == "true"),
            Rule::ident => ExprKind::Name(p.as_str().to_string()),
            Rule::paren => {
                let mut kids = self.children(p);
                let e = self.expect(&mut kids, Rule::expr)?;
                let (inner, depth) = self.expr_depth(e)?;
                // Parentheses leave no node: the span widens to include them.
                return Some((Spanned::new(inner.node, span), depth));
            }
            _ => {
                let mut kids = self.children(p);
                let f = self.expect(&mut kids, Rule::ident)?;
                let function = self.name(&f);
                let mut args = Vec::new();
                let mut depth = 0;
                for a in kids.pairs.by_ref() {
                    let Some(inner) = a.into_inner().next() else { continue };
                    let (name, e) = if inner.as_rule() == Rule::named_arg {
                        let mut nk = self.children(inner);
                        let n = self.expect(&mut nk, Rule::any_word)?;
                        let e = self.expect(&mut nk, Rule::expr)?;
                        (Some(self.name(&n)), e)
                    } else {
                        (None, inner)
                    };
                    let (value, d) = self.expr_depth(e)?;
                    depth = depth.max(d);
                    args.push(Argument { name, value });
                }
                return self.checked(Spanned::new(ExprKind::Call { function, args }, span), depth.saturating_add(1));
            }
        };
        Some((Spanned::new(kind, span), 1))
    }
}
