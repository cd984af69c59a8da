//! Expressions: name resolution, indices, units and types, and the dependencies between definitions.

mod calls;
mod indices;
mod names;
mod operators;

pub use operators::Side;

use super::symbols::Symbols;
use super::units::{Dim, UnitTable};
use crate::ast::*;
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::source::Span;
use std::collections::{HashMap, HashSet};

/// The type of an expression as far as checking needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ty {
    /// A number in a unit.
    Num(Dim),
    /// A plain number literal, which takes the unit of what it meets (`x * 2`, `max(0, x)`).
    Lit,
    Text,
    Date,
    Bool,
    /// A member of an index set (`f` in `f in function`, a set-typed field such as `org_type`).
    Member(String),
    /// An error has already been reported; stay quiet to avoid cascades.
    Unknown,
}

/// A definition that formulas can depend on, for cycle detection.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Node {
    Kpi(String),
    Param(String),
    Figure(String, String),
    /// A methodology's `scale`, which its totals (not its entity figures) are multiplied by.
    Scale(String),
}

impl Node {
    pub fn label(&self) -> String {
        match self {
            Node::Kpi(n) | Node::Param(n) => n.clone(),
            Node::Figure(m, f) => format!("{m}.{f}"),
            Node::Scale(m) => format!("the scale of {m}"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Dep {
    pub from: Node,
    pub to: Node,
    /// Where `from` refers to `to`.
    pub span: Span,
}

/// What is in scope while checking one formula.
#[derive(Debug, Clone, Default)]
pub struct Scope<'s> {
    /// Index variables: name, the set it ranges over.
    pub indices: Vec<(&'s str, &'s str)>,
    /// The enclosing methodology and whether it declares `peers`.
    pub methodology: Option<(&'s str, bool)>,
    /// Parameter values: only literals and other parameters.
    pub constant: bool,
    /// The loop variable of a policy and the dataset it ranges over.
    pub policy: Option<(&'s str, &'s DatasetDef)>,
    /// A grouped policy's `by` fields: outside a statistic `over` its variable, the
    /// variable has only these fields.
    pub group_by: Option<&'s [crate::source::Name]>,
    /// Inside a statistic over a grouped policy's rows, where every field can be read.
    pub in_group: bool,
    pub owner: Option<Node>,
}

impl<'s> Scope<'s> {
    pub fn with_indices(decls: &'s [crate::source::Spanned<IndexDecl>]) -> Self {
        Scope {
            indices: decls.iter().map(|d| (d.node.var.node.as_str(), d.node.set.node.as_str())).collect(),
            ..Scope::default()
        }
    }

    fn index_set(&self, var: &str) -> Option<&'s str> {
        self.indices.iter().rev().find(|(v, _)| *v == var).map(|(_, s)| *s)
    }
}

/// Something a formula can refer to by name and maybe index.
struct Reference {
    ty: Ty,
    indices: Vec<(String, String)>,
    node: Option<Node>,
    kind: &'static str,
}

pub struct ExprChecker<'c, 'a> {
    pub syms: &'c Symbols<'a>,
    pub units: &'c UnitTable,
    pub diags: Vec<Diagnostic>,
    pub deps: Vec<Dep>,
    /// The type each KPI, parameter and figure has where it is used (see `used_ty`).
    used_types: HashMap<Node, Ty>,
    in_progress: HashSet<Node>,
}

impl<'c, 'a> ExprChecker<'c, 'a> {
    pub fn new(syms: &'c Symbols<'a>, units: &'c UnitTable) -> Self {
        ExprChecker {
            syms,
            units,
            diags: Vec::new(),
            deps: Vec::new(),
            used_types: HashMap::new(),
            in_progress: HashSet::new(),
        }
    }

    pub fn show(&self, ty: &Ty) -> String {
        match ty {
            Ty::Num(d) if d.is_percent() => "a percentage".to_string(),
            Ty::Num(d) if d.is_dimensionless() => "a ratio".to_string(),
            Ty::Num(d) => format!("an amount in {}", self.units.show(d)),
            Ty::Lit => "a plain number".to_string(),
            Ty::Text => "text".to_string(),
            Ty::Date => "a date".to_string(),
            Ty::Bool => "a truth value".to_string(),
            Ty::Member(s) => format!("a member of `{s}`"),
            Ty::Unknown => "unknown".to_string(),
        }
    }

    /// The type of a dataset field's values.
    pub fn field_ty(&self, field: &Field) -> Ty {
        match &field.ty.node {
            FieldType::Text => Ty::Text,
            FieldType::Date => Ty::Date,
            FieldType::Unit(u) => {
                if let [(name, 1)] = u.factors.as_slice() {
                    if self.syms.is_index_set(&name.node) && !self.units.is_unit(&name.node) {
                        return Ty::Member(name.node.clone());
                    }
                }
                self.units.resolve(u, &mut Vec::new()).map_or(Ty::Unknown, Ty::Num)
            }
        }
    }

    fn unit_ty(&self, u: &UnitExpr) -> Ty {
        self.units.resolve(u, &mut Vec::new()).map_or(Ty::Unknown, Ty::Num)
    }

    fn error(&mut self, diag: Diagnostic) -> Ty {
        self.diags.push(diag);
        Ty::Unknown
    }

    fn depend(&mut self, scope: &Scope<'_>, to: Option<Node>, span: Span) {
        if let (Some(from), Some(to)) = (scope.owner.clone(), to) {
            self.deps.push(Dep { from, to, span });
        }
    }

    pub fn infer(&mut self, e: &Expr, scope: &Scope<'_>) -> Ty {
        match &e.node {
            ExprKind::Number(_) => Ty::Lit,
            ExprKind::Percent(_) => Ty::Num(Dim::percent()),
            ExprKind::Money { currency, .. } => match self.units.currencies.get(currency) {
                Some(unit) => Ty::Num(Dim::base(unit)),
                None => self.error(
                    Diagnostic::new(Code::UnknownCurrency, format!("no unit has `{currency}` as its symbol"))
                        .primary(e.span, "the unit of this amount is unknown")
                        .help(format!(
                            "give the currency's unit this symbol: `unit NAME \"title\" symbol \"{currency}\"`"
                        )),
                ),
            },
            ExprKind::Date(_) => Ty::Date,
            ExprKind::Text(_) => Ty::Text,
            ExprKind::Bool(_) => Ty::Bool,
            ExprKind::Name(n) => self.name(n, e.span, scope),
            ExprKind::Index { target, indices } => self.index(e.span, target, indices, scope),
            ExprKind::Member { target, member } => self.member(target, member, scope),
            ExprKind::Call { function, args } => self.call(e.span, function, args, scope, false),
            ExprKind::Over { aggregate, group } => self.over(aggregate, group, scope),
            ExprKind::Unary { op, operand } => {
                let t = self.infer(operand, scope);
                match (op, &t) {
                    (_, Ty::Unknown) => Ty::Unknown,
                    (UnaryOp::Neg, Ty::Num(_) | Ty::Lit) => t,
                    (UnaryOp::Not, Ty::Bool) => t,
                    (UnaryOp::Neg, _) => self.mismatch(operand.span, &t, "a number", "only numbers can be negated"),
                    (UnaryOp::Not, _) => {
                        self.mismatch(operand.span, &t, "a truth value", "`not` applies to conditions")
                    }
                }
            }
            ExprKind::Chain { first, links } => self.chain(first, links, scope),
            ExprKind::If { condition, then, otherwise } => {
                let c = self.infer(condition, scope);
                if !matches!(c, Ty::Bool | Ty::Unknown) {
                    self.mismatch(
                        condition.span,
                        &c,
                        "a truth value",
                        "the condition of `if` must be a comparison or other condition",
                    );
                }
                let a = self.infer(then, scope);
                let b = self.infer(otherwise, scope);
                self.unify(&a, then.span, &b, otherwise.span, "the branches of `if` have different units")
            }
        }
    }

    fn mismatch(&mut self, span: Span, found: &Ty, wanted: &str, help: &str) -> Ty {
        let shown = self.show(found);
        self.error(
            Diagnostic::new(Code::TypeMismatch, format!("expected {wanted}, found {shown}"))
                .primary(span, format!("this is {shown}"))
                .help(help.to_string()),
        )
    }
}

fn count_indices(n: usize) -> String {
    if n == 1 {
        "one index".to_string()
    } else {
        format!("{n} indices")
    }
}

/// `a`, `a and b`, `a, b and c`.
pub fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}
