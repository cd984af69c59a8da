//! The derivation shown under a failing test: the defining formula with its place in the
//! rules, and the values of its direct inputs for the entity. One level deep; `explain`
//! (built separately) can replace [`derivation_for`] with a full trace.

use crate::ast::{Argument, Expr, ExprKind};
use crate::check::symbols::Item;
use crate::eval::engine::{Env, Evaluator, Target};
use crate::eval::run::{unit_out, UnitOut};
use crate::eval::value::Value;
use crate::source::{SourceFile, Span};

/// Lines describing how `target[key]` was computed for the entity on `row`.
pub fn derivation_for(
    ev: &mut Evaluator<'_, '_>,
    sources: &[SourceFile],
    target: &Target,
    key: &[String],
    row: usize,
) -> Vec<String> {
    let model = ev.model;
    let (formula, decls, methodology) = match target {
        Target::Kpi(n) => match model.syms.get(n).map(|s| s.item) {
            Some(Item::Kpi(k)) => (&k.formula, &k.indices[..], None),
            _ => return Vec::new(),
        },
        Target::Figure(m, f) => match model.syms.figures.get(&(m.as_str(), f.as_str())) {
            Some(fig) => (&fig.node.formula, &fig.node.indices[..], Some(model.meth_name(m))),
            None => return Vec::new(),
        },
        Target::Param(n) => {
            let span = model.syms.get(n).map(|s| s.span);
            return vec![format!("{} is a parameter{}", show_target(target, key), located(sources, span))];
        }
        Target::Field(n) => return vec![format!("`{n}` is read from the data")],
    };
    let mut lines = vec![format!(
        "{} = {}{}",
        show_target(target, key),
        one_line(slice(sources, formula.span)),
        located(sources, Some(formula.span))
    )];
    let env = Env::with(decls, key, methodology);
    let mut refs = Vec::new();
    references(ev, formula, &env, &mut refs);
    let mut seen = std::collections::HashSet::new();
    for (e, unit) in refs {
        let text = one_line(slice(sources, e.span));
        if !seen.insert(text.clone()) {
            continue;
        }
        let value = ev.eval(e, &env).get(row).clone();
        lines.push(format!("  {text} = {}", show_value(&value, unit.as_ref())));
    }
    if !env.bindings.is_empty() {
        let bound: Vec<String> = env.bindings.iter().map(|(v, m)| format!("{v} = {m}")).collect();
        lines.push(format!("  (with {})", bound.join(", ")));
    }
    lines
}

/// The sub-expressions of a formula that name another figure, field or parameter.
fn references<'e>(ev: &Evaluator<'_, '_>, e: &'e Expr, env: &Env<'_>, out: &mut Vec<(&'e Expr, Option<UnitOut>)>) {
    let model = ev.model;
    let named = |n: &str| -> Option<Option<UnitOut>> {
        if env.bindings.iter().any(|(v, _)| *v == n) {
            return None;
        }
        if let Some(m) = env.methodology {
            if let Some(f) = model.syms.figures.get(&(m, n)) {
                return Some(f.node.unit.as_ref().map(|u| unit_out(model, &u.node)));
            }
        }
        match model.syms.get(n).map(|s| s.item) {
            Some(Item::Kpi(k)) => Some(Some(unit_out(model, &k.unit.node))),
            Some(Item::Param(p)) => Some(Some(unit_out(model, &p.unit.node))),
            Some(Item::Field { field, .. }) => Some(match &field.ty.node {
                crate::ast::FieldType::Unit(u)
                    if !model.syms.is_index_set(&u.factors.first().map(|f| f.0.node.clone()).unwrap_or_default()) =>
                {
                    Some(unit_out(model, u))
                }
                _ => None,
            }),
            _ => None,
        }
    };
    match &e.node {
        ExprKind::Name(n) => {
            if let Some(u) = named(n) {
                out.push((e, u));
            }
        }
        ExprKind::Index { target, .. } => match &target.node {
            ExprKind::Name(n) => {
                if let Some(u) = named(n) {
                    out.push((e, u));
                }
            }
            ExprKind::Member { target: m, member } => {
                if let ExprKind::Name(meth) = &m.node {
                    if let Some(f) = model.syms.figures.get(&(meth.as_str(), member.node.as_str())) {
                        out.push((e, f.node.unit.as_ref().map(|u| unit_out(model, &u.node))));
                    }
                }
            }
            _ => {}
        },
        ExprKind::Member { target, member } => {
            if let ExprKind::Name(meth) = &target.node {
                if let Some(f) = model.syms.figures.get(&(meth.as_str(), member.node.as_str())) {
                    out.push((e, f.node.unit.as_ref().map(|u| unit_out(model, &u.node))));
                }
            }
        }
        ExprKind::Call { args, .. } => args.iter().for_each(|Argument { value, .. }| references(ev, value, env, out)),
        ExprKind::Over { aggregate, .. } => references(ev, aggregate, env, out),
        ExprKind::Unary { operand, .. } => references(ev, operand, env, out),
        ExprKind::Binary { lhs, rhs, .. } => {
            references(ev, lhs, env, out);
            references(ev, rhs, env, out);
        }
        ExprKind::If { condition, then, otherwise } => {
            references(ev, condition, env, out);
            references(ev, then, env, out);
            references(ev, otherwise, env, out);
        }
        _ => {}
    }
}

pub fn show_target(target: &Target, key: &[String]) -> String {
    let name = match target {
        Target::Kpi(n) | Target::Param(n) | Target::Field(n) => n.clone(),
        Target::Figure(m, f) => format!("{m}.{f}"),
    };
    if key.is_empty() {
        name
    } else {
        format!("{name}[{}]", key.join(", "))
    }
}

/// A value as reports show it: percentages in percent, with the unit's symbol.
pub fn show_value(value: &Value, unit: Option<&UnitOut>) -> String {
    match (value, unit) {
        (Value::Num(d), Some(u)) if u.percent => format!("{}%", (d * rust_decimal::Decimal::ONE_HUNDRED).normalize()),
        (Value::Num(d), Some(u)) if u.money => format!("{}{}", u.symbol, d.normalize()),
        (Value::Num(d), Some(u)) if !u.symbol.is_empty() && u.name != "ratio" && u.name != "count" => {
            format!("{} {}", d.normalize(), u.symbol)
        }
        (v, _) => v.to_string(),
    }
}

fn slice(sources: &[SourceFile], span: Span) -> &str {
    sources.get(span.file).map_or("", |f| f.slice(span))
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn located(sources: &[SourceFile], span: Option<Span>) -> String {
    match span.and_then(|s| sources.get(s.file).map(|f| (f, s))) {
        Some((f, s)) => {
            let (line, col) = f.line_col(s.start);
            format!("    ({}:{line}:{col})", f.name)
        }
        None => String::new(),
    }
}
