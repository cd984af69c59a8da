//! Names in formulas: what a name refers to, and the type a definition has where it is used.

use super::{count_indices, ExprChecker, Node, Reference, Scope, Ty};
use crate::ast::*;
use crate::check::suggest;
use crate::check::symbols::Item;
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::source::Span;

impl<'c, 'a> ExprChecker<'c, 'a> {
    pub(super) fn name(&mut self, n: &str, span: Span, scope: &Scope<'_>) -> Ty {
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
            if records_policy(scope, r.kind).is_some() {
                return self.error(one_row_at_a_time(n, r.kind, span, scope));
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

    pub(super) fn reference(&mut self, name: &str, scope: &Scope<'_>) -> Option<Reference> {
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
                ty: self.param_ty(name, p),
                indices: decls(&p.indices),
                node: Some(Node::Param(name.to_string())),
                kind: "parameter",
            },
            Item::Kpi(k) => Reference {
                ty: self.kpi_ty(name, k),
                indices: decls(&k.indices),
                node: Some(Node::Kpi(name.to_string())),
                kind: "KPI",
            },
            _ => return None,
        })
    }

    /// The type and index sets of a KPI (`methodology` none) or a methodology's figure, as
    /// a report shows it; `None` when there is no such KPI or figure (the caller says so).
    pub fn shown_figure(&mut self, methodology: Option<&str>, name: &str) -> Option<(Ty, Vec<String>)> {
        let reference = match methodology {
            Some(meth) => {
                let fig = *self.syms.figures.get(&(meth, name))?;
                self.figure_reference(meth, fig)
            }
            None => match self.syms.get(name)?.item {
                Item::Kpi(_) => self.reference(name, &Scope::default())?,
                _ => return None,
            },
        };
        Some((reference.ty, reference.indices.into_iter().map(|(_, set)| set).collect()))
    }

    pub(super) fn figure_reference(&mut self, meth: &str, fig: &crate::source::Spanned<Figure>) -> Reference {
        let ty = self.figure_ty(meth, fig);
        Reference {
            ty,
            indices: fig.node.indices.iter().map(|i| (i.node.var.node.clone(), i.node.set.node.clone())).collect(),
            node: Some(Node::Figure(meth.to_string(), fig.node.name.node.clone())),
            kind: "figure",
        }
    }

    /// A figure's type where it is used: its declared unit, or its formula's type.
    fn figure_ty(&mut self, meth: &str, fig: &crate::source::Spanned<Figure>) -> Ty {
        let has_peers = match self.syms.get(meth).map(|s| s.item) {
            Some(Item::Methodology(m)) => m.peers.is_some(),
            _ => false,
        };
        let mut scope = Scope::with_indices(&fig.node.indices);
        scope.methodology = Some((meth, has_peers));
        let node = Node::Figure(meth.to_string(), fig.node.name.node.clone());
        self.used_ty(node, fig.node.unit.as_ref().map(|u| &u.node), &[&fig.node.formula], &scope)
    }

    fn kpi_ty(&mut self, name: &str, k: &KpiDef) -> Ty {
        let scope = Scope::with_indices(&k.indices);
        self.used_ty(Node::Kpi(name.to_string()), Some(&k.unit.node), &[&k.formula], &scope)
    }

    fn param_ty(&mut self, name: &str, p: &ParamDef) -> Ty {
        let scope = Scope { constant: true, ..Scope::default() };
        let values: Vec<&Expr> = p.entries.iter().map(|e| &e.node.value).collect();
        self.used_ty(Node::Param(name.to_string()), Some(&p.unit.node), &values, &scope)
    }

    /// The type a definition has where other formulas use it, worked out once, with its
    /// own formulas inferred quietly (their errors are reported where they are written).
    ///
    /// When a formula computes a unit other than the declared one, the definition's own
    /// check reports it, and its uses see `Unknown` so that they stay quiet. Neither unit
    /// can be trusted: a wrong declaration (a share declared `GBP`) would fail every use
    /// written for the share, and a wrong formula (a share computing £ / FTE) every use
    /// written for the declaration. Either way the author fixes the one line; checking the
    /// uses against a guess would only repeat that error once for each use.
    fn used_ty(&mut self, node: Node, declared: Option<&UnitExpr>, formulas: &[&Expr], scope: &Scope<'_>) -> Ty {
        if let Some(t) = self.used_types.get(&node) {
            return t.clone();
        }
        if !self.in_progress.insert(node.clone()) {
            return Ty::Unknown;
        }
        let saved = (std::mem::take(&mut self.diags), std::mem::take(&mut self.deps));
        let inferred: Vec<Ty> = formulas.iter().map(|f| self.infer(f, scope)).collect();
        (self.diags, self.deps) = saved;
        self.in_progress.remove(&node);
        let ty = match declared {
            None => inferred.into_iter().next().unwrap_or(Ty::Unknown),
            Some(unit) => {
                let want = self.unit_ty(unit);
                if inferred.iter().all(|got| agrees(&want, got)) {
                    want
                } else {
                    Ty::Unknown
                }
            }
        };
        self.used_types.insert(node, ty.clone());
        ty
    }
}

/// Whether a formula's type fits its declared unit; one already in error (`Unknown`) or a
/// plain number (which takes the declared unit) does.
fn agrees(declared: &Ty, got: &Ty) -> bool {
    match (declared, got) {
        (_, Ty::Unknown | Ty::Lit) => true,
        (Ty::Num(want), Ty::Num(got)) => want == got,
        _ => false,
    }
}

/// The records dataset a policy ranges over, when `kind` (of something a name refers to)
/// has one value per entity, which a record's policy cannot use.
pub(super) fn records_policy<'s>(scope: &Scope<'s>, kind: &str) -> Option<&'s DatasetDef> {
    let (_, d) = scope.policy?;
    (!d.gives_entities() && kind != "parameter").then_some(d)
}

/// A record's policy that uses a KPI, figure or entity field.
pub(super) fn one_row_at_a_time(name: &str, kind: &str, span: Span, scope: &Scope<'_>) -> Diagnostic {
    let var = scope.policy.map_or("s", |(v, _)| v);
    Diagnostic::new(Code::WrongKind, format!("a policy over records cannot use the {kind} `{name}`"))
        .primary(span, format!("a {kind} has one value per entity, not per record"))
        .help(format!("a record's policy reads its own fields (`{var}.FIELD`) and parameters"))
}
