//! Decision tables: shape, columns, cells, overlaps under `hit unique`, gaps, class conflicts.

use super::suggest;
use super::symbols::{Item, Symbols};
use crate::ast::*;
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::source::Spanned;
use crate::table::{self, Value};
use regex::Regex;
use rust_decimal::Decimal;

/// Overlaps reported per table before the rest are summarised.
const MAX_OVERLAPS: usize = 10;

struct InputColumn<'t> {
    index: usize,
    name: &'t str,
    numeric: bool,
    /// A `date` field, whose cells are compared as dates.
    date: bool,
    /// The set whose members the column holds, for a set-typed field.
    set: Option<&'t str>,
}

pub fn check(table: &ClassifyDef, syms: &Symbols<'_>, diags: &mut Vec<Diagnostic>) {
    let Some(fields) = classified_fields(table, syms, diags) else { return };
    let (inputs, outputs) = columns(table, fields, syms, diags);
    if !well_formed(table, &inputs, &outputs, diags) {
        return;
    }
    let regexes = compile_cells(table, &inputs, diags);
    check_set_cells(table, &inputs, syms, diags);
    check_outputs(table, &outputs, syms, diags);
    if table.hit.node == HitPolicy::Unique {
        overlaps(table, &inputs, &regexes, diags);
    }
    gap(table, &inputs, &regexes, syms, diags);
}

/// The fields of the dataset the table classifies, or `None` (reported) if it names none.
fn classified_fields<'s>(
    table: &ClassifyDef,
    syms: &Symbols<'s>,
    diags: &mut Vec<Diagnostic>,
) -> Option<&'s [Spanned<Field>]> {
    match syms.get(&table.dataset.node).map(|s| s.item) {
        Some(Item::Dataset(d)) => Some(&d.fields),
        Some(other) => {
            diags.push(
                Diagnostic::new(
                    Code::WrongKind,
                    format!("`{}` is a {}, not a dataset", table.dataset.node, other.kind()),
                )
                .primary(table.dataset.span, "a decision table classifies the rows of a dataset")
                .help("name a dataset after `on`"),
            );
            None
        }
        None => {
            let names = syms.names_where(|i| matches!(i, Item::Dataset(_)));
            diags.push(
                Diagnostic::new(Code::UnknownName, format!("unknown dataset `{}`", table.dataset.node))
                    .primary(table.dataset.span, "no dataset has this name")
                    .help(suggest::help_for(
                        &table.dataset.node,
                        names,
                        "declare the dataset with `dataset NAME \"title\" records { ... }`",
                    )),
            );
            None
        }
    }
}

/// An output column of the table, with its position among all columns.
type OutputColumn<'t> = (usize, &'t Spanned<Column>);

/// The input columns (each a field of the dataset) and the output columns of the table.
fn columns<'t>(
    table: &'t ClassifyDef,
    fields: &'t [Spanned<Field>],
    syms: &Symbols<'_>,
    diags: &mut Vec<Diagnostic>,
) -> (Vec<InputColumn<'t>>, Vec<OutputColumn<'t>>) {
    let mut inputs = Vec::new();
    let mut outputs = Vec::new();
    for (index, col) in table.columns.iter().enumerate() {
        let name = col.node.name.node.as_str();
        if col.node.output {
            outputs.push((index, col));
            continue;
        }
        match fields.iter().find(|f| f.node.name.node == name) {
            Some(f) => inputs.push(InputColumn {
                index,
                name,
                numeric: is_numeric(&f.node, syms),
                date: matches!(f.node.ty.node, FieldType::Date),
                set: set_of(&f.node, syms),
            }),
            None => diags.push(
                Diagnostic::new(Code::UnknownName, format!("dataset `{}` has no field `{name}`", table.dataset.node))
                    .primary(col.node.name.span, "not a field of the dataset")
                    .help(suggest::help_for(
                        name,
                        fields.iter().map(|f| f.node.name.node.as_str()),
                        "input columns are fields of the dataset",
                    )),
            ),
        }
    }
    (inputs, outputs)
}

