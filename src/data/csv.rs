//! CSV (and other delimited text) files, parsed in parallel chunks with each row's
//! line and byte offset kept for provenance.

use super::cells::{convert, excludes, CellProblem, MissingValues};
use super::{CellLocator, DatasetSpec, FieldKind, FieldSpec, FilePart, LoadContext, LoadedFile, RowOrigin, RowProblem};
use crate::check::suggest;
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::source::Span;
use crate::value::Value;
use rayon::prelude::*;
use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;

/// Below this size a stretch of text is parsed in one piece.
const PIECE_BYTES: usize = 1 << 20;

/// A delimited file's rows: a large clean file chunk by chunk as it is read, any other
/// whole (with a diagnostic for anything wrong in it).
pub fn read(spec: &DatasetSpec, path: &Path, display: &str, ctx: &mut LoadContext<'_>) -> Option<FilePart> {
    let timer = crate::timing::Timer::start();
    if let Some(part) = super::blocks::read(spec, path, display) {
        timer.lap("  read and parse in chunks");
        return Some(part);
    }
    let bytes = super::read_bytes(path, display, spec, ctx)?;
    timer.lap("  read");
    let file = LoadedFile {
        path: path.to_path_buf(),
        display: display.to_string(),
        sha256: String::new(),
        sheet: None,
        headers: Vec::new(),
        source: None,
        window: None,
    };
    // Hash while parsing: the hash takes one core for a fraction of the parse's time, and
    // the parse's chunks keep the other busy.
    let (part, sha256) = rayon::join(
        || parse_text(spec, super::utf8_text(&bytes, path, display, ctx)?, spec.delimiter, file, ctx),
        || crate::data::stamp::sha256_hex(&bytes),
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
    let Some(Header { names: headers, start: header_start, body_start, lines: header_lines }) =
        header(spec, bytes, delimiter)
    else {
        let source = source_of(&mut file, text, ctx);
        ctx.diagnostics.push(
            Diagnostic::new(Code::DataEmpty, format!("`{display}` is empty"))
                .primary(Span::new(source, 0, 0), "no header row")
                .help(format!("dataset `{}` expects a header row naming its columns", spec.name)),
        );
        return None;
    };
    let header_end = body_start.saturating_sub(1).max(header_start);
    let header_span = |file: &mut LoadedFile, ctx: &mut LoadContext<'_>| {
        Span::new(source_of(file, text, ctx), header_start, header_end)
    };
    let columns = match Columns::find(spec, &headers) {
        Some(columns) => columns,
        None => {
            let span = header_span(&mut file, ctx);
            map_columns(spec, &headers, span, display, ctx)?
        }
    };
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
        unclosed_quote(&mut file, text, body, body_start, ctx);
        return None;
    }
    let timer = crate::timing::Timer::start();
    let missing = MissingValues::new(spec);
    let rows = Rows { spec, delimiter, columns: &columns, headers: &headers, missing: &missing };
    let mut part = FilePart::new(
        LoadedFile { headers: headers.clone(), ..file },
        CellLocator::Delimited(delimiter),
        spec.fields.len(),
        columns.fields.clone(),
    );
    rows.parse(body, &scan, body_start, header_lines, &mut part);
    timer.lap("  parse chunks");
    if !part.problems.is_empty() {
        source_of(&mut part.file, text, ctx);
    }
    Some(part)
}

/// The error for a quote never closed, at the last quote that opens a value: it would
/// swallow the rest of the file into one cell.
fn unclosed_quote(file: &mut LoadedFile, text: &str, body: &[u8], body_start: usize, ctx: &mut LoadContext<'_>) {
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
    let at = body_start.saturating_add(open);
    let line = text.get(..at).map_or(0, |t| t.matches('\n').count().saturating_add(1));
    let source = source_of(file, text, ctx);
    ctx.diagnostics.push(
        Diagnostic::new(
            Code::DataUnreadable,
            format!("`{}` has a quote that is never closed (line {line})", file.display),
        )
        .primary(
            Span::new(source, at, at.saturating_add(1)),
            "this quote opens a value that runs to the end of the file",
        )
        .help("close the quote, or double it (\"\") if it belongs inside the value"),
    );
}

