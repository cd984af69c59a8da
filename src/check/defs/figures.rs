//! KPIs and methodologies: formulas against their declared units, peer groups, scale and totals.

use super::DefChecker;
use crate::ast::*;
use crate::check::exprs::{Node, Scope, Ty};
use crate::check::suggest;
use crate::check::symbols::Item;
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::source::{Name, Span};

impl<'c, 'a> DefChecker<'c, 'a> {
    pub(super) fn kpi(&mut self, name: &Name, k: &'a KpiDef) {
        let declared = self.exprs.units.resolve(&k.unit.node, &mut self.exprs.diags);
        if !self.index_decls(&k.indices) {
            return;
        }
        self.title_template(k.title.as_ref(), &k.indices);
        let mut scope = Scope::with_indices(&k.indices);
        scope.owner = Some(Node::Kpi(name.node.clone()));
        let t = self.exprs.infer(&k.formula, &scope);
        self.formula_result(&t, k.formula.span, declared.as_ref(), k.unit.span, "KPI");
    }

    fn formula_result(
        &mut self,
        t: &Ty,
        span: Span,
        declared: Option<&crate::check::units::Dim>,
        decl: Span,
        what: &str,
    ) {
        match (t, declared) {
            (Ty::Num(got), Some(want)) if got != want => self.declared_mismatch(span, got, want, decl, what),
            (Ty::Num(_) | Ty::Lit | Ty::Unknown, _) => {}
            (other, _) => {
                let shown = self.exprs.show(other);
                self.push(
                    Diagnostic::new(Code::TypeMismatch, format!("a {what} must compute a number, found {shown}"))
                        .primary(span, format!("this is {shown}"))
                        .help("a formula of a figure gives a number in its declared unit"),
                );
            }
        }
    }

    pub(super) fn declared_mismatch(
        &mut self,
        span: Span,
        got: &crate::check::units::Dim,
        want: &crate::check::units::Dim,
        decl: Span,
        what: &str,
    ) {
        let (g, w) = (self.exprs.units.show(got), self.exprs.units.show(want));
        self.push(
            Diagnostic::new(
                Code::DeclaredUnitMismatch,
                format!("this {what} is declared in {w}, but its formula gives {g}"),
            )
            .primary(span, format!("this is {g}"))
            .secondary(decl, format!("declared {w}"))
            .help("fix the formula, or declare the unit it computes"),
        );
    }

    /// `peers same a, b`: each a text field or a field of set members.
    pub(super) fn peer_fields(&mut self, same: &'a [Name]) {
        for field in same {
            match self.syms().get(&field.node).map(|s| s.item) {
                Some(Item::Field { field: f, .. }) => {
                    let t = self.exprs.field_ty(f);
                    if !matches!(t, Ty::Text | Ty::Member(_) | Ty::Unknown) {
                        let shown = self.exprs.show(&t);
                        self.push(
                            Diagnostic::new(
                                Code::WrongKind,
                                format!("peer groups cannot be formed from `{}`", field.node),
                            )
                            .primary(field.span, format!("this field holds {shown}"))
                            .help("group by a text field or a field holding members of a set, such as `org_type`"),
                        );
                    }
                }
                _ => {
                    self.expect_kind(field, "field", |i| matches!(i, Item::Field { .. }));
                }
            }
        }
    }

