//! Decision-table cases: records put through a `classify` table with its hit policy, the
//! outputs compared with the expected ones, and the rows that matched noted for coverage.

use super::spec::{Classify, Record};
use crate::ast::{ClassifyDef, HitPolicy, Literal};
use crate::check::symbols::Item;
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::eval::coverage::Recorder;
use crate::eval::model::Model;
use crate::source::Span;
use crate::table::{self, Value};
use regex::Regex;

/// Run the records; failures as report lines (each starting with the record's place, from
/// `place`), mistakes in the case as diagnostics.
pub fn run(
    model: &Model<'_>,
    case: &Classify,
    recorder: &mut Recorder,
    place: &dyn Fn(Span) -> String,
) -> (Vec<String>, Vec<Diagnostic>) {
    let mut report = Vec::new();
    let mut diags = Vec::new();
    let Some(Item::Classify(def)) = model.syms.get(&case.table).map(|s| s.item) else {
        let tables = model.syms.names_where(|i| matches!(i, Item::Classify(_)));
        diags.push(
            Diagnostic::new(Code::TestFileInvalid, format!("no decision table `{}`", case.table))
                .primary(case.table_span, "not a decision table")
                .help(crate::check::suggest::help_for(
                    &case.table,
                    tables.iter().copied(),
                    &format!("the decision tables are: {}", tables.join(", ")),
                )),
        );
        return (report, diags);
    };
    let regexes = row_regexes(def);
    let columns: Vec<(&str, bool)> = def.columns.iter().map(|c| (c.node.name.node.as_str(), c.node.output)).collect();
    for (n, record) in case.records.iter().enumerate() {
        let given = given(case, &columns, record, &mut diags);
        let matched = matching_rows(def, &columns, &regexes, &given.inputs);
        let hits: Vec<usize> = match def.hit.node {
            HitPolicy::First => matched.iter().take(1).copied().collect(),
            HitPolicy::Unique | HitPolicy::Collect => matched.clone(),
        };
        hits.iter().for_each(|r| {
            recorder.rows.insert((case.table.clone(), *r));
        });
        let shown_inputs: Vec<String> = columns
            .iter()
            .zip(&given.inputs)
            .filter(|((_, out), _)| !out)
            .map(|((c, _), v)| format!("{c} = {v}"))
            .collect();
        let what = format!("{}: record {} ({})", place(record.span), n.saturating_add(1), shown_inputs.join(", "));
        failures(def, &columns, &given, &hits, &what, &mut report);
    }
    (report, diags)
}

/// Each row's cells with the compiled pattern of `matches` cells.
fn row_regexes(def: &ClassifyDef) -> Vec<Vec<Option<Regex>>> {
    def.rows
        .iter()
        .map(|r| {
            r.node
                .cells
                .iter()
                .map(|c| match &c.node {
                    crate::ast::Cell::Regex(p) => Regex::new(p).ok(),
                    _ => None,
                })
                .collect()
        })
        .collect()
}

/// What a record gives and expects.
struct Given<'r> {
    /// A value for each column (missing for outputs and inputs not given).
    inputs: Vec<Value>,
    /// The outputs expected: (column, values).
    expected: Vec<(usize, &'r Vec<String>)>,
    /// The row expected to match (`row: 3`, or `none`).
    row: Option<&'r str>,
}