/// A file's header row: its column names, and where it and the body start.
pub(super) struct Header {
    pub names: Vec<String>,
    /// Where the header row starts in the text.
    pub start: usize,
    /// Where the rows below it start.
    pub body_start: usize,
    /// The line breaks above the body.
    pub lines: usize,
}

/// The header row (the dataset's `header_row`, 1 by default), if the text has one.
pub(super) fn header(spec: &DatasetSpec, bytes: &[u8], delimiter: u8) -> Option<Header> {
    // Skip the lines above the header row, then read the header.
    let mut start = 0;
    for _ in 1..spec.header_row {
        start = bytes
            .get(start..)
            .and_then(|b| memchr::memchr(b'\n', b))
            .map_or(bytes.len(), |n| start.saturating_add(n).saturating_add(1));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(bytes.get(start..).unwrap_or_default());
    let mut record = csv::ByteRecord::new();
    if !reader.read_byte_record(&mut record).unwrap_or(false) {
        return None;
    }
    let names = record.iter().map(|h| String::from_utf8_lossy(h).trim().to_string()).collect();
    let body_start = start.saturating_add(usize::try_from(reader.position().byte()).unwrap_or(0));
    let lines = bytes.get(..body_start).map_or(0, |b| memchr::memchr_iter(b'\n', b).count());
    Some(Header { names, start, body_start, lines })
}

/// Which column of the file each field, the key and the period come from.
pub(super) struct Columns {
    pub key: usize,
    pub period: Option<usize>,
    pub fields: Vec<Option<usize>>,
    /// The column of each `exclude` rule.
    pub exclude: Vec<Option<usize>>,
}

impl Columns {
    /// Where each column is, if the header has every column the dataset requires (no
    /// diagnostic needed).
    pub fn find(spec: &DatasetSpec, headers: &[String]) -> Option<Columns> {
        let key = column_of(headers, &spec.key_column.node)?;
        let period = match &spec.period_column {
            Some(p) => Some(column_of(headers, &p.node)?),
            None => None,
        };
        let fields = spec
            .fields
            .iter()
            .map(|f| match field_column(headers, f) {
                // An optional column spelt differently in the file: `map_columns` warns.
                None if !f.optional || misspelt(headers, f).is_some() => None,
                found => Some(found),
            })
            .collect::<Option<_>>()?;
        let exclude = spec.exclude.iter().map(|(c, _, _)| column_of(headers, c).map(Some)).collect::<Option<_>>()?;
        let columns = Columns { key, period, fields, exclude };
        (spec.first_of_repeated || columns.repeated(headers).is_none()).then_some(columns)
    }

    /// A column read whose header the file writes twice (its index, and the other's):
    /// which of the two is meant cannot be told, so neither is read.
    fn repeated(&self, headers: &[String]) -> Option<(usize, usize)> {
        let fields = self.fields.iter().chain(&self.exclude).flatten().copied();
        std::iter::once(self.key).chain(self.period).chain(fields).find_map(|i| {
            let name = headers.get(i)?;
            Some((i, headers.iter().enumerate().position(|(j, h)| j != i && h == name)?))
        })
    }
}

fn column_of(headers: &[String], name: &str) -> Option<usize> {
    headers.iter().position(|h| h == name.trim())
}

/// A field's column: the one it names, or the first of its alternatives the file has.
fn field_column(headers: &[String], f: &FieldSpec) -> Option<usize> {
    std::iter::once(&f.column).chain(&f.alternatives).find_map(|c| column_of(headers, c))
}

/// The header an absent optional field's column seems to be, spelt differently (case,
/// spacing, a small edit): its figures would be missing without a word otherwise.
fn misspelt<'h>(headers: &'h [String], f: &FieldSpec) -> Option<&'h str> {
    std::iter::once(&f.column)
        .chain(&f.alternatives)
        .find_map(|c| suggest::same_but_spelt(c.trim(), headers.iter().map(String::as_str)))
}

