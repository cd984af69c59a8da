//! A decision table compiled once for streaming: regexes built, output tuples numbered, and
//! the text columns separated from the numeric ones so that a record's text values (which
//! repeat a lot: cost centres, accounts) are matched once per distinct combination.

use crate::ast::{Cell, ClassifyDef, HitPolicy};
use crate::check::symbols::{Item, Symbols};
use crate::data::{DatasetSpec, FieldKind};
use crate::source::Span;
use crate::table::{self, Value};
use regex::Regex;

/// One input column of the table, and the dataset field it reads.
#[derive(Debug, Clone)]
pub struct Input {
    /// The field's position in the dataset spec.
    pub field: usize,
    pub numeric: bool,
}

#[derive(Debug)]
struct CompiledCell {
    cell: Cell,
    regex: Option<Regex>,
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
    /// For each row: its cells (input columns only, in `inputs` order) and its group.
    rows: Vec<(Vec<CompiledCell>, usize)>,
    /// Where each row is written, for run-time diagnostics.
    pub row_spans: Vec<Span>,
}

/// A set of rows, one bit each (row r is bit r % 64 of word r / 64).
pub type Rows = Vec<u64>;

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
        let mut rows = Vec::new();
        let mut row_spans = Vec::new();
        for row in &def.rows {
            let cells = input_cols
                .iter()
                .map(|&c| {
                    let cell = row.node.cells.get(c).map_or(Cell::Any, |c| c.node.clone());
                    let regex = match &cell {
                        Cell::Regex(p) => regex::RegexBuilder::new(p).size_limit(1 << 20).build().ok(),
                        _ => None,
                    };
                    CompiledCell { cell, regex }
                })
                .collect();
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
            rows.push((cells, group));
            row_spans.push(row.span);
        }
        Matcher { name: name.to_string(), hit: def.hit.node, inputs, outputs, groups, rows, row_spans }
    }

    /// Words in a row set.
    pub fn words(&self) -> usize {
        self.rows.len().div_ceil(64)
    }

    /// The rows whose cell in input column `input` matches `value`. Columns are matched
    /// one at a time so that each column's distinct values (a few hundred cost centres, a
    /// few thousand accounts) are matched once, not each combination of them.
    pub fn column_rows(&self, input: usize, value: &Value) -> Rows {
        let mut out = vec![0u64; self.words()];
        for (r, (cells, _)) in self.rows.iter().enumerate() {
            let hit = cells.get(input).is_none_or(|c| table::matches(&c.cell, c.regex.as_ref(), value));
            if let (true, Some(w)) = (hit, out.get_mut(r / 64)) {
                *w |= 1 << (r % 64);
            }
        }
        out
    }

    /// Does row `r` match these numeric values (one per numeric input, in order)?
    pub fn numbers_match(&self, r: u32, numbers: &[Value]) -> bool {
        let Some((cells, _)) = self.rows.get(r as usize) else { return false };
        let mut values = numbers.iter();
        self.inputs.iter().zip(cells).all(|(input, c)| {
            if !input.numeric {
                return true;
            }
            let value = values.next().unwrap_or(&Value::Missing);
            table::matches(&c.cell, c.regex.as_ref(), value)
        })
    }

    pub fn group_of(&self, r: u32) -> usize {
        self.rows.get(r as usize).map_or(0, |(_, g)| *g)
    }

    pub fn row_count(&self) -> usize {
        self.rows.len()
    }

    pub fn has_numeric_inputs(&self) -> bool {
        self.inputs.iter().any(|i| i.numeric)
    }
}
