//! Indexed references (`cost[f]`), their index values, and members (`m.figure`, `s.field`).

use super::{count_indices, ExprChecker, Reference, Scope, Ty};
use crate::ast::*;
use crate::check::suggest;
use crate::check::symbols::Item;
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::source::{Name, Span};

impl<'c, 'a> ExprChecker<'c, 'a> {
    pub(super) fn index(&mut self, span: Span, target: &Expr, indices: &[Expr], scope: &Scope<'_>) -> Ty {
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

    pub(super) fn member(&mut self, target: &Expr, member: &Name, scope: &Scope<'_>) -> Ty {
        if let ExprKind::Name(n) = &target.node {
            if let Some((var, dataset)) = scope.policy {
                if var == n {
                    return match dataset.fields.iter().find(|f| f.node.name.node == member.node) {
                        Some(f) => match scope.group_by {
                            Some(by) if !scope.in_group && !by.iter().any(|b| b.node == member.node) => self.error(
                                Diagnostic::new(
                                    Code::WrongKind,
                                    format!("`{n}` is a group of rows: `{n}.{}` differs from row to row", member.node),
                                )
                                .primary(member.span, "read outside a statistic over the group")
                                .help(format!(
                                    "read it through a statistic over the group, such as `any({n}.{} == ...) over {n}`, or group by it",
                                    member.node
                                )),
                            ),
                            _ => self.field_ty(&f.node),
                        },
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
                if super::names::records_policy(scope, r.kind).is_some() {
                    let name = format!("{n}.{}", member.node);
                    let span = target.span.to(member.span);
                    return self.error(super::names::one_row_at_a_time(&name, r.kind, span, scope));
                }
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
}
