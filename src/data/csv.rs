//! CSV (and other delimited text) files, parsed in parallel chunks with each row's
//! line and byte offset kept for provenance.

use super::cells::{convert, CellProblem, MissingValues};
use super::{CellLocator, DatasetSpec, FieldSpec, FilePart, LoadContext, LoadedFile, RowOrigin, RowProblem};
use crate::check::suggest;
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::eval::value::Value;
use crate::source::Span;
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// Below this size a file is parsed in one piece.
const CHUNK_BYTES: usize = 1 << 20;

pub fn read(spec: &DatasetSpec, path: &Path, display: &str, ctx: &mut LoadContext<'_>) -> Option<FilePart> {
    let timer = crate::timing::Timer::start();
    let bytes = super::read_bytes(path, display, spec, ctx)?;
    timer.lap("  read");
    let file = LoadedFile {
        path: path.to_path_buf(),
        display: display.to_string(),
        sha256: String::new(),
        sheet: None,
        headers: Vec::new(),
        source: None,
    };
    // Hash while parsing: the hash takes one core for a fraction of the parse's time, and
    // the parse's chunks keep the other busy.
    let (part, sha256) = rayon::join(
        || parse_text(spec, super::utf8_text(&bytes, path, display, ctx)?, spec.delimiter, file, ctx),
        || crate::stamp::sha256_hex(&bytes),
    );
    let mut part = part?;
    part.file.sha256 = sha256;
    Some(part)
}

/// The file's text as a source for diagnostics, registered the first time one needs it
/// (a large, clean file is never copied for that).
fn source_of(file: &mut LoadedFile, text: &str, ctx: &mut LoadContext<'_>) -> usize {
    match file.source {
        Some(id) => id,
        None => {
            let name = match &file.sheet {
                Some(sheet) => format!("{} [{sheet}]", file.display),
                None => file.display.clone(),
            };
            let id = ctx.add_source(&name, &file.path, Arc::from(text));
            file.source = Some(id);
            id
        }
    }
}

