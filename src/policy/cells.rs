//! The cells behind a verdict: for each field a policy reads, the file, line, column,
//! header and text of the row's cell, with a span into the file's text so that a
//! diagnostic can underline it (a CSV cell, or a YAML record's value on its line).

use crate::data::{delimited_field, delimited_fields, FieldKey, RowOrigin, Table};
use crate::eval::frame::Frame;
use crate::source::{FileId, SourceFile, Span};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;

/// Cells listed per violation before the rest are left out (a KPI over every function
/// reads dozens).
const MAX_CELLS: usize = 12;

/// One data cell a verdict read.
#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    pub field: Arc<str>,
    pub file: Arc<str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    /// 1-based line (text files) or row (spreadsheets).
    pub line: usize,
    /// 1-based column, where the file has one for the field.
    pub column: Option<usize>,
    pub header: Option<Arc<str>>,
    /// The cell's text as written (none where the file cannot be read again).
    pub text: Option<String>,
    #[serde(skip)]
    pub span: Option<Span>,
}

/// Finds the cells of a frame's rows for a list of fields.
pub struct Cells<'f, 's> {
    frame: &'f Frame<'f>,
    /// For each field read, the tables and column keys that hold it, and its label.
    keys: Arc<Vec<(usize, FieldKey, Arc<str>)>>,
    /// Text every verdict's cells share (file paths, headers), made once.
    shared: rustc_hash::FxHashMap<String, Arc<str>>,
    /// The table the policy ranges over (a record's own row).
    home: usize,
    sources: &'s mut Vec<SourceFile>,
    /// Files whose text has been registered as a source, by path: kept across policies,
    /// so a data file is read (and held) once however many policies read it.
    texts: &'s mut Texts,
    delimiters: &'f HashMap<String, u8>,
    /// Whether cells need spans into a registered source (for diagnostics and SARIF).
    spans: bool,
    /// Files read line by line when no spans are needed, by path, with the length of
    /// their byte-order mark.
    open: HashMap<std::path::PathBuf, (std::io::BufReader<std::fs::File>, usize)>,
    /// The line read last, split into its fields: a row's cells share it.
    last: Option<Line>,
}

/// A data line read back and split into its fields.
struct Line {
    /// The table, file and offset of the row it is.
    row: (usize, usize, usize),
    text: String,
    /// Whether the row's offset was the `\n` of a CRLF line before it (the reader places
    /// such rows there).
    crlf: bool,
    fields: Vec<(usize, usize)>,
}

/// A field a verdict read, with the index members it was read at (`None`: every cell of
/// the field, as for a field without indices).
pub type Read = (String, Option<std::collections::BTreeSet<Vec<String>>>);

/// The longest line read back for a cell (a safety net against a file changed since).
const MAX_LINE: u64 = 1 << 20;

/// Data files registered as sources, by path (none where the file cannot be read again).
pub type Texts = HashMap<std::path::PathBuf, Option<FileId>>;

impl<'f, 's> Cells<'f, 's> {
    pub fn new(
        fields: Vec<Read>,
        frame: &'f Frame<'f>,
        home: usize,
        sources: &'s mut Vec<SourceFile>,
        texts: &'s mut Texts,
        delimiters: &'f HashMap<String, u8>,
        spans: bool,
    ) -> Self {
        let mut keys = Vec::new();
        for (field, members) in &fields {
            for (t, table) in frame.tables.iter().enumerate() {
                if table.records && t != home {
                    continue;
                }
                let read = |k: &&FieldKey| k.field == *field && members.as_ref().is_none_or(|m| m.contains(&k.index));
                keys.extend(table.columns.keys().filter(read).map(|k| (t, k.clone(), Arc::from(field_label(k)))));
            }
        }
        Cells {
            frame,
            keys: Arc::new(keys),
            shared: rustc_hash::FxHashMap::default(),
            home,
            sources,
            texts,
            delimiters,
            spans,
            open: HashMap::new(),
            last: None,
        }
    }

    /// The file and line of a row of the policy's own dataset.
    /// None for a row summed from several records (an organisation's sites): no one line is its.
    pub fn record(&mut self, row: usize) -> Option<(Arc<str>, usize)> {
        let table = self.frame.tables.get(self.home)?;
        if table.parts.is_some() {
            return None;
        }
        let table_row = self.frame.rows.get(self.home)?.get(row)?;
        let origin = table.origins.get(table_row)?;
        let display = &table.files.get(origin.file)?.display;
        Some((share(&mut self.shared, display), origin.line))
    }

    /// The cells of these rows (one, or a group's) for the fields read, at most
    /// [`MAX_CELLS`].
    pub fn of_rows(&mut self, rows: &[usize]) -> Vec<Cell> {
        let mut out = Vec::new();
        for &row in rows {
            if out.len() >= MAX_CELLS {
                break;
            }
            out.extend(self.of_row(row));
        }
        out.truncate(MAX_CELLS);
        out
    }