/// Whether the table has inputs, outputs, rows, and one cell per column in every row; the
/// cell checks that follow assume all of these.
fn well_formed(
    table: &ClassifyDef,
    inputs: &[InputColumn<'_>],
    outputs: &[OutputColumn<'_>],
    diags: &mut Vec<Diagnostic>,
) -> bool {
    if inputs.is_empty() && outputs.is_empty() {
        return false;
    }
    if outputs.is_empty() || table.columns.iter().all(|c| c.node.output) {
        let span = table.columns.first().map_or(table.dataset.span, |c| c.span);
        diags.push(
            Diagnostic::new(Code::TableShape, "a decision table needs at least one input and one output column")
                .primary(span, if outputs.is_empty() { "no output column" } else { "no input column" })
                .help("mark outputs with `=>`: `| cost_centre | => activity |`"),
        );
        return false;
    }
    if table.rows.is_empty() {
        let span = table.columns.first().map_or(table.dataset.span, |c| c.span);
        diags.push(
            Diagnostic::new(Code::TableShape, "this decision table has no rows")
                .primary(span, "a header and nothing under it")
                .help("add rows such as `| starts \"FIN\" | accounts_payable |`"),
        );
        return false;
    }
    let mut well_formed = true;
    for row in &table.rows {
        if row.node.cells.len() != table.columns.len() {
            well_formed = false;
            diags.push(
                Diagnostic::new(
                    Code::TableShape,
                    format!(
                        "this row has {} cells; the header has {} columns",
                        row.node.cells.len(),
                        table.columns.len()
                    ),
                )
                .primary(row.span, "wrong number of cells")
                .help("give every row one cell per column, `*` where any value will do"),
            );
        }
    }
    well_formed
}

fn set_of<'t>(field: &'t Field, syms: &Symbols<'_>) -> Option<&'t str> {
    match &field.ty.node {
        FieldType::Unit(u) => match u.factors.as_slice() {
            [(n, 1)] if syms.is_index_set(&n.node) => Some(n.node.as_str()),
            _ => None,
        },
        _ => None,
    }
}

fn is_numeric(field: &Field, syms: &Symbols<'_>) -> bool {
    match &field.ty.node {
        FieldType::Unit(u) => !matches!(u.factors.as_slice(), [(n, 1)] if syms.is_index_set(&n.node)),
        _ => false,
    }
}

fn cell(table: &ClassifyDef, row: usize, col: usize) -> Option<&Spanned<Cell>> {
    table.rows.get(row).and_then(|r| r.node.cells.get(col))
}

/// Compile `matches` cells and validate the others; `None` for cells without a pattern.
fn compile_cells(
    table: &ClassifyDef,
    inputs: &[InputColumn<'_>],
    diags: &mut Vec<Diagnostic>,
) -> Vec<Vec<Option<Regex>>> {
    let mut out = Vec::new();
    for (r, row) in table.rows.iter().enumerate() {
        let mut compiled = vec![None; row.node.cells.len()];
        for col in inputs {
            let Some(c) = cell(table, r, col.index) else { continue };
            match &c.node {
                Cell::Regex(pattern) => match regex::RegexBuilder::new(pattern).size_limit(1 << 20).build() {
                    Ok(re) => {
                        if let Some(slot) = compiled.get_mut(col.index) {
                            *slot = Some(re);
                        }
                    }
                    Err(err) => diags.push(
                        Diagnostic::new(Code::InvalidRegex, format!("`{pattern}` is not a valid pattern"))
                            .primary(c.span, first_line(&err.to_string()).trim_start_matches("error: ").to_string())
                            .help("patterns use Rust regex syntax; escape special characters with `\\\\`"),
                    ),
                },
                Cell::Range(lo, hi) => {
                    let (a, b) = (table::literal_value(lo), table::literal_value(hi));
                    let inverted = match (&a, &b) {
                        (Value::Number(x), Value::Number(y)) => x > y,
                        (Value::Text(x), Value::Text(y)) => x > y,
                        (Value::Date(x), Value::Date(y)) => x > y,
                        _ => {
                            diags.push(
                                Diagnostic::new(
                                    Code::InvalidCell,
                                    "a range must have two numbers, two texts or two dates",
                                )
                                .primary(c.span, "mixed range")
                                .help("write `100..200`, `\"4000\"..\"4999\"` or `2010-04-01..2011-03-31`"),
                            );
                            false
                        }
                    };
                    if inverted {
                        diags.push(
                            Diagnostic::new(Code::InvalidCell, format!("the range {a}..{b} is empty"))
                                .primary(c.span, "its low end is above its high end")
                                .help(format!("write {b}..{a}")),
                        );
                    }
                }
                _ => {}
            }
            if col.date && has_non_date_literal(&c.node) {
                diags.push(
                    Diagnostic::new(
                        Code::InvalidCell,
                        format!("column `{}` holds dates, but this cell compares something else", col.name),
                    )
                    .primary(c.span, "not a date in a date column")
                    .help("write dates without quotes, for example `>= 2016-10-01` or `2010-04-01..2011-03-31`"),
                );
            }
            if col.numeric && has_text_literal(&c.node) {
                diags.push(
                    Diagnostic::new(
                        Code::InvalidCell,
                        format!("column `{}` holds numbers, but this cell compares text", col.name),
                    )
                    .primary(c.span, "text in a numeric column")
                    .help("write numbers without quotes, for example `>= 0` or `100..200`"),
                );
            }
        }
        out.push(compiled);
    }
    out
}

/// In a column of set members, the values written must be members.
fn check_set_cells(table: &ClassifyDef, inputs: &[InputColumn<'_>], syms: &Symbols<'_>, diags: &mut Vec<Diagnostic>) {
    for col in inputs {
        let Some(set) = col.set else { continue };
        for row in &table.rows {
            let Some(c) = row.node.cells.get(col.index) else { continue };
            let literals: Vec<&Literal> = match &c.node {
                Cell::Exact(l) => vec![l],
                Cell::Set(items) => items.iter().collect(),
                _ => Vec::new(),
            };
            for lit in literals {
                let (Literal::Word(w) | Literal::Text(w)) = lit else { continue };
                if !syms.is_member(set, w) {
                    let members = syms.members(set).unwrap_or_default();
                    diags.push(
                        Diagnostic::new(Code::UnknownName, format!("`{w}` is not a member of `{set}`"))
                            .primary(c.span, format!("column `{}` holds members of `{set}`", col.name))
                            .help(suggest::help_for(
                                w,
                                members.iter().map(|m| m.name),
                                &format!("use a member of `{set}`"),
                            )),
                    );
                }
            }
        }
    }
}

fn has_text_literal(c: &Cell) -> bool {
    let text = |l: &Literal| matches!(l, Literal::Text(_));
    match c {
        Cell::Starts(_) => true,
        Cell::Exact(l) | Cell::Compare(_, l) => text(l),
        Cell::Range(a, b) => text(a) || text(b),
        Cell::Set(items) => items.iter().any(text),
        Cell::Any | Cell::Regex(_) => false,
    }
}

/// A value that is not a date, which a date cell would never equal or order against.
fn has_non_date_literal(c: &Cell) -> bool {
    let other = |l: &Literal| !matches!(l, Literal::Date(_));
    match c {
        Cell::Exact(l) | Cell::Compare(_, l) => other(l),
        Cell::Range(a, b) => other(a) || other(b),
        Cell::Set(items) => items.iter().any(other),
        Cell::Any | Cell::Starts(_) | Cell::Regex(_) => false,
    }
}

fn first_line(text: &str) -> String {
    text.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("invalid pattern").trim().to_string()
}

/// A value written in a table cell, with where.
type Placed = (String, crate::source::Span);

/// Output cells name members of the output column's set, and activities keep one class.
fn check_outputs(
    table: &ClassifyDef,
    outputs: &[(usize, &Spanned<Column>)],
    syms: &Symbols<'_>,
    diags: &mut Vec<Diagnostic>,
) {
    let mut class_of_row: Vec<(usize, Option<Placed>, Option<Placed>)> = Vec::new();
    for (r, _) in table.rows.iter().enumerate() {
        let mut activity = None;
        let mut class = None;
        for (index, col) in outputs {
            let Some(c) = cell(table, r, *index) else { continue };
            let set = col.node.name.node.as_str();
            let value = match &c.node {
                Cell::Exact(Literal::Word(w) | Literal::Text(w)) => w.clone(),
                Cell::Exact(_) => continue,
                _ => {
                    diags.push(
                        Diagnostic::new(Code::TableShape, format!("output `{set}` must be a value"))
                            .primary(c.span, "a pattern in an output column")
                            .help("output cells hold the value the row gives, such as an activity name"),
                    );
                    continue;
                }
            };
            if syms.is_index_set(set) {
                if !syms.is_member(set, &value) {
                    let members = syms.members(set).unwrap_or_default();
                    diags.push(
                        Diagnostic::new(Code::UnknownName, format!("`{value}` is not a declared {set}"))
                            .primary(c.span, format!("not a {set}"))
                            .help(suggest::help_for(
                                &value,
                                members.iter().map(|m| m.name),
                                &format!("declare it, or use a member of `{set}`"),
                            )),
                    );
                    continue;
                }
                if set == "activity" {
                    activity = Some((value, c.span));
                } else if set == "class" {
                    class = Some((value, c.span));
                }
            }
        }
        class_of_row.push((r, activity, class));
    }
    // An activity given a class other than its own (rows that agree with the declaration
    // agree with each other, so that is the only conflict possible).
    for (_, activity, class) in class_of_row {
        let (Some((act, _)), Some((cls, cls_span))) = (activity, class) else { continue };
        if let Some(Item::Activity { activity: a, .. }) = syms.get(&act).map(|s| s.item) {
            if a.class.node != cls {
                diags.push(
                    Diagnostic::new(
                        Code::ConflictingClass,
                        format!("activity `{act}` is {} but this row makes it {cls}", a.class.node),
                    )
                    .primary(cls_span, format!("`{cls}` here"))
                    .secondary(a.class.span, format!("declared `{}` here", a.class.node))
                    .help("an activity has one class; change the row or the activity's declaration"),
                );
            }
        }
    }
}

/// A value both cells match (`Some(None)` when both are `*`), or `None` when none does.
/// Comparisons, ranges and values are intersected exactly; only prefixes and patterns,
/// which are not intervals, are tried on samples.
fn witness(a: &Cell, ra: Option<&Regex>, b: &Cell, rb: Option<&Regex>) -> Option<Option<Value>> {
    match (a, b) {
        (Cell::Any, Cell::Any) => return Some(None),
        (Cell::Any, c) | (c, Cell::Any) => {
            if let Some(v) = table::inside(c) {
                return Some(Some(v));
            }
        }
        _ => match table::overlap(a, b) {
            table::Overlap::Both(v) => return Some(Some(v)),
            table::Overlap::Disjoint => return None,
            table::Overlap::Unknown => {}
        },
    }
    table::joint_samples(a, b).into_iter().find(|v| table::matches(a, ra, v) && table::matches(b, rb, v)).map(Some)
}

fn overlaps(
    table: &ClassifyDef,
    inputs: &[InputColumn<'_>],
    regexes: &[Vec<Option<Regex>>],
    diags: &mut Vec<Diagnostic>,
) {
    let mut found = 0usize;
    let regex = |r: usize, c: usize| regexes.get(r).and_then(|row| row.get(c)).and_then(Option::as_ref);
    for i in 0..table.rows.len() {
        for j in i.saturating_add(1)..table.rows.len() {
            // Most pairs of a long table differ plainly in a column (two cost centres, two
            // prefixes): they are passed over without the search for a shared value.
            let plainly_apart = inputs.iter().any(|col| match (cell(table, i, col.index), cell(table, j, col.index)) {
                (Some(a), Some(b)) => table::surely_disjoint(&a.node, &b.node),
                _ => false,
            });
            if plainly_apart {
                continue;
            }
            let mut example = Vec::new();
            let both = inputs.iter().all(|col| {
                let (Some(a), Some(b)) = (cell(table, i, col.index), cell(table, j, col.index)) else { return false };
                match witness(&a.node, regex(i, col.index), &b.node, regex(j, col.index)) {
                    Some(Some(v)) => {
                        example.push(format!("{} = {v}", col.name));
                        true
                    }
                    Some(None) => {
                        example.push(format!("any {}", col.name));
                        true
                    }
                    None => false,
                }
            });
            if !both {
                continue;
            }
            found = found.saturating_add(1);
            if found > MAX_OVERLAPS {
                continue;
            }
            let (Some(first), Some(second)) = (table.rows.get(i), table.rows.get(j)) else { continue };
            diags.push(
                Diagnostic::new(
                    Code::TableOverlap,
                    format!(
                        "rows {} and {} of a `hit unique` table can match the same input",
                        i.saturating_add(1),
                        j.saturating_add(1)
                    ),
                )
                .primary(second.span, format!("row {} matches", j.saturating_add(1)))
                .secondary(first.span, format!("row {} matches too", i.saturating_add(1)))
                .help(format!(
                    "for example {} matches both; make the rows exclusive, or use `hit first` if the order decides",
                    example.join(", ")
                )),
            );
        }
    }
    if found > MAX_OVERLAPS {
        diags.push(
            Diagnostic::new(
                Code::TableOverlap,
                format!("{} more overlapping row pairs in this table", found.saturating_sub(MAX_OVERLAPS)),
            )
            .primary(table.hit.span, "`hit unique`")
            .help("fix the overlaps above first; the rest are likely the same mistake"),
        );
    }
}

/// Warn when no row is a catch-all and an input can be found that no row matches.
fn gap(
    table: &ClassifyDef,
    inputs: &[InputColumn<'_>],
    regexes: &[Vec<Option<Regex>>],
    syms: &Symbols<'_>,
    diags: &mut Vec<Diagnostic>,
) {
    let catch_all = table
        .rows
        .iter()
        .any(|r| inputs.iter().all(|c| matches!(r.node.cells.get(c.index).map(|x| &x.node), Some(Cell::Any))));
    if catch_all || table.rows.is_empty() {
        return;
    }
    let candidates: Vec<Vec<Value>> = inputs.iter().map(|col| fresh_values(table, col, syms)).collect();
    if candidates.iter().any(Vec::is_empty) {
        return;
    }
    let mut choice = vec![0usize; inputs.len()];
    for _ in 0..256 {
        let input: Vec<&Value> = candidates.iter().zip(&choice).filter_map(|(c, i)| c.get(*i)).collect();
        let matched = table.rows.iter().enumerate().any(|(r, row)| {
            inputs.iter().zip(&input).all(|(col, v)| {
                let re = regexes.get(r).and_then(|x| x.get(col.index)).and_then(Option::as_ref);
                row.node.cells.get(col.index).is_some_and(|c| table::matches(&c.node, re, v))
            })
        });
        if !matched {
            let example: Vec<String> = inputs.iter().zip(&input).map(|(c, v)| format!("{} = {v}", c.name)).collect();
            diags.push(
                Diagnostic::new(Code::TableGap, "some inputs match no row of this table")
                    .primary(table.hit.span.to(table.dataset.span), "no catch-all row")
                    .help(format!(
                        "for example {} matches no row; add a last row of `*` cells saying what the rest are",
                        example.join(", ")
                    )),
            );
            return;
        }
        if !advance(&mut choice, &candidates) {
            return;
        }
    }
}

fn advance(choice: &mut [usize], candidates: &[Vec<Value>]) -> bool {
    for (slot, options) in choice.iter_mut().zip(candidates) {
        *slot = slot.saturating_add(1);
        if *slot < options.len() {
            return true;
        }
        *slot = 0;
    }
    false
}

/// Values for a column that the table's cells are unlikely to match.
fn fresh_values(table: &ClassifyDef, col: &InputColumn<'_>, syms: &Symbols<'_>) -> Vec<Value> {
    if let Some(set) = col.set {
        // Data in this column are always members: try each of them.
        return syms.members(set).unwrap_or_default().iter().map(|m| Value::Text(m.name.to_string())).collect();
    }
    if col.numeric {
        let numbers: Vec<Decimal> = table
            .rows
            .iter()
            .filter_map(|r| r.node.cells.get(col.index))
            .flat_map(|c| table::samples(&c.node))
            .filter_map(|v| match v {
                Value::Number(n) => Some(n),
                _ => None,
            })
            .collect();
        let min = numbers.iter().min().copied().unwrap_or_default();
        let max = numbers.iter().max().copied().unwrap_or_default();
        let low = min.checked_sub(Decimal::ONE).unwrap_or(min);
        let high = max.checked_add(Decimal::ONE).unwrap_or(max);
        return vec![Value::Number(low), Value::Number(high), Value::Number(Decimal::ZERO)];
    }
    if col.date {
        // The day before the earliest date written and the day after the latest: dates
        // are compared as dates, so text would say nothing about them.
        let dates: Vec<crate::ast::Date> = table
            .rows
            .iter()
            .filter_map(|r| r.node.cells.get(col.index))
            .flat_map(|c| table::samples(&c.node))
            .filter_map(|v| match v {
                Value::Date(d) => Some(d),
                _ => None,
            })
            .collect();
        let edge = |op, d: Option<&crate::ast::Date>| d.map(|d| Cell::Compare(op, Literal::Date(*d)));
        let edges = [edge(CompareOp::Lt, dates.iter().min()), edge(CompareOp::Gt, dates.iter().max())];
        return edges.iter().flatten().filter_map(table::inside).collect();
    }
    vec![Value::Text("other".into()), Value::Text(String::new()), Value::Text("zzz".into())]
}