/// Parse delimited text (registered as a source already, or on the first diagnostic).
pub fn parse_text(
    spec: &DatasetSpec,
    text: &str,
    delimiter: u8,
    mut file: LoadedFile,
    ctx: &mut LoadContext<'_>,
) -> Option<FilePart> {
    let display = file.display.clone();
    let display = display.as_str();
    let bytes = text.as_bytes();
    // Skip the lines above the header row, then read the header.
    let mut header_start = 0;
    for _ in 1..spec.header_row {
        header_start = bytes
            .get(header_start..)
            .and_then(|b| b.iter().position(|c| *c == b'\n'))
            .map_or(bytes.len(), |n| header_start + n + 1);
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(bytes.get(header_start..).unwrap_or_default());
    let mut header = csv::ByteRecord::new();
    let has_header = reader.read_byte_record(&mut header).unwrap_or(false);
    if !has_header {
        let source = source_of(&mut file, text, ctx);
        ctx.diagnostics.push(
            Diagnostic::new(Code::DataEmpty, format!("`{display}` is empty"))
                .primary(Span::new(source, 0, 0), "no header row")
                .help(format!("dataset `{}` expects a header row naming its columns", spec.name)),
        );
        return None;
    }
    let headers: Vec<String> = header.iter().map(|h| String::from_utf8_lossy(h).trim().to_string()).collect();
    let body_start = header_start + usize::try_from(reader.position().byte()).unwrap_or(0);
    let header_lines = bytes.get(..body_start).map_or(0, |b| b.iter().filter(|c| **c == b'\n').count());
    let header_end = body_start.saturating_sub(1).max(header_start);
    let header_span = |file: &mut LoadedFile, ctx: &mut LoadContext<'_>| {
        Span::new(source_of(file, text, ctx), header_start, header_end)
    };
    let missing_any = !find_columns_present(spec, &headers);
    let span = if missing_any { header_span(&mut file, ctx) } else { Span::default() };
    let columns = map_columns(spec, &headers, span, display, ctx)?;
    let body = bytes.get(body_start..).unwrap_or_default();
    if body.iter().all(u8::is_ascii_whitespace) {
        let span = header_span(&mut file, ctx);
        ctx.diagnostics.push(
            Diagnostic::new(Code::DataEmpty, format!("`{display}` has a header but no rows"))
                .primary(span, "nothing below this")
                .help("check that the export finished; a dataset needs at least one row"),
        );
        return None;
    }
    let timer = crate::timing::Timer::start();
    let scan = Scan::of(body);
    timer.lap("  scan quotes and lines");
    // An unclosed quote would swallow the rest of the file into one cell: refuse it.
    if scan.quotes % 2 == 1 {
        let mut open = 0;
        let mut inside = false;
        for (i, b) in body.iter().enumerate() {
            if *b == b'"' {
                inside = !inside;
                if inside {
                    open = i;
                }
            }
        }
        let at = body_start + open;
        let line = text.get(..at).map_or(0, |t| t.matches('\n').count() + 1);
        let source = source_of(&mut file, text, ctx);
        ctx.diagnostics.push(
            Diagnostic::new(
                Code::DataUnreadable,
                format!("`{display}` has a quote that is never closed (line {line})"),
            )
            .primary(Span::new(source, at, at + 1), "this quote opens a value that runs to the end of the file")
            .help("close the quote, or double it (\"\") if it belongs inside the value"),
        );
        return None;
    }
    let timer = crate::timing::Timer::start();
    let missing = MissingValues::new(spec);
    let bounds = scan.chunk_bounds(body);
    timer.lap("  chunk bounds");
    // Each value column is allocated once at its final size, every chunk writing its rows
    // into its own slice (no per-chunk columns to allocate and concatenate).
    let caps: Vec<usize> =
        bounds.iter().map(|&(start, end, _, _)| record_capacity(body.get(start..end).unwrap_or_default())).collect();
    let total: usize = caps.iter().sum();
    let mut values: Vec<Vec<Value>> =
        (0..spec.fields.len()).map(|_| (0..total).into_par_iter().map(|_| Value::Bool(false)).collect()).collect();
    let mut slots: Vec<Vec<&mut [Value]>> = caps.iter().map(|_| Vec::with_capacity(values.len())).collect();
    for column in &mut values {
        let mut rest: &mut [Value] = column.as_mut_slice();
        for (cap, slot) in caps.iter().zip(&mut slots) {
            let (head, tail) = std::mem::take(&mut rest).split_at_mut_checked(*cap).unwrap_or_default();
            slot.push(head);
            rest = tail;
        }
    }
    let mut parsed: Vec<Chunk> = bounds
        .par_iter()
        .zip(slots.into_par_iter())
        .map(|(&(start, end, first_line, lines), mut out)| {
            let piece = body.get(start..end).unwrap_or_default();
            parse_chunk(
                spec,
                delimiter,
                &columns,
                &headers,
                &missing,
                piece,
                body_start + start,
                header_lines + first_line + 1,
                lines + 1,
                &mut out,
            )
        })
        .collect();
    timer.lap("  parse chunks");
    if parsed.iter().any(|c| !c.problems.is_empty()) {
        source_of(&mut file, text, ctx);
    }
    let mut part = FilePart::new(
        LoadedFile { headers: headers.clone(), ..file },
        CellLocator::Delimited(delimiter),
        spec.fields.len(),
        columns.fields.clone(),
    );
    // Concatenate the chunks' keys, periods and origins, and close the gaps chunks left in
    // the value columns, each on its own thread.
    let mut base = 0;
    for chunk in &mut parsed {
        part.excluded += chunk.excluded;
        part.problems.extend(chunk.problems.drain(..).map(|p| RowProblem { row: p.row + base, ..p }));
        base += chunk.keys.len();
    }
    let mut origins = Vec::new();
    let mut keys = Vec::new();
    let mut periods = Vec::new();
    // Each chunk's rows: where its slice starts, and how many it filled.
    let mut filled = Vec::with_capacity(parsed.len());
    let mut start = 0;
    for (chunk, cap) in parsed.into_iter().zip(&caps) {
        filled.push((start, chunk.keys.len()));
        start += cap;
        origins.push(chunk.origins);
        keys.push(chunk.keys);
        periods.push(chunk.periods);
    }
    rayon::scope(|s| {
        s.spawn(|_| part.origins = origins.concat());
        s.spawn(|_| part.keys = keys.concat());
        s.spawn(|_| part.periods = periods.concat());
        for (out, mut column) in part.columns.iter_mut().zip(values) {
            let filled = &filled;
            s.spawn(move |_| {
                close_gaps(&mut column, filled);
                *out = column;
            });
        }
    });
    timer.lap("  merge chunks");
    Some(part)
}

