//! Stage 3, loading data: each `dataset` declaration read from its CSV, YAML or spreadsheet
//! file into typed columns, every value traceable to its file, row and column.

mod blocks;
pub mod cache;
mod cells;
mod csv;
mod loader;
pub mod number;
mod order;
mod plain;
mod rollup;
mod sheet;
mod spec;
pub mod stamp;
pub mod stream;
mod workbook;
mod yaml;

pub use blocks::{chunk_bytes, CHUNK_BYTES};

pub use yaml::{one_document, CharOffsets, YamlError};

pub use cells::{excludes, parse_date, CellProblem, MissingValues};
pub use loader::{CacheUse, Derive, Loaded, Loader};
pub use spec::{DatasetSpec, FieldKey, FieldKind, FieldSpec};

use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::source::{SourceFile, Span};
use crate::value::format::plural;
use crate::value::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Diagnostics shown per file before the rest are counted.
const MAX_SHOWN_PER_FILE: usize = 20;

/// What to do with a row that has bad data (`on_bad_row`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadRowPolicy {
    /// Stop: report every bad row, exit 1, write nothing.
    Reject,
    /// Leave the row out and count it.
    Skip,
    /// Leave the row out, count it and print a warning for it.
    Warn,
}

/// A data file that was read, for provenance and the output stamp.
#[derive(Debug, Clone)]
pub struct LoadedFile {
    pub path: PathBuf,
    /// The path as shown to users.
    pub display: String,
    pub sha256: String,
    pub sheet: Option<String>,
    pub headers: Vec<String>,
    /// The file's index among the sources, once a diagnostic or explanation needed its text.
    pub source: Option<usize>,
    /// For a file read chunk by chunk, the chunk its rows came from: their lines are read
    /// back from it, not from the file again.
    pub window: Option<Arc<TextWindow>>,
}

/// A stretch of a file's bytes, from byte `offset` on (whole lines).
#[derive(Debug)]
pub struct TextWindow {
    pub offset: usize,
    pub bytes: Vec<u8>,
}

impl TextWindow {
    /// The bytes from file offset `at` to the window's end, if the window holds `at`.
    pub fn from(&self, at: usize) -> Option<&[u8]> {
        self.bytes.get(at.checked_sub(self.offset)?..)
    }
}

/// Where a row came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowOrigin {
    pub file: usize,
    /// 1-based line (CSV, YAML) or row (spreadsheet) number.
    pub line: usize,
    /// Byte offset of the row's first character in a text file.
    pub offset: usize,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RowCounts {
    pub read: usize,
    pub used: usize,
    /// Left out because of bad data (`on_bad_row skip` or `warn`).
    pub skipped: usize,
    /// Left out by the dataset's `exclude` rules.
    pub excluded: usize,
}

/// One dataset, loaded: a row per entity and period (or per record), a column per field.
#[derive(Debug, Clone)]
pub struct Table {
    pub dataset: String,
    pub records: bool,
    pub files: Vec<LoadedFile>,
    pub origins: Vec<RowOrigin>,
    pub keys: Vec<Arc<str>>,
    pub periods: Vec<Arc<str>>,
    /// Shared, so that a frame whose rows are the table's own uses them without a copy.
    pub columns: BTreeMap<FieldKey, Arc<Vec<Value>>>,
    /// For each field, the index of the column it was read from in each file (None if absent).
    pub column_index: BTreeMap<FieldKey, Vec<Option<usize>>>,
    pub counts: RowCounts,
    /// For rolled-up records: the records each row was summed from.
    pub parts: Option<Vec<Vec<RowOrigin>>>,
}

/// A problem with one row, before the bad-row policy decides what it means.
#[derive(Debug, Clone)]
pub struct RowProblem {
    pub row: usize,
    pub column: Option<usize>,
    pub problem: CellProblem,
}

impl RowProblem {
    /// A row whose key cell (in file column `column`) is blank.
    pub fn missing_key(row: usize, column: usize, spec: &DatasetSpec) -> RowProblem {
        RowProblem {
            row,
            column: Some(column),
            problem: CellProblem::MissingKey { header: spec.key_column.node.clone() },
        }
    }
}

