//! Lowering datasets (their files, columns and fields) and decision tables (`classify`,
//! their headers, rows and cells).

use super::{Children, Lowered, Lowerer};
use crate::ast::*;
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::parse::Rule;
use crate::source::{Name, Span, Spanned};
use pest::iterators::Pair;

impl Lowerer {
    pub(super) fn dataset_def(&mut self, kids: &mut Children<'_>) -> Lowered<DatasetDef> {
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
            self.dataset_item(&mut def, p)?;
        }
        Some(def)
    }

    /// One line of a dataset's body, added to `def`.
    fn dataset_item(&mut self, def: &mut DatasetDef, p: Pair<'_, Rule>) -> Lowered<()> {
        let span = self.span(&p);
        match p.as_rule() {
            Rule::cite => def.cites.push(self.cite(p)?),
            Rule::entity_decl => {
                let (name, key_column) = self.name_and_column(p)?;
                if let Some(first) = &def.entity {
                    self.declared_twice(span, first.span, "entity", "a dataset has one entity and key column");
                }
                def.entity = Some(Spanned::new(EntityDecl { name, key_column }, span));
            }
            Rule::period_decl => {
                let (name, column) = self.name_and_column(p)?;
                if let Some(first) = &def.period {
                    self.declared_twice(span, first.span, "period", "a dataset has one period column");
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
                let (mut path, mut alternatives, mut period) = (None, Vec::new(), None);
                for part in p.into_inner() {
                    match part.as_rule() {
                        Rule::file_or => alternatives.extend(part.into_inner().next().map(|s| self.string(s))),
                        _ if path.is_none() => path = Some(self.string(part)),
                        _ => period = Some(self.string(part)),
                    }
                }
                let Some(path) = path else {
                    self.internal(span, "file without a path");
                    return None;
                };
                def.files.push(Spanned::new(DataFile { path, alternatives, period }, span));
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
        Some(())
    }

    /// `entity NAME key "column"` and `period NAME from "column"`: a name and a column.
    fn name_and_column(&mut self, pair: Pair<'_, Rule>) -> Lowered<(Name, Spanned<String>)> {
        let mut inner = self.children(pair);
        let n = self.expect(&mut inner, Rule::ident)?;
        let name = self.name(&n);
        let col = self.expect(&mut inner, Rule::string)?;
        Some((name, self.string(col)))
    }

    /// An `entity` or `period` declared again at `second`.
    fn declared_twice(&mut self, second: Span, first: Span, keyword: &str, help: &str) {
        self.diags.push(
            Diagnostic::new(Code::InvalidDataset, format!("the {keyword} is declared twice"))
                .primary(second, format!("second `{keyword}`"))
                .secondary(first, "first declared here")
                .help(help),
        );
    }

    pub(super) fn field(&mut self, pair: Pair<'_, Rule>) -> Lowered<Spanned<Field>> {
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

    pub(super) fn classify_def(&mut self, kids: &mut Children<'_>) -> Lowered<ClassifyDef> {
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

    pub(super) fn cell(&mut self, pair: Pair<'_, Rule>) -> Lowered<Spanned<Cell>> {
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

    pub(super) fn literal(&mut self, pair: Pair<'_, Rule>) -> Lowered<Literal> {
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
                Some(Literal::Number(crate::value::format::from_percent(n)))
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
}