    fn of_row(&mut self, row: usize) -> Vec<Cell> {
        let mut out = Vec::new();
        let frame = self.frame;
        let keys = Arc::clone(&self.keys);
        for (t, key, label) in keys.iter() {
            let t = *t;
            if out.len() >= MAX_CELLS {
                break;
            }
            let Some(table) = frame.tables.get(t) else { continue };
            let Some(table_row) = frame.rows.get(t).and_then(|r| r.get(row)) else { continue };
            // A value summed from records: the cells of the records it was summed from.
            let origins: &[RowOrigin] = match &table.parts {
                Some(parts) => parts.get(table_row).map_or(&[], Vec::as_slice),
                None => table.origins.get(table_row).map_or(&[], std::slice::from_ref),
            };
            for origin in origins.iter().take(MAX_CELLS) {
                if let Some(cell) = self.cell(t, key, label, *origin) {
                    out.push(cell);
                }
            }
        }
        out
    }

    fn cell(&mut self, t: usize, key: &FieldKey, label: &Arc<str>, origin: RowOrigin) -> Option<Cell> {
        let table: &Table = self.frame.tables.get(t)?;
        let file = table.files.get(origin.file)?;
        let column = table.column_index.get(key).and_then(|ix| ix.get(origin.file)).copied().flatten();
        let header = column.and_then(|c| file.headers.get(c)).map(|h| share(&mut self.shared, h));
        let mut cell = Cell {
            field: label.clone(),
            file: share(&mut self.shared, &file.display),
            sheet: file.sheet.clone(),
            line: origin.line,
            column: column.map(|c| c.saturating_add(1)),
            header: header.clone(),
            text: None,
            span: None,
        };
        if file.sheet.is_some() {
            return Some(cell);
        }
        // Without spans (machine-read output), a CSV cell is read from its line alone: the
        // file's text is not held for the run.
        if !self.spans && file.source.is_none() {
            let row = (t, origin.file, origin.offset);
            if self.last.as_ref().is_none_or(|l| l.row != row) {
                let delimiter = self.delimiters.get(&table.dataset).copied().unwrap_or(b',');
                let line = match &file.window {
                    Some(window) => line_in(window, origin.offset).map(|(l, crlf)| (l.to_string(), crlf)),
                    None => self.read_line_at(&file.path, origin.offset),
                };
                self.last = line.map(|(text, crlf)| {
                    let fields = delimited_fields(&text, 0, delimiter);
                    Line { row, text, crlf, fields }
                });
            }
            if let Some(line) = &self.last {
                cell.line = if line.crlf { origin.line.saturating_add(1) } else { origin.line };
                let range = column.and_then(|c| line.fields.get(c));
                cell.text = range.and_then(|(s, e)| line.text.get(*s..*e)).map(|t| t.trim_matches('"').to_string());
            }
            return Some(cell);
        }
        let Some(id) = self.source(&file.path, &file.display, file.source) else { return Some(cell) };
        let text: Arc<str> = self.sources.get(id)?.text.clone();
        let yaml = matches!(
            file.path.extension().map(|e| e.to_string_lossy().to_lowercase()).as_deref(),
            Some("yaml" | "yml")
        );
        let found = if yaml {
            header.as_deref().and_then(|h| yaml_value(&text, origin.offset, h))
        } else {
            // A row after a CRLF line is placed at that line's `\n`: step over it.
            let (start, line) = match text.as_bytes().get(origin.offset) {
                Some(b'\n') => (origin.offset.saturating_add(1), origin.line.saturating_add(1)),
                _ => (origin.offset, origin.line),
            };
            cell.line = line;
            let delimiter = self.delimiters.get(&table.dataset).copied().unwrap_or(b',');
            column.and_then(|c| delimited_field(&text, start, c, delimiter))
        };
        if let Some((s, e)) = found {
            cell.text = text.get(s..e).map(|t| t.trim_matches('"').to_string());
            cell.span = Some(Span::new(id, s, e));
            if yaml {
                cell.line = text.get(..s).map_or(0, |b| b.matches('\n').count()).saturating_add(1);
            }
        }
        Some(cell)
    }