    pub(super) fn methodology(&mut self, name: &'a Name, m: &'a MethodologyDef) {
        let meth = name.node.as_str();
        if let Some(peers) = &m.peers {
            self.peer_fields(&peers.node.same);
            if peers.node.minimum.is_none() {
                self.push(
                    Diagnostic::new(Code::UnstatedChoice, "the peer group's minimum size is not stated")
                        .primary(peers.span, "no `minimum`")
                        .help("say how small a group may be before its statistics are refused: `peers same org_type minimum 5`"),
                );
            }
        }
        let has_peers = m.peers.is_some();
        for f in &m.figures {
            let fig = &f.node;
            if !self.index_decls(&fig.indices) {
                continue;
            }
            let declared = fig.unit.as_ref().and_then(|u| self.exprs.units.resolve(&u.node, &mut self.exprs.diags));
            let mut scope = Scope::with_indices(&fig.indices);
            scope.methodology = Some((meth, has_peers));
            scope.owner = Some(Node::Figure(meth.to_string(), fig.name.node.clone()));
            let t = self.exprs.infer(&fig.formula, &scope);
            let decl_span = fig.unit.as_ref().map_or(fig.name.span, |u| u.span);
            self.formula_result(&t, fig.formula.span, declared.as_ref(), decl_span, "figure");
        }
        if let Some(scale) = &m.scale {
            // Owned, so that what the scale reads is a dependency of the totals (for `diff`).
            let scope = Scope {
                methodology: Some((meth, has_peers)),
                owner: Some(Node::Scale(meth.to_string())),
                ..Scope::default()
            };
            let t = self.exprs.infer(scale, &scope);
            match t {
                Ty::Num(d) if !d.is_dimensionless() => {
                    let shown = self.exprs.units.show(&d);
                    self.push(
                        Diagnostic::new(Code::UnitMismatch, format!("a scale factor must be a ratio, found {shown}"))
                            .primary(scale.span, format!("this is {shown}"))
                            .help("`scale` multiplies totals; write a ratio such as `1 / return_rate[org_type]`"),
                    );
                }
                Ty::Num(_) | Ty::Lit | Ty::Unknown => {}
                other => {
                    self.exprs.infer(scale, &scope);
                    let shown = self.exprs.show(&other);
                    self.push(
                        Diagnostic::new(Code::TypeMismatch, format!("a scale factor must be a number, found {shown}"))
                            .primary(scale.span, format!("this is {shown}"))
                            .help("`scale` multiplies totals by a ratio"),
                    );
                }
            }
        }
        for t in &m.totals {
            self.total(meth, &t.node);
        }
    }

    fn total(&mut self, meth: &str, t: &Total) {
        let Some(fig) = self.syms().figures.get(&(meth, t.figure.node.as_str())) else {
            self.unknown_total_figure(meth, t);
            return;
        };
        // Adding across alternatives (low and high) is meaningless: they must be a dimension.
        for d in &fig.node.indices {
            let set = d.node.set.node.as_str();
            let alternatives = self.syms().sets.get(set).is_some_and(|(_, s)| s.alternatives);
            let named = t.by.iter().any(|b| b.node == set || b.node == d.node.var.node);
            if alternatives && !named {
                self.push(
                    Diagnostic::new(
                        Code::TotalOverAlternatives,
                        format!("this total adds `{}` across the alternatives of `{set}`", t.figure.node),
                    )
                    .primary(t.figure.span, format!("`{}` has one value per member of `{set}`", t.figure.node))
                    .secondary(d.span, format!("`{set}` is a set of alternatives"))
                    .help(format!(
                        "total by the alternatives too: `total {} by {set}{}`",
                        t.figure.node,
                        t.by.iter().map(|b| format!(", {}", b.node)).collect::<String>()
                    )),
                );
            }
        }
        self.total_dims(meth, t);
    }

    fn unknown_total_figure(&mut self, meth: &str, t: &Total) {
        {
            let figs: Vec<&str> = self.syms().figures.keys().filter(|(m, _)| *m == meth).map(|(_, f)| *f).collect();
            self.push(
                Diagnostic::new(Code::UnknownName, format!("methodology `{meth}` has no figure `{}`", t.figure.node))
                    .primary(t.figure.span, "not a figure of this methodology")
                    .help(suggest::help_for(&t.figure.node, figs, "totals sum one of the methodology's `let` figures")),
            );
        }
    }

    fn total_dims(&mut self, meth: &str, t: &Total) {
        let Some(fig) = self.syms().figures.get(&(meth, t.figure.node.as_str())) else { return };
        for dim in &t.by {
            let is_index = fig.node.indices.iter().any(|d| d.node.set.node == dim.node || d.node.var.node == dim.node);
            let is_field = matches!(self.syms().get(&dim.node).map(|s| s.item), Some(Item::Field { .. }));
            if !is_index && !is_field {
                let mut options: Vec<&str> = fig.node.indices.iter().map(|d| d.node.set.node.as_str()).collect();
                options.extend(self.syms().names_where(|i| matches!(i, Item::Field { .. })));
                self.push(
                    Diagnostic::new(Code::UnknownName, format!("cannot total by `{}`", dim.node))
                        .primary(dim.span, "neither a field nor an index of the figure")
                        .help(suggest::help_for(
                            &dim.node,
                            options,
                            "total by a field (such as `org_type`) or by an index set of the figure",
                        )),
                );
            }
        }
    }
}
