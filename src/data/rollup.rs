//! Records rolled up to entities: one row per entity and period, each field summed over
//! its records (`sum`) or taken from them when they all agree (`same`). Missing values are
//! left out of a sum; a sum with no values is missing.

use super::{DatasetSpec, FieldSpec, LoadContext, RowOrigin, Table};
use crate::ast::Rollup;
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::value::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

pub fn roll_up(records: Table, spec: &DatasetSpec, ctx: &mut LoadContext<'_>) -> Table {
    let Grouped { groups, keys, periods } = group(&records);
    let mut columns = BTreeMap::new();
    let mut conflicts = 0usize;
    for f in spec.fields.iter().filter(|f| f.rollup.is_some()) {
        let Some(values) = records.columns.get(&f.key) else { continue };
        let rolled: Vec<Value> = groups
            .iter()
            .enumerate()
            .map(|(g, rows)| {
                let present: Vec<&Value> =
                    rows.iter().filter_map(|r| values.get(*r)).filter(|v| !v.is_missing()).collect();
                match f.rollup {
                    Some(Rollup::Sum) if present.is_empty() => {
                        // Keep the cells' own reason (such as "column not in file").
                        rows.iter()
                            .filter_map(|r| values.get(*r))
                            .find(|v| v.is_missing())
                            .cloned()
                            .unwrap_or_else(|| Value::missing("no rows"))
                    }
                    Some(Rollup::Sum) => sum(&present),
                    _ => {
                        let first = present.first().map(|v| (*v).clone());
                        if present.iter().any(|v| Some(*v) != first.as_ref()) {
                            conflicts = conflicts.saturating_add(1);
                            if conflicts <= 10 {
                                let key = keys.get(g).map(|k| k.to_string()).unwrap_or_default();
                                ctx.diagnostics.push(disagreement(spec, f, &key, &present));
                            }
                            Value::missing(format!("rows disagree on `{}`", f.key))
                        } else {
                            first.unwrap_or_else(|| Value::missing("missing in every row"))
                        }
                    }
                }
            })
            .collect();
        columns.insert(f.key.clone(), Arc::new(rolled));
    }
    let origins: Vec<RowOrigin> =
        groups.iter().filter_map(|rows| rows.first().and_then(|r| records.origins.get(*r)).copied()).collect();
    let parts =
        groups.iter().map(|rows| rows.iter().filter_map(|r| records.origins.get(*r).copied()).collect()).collect();
    let column_index = records.column_index.into_iter().filter(|(k, _)| columns.contains_key(k)).collect();
    Table {
        dataset: records.dataset,
        records: false,
        files: records.files,
        origins,
        keys,
        periods,
        columns,
        column_index,
        counts: records.counts,
        parts: Some(parts),
    }
}

/// The records' rows by entity and period, and each group's key and period.
struct Grouped {
    groups: Vec<Vec<usize>>,
    keys: Vec<Arc<str>>,
    periods: Vec<Arc<str>>,
}

/// Group the records by entity and period, in order of first appearance, so the result
/// does not depend on hashing.
fn group(records: &Table) -> Grouped {
    let mut index: HashMap<(Arc<str>, Arc<str>), usize> = HashMap::new();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut keys = Vec::new();
    let mut periods = Vec::new();
    for (row, (k, p)) in records.keys.iter().zip(&records.periods).enumerate() {
        let g = *index.entry((k.clone(), p.clone())).or_insert_with(|| {
            keys.push(k.clone());
            periods.push(p.clone());
            groups.push(Vec::new());
            groups.len().saturating_sub(1)
        });
        if let Some(members) = groups.get_mut(g) {
            members.push(row);
        }
    }
    Grouped { groups, keys, periods }
}

/// The error for an entity's records that disagree on a `same` field, listing the values.
fn disagreement(spec: &DatasetSpec, f: &FieldSpec, key: &str, present: &[&Value]) -> Diagnostic {
    let seen: Vec<String> =
        present.iter().map(|v| v.to_string()).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    Diagnostic::new(Code::DataDuplicateKey, format!("the rows of `{key}` disagree on `{}`: {}", f.key, seen.join(", ")))
        .primary(spec.span, format!("`{}` is declared `same`", f.key))
        .help("the value is left missing; correct the data, or sum the field instead")
}

fn sum(present: &[&Value]) -> Value {
    let mut total = rust_decimal::Decimal::ZERO;
    for v in present {
        match v.as_num().and_then(|d| total.checked_add(d)) {
            Some(t) => total = t,
            None => return Value::missing("sum too large"),
        }
    }
    Value::Num(total)
}
