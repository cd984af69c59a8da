//! What loading a dataset means, worked out from its declaration: files, columns per
//! field (templates expanded per index member), types, missing markers, bad-row policy.

use super::number::CellUnit;
use super::BadRowPolicy;
use crate::ast::{DatasetDef, FieldType, PropValue, UnitExpr};
use crate::check::symbols::Symbols;
use crate::check::units::{Dim, UnitTable};
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::source::{Span, Spanned};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// A field, or one member-instance of an indexed field: `turnover`, `cost[finance]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldKey {
    pub field: String,
    pub index: Vec<String>,
}

impl fmt::Display for FieldKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.index.is_empty() {
            f.write_str(&self.field)
        } else {
            write!(f, "{}[{}]", self.field, self.index.join(", "))
        }
    }
}

#[derive(Debug, Clone)]
pub enum FieldKind {
    Number,
    Text,
    Date,
    /// Members of a set, matched by name, title or `also` spelling, ignoring case.
    Member {
        set: String,
        lookup: Arc<rustc_hash::FxHashMap<String, Arc<str>>>,
        /// Each spelling exactly as the rules write it: most cells are one, and are found
        /// without lowercasing them (a fresh string per cell).
        exact: Arc<rustc_hash::FxHashMap<String, Arc<str>>>,
        /// Each lowercased spelling as the rules write it, for suggestions.
        spellings: Arc<HashMap<String, String>>,
    },
}

#[derive(Debug, Clone)]
pub struct FieldSpec {
    pub key: FieldKey,
    /// The column name; `alternatives` are other names it has in some files.
    pub column: String,
    pub alternatives: Vec<String>,
    pub rollup: Option<crate::ast::Rollup>,
    pub kind: FieldKind,
    /// For a number field, the symbol or percent sign its cells may carry.
    pub unit: CellUnit,
    pub optional: bool,
    /// The column name (or template) in the rule file.
    pub span: Span,
}

/// An `exclude` rule: its column, its cell, and the cell's compiled pattern if it has one.
pub type Exclusion = (String, crate::ast::Cell, Option<regex::Regex>);

#[derive(Debug, Clone)]
pub struct DatasetSpec {
    pub name: String,
    pub span: Span,
    pub records: bool,
    /// The decision table whose aggregates this dataset is (`from classify TABLE`).
    pub classified: Option<String>,
    /// Each file, and the period all its rows belong to when the file says so.
    pub files: Vec<(Spanned<String>, Option<String>)>,
    /// For each file, the other names it may have (`file "a.csv" or "a.yaml"`); see
    /// [`DatasetSpec::in_folder`].
    pub alternatives: Vec<Vec<Spanned<String>>>,
    /// Rows left out: a column and the cell pattern its value must not match.
    pub exclude: Vec<Exclusion>,
    /// `repeated_headers first`: a column whose header a file writes twice is read from the
    /// first; by default such a column is refused, since which is meant cannot be told.
    pub first_of_repeated: bool,
    /// Records rolled up to one row per entity and period.
    pub rolls_up: bool,
    pub sheet: Option<String>,
    /// 1-based row of the header in a spreadsheet (or text file).
    pub header_row: usize,
    pub delimiter: u8,
    pub policy: BadRowPolicy,
    pub key_column: Spanned<String>,
    pub period_column: Option<Spanned<String>>,
    /// Cell texts that mean "no value" (compared trimmed, ignoring case); blank always does.
    pub missing: Vec<String>,
    pub fields: Vec<FieldSpec>,
    /// Month and day a period starts on, for choosing dated parameters (`period_start "04-01"`).
    pub period_start: Option<(u8, u8)>,
}

