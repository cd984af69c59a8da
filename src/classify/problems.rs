//! Diagnostics of a streamed file. The file is never held whole, so the lines a diagnostic
//! shows are put into a sparse copy of it: the header and those lines at their own line
//! numbers, blank lines between, so that `file:row:column` and the excerpt agree.

use super::chunk::{Ambiguity, BadRow, Layout, Problem};
use super::matcher::Matcher;
use crate::data::stream::ReadError;
use crate::data::{BadRowPolicy, DatasetSpec};
use crate::diagnostic::codes::Code;
use crate::diagnostic::{Diagnostic, Level};
use crate::source::{SourceFile, Span};
use crate::value::format::plural;
use std::path::PathBuf;

/// The lines of one data file that diagnostics show.
pub struct Shown {
    pub display: String,
    pub path: PathBuf,
    /// The header's line number and text.
    pub header: Option<(usize, String)>,
}

impl Shown {
    pub fn new(display: String, path: PathBuf) -> Shown {
        Shown { display, path, header: None }
    }

    /// Register the sparse copy holding the header and `rows` (line, text), sorted by line.
    /// Returns the source id and each row's offset in it.
    pub fn register(&self, rows: &[(usize, &str)], sources: &mut Vec<SourceFile>) -> (usize, Vec<usize>) {
        let mut text = String::new();
        let mut line = 1;
        let mut put = |at: usize, body: &str, text: &mut String| {
            while line < at {
                text.push('\n');
                line = line.saturating_add(1);
            }
            let offset = text.len();
            text.push_str(body);
            line = line.saturating_add(body.matches('\n').count());
            offset
        };
        if let Some((at, header)) = &self.header {
            put(*at, header, &mut text);
        }
        let offsets = rows.iter().map(|(at, body)| put(*at, body, &mut text)).collect();
        text.push('\n');
        let id = sources.len();
        sources.push(SourceFile { name: self.display.clone(), path: self.path.clone(), text: text.into() });
        (id, offsets)
    }
}

pub fn read_error(e: &ReadError, shown: &Shown, spec: &DatasetSpec) -> Diagnostic {
    match e {
        ReadError::Io(err) => Diagnostic::new(Code::DataUnreadable, format!("cannot read `{}`: {err}", shown.display))
            .primary(spec.span, format!("dataset `{}`", spec.name))
            .help("check that the file exists and is readable"),
        ReadError::UnclosedQuote { line } => Diagnostic::new(
            Code::DataUnreadable,
            format!("`{}` has a quote that is never closed (line {line})", shown.display),
        )
        .primary(spec.span, format!("dataset `{}`", spec.name))
        .help("close the quote, or double it (\"\") if it belongs inside the value"),
    }
}

pub fn empty(display: &str, spec: &DatasetSpec) -> Diagnostic {
    Diagnostic::new(Code::DataEmpty, format!("`{display}` is empty"))
        .primary(spec.span, format!("dataset `{}`", spec.name))
        .help(format!("dataset `{}` expects a header row naming its columns, then records", spec.name))
}