/// How to find a cell's bytes in its file's source text, for underlining it.
#[derive(Debug, Clone)]
pub enum CellLocator {
    /// Delimited text: the row is re-split (quote-aware) to find the n-th field.
    Delimited(u8),
    /// Known spans, by (row, column): YAML values.
    Spans(HashMap<(usize, usize), (usize, usize)>),
}

/// Everything loading needs and produces besides the tables: the sources that diagnostics
/// point into (rules first, then data files as they are needed) and the diagnostics.
pub struct LoadContext<'s> {
    pub sources: &'s mut Vec<SourceFile>,
    pub diagnostics: Vec<Diagnostic>,
}

impl LoadContext<'_> {
    /// Register a data file's text as a source, so diagnostics can show its lines.
    pub fn add_source(&mut self, name: &str, path: &Path, text: Arc<str>) -> usize {
        let id = self.sources.len();
        self.sources.push(SourceFile { name: name.to_string(), path: path.to_path_buf(), text });
        id
    }
}

/// Load one dataset from its files in the data folder (callers go through [`Loader`]).
/// `None` when it cannot be used (the reasons are in the context's diagnostics).
fn load_files(spec: &DatasetSpec, data_dir: &Path, ctx: &mut LoadContext<'_>) -> Option<Table> {
    if spec.files.is_empty() {
        ctx.diagnostics.push(
            Diagnostic::new(Code::InvalidDataset, format!("dataset `{}` names no file", spec.name))
                .primary(spec.span, "no `file`")
                .help("add `file \"name.csv\"` (a path under the data folder) to the dataset"),
        );
        return None;
    }
    let mut table = empty_table(spec);
    let mut ok = true;
    for (file, period) in &spec.files {
        let path = data_dir.join(&file.node);
        let display = crate::load::display(&path);
        match crate::source::readable_input(&path) {
            Ok(_) => {}
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                ctx.diagnostics.push(
                    Diagnostic::new(Code::DataFileMissing, format!("`{display}` not found"))
                        .primary(file.span, format!("dataset `{}` reads this file", spec.name))
                        .help("file paths are relative to the data folder (`--data`); check the folder or the name"),
                );
                ok = false;
                continue;
            }
            Err(err) => {
                ctx.diagnostics.push(unreadable(spec, &display, &err));
                ok = false;
                continue;
            }
        }
        let loaded = match extension(&path).as_str() {
            "csv" | "txt" => csv::read(spec, &path, &display, ctx),
            "yaml" | "yml" => yaml::read(spec, &path, &display, ctx),
            "xls" | "xlsx" | "xlsm" | "xlsb" | "ods" => sheet::read(spec, &path, &display, ctx),
            other => {
                ctx.diagnostics.push(
                    Diagnostic::new(Code::DataUnreadable, format!("`{display}`: no reader for `.{other}` files"))
                        .primary(file.span, "unknown format")
                        .help(
                            "data files are CSV (.csv), YAML (.yaml, .yml) or spreadsheets (.xls, .xlsx, .xlsm, .ods)",
                        ),
                );
                None
            }
        };
        match loaded {
            Some(mut part) => {
                if let (Some(p), None) = (period, &spec.period_column) {
                    let p: Arc<str> = Arc::from(p.as_str());
                    part.periods.iter_mut().for_each(|x| *x = p.clone());
                }
                let timer = crate::timing::Timer::start();
                append(&mut table, part, ctx, spec);
                timer.lap("  append");
            }
            None => ok = false,
        }
    }
    if !ok {
        return None;
    }
    if spec.rolls_up {
        return Some(rollup::roll_up(table, spec, ctx));
    }
    if !spec.records {
        let timer = crate::timing::Timer::start();
        duplicate_keys(&mut table, spec, ctx)?;
        timer.lap("  duplicate keys");
    }
    Some(table)
}

