//! Lowering: pest pairs to the typed AST, in one place, collecting every error.
//!
//! The grammar fixes the shape of each pair, but nothing here unwraps: a shape the
//! grammar should have excluded becomes an `internal-error` diagnostic instead.
//!
//! This file holds the walker (children taken in order, spans, internal errors), the
//! dispatch over definitions and the pieces they share (names, titles, strings, cites,
//! properties, index declarations). The rest is split by what it reads: `defs` the
//! plainer definitions, `methodology`, `report`, `data` datasets and decision tables, `expr`
//! expressions, and `literals` units, dates and numbers.

mod data;
mod defs;
mod expr;
mod literals;
mod methodology;
mod report;

use super::Rule;
use crate::ast::*;
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::source::{FileId, Name, Span, Spanned};
use pest::iterators::{Pair, Pairs};

pub struct Lowerer {
    file: FileId,
    /// Offset of the parsed text within the file (non-zero when recovering by chunks).
    base: usize,
    diags: Vec<Diagnostic>,
}

/// The children of a pair, taken in order with their expected rules checked.
struct Children<'i> {
    pairs: Pairs<'i, Rule>,
    parent: Span,
}

impl<'i> Children<'i> {
    fn peek_is(&self, rule: Rule) -> bool {
        self.pairs.peek().is_some_and(|p| p.as_rule() == rule)
    }

    fn next_if(&mut self, rule: Rule) -> Option<Pair<'i, Rule>> {
        if self.peek_is(rule) {
            self.pairs.next()
        } else {
            None
        }
    }
}

type Lowered<T> = Option<T>;

impl Lowerer {
    pub fn new(file: FileId, base: usize) -> Self {
        Lowerer { file, base, diags: Vec::new() }
    }

    pub fn into_diagnostics(self) -> Vec<Diagnostic> {
        self.diags
    }