/// Whether every column the dataset requires is in the header (no diagnostic needed).
fn find_columns_present(spec: &DatasetSpec, headers: &[String]) -> bool {
    let has = |name: &str| headers.iter().any(|h| h == name.trim());
    has(&spec.key_column.node)
        && spec.period_column.as_ref().is_none_or(|p| has(&p.node))
        && spec.fields.iter().all(|f| f.optional || std::iter::once(&f.column).chain(&f.alternatives).any(|c| has(c)))
        && spec.exclude.iter().all(|(c, _, _)| has(c))
}

/// Which column of the file each field, the key and the period come from.
pub(super) struct Columns {
    pub key: usize,
    pub period: Option<usize>,
    pub fields: Vec<Option<usize>>,
    /// The column of each `exclude` rule.
    pub exclude: Vec<Option<usize>>,
}

pub(super) fn map_columns(
    spec: &DatasetSpec,
    headers: &[String],
    header_span: Span,
    display: &str,
    ctx: &mut LoadContext<'_>,
) -> Option<Columns> {
    let find = |name: &str| headers.iter().position(|h| h == name.trim());
    let find_any = |f: &FieldSpec| std::iter::once(&f.column).chain(&f.alternatives).find_map(|c| find(c));
    let mut ok = true;
    let mut missing_column = |name: &str, rule_span: Span, what: String, ctx: &mut LoadContext<'_>| {
        ok = false;
        let help = match suggest::did_you_mean(name, headers.iter().map(String::as_str)) {
            Some(h) => format!("the closest header is `{h}`"),
            None => format!("the file's headers are: {}", preview(headers)),
        };
        ctx.diagnostics.push(
            Diagnostic::new(Code::DataMissingColumn, format!("`{display}` has no column `{name}`"))
                .primary(header_span, "the header row")
                .secondary(rule_span, what)
                .help(help),
        );
    };
    let key = find(&spec.key_column.node);
    if key.is_none() {
        missing_column(&spec.key_column.node, spec.key_column.span, format!("the key of dataset `{}`", spec.name), ctx);
    }
    let period = match &spec.period_column {
        Some(p) => {
            let found = find(&p.node);
            if found.is_none() {
                missing_column(&p.node, p.span, format!("the period of dataset `{}`", spec.name), ctx);
            }
            found
        }
        None => None,
    };
    let mut fields = Vec::new();
    for f in &spec.fields {
        let found = find_any(f);
        if found.is_none() && !f.optional {
            missing_column(&f.column, f.span, format!("read by field `{}`", f.key), ctx);
        }
        fields.push(found);
    }
    let mut exclude = Vec::new();
    for (column, _, _) in &spec.exclude {
        match find(column) {
            Some(c) => exclude.push(Some(c)),
            None => {
                missing_column(column, spec.span, format!("an `exclude` rule of dataset `{}`", spec.name), ctx);
                exclude.push(None);
            }
        }
    }
    let key = key?;
    ok.then_some(Columns { key, period, fields, exclude })
}