/// A dataset's one delimited file, chunk by chunk (see [`Loader::stream`]).
fn stream_file(spec: &DatasetSpec, data_dir: &Path, each: &mut dyn FnMut(Table) -> bool) -> Option<Table> {
    let [(file, period)] = spec.files.as_slice() else { return None };
    let path = data_dir.join(&file.node);
    if !matches!(extension(&path).as_str(), "csv" | "txt") {
        return None;
    }
    let display = crate::load::display(&path);
    let fixed: Option<Arc<str>> = match (period, &spec.period_column) {
        (Some(p), None) => Some(Arc::from(p.as_str())),
        _ => None,
    };
    // An entity's key once per period: a second time stops the stream, and the whole-file
    // load reports the duplicate. Hashes, not keys, are kept (a collision only costs that
    // load, which checks the keys themselves).
    let mut seen: rustc_hash::FxHashSet<u64> = rustc_hash::FxHashSet::default();
    let file = blocks::each_part(spec, &path, &display, &mut |part| {
        let FilePart { file, origins, keys, mut periods, columns, column_index, excluded, .. } = part;
        if let Some(p) = &fixed {
            periods.iter_mut().for_each(|x| *x = p.clone());
        }
        let rows = keys.len();
        let mut table = empty_table(spec);
        table.files.push(file);
        table.counts = RowCounts { read: rows.saturating_add(excluded), used: rows, skipped: 0, excluded };
        for ((field, values), index) in spec.fields.iter().zip(columns).zip(column_index) {
            table.columns.insert(field.key.clone(), Arc::new(values));
            table.column_index.insert(field.key.clone(), vec![index]);
        }
        if !spec.records {
            for (key, period) in keys.iter().zip(&periods) {
                use std::hash::{Hash, Hasher};
                let mut h = rustc_hash::FxHasher::default();
                (period.as_ref(), key.as_ref()).hash(&mut h);
                if !seen.insert(h.finish()) {
                    return false;
                }
            }
        }
        (table.origins, table.keys, table.periods) = (origins, keys, periods);
        each(table)
    })?;
    let mut table = empty_table(spec);
    table.files.push(file);
    Some(table)
}

/// A dataset's table with no rows yet.
fn empty_table(spec: &DatasetSpec) -> Table {
    Table {
        dataset: spec.name.clone(),
        records: spec.records,
        files: Vec::new(),
        origins: Vec::new(),
        keys: Vec::new(),
        periods: Vec::new(),
        columns: spec.fields.iter().map(|f| (f.key.clone(), Arc::default())).collect(),
        column_index: spec.fields.iter().map(|f| (f.key.clone(), Vec::new())).collect(),
        counts: RowCounts::default(),
        parts: None,
    }
}

fn extension(path: &Path) -> String {
    path.extension().map(|e| e.to_string_lossy().to_lowercase()).unwrap_or_default()
}

/// One file's rows, as a reader produces them.
pub struct FilePart {
    pub file: LoadedFile,
    pub locate: CellLocator,
    pub origins: Vec<RowOrigin>,
    pub keys: Vec<Arc<str>>,
    pub periods: Vec<Arc<str>>,
    /// In the order of `spec.fields`.
    pub columns: Vec<Vec<Value>>,
    pub column_index: Vec<Option<usize>>,
    pub problems: Vec<RowProblem>,
    /// Rows left out by `exclude` rules.
    pub excluded: usize,
}

impl FilePart {
    /// A file's part with no rows yet, for a reader to fill.
    pub fn new(file: LoadedFile, locate: CellLocator, fields: usize, column_index: Vec<Option<usize>>) -> FilePart {
        FilePart {
            file,
            locate,
            origins: Vec::new(),
            keys: Vec::new(),
            periods: Vec::new(),
            columns: vec![Vec::new(); fields],
            column_index,
            problems: Vec::new(),
            excluded: 0,
        }
    }
}

