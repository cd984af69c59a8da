//! Lowering the leaves of the tree that carry values: unit expressions, dates and
//! exact numbers (plain, percent and money), each refused with a diagnostic when it
//! cannot be held as written.

use super::{Lowered, Lowerer};
use crate::ast::*;
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::parse::Rule;
use crate::source::{Name, Spanned};
use pest::iterators::Pair;
use rust_decimal::Decimal;

impl Lowerer {
    /// A unit expression, multiplied out into named factors with integer powers.
    pub(super) fn unit_expr(&mut self, pair: Pair<'_, Rule>) -> Lowered<Spanned<UnitExpr>> {
        let span = self.span(&pair);
        let mut factors: Vec<(Name, i32)> = Vec::new();
        let mut sign = 1;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::unit_op => sign = if p.as_str() == "/" { -1 } else { 1 },
                _ => {
                    let fspan = self.span(&p);
                    let mut kids = self.children(p);
                    let atom = self.expect(&mut kids, Rule::unit_atom)?;
                    let power = match kids.next_if(Rule::int_power) {
                        Some(pw) => match pw.as_str().parse::<i32>() {
                            Ok(v) => v,
                            Err(_) => {
                                self.internal(fspan, "unit power");
                                return None;
                            }
                        },
                        None => 1,
                    };
                    let Some(inner) = atom.into_inner().next() else {
                        self.internal(fspan, "empty unit");
                        return None;
                    };
                    let pushed = match inner.as_rule() {
                        Rule::unit_expr => self.unit_expr(inner)?.node.factors.into_iter().all(|(n, p)| {
                            p.checked_mul(power)
                                .and_then(|p| p.checked_mul(sign))
                                .is_some_and(|p| push_factor(&mut factors, n, p))
                        }),
                        Rule::unit_one => true,
                        _ => push_factor(&mut factors, self.name(&inner), power.saturating_mul(sign)),
                    };
                    if !pushed {
                        self.diags.push(
                            Diagnostic::new(Code::NumberOutOfRange, "a power in this unit is too large")
                                .primary(fspan, "its powers multiply past the largest power a unit may have")
                                .help("a unit is a product of units with small powers, such as `GBP / FTE` or `m ^ 2`"),
                        );
                        return None;
                    }
                }
            }
        }
        Some(Spanned::new(UnitExpr { factors }, span))
    }

    pub(super) fn date(&mut self, pair: &Pair<'_, Rule>) -> Lowered<Spanned<Date>> {
        let span = self.span(pair);
        let text = pair.as_str();
        let part = |r: std::ops::Range<usize>| text.get(r).and_then(|s| s.parse::<u16>().ok());
        let (Some(year), Some(month), Some(day)) = (part(0..4), part(5..7), part(8..10)) else {
            self.internal(span, "date digits");
            return None;
        };
        let date = u8::try_from(month).ok().zip(u8::try_from(day).ok()).and_then(|(m, d)| Date::new(year, m, d));
        let Some(date) = date else {
            self.diags.push(
                Diagnostic::new(Code::InvalidDate, format!("`{text}` is not a calendar date"))
                    .primary(
                        span,
                        if (1..=12).contains(&month) {
                            "there is no such day in that month"
                        } else {
                            "there is no such month"
                        },
                    )
                    .help("dates are written YYYY-MM-DD, for example 2011-04-01"),
            );
            return None;
        };
        Some(Spanned::new(date, span))
    }

    /// A number, exactly: one that would be rounded is refused (and read as 0 so that
    /// checking can go on without cascading errors).
    pub(super) fn decimal(&mut self, pair: &Pair<'_, Rule>, digits: &str) -> Lowered<Decimal> {
        let cleaned: String = digits.chars().filter(|c| *c != ',').collect();
        match Decimal::from_str_exact(&cleaned) {
            Ok(d) => Some(d),
            Err(_) => {
                self.diags.push(
                    Diagnostic::new(Code::NumberOutOfRange, format!("`{}` cannot be held exactly", pair.as_str()))
                        .primary(self.span(pair), "too many digits")
                        .help("numbers are exact decimals with at most 28 significant digits"),
                );
                Some(Decimal::ZERO)
            }
        }
    }

    pub(super) fn money(&mut self, pair: &Pair<'_, Rule>) -> Lowered<ExprKind> {
        let text = pair.as_str();
        let currency: String = text.chars().take(1).collect();
        let rest = text.get(currency.len()..).unwrap_or("");
        let (number, magnitude) = if let Some(n) = rest.strip_suffix("bn") {
            (n, Some(Magnitude::Billion))
        } else if let Some(n) = rest.strip_suffix('m') {
            (n, Some(Magnitude::Million))
        } else if let Some(n) = rest.strip_suffix('k') {
            (n, Some(Magnitude::Thousand))
        } else {
            (rest, None)
        };
        let amount = self.decimal(pair, number)?;
        self.scaled(pair, amount, magnitude)?;
        Some(ExprKind::Money { currency, amount, magnitude })
    }

    pub(super) fn scaled(
        &mut self,
        pair: &Pair<'_, Rule>,
        amount: Decimal,
        magnitude: Option<Magnitude>,
    ) -> Lowered<Decimal> {
        let factor = magnitude.map_or(Decimal::ONE, Magnitude::factor);
        match amount.checked_mul(factor) {
            Some(v) => Some(v),
            None => {
                self.diags.push(
                    Diagnostic::new(Code::NumberOutOfRange, format!("`{}` is too large", pair.as_str()))
                        .primary(self.span(pair), "too large to hold exactly")
                        .help("numbers are exact decimals with at most 28 significant digits"),
                );
                Some(amount)
            }
        }
    }
}

/// Whether the factor could be added: `false` when its power overflows.
fn push_factor(factors: &mut Vec<(Name, i32)>, name: Name, power: i32) -> bool {
    if let Some(f) = factors.iter_mut().find(|(n, _)| n.node == name.node) {
        let Some(sum) = f.1.checked_add(power) else { return false };
        f.1 = sum;
    } else {
        factors.push((name, power));
    }
    factors.retain(|(_, p)| *p != 0);
    true
}
