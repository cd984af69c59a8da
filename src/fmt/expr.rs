//! Printing expressions with the fewest parentheses that keep their tree, and the
//! leaves (literals, strings, unit expressions) as the author spelt them.
//!
//! Brackets: only where the tree needs them, except that an `and` inside an `or` is
//! always bracketed, for readers who do not recall which binds tighter.
//!
//! Line breaks: an expression is written on one line, except where the author broke it
//! before or after a binary operator (the operator then starts the continuation line,
//! indented one level past the line the expression starts on) or before `then` / `else`
//! (which start their line at the indentation of the `if`, so `else if` chains line up).

use super::printer::{Printer, INDENT};
use crate::ast::{BinaryOp, Expr, ExprKind, Link, UnaryOp, UnitExpr};
use crate::source::{Span, Spanned};

/// Prefix operators the grammar accepts in a row (`prefix{0, 8}`).
const MAX_PREFIXES: usize = 8;

/// How tightly a prefix operator binds: tighter than any binary operator.
const PREFIX: u8 = BinaryOp::MAX_PRECEDENCE + 1;
/// How tightly a postfixed primary binds: tightest of all.
const POSTFIX: u8 = PREFIX + 1;

/// Binding strength: `if` binds loosest, then the binary operators by their
/// [`precedence`](BinaryOp::precedence), prefixes, and postfixed primaries tightest.
fn strength(e: &ExprKind) -> u8 {
    match e {
        ExprKind::If { .. } => 0,
        ExprKind::Chain { links, .. } => links.first().map_or(POSTFIX, |l| l.op.node.precedence()),
        ExprKind::Unary { .. } => PREFIX,
        _ => POSTFIX,
    }
}

fn is_and(e: &Expr) -> bool {
    matches!(&e.node, ExprKind::Chain { links, .. } if links.first().is_some_and(|l| l.op.node == BinaryOp::And))
}

impl Printer<'_> {
    /// An expression at the current position; `base` is the indentation of the line it
    /// starts on, which continuation lines are indented from.
    pub fn expr(&mut self, e: &Expr, base: usize) {
        match &e.node {
            ExprKind::Chain { first, links } => self.chain(first, links, base),
            ExprKind::If { .. } => {
                let chain = if self.at_line_start() { self.current_indent() } else { base.saturating_add(INDENT) };
                self.if_chain(e, chain);
            }
            ExprKind::Unary { .. } => self.prefixes(e, 1, base),
            ExprKind::Index { target, indices } => {
                self.operand(target, strength(&target.node) < POSTFIX, base);
                self.push("[");
                self.list(indices, base);
                self.push("]");
            }
            ExprKind::Member { target, member } => {
                self.operand(target, strength(&target.node) < POSTFIX, base);
                self.push(".");
                self.push(&member.node);
            }
            ExprKind::Over { aggregate, group } => {
                self.operand(aggregate, strength(&aggregate.node) < POSTFIX, base);
                self.push(" over ");
                self.push(&group.node);
            }
            ExprKind::Call { function, args } => {
                self.push(&function.node);
                self.push("(");
                for (i, arg) in args.iter().enumerate() {
                    if i > 0 {
                        self.push(", ");
                    }
                    if let Some(name) = &arg.name {
                        self.push(&name.node);
                        self.push(": ");
                    }
                    self.expr(&arg.value, base);
                }
                self.push(")");
            }
            ExprKind::Name(name) => self.push(name),
            ExprKind::Bool(b) => self.push(if *b { "true" } else { "false" }),
            ExprKind::Text(text) => {
                let t = self.literal_text(e.span, is_string).unwrap_or_else(|| quote(text));
                self.push(&t);
            }
            ExprKind::Number(n) => {
                let t = self.literal_text(e.span, |s| s.chars().all(|c| c.is_ascii_digit() || c == '.'));
                self.push(&t.unwrap_or_else(|| n.to_string()));
            }
            ExprKind::Percent(n) => {
                let t = self.literal_text(e.span, |s| s.ends_with('%') && !s.contains(char::is_whitespace));
                self.push(&t.unwrap_or_else(|| format!("{n}%")));
            }
            ExprKind::Money { currency, amount, magnitude } => {
                let t =
                    self.literal_text(e.span, |s| s.starts_with(currency.as_str()) && !s.contains(char::is_whitespace));
                let fallback = || format!("{currency}{amount}{}", magnitude.map_or("", |m| m.suffix()));
                self.push(&t.unwrap_or_else(fallback));
            }
            ExprKind::Date(d) => self.push(&d.to_string()),
        }
    }

    /// `a + b - c`: operators of one precedence, in a loop however many.
    fn chain(&mut self, first: &Expr, links: &[Link], base: usize) {
        let s = links.first().map_or(POSTFIX, |l| l.op.node.precedence());
        // One exception to the fewest brackets: `and` inside `or` keeps them, as the
        // shipped rules write it, so nobody has to recall which binds tighter.
        let and_in_or = |e: &Expr| s == BinaryOp::Or.precedence() && is_and(e);
        self.operand(first, strength(&first.node) < s || and_in_or(first), base);
        let mut end = first.span.end;
        for Link { op, operand } in links {
            if self.broken(end, operand.span.start) {
                self.open_line(base.saturating_add(INDENT), operand.span.start);
                self.push(op.node.as_str());
                self.push(" ");
            } else {
                self.push(&format!(" {} ", op.node.as_str()));
            }
            // `<=` on the right: operators group to the left, so `a - (b - c)` keeps its brackets.
            self.operand(operand, strength(&operand.node) <= s || and_in_or(operand), base);
            end = operand.span.end;
        }
    }

    /// A run of prefix operators (`-`, `not`): the grammar takes up to eight in a row
    /// without brackets, so only a longer run gets them.
    fn prefixes(&mut self, e: &Expr, run: usize, base: usize) {
        let ExprKind::Unary { op, operand } = &e.node else {
            self.expr(e, base);
            return;
        };
        self.push(match op {
            UnaryOp::Neg => "-",
            UnaryOp::Not => "not ",
        });
        match &operand.node {
            ExprKind::Unary { op: next, .. } if run < MAX_PREFIXES => {
                // `- -x`, not `--x`, which reads like another operator.
                if *op == UnaryOp::Neg && *next == UnaryOp::Neg {
                    self.push(" ");
                }
                self.prefixes(operand, run.saturating_add(1), base);
            }
            _ => self.operand(operand, strength(&operand.node) < POSTFIX, base),
        }
    }

    fn operand(&mut self, e: &Expr, parens: bool, base: usize) {
        if parens {
            self.push("(");
            self.expr(e, base);
            self.push(")");
        } else {
            self.expr(e, base);
        }
    }

    fn list(&mut self, items: &[Expr], base: usize) {
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.expr(item, base);
        }
    }

    /// `if .. then .. else if .. then .. else ..`, with `then` and `else` lines at `chain`.
    fn if_chain(&mut self, e: &Expr, chain: usize) {
        let ExprKind::If { condition, then, otherwise } = &e.node else {
            self.expr(e, chain);
            return;
        };
        self.push("if ");
        // Unbracketed, an `if` in these two places is legal but hard to read.
        self.operand(condition, matches!(condition.node, ExprKind::If { .. }), chain);
        if self.broken(condition.span.end, then.span.start) {
            self.open_line(chain, then.span.start);
            self.push("then ");
        } else {
            self.push(" then ");
        }
        self.operand(then, matches!(then.node, ExprKind::If { .. }), chain);
        if self.broken(then.span.end, otherwise.span.start) {
            self.open_line(chain, otherwise.span.start);
            self.push("else ");
        } else {
            self.push(" else ");
        }
        if matches!(otherwise.node, ExprKind::If { .. }) {
            self.if_chain(otherwise, chain);
        } else {
            self.expr(otherwise, chain);
        }
    }

    /// A literal's source text, without any brackets around it, if it passes `valid`.
    fn literal_text(&self, span: Span, valid: impl Fn(&str) -> bool) -> Option<String> {
        let mut s = self.src.get(span.start..span.end)?.trim();
        while let Some(inner) = s.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
            s = inner.trim();
        }
        (!s.is_empty() && !s.contains('#') && valid(s)).then(|| s.to_string())
    }

    /// A string literal as written (escapes kept), or re-quoted from its value.
    pub fn string(&self, s: &Spanned<String>) -> String {
        self.literal_text(s.span, is_string).unwrap_or_else(|| quote(&s.node))
    }

    /// A unit expression as written, re-spaced: `GBP / (metre ^ 2)`.
    pub fn unit(&self, u: &Spanned<UnitExpr>) -> String {
        let text = self.src.get(u.span.start..u.span.end).unwrap_or("");
        unit_tokens(text).map_or_else(|| unit_from_factors(&u.node), |tokens| join_unit_tokens(&tokens))
    }
}