/// Apply the bad-row policy to a file's rows and add the good ones to the table.
fn append(table: &mut Table, mut part: FilePart, ctx: &mut LoadContext<'_>, spec: &DatasetSpec) {
    let file_index = table.files.len();
    let rows = part.keys.len();
    table.counts.read = table.counts.read.saturating_add(rows).saturating_add(part.excluded);
    table.counts.excluded = table.counts.excluded.saturating_add(part.excluded);
    let mut bad = vec![false; rows];
    part.problems.sort_by_key(|p| (p.row, p.column));
    for p in &part.problems {
        if let Some(b) = bad.get_mut(p.row) {
            *b = true;
        }
    }
    let bad_rows = bad.iter().filter(|b| **b).count();
    if bad_rows > 0 {
        report_problems(&mut part, ctx, spec, bad_rows);
    }
    if spec.policy == BadRowPolicy::Reject && bad_rows > 0 {
        table.files.push(part.file);
        return;
    }
    table.counts.skipped = table.counts.skipped.saturating_add(bad_rows);
    table.counts.used = table.counts.used.saturating_add(rows.saturating_sub(bad_rows));
    // The common case, one clean file: its columns become the table's, without a copy.
    if bad_rows == 0 && table.keys.is_empty() {
        table.origins = part.origins.into_iter().map(|o| RowOrigin { file: file_index, ..o }).collect();
        table.keys = part.keys;
        table.periods = part.periods;
        for ((field, values), index) in spec.fields.iter().zip(part.columns).zip(part.column_index) {
            table.columns.insert(field.key.clone(), Arc::new(values));
            if let Some(ix) = table.column_index.get_mut(&field.key) {
                ix.push(index);
            }
        }
        table.files.push(part.file);
        return;
    }
    let keep = |i: usize| !bad.get(i).copied().unwrap_or(true);
    for (i, origin) in part.origins.into_iter().enumerate() {
        if keep(i) {
            table.origins.push(RowOrigin { file: file_index, ..origin });
        }
    }
    table.keys.extend(part.keys.into_iter().enumerate().filter(|(i, _)| keep(*i)).map(|(_, k)| k));
    table.periods.extend(part.periods.into_iter().enumerate().filter(|(i, _)| keep(*i)).map(|(_, k)| k));
    for ((field, values), index) in spec.fields.iter().zip(part.columns).zip(part.column_index) {
        if let Some(col) = table.columns.get_mut(&field.key) {
            Arc::make_mut(col).extend(values.into_iter().enumerate().filter(|(i, _)| keep(*i)).map(|(_, v)| v));
        }
        if let Some(ix) = table.column_index.get_mut(&field.key) {
            ix.push(index);
        }
    }
    table.files.push(part.file);
}

/// Turn row problems into diagnostics: errors under `reject`, warnings under `warn`,
/// and one summary under `skip`.
fn report_problems(part: &mut FilePart, ctx: &mut LoadContext<'_>, spec: &DatasetSpec, bad_rows: usize) {
    let display = part.file.display.clone();
    match spec.policy {
        BadRowPolicy::Skip => {
            let first = part.problems.first().map(|p| cells::describe(&p.problem)).unwrap_or_default();
            ctx.diagnostics.push(
                Diagnostic::new(
                    Code::RowsSkipped,
                    format!("{bad_rows} row{} of `{display}` skipped", plural(bad_rows)),
                )
                .primary(spec.span, format!("dataset `{}` has `on_bad_row skip`", spec.name))
                .help(format!("the first: {first}; use `on_bad_row warn` to see each one")),
            );
        }
        BadRowPolicy::Reject | BadRowPolicy::Warn => {
            let warn = spec.policy == BadRowPolicy::Warn;
            let problems = std::mem::take(&mut part.problems);
            for p in problems.iter().take(MAX_SHOWN_PER_FILE) {
                let mut d = cells::diagnostic(p, part, spec, ctx);
                if warn {
                    d.level = crate::diagnostic::Level::Warning;
                    d.help = Some(format!("{} (the row is skipped: `on_bad_row warn`)", d.help.unwrap_or_default()));
                }
                ctx.diagnostics.push(d);
            }
            if problems.len() > MAX_SHOWN_PER_FILE {
                let more = problems.len().saturating_sub(MAX_SHOWN_PER_FILE);
                let code = problems.get(MAX_SHOWN_PER_FILE).map_or(Code::DataNotANumber, |p| p.problem.code());
                let mut d = Diagnostic::new(code, format!("{more} more bad cell{} in `{display}`", plural(more)))
                    .primary(spec.span, format!("dataset `{}`", spec.name))
                    .help("fix the ones above first; the rest are likely the same mistake");
                if warn {
                    d.level = crate::diagnostic::Level::Warning;
                }
                ctx.diagnostics.push(d);
            }
            part.problems = problems;
        }
    }
}

