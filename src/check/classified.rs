//! Datasets `from classify TABLE`: the table must classify a records dataset, each field
//! must sum one of its numeric fields (or count its records), and each index must range
//! over one of the table's outputs.

use super::suggest;
use super::symbols::{Item, Symbols};
use crate::ast::{ClassifyDef, DatasetDef, Field, FieldType};
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::source::Name;

/// The output columns a table's aggregates can be indexed by: its own, and `function`
/// when it gives an activity (each activity belongs to one function).
pub fn table_outputs(table: &crate::ast::ClassifyDef) -> Vec<String> {
    let mut out: Vec<String> =
        table.columns.iter().filter(|c| c.node.output).map(|c| c.node.name.node.clone()).collect();
    if out.iter().any(|o| o == "activity") && !out.iter().any(|o| o == "function") {
        out.insert(0, "function".to_string());
    }
    out
}

pub fn check(name: &Name, ds: &DatasetDef, table: &Name, syms: &Symbols<'_>, diags: &mut Vec<Diagnostic>) {
    nothing_of_its_own(name, ds, diags);
    let Some((def, source)) = classified_records(table, syms, diags) else { return };
    let outputs = table_outputs(def);
    let summable: Vec<&str> = source
        .fields
        .iter()
        .filter(|f| f.node.indices.is_empty() && matches!(&f.node.ty.node, FieldType::Unit(u) if !matches!(u.factors.as_slice(), [(n, 1)] if syms.is_index_set(&n.node))))
        .map(|f| f.node.name.node.as_str())
        .collect();
    for f in &ds.fields {
        field(&f.node, table, def, source, &summable, &outputs, diags);
    }
}

/// The entity and files come from the classified records: a dataset `from classify`
/// declaring its own would be ignored.
fn nothing_of_its_own(name: &Name, ds: &DatasetDef, diags: &mut Vec<Diagnostic>) {
    if let Some(e) = &ds.entity {
        diags.push(
            Diagnostic::new(Code::InvalidDataset, format!("dataset `{}` takes its entity from the table's dataset", name.node))
                .primary(e.span, "not needed here")
                .help("a dataset `from classify` has the entity, period and files of the records it classifies; remove this line"),
        );
    }
    if let Some(f) = ds.files.first() {
        diags.push(
            Diagnostic::new(Code::InvalidDataset, format!("dataset `{}` reads no file of its own", name.node))
                .primary(f.span, "not needed here")
                .help("the records are read from the files of the table's dataset; remove this line"),
        );
    }
}

/// The decision table named after `from classify`, and the records dataset it classifies;
/// `None` when either is missing or of the wrong kind (reported here or by the table).
fn classified_records<'s>(
    table: &Name,
    syms: &Symbols<'s>,
    diags: &mut Vec<Diagnostic>,
) -> Option<(&'s ClassifyDef, &'s DatasetDef)> {
    let def = match syms.get(&table.node).map(|s| s.item) {
        Some(Item::Classify(t)) => t,
        Some(other) => {
            diags.push(
                Diagnostic::new(
                    Code::WrongKind,
                    format!("`{}` is a {}, not a decision table", table.node, other.kind()),
                )
                .primary(table.span, "not a `classify` table")
                .help("name a decision table after `from classify`"),
            );
            return None;
        }
        None => {
            let names = syms.names_where(|i| matches!(i, Item::Classify(_)));
            diags.push(
                Diagnostic::new(Code::UnknownName, format!("unknown decision table `{}`", table.node))
                    .primary(table.span, "no table has this name")
                    .help(suggest::help_for(
                        &table.node,
                        names,
                        "declare it with `classify NAME on DATASET hit first { ... }`",
                    )),
            );
            return None;
        }
    };
    match syms.get(&def.dataset.node).map(|s| s.item) {
        Some(Item::Dataset(d)) if d.records => Some((def, d)),
        // The table's own check reports an unknown dataset; a non-records one is reported here.
        Some(Item::Dataset(_)) => {
            diags.push(
                Diagnostic::new(
                    Code::InvalidDataset,
                    format!("table `{}` classifies a dataset that is not `records`", table.node),
                )
                .primary(table.span, "its dataset has one row per entity")
                .help("classify the records of a dataset declared `records`"),
            );
            None
        }
        _ => None,
    }
}

/// One field: it sums a numeric field of the records (keeping its unit) or counts them,
/// and each of its indices ranges over an output of the table.
fn field(
    field: &Field,
    table: &Name,
    def: &ClassifyDef,
    source: &DatasetDef,
    summable: &[&str],
    outputs: &[String],
    diags: &mut Vec<Diagnostic>,
) {
    let from = field.column.node.as_str();
    if from != "records" && !summable.contains(&from) {
        let mut choices = summable.to_vec();
        choices.push("records");
        diags.push(
            Diagnostic::new(
                Code::InvalidDataset,
                format!("`{from}` is not a numeric field of dataset `{}`", def.dataset.node),
            )
            .primary(field.column.span, "summed from here")
            .help(suggest::help_for(
                from,
                choices.iter().copied(),
                &format!("write one of: {}", choices.join(", ")),
            )),
        );
    }
    // A sum keeps the unit of what it adds up: summing pounds into an FTE field would
    // make every KPI over it wrong without a word.
    let summed = source.fields.iter().find(|s| s.node.name.node == from && s.node.indices.is_empty());
    if let (Some(s), FieldType::Unit(_)) = (summed, &field.ty.node) {
        if s.node.ty != field.ty {
            diags.push(
                Diagnostic::new(
                    Code::DeclaredUnitMismatch,
                    format!("field `{}` sums `{from}` but declares another unit", field.name.node),
                )
                .primary(field.ty.span, "declared here")
                .secondary(s.node.ty.span, format!("`{from}` is in this unit"))
                .help("declare the unit of the summed field (or count records: `from \"records\"`)"),
            );
        }
    }
    for index in &field.indices {
        let set = &index.node.set.node;
        if !outputs.contains(set) {
            diags.push(
                Diagnostic::new(Code::InvalidDataset, format!("table `{}` has no output `{set}`", table.node))
                    .primary(index.node.set.span, "not an output of the table")
                    .help(format!("index by an output of the table: {}", outputs.join(", "))),
            );
        }
    }
}