pub fn is_string(s: &str) -> bool {
    s.len() >= 2 && s.starts_with('"') && s.ends_with('"') && !s.contains('\n')
}

/// A string literal whose value is `text`.
pub fn quote(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            other => out.push(other),
        }
    }
    out.push('"');
    out
}

/// The tokens of a unit expression, or `None` if it holds anything unexpected. Comments
/// are skipped (its span may end with one); the printer places them.
fn unit_tokens(text: &str) -> Option<Vec<String>> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c == '#' {
            while chars.next().is_some_and(|c| c != '\n') {}
        } else if c.is_whitespace() {
            chars.next();
        } else if matches!(c, '(' | ')' | '*' | '/' | '^') {
            tokens.push(c.to_string());
            chars.next();
        } else if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
            let mut word = String::new();
            while let Some(&w) = chars.peek() {
                if w.is_ascii_alphanumeric() || w == '_' || (w == '-' && word.is_empty()) {
                    word.push(w);
                    chars.next();
                } else {
                    break;
                }
            }
            tokens.push(word);
        } else {
            return None;
        }
    }
    (!tokens.is_empty()).then_some(tokens)
}

fn join_unit_tokens(tokens: &[String]) -> String {
    let mut out = String::new();
    for t in tokens {
        match t.as_str() {
            "*" | "/" | "^" => {
                out.push(' ');
                out.push_str(t);
                out.push(' ');
            }
            ")" => out.push(')'),
            _ => out.push_str(t),
        }
    }
    out
}

/// A unit expression rebuilt from its factors, in their order (which the tree keeps).
fn unit_from_factors(u: &UnitExpr) -> String {
    let mut out = String::new();
    for (i, (name, power)) in u.factors.iter().enumerate() {
        let op = match (i, *power < 0) {
            (0, false) => "",
            (0, true) => "1 / ",
            (_, false) => " * ",
            (_, true) => " / ",
        };
        out.push_str(op);
        out.push_str(&name.node);
        if power.abs() != 1 {
            out.push_str(&format!(" ^ {}", power.abs()));
        }
    }
    if out.is_empty() {
        out.push('1');
    }
    out
}