/// Rows whose key and period repeat an earlier row's: (first row, repeating row), in the
/// order of the repeating rows. Rows are hashed in parallel and sorted by hash, so equal
/// keys meet without a shared hash table (a serial pass over a million strings).
fn duplicate_rows(keys: &[Arc<str>], periods: &[Arc<str>]) -> Vec<(usize, usize)> {
    use rayon::prelude::*;
    use std::hash::BuildHasher;
    let hasher = rustc_hash::FxBuildHasher;
    let row = |i: usize| (keys.get(i).map(AsRef::as_ref), periods.get(i).map(AsRef::as_ref));
    let mut hashed: Vec<(u64, usize)> = (0..keys.len()).into_par_iter().map(|i| (hasher.hash_one(row(i)), i)).collect();
    hashed.par_sort_unstable();
    let mut dups = Vec::new();
    for run in hashed.chunk_by(|a, b| a.0 == b.0).filter(|run| run.len() > 1) {
        // Within a run rows are in order; a row repeats the first earlier row equal to it
        // (hashes can collide, so compare the text). Equal rows usually fill the run, so
        // the search ends at its first row.
        for (j, (_, later)) in run.iter().enumerate().skip(1) {
            let first = run.iter().take(j).map(|(_, i)| *i).find(|i| row(*i) == row(*later));
            if let Some(first) = first {
                dups.push((first, *later));
            }
        }
    }
    dups.sort_unstable_by_key(|(_, later)| *later);
    dups
}

/// Two rows for one entity and period: the later one is a bad row.
fn duplicate_keys(table: &mut Table, spec: &DatasetSpec, ctx: &mut LoadContext<'_>) -> Option<()> {
    let dups = duplicate_rows(&table.keys, &table.periods);
    if dups.is_empty() {
        return Some(());
    }
    // A clean large file's text is not kept: read each file involved again, once, so the
    // reports below can show its rows.
    for (first, second) in dups.iter().take(MAX_SHOWN_PER_FILE) {
        for row in [first, second] {
            let Some(o) = table.origins.get(*row).copied() else { continue };
            if let Some(file) = table.files.get_mut(o.file).filter(|f| f.source.is_none()) {
                file.source = reread_source(file, ctx);
            }
        }
    }
    for (first, second) in dups.iter().take(MAX_SHOWN_PER_FILE) {
        let key = table.keys.get(*second).map(|k| k.to_string()).unwrap_or_default();
        let period = table.periods.get(*second).map(|p| p.to_string()).unwrap_or_default();
        let at = |i: usize| table.origins.get(i).copied();
        let (Some(a), Some(b)) = (at(*first), at(*second)) else { continue };
        let name = |o: RowOrigin| table.files.get(o.file).map(|f| f.display.clone()).unwrap_or_default();
        let mut d = Diagnostic::new(
            Code::DataDuplicateKey,
            format!(
                "`{key}`{} appears twice in dataset `{}`",
                if period.is_empty() { String::new() } else { format!(" ({period})") },
                spec.name
            ),
        )
        .help(format!(
            "first at {}:{}, again at {}:{}; keep one row per entity and period",
            name(a),
            a.line,
            name(b),
            b.line
        ));
        if let Some(span) = row_span(table, b, ctx) {
            d = d.primary(span, "second row");
        }
        if let Some(span) = row_span(table, a, ctx) {
            d = d.secondary(span, "first row");
        }
        if spec.policy != BadRowPolicy::Reject {
            d.level = crate::diagnostic::Level::Warning;
        }
        ctx.diagnostics.push(d);
    }
    if spec.policy == BadRowPolicy::Reject {
        return None;
    }
    let drop: std::collections::HashSet<usize> = dups.iter().map(|(_, s)| *s).collect();
    retain_rows(table, |i| !drop.contains(&i));
    table.counts.skipped = table.counts.skipped.saturating_add(drop.len());
    table.counts.used = table.counts.used.saturating_sub(drop.len());
    Some(())
}

fn retain_rows(table: &mut Table, keep: impl Fn(usize) -> bool) {
    fn filter<T>(v: &mut Vec<T>, keep: &impl Fn(usize) -> bool) {
        let mut rows = 0usize..;
        v.retain(|_| rows.next().is_some_and(keep));
    }
    filter(&mut table.origins, &keep);
    filter(&mut table.keys, &keep);
    filter(&mut table.periods, &keep);
    for col in table.columns.values_mut() {
        filter(Arc::make_mut(col), &keep);
    }
}