impl DatasetSpec {
    /// Build the loading plan of a checked dataset declaration; `units` says which symbol
    /// or percent sign each number field's cells may carry.
    pub fn build(name: &Spanned<String>, def: &DatasetDef, syms: &Symbols<'_>, units: &UnitTable) -> DatasetSpec {
        let text = |key: &'static str| {
            def.properties.iter().filter(move |p| p.node.key.node == key).map(|p| match &p.node.value.node {
                PropValue::Text(t) | PropValue::Word(t) => Spanned::new(t.clone(), p.node.value.span),
                PropValue::Number(n) => Spanned::new(n.to_string(), p.node.value.span),
            })
        };
        let policy = match text("on_bad_row").next().map(|s| s.node) {
            Some(w) if w == "skip" => BadRowPolicy::Skip,
            Some(w) if w == "warn" => BadRowPolicy::Warn,
            _ => BadRowPolicy::Reject,
        };
        let first_of_repeated = text("repeated_headers").next().is_some_and(|s| s.node == "first");
        let period_start = text("period_start").next().and_then(|s| {
            let (m, d) = s.node.split_once('-')?;
            Some((m.parse().ok()?, d.parse().ok()?))
        });
        let fields = field_specs(def, syms, units);
        DatasetSpec {
            name: name.node.clone(),
            span: name.span,
            records: def.records,
            classified: def.classified.as_ref().map(|t| t.node.clone()),
            files: def
                .files
                .iter()
                .map(|f| (f.node.path.clone(), f.node.period.as_ref().map(|p| p.node.clone())))
                .collect(),
            alternatives: def.files.iter().map(|f| f.node.alternatives.clone()).collect(),
            first_of_repeated,
            exclude: def
                .exclude
                .iter()
                .map(|e| {
                    let re = match &e.node.cell.node {
                        crate::ast::Cell::Regex(p) => regex::Regex::new(p).ok(),
                        _ => None,
                    };
                    (e.node.column.node.clone(), e.node.cell.node.clone(), re)
                })
                .collect(),
            rolls_up: def.rolls_up(),
            sheet: text("sheet").next().map(|s| s.node),
            header_row: text("header_row").next().and_then(|s| s.node.parse().ok()).unwrap_or(1).max(1),
            delimiter: text("delimiter").next().and_then(|s| s.node.bytes().next()).unwrap_or(b','),
            policy,
            key_column: def
                .entity
                .as_ref()
                .map_or_else(|| Spanned::new(String::new(), name.span), |e| e.node.key_column.clone()),
            period_column: def.period.as_ref().map(|p| p.node.column.clone()),
            missing: def.missing.iter().map(|m| m.node.trim().to_lowercase()).collect(),
            fields,
            period_start,
        }
    }
}

/// A field's columns to read: one per member of its indices (`cost[finance]`), each with
/// its alternative column names, and the kind of value each holds.
fn field_specs(def: &DatasetDef, syms: &Symbols<'_>, units: &UnitTable) -> Vec<FieldSpec> {
    let mut fields = Vec::new();
    for f in &def.fields {
        let field = &f.node;
        let (kind, unit) = match &field.ty.node {
            FieldType::Text => (FieldKind::Text, CellUnit::Bare),
            FieldType::Date => (FieldKind::Date, CellUnit::Bare),
            FieldType::Unit(u) => match u.factors.as_slice() {
                [(n, 1)] if syms.is_index_set(&n.node) => (member_kind(&n.node, syms), CellUnit::Bare),
                _ => (FieldKind::Number, cell_unit(u, units)),
            },
        };
        let alternatives: Vec<String> = field.alternatives.iter().map(|a| a.node.clone()).collect();
        for (index, column) in expand(&field.column.node, &field.indices, syms) {
            let alts = alternatives
                .iter()
                .flat_map(|a| expand(a, &field.indices, syms))
                .filter(|(i, _)| *i == index)
                .map(|(_, c)| c)
                .collect();
            fields.push(FieldSpec {
                key: FieldKey { field: field.name.node.clone(), index },
                column,
                alternatives: alts,
                rollup: field.rollup.as_ref().map(|r| r.node),
                kind: kind.clone(),
                unit: unit.clone(),
                optional: field.optional,
                span: field.column.span,
            });
        }
    }
    fields
}

/// What a number field's cells may carry: the symbol of a unit that is one base unit with
/// a symbol (`£` for `GBP`, not for `GBP / FTE`), a percent sign for a percentage or ratio.
fn cell_unit(u: &UnitExpr, units: &UnitTable) -> CellUnit {
    let Some(dim) = units.resolve(u, &mut Vec::new()) else { return CellUnit::Bare };
    if dim.is_dimensionless() {
        return CellUnit::Percent;
    }
    units
        .currencies
        .iter()
        .find(|(_, base)| dim == Dim::base(base))
        .map_or(CellUnit::Bare, |(symbol, _)| CellUnit::symbol(symbol))
}