/// Bad rows as the dataset's `on_bad_row` says, and records matching two rows of a
/// `hit unique` table (always errors: the table, not the data, is at fault).
#[allow(clippy::too_many_arguments, reason = "one call site, all of it context")]
pub fn report(
    bad: &[BadRow],
    bad_rows: u64,
    ambiguities: &[Ambiguity],
    ambiguous: u64,
    layout: &Layout,
    matcher: &Matcher,
    spec: &DatasetSpec,
    shown: &mut Shown,
    sources: &mut Vec<SourceFile>,
) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    if bad_rows == 0 && ambiguous == 0 {
        return diags;
    }
    let display = shown.display.clone();
    let show_bad = spec.policy != BadRowPolicy::Skip;
    let mut rows: Vec<(usize, &str)> = Vec::new();
    if show_bad {
        rows.extend(bad.iter().map(|b| (b.line, b.text.as_str())));
    }
    rows.extend(ambiguities.iter().map(|a| (a.line, a.text.as_str())));
    rows.sort_by_key(|(l, _)| *l);
    rows.dedup_by_key(|(l, _)| *l);
    let (id, offsets) = shown.register(&rows, sources);
    let offset_of = |line: usize| rows.iter().position(|(l, _)| *l == line).and_then(|i| offsets.get(i)).copied();
    if spec.policy == BadRowPolicy::Skip && bad_rows > 0 {
        let first = bad.first().map(|b| describe(b, layout)).unwrap_or_default();
        diags.push(
            Diagnostic::new(Code::RowsSkipped, format!("{bad_rows} row{} of `{display}` skipped", plural(bad_rows)))
                .primary(spec.span, format!("dataset `{}` has `on_bad_row skip`", spec.name))
                .help(format!("the first: {first}; use `on_bad_row warn` to see each one")),
        );
    }
    if show_bad {
        diags.extend(bad_row_diagnostics(bad, bad_rows, layout, spec, &display, id, &offset_of));
    }
    for a in ambiguities {
        diags.push(ambiguity(a, matcher, &display, id, &offset_of));
    }
    let more = ambiguous.saturating_sub(ambiguities.len() as u64);
    if more > 0 {
        diags.push(
            Diagnostic::new(
                Code::ClassifyAmbiguous,
                format!("{more} more record{} of `{display}` match two rows of `{}`", plural(more), matcher.name),
            )
            .primary(matcher.row_spans.first().copied().unwrap_or_default(), "in this table")
            .help("fix the rows above first; the rest are likely the same overlap"),
        );
    }
    diags
}

/// Each bad row shown (underlined where it is in the shown source `id`, at the offset of
/// its line), then a count of the rest; warnings under `on_bad_row warn`.
fn bad_row_diagnostics(
    bad: &[BadRow],
    bad_rows: u64,
    layout: &Layout,
    spec: &DatasetSpec,
    display: &str,
    id: usize,
    offset_of: &dyn Fn(usize) -> Option<usize>,
) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    let warn = spec.policy == BadRowPolicy::Warn;
    for b in bad {
        let (mut d, label) = bad_row(b, layout, spec, display);
        if let Some(offset) = offset_of(b.line) {
            let span = match b.cell {
                Some((_, s, e)) => Span::new(id, offset.saturating_add(s), offset.saturating_add(e)),
                None => Span::new(id, offset, offset.saturating_add(b.text.len())),
            };
            d = d.primary(span, label);
        }
        if warn {
            d.level = Level::Warning;
            d.help = Some(format!("{} (the row is skipped: `on_bad_row warn`)", d.help.unwrap_or_default()));
        }
        diags.push(d);
    }
    let more = bad_rows.saturating_sub(bad.len() as u64);
    if more > 0 {
        let mut d = Diagnostic::new(
            bad.last().map_or(Code::DataNotANumber, |b| code(&b.problem)),
            format!("{more} more bad row{} in `{display}`", plural(more)),
        )
        .primary(spec.span, format!("dataset `{}`", spec.name))
        .help("fix the ones above first; the rest are likely the same mistake");
        if warn {
            d.level = Level::Warning;
        }
        diags.push(d);
    }
    diags
}

/// A record matching two rows of a `hit unique` table, underlined in the shown source `id`
/// and pointing at both rows.
fn ambiguity(
    a: &Ambiguity,
    matcher: &Matcher,
    display: &str,
    id: usize,
    offset_of: &dyn Fn(usize) -> Option<usize>,
) -> Diagnostic {
    let (r1, r2) = a.rows;
    let span = |r: u32| matcher.row_spans.get(r as usize).copied().unwrap_or_default();
    let mut d = Diagnostic::new(
        Code::ClassifyAmbiguous,
        format!(
            "a record matches rows {} and {} of `{}`, which is `hit unique` ({display}:{})",
            r1.saturating_add(1),
            r2.saturating_add(1),
            matcher.name,
            a.line
        ),
    );
    if let Some(offset) = offset_of(a.line) {
        d = d.primary(Span::new(id, offset, offset.saturating_add(a.text.len())), "this record");
    }
    d.secondary(span(r1), format!("row {} matches", r1.saturating_add(1)))
        .secondary(span(r2), format!("row {} matches too", r2.saturating_add(1)))
        .help("make the rows exclusive (the checker's overlap warnings show where), or use `hit first` if their order decides")
}