/// The span of a whole row in its file's source text, registering the text if need be.
fn row_span(table: &Table, origin: RowOrigin, ctx: &LoadContext<'_>) -> Option<Span> {
    let id = table.files.get(origin.file)?.source?;
    let text = ctx.sources.get(id)?.text.clone();
    let rest = text.get(origin.offset..)?;
    let end = rest.find('\n').map_or(text.len(), |n| origin.offset.saturating_add(n));
    Some(Span::new(id, origin.offset, end.max(origin.offset)))
}

/// Register a file's text as a source by reading it again (its text was not kept).
fn reread_source(file: &LoadedFile, ctx: &mut LoadContext<'_>) -> Option<usize> {
    let bytes = crate::source::read_input(&file.path).ok()?;
    let text = String::from_utf8_lossy(bytes.strip_prefix(&[0xEF, 0xBB, 0xBF][..]).unwrap_or(&bytes)).into_owned();
    Some(ctx.add_source(&file.display, &file.path, Arc::from(text)))
}

/// The byte range of field `column` in the delimited row starting at `offset`.
pub fn delimited_field(text: &str, offset: usize, column: usize, delimiter: u8) -> Option<(usize, usize)> {
    delimited_fields(text, offset, delimiter).get(column).copied()
}

/// The byte ranges (quotes kept) of every field of the delimited row starting at
/// `offset`: one pass over the row, so a verdict that shows several of a row's cells
/// splits it once.
pub fn delimited_fields(text: &str, offset: usize, delimiter: u8) -> Vec<(usize, usize)> {
    let Some(bytes) = text.as_bytes().get(offset..) else { return Vec::new() };
    let mut out = Vec::new();
    // Most lines have no carriage return and no line break inside quotes: their fields are
    // found by jumping from delimiter to quote with `memchr`.
    let line = bytes.get(..memchr::memchr(b'\n', bytes).unwrap_or(bytes.len())).unwrap_or_default();
    if memchr::memchr(b'\r', line).is_none() {
        let (mut start, mut at, mut in_quotes) = (0usize, 0usize, false);
        loop {
            let rest = line.get(at..).unwrap_or_default();
            let found = if in_quotes { memchr::memchr(b'"', rest) } else { memchr::memchr2(delimiter, b'"', rest) };
            let Some(n) = found else { break };
            let i = at.saturating_add(n);
            if line.get(i) == Some(&b'"') {
                in_quotes = !in_quotes;
            } else {
                out.push((offset.saturating_add(start), offset.saturating_add(i)));
                start = i.saturating_add(1);
            }
            at = i.saturating_add(1);
        }
        if !in_quotes {
            out.push((offset.saturating_add(start), offset.saturating_add(line.len())));
            return out;
        }
        out.clear();
    }
    // A carriage return, or a quoted field over several lines: byte by byte.
    let (mut start, mut i, mut in_quotes) = (0usize, 0usize, false);
    while let Some(&b) = bytes.get(i) {
        match b {
            b'"' => in_quotes = !in_quotes,
            b'\n' | b'\r' if !in_quotes => break,
            _ if b == delimiter && !in_quotes => {
                out.push((offset.saturating_add(start), offset.saturating_add(i)));
                start = i.saturating_add(1);
            }
            _ => {}
        }
        i = i.saturating_add(1);
    }
    out.push((offset.saturating_add(start), offset.saturating_add(i)));
    out
}

/// A text data file: its content (without a byte-order mark) and SHA-256, or a
/// diagnostic if it cannot be read or is not UTF-8.
pub fn read_text(
    path: &Path,
    display: &str,
    spec: &DatasetSpec,
    ctx: &mut LoadContext<'_>,
) -> Option<(Arc<str>, String)> {
    let bytes = read_bytes(path, display, spec, ctx)?;
    // Hash and validate at once: both read the whole file.
    let (sha256, text) =
        rayon::join(|| crate::data::stamp::sha256_hex(&bytes), || utf8_text(&bytes, path, display, ctx).map(Arc::from));
    text.map(|t| (t, sha256))
}