fn preview(headers: &[String]) -> String {
    let shown: Vec<String> = headers.iter().take(8).map(|h| format!("`{h}`")).collect();
    let more = headers.len().saturating_sub(8);
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// Quote and line-break counts of equal slices of a file's body, counted in parallel:
/// enough to know, at any slice's start, whether it is inside a quoted value and which
/// line it is on, so that the body can be cut into chunks at record boundaries without a
/// serial pass over the whole file.
struct Scan {
    /// (start, quotes before it, line breaks before it) of each slice.
    slices: Vec<(usize, usize, usize)>,
    quotes: usize,
}

impl Scan {
    fn of(body: &[u8]) -> Scan {
        let pieces = (body.len() / CHUNK_BYTES).clamp(1, rayon::current_num_threads() * 8);
        let starts: Vec<usize> = (0..pieces).map(|p| body.len() * p / pieces).collect();
        let counts: Vec<(usize, usize)> = (0..pieces)
            .into_par_iter()
            .map(|p| {
                let start = starts.get(p).copied().unwrap_or(body.len());
                let end = starts.get(p + 1).copied().unwrap_or(body.len());
                let slice = body.get(start..end).unwrap_or_default();
                (memchr::memchr_iter(b'"', slice).count(), memchr::memchr_iter(b'\n', slice).count())
            })
            .collect();
        let (mut quotes, mut lines) = (0, 0);
        let mut slices = Vec::with_capacity(pieces);
        for (start, (q, l)) in starts.iter().zip(&counts) {
            slices.push((*start, quotes, lines));
            quotes += q;
            lines += l;
        }
        Scan { slices, quotes }
    }

    /// Pieces of the body that end at a record boundary (a newline outside quotes), one
    /// from each slice: (start, end, line breaks before start, line breaks inside).
    fn chunk_bounds(&self, body: &[u8]) -> Vec<(usize, usize, usize, usize)> {
        // Where each boundary falls and how many line breaks precede it: from a slice's
        // start, walk to the first newline outside quotes (usually within one line).
        let mut cuts = vec![(0usize, 0usize)];
        for &(start, quotes, lines) in self.slices.iter().skip(1) {
            let (mut in_quotes, mut lines, mut i) = (quotes % 2 == 1, lines, start);
            while let Some(&b) = body.get(i) {
                i += 1;
                match b {
                    b'"' => in_quotes = !in_quotes,
                    b'\n' => {
                        lines += 1;
                        if !in_quotes {
                            break;
                        }
                    }
                    _ => {}
                }
            }
            // A quoted value spanning a whole slice makes cuts meet; keep them increasing.
            if cuts.last().is_some_and(|(last, _)| i > *last) && i < body.len() {
                cuts.push((i, lines));
            }
        }
        let total_lines = self.slices.last().map_or(0, |s| s.2)
            + body
                .get(self.slices.last().map_or(0, |s| s.0)..)
                .map_or(0, |t| t.iter().filter(|b| **b == b'\n').count());
        cuts.push((body.len(), total_lines));
        cuts.windows(2)
            .filter_map(|w| match w {
                [(start, before), (end, after)] => Some((*start, *end, *before, after - before)),
                _ => None,
            })
            .collect()
    }
}

struct Chunk {
    excluded: usize,
    origins: Vec<RowOrigin>,
    keys: Vec<Arc<str>>,
    periods: Vec<Arc<str>>,
    problems: Vec<RowProblem>,
}

#[allow(clippy::too_many_arguments)] // one call site; a struct would only rename the list
fn parse_chunk(
    spec: &DatasetSpec,
    delimiter: u8,
    columns: &Columns,
    headers: &[String],
    missing: &MissingValues,
    bytes: &[u8],
    offset: usize,
    first_line: usize,
    rows: usize,
    out: &mut [&mut [Value]],
) -> Chunk {
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(bytes);
    let mut chunk = Chunk {
        excluded: 0,
        origins: Vec::with_capacity(rows),
        keys: Vec::with_capacity(rows),
        periods: Vec::with_capacity(rows),
        problems: Vec::new(),
    };
    let mut interned: HashMap<Vec<u8>, Arc<str>> = HashMap::new();
    let mut record = csv::ByteRecord::new();
    let empty: Arc<str> = Arc::from("");
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(err) => {
                // An unreadable record ends the chunk; report it as a row problem at its line.
                let row = chunk.keys.len();
                let (line, byte) = err.position().map_or((0, 0), |p| (p.line() as usize, p.byte() as usize));
                chunk.origins.push(RowOrigin {
                    file: 0,
                    line: first_line + line.saturating_sub(1),
                    offset: offset + byte,
                });
                chunk.keys.push(empty.clone());
                chunk.periods.push(empty.clone());
                for col in out.iter_mut() {
                    put(col, row, missing.blank.clone());
                }
                chunk.problems.push(RowProblem {
                    row,
                    column: None,
                    problem: CellProblem::RowShape { fields: 0, header_fields: headers.len() },
                });
                break;
            }
        }
        if record.len() == 1 && record.get(0).is_some_and(|f| f.iter().all(u8::is_ascii_whitespace)) {
            continue;
        }
        if excluded(spec, columns, &record) {
            chunk.excluded += 1;
            continue;
        }
        let row = chunk.keys.len();
        if out.first().is_some_and(|c| row >= c.len()) {
            // `record_capacity` counts every terminator, so this cannot happen; if it did,
            // the row would be reported, not dropped.
            chunk.problems.push(RowProblem {
                row: row.saturating_sub(1),
                column: None,
                problem: CellProblem::RowShape { fields: record.len(), header_fields: headers.len() },
            });
            break;
        }
        let mut position = record.position().map_or((1, 0), |p| (p.line() as usize, p.byte() as usize));
        // With CRLF line ends the reader stops at the `\r`, so the next record's position is
        // the `\n` left over, still on the line before: step over it.
        if bytes.get(position.1) == Some(&b'\n') {
            position = (position.0 + 1, position.1 + 1);
        }
        chunk.origins.push(RowOrigin { file: 0, line: first_line + position.0 - 1, offset: offset + position.1 });
        if record.len() != headers.len() {
            chunk.problems.push(RowProblem {
                row,
                column: None,
                problem: CellProblem::RowShape { fields: record.len(), header_fields: headers.len() },
            });
        }
        let field = |i: usize| record.get(i).map(|b| String::from_utf8_lossy(b));
        let key: Arc<str> = field(columns.key).map_or_else(|| empty.clone(), |k| Arc::from(k.trim()));
        if key.is_empty() {
            chunk.problems.push(RowProblem {
                row,
                column: Some(columns.key),
                problem: CellProblem::MissingKey { header: spec.key_column.node.clone() },
            });
        }
        chunk.keys.push(key);
        let period = match columns.period.and_then(|p| record.get(p)) {
            Some(p) => {
                let p = p.trim_ascii();
                match interned.get(p) {
                    Some(a) => a.clone(),
                    None => {
                        let a: Arc<str> = String::from_utf8_lossy(p).into();
                        interned.insert(p.to_vec(), a.clone());
                        a
                    }
                }
            }
            None => empty.clone(),
        };
        chunk.periods.push(period);
        for ((f, source), col) in spec.fields.iter().zip(&columns.fields).zip(out.iter_mut()) {
            put(col, row, cell(f, *source, &record, headers, missing, row, &mut chunk.problems));
        }
    }
    chunk
}

