//! Datasets: entity and columns, files and exclusions, roll-ups of records, word-valued properties.

use super::DefChecker;
use crate::ast::*;
use crate::check::exprs::Ty;
use crate::check::suggest;
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::source::{Name, Span};
use std::collections::HashMap;

/// Dataset properties whose values are words from a fixed list.
const DATASET_WORD_PROPERTIES: &[(&str, &[&str])] =
    &[("on_bad_row", &["reject", "skip", "warn"]), ("repeated_headers", &["refuse", "first"])];

impl<'c, 'a> DefChecker<'c, 'a> {
    pub(super) fn dataset(&mut self, name: &Name, ds: &DatasetDef) {
        if let Some(table) = &ds.classified {
            crate::check::classified::check(name, ds, table, self.syms(), &mut self.exprs.diags);
            for f in &ds.fields {
                if let FieldType::Unit(u) = &f.node.ty.node {
                    self.exprs.units.resolve(u, &mut self.exprs.diags);
                }
                self.index_decls(&f.node.indices);
            }
            return;
        }
        if ds.entity.is_none() {
            self.push(
                Diagnostic::new(Code::InvalidDataset, format!("dataset `{}` declares no entity", name.node))
                    .primary(name.span, "no `entity`")
                    .help("say which column identifies each row's organisation: `entity organisation key \"Code\"`"),
            );
        }
        for p in &ds.properties {
            if let Some((key, words)) = DATASET_WORD_PROPERTIES.iter().find(|(k, _)| *k == p.node.key.node) {
                let given = match &p.node.value.node {
                    PropValue::Word(w) | PropValue::Text(w) => w.clone(),
                    PropValue::Number(n) => n.to_string(),
                };
                if !words.contains(&given.as_str()) {
                    let closest = suggest::did_you_mean(&given, words.iter().copied()).or(words.first().copied());
                    self.push(
                        Diagnostic::new(Code::InvalidDataset, format!("`{key}` must be one of {}", words.join(", ")))
                            .primary(p.node.value.span, "not one of the choices")
                            .help(format!("write `{key} {}`", closest.unwrap_or_default())),
                    );
                }
            }
        }
        self.data_files(ds);
        let mut columns: HashMap<&str, Span> = HashMap::new();
        for f in &ds.fields {
            let field = &f.node;
            self.rollup(ds, field);
            if ds.records {
                if let Some(earlier) =
                    ds.fields.iter().take_while(|g| !std::ptr::eq(*g, f)).find(|g| g.node.name.node == field.name.node)
                {
                    self.push(crate::check::symbols::duplicate(
                        &field.name.node,
                        "field",
                        earlier.node.name.span,
                        field.name.span,
                    ));
                }
            }
            if let FieldType::Unit(u) = &field.ty.node {
                let set_typed = matches!(u.factors.as_slice(), [(n, 1)] if self.syms().is_index_set(&n.node) && !self.exprs.units.is_unit(&n.node));
                if !set_typed {
                    self.exprs.units.resolve(u, &mut self.exprs.diags);
                }
            }
            if !self.index_decls(&field.indices) {
                continue;
            }
            self.column_template(field);
            if field.indices.is_empty() {
                if let Some(first) = columns.insert(field.column.node.as_str(), field.column.span) {
                    self.push(
                        Diagnostic::new(
                            Code::InvalidDataset,
                            format!("column `{}` is read by two fields", field.column.node),
                        )
                        .primary(field.column.span, "read again here")
                        .secondary(first, "first read here")
                        .help("each column feeds one field"),
                    );
                }
            }
        }
    }

    fn data_files(&mut self, ds: &DatasetDef) {
        if let (Some(p), Some(f)) = (&ds.period, ds.files.iter().find_map(|f| f.node.period.as_ref())) {
            self.push(
                Diagnostic::new(Code::InvalidDataset, "the period is given twice: by a column and by a file")
                    .primary(f.span, "the file's period")
                    .secondary(p.span, "the period column")
                    .help("use a period column when files hold several periods, `file \"x\" period \"P\"` when each file is one period"),
            );
        }
        for e in &ds.exclude {
            if let Cell::Regex(pattern) = &e.node.cell.node {
                if let Err(err) = regex::RegexBuilder::new(pattern).size_limit(1 << 20).build() {
                    let why = err.to_string();
                    let why = why.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("invalid pattern").trim();
                    self.push(
                        Diagnostic::new(Code::InvalidRegex, format!("`{pattern}` is not a valid pattern"))
                            .primary(e.node.cell.span, why.trim_start_matches("error: ").to_string())
                            .help("patterns use Rust regex syntax; escape special characters with `\\`"),
                    );
                }
            }
        }
    }

    /// `sum` and `same` belong to records, and only numbers that are amounts can be summed.
    fn rollup(&mut self, ds: &DatasetDef, field: &Field) {
        let Some(r) = &field.rollup else { return };
        if !ds.records {
            self.push(
                Diagnostic::new(
                    Code::InvalidDataset,
                    format!("field `{}` rolls up, but the dataset is not `records`", field.name.node),
                )
                .primary(r.span, "rows of an entity dataset are one per entity already")
                .help("declare the dataset `records` (several rows per entity), or remove the roll-up"),
            );
            return;
        }
        if r.node != Rollup::Sum {
            return;
        }
        match self.exprs.field_ty(field) {
            Ty::Num(d) if d.is_dimensionless() => self.push(
                Diagnostic::new(
                    Code::UnsummableField,
                    format!("field `{}` is a ratio or percentage and cannot be summed", field.name.node),
                )
                .primary(r.span, "summed across rows")
                .secondary(field.ty.span, format!("declared {}", self.exprs.units.show(&d)))
                .help("sum the parts instead (the numerator and the denominator) and compute the ratio in a KPI"),
            ),
            Ty::Num(_) | Ty::Unknown => {}
            other => {
                let shown = self.exprs.show(&other);
                self.push(
                    Diagnostic::new(
                        Code::InvalidDataset,
                        format!("field `{}` holds {shown} and cannot be summed", field.name.node),
                    )
                    .primary(r.span, "summed across rows")
                    .help("use `same` for a value every row of an entity shares, such as its type"),
                );
            }
        }
    }
}