/// A file's bytes as text, without a byte-order mark; a diagnostic if they are not UTF-8.
pub fn utf8_text<'b>(bytes: &'b [u8], path: &Path, display: &str, ctx: &mut LoadContext<'_>) -> Option<&'b str> {
    let body = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF][..]).unwrap_or(bytes);
    match std::str::from_utf8(body) {
        Ok(text) => Some(text),
        Err(err) => {
            let at = err.valid_up_to();
            let lossy: Arc<str> = String::from_utf8_lossy(body).into();
            let id = ctx.add_source(display, path, lossy);
            ctx.diagnostics.push(
                Diagnostic::new(Code::DataUnreadable, format!("`{display}` is not UTF-8 text"))
                    .primary(Span::new(id, at, at.saturating_add(1)), "this byte is not UTF-8")
                    .help("export the file as UTF-8 (in a spreadsheet: Save As, CSV UTF-8)"),
            );
            None
        }
    }
}

/// A data file's bytes, or a diagnostic saying why they cannot be read.
pub fn read_bytes(path: &Path, display: &str, spec: &DatasetSpec, ctx: &mut LoadContext<'_>) -> Option<Vec<u8>> {
    match crate::source::read_input(path) {
        Ok(b) => Some(b),
        Err(err) => {
            ctx.diagnostics.push(unreadable(spec, display, &err));
            None
        }
    }
}

/// A data file of `spec` that cannot be read, and why.
fn unreadable(spec: &DatasetSpec, display: &str, err: &std::io::Error) -> Diagnostic {
    Diagnostic::new(Code::DataUnreadable, format!("cannot read `{display}`: {err}"))
        .primary(spec.span, format!("dataset `{}`", spec.name))
        .help("check that the file exists and is readable")
}

#[cfg(test)]
mod tests {
    use super::duplicate_rows;
    use std::sync::Arc;

    fn arcs(v: &[&str]) -> Vec<Arc<str>> {
        v.iter().map(|s| Arc::from(*s)).collect()
    }

    #[test]
    fn repeats_point_at_the_first_row_in_row_order() {
        let keys = arcs(&["b", "a", "b", "a", "c", "b", "a"]);
        let periods = arcs(&["1", "1", "1", "2", "1", "1", "1"]);
        // b/1 at rows 0, 2, 5; a/1 at rows 1, 6; a/2 and c/1 once.
        assert_eq!(duplicate_rows(&keys, &periods), vec![(0, 2), (0, 5), (1, 6)]);
        assert!(duplicate_rows(&arcs(&["x", "y"]), &arcs(&["", ""])).is_empty());
    }

    #[test]
    fn many_copies_of_one_key_stay_linear() {
        let keys: Vec<Arc<str>> = vec![Arc::from("same"); 200_000];
        let periods: Vec<Arc<str>> = vec![Arc::from(""); 200_000];
        let dups = duplicate_rows(&keys, &periods);
        assert_eq!(dups.len(), 199_999);
        assert!(dups.iter().all(|(first, _)| *first == 0));
    }

    /// A field's range, found the quick way on a plain line and byte by byte on others,
    /// is where the csv crate reads that field (on a line after a first one, at its offset).
    #[test]
    fn a_field_is_found_where_the_csv_crate_reads_it() {
        let lines = [
            "a,b,,d",
            ",x,y,",
            "a,\"b,c\",d",
            "a,b\r\nnext",
            "a,\"say \"\"hi\"\"\",c",
            "",
            "only",
            "a\tb,c",
            "\"a\nb\",c,d",
            "\"1,234.50\",,\"x\"",
        ];
        for line in lines {
            let text = format!("head\n{line}\nmore,rows\n");
            let row = csv::ReaderBuilder::new().has_headers(false).from_reader(line.as_bytes()).records().next();
            let cells: Vec<String> =
                row.and_then(Result::ok).map(|r| r.iter().map(str::to_string).collect()).unwrap_or_default();
            for column in 0..6 {
                let found = super::delimited_field(&text, 5, column, b',').and_then(|(s, e)| text.get(s..e));
                let unquote =
                    |f: &str| f.strip_prefix('"').and_then(|f| f.strip_suffix('"')).unwrap_or(f).replace("\"\"", "\"");
                let found = found.map(unquote);
                assert_eq!(
                    found.as_deref(),
                    cells.get(column).map(String::as_str).or(if line.is_empty() && column == 0 {
                        Some("")
                    } else {
                        None
                    }),
                    "{line:?} column {column}"
                );
            }
        }
    }
}