fn put(column: &mut [Value], row: usize, value: Value) {
    if let Some(slot) = column.get_mut(row) {
        *slot = value;
    }
}

/// The most records a piece can hold: one per line terminator (`\n`, `\r\n` or a lone
/// `\r`, as the CSV reader takes them), and one more if the piece does not end with one.
fn record_capacity(piece: &[u8]) -> usize {
    let newlines = memchr::memchr_iter(b'\n', piece).count();
    let lone_returns = memchr::memchr_iter(b'\r', piece).filter(|&i| piece.get(i + 1) != Some(&b'\n')).count();
    let open_end = piece.last().is_some_and(|b| *b != b'\n' && *b != b'\r');
    newlines + lone_returns + usize::from(open_end)
}

/// Move each chunk's rows (`filled`: where its slice starts, how many rows it wrote) down
/// to follow the previous chunk's, and drop the unused slots at the end. Nothing moves when
/// every line was a record.
fn close_gaps(column: &mut Vec<Value>, filled: &[(usize, usize)]) {
    let mut to = 0;
    for &(from, rows) in filled {
        if from != to {
            for k in 0..rows {
                column.swap(to + k, from + k);
            }
        }
        to += rows;
    }
    column.truncate(to);
}

/// Does an `exclude` rule leave this row out?
fn excluded(spec: &DatasetSpec, columns: &Columns, record: &csv::ByteRecord) -> bool {
    spec.exclude.iter().zip(&columns.exclude).any(|((_, cell, re), col)| {
        let text =
            col.and_then(|c| record.get(c)).map(|b| String::from_utf8_lossy(b).trim().to_string()).unwrap_or_default();
        crate::table::matches(cell, re.as_ref(), &crate::table::Value::Text(text))
    })
}

