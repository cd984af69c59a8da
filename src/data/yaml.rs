//! YAML data files: a list of records, each a mapping from column name to value. Values
//! keep their position, so a bad one is underlined like a bad CSV cell; numbers are read
//! from their source text, never through floating point.

use super::cells::{convert, CellProblem, MissingValues};
use super::csv::{map_columns, Columns};
use super::{CellLocator, DatasetSpec, FilePart, LoadContext, LoadedFile, RowOrigin, RowProblem};
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::source::Span;
use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

pub fn read(spec: &DatasetSpec, path: &Path, display: &str, ctx: &mut LoadContext<'_>) -> Option<FilePart> {
    let (text, sha256) = super::read_text(path, display, spec, ctx)?;
    let source = ctx.add_source(display, path, text.clone());
    let offsets = CharOffsets::new(&text);
    let unreadable = |ctx: &mut LoadContext<'_>, at: (usize, usize), why: String| {
        ctx.diagnostics.push(
            Diagnostic::new(Code::DataUnreadable, format!("`{display}` is not a list of records: {why}"))
                .primary(Span::new(source, at.0, at.1), "here")
                .help("a YAML dataset is a list of mappings, one per row, such as `- {Code: RBD, Turnover: 1000}`"),
        );
    };
    let doc = match one_document(&text, &offsets) {
        Ok(d) => d,
        Err(YamlError::Syntax(why, at)) => {
            ctx.diagnostics.push(
                Diagnostic::new(Code::DataUnreadable, format!("`{display}` is not valid YAML: {why}"))
                    .primary(Span::new(source, at, at.saturating_add(1)), "here")
                    .help("check the indentation and quoting around this point"),
            );
            return None;
        }
        Err(YamlError::SecondDocument(at)) => {
            ctx.diagnostics.push(
                Diagnostic::new(Code::DataUnreadable, format!("`{display}` holds more than one YAML document"))
                    .primary(Span::new(source, at, at.saturating_add(1)), "a second document starts here")
                    .help("a YAML dataset is one list of records: remove the `---` between them"),
            );
            return None;
        }
    };
    let records = records_of(doc.as_ref(), spec, source, display, &offsets, ctx)?;
    let (headers, rows) = match by_column(records, &text, &offsets) {
        Ok(read) => read,
        Err((at, why)) => {
            unreadable(ctx, at, why);
            return None;
        }
    };
    let first = rows.first().map_or((0, 0), |(o, _)| (o.offset, o.offset));
    let columns = map_columns(spec, &headers, Span::new(source, first.0, first.1), display, ctx)?;
    let missing = MissingValues::new(spec);
    let mut part = FilePart::new(
        LoadedFile {
            path: path.to_path_buf(),
            display: display.to_string(),
            sha256,
            sheet: None,
            headers: headers.clone(),
            source: Some(source),
            window: None,
        },
        CellLocator::Spans(HashMap::new()),
        spec.fields.len(),
        columns.fields.clone(),
    );
    let spans = fill(&mut part, rows, spec, &columns, &headers, &missing);
    part.locate = CellLocator::Spans(spans);
    Some(part)
}

/// Why a YAML file is not one document: a syntax error (what, and the byte offset), or a
/// second document (its byte offset).
pub enum YamlError {
    Syntax(String, usize),
    SecondDocument(usize),
}

/// The one document of a YAML file (none when it is empty). A second document is an
/// error: reading only the first would drop the rest of the file without a word.
pub fn one_document<'t>(text: &'t str, offsets: &CharOffsets) -> Result<Option<MarkedYaml<'t>>, YamlError> {
    let mut docs = MarkedYaml::load_from_str(text)
        .map_err(|e| YamlError::Syntax(e.info().to_string(), offsets.byte(e.marker().index())))?;
    if let Some(second) = docs.get(1) {
        return Err(YamlError::SecondDocument(span_of(second, offsets).0));
    }
    Ok(docs.pop())
}