fn member_kind(set: &str, syms: &Symbols<'_>) -> FieldKind {
    let mut lookup = rustc_hash::FxHashMap::default();
    let mut spellings = HashMap::new();
    let mut add = |text: &str, name: &Arc<str>| {
        let key = text.trim().to_lowercase();
        spellings.entry(key.clone()).or_insert_with(|| text.trim().to_string());
        lookup.entry(key).or_insert_with(|| name.clone());
    };
    for m in syms.members(set).unwrap_or_default() {
        let name: Arc<str> = m.name.into();
        add(m.name, &name);
        if let Some(t) = m.title {
            add(t, &name);
        }
        if let Some(def) = syms.sets.get(set).map(|(_, d)| *d) {
            for member in def.members.iter().filter(|x| x.node.name.node == m.name) {
                for a in &member.node.aliases {
                    add(&a.node, &name);
                }
            }
        }
    }
    // A spelling finds what its lowercase finds (the first member to claim it).
    let exact = spellings.values().filter_map(|s| Some((s.clone(), lookup.get(&s.to_lowercase())?.clone()))).collect();
    FieldKind::Member {
        set: set.to_string(),
        lookup: Arc::new(lookup),
        exact: Arc::new(exact),
        spellings: Arc::new(spellings),
    }
}

impl FieldKind {
    /// The member a (trimmed) cell names, by name, title or `also` spelling, ignoring case.
    pub fn member(&self, text: &str) -> Option<&Arc<str>> {
        match self {
            FieldKind::Member { lookup, exact, .. } => {
                exact.get(text).or_else(|| lookup.get(text)).or_else(|| lookup.get(&text.to_lowercase()))
            }
            _ => None,
        }
    }
}

/// Every (index members, column name) of a field: one for an unindexed field, one per
/// member combination for an indexed one, with `{f}`, `{f.title}`, `{f.prop}` filled in.
fn expand(
    template: &str,
    indices: &[Spanned<crate::ast::IndexDecl>],
    syms: &Symbols<'_>,
) -> Vec<(Vec<String>, String)> {
    let mut out = vec![(Vec::new(), template.to_string())];
    for decl in indices {
        let var = &decl.node.var.node;
        let members = syms.members(&decl.node.set.node).unwrap_or_default();
        let mut next = Vec::new();
        for (index, column) in &out {
            for m in &members {
                let mut col = column.replace(&format!("{{{var}}}"), m.name).replace(&format!("{{{var}.name}}"), m.name);
                if let Some(t) = m.title {
                    col = col.replace(&format!("{{{var}.title}}"), t);
                }
                for p in m.properties {
                    if let PropValue::Text(v) | PropValue::Word(v) = &p.node.value.node {
                        col = col.replace(&format!("{{{var}.{}}}", p.node.key.node), v);
                    }
                }
                let mut idx = index.clone();
                idx.push(m.name.to_string());
                next.push((idx, col));
            }
        }
        out = next;
    }
    out
}

impl DatasetSpec {
    /// The dataset with each file named as the data folder has it: of a file's names
    /// (`file "plan.csv" or "plan.yaml"`), the one that is there. Both there is an error:
    /// which one is meant cannot be guessed. None there leaves the first name, for the
    /// loader to say it is missing.
    pub fn in_folder(&self, data_dir: &std::path::Path) -> Result<DatasetSpec, Box<Diagnostic>> {
        let mut chosen = self.clone();
        for ((file, _), others) in chosen.files.iter_mut().zip(&self.alternatives) {
            if others.is_empty() {
                continue;
            }
            let names: Vec<&Spanned<String>> = std::iter::once(&*file).chain(others).collect();
            let present: Vec<&Spanned<String>> =
                names.iter().copied().filter(|n| data_dir.join(&n.node).exists()).collect();
            match present.as_slice() {
                [] => {}
                [one] => *file = (*one).clone(),
                [first, second, ..] => {
                    return Err(Box::new(
                        Diagnostic::new(
                            Code::AmbiguousDataFile,
                            format!("both `{}` and `{}` are in the data folder", first.node, second.node),
                        )
                        .primary(first.span, format!("dataset `{}` reads one of these", self.name))
                        .secondary(second.span, "or this")
                        .help("keep one of them in the folder: which one is meant cannot be guessed"),
                    ))
                }
            }
        }
        chosen.alternatives = vec![Vec::new(); chosen.files.len()];
        Ok(chosen)
    }
}