fn code(p: &Problem) -> Code {
    match p {
        Problem::RowShape { .. } | Problem::NotUtf8 => Code::DataUnreadable,
        Problem::MissingKey => Code::DataMissingKey,
        Problem::Blank | Problem::NotANumber { .. } => Code::DataNotANumber,
        Problem::NotInSet { .. } => Code::DataNotInSet,
        Problem::NotADate { .. } => Code::DataBadDate,
    }
}

fn header(b: &BadRow, layout: &Layout) -> String {
    b.cell.and_then(|(c, _, _)| layout.headers.get(c)).cloned().unwrap_or_default()
}

/// A problem in a few words, for summaries.
fn describe(b: &BadRow, layout: &Layout) -> String {
    let h = header(b, layout);
    match &b.problem {
        Problem::RowShape { fields } => {
            format!("line {} has {fields} fields where the header has {}", b.line, layout.headers.len())
        }
        Problem::MissingKey => format!("line {}: the key column `{h}` is blank", b.line),
        Problem::Blank => format!("line {}: `{h}` is blank", b.line),
        Problem::NotANumber { text } => {
            format!("line {}: `{q}` in column `{h}` is not a number", b.line, q = crate::diagnostic::quote(text))
        }
        Problem::NotInSet { text, set, .. } => {
            format!("line {}: `{q}` in `{h}` is not a member of `{set}`", b.line, q = crate::diagnostic::quote(text))
        }
        Problem::NotADate { text } => {
            format!("line {}: `{q}` in column `{h}` is not a date", b.line, q = crate::diagnostic::quote(text))
        }
        Problem::NotUtf8 => format!("line {}: column `{h}` is not UTF-8 text", b.line),
    }
}

/// The diagnostic of one bad row, and the label for its cell.
fn bad_row(b: &BadRow, layout: &Layout, spec: &DatasetSpec, display: &str) -> (Diagnostic, String) {
    let h = header(b, layout);
    let place = match b.cell {
        Some((c, _, _)) => format!("{display}:{}:{}", b.line, c.saturating_add(1)),
        None => format!("{display}:{}", b.line),
    };
    let (message, label, help) = match &b.problem {
        Problem::RowShape { fields } => (
            format!("a row has {fields} fields where the header has {} ({place})", layout.headers.len()),
            "this row".to_string(),
            "check for a missing or extra delimiter, or an unquoted delimiter inside a value".to_string(),
        ),
        Problem::MissingKey => (
            format!("a row without a key ({place})"),
            format!("key column `{h}` is blank"),
            format!("every row of dataset `{}` needs its entity key", spec.name),
        ),
        Problem::Blank => (
            format!("`{h}` is blank ({place})"),
            format!("column `{h}` must hold a number"),
            "every record needs this value, as it is summed; write 0 if that is what it is, or declare the field `optional`".to_string(),
        ),
        Problem::NotANumber { text } => (
            format!("`{q}` is not a number ({place})", q = crate::diagnostic::quote(text)),
            format!("column `{h}` holds numbers"),
            "numbers may use thousands separators (1,234.5), a currency sign (£) or a percent sign; declare markers such as `missing \"n/a\"` for cells that mean no value".to_string(),
        ),
        Problem::NotInSet { text, set, suggestion } => (
            format!("`{q}` is not a member of `{set}` ({place})", q = crate::diagnostic::quote(text)),
            format!("column `{h}` holds members of `{set}`"),
            match suggestion {
                Some(s) => format!("did you mean `{s}`? Or add the spelling to the set with `also \"{q}\"`", q = crate::diagnostic::quote(text)),
                None => format!("add it to `set {set}`, or as another spelling of a member with `also \"{q}\"`", q = crate::diagnostic::quote(text)),
            },
        ),
        Problem::NotADate { text } => (
            format!("`{q}` is not a date ({place})", q = crate::diagnostic::quote(text)),
            format!("column `{h}` holds dates"),
            "write real dates as YYYY-MM-DD or DD/MM/YYYY (31/02/2010, for one, does not exist)".to_string(),
        ),
        Problem::NotUtf8 => (
            format!("column `{h}` is not UTF-8 text ({place})"),
            "not UTF-8".to_string(),
            "export the file as UTF-8 (in a spreadsheet: Save As, CSV UTF-8)".to_string(),
        ),
    };
    (Diagnostic::new(code(&b.problem), message).help(help), label)
}