/// The records of a YAML dataset: its document, which must be a non-empty list.
fn records_of<'d>(
    root: Option<&'d MarkedYaml<'d>>,
    spec: &DatasetSpec,
    source: usize,
    display: &str,
    offsets: &CharOffsets,
    ctx: &mut LoadContext<'_>,
) -> Option<&'d [MarkedYaml<'d>]> {
    let Some(root) = root else {
        ctx.diagnostics.push(
            Diagnostic::new(Code::DataEmpty, format!("`{display}` is empty"))
                .primary(Span::new(source, 0, 0), "no records")
                .help(format!("dataset `{}` expects a list of records", spec.name)),
        );
        return None;
    };
    let YamlData::Sequence(records) = &root.data else {
        let s = span_of(root, offsets);
        ctx.diagnostics.push(
            Diagnostic::new(
                Code::DataUnreadable,
                format!("`{display}` is not a list of records: the top level is not a list"),
            )
            .primary(Span::new(source, s.0, s.1), "here")
            .help("a YAML dataset is a list of mappings, one per row, such as `- {Code: RBD, Turnover: 1000}`"),
        );
        return None;
    };
    if records.is_empty() {
        let s = span_of(root, offsets);
        ctx.diagnostics.push(
            Diagnostic::new(Code::DataEmpty, format!("`{display}` has no records"))
                .primary(Span::new(source, s.0, s.1), "an empty list")
                .help(format!("dataset `{}` needs at least one record", spec.name)),
        );
        return None;
    }
    Some(records)
}

