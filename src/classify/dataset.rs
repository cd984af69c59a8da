//! A dataset `from classify TABLE` for evaluation: the table's aggregates over its records,
//! streamed like `assay classify`, as one row per entity and period, each field the sum
//! (or the count of records) over the output groups its index members name.

use super::{Outcome, Request};
use crate::ast::{DatasetDef, DefKind};
use crate::data::{DatasetSpec, LoadContext, LoadedFile, RowCounts, RowOrigin, Table};
use crate::load::RuleTree;
use crate::value::Value;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// Builds datasets declared `from classify TABLE` for the data loader: classifies the
/// records behind them with the rules of `tree`.
pub struct FromClassify<'t>(pub &'t RuleTree);

impl crate::data::Derive for FromClassify<'_> {
    fn derive(&self, spec: &DatasetSpec, table: &str, data_dir: &Path, ctx: &mut LoadContext<'_>) -> Option<Table> {
        load(self.0, spec, table, data_dir, ctx)
    }
}

/// Classify the records behind `spec` (declared `from classify TABLE`) and shape the result
/// as a table of entities. `None` when the run failed (the reasons are in the context).
fn load(tree: &RuleTree, spec: &DatasetSpec, table: &str, data_dir: &Path, ctx: &mut LoadContext<'_>) -> Option<Table> {
    let request = Request { table: table.to_string(), data: data_dir.to_path_buf(), chunk_bytes: super::CHUNK_BYTES };
    let (outcome, mut diags) = super::run(tree, &request, ctx.sources, &(), None);
    ctx.diagnostics.append(&mut diags);
    let outcome = outcome?;
    let def = tree.asts.iter().flat_map(|f| &f.definitions).find_map(|d| match &d.node.kind {
        DefKind::Dataset(ds) if d.node.name.node == spec.name => Some(ds),
        _ => None,
    })?;
    Some(shape(&outcome, spec, def))
}

fn shape(o: &Outcome, spec: &DatasetSpec, def: &DatasetDef) -> Table {
    let keys: Vec<Arc<str>> = o.entities.keys().map(|(k, _)| Arc::from(k.as_str())).collect();
    let periods: Vec<Arc<str>> = o.entities.keys().map(|(_, p)| Arc::from(p.as_str())).collect();
    let mut columns = BTreeMap::new();
    for f in &spec.fields {
        // The output column each index ranges over, and the member it takes.
        let sets: Vec<&str> = def
            .fields
            .iter()
            .find(|d| d.node.name.node == f.key.field)
            .map(|d| d.node.indices.iter().map(|i| i.node.set.node.as_str()).collect())
            .unwrap_or_default();
        let wanted: Vec<(usize, &str)> = sets
            .iter()
            .zip(&f.key.index)
            .filter_map(|(set, member)| o.outputs.iter().position(|x| x == set).map(|p| (p, member.as_str())))
            .collect();
        let sum = o.sums.iter().position(|s| *s == f.column);
        let values = o
            .entities
            .values()
            .map(|e| {
                let mut total = Decimal::ZERO;
                let mut add = |acc: &super::Acc| {
                    let v = match sum {
                        Some(i) => acc.sums.get(i).copied().unwrap_or_default(),
                        None => Decimal::from(acc.records),
                    };
                    total = total.checked_add(v).unwrap_or(total);
                };
                if f.key.index.is_empty() {
                    add(&e.classified);
                    add(&e.unclassified);
                } else {
                    for (group, acc) in o.groups.iter().zip(&e.groups) {
                        if wanted.iter().all(|(p, m)| group.get(*p).is_some_and(|g| g == m)) {
                            add(acc);
                        }
                    }
                }
                Value::Num(total)
            })
            .collect();
        columns.insert(f.key.clone(), std::sync::Arc::new(values));
    }
    let files: Vec<LoadedFile> = o
        .stamp
        .data
        .iter()
        .map(|s| LoadedFile {
            path: s.path.clone().into(),
            display: s.path.clone(),
            sha256: s.sha256.clone(),
            sheet: None,
            headers: Vec::new(),
            source: None,
            window: None,
        })
        .collect();
    let rows = keys.len();
    Table {
        dataset: spec.name.clone(),
        records: false,
        files,
        origins: vec![RowOrigin { file: 0, line: 0, offset: 0 }; rows],
        keys,
        periods,
        column_index: spec.fields.iter().map(|f| (f.key.clone(), vec![None])).collect(),
        columns,
        counts: RowCounts {
            read: o.counts.read as usize,
            used: o.counts.used as usize,
            skipped: o.counts.skipped as usize,
            excluded: o.counts.excluded as usize,
        },
        parts: None,
    }
}
