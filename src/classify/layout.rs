//! The header of a streamed file: which column each needed field comes from. Only the
//! key, the period, the table's inputs and the summed fields are needed; a missing one
//! is a diagnostic pointing at the header row and at the field's declaration.

use super::chunk::Layout;
use super::matcher::Matcher;
use super::problems::Shown;
use super::split::{field_bytes, split_record, FieldRange};
use crate::data::stream::RawChunk;
use crate::data::DatasetSpec;
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::source::{SourceFile, Span};

/// Read the header from the first chunk (which then starts at the first record).
pub fn read_header(
    first: &mut RawChunk,
    spec: &DatasetSpec,
    matcher: &Matcher,
    sum_fields: &[usize],
    period: &Option<String>,
    shown: &mut Shown,
    sources: &mut Vec<SourceFile>,
) -> Result<Layout, Vec<Diagnostic>> {
    let headers = header_row(first, spec, shown);
    let find = |name: &str| headers.iter().position(|h| h == name.trim());
    let mut diags = Vec::new();
    let mut need = |name: &str, alternatives: &[String], rule_span: Span, what: String| -> Option<usize> {
        let found = std::iter::once(name).chain(alternatives.iter().map(String::as_str)).find_map(find);
        if found.is_none() {
            diags.push((name.to_string(), rule_span, what));
        }
        found
    };
    let key = need(&spec.key_column.node, &[], spec.key_column.span, format!("the key of dataset `{}`", spec.name));
    let period_col = spec
        .period_column
        .as_ref()
        .map(|p| need(&p.node, &[], p.span, format!("the period of dataset `{}`", spec.name)));
    let mut inputs = Vec::new();
    let mut input_units = Vec::new();
    for input in &matcher.inputs {
        let Some(f) = spec.fields.get(input.field) else { continue };
        let what = format!("read by field `{}`, an input of table `{}`", f.key, matcher.name);
        inputs.push(need(&f.column, &f.alternatives, f.span, what));
        input_units.push(f.unit.clone());
    }
    let mut sums = Vec::new();
    for i in sum_fields {
        let Some(f) = spec.fields.get(*i) else { continue };
        let col = std::iter::once(&f.column).chain(&f.alternatives).find_map(|c| find(c));
        if col.is_none() && !f.optional {
            need(&f.column, &f.alternatives, f.span, format!("read by field `{}`, which is summed", f.key));
        }
        sums.push((col, !f.optional, f.unit.clone()));
    }
    let mut exclude = Vec::new();
    for (column, _, _) in &spec.exclude {
        exclude.push(need(column, &[], spec.span, format!("an `exclude` rule of dataset `{}`", spec.name)));
    }
    if !diags.is_empty() {
        return Err(missing_columns(diags, &headers, shown, sources));
    }
    let (Some(key), Some(inputs), Some(exclude)) =
        (key, inputs.into_iter().collect::<Option<Vec<usize>>>(), exclude.into_iter().collect::<Option<Vec<usize>>>())
    else {
        return Err(Vec::new());
    };
    Ok(Layout {
        headers,
        delimiter: spec.delimiter,
        key,
        period: period_col.flatten(),
        fixed_period: period.clone().unwrap_or_default(),
        inputs,
        input_units,
        sums,
        missing: spec.missing.clone(),
        exclude,
    })
}

/// The header row's names, trimmed. The row is noted in `shown` (diagnostics quote it) and
/// taken off the chunk, which then starts at the first record.
fn header_row(first: &mut RawChunk, spec: &DatasetSpec, shown: &mut Shown) -> Vec<String> {
    let bytes = &first.bytes;
    let mut start = 0;
    for _ in 1..spec.header_row {
        start = bytes
            .get(start..)
            .and_then(|b| b.iter().position(|c| *c == b'\n'))
            .map_or(bytes.len(), |n| start.saturating_add(n).saturating_add(1));
    }
    let mut fields: Vec<FieldRange> = Vec::new();
    let end = split_record(bytes, start, spec.delimiter, &mut fields);
    let mut scratch = Vec::new();
    let headers: Vec<String> = fields
        .iter()
        .map(|f| String::from_utf8_lossy(field_bytes(bytes, *f, &mut scratch)).trim().to_string())
        .collect();
    let header_text = String::from_utf8_lossy(bytes.get(start..end).unwrap_or_default()).trim_end().to_string();
    let header_line =
        first.first_line.saturating_add(bytes.get(..start).map_or(0, |b| b.iter().filter(|c| **c == b'\n').count()));
    shown.header = Some((header_line, header_text));
    let body_line =
        first.first_line.saturating_add(bytes.get(..end).map_or(0, |b| b.iter().filter(|c| **c == b'\n').count()));
    first.bytes.drain(..end.min(first.bytes.len()));
    first.first_line = body_line;
    headers
}

/// A diagnostic for each needed column (name, where the rule needs it, why) the header
/// lacks, pointing at the header row with the closest header or the list of them.
fn missing_columns(
    missing: Vec<(String, Span, String)>,
    headers: &[String],
    shown: &mut Shown,
    sources: &mut Vec<SourceFile>,
) -> Vec<Diagnostic> {
    let (id, _) = shown.register(&[], sources);
    let header_span = Span::new(id, 0, shown.header.as_ref().map_or(0, |(_, t)| t.len()));
    missing
        .into_iter()
        .map(|(name, rule_span, what)| {
            let help = match crate::check::suggest::did_you_mean(&name, headers.iter().map(String::as_str)) {
                Some(h) => format!("the closest header is `{h}`"),
                None => format!("the file's headers are: {}", headers.join(", ")),
            };
            Diagnostic::new(Code::DataMissingColumn, format!("`{}` has no column `{name}`", shown.display))
                .primary(header_span, "the header row")
                .secondary(rule_span, what)
                .help(help)
        })
        .collect()
}