/// A record's cells sorted into inputs, expected outputs and the expected row; a cell
/// naming no column is a diagnostic.
fn given<'r>(case: &Classify, columns: &[(&str, bool)], record: &'r Record, diags: &mut Vec<Diagnostic>) -> Given<'r> {
    let mut inputs: Vec<Value> = vec![Value::Missing; columns.len()];
    let mut expected: Vec<(usize, &Vec<String>)> = Vec::new();
    let mut row_expected: Option<&str> = None;
    for (key, values, span) in &record.cells {
        if key == "row" {
            row_expected = values.first().map(String::as_str);
            continue;
        }
        match columns.iter().position(|(c, _)| c == key) {
            Some(i) if columns.get(i).is_some_and(|(_, out)| *out) => expected.push((i, values)),
            Some(i) => {
                if let (Some(slot), Some(v)) = (inputs.get_mut(i), values.first()) {
                    *slot = Value::Text(v.clone());
                }
            }
            None => {
                let names: Vec<&str> = columns.iter().map(|(c, _)| *c).chain(["row"]).collect();
                diags.push(
                    Diagnostic::new(Code::TestFileInvalid, format!("table `{}` has no column `{key}`", case.table))
                        .primary(*span, "not a column")
                        .help(crate::check::suggest::help_for(
                            key,
                            names.iter().copied(),
                            &format!("its columns are: {}", names.join(", ")),
                        )),
                );
            }
        }
    }
    Given { inputs, expected, row: row_expected }
}

/// Into `report`, each way the rows `hits` fail the record (`what`): several rows under
/// `hit unique`, another row than expected, outputs other than expected.
fn failures(
    def: &ClassifyDef,
    columns: &[(&str, bool)],
    given: &Given<'_>,
    hits: &[usize],
    what: &str,
    report: &mut Vec<String>,
) {
    if def.hit.node == HitPolicy::Unique && hits.len() > 1 {
        let rows: Vec<String> = hits.iter().map(|r| r.saturating_add(1).to_string()).collect();
        report.push(format!("{what}: rows {} all match under `hit unique`", rows.join(", ")));
        return;
    }
    let rows_hit: Vec<String> = hits.iter().map(|r| r.saturating_add(1).to_string()).collect();
    if let Some(want) = given.row {
        let ok = if want == "none" { hits.is_empty() } else { rows_hit.iter().any(|r| r == want) };
        if !ok {
            let got = if rows_hit.is_empty() { "none".to_string() } else { rows_hit.join(", ") };
            report.push(format!("{what}: expected row {want} to match; matched: {got}"));
        }
    }
    for &(col, want) in &given.expected {
        let got: Vec<String> = hits.iter().filter_map(|r| output(def, *r, col)).collect();
        if got != *want {
            let name = columns.get(col).map_or("", |(c, _)| c);
            let show = |v: &[String]| if v.is_empty() { "nothing".to_string() } else { v.join(", ") };
            report.push(format!(
                "{what}: `{name}` expected {}, got {} (row{} {})",
                show(want),
                show(&got),
                if hits.len() == 1 { "" } else { "s" },
                if rows_hit.is_empty() { "none".to_string() } else { rows_hit.join(", ") }
            ));
        }
    }
}

/// The rows (indices) whose every input cell matches, in table order.
fn matching_rows(
    def: &ClassifyDef,
    columns: &[(&str, bool)],
    regexes: &[Vec<Option<Regex>>],
    inputs: &[Value],
) -> Vec<usize> {
    def.rows
        .iter()
        .enumerate()
        .filter(|(r, row)| {
            row.node.cells.iter().enumerate().all(|(c, cell)| {
                let output = columns.get(c).is_none_or(|(_, out)| *out);
                output || {
                    let re = regexes.get(*r).and_then(|v| v.get(c)).and_then(Option::as_ref);
                    table::matches(&cell.node, re, inputs.get(c).unwrap_or(&Value::Missing))
                }
            })
        })
        .map(|(r, _)| r)
        .collect()
}

/// A row's output cell as text.
fn output(def: &ClassifyDef, row: usize, col: usize) -> Option<String> {
    let cell = def.rows.get(row)?.node.cells.get(col)?;
    match &cell.node {
        crate::ast::Cell::Exact(Literal::Text(s) | Literal::Word(s)) => Some(s.clone()),
        crate::ast::Cell::Exact(Literal::Number(n)) => Some(n.normalize().to_string()),
        crate::ast::Cell::Exact(Literal::Date(d)) => Some(d.to_string()),
        _ => None,
    }
}
