//! Expressions: name resolution, indices, units and types, and the dependencies between definitions.

use super::builtins::{self, Builtin, Returns};
use super::suggest;
use super::symbols::{Item, Symbols};
use super::units::{Dim, UnitTable};
use crate::ast::*;
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::source::{Name, Span};
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
    figure_types: HashMap<(String, String), Ty>,
    in_progress: HashSet<(String, String)>,
}

impl<'c, 'a> ExprChecker<'c, 'a> {
    pub fn new(syms: &'c Symbols<'a>, units: &'c UnitTable) -> Self {
        ExprChecker {
            syms,
            units,
            diags: Vec::new(),
            deps: Vec::new(),
            figure_types: HashMap::new(),
            in_progress: HashSet::new(),
        }
    }

    pub fn show(&self, ty: &Ty) -> String {
        match ty {
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

    // ------------------------------------------------------------ references

    fn reference(&mut self, name: &str, scope: &Scope<'_>) -> Option<Reference> {
        if let Some((meth, _)) = scope.methodology {
            if let Some(fig) = self.syms.figures.get(&(meth, name)) {
                return Some(self.figure_reference(meth, fig));
            }
        }
        let sym = self.syms.get(name)?;
        let decls = |d: &[crate::source::Spanned<IndexDecl>]| {
            d.iter().map(|i| (i.node.var.node.clone(), i.node.set.node.clone())).collect::<Vec<_>>()
        };
        Some(match sym.item {
            Item::Field { field, .. } => {
                Reference { ty: self.field_ty(field), indices: decls(&field.indices), node: None, kind: "field" }
            }
            Item::Param(p) => Reference {
                ty: self.unit_ty(&p.unit.node),
                indices: decls(&p.indices),
                node: Some(Node::Param(name.to_string())),
                kind: "parameter",
            },
            Item::Kpi(k) => Reference {
                ty: self.unit_ty(&k.unit.node),
                indices: decls(&k.indices),
                node: Some(Node::Kpi(name.to_string())),
                kind: "KPI",
            },
            _ => return None,
        })
    }

    fn figure_reference(&mut self, meth: &str, fig: &crate::source::Spanned<Figure>) -> Reference {
        let ty = self.figure_ty(meth, fig);
        Reference {
            ty,
            indices: fig.node.indices.iter().map(|i| (i.node.var.node.clone(), i.node.set.node.clone())).collect(),
            node: Some(Node::Figure(meth.to_string(), fig.node.name.node.clone())),
            kind: "figure",
        }
    }

    /// A figure's type: its declared unit, or its formula's type (inferred quietly, once).
    fn figure_ty(&mut self, meth: &str, fig: &crate::source::Spanned<Figure>) -> Ty {
        if let Some(u) = &fig.node.unit {
            return self.unit_ty(&u.node);
        }
        let key = (meth.to_string(), fig.node.name.node.clone());
        if let Some(t) = self.figure_types.get(&key) {
            return t.clone();
        }
        if !self.in_progress.insert(key.clone()) {
            return Ty::Unknown;
        }
        let has_peers = match self.syms.get(meth).map(|s| s.item) {
            Some(Item::Methodology(m)) => m.peers.is_some(),
            _ => false,
        };
        let mut scope = Scope::with_indices(&fig.node.indices);
        scope.methodology = Some((meth, has_peers));
        let saved = (std::mem::take(&mut self.diags), std::mem::take(&mut self.deps));
        let ty = self.infer(&fig.node.formula, &scope);
        (self.diags, self.deps) = saved;
        self.in_progress.remove(&key);
        self.figure_types.insert(key, ty.clone());
        ty
    }

    // ------------------------------------------------------------ inference

    pub fn infer(&mut self, e: &Expr, scope: &Scope<'_>) -> Ty {
        match &e.node {
            ExprKind::Number(_) => Ty::Lit,
            ExprKind::Percent(_) => Ty::Num(Dim::dimensionless()),
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
            ExprKind::Binary { op, lhs, rhs } => self.binary(op, lhs, rhs, scope),
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

    fn name(&mut self, n: &str, span: Span, scope: &Scope<'_>) -> Ty {
        if let Some(set) = scope.index_set(n) {
            return Ty::Member(set.to_string());
        }
        if let Some((var, _)) = scope.policy {
            if var == n {
                return self.error(
                    Diagnostic::new(Code::TypeMismatch, format!("`{n}` is a whole record"))
                        .primary(span, "use one of its fields")
                        .help(format!("write `{n}.FIELD`")),
                );
            }
        }
        if let Some(r) = self.reference(n, scope) {
            if scope.constant && r.kind != "parameter" {
                return self.error(
                    Diagnostic::new(Code::WrongKind, format!("a parameter value cannot use the {} `{n}`", r.kind))
                        .primary(span, format!("this is a {}", r.kind))
                        .help("parameters are constants: they may use numbers and other parameters only"),
                );
            }
            if let Some((var, set)) = r.indices.first() {
                let count = r.indices.len();
                return self.error(
                    Diagnostic::new(Code::IndexArity, format!("`{n}` has one value per {set}; say which"))
                        .primary(span, format!("{} with {}", r.kind, count_indices(count)))
                        .help(format!(
                            "write `{n}[{var}]` inside a definition indexed by `[{var} in {set}]`, or name a member"
                        )),
                );
            }
            self.depend(scope, r.node, span);
            return r.ty;
        }
        if let Some(sym) = self.syms.get(n) {
            return match sym.item {
                Item::Class(_) => Ty::Member("class".into()),
                Item::Activity { .. } => Ty::Member("activity".into()),
                Item::Function(_) => Ty::Member("function".into()),
                other => self.error(
                    Diagnostic::new(Code::WrongKind, format!("`{n}` is a {}, not a value", other.kind()))
                        .primary(span, format!("{} used as a value", other.kind()))
                        .help(match other {
                            Item::Methodology(_) => format!("refer to one of its figures: `{n}.FIGURE`"),
                            _ => "a formula can use fields, parameters, KPIs, figures and members of sets".to_string(),
                        }),
                ),
            };
        }
        if let Some(set) = self.syms.sets_with_member(n).first() {
            return Ty::Member((*set).to_string());
        }
        let candidates = self.candidates(scope);
        self.error(
            Diagnostic::new(Code::UnknownName, format!("unknown name `{n}`"))
                .primary(span, "not defined anywhere")
                .help(suggest::help_for(
                    n,
                    candidates.iter().map(String::as_str),
                    "no field, parameter, KPI, figure or set member has this name",
                )),
        )
    }

    /// Names a formula could have meant, for "did you mean".
    fn candidates(&self, scope: &Scope<'_>) -> Vec<String> {
        let mut out: Vec<String> = scope.indices.iter().map(|(v, _)| (*v).to_string()).collect();
        if let Some((meth, _)) = scope.methodology {
            out.extend(self.syms.figures.keys().filter(|(m, _)| *m == meth).map(|(_, f)| (*f).to_string()));
        }
        out.extend(
            self.syms
                .names_where(|i| {
                    matches!(
                        i,
                        Item::Field { .. }
                            | Item::Param(_)
                            | Item::Kpi(_)
                            | Item::Class(_)
                            | Item::Activity { .. }
                            | Item::Function(_)
                    )
                })
                .into_iter()
                .map(str::to_string),
        );
        out.sort();
        out
    }

    fn index(&mut self, span: Span, target: &Expr, indices: &[Expr], scope: &Scope<'_>) -> Ty {
        let reference = match &target.node {
            ExprKind::Name(n) => {
                match self.reference(n, scope) {
                    Some(r) => Some((n.clone(), r)),
                    None => {
                        let t = self.name(n, target.span, scope);
                        if t != Ty::Unknown {
                            let shown = self.show(&t);
                            self.error(
                            Diagnostic::new(Code::IndexArity, format!("`{n}` cannot be indexed"))
                                .primary(target.span, format!("this is {shown}"))
                                .help("only fields, parameters, KPIs and figures declared with `[x in SET]` take indices"),
                        );
                        }
                        None
                    }
                }
            }
            ExprKind::Member { target: inner, member } => match self.other_figure(inner, member) {
                Some(r) => Some((member.node.clone(), r)),
                None => {
                    self.infer(target, scope);
                    None
                }
            },
            _ => {
                if self.infer(target, scope) == Ty::Unknown {
                    return Ty::Unknown;
                }
                self.error(
                    Diagnostic::new(Code::IndexArity, "only a name can be indexed")
                        .primary(target.span, "not a field, parameter, KPI or figure")
                        .help("index a name: `cost[f]`"),
                );
                None
            }
        };
        let Some((name, r)) = reference else {
            for i in indices {
                if !matches!(i.node, ExprKind::Name(_)) {
                    self.infer(i, scope);
                }
            }
            return Ty::Unknown;
        };
        if scope.constant && r.kind != "parameter" {
            return self.error(
                Diagnostic::new(Code::WrongKind, format!("a parameter value cannot use the {} `{name}`", r.kind))
                    .primary(target.span, format!("this is a {}", r.kind))
                    .help("parameters are constants: they may use numbers and other parameters only"),
            );
        }
        if r.indices.len() != indices.len() {
            let want = r.indices.len();
            let sets: Vec<String> = r.indices.iter().map(|(v, s)| format!("{v} in {s}")).collect();
            return self.error(
                Diagnostic::new(
                    Code::IndexArity,
                    match want {
                        0 => format!("`{name}` is not indexed, but is given {}", count_indices(indices.len())),
                        _ => format!("`{name}` takes {}, given {}", count_indices(want), indices.len()),
                    },
                )
                .primary(span, "wrong number of indices")
                .help(if sets.is_empty() {
                    format!("`{name}` is not indexed: write it without brackets")
                } else {
                    format!("`{name}` is declared with [{}]", sets.join(", "))
                }),
            );
        }
        for (i, (_, set)) in indices.iter().zip(&r.indices) {
            self.index_value(i, set, scope);
        }
        self.depend(scope, r.node, span);
        r.ty
    }

    /// One index: a variable over the same set, a member of it, or a field holding members.
    fn index_value(&mut self, i: &Expr, set: &str, scope: &Scope<'_>) {
        if let ExprKind::Name(n) = &i.node {
            if let Some(var_set) = scope.index_set(n) {
                if var_set != set {
                    self.error(
                        Diagnostic::new(
                            Code::TypeMismatch,
                            format!("`{n}` ranges over `{var_set}`, but this index ranges over `{set}`"),
                        )
                        .primary(i.span, format!("a member of `{var_set}`"))
                        .help(format!("use an index variable declared `in {set}`")),
                    );
                }
                return;
            }
            if self.syms.is_member(set, n) {
                return;
            }
            let is_value = self.reference(n, scope).is_some() || self.syms.get(n).is_some();
            if !is_value {
                if self.syms.index_vars.contains(n.as_str()) || n.len() <= 2 {
                    self.error(
                        Diagnostic::new(Code::UnboundIndex, format!("index variable `{n}` is not bound here"))
                            .primary(i.span, "no enclosing `[... in ...]` declares it")
                            .help(format!("declare it on the definition, for example `[{n} in {set}]`, or name a member of `{set}`")),
                    );
                } else {
                    let members = self.syms.members(set).unwrap_or_default();
                    self.error(
                        Diagnostic::new(Code::UnknownIndexValue, format!("`{n}` is not a member of `{set}`"))
                            .primary(i.span, format!("not a {set}"))
                            .help(suggest::help_for(
                                n,
                                members.iter().map(|m| m.name),
                                &format!("the members of `{set}` are its declared names"),
                            )),
                    );
                }
                return;
            }
        }
        let t = self.infer(i, scope);
        match t {
            Ty::Unknown => {}
            Ty::Member(s) if s == set => {}
            other => {
                let shown = self.show(&other);
                self.error(
                    Diagnostic::new(Code::TypeMismatch, format!("an index over `{set}` must be a member of `{set}`"))
                        .primary(i.span, format!("this is {shown}"))
                        .help(format!(
                            "use an index variable declared `in {set}`, a member name, or a field of type `{set}`"
                        )),
                );
            }
        }
    }

    /// `methodology.figure`: a figure of another methodology.
    fn other_figure(&mut self, target: &Expr, member: &Name) -> Option<Reference> {
        let ExprKind::Name(meth) = &target.node else { return None };
        let sym = self.syms.get(meth)?;
        let Item::Methodology(_) = sym.item else { return None };
        let meth: &'a str = self.syms.names.get_key_value(meth.as_str()).map(|(k, _)| *k)?;
        match self.syms.figures.get(&(meth, member.node.as_str())) {
            Some(fig) => Some(self.figure_reference(meth, fig)),
            None => {
                let figs: Vec<&str> = self.syms.figures.keys().filter(|(m, _)| *m == meth).map(|(_, f)| *f).collect();
                self.error(
                    Diagnostic::new(Code::UnknownName, format!("methodology `{meth}` has no figure `{}`", member.node))
                        .primary(member.span, "no such figure")
                        .help(suggest::help_for(&member.node, figs, "a methodology's figures are its `let` lines")),
                );
                Some(Reference { ty: Ty::Unknown, indices: Vec::new(), node: None, kind: "figure" })
            }
        }
    }

    fn member(&mut self, target: &Expr, member: &Name, scope: &Scope<'_>) -> Ty {
        if let ExprKind::Name(n) = &target.node {
            if let Some((var, dataset)) = scope.policy {
                if var == n {
                    return match dataset.fields.iter().find(|f| f.node.name.node == member.node) {
                        Some(f) => self.field_ty(&f.node),
                        None => self.error(
                            Diagnostic::new(Code::UnknownName, format!("`{n}` has no field `{}`", member.node))
                                .primary(member.span, "not a field of the dataset")
                                .help(suggest::help_for(
                                    &member.node,
                                    dataset.fields.iter().map(|f| f.node.name.node.as_str()),
                                    "the fields are those declared in the dataset",
                                )),
                        ),
                    };
                }
            }
            if scope.index_set(n).is_some() {
                return Ty::Text;
            }
            if let Some(r) = self.other_figure(target, member) {
                if let Some((var, set)) = r.indices.first() {
                    return self.error(
                        Diagnostic::new(
                            Code::IndexArity,
                            format!("`{n}.{}` has one value per {set}; say which", member.node),
                        )
                        .primary(target.span.to(member.span), "indexed figure used without an index")
                        .help(format!("write `{n}.{}[{var}]`", member.node)),
                    );
                }
                self.depend(scope, r.node, target.span.to(member.span));
                return r.ty;
            }
        }
        let t = self.infer(target, scope);
        if t == Ty::Unknown {
            return t;
        }
        let shown = self.show(&t);
        self.error(
            Diagnostic::new(Code::TypeMismatch, format!("{shown} has no member `{}`", member.node))
                .primary(member.span, "no such member")
                .help("members are fields of a policy's record, properties of an index (`f.title`) or figures of a methodology"),
        )
    }

    fn over(&mut self, aggregate: &Expr, group: &Name, scope: &Scope<'_>) -> Ty {
        match group.node.as_str() {
            "all" => {}
            "peers" => {
                match scope.methodology {
                    Some((_, true)) => {}
                    Some((meth, false)) => {
                        self.error(
                        Diagnostic::new(Code::NoPeerGroup, format!("methodology `{meth}` declares no peer group"))
                            .primary(group.span, "`peers` is not declared")
                            .help("add `peers same FIELD minimum N` to the methodology, or take the statistic `over all`"),
                    );
                    }
                    None => {
                        self.error(
                            Diagnostic::new(Code::NoPeerGroup, "`over peers` outside a methodology")
                                .primary(group.span, "no peer group here")
                                .help("peer groups belong to methodologies; here use `over all`"),
                        );
                    }
                }
            }
            other => {
                self.error(
                    Diagnostic::new(Code::NoPeerGroup, format!("unknown group `{other}`"))
                        .primary(group.span, "not a group")
                        .help(suggest::help_for(
                            other,
                            ["peers", "all"],
                            "statistics are taken `over peers` or `over all`",
                        )),
                );
            }
        }
        match &aggregate.node {
            ExprKind::Call { function, args } => self.call(aggregate.span, function, args, scope, true),
            _ => {
                self.infer(aggregate, scope);
                self.error(
                    Diagnostic::new(Code::NotAnAggregate, "`over` must follow a statistic")
                        .primary(aggregate.span, "not a statistic")
                        .help("write a statistic such as `median(x, missing: skip) over peers`"),
                )
            }
        }
    }

    // ------------------------------------------------------------ calls

    fn call(&mut self, span: Span, function: &Name, args: &[Argument], scope: &Scope<'_>, under_over: bool) -> Ty {
        let fname = function.node.as_str();
        if let Some(b) = builtins::lookup(fname, under_over) {
            if b.aggregate && !under_over {
                self.error(
                    Diagnostic::new(Code::NotAnAggregate, format!("`{fname}` is a statistic and needs a group"))
                        .primary(span, "no `over`")
                        .help(format!("write `{}`", b.signature)),
                );
            } else if !b.aggregate && under_over {
                self.error(
                    Diagnostic::new(Code::NotAnAggregate, format!("`{fname}` is not a statistic"))
                        .primary(span, "cannot be taken `over` a group")
                        .help("statistics are count, sum, mean, median, min, max, quantile, trimmed_mean, rank and percentile_rank"),
                );
            }
            return self.builtin(span, b, args, scope);
        }
        if let Some(Item::ScriptFn(f)) = self.syms.get(fname).map(|s| s.item) {
            return self.script_call(span, fname, f, args, scope);
        }
        for a in args {
            self.infer(&a.value, scope);
        }
        let mut names: Vec<&str> = builtins::names().collect();
        names.extend(self.syms.names_where(|i| matches!(i, Item::ScriptFn(_))));
        self.error(
            Diagnostic::new(Code::UnknownName, format!("unknown function `{fname}`"))
                .primary(function.span, "no built-in or script function has this name")
                .help(suggest::help_for(
                    fname,
                    names,
                    "declare it in a `script` block, or use a built-in such as `max` or `median`",
                )),
        )
    }

    fn builtin(&mut self, span: Span, b: &Builtin, args: &[Argument], scope: &Scope<'_>) -> Ty {
        let positional: Vec<&Argument> = args.iter().filter(|a| a.name.is_none()).collect();
        if positional.len() < b.min_args || positional.len() > b.max_args {
            for a in &positional {
                self.infer(&a.value, scope);
            }
            return self.error(
                Diagnostic::new(
                    Code::BadArgument,
                    format!("`{}` takes {}, given {}", b.name, count_words(b), positional.len()),
                )
                .primary(span, "wrong number of arguments")
                .help(format!("write `{}`", b.signature)),
            );
        }
        let mut seen: Vec<&str> = Vec::new();
        let mut unknown_option = false;
        for a in args {
            let Some(n) = &a.name else { continue };
            let Some(opt) = b.options.iter().find(|o| o.name == n.node) else {
                unknown_option = true;
                let names: Vec<&str> = b.options.iter().map(|o| o.name).collect();
                self.error(
                    Diagnostic::new(Code::BadArgument, format!("`{}` has no option `{}`", b.name, n.node))
                        .primary(n.span, "unknown option")
                        .help(suggest::help_for(&n.node, names, &format!("write `{}`", b.signature))),
                );
                continue;
            };
            if seen.contains(&opt.name) {
                self.error(
                    Diagnostic::new(Code::BadArgument, format!("option `{}` is given twice", opt.name))
                        .primary(n.span, "again here")
                        .help("give each option once"),
                );
            }
            seen.push(opt.name);
            self.option_value(b, opt, &a.value, scope);
        }
        let missing: Vec<_> = b.options.iter().filter(|o| o.required && !seen.contains(&o.name)).collect();
        // A misspelt option is reported above; saying it is also missing would be noise.
        if let (Some(first), false) = (missing.first(), unknown_option) {
            let list: Vec<String> = missing.iter().map(|o| format!("`{}`", o.name)).collect();
            self.error(
                Diagnostic::new(Code::UnstatedChoice, format!("`{}` needs {} stated", b.name, join_and(&list)))
                    .primary(span, format!("`{}`: {}", first.name, first.meaning))
                    .help(format!("state every choice: `{}`", b.signature)),
            );
        }
        let types: Vec<(Ty, Span)> = positional.iter().map(|a| (self.infer(&a.value, scope), a.value.span)).collect();
        match b.returns {
            Returns::SameAsArgs => {
                // quantile's second argument is the fraction, not a value.
                let values = if b.name == "quantile" { types.get(..1).unwrap_or_default() } else { &types[..] };
                if let (true, Some((t, s))) = (b.name == "quantile", types.get(1)) {
                    self.expect_ratio(t, *s, "the quantile is a fraction such as 25%");
                }
                let mut acc: Option<(Ty, Span)> = None;
                for (t, s) in values {
                    if !matches!(t, Ty::Num(_) | Ty::Lit | Ty::Unknown) {
                        self.mismatch(*s, t, "a number", &format!("`{}` works on numbers", b.name));
                        acc = Some((Ty::Unknown, *s));
                        continue;
                    }
                    acc = Some(match acc {
                        None => (t.clone(), *s),
                        Some((a, sa)) => (
                            self.unify(&a, sa, t, *s, &format!("the arguments of `{}` have different units", b.name)),
                            sa,
                        ),
                    });
                }
                acc.map_or(Ty::Lit, |(t, _)| t)
            }
            Returns::Count => Ty::Num(Dim::base("count")),
            Returns::Ratio => Ty::Num(Dim::dimensionless()),
            Returns::Bool => Ty::Bool,
            Returns::ClassOf => match types.first() {
                Some((Ty::Member(s), _)) if s == "activity" => Ty::Member("class".into()),
                Some((Ty::Unknown, _)) | None => Ty::Unknown,
                Some((t, s)) => self.mismatch(*s, t, "an activity", "`class` gives the class of an activity"),
            },
        }
    }

    fn expect_ratio(&mut self, t: &Ty, span: Span, help: &str) {
        match t {
            Ty::Lit | Ty::Unknown => {}
            Ty::Num(d) if d.is_dimensionless() => {}
            other => {
                self.mismatch(span, other, "a ratio", help);
            }
        }
    }

    fn option_value(&mut self, b: &Builtin, opt: &builtins::Opt, value: &Expr, scope: &Scope<'_>) {
        if opt.words.is_empty() {
            let t = self.infer(value, scope);
            self.expect_ratio(&t, value.span, opt.meaning);
            if let (ExprKind::Percent(p), "trim") = (&value.node, opt.name) {
                if *p < rust_decimal::Decimal::ZERO || *p >= rust_decimal::Decimal::from(50) {
                    self.error(
                        Diagnostic::new(
                            Code::BadArgument,
                            format!("`trim` must be at least 0% and below 50%, given {p}%"),
                        )
                        .primary(value.span, "out of range")
                        .help("the fraction is dropped from each end: 25% keeps the middle half"),
                    );
                }
            }
            return;
        }
        let word = match &value.node {
            ExprKind::Name(w) => Some(w.as_str()),
            _ => None,
        };
        if !word.is_some_and(|w| opt.words.contains(&w)) {
            let allowed: Vec<String> = opt.words.iter().map(|w| format!("`{w}`")).collect();
            self.error(
                Diagnostic::new(
                    Code::BadArgument,
                    format!("`{}` of `{}` must be one of {}", opt.name, b.name, allowed.join(", ")),
                )
                .primary(value.span, "not one of the choices")
                .help(match word.and_then(|w| suggest::did_you_mean(w, opt.words.iter().copied())) {
                    Some(s) => format!("did you mean `{s}`? ({})", opt.meaning),
                    None => format!("`{}`: {}", opt.name, opt.meaning),
                }),
            );
        }
    }

    fn script_call(&mut self, span: Span, fname: &str, f: &ScriptFn, args: &[Argument], scope: &Scope<'_>) -> Ty {
        if let Some(named) = args.iter().find_map(|a| a.name.as_ref()) {
            self.error(
                Diagnostic::new(Code::BadArgument, format!("script function `{fname}` takes no named options"))
                    .primary(named.span, "named argument")
                    .help("pass script arguments by position"),
            );
        }
        if args.len() != f.params.len() {
            for a in args {
                self.infer(&a.value, scope);
            }
            let sig: Vec<String> = f.params.iter().map(|(n, _)| n.node.clone()).collect();
            return self.error(
                Diagnostic::new(
                    Code::BadArgument,
                    format!("`{fname}` takes {} arguments, given {}", f.params.len(), args.len()),
                )
                .primary(span, "wrong number of arguments")
                .help(format!("write `{fname}({})`", sig.join(", "))),
            );
        }
        for (a, (pname, punit)) in args.iter().zip(&f.params) {
            let t = self.infer(&a.value, scope);
            let want = self.unit_ty(&punit.node);
            if let (Ty::Num(got), Ty::Num(w)) = (&t, &want) {
                if got != w {
                    self.error(
                        Diagnostic::new(
                            Code::UnitMismatch,
                            format!("`{fname}` expects `{}` in {}", pname.node, self.units.show(w)),
                        )
                        .primary(a.value.span, format!("this is {}", self.units.show(got)))
                        .secondary(punit.span, "declared here")
                        .help("pass a value in the declared unit"),
                    );
                }
            } else if !matches!(t, Ty::Num(_) | Ty::Lit | Ty::Unknown) {
                self.mismatch(a.value.span, &t, "a number", "script functions take numbers");
            }
        }
        self.unit_ty(&f.returns.node)
    }

    // ------------------------------------------------------------ operators

    fn binary(&mut self, op: &crate::source::Spanned<BinaryOp>, lhs: &Expr, rhs: &Expr, scope: &Scope<'_>) -> Ty {
        let a = self.infer(lhs, scope);
        let b = self.infer(rhs, scope);
        if a == Ty::Unknown || b == Ty::Unknown {
            return if op.node.is_comparison() || matches!(op.node, BinaryOp::And | BinaryOp::Or) {
                Ty::Bool
            } else {
                Ty::Unknown
            };
        }
        match op.node {
            BinaryOp::And | BinaryOp::Or => {
                for (t, s) in [(&a, lhs.span), (&b, rhs.span)] {
                    if *t != Ty::Bool {
                        self.mismatch(s, t, "a truth value", &format!("`{}` joins conditions", op.node.as_str()));
                    }
                }
                Ty::Bool
            }
            BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
                let ordered = !matches!(op.node, BinaryOp::Eq | BinaryOp::Ne);
                match (&a, &b) {
                    (Ty::Num(_) | Ty::Lit, Ty::Num(_) | Ty::Lit) => {
                        self.unify(&a, lhs.span, &b, rhs.span, "cannot compare quantities in different units");
                    }
                    (Ty::Text, Ty::Text) | (Ty::Date, Ty::Date) => {}
                    (Ty::Member(set), Ty::Text) if !ordered => self.member_literal(set, rhs),
                    (Ty::Text, Ty::Member(set)) if !ordered => self.member_literal(set, lhs),
                    (Ty::Bool, Ty::Bool) if !ordered => {}
                    (Ty::Member(x), Ty::Member(y)) if x == y && !ordered => {}
                    _ => {
                        let (sa, sb) = (self.show(&a), self.show(&b));
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
                if !self.numeric(&a, lhs.span, op.node) || !self.numeric(&b, rhs.span, op.node) {
                    return Ty::Unknown;
                }
                let what = if op.node == BinaryOp::Add { "cannot add" } else { "cannot subtract" };
                self.unify(&a, lhs.span, &b, rhs.span, what)
            }
            BinaryOp::Mul | BinaryOp::Div => {
                if !self.numeric(&a, lhs.span, op.node) || !self.numeric(&b, rhs.span, op.node) {
                    return Ty::Unknown;
                }
                match (a, b) {
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
    fn unify(&mut self, a: &Ty, sa: Span, b: &Ty, sb: Span, what: &str) -> Ty {
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

fn count_words(b: &Builtin) -> String {
    match (b.min_args, b.max_args) {
        (0, 0) => "no value arguments".to_string(),
        (1, 1) => "one value".to_string(),
        (lo, hi) if lo == hi => format!("{lo} values"),
        (lo, _) => format!("at least {lo} values"),
    }
}
