//! Lowering a methodology: its peer group, figures, scale and totals.

use super::{Children, Lowered, Lowerer};
use crate::ast::*;
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::parse::Rule;
use crate::source::{Span, Spanned};
use pest::iterators::Pair;

impl Lowerer {
    pub(super) fn methodology_def(&mut self, kids: &mut Children<'_>) -> Lowered<MethodologyDef> {
        let title = self.title(kids)?;
        let mut def = MethodologyDef {
            title,
            cites: Vec::new(),
            peers: None,
            figures: Vec::new(),
            scale: None,
            totals: Vec::new(),
        };
        for item in kids.pairs.by_ref() {
            let Some(p) = item.into_inner().next() else { continue };
            let span = self.span(&p);
            match p.as_rule() {
                Rule::cite => def.cites.push(self.cite(p)?),
                Rule::peers => {
                    let peers = self.peers(p)?;
                    if let Some(first) = &def.peers {
                        self.clause_twice(
                            span,
                            first.span,
                            "peers",
                            "a methodology has one peer group; list every field in one `peers same a, b`",
                        );
                    }
                    def.peers = Some(Spanned::new(peers, span));
                }
                Rule::scale => {
                    let mut inner = self.children(p);
                    let e = self.expect(&mut inner, Rule::expr)?;
                    let scale = self.expr(e)?;
                    if let Some(first) = &def.scale {
                        self.clause_twice(
                            span,
                            first.span,
                            "scale",
                            "multiply the factors into one `scale` expression",
                        );
                    }
                    def.scale = Some(scale);
                }
                Rule::total => def.totals.push(self.total(p, span)?),
                _ => def.figures.push(self.figure(p, span)?),
            }
        }
        Some(def)
    }

    /// A clause a methodology holds once, declared again at `second`.
    fn clause_twice(&mut self, second: Span, first: Span, keyword: &str, help: &str) {
        self.diags.push(
            Diagnostic::new(Code::DuplicateName, format!("`{keyword}` is declared twice"))
                .primary(second, format!("second `{keyword}`"))
                .secondary(first, "first declared here")
                .help(help),
        );
    }

    /// `peers same a, b minimum 5` or `peers all`.
    pub(super) fn peers(&mut self, pair: Pair<'_, Rule>) -> Lowered<Peers> {
        let mut inner = self.children(pair);
        let mut same = Vec::new();
        if let Some(s) = inner.next_if(Rule::peers_same) {
            same = s.into_inner().map(|n| self.name(&n)).collect();
        } else {
            inner.next_if(Rule::peers_all);
        }
        let minimum = inner.next_if(Rule::number).map(|n| {
            let nspan = self.span(&n);
            match n.as_str().parse::<u32>() {
                // A minimum of 0 would let a statistic be taken over no peers at all.
                Ok(0) => {
                    self.diags.push(
                        Diagnostic::new(Code::OutOfRange, "a peer group's `minimum` must be at least 1, given `0`")
                            .primary(nspan, "out of range")
                            .help("say how many members a group needs before its statistics are taken: `minimum 5`"),
                    );
                    Spanned::new(1, nspan)
                }
                Ok(v) => Spanned::new(v, nspan),
                Err(_) => {
                    self.diags.push(
                        Diagnostic::new(Code::NumberOutOfRange, "a minimum group size must be a whole number")
                            .primary(nspan, "not a whole number that fits")
                            .help("write a count such as `minimum 5`"),
                    );
                    Spanned::new(0, nspan)
                }
            }
        });
        Some(Peers { same, minimum })
    }

    /// `total figure by a, b`.
    fn total(&mut self, pair: Pair<'_, Rule>, span: Span) -> Lowered<Spanned<Total>> {
        let mut names = pair.into_inner().map(|n| self.name(&n));
        let Some(figure) = names.next() else {
            self.internal(span, "total without a figure");
            return None;
        };
        let by = names.collect();
        Some(Spanned::new(Total { figure, by }, span))
    }

    /// `let name[i in set] : unit = formula`.
    fn figure(&mut self, pair: Pair<'_, Rule>, span: Span) -> Lowered<Spanned<Figure>> {
        let mut inner = self.children(pair);
        let n = self.expect(&mut inner, Rule::ident)?;
        let name = self.name(&n);
        let indices = self.optional_indices(&mut inner)?;
        let unit = match inner.next_if(Rule::unit_expr) {
            Some(u) => Some(self.unit_expr(u)?),
            None => None,
        };
        let e = self.expect(&mut inner, Rule::expr)?;
        let formula = self.expr(e)?;
        Some(Spanned::new(Figure { name, indices, unit, formula }, span))
    }
}