    /// A pair's span, without the whitespace and comments pest leaves at its end.
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let s = pair.as_span();
        let len = content_len(pair.as_str());
        Span::new(
            self.file,
            self.base.saturating_add(s.start()),
            self.base.saturating_add(s.start()).saturating_add(len),
        )
    }

    fn children<'i>(&self, pair: Pair<'i, Rule>) -> Children<'i> {
        let parent = self.span(&pair);
        Children { pairs: pair.into_inner(), parent }
    }

    /// The next child, which must be of `rule`.
    fn expect<'i>(&mut self, kids: &mut Children<'i>, rule: Rule) -> Lowered<Pair<'i, Rule>> {
        match kids.pairs.next() {
            Some(p) if p.as_rule() == rule => Some(p),
            other => {
                let found = other.map_or("nothing".to_string(), |p| format!("{:?}", p.as_rule()));
                self.internal(kids.parent, &format!("expected {rule:?}, found {found}"));
                None
            }
        }
    }

    fn internal(&mut self, span: Span, what: &str) {
        self.diags.push(
            Diagnostic::new(Code::InternalError, format!("unexpected syntax tree shape: {what}"))
                .primary(span, "while reading this")
                .help("this is a bug in assay; please report it with the rule file"),
        );
    }

    // ------------------------------------------------------------ file and definitions

    pub fn file(&mut self, pair: Pair<'_, Rule>) -> Vec<Spanned<Definition>> {
        let mut defs = Vec::new();
        for child in pair.into_inner() {
            if child.as_rule() == Rule::definition {
                if let Some(d) = self.definition(child) {
                    defs.push(d);
                }
            }
        }
        defs
    }

    fn definition(&mut self, pair: Pair<'_, Rule>) -> Lowered<Spanned<Definition>> {
        let span = self.span(&pair);
        let Some(inner) = pair.into_inner().next() else {
            self.internal(span, "empty definition");
            return None;
        };
        let rule = inner.as_rule();
        let mut kids = self.children(inner);
        let keyword_name = self.expect(&mut kids, Rule::ident)?;
        let name = self.name(&keyword_name);
        let kind = match rule {
            Rule::source_def => DefKind::Source(self.source_def(&mut kids)?),
            Rule::unit_def => DefKind::Unit(self.unit_def(&mut kids)?),
            Rule::class_def => DefKind::Class(self.class_def(&mut kids)?),
            Rule::set_def => DefKind::Set(self.set_def(&mut kids)?),
            Rule::function_def => DefKind::Function(self.function_def(&mut kids)?),
            Rule::dataset_def => DefKind::Dataset(self.dataset_def(&mut kids)?),
            Rule::param_def => DefKind::Param(self.param_def(&mut kids)?),
            Rule::kpi_def => DefKind::Kpi(self.kpi_def(&mut kids)?),
            Rule::methodology_def => DefKind::Methodology(self.methodology_def(&mut kids)?),
            Rule::classify_def => DefKind::Classify(self.classify_def(&mut kids)?),
            Rule::policy_def => DefKind::Policy(self.policy_def(&mut kids)?),
            Rule::script_def => DefKind::Script(self.script_def(&mut kids)?),
            Rule::report_def => DefKind::Report(self.report_def(&mut kids)?),
            other => {
                self.internal(span, &format!("definition of kind {other:?}"));
                return None;
            }
        };
        Some(Spanned::new(Definition { doc: None, name, kind }, span))
    }

    // ------------------------------------------------------------ shared pieces

    fn name(&self, pair: &Pair<'_, Rule>) -> Name {
        Spanned::new(pair.as_str().to_string(), self.span(pair))
    }

    fn title(&mut self, kids: &mut Children<'_>) -> Lowered<Spanned<String>> {
        let t = self.expect(kids, Rule::title)?;
        self.title_pair(t)
    }

    fn title_pair(&mut self, pair: Pair<'_, Rule>) -> Lowered<Spanned<String>> {
        let mut kids = self.children(pair);
        let s = self.expect(&mut kids, Rule::string)?;
        Some(self.string(s))
    }

    /// A string literal, unescaped; its span includes the quotes.
    fn string(&self, pair: Pair<'_, Rule>) -> Spanned<String> {
        let span = self.span(&pair);
        let raw = pair.into_inner().next().map_or("", |b| b.as_str());
        Spanned::new(unescape(raw), span)
    }

    fn cite(&mut self, pair: Pair<'_, Rule>) -> Lowered<Spanned<Cite>> {
        let span = self.span(&pair);
        let mut kids = self.children(pair);
        let s = self.expect(&mut kids, Rule::ident)?;
        let source = self.name(&s);
        let locator = kids.next_if(Rule::string).map(|l| self.string(l));
        Some(Spanned::new(Cite { source, locator }, span))
    }

    fn property(&mut self, pair: Pair<'_, Rule>) -> Lowered<Spanned<Property>> {
        let span = self.span(&pair);
        let mut kids = self.children(pair);
        let k = self.expect(&mut kids, Rule::any_word)?;
        let key = self.name(&k);
        let Some(v) = kids.pairs.next() else {
            self.internal(span, "property without a value");
            return None;
        };
        let vspan = self.span(&v);
        let value = match v.as_rule() {
            Rule::string => PropValue::Text(self.string(v).node),
            Rule::number => PropValue::Number(self.decimal(&v, v.as_str())?),
            _ => PropValue::Word(v.as_str().to_string()),
        };
        Some(Spanned::new(Property { key, value: Spanned::new(value, vspan) }, span))
    }

    fn optional_indices(&mut self, kids: &mut Children<'_>) -> Lowered<Vec<Spanned<IndexDecl>>> {
        let Some(decls) = kids.next_if(Rule::index_decls) else { return Some(Vec::new()) };
        let mut out = Vec::new();
        for d in decls.into_inner() {
            let span = self.span(&d);
            let mut inner = self.children(d);
            let v = self.expect(&mut inner, Rule::ident)?;
            let var = self.name(&v);
            let s = self.expect(&mut inner, Rule::ident)?;
            let set = self.name(&s);
            out.push(Spanned::new(IndexDecl { var, set }, span));
        }
        Some(out)
    }
}

/// The length of `text` without trailing whitespace and trailing comment-only lines.
fn content_len(text: &str) -> usize {
    let mut t = text.trim_end();
    loop {
        let last_line = t.rsplit('\n').next().unwrap_or("");
        if last_line.trim_start().starts_with('#') && last_line.len() < t.len() {
            t = t.get(..t.len().saturating_sub(last_line.len())).unwrap_or("").trim_end();
        } else {
            return t.len();
        }
    }
}

fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}
