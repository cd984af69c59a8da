//! Where a data value came from: file, sheet, row, column and raw text, with the line it
//! is on. Clean files' text is not kept after loading, so the line is read again from the
//! file at the row's recorded byte offset (one seek, not the whole file).

use super::graph::Cell;
use crate::data::{delimited_field, FieldKey, RowOrigin, Table};
use crate::eval::frame::Frame;
use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// Rows of a rolled-up value shown before the rest are counted.
const MAX_PARTS: usize = 20;
/// The longest line read back (a safety net against a file changed since loading).
const MAX_LINE: usize = 1 << 20;

/// The cells behind one entity's value of a field (several for a value summed from records).
pub fn cells(frame: &Frame<'_>, key: &FieldKey, row: usize, delimiters: &HashMap<String, u8>) -> Vec<Cell> {
    let Some((t, table)) = frame
        .tables
        .iter()
        .enumerate()
        .find(|(i, t)| (!t.records || frame.records == Some(*i)) && t.columns.contains_key(key))
    else {
        return Vec::new();
    };
    let Some(table_row) = frame.rows.get(t).and_then(|r| r.get(row)) else {
        return Vec::new();
    };
    let origins: Vec<RowOrigin> = match &table.parts {
        Some(parts) => parts.get(table_row).map(|p| p.iter().take(MAX_PARTS).copied().collect()).unwrap_or_default(),
        None => table.origins.get(table_row).copied().into_iter().collect(),
    };
    let delimiter = delimiters.get(&table.dataset).copied().unwrap_or(b',');
    origins.into_iter().filter_map(|o| cell(table, key, o, delimiter)).collect()
}

fn cell(table: &Table, key: &FieldKey, origin: RowOrigin, delimiter: u8) -> Option<Cell> {
    let file = table.files.get(origin.file)?;
    let column = table.column_index.get(key).and_then(|ix| ix.get(origin.file)).copied().flatten();
    let header = column.and_then(|c| file.headers.get(c)).cloned();
    let text_file = file.sheet.is_none()
        && matches!(file.path.extension().map(|e| e.to_string_lossy().to_lowercase()).as_deref(), Some("csv" | "txt"));
    // The CSV reader places a row after a CRLF line at that line's `\n`, one line early:
    // step over it (and count the line) so the row shown is the row read.
    let (line_text, row) = match text_file.then(|| read_line(&file.path, origin.offset)).flatten() {
        Some((text, true)) => (Some(text), origin.line.saturating_add(1)),
        Some((text, false)) => (Some(text), origin.line),
        None => (None, origin.line),
    };
    let range = match (&line_text, column) {
        (Some(line), Some(c)) => delimited_field(line, 0, c, delimiter),
        _ => None,
    };
    let raw = match (&line_text, range) {
        (Some(line), Some((s, e))) => line.get(s..e).map(str::to_string),
        _ => None,
    };
    Some(Cell {
        file: file.display.clone(),
        sheet: file.sheet.clone(),
        row,
        column: column.map(|c| c.saturating_add(1)),
        header,
        raw,
        line_text,
        range,
    })
}

/// The line starting at byte `offset` of a text file (offsets count from after a
/// byte-order mark, as loading does), and whether a line end at the offset was skipped.
pub fn read_line(path: &Path, offset: usize) -> Option<(String, bool)> {
    let mut f = crate::source::open_input(path).ok()?;
    let mut bom = [0u8; 3];
    let has_bom = f.read_exact(&mut bom).is_ok() && bom == [0xEF, 0xBB, 0xBF];
    let start = (offset as u64).saturating_add(if has_bom { 3 } else { 0 });
    f.seek(SeekFrom::Start(start)).ok()?;
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let mut first = true;
    let mut skipped = false;
    loop {
        let n = f.read(&mut buf).ok()?;
        let mut chunk = buf.get(..n)?;
        if n == 0 {
            break;
        }
        if std::mem::take(&mut first) && chunk.first() == Some(&b'\n') {
            chunk = chunk.get(1..)?;
            skipped = true;
        }
        if let Some(end) = chunk.iter().position(|b| *b == b'\n') {
            out.extend_from_slice(chunk.get(..end)?);
            break;
        }
        out.extend_from_slice(chunk);
        if out.len() > MAX_LINE {
            break;
        }
    }
    if out.last() == Some(&b'\r') {
        out.pop();
    }
    String::from_utf8(out).ok().map(|text| (text, skipped))
}