/// Where each column is, or a diagnostic for each the header lacks (a warning for an
/// optional column the header seems to spell differently).
pub(super) fn map_columns(
    spec: &DatasetSpec,
    headers: &[String],
    header_span: Span,
    display: &str,
    ctx: &mut LoadContext<'_>,
) -> Option<Columns> {
    if let Some(columns) = Columns::find(spec, headers) {
        return Some(columns);
    }
    let find = |name: &str| column_of(headers, name);
    let find_any = |f: &FieldSpec| field_column(headers, f);
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
        if let (None, true, Some(h)) = (found, f.optional, misspelt(headers, f)) {
            ctx.diagnostics.push(
                Diagnostic::new(
                    Code::OptionalColumnMisspelt,
                    format!("`{display}` has no column `{}`, but has `{h}`", f.column),
                )
                .primary(header_span, "the header row")
                .secondary(f.span, format!("read by optional field `{}`", f.key))
                .help(format!(
                    "if `{h}` is this column, rename the header or write `from \"{h}\"`; otherwise field `{}` is missing for every row",
                    f.key
                )),
            );
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
    let columns = Columns { key: key?, period, fields, exclude };
    if let Some((at, again)) = columns.repeated(headers).filter(|_| !spec.first_of_repeated) {
        let name = headers.get(at).map_or("", String::as_str);
        let (first, second) = (at.min(again).saturating_add(1), at.max(again).saturating_add(1));
        ctx.diagnostics.push(
            Diagnostic::new(
                Code::DataUnreadable,
                format!("`{display}` has two columns `{name}` (columns {first} and {second})"),
            )
            .primary(header_span, "the header row")
            .help("rename or remove one of them: which one the dataset reads cannot be told; if the first is meant, say so with `repeated_headers first`"),
        );
        return None;
    }
    ok.then_some(columns)
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
pub(super) struct Scan {
    /// (start, quotes before it, line breaks before it) of each slice.
    slices: Vec<(usize, usize, usize)>,
    pub quotes: usize,
    /// Line breaks in the whole body.
    pub lines: usize,
}

impl Scan {
    pub fn of(body: &[u8]) -> Scan {
        let pieces = (body.len() / PIECE_BYTES).clamp(1, rayon::current_num_threads().saturating_mul(8));
        let starts: Vec<usize> =
            (0..pieces).map(|p| body.len().saturating_mul(p).checked_div(pieces).unwrap_or(0)).collect();
        let counts: Vec<(usize, usize)> = (0..pieces)
            .into_par_iter()
            .map(|p| {
                let start = starts.get(p).copied().unwrap_or(body.len());
                let end = starts.get(p.saturating_add(1)).copied().unwrap_or(body.len());
                let slice = body.get(start..end).unwrap_or_default();
                (memchr::memchr_iter(b'"', slice).count(), memchr::memchr_iter(b'\n', slice).count())
            })
            .collect();
        let (mut quotes, mut lines) = (0usize, 0usize);
        let mut slices = Vec::with_capacity(pieces);
        for (start, (q, l)) in starts.iter().zip(&counts) {
            slices.push((*start, quotes, lines));
            quotes = quotes.saturating_add(*q);
            lines = lines.saturating_add(*l);
        }
        Scan { slices, quotes, lines }
    }

    /// Pieces of the body that end at a record boundary (a newline outside quotes), one
    /// from each slice: (start, end, line breaks before start, line breaks inside).
    fn chunk_bounds(&self, body: &[u8]) -> Vec<(usize, usize, usize, usize)> {
        // Where each boundary falls and how many line breaks precede it: from a slice's
        // start, walk to the first newline outside quotes (usually within one line).
        let mut cuts = vec![(0usize, 0usize)];
        let mut reached = 0;
        for &(start, quotes, lines) in self.slices.iter().skip(1) {
            // An earlier walk went past this slice's start (a line or quoted value longer
            // than a slice): there is no boundary between, so this walk would end where that
            // one did. Walking again would make one 30 MB line cost a walk per slice.
            if start < reached {
                continue;
            }
            let (mut in_quotes, mut lines, mut i) = (quotes % 2 == 1, lines, start);
            while let Some(&b) = body.get(i) {
                i = i.saturating_add(1);
                match b {
                    b'"' => in_quotes = !in_quotes,
                    b'\n' => {
                        lines = lines.saturating_add(1);
                        if !in_quotes {
                            break;
                        }
                    }
                    _ => {}
                }
            }
            reached = i;
            // A quoted value spanning a whole slice makes cuts meet; keep them increasing.
            if cuts.last().is_some_and(|(last, _)| i > *last) && i < body.len() {
                cuts.push((i, lines));
            }
        }
        cuts.push((body.len(), self.lines));
        cuts.windows(2)
            .filter_map(|w| match w {
                [(start, before), (end, after)] => Some((*start, *end, *before, after.saturating_sub(*before))),
                _ => None,
            })
            .collect()
    }
}

/// The rows of one piece, beside the value columns it wrote into.
pub(super) struct Chunk {
    pub excluded: usize,
    pub origins: Vec<RowOrigin>,
    pub keys: Vec<Arc<str>>,
    pub periods: Vec<Arc<str>>,
    pub problems: Vec<RowProblem>,
}

impl Chunk {
    pub fn with_capacity(rows: usize) -> Chunk {
        Chunk {
            excluded: 0,
            origins: Vec::with_capacity(rows),
            keys: Vec::with_capacity(rows),
            periods: Vec::with_capacity(rows),
            problems: Vec::new(),
        }
    }
}

/// A record's fields, whichever reader split it.
pub(super) trait Fields {
    /// Field `i`, unquoted and unescaped.
    fn field(&self, i: usize) -> Option<Cow<'_, [u8]>>;
}

impl Fields for csv::ByteRecord {
    fn field(&self, i: usize) -> Option<Cow<'_, [u8]>> {
        self.get(i).map(Cow::Borrowed)
    }
}

/// Period texts seen in a piece, shared rather than allocated once per row; and the last
/// row's key and cells, which the next row reuses where its bytes are the same (a plan or
/// a ledger repeats its organisation, consortium and model down many rows). A cell's value
/// depends on its field and bytes alone, so a reused one is the value it would have read.
#[derive(Default)]
pub(super) struct Interned {
    periods: rustc_hash::FxHashMap<Vec<u8>, Arc<str>>,
    empty: Arc<str>,
    last_key: Option<(Vec<u8>, Arc<str>)>,
    /// Per field: the last cell's bytes and the value read from them (none after a cell
    /// with a problem).
    last_cells: Vec<Option<(Vec<u8>, Value)>>,
}

impl Interned {
    fn key(&mut self, raw: &[u8]) -> Arc<str> {
        if let Some((bytes, key)) = &self.last_key {
            if bytes.as_slice() == raw {
                return key.clone();
            }
        }
        let key: Arc<str> = Arc::from(String::from_utf8_lossy(raw).trim());
        self.last_key = Some((raw.to_vec(), key.clone()));
        key
    }

    fn period(&mut self, text: Option<&[u8]>) -> Arc<str> {
        let Some(p) = text.map(<[u8]>::trim_ascii) else { return self.empty.clone() };
        if let Some(a) = self.periods.get(p) {
            return a.clone();
        }
        let a: Arc<str> = String::from_utf8_lossy(p).into();
        self.periods.insert(p.to_vec(), a.clone());
        a
    }
}

/// What parsing any stretch of a file's body needs: the dataset, where its columns are in
/// the file, and the missing values its cells share.
pub(super) struct Rows<'a> {
    pub spec: &'a DatasetSpec,
    pub delimiter: u8,
    pub columns: &'a Columns,
    pub headers: &'a [String],
    pub missing: &'a MissingValues,
}