fn cell(
    f: &FieldSpec,
    source: Option<usize>,
    record: &csv::ByteRecord,
    headers: &[String],
    missing: &MissingValues,
    row: usize,
    problems: &mut Vec<RowProblem>,
) -> Value {
    let Some(col) = source else { return missing.no_column.clone() };
    let Some(raw) = record.get(col) else { return missing.blank.clone() };
    let text = String::from_utf8_lossy(raw);
    let header = headers.get(col).map_or("", String::as_str);
    match convert(&f.kind, &text, header, missing) {
        Ok(v) => v,
        Err(problem) => {
            problems.push(RowProblem { row, column: Some(col), problem });
            missing.blank.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{close_gaps, record_capacity};
    use crate::eval::value::Value;
    use rust_decimal::Decimal;

    #[test]
    fn capacity_counts_every_line_end_the_reader_takes() {
        assert_eq!(record_capacity(b""), 0);
        assert_eq!(record_capacity(b"a,b\nc,d\n"), 2);
        assert_eq!(record_capacity(b"a,b\nc,d"), 2, "an unterminated last record");
        assert_eq!(record_capacity(b"a\r\nb\r\n"), 2, "CRLF is one end");
        assert_eq!(record_capacity(b"a\rb\rc"), 3, "lone CRs end records too");
        assert_eq!(record_capacity(b"a\n\n\"x\ny\"\n"), 4, "blank lines and quoted breaks only lower the count");
    }

    #[test]
    fn gaps_close_in_chunk_order() {
        let n = |i: i64| Value::Num(Decimal::from(i));
        let gap = Value::Bool(false);
        // Three chunks with room for 3, 2 and 3 rows, holding 2, 2 and 1.
        let mut column = vec![n(1), n(2), gap.clone(), n(3), n(4), n(5), gap.clone(), gap];
        close_gaps(&mut column, &[(0, 2), (3, 2), (5, 1)]);
        assert_eq!(column, vec![n(1), n(2), n(3), n(4), n(5)]);
        let mut full = vec![n(1), n(2)];
        close_gaps(&mut full, &[(0, 1), (1, 1)]);
        assert_eq!(full, vec![n(1), n(2)]);
    }
}