    /// The line at byte `offset` of a file, and whether the offset was the `\n` of a CRLF
    /// line before it (the reader places such rows there). One seek; the file stays open.
    fn read_line_at(&mut self, path: &std::path::Path, offset: usize) -> Option<(String, bool)> {
        use std::io::{BufRead, Read, Seek, SeekFrom};
        if !self.open.contains_key(path) {
            let mut file = std::io::BufReader::new(std::fs::File::open(path).ok()?);
            // Offsets count from after a byte-order mark, as the text was read.
            let bom = file.fill_buf().ok()?.starts_with(b"\xef\xbb\xbf");
            self.open.insert(path.to_path_buf(), (file, if bom { 3 } else { 0 }));
        }
        let (reader, skip) = self.open.get_mut(path)?;
        reader.seek(SeekFrom::Start(u64::try_from(offset.saturating_add(*skip)).ok()?)).ok()?;
        let mut bytes = Vec::new();
        reader.by_ref().take(MAX_LINE).read_until(b'\n', &mut bytes).ok()?;
        let crlf = bytes.first() == Some(&b'\n');
        if crlf {
            bytes.clear();
            reader.by_ref().take(MAX_LINE).read_until(b'\n', &mut bytes).ok()?;
        }
        Some((String::from_utf8(bytes).ok()?, crlf))
    }

    /// The source a data file's text is registered as, reading it once.
    fn source(&mut self, path: &std::path::Path, display: &str, known: Option<usize>) -> Option<FileId> {
        if let Some(id) = known {
            return Some(id);
        }
        if let Some(id) = self.texts.get(path) {
            return *id;
        }
        let id = crate::source::read_input_text(path).ok().map(|text| {
            self.sources.push(SourceFile { name: display.to_string(), path: path.to_path_buf(), text: text.into() });
            self.sources.len().saturating_sub(1)
        });
        self.texts.insert(path.to_path_buf(), id);
        id
    }
}

/// The line at file offset `at` of a chunk of the file, as [`Cells::read_line_at`] reads it
/// from the file.
fn line_in(window: &crate::data::TextWindow, at: usize) -> Option<(&str, bool)> {
    let bytes = window.from(at)?;
    let crlf = bytes.first() == Some(&b'\n');
    let bytes = if crlf { bytes.get(1..)? } else { bytes };
    let end = memchr::memchr(b'\n', bytes).map_or(bytes.len(), |n| n.saturating_add(1));
    Some((std::str::from_utf8(bytes.get(..end)?).ok()?, crlf))
}

/// The one shared copy of a text.
fn share(shared: &mut rustc_hash::FxHashMap<String, Arc<str>>, text: &str) -> Arc<str> {
    if let Some(a) = shared.get(text) {
        return a.clone();
    }
    let a: Arc<str> = Arc::from(text);
    shared.insert(text.to_string(), a.clone());
    a
}

/// `spend[travel]` for an indexed field, its name otherwise.
fn field_label(key: &FieldKey) -> String {
    if key.index.is_empty() {
        key.field.clone()
    } else {
        format!("{}[{}]", key.field, key.index.join(", "))
    }
}

/// The value of `key` in the YAML record starting at `offset`: the text after `key:` on
/// the first line of the record that starts with it (the record ends at the next `- `
/// item at its indentation or less).
fn yaml_value(text: &str, offset: usize, key: &str) -> Option<(usize, usize)> {
    let rest = text.get(offset..)?;
    let mut pos = offset;
    for (i, line) in rest.split_inclusive('\n').enumerate() {
        let trimmed = line.trim_start_matches([' ', '\t']);
        if i > 0 && trimmed.starts_with("- ") && line.len().saturating_sub(trimmed.len()) <= indent_of(rest) {
            return None;
        }
        let body = trimmed.strip_prefix("- ").unwrap_or(trimmed);
        let name = body
            .strip_prefix(key)
            .or_else(|| body.strip_prefix('"').and_then(|b| b.strip_prefix(key)).and_then(|b| b.strip_prefix('"')));
        if let Some(after) = name.and_then(|n| n.strip_prefix(':')) {
            let value = after.trim_start_matches([' ', '\t']);
            let start = pos.saturating_add(line.len().saturating_sub(value.len()));
            let end = start.saturating_add(value.trim_end().len());
            return Some((start, end));
        }
        pos = pos.saturating_add(line.len());
    }
    None
}

fn indent_of(text: &str) -> usize {
    text.len().saturating_sub(text.trim_start_matches([' ', '\t']).len())
}

#[cfg(test)]
mod tests {
    use super::yaml_value;

    #[test]
    fn a_yaml_value_is_found_in_its_own_record() {
        let text = "- Key: A\n  Kind: first\n- Key: B\n  Kind: second\n";
        let second = text.find("- Key: B").unwrap_or_default();
        let (s, e) = yaml_value(text, second, "Kind").unwrap_or_default();
        assert_eq!(text.get(s..e), Some("second"));
        let (s, e) = yaml_value(text, 0, "Key").unwrap_or_default();
        assert_eq!(text.get(s..e), Some("A"));
        assert_eq!(yaml_value(text, 0, "Other"), None);
    }
}