impl Rows<'_> {
    /// Parse a stretch of the body that starts and ends at record boundaries, appending its
    /// rows to `part`: `offset` is where the stretch starts in the file's text, and
    /// `lines_before` how many line breaks are above it. The stretch is cut into pieces
    /// parsed in parallel, each writing into its own slice of the grown value columns (no
    /// per-piece columns to allocate and concatenate).
    pub fn parse(&self, body: &[u8], scan: &Scan, offset: usize, lines_before: usize, part: &mut FilePart) {
        let bounds = scan.chunk_bounds(body);
        // Each piece's lone CRs (the scan counted its line feeds), and so its room.
        let lone: Vec<usize> = bounds
            .par_iter()
            .map(|&(start, end, _, _)| lone_returns(body.get(start..end).unwrap_or_default()))
            .collect();
        let caps: Vec<usize> = bounds
            .iter()
            .zip(&lone)
            .map(|(&(start, end, _, lines), lone)| {
                record_capacity(body.get(start..end).unwrap_or_default(), lines, *lone)
            })
            .collect();
        let total: usize = caps.iter().sum();
        let base = part.keys.len();
        part.columns.par_iter_mut().for_each(|c| c.resize(base.saturating_add(total), Value::Bool(false)));
        let mut slots: Vec<Vec<&mut [Value]>> = caps.iter().map(|_| Vec::with_capacity(part.columns.len())).collect();
        for column in &mut part.columns {
            let mut rest: &mut [Value] = column.get_mut(base..).unwrap_or_default();
            for (cap, slot) in caps.iter().zip(&mut slots) {
                let (head, tail) = std::mem::take(&mut rest).split_at_mut_checked(*cap).unwrap_or_default();
                slot.push(head);
                rest = tail;
            }
        }
        let parsed: Vec<Chunk> = bounds
            .par_iter()
            .zip(&lone)
            .zip(slots.into_par_iter())
            .map(|((&(start, end, first_line, lines), lone), mut out)| {
                let piece = body.get(start..end).unwrap_or_default();
                let first_line = lines_before.saturating_add(first_line).saturating_add(1);
                // A lone CR ends a record for the csv crate only: such a piece is its.
                let plain = if *lone == 0 {
                    self.plain_piece(piece, offset.saturating_add(start), first_line, lines, &mut out)
                } else {
                    None
                };
                plain.unwrap_or_else(|| {
                    self.chunk(piece, offset.saturating_add(start), first_line, lines.saturating_add(1), &mut out)
                })
            })
            .collect();
        // Append the chunks' keys, periods and origins, and close the gaps chunks left in
        // the value columns, each on its own thread.
        let mut filled = Vec::with_capacity(parsed.len());
        let (mut start, mut rows) = (base, base);
        let (mut origins, mut keys, mut periods) = (Vec::new(), Vec::new(), Vec::new());
        for (mut chunk, cap) in parsed.into_iter().zip(&caps) {
            part.excluded = part.excluded.saturating_add(chunk.excluded);
            part.problems.extend(chunk.problems.drain(..).map(|p| RowProblem { row: p.row.saturating_add(rows), ..p }));
            filled.push((start, chunk.keys.len()));
            start = start.saturating_add(*cap);
            rows = rows.saturating_add(chunk.keys.len());
            origins.push(chunk.origins);
            keys.push(chunk.keys);
            periods.push(chunk.periods);
        }
        // Room for the new rows at once (a chained iterator does not say its length).
        let added = rows.saturating_sub(base);
        part.origins.reserve(added);
        part.keys.reserve(added);
        part.periods.reserve(added);
        let filled = &filled;
        rayon::scope(|s| {
            s.spawn(|_| part.origins.extend(origins.into_iter().flatten()));
            s.spawn(|_| part.keys.extend(keys.into_iter().flatten()));
            s.spawn(|_| part.periods.extend(periods.into_iter().flatten()));
            for column in &mut part.columns {
                s.spawn(move |_| close_gaps(column, base, filled));
            }
        });
    }

    /// Parse one piece into its slices of the value columns (`out`, one per field).
    pub(super) fn chunk(
        &self,
        bytes: &[u8],
        offset: usize,
        first_line: usize,
        rows: usize,
        out: &mut [&mut [Value]],
    ) -> Chunk {
        let Rows { spec, delimiter, columns, headers, missing } = *self;
        let mut reader =
            csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(bytes);
        let mut chunk = Chunk::with_capacity(rows);
        let mut interned = Interned::default();
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
                        line: first_line.saturating_add(line.saturating_sub(1)),
                        offset: offset.saturating_add(byte),
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
            let exclusion = excluded(spec, columns, &record, missing);
            if exclusion == Ok(true) {
                chunk.excluded = chunk.excluded.saturating_add(1);
                continue;
            }
            let row = chunk.keys.len();
            if let Err((column, problem)) = exclusion {
                chunk.problems.push(RowProblem { row, column: Some(column), problem });
            }
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
                position = (position.0.saturating_add(1), position.1.saturating_add(1));
            }
            chunk.origins.push(RowOrigin {
                file: 0,
                line: first_line.saturating_add(position.0).saturating_sub(1),
                offset: offset.saturating_add(position.1),
            });
            if record.len() != headers.len() {
                chunk.problems.push(RowProblem {
                    row,
                    column: None,
                    problem: CellProblem::RowShape { fields: record.len(), header_fields: headers.len() },
                });
            }
            self.row(&record, row, &mut chunk, out, &mut interned);
        }
        chunk
    }

    /// Read a record into row `row` of the piece: its key, its period and its cells.
    pub(super) fn row(
        &self,
        record: &impl Fields,
        row: usize,
        chunk: &mut Chunk,
        out: &mut [&mut [Value]],
        interned: &mut Interned,
    ) {
        let Rows { spec, columns, headers, missing, .. } = *self;
        let key: Arc<str> = match record.field(columns.key) {
            Some(k) => interned.key(&k),
            None => interned.empty.clone(),
        };
        if key.is_empty() {
            chunk.problems.push(RowProblem::missing_key(row, columns.key, spec));
        }
        chunk.keys.push(key);
        let period = columns.period.and_then(|p| record.field(p));
        chunk.periods.push(interned.period(period.as_deref()));
        if interned.last_cells.len() < spec.fields.len() {
            interned.last_cells.resize(spec.fields.len(), None);
        }
        let fields = spec.fields.iter().zip(&columns.fields).zip(out.iter_mut()).zip(interned.last_cells.iter_mut());
        for (((f, source), col), last) in fields {
            put(col, row, cell(f, *source, record, (headers, missing), row, &mut chunk.problems, last));
        }
    }
}

