//! Checking `report` definitions: every figure a report shows exists, and every chart can
//! be drawn truthfully (one unit per axis, one index for its rows or bars).

use super::DefChecker;
use crate::ast::{FigureRef, ReportDef, ReportItem};
use crate::check::exprs::Ty;
use crate::check::suggest;
use crate::check::symbols::Item;
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::source::{Span, Spanned};

/// A figure a report shows: its type and the index sets it ranges over.
struct Shown {
    ty: Ty,
    sets: Vec<String>,
    span: Span,
    text: String,
}

impl<'a> DefChecker<'_, 'a> {
    pub(super) fn report(&mut self, r: &'a ReportDef) {
        if let Some(each) = &r.each {
            self.report_each(each);
        }
        if let Some(label) = &r.label {
            match self.syms().get(&label.node).map(|s| s.item) {
                Some(Item::Field { field, .. }) if !matches!(self.exprs.field_ty(field), Ty::Text | Ty::Member(_)) => {
                    self.push(
                        Diagnostic::new(Code::WrongKind, format!("`{}` cannot name an entity", label.node))
                            .primary(label.span, "not a text field")
                            .help("name entities by a text field, such as `label name`"),
                    );
                }
                _ => {
                    self.expect_kind(label, "field", |i| matches!(i, Item::Field { .. }));
                }
            }
        }
        if let Some(peers) = &r.peers {
            self.peer_fields(&peers.node.same);
        }
        for section in &r.sections {
            for item in &section.node.items {
                self.report_item(item);
            }
        }
    }

    /// `each organisation` names the entities of a dataset.
    fn report_each(&mut self, each: &crate::source::Name) {
        let entities: Vec<&str> = self
            .syms()
            .names_where(|i| matches!(i, Item::Dataset(_)))
            .into_iter()
            .filter_map(|d| match self.syms().get(d).map(|s| s.item) {
                Some(Item::Dataset(ds)) if !ds.records => ds.entity.as_ref().map(|e| e.node.name.node.as_str()),
                _ => None,
            })
            .collect();
        if !entities.contains(&each.node.as_str()) {
            self.push(
                Diagnostic::new(Code::UnknownName, format!("no dataset has entities called `{}`", each.node))
                    .primary(each.span, "not an entity of a dataset")
                    .help(suggest::help_for(
                        &each.node,
                        entities.iter().copied(),
                        "name what a dataset's `entity NAME key \"...\"` declares",
                    )),
            );
        }
    }

    fn report_item(&mut self, item: &Spanned<ReportItem>) {
        match &item.node {
            ReportItem::Table(figures) => {
                let shown: Vec<Shown> = figures.iter().filter_map(|f| self.shown(f)).collect();
                self.same_sets(&shown, "a table has a row per index member");
            }
            ReportItem::Distribution { figure, target } => {
                let Some(main) = self.shown(figure) else { return };
                self.chartable(&main);
                if let Some(t) = target.as_ref().and_then(|t| self.shown(t)) {
                    if t.sets != main.sets {
                        self.mismatch(&t, &main, "its index", "a target is drawn on the chart of each index member");
                    } else if t.ty != main.ty && !matches!(t.ty, Ty::Unknown) && !matches!(main.ty, Ty::Unknown) {
                        self.mismatch(&t, &main, "its unit", "a target line is drawn on the distribution's axis");
                    }
                }
            }
            ReportItem::Compare(figures) => {
                let shown: Vec<Shown> = figures.iter().filter_map(|f| self.shown(f)).collect();
                shown.iter().for_each(|s| self.chartable(s));
                if self.same_sets(&shown, "the bars are grouped by index member") {
                    if let Some(first) = shown.first() {
                        for other in shown.iter().skip(1) {
                            let known = !matches!(other.ty, Ty::Unknown) && !matches!(first.ty, Ty::Unknown);
                            if known && other.ty != first.ty {
                                self.mismatch(other, first, "its unit", "the figures compared share one axis");
                            }
                        }
                    }
                }
            }
            ReportItem::Trend(figure) => {
                if let Some(s) = self.shown(figure) {
                    self.chartable(&s);
                }
            }
            ReportItem::Totals(methodologies) => {
                for m in methodologies {
                    match self.syms().get(&m.node).map(|s| s.item) {
                        Some(Item::Methodology(def)) if def.totals.is_empty() => self.push(
                            Diagnostic::new(
                                Code::InvalidReport,
                                format!("methodology `{}` declares no totals", m.node),
                            )
                            .primary(m.span, "nothing to show")
                            .help(
                                "declare what it totals (`total saving by org_type`), or show its figures with `table`",
                            ),
                        ),
                        _ => {
                            self.expect_kind(m, "methodology", |i| matches!(i, Item::Methodology(_)));
                        }
                    }
                }
            }
        }
    }

    /// The figure a report names, or a diagnostic saying there is none.
    fn shown(&mut self, f: &Spanned<FigureRef>) -> Option<Shown> {
        let FigureRef { methodology, name } = &f.node;
        if let Some(m) = methodology {
            if !self.expect_kind(m, "methodology", |i| matches!(i, Item::Methodology(_))) {
                return None;
            }
        }
        match self.exprs.shown_figure(methodology.as_ref().map(|m| m.node.as_str()), &name.node) {
            Some((ty, sets)) => Some(Shown { ty, sets, span: f.span, text: f.node.text() }),
            None => {
                match methodology {
                    Some(m) => {
                        let figures: Vec<&str> = self
                            .syms()
                            .figures
                            .keys()
                            .filter(|(meth, _)| *meth == m.node)
                            .map(|(_, fig)| *fig)
                            .collect();
                        self.push(
                            Diagnostic::new(
                                Code::UnknownName,
                                format!("methodology `{}` has no figure `{}`", m.node, name.node),
                            )
                            .primary(name.span, "no such figure")
                            .help(suggest::help_for(
                                &name.node,
                                figures.iter().copied(),
                                &format!("its figures are: {}", sorted(figures.iter().copied()).join(", ")),
                            )),
                        );
                    }
                    None => {
                        self.expect_kind(name, "KPI", |i| matches!(i, Item::Kpi(_)));
                    }
                }
                None
            }
        }
    }

    /// A chart's axis shows numbers in one unit: a truth value or a text cannot be drawn.
    fn chartable(&mut self, s: &Shown) {
        if !matches!(s.ty, Ty::Num(_) | Ty::Lit | Ty::Unknown) {
            let shown = self.exprs.show(&s.ty);
            self.push(
                Diagnostic::new(Code::InvalidReport, format!("`{}` cannot be drawn on a chart", s.text))
                    .primary(s.span, format!("this is {shown}"))
                    .help("chart a figure with a unit (money, a percentage, a count); list other figures with `table`"),
            );
        }
    }

    /// Do the figures range over the same index sets? Says which does not when not.
    fn same_sets(&mut self, shown: &[Shown], why: &str) -> bool {
        let Some(first) = shown.first() else { return true };
        for other in shown.iter().skip(1) {
            if other.sets != first.sets {
                self.mismatch(other, first, "its index", why);
                return false;
            }
        }
        true
    }

    fn mismatch(&mut self, other: &Shown, first: &Shown, what: &str, why: &str) {
        let describe = |s: &Shown, checker: &Self| -> String {
            if what == "its unit" {
                checker.exprs.show(&s.ty)
            } else if s.sets.is_empty() {
                "no index".to_string()
            } else {
                format!("index [{}]", s.sets.join(", "))
            }
        };
        let (theirs, ours) = (describe(other, self), describe(first, self));
        self.push(
            Diagnostic::new(Code::InvalidReport, format!("`{}` differs from `{}` in {what}", other.text, first.text))
                .primary(other.span, theirs)
                .secondary(first.span, ours)
                .help(format!("{why}: show figures of one {} together", what.trim_start_matches("its "))),
        );
    }
}

fn sorted<'x>(names: impl Iterator<Item = &'x str>) -> Vec<&'x str> {
    let mut v: Vec<&str> = names.collect();
    v.sort_unstable();
    v
}