/// Every record's values by column, and the headers: every key, in order of first
/// appearance. An item that is not a mapping, or a key that is not one value, is an
/// error at its byte range, with what it is instead.
#[allow(clippy::type_complexity, reason = "the two results of one pass, named by the doc comment")]
fn by_column(
    records: &[MarkedYaml<'_>],
    text: &str,
    offsets: &CharOffsets,
) -> Result<(Vec<String>, Vec<(RowOrigin, Cells)>), ((usize, usize), String)> {
    let mut headers: Vec<String> = Vec::new();
    let mut rows: Vec<(RowOrigin, Cells)> = Vec::new();
    for record in records {
        let (start, end) = span_of(record, offsets);
        let YamlData::Mapping(map) = &record.data else {
            return Err(((start, end), "this item is not a mapping".to_string()));
        };
        let line = record.span.start.line();
        let mut cells = Cells::new();
        for (k, v) in map {
            let key =
                scalar_text(k, text, offsets).map_err(|shape| (span_of(k, offsets), format!("a key is {shape}")))?;
            let col = match headers.iter().position(|h| *h == key) {
                Some(c) => c,
                None => {
                    headers.push(key);
                    headers.len().saturating_sub(1)
                }
            };
            cells.insert(col, (scalar_text(v, text, offsets), trimmed_span(v, text, offsets)));
        }
        rows.push((RowOrigin { file: 0, line, offset: start }, cells));
    }
    Ok((headers, rows))
}

/// The records into `part`'s columns (those excluded counted and left out, a bad value a
/// row problem); returns where each kept cell is in the file, by (row, column).
fn fill(
    part: &mut FilePart,
    rows: Vec<(RowOrigin, Cells)>,
    spec: &DatasetSpec,
    columns: &Columns,
    headers: &[String],
    missing: &MissingValues,
) -> HashMap<(usize, usize), (usize, usize)> {
    let mut spans = HashMap::new();
    for (origin, cells) in rows {
        let get = |c: usize| cells.get(&c).and_then(|(t, _)| t.as_deref().ok()).unwrap_or("");
        let mut exclusion = Ok(false);
        for (rule, col) in spec.exclude.iter().zip(&columns.exclude) {
            exclusion = super::cells::excludes(spec, rule, col.map_or("", get), missing)
                .map_err(|problem| (col.unwrap_or_default(), problem));
            if exclusion != Ok(false) {
                break;
            }
        }
        if exclusion == Ok(true) {
            part.excluded = part.excluded.saturating_add(1);
            continue;
        }
        let row = part.keys.len();
        if let Err((column, problem)) = exclusion {
            part.problems.push(RowProblem { row, column: Some(column), problem });
        }
        for (col, (_, s)) in &cells {
            spans.insert((row, *col), *s);
        }
        // A mapping or list in a column the dataset reads has no one value: refused, never blank.
        let read = |c: usize| c == columns.key || columns.period == Some(c) || columns.fields.contains(&Some(c));
        for (col, (value, _)) in &cells {
            if let (Err(shape), true) = (value, read(*col)) {
                let header = headers.get(*col).cloned().unwrap_or_default();
                part.problems.push(RowProblem {
                    row,
                    column: Some(*col),
                    problem: CellProblem::NotAScalar { shape, header },
                });
            }
        }
        let key = get(columns.key).trim().to_string();
        if key.is_empty() && cells.get(&columns.key).is_none_or(|(v, _)| v.is_ok()) {
            part.problems.push(RowProblem::missing_key(row, columns.key, spec));
        }
        part.origins.push(origin);
        part.keys.push(Arc::from(key));
        part.periods.push(Arc::from(columns.period.map_or("", get).trim()));
        for ((f, src), out) in spec.fields.iter().zip(&columns.fields).zip(part.columns.iter_mut()) {
            let value = match src {
                None => missing.no_column.clone(),
                // Reported above.
                Some(c) if cells.get(c).is_some_and(|(v, _)| v.is_err()) => missing.blank.clone(),
                Some(c) => match convert(f, get(*c), headers.get(*c).map_or("", String::as_str), missing) {
                    Ok(v) => v,
                    Err(problem) => {
                        part.problems.push(RowProblem { row, column: Some(*c), problem });
                        missing.blank.clone()
                    }
                },
            };
            out.push(value);
        }
    }
    spans
}

/// A record's values by column, in column order: the text (or what the value is instead
/// of one, such as "a mapping") and its byte range in the file.
type Cells = BTreeMap<usize, (Result<String, &'static str>, (usize, usize))>;

/// A scalar as text: numbers exactly as written in the file, strings as parsed. A mapping,
/// a list, an alias or an unreadable value is not one value: what it is instead.
fn scalar_text(node: &MarkedYaml<'_>, text: &str, offsets: &CharOffsets) -> Result<String, &'static str> {
    match &node.data {
        YamlData::Value(Scalar::Null) => Ok(String::new()),
        YamlData::Value(Scalar::Boolean(b)) => Ok(b.to_string()),
        YamlData::Value(Scalar::String(s)) => Ok(s.to_string()),
        YamlData::Value(Scalar::Integer(_) | Scalar::FloatingPoint(_)) | YamlData::Representation(..) => {
            let (s, e) = span_of(node, offsets);
            Ok(text.get(s..e).unwrap_or("").trim().to_string())
        }
        YamlData::Tagged(_, inner) => scalar_text(inner, text, offsets),
        YamlData::Mapping(_) => Err("a mapping"),
        YamlData::Sequence(_) => Err("a list"),
        YamlData::Alias(_) => Err("an alias"),
        YamlData::BadValue => Err("an unreadable value"),
    }
}

fn span_of(node: &MarkedYaml<'_>, offsets: &CharOffsets) -> (usize, usize) {
    let s = offsets.byte(node.span.start.index());
    let e = offsets.byte(node.span.end.index());
    (s, e.max(s))
}

/// A value's span without the line breaks and indentation before the next key, which a
/// block mapping's or list's span takes in.
fn trimmed_span(node: &MarkedYaml<'_>, text: &str, offsets: &CharOffsets) -> (usize, usize) {
    let (s, e) = span_of(node, offsets);
    (s, text.get(s..e).map_or(e, |t| s.saturating_add(t.trim_end().len())))
}

/// Character index to byte offset (YAML positions count characters).
pub struct CharOffsets(Option<Vec<usize>>);

impl CharOffsets {
    pub fn new(text: &str) -> CharOffsets {
        if text.is_ascii() {
            CharOffsets(None)
        } else {
            let mut v: Vec<usize> = text.char_indices().map(|(b, _)| b).collect();
            v.push(text.len());
            CharOffsets(Some(v))
        }
    }

    pub fn byte(&self, index: usize) -> usize {
        match &self.0 {
            None => index,
            Some(v) => v.get(index).copied().unwrap_or_else(|| v.last().copied().unwrap_or(0)),
        }
    }
}