fn put(column: &mut [Value], row: usize, value: Value) {
    if let Some(slot) = column.get_mut(row) {
        *slot = value;
    }
}

/// The most records a piece with `newlines` line feeds and `lone_returns` lone CRs can
/// hold: one per line terminator (`\n`, `\r\n` or a lone `\r`, as the CSV reader takes
/// them), and one more if the piece does not end with one.
fn record_capacity(piece: &[u8], newlines: usize, lone_returns: usize) -> usize {
    let open_end = piece.last().is_some_and(|b| *b != b'\n' && *b != b'\r');
    newlines.saturating_add(lone_returns).saturating_add(usize::from(open_end))
}

/// The CRs in a piece not followed by a line feed.
pub(super) fn lone_returns(piece: &[u8]) -> usize {
    memchr::memchr_iter(b'\r', piece).filter(|&i| piece.get(i.saturating_add(1)) != Some(&b'\n')).count()
}

/// Move each chunk's rows (`filled`: where its slice starts, how many rows it wrote) down
/// to follow the previous chunk's, from row `base` on, and drop the unused slots at the end.
/// Nothing moves when every line was a record.
fn close_gaps(column: &mut Vec<Value>, base: usize, filled: &[(usize, usize)]) {
    let mut to = base;
    for &(from, rows) in filled {
        if from != to {
            for k in 0..rows {
                column.swap(to.saturating_add(k), from.saturating_add(k));
            }
        }
        to = to.saturating_add(rows);
    }
    column.truncate(to);
}

