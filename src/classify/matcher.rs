//! A decision table compiled once for streaming: each input column indexed by value (see
//! [`crate::table::ColumnIndex`]), so that the rows a cell matches are found at a cost that
//! does not grow with the table, and output tuples numbered.

use crate::ast::{Cell, ClassifyDef, HitPolicy};
use crate::check::symbols::{Item, Symbols};
use crate::data::{DatasetSpec, FieldKind};
use crate::source::Span;
use crate::table::{self, ColumnIndex, Value};

/// One input column of the table, and the dataset field it reads.
#[derive(Debug, Clone)]
pub struct Input {
    /// The field's position in the dataset spec.
    pub field: usize,
    pub numeric: bool,
}

/// The compiled table.
#[derive(Debug)]
pub struct Matcher {
    pub name: String,
    pub hit: HitPolicy,
    pub inputs: Vec<Input>,
    /// Output column names, as the aggregate shows them (a derived `function` first when
    /// the table gives an activity but no function).
    pub outputs: Vec<String>,
    /// Each distinct tuple of output values, in the order the rows first give it.
    pub groups: Vec<Vec<String>>,
    /// Each input column's cells, indexed (in `inputs` order).
    columns: Vec<ColumnIndex>,
    /// Each row's group.
    row_groups: Vec<usize>,
    /// Where each row is written, for run-time diagnostics.
    pub row_spans: Vec<Span>,
}

pub use crate::table::Rows;

impl Matcher {
    /// Compile a table that has passed `check` (its shape and patterns are valid).
    pub fn compile(name: &str, def: &ClassifyDef, spec: &DatasetSpec, syms: &Symbols<'_>) -> Matcher {
        let mut inputs = Vec::new();
        let mut input_cols = Vec::new();
        let mut output_cols = Vec::new();
        for (i, col) in def.columns.iter().enumerate() {
            if col.node.output {
                output_cols.push((i, col.node.name.node.clone()));
            } else if let Some(field) = spec.fields.iter().position(|f| f.key.field == col.node.name.node) {
                let numeric = matches!(spec.fields.get(field).map(|f| &f.kind), Some(FieldKind::Number));
                inputs.push(Input { field, numeric });
                input_cols.push(i);
            }
        }
        // An activity belongs to a function: aggregates by activity also say which one.
        let derive_function = output_cols.iter().any(|(_, n)| n == "activity")
            && !output_cols.iter().any(|(_, n)| n == "function")
            && syms.is_index_set("activity");
        let mut outputs: Vec<String> = Vec::new();
        if derive_function {
            outputs.push("function".to_string());
        }
        outputs.extend(output_cols.iter().map(|(_, n)| n.clone()));
        let mut groups: Vec<Vec<String>> = Vec::new();
        let mut row_groups = Vec::new();
        let mut row_spans = Vec::new();
        let columns = input_cols
            .iter()
            .map(|&c| {
                let cells: Vec<_> = def
                    .rows
                    .iter()
                    .map(|row| {
                        let cell = row.node.cells.get(c).map_or(Cell::Any, |c| c.node.clone());
                        let regex = match &cell {
                            Cell::Regex(p) => regex::RegexBuilder::new(p).size_limit(1 << 20).build().ok(),
                            _ => None,
                        };
                        (cell, regex)
                    })
                    .collect();
                ColumnIndex::new(cells)
            })
            .collect();
        for row in &def.rows {
            let mut values: Vec<String> = output_cols
                .iter()
                .map(|(c, _)| match row.node.cells.get(*c).map(|c| &c.node) {
                    Some(Cell::Exact(lit)) => match table::literal_value(lit) {
                        Value::Text(t) => t,
                        Value::Number(n) => n.to_string(),
                        Value::Date(d) => d.to_string(),
                        Value::Missing => String::new(),
                    },
                    _ => String::new(),
                })
                .collect();
            if derive_function {
                let activity = output_cols.iter().position(|(_, n)| n == "activity").and_then(|p| values.get(p));
                let function = match activity.and_then(|a| syms.get(a)).map(|s| s.item) {
                    Some(Item::Activity { function, .. }) => function.to_string(),
                    _ => String::new(),
                };
                values.insert(0, function);
            }
            let group = match groups.iter().position(|g| *g == values) {
                Some(g) => g,
                None => {
                    groups.push(values);
                    groups.len().saturating_sub(1)
                }
            };
            row_groups.push(group);
            row_spans.push(row.span);
        }
        Matcher { name: name.to_string(), hit: def.hit.node, inputs, outputs, groups, columns, row_groups, row_spans }
    }

    /// Words in a row set.
    pub fn words(&self) -> usize {
        self.row_groups.len().div_ceil(64)
    }

    /// The rows whose cell in input column `input` matches `value` (every row for a
    /// column the table does not have).
    pub fn column_rows(&self, input: usize, value: &Value) -> Rows {
        match self.columns.get(input) {
            Some(column) => column.rows(value),
            None => vec![u64::MAX; self.words()],
        }
    }

    /// The rows whose cell in input column `input` matches `value`, into `out`.
    pub fn column_rows_into(&self, input: usize, value: &Value, out: &mut Rows) {
        match self.columns.get(input) {
            Some(column) => column.rows_into(value, out),
            None => {
                out.clear();
                out.resize(self.words(), u64::MAX);
            }
        }
    }

    /// Whether row `r`'s cell in input column `input` matches `value`.
    pub fn row_matches(&self, input: usize, r: u32, value: &Value) -> bool {
        self.columns.get(input).is_none_or(|column| column.row_matches(r, value))
    }

    pub fn group_of(&self, r: u32) -> usize {
        self.row_groups.get(r as usize).copied().unwrap_or(0)
    }

    pub fn row_count(&self) -> usize {
        self.row_groups.len()
    }
}
