//! Operators: arithmetic and its units, comparisons and conditions.

use super::{ExprChecker, Scope, Ty};
use crate::ast::*;
use crate::check::suggest;
use crate::check::units::Dim;
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::source::Span;

/// The left side of one operator of a chain: its type, where it is written, and the
/// expression itself while it is one operand (a text literal compared with a member).
pub struct Side<'e> {
    pub ty: Ty,
    pub span: Span,
    pub expr: Option<&'e Expr>,
}

impl<'c, 'a> ExprChecker<'c, 'a> {
    /// `a + b - c`, checked as `(a + b) - c`, one operator at a time, in a loop: a chain
    /// may be 200,000 operands long.
    pub(super) fn chain(&mut self, first: &Expr, links: &[Link], scope: &Scope<'_>) -> Ty {
        let ty = self.infer(first, scope);
        let mut lhs = Side { ty, span: first.span, expr: Some(first) };
        for link in links {
            let b = self.infer(&link.operand, scope);
            let ty = self.binary(&link.op, &lhs, b, &link.operand);
            lhs = Side { ty, span: lhs.span.to(link.operand.span), expr: None };
        }
        lhs.ty
    }

    /// The type of `lhs op rhs`, given the types of both sides.
    pub fn binary(&mut self, op: &crate::source::Spanned<BinaryOp>, lhs: &Side<'_>, b: Ty, rhs: &Expr) -> Ty {
        let a = &lhs.ty;
        if *a == Ty::Unknown || b == Ty::Unknown {
            return if op.node.is_comparison() || matches!(op.node, BinaryOp::And | BinaryOp::Or) {
                Ty::Bool
            } else {
                Ty::Unknown
            };
        }
        match op.node {
            BinaryOp::And | BinaryOp::Or => {
                for (t, s) in [(a, lhs.span), (&b, rhs.span)] {
                    if *t != Ty::Bool {
                        self.mismatch(s, t, "a truth value", &format!("`{}` joins conditions", op.node.as_str()));
                    }
                }
                Ty::Bool
            }
            BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
                let ordered = !matches!(op.node, BinaryOp::Eq | BinaryOp::Ne);
                match (a, &b) {
                    (Ty::Num(_) | Ty::Lit, Ty::Num(_) | Ty::Lit) => {
                        self.unify(a, lhs.span, &b, rhs.span, "cannot compare quantities in different units");
                    }
                    (Ty::Text, Ty::Text) | (Ty::Date, Ty::Date) => {}
                    (Ty::Member(set), Ty::Text) if !ordered => self.member_literal(set, rhs),
                    (Ty::Text, Ty::Member(set)) if !ordered => {
                        if let Some(e) = lhs.expr {
                            self.member_literal(set, e);
                        }
                    }
                    (Ty::Bool, Ty::Bool) if !ordered => {}
                    (Ty::Member(x), Ty::Member(y)) if x == y && !ordered => {}
                    _ => {
                        let (sa, sb) = (self.show(a), self.show(&b));
                        self.error(
                            Diagnostic::new(Code::TypeMismatch, format!("cannot compare {sa} with {sb}"))
                                .primary(lhs.span, format!("this is {sa}"))
                                .secondary(rhs.span, format!("this is {sb}"))
                                .help(if ordered {
                                    "only numbers, dates and text can be ordered"
                                } else {
                                    "compare values of the same kind"
                                }),
                        );
                    }
                }
                Ty::Bool
            }
            BinaryOp::Add | BinaryOp::Sub => {
                if !self.numeric(a, lhs.span, op.node) || !self.numeric(&b, rhs.span, op.node) {
                    return Ty::Unknown;
                }
                let what = if op.node == BinaryOp::Add { "cannot add" } else { "cannot subtract" };
                self.unify(a, lhs.span, &b, rhs.span, what)
            }
            BinaryOp::Mul | BinaryOp::Div => {
                if !self.numeric(a, lhs.span, op.node) || !self.numeric(&b, rhs.span, op.node) {
                    return Ty::Unknown;
                }
                match (a.clone(), b) {
                    (Ty::Lit, Ty::Lit) => Ty::Lit,
                    (Ty::Num(x), Ty::Lit) => Ty::Num(x),
                    (Ty::Lit, Ty::Num(y)) => {
                        Ty::Num(if op.node == BinaryOp::Mul { y } else { Dim::dimensionless().div(&y) })
                    }
                    (Ty::Num(x), Ty::Num(y)) => Ty::Num(if op.node == BinaryOp::Mul { x.mul(&y) } else { x.div(&y) }),
                    _ => Ty::Unknown,
                }
            }
        }
    }

    /// A text literal compared with a set member must spell one of the set's members
    /// (by name, title or `also` spelling), or the comparison could never be true.
    fn member_literal(&mut self, set: &str, e: &Expr) {
        let ExprKind::Text(text) = &e.node else { return };
        let Some((_, def)) = self.syms.sets.get(set) else { return };
        let known = def.members.iter().any(|m| {
            m.node.name.node == *text
                || m.node.title.as_ref().is_some_and(|t| t.node.eq_ignore_ascii_case(text))
                || m.node.aliases.iter().any(|a| a.node.eq_ignore_ascii_case(text))
        });
        if !known {
            let names: Vec<&str> = def.members.iter().map(|m| m.node.name.node.as_str()).collect();
            self.error(
                Diagnostic::new(Code::UnknownIndexValue, format!("\"{text}\" is not a member of `{set}`"))
                    .primary(e.span, "the comparison can never be true")
                    .help(suggest::help_for(text, names, &format!("compare with a member of `{set}`, by name"))),
            );
        }
    }

    fn numeric(&mut self, t: &Ty, span: Span, op: BinaryOp) -> bool {
        if matches!(t, Ty::Num(_) | Ty::Lit) {
            return true;
        }
        self.mismatch(span, t, "a number", &format!("`{}` works on numbers", op.as_str()));
        false
    }

    /// Two numbers that must share a unit; a plain literal takes the other's unit.
    pub(super) fn unify(&mut self, a: &Ty, sa: Span, b: &Ty, sb: Span, what: &str) -> Ty {
        match (a, b) {
            (Ty::Unknown, _) | (_, Ty::Unknown) => Ty::Unknown,
            (Ty::Lit, t) | (t, Ty::Lit) => t.clone(),
            (Ty::Num(x), Ty::Num(y)) if x == y => a.clone(),
            (Ty::Num(x), Ty::Num(y)) => {
                let (ux, uy) = (self.units.show(x), self.units.show(y));
                let message = match what {
                    "cannot add" => format!("cannot add {ux} and {uy}"),
                    "cannot subtract" => format!("cannot subtract {uy} from {ux}"),
                    other => format!("{other}: {ux} and {uy}"),
                };
                self.error(
                    Diagnostic::new(Code::UnitMismatch, message)
                        .primary(sa, format!("this is {ux}"))
                        .primary(sb, format!("this is {uy}"))
                        .help("both sides must have the same unit; convert one with a rate (for example divide money by FTE)"),
                )
            }
            (x, y) if x == y => a.clone(),
            (x, y) => {
                let (ux, uy) = (self.show(x), self.show(y));
                self.error(
                    Diagnostic::new(Code::TypeMismatch, format!("{what}: {ux} and {uy}"))
                        .primary(sa, format!("this is {ux}"))
                        .primary(sb, format!("this is {uy}"))
                        .help("both sides must be of the same kind"),
                )
            }
        }
    }
}