/// Does an `exclude` rule leave this row out? `Err` with the column of a cell the rule
/// cannot read (see [`excludes`]): the row is kept, with that problem.
pub(super) fn excluded(
    spec: &DatasetSpec,
    columns: &Columns,
    record: &impl Fields,
    missing: &MissingValues,
) -> Result<bool, (usize, CellProblem)> {
    for (rule, col) in spec.exclude.iter().zip(&columns.exclude) {
        let text =
            col.and_then(|c| record.field(c)).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
        match excludes(spec, rule, &text, missing) {
            Ok(true) => return Ok(true),
            Ok(false) => {}
            Err(problem) => return Err((col.unwrap_or_default(), problem)),
        }
    }
    Ok(false)
}

fn cell(
    f: &FieldSpec,
    source: Option<usize>,
    record: &impl Fields,
    (headers, missing): (&[String], &MissingValues),
    row: usize,
    problems: &mut Vec<RowProblem>,
    last: &mut Option<(Vec<u8>, Value)>,
) -> Value {
    let Some(col) = source else { return missing.no_column.clone() };
    let Some(raw) = record.field(col) else { return missing.blank.clone() };
    // Most number cells are plain digits: read them straight from the bytes.
    if matches!(f.kind, FieldKind::Number) && !missing.plain_marker {
        if let Some(d) = super::number::plain(&raw) {
            return Value::Num(d);
        }
    }
    if let Some((bytes, value)) = last.as_ref() {
        if bytes.as_slice() == raw.as_ref() {
            return value.clone();
        }
    }
    // The text was checked to be UTF-8 as a whole, and fields split at ASCII bytes.
    let text = std::str::from_utf8(&raw).map_or_else(|_| String::from_utf8_lossy(&raw), Cow::Borrowed);
    let header = headers.get(col).map_or("", String::as_str);
    match convert(f, &text, header, missing) {
        Ok(v) => {
            match last {
                Some((bytes, value)) => {
                    bytes.clear();
                    bytes.extend_from_slice(&raw);
                    *value = v.clone();
                }
                None => *last = Some((raw.to_vec(), v.clone())),
            }
            v
        }
        Err(problem) => {
            *last = None;
            problems.push(RowProblem { row, column: Some(col), problem });
            missing.blank.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{close_gaps, lone_returns, record_capacity};
    use crate::value::Value;
    use rust_decimal::Decimal;

    #[test]
    fn capacity_counts_every_line_end_the_reader_takes() {
        let record_capacity =
            |piece: &[u8]| record_capacity(piece, memchr::memchr_iter(b'\n', piece).count(), lone_returns(piece));
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
        let mut column = vec![n(1), n(2), gap.clone(), n(3), n(4), n(5), gap.clone(), gap.clone()];
        close_gaps(&mut column, 0, &[(0, 2), (3, 2), (5, 1)]);
        assert_eq!(column, vec![n(1), n(2), n(3), n(4), n(5)]);
        // A second stretch's chunks, after the two rows already in place.
        let mut later = vec![n(1), n(2), n(3), gap.clone(), n(4)];
        close_gaps(&mut later, 2, &[(2, 1), (4, 1)]);
        assert_eq!(later, vec![n(1), n(2), n(3), n(4)]);
        let mut full = vec![n(1), n(2)];
        close_gaps(&mut full, 0, &[(0, 1), (1, 1)]);
        assert_eq!(full, vec![n(1), n(2)]);
    }
}
