//! Lowering `report` definitions: sections and the items each shows, with each item's
//! number of figures checked here, where the words are.

use super::{Children, Lowered, Lowerer};
use crate::ast::{FigureRef, ReportDef, ReportItem, ReportSection};
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::parse::Rule;
use crate::source::Spanned;
use pest::iterators::Pair;

impl Lowerer {
    pub(super) fn report_def(&mut self, kids: &mut Children<'_>) -> Lowered<ReportDef> {
        let title = self.title(kids)?;
        let each = match kids.next_if(Rule::report_each) {
            Some(e) => Some(self.keyword_then_name(e)?),
            None => None,
        };
        let mut cites = Vec::new();
        while let Some(c) = kids.next_if(Rule::cite) {
            cites.push(self.cite(c)?);
        }
        let label = match kids.next_if(Rule::report_label) {
            Some(l) => Some(self.keyword_then_name(l)?),
            None => None,
        };
        let peers = match kids.next_if(Rule::peers) {
            Some(p) => {
                let span = self.span(&p);
                Some(Spanned::new(self.peers(p)?, span))
            }
            None => None,
        };
        let mut sections = Vec::new();
        for pair in kids.pairs.by_ref() {
            match pair.as_rule() {
                Rule::cite => cites.push(self.cite(pair)?),
                _ => sections.push(self.report_section(pair)?),
            }
        }
        Some(ReportDef { title, each, label, cites, peers, sections })
    }

    /// `each organisation`, `label name`: the name after the keyword.
    fn keyword_then_name(&mut self, pair: Pair<'_, Rule>) -> Lowered<crate::source::Name> {
        let mut inner = self.children(pair);
        inner.pairs.next();
        let n = self.expect(&mut inner, Rule::ident)?;
        Some(self.name(&n))
    }

    fn report_section(&mut self, pair: Pair<'_, Rule>) -> Lowered<Spanned<ReportSection>> {
        let span = self.span(&pair);
        let mut inner = self.children(pair);
        self.expect(&mut inner, Rule::section_kw)?;
        let t = self.expect(&mut inner, Rule::string)?;
        let title = self.string(t);
        let mut items = Vec::new();
        for item in inner.pairs.by_ref() {
            if let Some(i) = self.report_item(item) {
                items.push(i);
            }
        }
        Some(Spanned::new(ReportSection { title, items }, span))
    }

    fn report_item(&mut self, pair: Pair<'_, Rule>) -> Lowered<Spanned<ReportItem>> {
        let span = self.span(&pair);
        let mut inner = self.children(pair);
        let kind = self.expect(&mut inner, Rule::report_kind)?;
        let keyword = kind.as_str().to_string();
        let mut figures = Vec::new();
        let mut target = None;
        for p in inner.pairs.by_ref() {
            match p.as_rule() {
                Rule::figure_ref => figures.push(self.figure_ref(p)?),
                _ => {
                    let mut t = self.children(p);
                    self.expect(&mut t, Rule::target_kw)?;
                    let f = self.expect(&mut t, Rule::figure_ref)?;
                    target = Some(self.figure_ref(f)?);
                }
            }
        }
        // How many figures each kind takes, and whether it takes a target.
        let (fewest, most, takes_target, shape) = match keyword.as_str() {
            "table" => (1, usize::MAX, false, "`table FIGURE, ...`"),
            "distribution" => (1, 1, true, "`distribution FIGURE` or `distribution FIGURE target METHODOLOGY.FIGURE`"),
            "compare" => (2, usize::MAX, false, "`compare FIGURE, FIGURE, ...` (two or more of one unit)"),
            "trend" => (1, 1, false, "`trend FIGURE`"),
            _ => (1, usize::MAX, false, "`totals METHODOLOGY, ...`"),
        };
        let bad = if figures.len() < fewest || figures.len() > most {
            Some(format!(
                "`{keyword}` takes {}",
                if most == 1 { "one figure".to_string() } else { format!("at least {fewest}") }
            ))
        } else if target.is_some() && !takes_target {
            Some(format!("`{keyword}` takes no `target`"))
        } else {
            None
        };
        if let Some(message) = bad {
            self.diags.push(
                Diagnostic::new(Code::InvalidReport, message).primary(span, "this item").help(format!("write {shape}")),
            );
            return None;
        }
        let item = match keyword.as_str() {
            "table" => ReportItem::Table(figures),
            "distribution" => {
                let figure = figures.into_iter().next()?;
                ReportItem::Distribution { figure, target }
            }
            "compare" => ReportItem::Compare(figures),
            "trend" => ReportItem::Trend(figures.into_iter().next()?),
            _ => {
                let mut methodologies = Vec::new();
                for f in figures {
                    if let Some(m) = &f.node.methodology {
                        self.diags.push(
                            Diagnostic::new(
                                Code::InvalidReport,
                                format!("`totals` takes methodologies, not `{}`", f.node.text()),
                            )
                            .primary(f.span, "a figure")
                            .help(format!("write the methodology's name alone: `totals {}`", m.node)),
                        );
                        return None;
                    }
                    methodologies.push(f.node.name);
                }
                ReportItem::Totals(methodologies)
            }
        };
        Some(Spanned::new(item, span))
    }

    fn figure_ref(&mut self, pair: Pair<'_, Rule>) -> Lowered<Spanned<FigureRef>> {
        let span = self.span(&pair);
        let mut inner = self.children(pair);
        let first = self.expect(&mut inner, Rule::ident)?;
        let first = self.name(&first);
        let figure = match inner.next_if(Rule::any_word) {
            Some(second) => FigureRef { methodology: Some(first), name: self.name(&second) },
            None => FigureRef { methodology: None, name: first },
        };
        Some(Spanned::new(figure, span))
    }
}
