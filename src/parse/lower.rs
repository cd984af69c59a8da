//! Lowering: pest pairs to the typed AST, in one place, collecting every error.
//!
//! The grammar fixes the shape of each pair, but nothing here unwraps: a shape the
//! grammar should have excluded becomes an `internal-error` diagnostic instead.

use super::{Rule, MAX_EXPR_DEPTH};
use crate::ast::*;
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::source::{FileId, Name, Span, Spanned};
use pest::iterators::{Pair, Pairs};
use rust_decimal::Decimal;

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
        Span::new(self.file, self.base + s.start(), self.base + s.start() + len)
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
            other => {
                self.internal(span, &format!("definition of kind {other:?}"));
                return None;
            }
        };
        Some(Spanned::new(Definition { doc: None, name, kind }, span))
    }

    fn source_def(&mut self, kids: &mut Children<'_>) -> Lowered<SourceDef> {
        let title = self.title(kids)?;
        let mut properties = Vec::new();
        for p in kids.pairs.by_ref() {
            properties.push(self.property(p)?);
        }
        Some(SourceDef { title, properties })
    }

    fn unit_def(&mut self, kids: &mut Children<'_>) -> Lowered<UnitDef> {
        if let Some(alias) = kids.next_if(Rule::unit_alias) {
            let mut inner = self.children(alias);
            let expr = self.expect(&mut inner, Rule::unit_expr)?;
            let expr = self.unit_expr(expr)?;
            let title = match inner.next_if(Rule::title) {
                Some(t) => Some(self.title_pair(t)?),
                None => None,
            };
            return Some(UnitDef::Alias { expr, title });
        }
        let title = self.title(kids)?;
        let symbol = match kids.next_if(Rule::unit_symbol) {
            Some(sym) => {
                let mut inner = self.children(sym);
                let s = self.expect(&mut inner, Rule::string)?;
                Some(self.string(s))
            }
            None => None,
        };
        Some(UnitDef::Base { title, symbol })
    }

    fn class_def(&mut self, kids: &mut Children<'_>) -> Lowered<ClassDef> {
        let title = self.title(kids)?;
        let (mut cites, mut properties) = (Vec::new(), Vec::new());
        for p in kids.pairs.by_ref() {
            match p.as_rule() {
                Rule::cite => cites.push(self.cite(p)?),
                _ => properties.push(self.property(p)?),
            }
        }
        Some(ClassDef { title, cites, properties })
    }

    fn set_def(&mut self, kids: &mut Children<'_>) -> Lowered<SetDef> {
        let title = self.title(kids)?;
        let alternatives = kids.next_if(Rule::alternatives_kw).is_some();
        let (mut cites, mut members) = (Vec::new(), Vec::new());
        for p in kids.pairs.by_ref() {
            match p.as_rule() {
                Rule::cite => cites.push(self.cite(p)?),
                _ => {
                    let span = self.span(&p);
                    let mut inner = self.children(p);
                    let name = self.expect(&mut inner, Rule::ident)?;
                    let name = self.name(&name);
                    let title = inner.next_if(Rule::string).map(|s| self.string(s));
                    let aliases = inner.pairs.by_ref().map(|s| self.string(s)).collect();
                    members.push(Spanned::new(SetMember { name, title, aliases }, span));
                }
            }
        }
        Some(SetDef { title, alternatives, cites, members })
    }

    fn function_def(&mut self, kids: &mut Children<'_>) -> Lowered<FunctionDef> {
        let title = self.title(kids)?;
        let mut def =
            FunctionDef { title, cites: Vec::new(), parent: None, activities: Vec::new(), properties: Vec::new() };
        for item in kids.pairs.by_ref() {
            let Some(p) = item.into_inner().next() else { continue };
            match p.as_rule() {
                Rule::cite => def.cites.push(self.cite(p)?),
                Rule::parent => {
                    let mut inner = self.children(p);
                    let n = self.expect(&mut inner, Rule::ident)?;
                    let name = self.name(&n);
                    // A second `parent` would silently replace the first.
                    if let Some(first) = &def.parent {
                        self.diags.push(
                            Diagnostic::new(Code::DuplicateName, "`parent` is declared twice")
                                .primary(name.span, "second `parent`")
                                .secondary(first.span, "first declared here")
                                .help("a function has one parent; remove one of the two lines"),
                        );
                    }
                    def.parent = Some(name);
                }
                Rule::activity => def.activities.push(self.activity(p)?),
                _ => def.properties.push(self.property(p)?),
            }
        }
        Some(def)
    }

    fn activity(&mut self, pair: Pair<'_, Rule>) -> Lowered<Spanned<Activity>> {
        let span = self.span(&pair);
        let mut kids = self.children(pair);
        let name = self.expect(&mut kids, Rule::ident)?;
        let name = self.name(&name);
        let title = self.title(&mut kids)?;
        let class = self.expect(&mut kids, Rule::ident)?;
        let class = self.name(&class);
        let resolves = match kids.next_if(Rule::resolves) {
            Some(r) => {
                let rspan = self.span(&r);
                let mut inner = self.children(r);
                let other = self.expect(&mut inner, Rule::ident)?;
                let other_class = self.name(&other);
                let reason = self.expect(&mut inner, Rule::string)?;
                let reason = self.string(reason);
                Some(Spanned::new(Resolution { other_class, reason }, rspan))
            }
            None => None,
        };
        let mut cites = Vec::new();
        for c in kids.pairs.by_ref() {
            cites.push(self.cite(c)?);
        }
        Some(Spanned::new(Activity { name, title, class, resolves, cites }, span))
    }

    fn dataset_def(&mut self, kids: &mut Children<'_>) -> Lowered<DatasetDef> {
        let title = self.title(kids)?;
        let records = kids.next_if(Rule::records_kw).is_some();
        let classified = match kids.next_if(Rule::classified_from) {
            Some(p) => {
                let mut inner = self.children(p);
                let table = self.expect(&mut inner, Rule::ident)?;
                Some(self.name(&table))
            }
            None => None,
        };
        let mut def = DatasetDef {
            title,
            records,
            classified,
            cites: Vec::new(),
            entity: None,
            period: None,
            missing: Vec::new(),
            files: Vec::new(),
            exclude: Vec::new(),
            fields: Vec::new(),
            properties: Vec::new(),
        };
        for item in kids.pairs.by_ref() {
            let Some(p) = item.into_inner().next() else { continue };
            let span = self.span(&p);
            match p.as_rule() {
                Rule::cite => def.cites.push(self.cite(p)?),
                Rule::entity_decl => {
                    let mut inner = self.children(p);
                    let n = self.expect(&mut inner, Rule::ident)?;
                    let name = self.name(&n);
                    let col = self.expect(&mut inner, Rule::string)?;
                    let key_column = self.string(col);
                    if let Some(first) = &def.entity {
                        self.diags.push(
                            Diagnostic::new(Code::InvalidDataset, "the entity is declared twice")
                                .primary(span, "second `entity`")
                                .secondary(first.span, "first declared here")
                                .help("a dataset has one entity and key column"),
                        );
                    }
                    def.entity = Some(Spanned::new(EntityDecl { name, key_column }, span));
                }
                Rule::period_decl => {
                    let mut inner = self.children(p);
                    let n = self.expect(&mut inner, Rule::ident)?;
                    let name = self.name(&n);
                    let col = self.expect(&mut inner, Rule::string)?;
                    let column = self.string(col);
                    if let Some(first) = &def.period {
                        self.diags.push(
                            Diagnostic::new(Code::InvalidDataset, "the period is declared twice")
                                .primary(span, "second `period`")
                                .secondary(first.span, "first declared here")
                                .help("a dataset has one period column"),
                        );
                    }
                    def.period = Some(Spanned::new(PeriodDecl { name, column }, span));
                }
                Rule::missing_decl => {
                    for s in p.into_inner() {
                        def.missing.push(self.string(s));
                    }
                }
                Rule::field_decl => def.fields.push(self.field(p)?),
                Rule::file_decl => {
                    let mut strings = p.into_inner().map(|s| self.string(s));
                    let Some(path) = strings.next() else {
                        self.internal(span, "file without a path");
                        return None;
                    };
                    def.files.push(Spanned::new(DataFile { path, period: strings.next() }, span));
                }
                Rule::exclude_decl => {
                    let mut inner = self.children(p);
                    let column = self.expect(&mut inner, Rule::string)?;
                    let column = self.string(column);
                    let cell = self.expect(&mut inner, Rule::cell)?;
                    let cell = self.cell(cell)?;
                    def.exclude.push(Spanned::new(Exclusion { column, cell }, span));
                }
                _ => def.properties.push(self.property(p)?),
            }
        }
        Some(def)
    }

    fn field(&mut self, pair: Pair<'_, Rule>) -> Lowered<Spanned<Field>> {
        let span = self.span(&pair);
        let mut kids = self.children(pair);
        let n = self.expect(&mut kids, Rule::ident)?;
        let name = self.name(&n);
        let indices = self.optional_indices(&mut kids)?;
        let ty_pair = self.expect(&mut kids, Rule::field_type)?;
        let ty_span = self.span(&ty_pair);
        let ty = match ty_pair.into_inner().next() {
            Some(t) if t.as_rule() == Rule::text_type => FieldType::Text,
            Some(t) if t.as_rule() == Rule::date_type => FieldType::Date,
            Some(t) => FieldType::Unit(self.unit_expr(t)?.node),
            None => {
                self.internal(ty_span, "empty field type");
                return None;
            }
        };
        let col = self.expect(&mut kids, Rule::string)?;
        let column = self.string(col);
        let mut alternatives = Vec::new();
        while let Some(alt) = kids.next_if(Rule::string) {
            alternatives.push(self.string(alt));
        }
        let optional = kids.next_if(Rule::optional_kw).is_some();
        let rollup = kids.next_if(Rule::rollup).map(|r| {
            let kind = if r.as_str() == "sum" { Rollup::Sum } else { Rollup::Same };
            Spanned::new(kind, self.span(&r))
        });
        Some(Spanned::new(
            Field { name, indices, ty: Spanned::new(ty, ty_span), column, alternatives, optional, rollup },
            span,
        ))
    }

    fn param_def(&mut self, kids: &mut Children<'_>) -> Lowered<ParamDef> {
        let indices = self.optional_indices(kids)?;
        let unit = self.expect(kids, Rule::unit_expr)?;
        let unit = self.unit_expr(unit)?;
        let (mut cites, mut entries) = (Vec::new(), Vec::new());
        let Some(body) = kids.pairs.next() else {
            self.internal(kids.parent, "parameter without values");
            return None;
        };
        let short = body.as_rule() == Rule::param_short;
        for p in body.into_inner() {
            let span = self.span(&p);
            match p.as_rule() {
                Rule::cite => cites.push(self.cite(p)?),
                Rule::param_value => {
                    let (value, since) = self.param_value(p)?;
                    entries.push(Spanned::new(ParamEntry { keys: Vec::new(), value, since }, span));
                }
                _ => {
                    let mut inner = self.children(p);
                    let mut keys = Vec::new();
                    if let Some(k) = inner.next_if(Rule::param_keys) {
                        for key in k.into_inner() {
                            let kspan = self.span(&key);
                            let node = match key.into_inner().next() {
                                Some(x) if x.as_rule() == Rule::star => ParamKey::Any,
                                Some(x) => ParamKey::Name(x.as_str().to_string()),
                                None => continue,
                            };
                            keys.push(Spanned::new(node, kspan));
                        }
                    }
                    let v = self.expect(&mut inner, Rule::param_value)?;
                    let (value, since) = self.param_value(v)?;
                    entries.push(Spanned::new(ParamEntry { keys, value, since }, span));
                }
            }
        }
        Some(ParamDef { indices, unit, cites, entries, short })
    }

    fn param_value(&mut self, pair: Pair<'_, Rule>) -> Lowered<(Expr, Option<Spanned<Date>>)> {
        let mut kids = self.children(pair);
        let e = self.expect(&mut kids, Rule::expr)?;
        let value = self.expr(e)?;
        // A bad date is reported and the entry kept undated, so checking goes on.
        let since = kids.next_if(Rule::date).and_then(|d| self.date(&d));
        Some((value, since))
    }

    fn kpi_def(&mut self, kids: &mut Children<'_>) -> Lowered<KpiDef> {
        let indices = self.optional_indices(kids)?;
        let title = match kids.next_if(Rule::title) {
            Some(t) => Some(self.title_pair(t)?),
            None => None,
        };
        let unit = self.expect(kids, Rule::unit_expr)?;
        let unit = self.unit_expr(unit)?;
        let e = self.expect(kids, Rule::expr)?;
        let formula = self.expr(e)?;
        let mut cites = Vec::new();
        for c in kids.pairs.by_ref() {
            cites.push(self.cite(c)?);
        }
        Some(KpiDef { indices, title, unit, formula, cites })
    }

    fn methodology_def(&mut self, kids: &mut Children<'_>) -> Lowered<MethodologyDef> {
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
                    let mut inner = self.children(p);
                    let mut same = Vec::new();
                    if let Some(s) = inner.next_if(Rule::peers_same) {
                        same = s.into_inner().map(|n| self.name(&n)).collect();
                    } else {
                        inner.next_if(Rule::peers_all);
                    }
                    let minimum = match inner.next_if(Rule::number) {
                        Some(n) => {
                            let nspan = self.span(&n);
                            match n.as_str().parse::<u32>() {
                                Ok(v) => Some(Spanned::new(v, nspan)),
                                Err(_) => {
                                    self.diags.push(
                                        Diagnostic::new(
                                            Code::NumberOutOfRange,
                                            "a minimum group size must be a whole number",
                                        )
                                        .primary(nspan, "not a whole number that fits")
                                        .help("write a count such as `minimum 5`"),
                                    );
                                    Some(Spanned::new(0, nspan))
                                }
                            }
                        }
                        None => None,
                    };
                    if let Some(first) = &def.peers {
                        self.diags.push(
                            Diagnostic::new(Code::DuplicateName, "`peers` is declared twice")
                                .primary(span, "second `peers`")
                                .secondary(first.span, "first declared here")
                                .help("a methodology has one peer group; list every field in one `peers same a, b`"),
                        );
                    }
                    def.peers = Some(Spanned::new(Peers { same, minimum }, span));
                }
                Rule::scale => {
                    let mut inner = self.children(p);
                    let e = self.expect(&mut inner, Rule::expr)?;
                    let scale = self.expr(e)?;
                    if let Some(first) = &def.scale {
                        self.diags.push(
                            Diagnostic::new(Code::DuplicateName, "`scale` is declared twice")
                                .primary(span, "second `scale`")
                                .secondary(first.span, "first declared here")
                                .help("multiply the factors into one `scale` expression"),
                        );
                    }
                    def.scale = Some(scale);
                }
                Rule::total => {
                    let mut names = p.into_inner().map(|n| self.name(&n));
                    let Some(figure) = names.next() else {
                        self.internal(span, "total without a figure");
                        return None;
                    };
                    let by = names.collect();
                    def.totals.push(Spanned::new(Total { figure, by }, span));
                }
                _ => {
                    let mut inner = self.children(p);
                    let n = self.expect(&mut inner, Rule::ident)?;
                    let name = self.name(&n);
                    let indices = self.optional_indices(&mut inner)?;
                    let unit = match inner.next_if(Rule::unit_expr) {
                        Some(u) => Some(self.unit_expr(u)?),
                        None => None,
                    };
                    let e = self.expect(&mut inner, Rule::expr)?;
                    let formula = self.expr(e)?;
                    def.figures.push(Spanned::new(Figure { name, indices, unit, formula }, span));
                }
            }
        }
        Some(def)
    }

    fn classify_def(&mut self, kids: &mut Children<'_>) -> Lowered<ClassifyDef> {
        let title = match kids.next_if(Rule::title) {
            Some(t) => Some(self.title_pair(t)?),
            None => None,
        };
        let ds = self.expect(kids, Rule::ident)?;
        let dataset = self.name(&ds);
        let hit_pair = self.expect(kids, Rule::hit_policy)?;
        let hit = match hit_pair.as_str() {
            "unique" => HitPolicy::Unique,
            "first" => HitPolicy::First,
            _ => HitPolicy::Collect,
        };
        let hit = Spanned::new(hit, self.span(&hit_pair));
        let (mut cites, mut columns, mut rows) = (Vec::new(), Vec::new(), Vec::new());
        for p in kids.pairs.by_ref() {
            let span = self.span(&p);
            match p.as_rule() {
                Rule::cite => cites.push(self.cite(p)?),
                Rule::table_header => {
                    for h in p.into_inner() {
                        let hspan = self.span(&h);
                        let mut inner = self.children(h);
                        let output = inner.next_if(Rule::output_marker).is_some();
                        let n = self.expect(&mut inner, Rule::any_word)?;
                        columns.push(Spanned::new(Column { name: self.name(&n), output }, hspan));
                    }
                }
                _ => {
                    let mut cells = Vec::new();
                    for c in p.into_inner() {
                        cells.push(self.cell(c)?);
                    }
                    rows.push(Spanned::new(Row { cells }, span));
                }
            }
        }
        Some(ClassifyDef { title, dataset, hit, cites, columns, rows })
    }

    fn cell(&mut self, pair: Pair<'_, Rule>) -> Lowered<Spanned<Cell>> {
        let span = self.span(&pair);
        let Some(inner) = pair.into_inner().next() else {
            self.internal(span, "empty cell");
            return None;
        };
        let rule = inner.as_rule();
        let mut kids = self.children(inner);
        let cell = match rule {
            Rule::any_cell => Cell::Any,
            Rule::starts_cell => {
                let s = self.expect(&mut kids, Rule::string)?;
                Cell::Starts(self.string(s).node)
            }
            Rule::regex_cell => {
                let s = self.expect(&mut kids, Rule::string)?;
                Cell::Regex(self.string(s).node)
            }
            Rule::range_cell => {
                let a = self.expect(&mut kids, Rule::cell_literal)?;
                let b = self.expect(&mut kids, Rule::cell_literal)?;
                Cell::Range(self.literal(a)?, self.literal(b)?)
            }
            Rule::compare_cell => {
                let op = self.expect(&mut kids, Rule::compare_op)?;
                let op = match op.as_str() {
                    "<" => CompareOp::Lt,
                    "<=" => CompareOp::Le,
                    ">" => CompareOp::Gt,
                    _ => CompareOp::Ge,
                };
                let v = self.expect(&mut kids, Rule::cell_literal)?;
                Cell::Compare(op, self.literal(v)?)
            }
            Rule::set_cell => {
                let mut items = Vec::new();
                for v in kids.pairs.by_ref() {
                    items.push(self.literal(v)?);
                }
                Cell::Set(items)
            }
            _ => {
                let v = self.expect(&mut kids, Rule::cell_literal)?;
                Cell::Exact(self.literal(v)?)
            }
        };
        Some(Spanned::new(cell, span))
    }

    fn literal(&mut self, pair: Pair<'_, Rule>) -> Lowered<Literal> {
        let span = self.span(&pair);
        let Some(inner) = pair.into_inner().next() else {
            self.internal(span, "empty literal");
            return None;
        };
        match inner.as_rule() {
            Rule::string => Some(Literal::Text(self.string(inner).node)),
            Rule::any_word => Some(Literal::Word(inner.as_str().to_string())),
            Rule::date => Some(
                self.date(&inner).map_or_else(|| Literal::Text(inner.as_str().to_string()), |d| Literal::Date(d.node)),
            ),
            Rule::percent => {
                let n = self.decimal(&inner, inner.as_str().trim_end_matches('%'))?;
                Some(Literal::Number(n / Decimal::ONE_HUNDRED))
            }
            Rule::money => match self.money(&inner)? {
                ExprKind::Money { amount, magnitude, .. } => {
                    Some(Literal::Number(self.scaled(&inner, amount, magnitude)?))
                }
                _ => None,
            },
            _ => Some(Literal::Number(self.decimal(&inner, inner.as_str())?)),
        }
    }

    fn policy_def(&mut self, kids: &mut Children<'_>) -> Lowered<PolicyDef> {
        let title = self.title(kids)?;
        let severity = match kids.next_if(Rule::severity) {
            Some(s) => {
                let sev = if s.as_str() == "warning" { Severity::Warning } else { Severity::Error };
                Some(Spanned::new(sev, self.span(&s)))
            }
            None => None,
        };
        let mut cites = Vec::new();
        while let Some(c) = kids.next_if(Rule::cite) {
            cites.push(self.cite(c)?);
        }
        let for_pair = self.expect(kids, Rule::policy_for)?;
        let mut inner = self.children(for_pair);
        let v = self.expect(&mut inner, Rule::ident)?;
        let var = self.name(&v);
        let o = self.expect(&mut inner, Rule::ident)?;
        let over = self.name(&o);
        let e = self.expect(&mut inner, Rule::expr)?;
        let require = self.expr(e)?;
        let m = self.expect(kids, Rule::policy_message)?;
        let mut minner = self.children(m);
        let s = self.expect(&mut minner, Rule::string)?;
        let message = self.string(s);
        for c in kids.pairs.by_ref() {
            cites.push(self.cite(c)?);
        }
        Some(PolicyDef { title, severity, cites, var, over, require, message })
    }

    fn script_def(&mut self, kids: &mut Children<'_>) -> Lowered<ScriptDef> {
        let p = self.expect(kids, Rule::string)?;
        let path = self.string(p);
        let mut functions = Vec::new();
        for f in kids.pairs.by_ref() {
            let span = self.span(&f);
            let mut inner = self.children(f);
            let n = self.expect(&mut inner, Rule::any_word)?;
            let name = self.name(&n);
            let mut params = Vec::new();
            while let Some(sp) = inner.next_if(Rule::script_param) {
                let mut pk = self.children(sp);
                let pn = self.expect(&mut pk, Rule::any_word)?;
                let pname = self.name(&pn);
                let pu = self.expect(&mut pk, Rule::unit_expr)?;
                params.push((pname, self.unit_expr(pu)?));
            }
            let r = self.expect(&mut inner, Rule::unit_expr)?;
            let returns = self.unit_expr(r)?;
            functions.push(Spanned::new(ScriptFn { name, params, returns }, span));
        }
        Some(ScriptDef { path, functions })
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

    /// A unit expression, multiplied out into named factors with integer powers.
    fn unit_expr(&mut self, pair: Pair<'_, Rule>) -> Lowered<Spanned<UnitExpr>> {
        let span = self.span(&pair);
        let mut factors: Vec<(Name, i32)> = Vec::new();
        let mut sign = 1;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::unit_op => sign = if p.as_str() == "/" { -1 } else { 1 },
                _ => {
                    let fspan = self.span(&p);
                    let mut kids = self.children(p);
                    let atom = self.expect(&mut kids, Rule::unit_atom)?;
                    let power = match kids.next_if(Rule::int_power) {
                        Some(pw) => match pw.as_str().parse::<i32>() {
                            Ok(v) => v,
                            Err(_) => {
                                self.internal(fspan, "unit power");
                                return None;
                            }
                        },
                        None => 1,
                    };
                    let Some(inner) = atom.into_inner().next() else {
                        self.internal(fspan, "empty unit");
                        return None;
                    };
                    match inner.as_rule() {
                        Rule::unit_expr => {
                            for (n, p) in self.unit_expr(inner)?.node.factors {
                                push_factor(&mut factors, n, p * power * sign);
                            }
                        }
                        Rule::unit_one => {}
                        _ => push_factor(&mut factors, self.name(&inner), power * sign),
                    }
                }
            }
        }
        Some(Spanned::new(UnitExpr { factors }, span))
    }

    fn date(&mut self, pair: &Pair<'_, Rule>) -> Lowered<Spanned<Date>> {
        let span = self.span(pair);
        let text = pair.as_str();
        let part = |r: std::ops::Range<usize>| text.get(r).and_then(|s| s.parse::<u16>().ok());
        let (Some(year), Some(month), Some(day)) = (part(0..4), part(5..7), part(8..10)) else {
            self.internal(span, "date digits");
            return None;
        };
        let date = u8::try_from(month).ok().zip(u8::try_from(day).ok()).and_then(|(m, d)| Date::new(year, m, d));
        let Some(date) = date else {
            self.diags.push(
                Diagnostic::new(Code::InvalidDate, format!("`{text}` is not a calendar date"))
                    .primary(
                        span,
                        if (1..=12).contains(&month) {
                            "there is no such day in that month"
                        } else {
                            "there is no such month"
                        },
                    )
                    .help("dates are written YYYY-MM-DD, for example 2011-04-01"),
            );
            return None;
        };
        Some(Spanned::new(date, span))
    }

    /// A number, exactly: one that would be rounded is refused (and read as 0 so that
    /// checking can go on without cascading errors).
    fn decimal(&mut self, pair: &Pair<'_, Rule>, digits: &str) -> Lowered<Decimal> {
        let cleaned: String = digits.chars().filter(|c| *c != ',').collect();
        match Decimal::from_str_exact(&cleaned) {
            Ok(d) => Some(d),
            Err(_) => {
                self.diags.push(
                    Diagnostic::new(Code::NumberOutOfRange, format!("`{}` cannot be held exactly", pair.as_str()))
                        .primary(self.span(pair), "too many digits")
                        .help("numbers are exact decimals with at most 28 significant digits"),
                );
                Some(Decimal::ZERO)
            }
        }
    }

    fn money(&mut self, pair: &Pair<'_, Rule>) -> Lowered<ExprKind> {
        let text = pair.as_str();
        let currency: String = text.chars().take(1).collect();
        let rest = text.get(currency.len()..).unwrap_or("");
        let (number, magnitude) = if let Some(n) = rest.strip_suffix("bn") {
            (n, Some(Magnitude::Billion))
        } else if let Some(n) = rest.strip_suffix('m') {
            (n, Some(Magnitude::Million))
        } else if let Some(n) = rest.strip_suffix('k') {
            (n, Some(Magnitude::Thousand))
        } else {
            (rest, None)
        };
        let amount = self.decimal(pair, number)?;
        self.scaled(pair, amount, magnitude)?;
        Some(ExprKind::Money { currency, amount, magnitude })
    }

    fn scaled(&mut self, pair: &Pair<'_, Rule>, amount: Decimal, magnitude: Option<Magnitude>) -> Lowered<Decimal> {
        let factor = magnitude.map_or(Decimal::ONE, Magnitude::factor);
        match amount.checked_mul(factor) {
            Some(v) => Some(v),
            None => {
                self.diags.push(
                    Diagnostic::new(Code::NumberOutOfRange, format!("`{}` is too large", pair.as_str()))
                        .primary(self.span(pair), "too large to hold exactly")
                        .help("numbers are exact decimals with at most 28 significant digits"),
                );
                Some(amount)
            }
        }
    }

    // ------------------------------------------------------------ expressions

    /// Lower an expression, refusing trees deeper than [`MAX_EXPR_DEPTH`].
    pub fn expr(&mut self, pair: Pair<'_, Rule>) -> Lowered<Expr> {
        self.expr_depth(pair).map(|(e, _)| e)
    }

    /// Report a too-deep expression once, and stand a plain 0 in its place so the
    /// enclosing definition is kept (no cascade of unknown names).
    fn too_deep(&mut self, span: Span) -> Option<(Expr, usize)> {
        self.diags.push(
            Diagnostic::new(Code::NestingTooDeep, format!("expression nested more than {MAX_EXPR_DEPTH} levels deep"))
                .primary(span, "this expression is too deep")
                .help("each operator in a chain nests one level; split the formula into named KPIs or figures, or use a statistic such as `sum(x, missing: skip) over all`"),
        );
        Some((Spanned::new(ExprKind::Number(Decimal::ZERO), span), 1))
    }

    fn checked(&mut self, expr: Expr, depth: usize) -> Option<(Expr, usize)> {
        if depth > MAX_EXPR_DEPTH {
            return self.too_deep(expr.span);
        }
        Some((expr, depth))
    }

    fn expr_depth(&mut self, pair: Pair<'_, Rule>) -> Option<(Expr, usize)> {
        let span = self.span(&pair);
        let Some(inner) = pair.into_inner().next() else {
            self.internal(span, "empty expression");
            return None;
        };
        match inner.as_rule() {
            Rule::if_expr => {
                let mut parts = Vec::new();
                for e in inner.into_inner() {
                    parts.push(self.expr_depth(e)?);
                }
                let mut it = parts.into_iter();
                let (Some((c, dc)), Some((t, dt)), Some((o, d_o))) = (it.next(), it.next(), it.next()) else {
                    self.internal(span, "if without three parts");
                    return None;
                };
                let depth = 1 + dc.max(dt).max(d_o);
                let kind = ExprKind::If { condition: Box::new(c), then: Box::new(t), otherwise: Box::new(o) };
                self.checked(Spanned::new(kind, span), depth)
            }
            _ => self.binary(inner),
        }
    }

    /// Operator precedence by shunting-yard: iterative, so long chains cannot overflow.
    fn binary(&mut self, pair: Pair<'_, Rule>) -> Option<(Expr, usize)> {
        let mut operands: Vec<(Expr, usize)> = Vec::new();
        let mut operators: Vec<Spanned<BinaryOp>> = Vec::new();
        for p in pair.into_inner() {
            if p.as_rule() == Rule::infix {
                let span = self.span(&p);
                let Some(op) = BinaryOp::from_symbol(p.as_str()) else {
                    self.internal(span, "unknown operator");
                    return None;
                };
                // `>=`: operators of equal precedence group to the left.
                while operators.last().is_some_and(|top| top.node.precedence() >= op.precedence()) {
                    let top = operators.pop()?;
                    self.reduce(&mut operands, top)?;
                }
                operators.push(Spanned::new(op, span));
            } else {
                operands.push(self.unary(p)?);
            }
        }
        while let Some(top) = operators.pop() {
            self.reduce(&mut operands, top)?;
        }
        let result = operands.pop();
        if result.is_none() || !operands.is_empty() {
            self.internal(Span::default(), "operator without operands");
            return None;
        }
        result
    }

    fn reduce(&mut self, operands: &mut Vec<(Expr, usize)>, op: Spanned<BinaryOp>) -> Option<()> {
        let (Some((rhs, dr)), Some((lhs, dl))) = (operands.pop(), operands.pop()) else {
            self.internal(op.span, "operator without operands");
            return None;
        };
        let span = lhs.span.to(rhs.span);
        let kind = ExprKind::Binary { op, lhs: Box::new(lhs), rhs: Box::new(rhs) };
        operands.push(self.checked(Spanned::new(kind, span), 1 + dl.max(dr))?);
        Some(())
    }

    fn unary(&mut self, pair: Pair<'_, Rule>) -> Option<(Expr, usize)> {
        let mut prefixes = Vec::new();
        let mut operand = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::prefix => {
                    let span = self.span(&p);
                    let op = match p.into_inner().next().map(|o| o.as_rule()) {
                        Some(Rule::neg) => UnaryOp::Neg,
                        _ => UnaryOp::Not,
                    };
                    prefixes.push((op, span));
                }
                _ => operand = Some(self.postfixed(p)?),
            }
        }
        let (mut expr, mut depth) = operand?;
        for (op, span) in prefixes.into_iter().rev() {
            let whole = span.to(expr.span);
            (expr, depth) =
                self.checked(Spanned::new(ExprKind::Unary { op, operand: Box::new(expr) }, whole), depth + 1)?;
        }
        Some((expr, depth))
    }

    fn postfixed(&mut self, pair: Pair<'_, Rule>) -> Option<(Expr, usize)> {
        let mut kids = pair.into_inner();
        let primary = kids.next()?;
        let (mut expr, mut depth) = self.primary(primary)?;
        for post in kids {
            let pspan = self.span(&post);
            let Some(p) = post.into_inner().next() else { continue };
            let whole = expr.span.to(pspan);
            let (kind, d) = match p.as_rule() {
                Rule::index => {
                    let mut indices = Vec::new();
                    let mut d = depth;
                    for e in p.into_inner() {
                        let (ie, id) = self.expr_depth(e)?;
                        d = d.max(id);
                        indices.push(ie);
                    }
                    (ExprKind::Index { target: Box::new(expr), indices }, d)
                }
                Rule::member => {
                    let Some(w) = p.into_inner().next() else { continue };
                    (ExprKind::Member { target: Box::new(expr), member: self.name(&w) }, depth)
                }
                _ => {
                    let Some(g) = p.into_inner().next() else { continue };
                    (ExprKind::Over { aggregate: Box::new(expr), group: self.name(&g) }, depth)
                }
            };
            (expr, depth) = self.checked(Spanned::new(kind, whole), d + 1)?;
        }
        Some((expr, depth))
    }

    fn primary(&mut self, pair: Pair<'_, Rule>) -> Option<(Expr, usize)> {
        let span = self.span(&pair);
        let Some(p) = pair.into_inner().next() else {
            self.internal(span, "empty primary");
            return None;
        };
        let kind = match p.as_rule() {
            Rule::number => ExprKind::Number(self.decimal(&p, p.as_str())?),
            Rule::percent => ExprKind::Percent(self.decimal(&p, p.as_str().trim_end_matches('%'))?),
            Rule::money => self.money(&p)?,
            Rule::date => self.date(&p).map_or(ExprKind::Number(Decimal::ZERO), |d| ExprKind::Date(d.node)),
            Rule::string => ExprKind::Text(self.string(p).node),
            Rule::boolean => ExprKind::Bool(p.as_str() == "true"),
            Rule::ident => ExprKind::Name(p.as_str().to_string()),
            Rule::paren => {
                let mut kids = self.children(p);
                let e = self.expect(&mut kids, Rule::expr)?;
                let (inner, depth) = self.expr_depth(e)?;
                // Parentheses leave no node: the span widens to include them.
                return Some((Spanned::new(inner.node, span), depth));
            }
            _ => {
                let mut kids = self.children(p);
                let f = self.expect(&mut kids, Rule::ident)?;
                let function = self.name(&f);
                let mut args = Vec::new();
                let mut depth = 0;
                for a in kids.pairs.by_ref() {
                    let Some(inner) = a.into_inner().next() else { continue };
                    let (name, e) = if inner.as_rule() == Rule::named_arg {
                        let mut nk = self.children(inner);
                        let n = self.expect(&mut nk, Rule::any_word)?;
                        let e = self.expect(&mut nk, Rule::expr)?;
                        (Some(self.name(&n)), e)
                    } else {
                        (None, inner)
                    };
                    let (value, d) = self.expr_depth(e)?;
                    depth = depth.max(d);
                    args.push(Argument { name, value });
                }
                return self.checked(Spanned::new(ExprKind::Call { function, args }, span), depth + 1);
            }
        };
        Some((Spanned::new(kind, span), 1))
    }
}

fn push_factor(factors: &mut Vec<(Name, i32)>, name: Name, power: i32) {
    if let Some(f) = factors.iter_mut().find(|(n, _)| n.node == name.node) {
        f.1 += power;
    } else {
        factors.push((name, power));
    }
    factors.retain(|(_, p)| *p != 0);
}

/// The length of `text` without trailing whitespace and trailing comment-only lines.
fn content_len(text: &str) -> usize {
    let mut t = text.trim_end();
    loop {
        let last_line = t.rsplit('\n').next().unwrap_or("");
        if last_line.trim_start().starts_with('#') && last_line.len() < t.len() {
            t = t.get(..t.len() - last_line.len()).unwrap_or("").trim_end();
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
