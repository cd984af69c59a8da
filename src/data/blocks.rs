//! Large CSV files parsed chunk by chunk as they are read, through two reused buffers, so
//! the file is never held whole in memory: on the machines we measure, touching fresh
//! memory costs as much as parsing (benches/eval/README.md). Only a clean file takes this
//! path; anything that needs a diagnostic goes to the whole-file reader, which owns them.

use super::cells::MissingValues;
use super::csv::{header, Columns, Rows, Scan};
use super::stream::ChunkReader;
use super::{CellLocator, DatasetSpec, FilePart, LoadedFile, TextWindow};
use std::path::Path;
use std::sync::Arc;

/// Bytes per chunk: large enough that per-chunk work is negligible, small enough that the
/// two chunks in flight keep memory flat.
pub const CHUNK_BYTES: usize = 8 << 20;

/// The chunk size: `CHUNK_BYTES`, or `$ASSAY_CHUNK_BYTES` so tests can make many chunks of
/// a small file.
pub fn chunk_bytes() -> usize {
    std::env::var("ASSAY_CHUNK_BYTES").ok().and_then(|v| v.parse().ok()).unwrap_or(CHUNK_BYTES)
}

/// The file's rows, read chunk by chunk; `None` when it should be read whole instead: it
/// fits in one chunk, or something in it needs a diagnostic (the whole-file reader finds
/// and reports it), or it has lines above its header.
pub fn read(spec: &DatasetSpec, path: &Path, display: &str) -> Option<FilePart> {
    let Start { mut reader, mut chunk, head, columns, size } = start(spec, path)?;
    let missing = MissingValues::new(spec);
    let rows = Rows { spec, delimiter: spec.delimiter, columns: &columns, headers: &head.names, missing: &missing };
    let mut part = FilePart::new(
        loaded_file(path, display, &head.names),
        CellLocator::Delimited(spec.delimiter),
        spec.fields.len(),
        columns.fields.clone(),
    );
    let (mut from, mut lines_before, mut reserved) = (head.body_start, head.lines, false);
    loop {
        // Chunks end at line breaks, so a chunk is UTF-8 if the file is.
        std::str::from_utf8(&chunk.bytes).ok()?;
        let body = chunk.bytes.get(from..).unwrap_or_default();
        let scan = Scan::of(body);
        if !reserved {
            reserve(&mut part, scan.lines.saturating_mul(size).checked_div(body.len()).unwrap_or(0));
            reserved = true;
        }
        // Read (and hash) the next chunk while this one is parsed.
        let (next, ()) = rayon::join(
            || reader.next_chunk(),
            || rows.parse(body, &scan, chunk.offset.saturating_add(from), lines_before, &mut part),
        );
        if !part.problems.is_empty() {
            return None;
        }
        reader.recycle(std::mem::take(&mut chunk.bytes));
        match next {
            Ok(Some(c)) => chunk = c,
            Ok(None) => break,
            Err(_) => return None,
        }
        from = 0;
        lines_before = chunk.first_line.saturating_sub(1);
    }
    if part.keys.is_empty() {
        return None;
    }
    part.file.sha256 = reader.sha256();
    Some(part)
}

/// The file's rows as a part per chunk, each handed to `each` as soon as it is parsed
/// while a thread of its own reads and parses the next: memory stays that of a few
/// chunks. `each` returns false to stop. Gives the file (hashed), or `None` when it should
/// be read whole instead (see [`read`]), or `each` stopped.
pub fn each_part(
    spec: &DatasetSpec,
    path: &Path,
    display: &str,
    each: &mut dyn FnMut(FilePart) -> bool,
) -> Option<LoadedFile> {
    let Start { mut reader, mut chunk, head, columns, size: _ } = start(spec, path)?;
    let missing = MissingValues::new(spec);
    let rows = Rows { spec, delimiter: spec.delimiter, columns: &columns, headers: &head.names, missing: &missing };
    let file = loaded_file(path, display, &head.names);
    let new_part = || {
        FilePart::new(file.clone(), CellLocator::Delimited(spec.delimiter), spec.fields.len(), columns.fields.clone())
    };
    // One part in the channel and one being judged: the reader waits beyond that.
    let (parts, received) = std::sync::mpsc::sync_channel::<FilePart>(1);
    std::thread::scope(|scope| {
        let producer = scope.spawn(move || {
            let (mut from, mut lines_before) = (head.body_start, head.lines);
            loop {
                let body = chunk.bytes.get(from..).unwrap_or_default();
                let scan = Scan::of(body);
                let mut part = new_part();
                // The chunk is checked to be UTF-8 while it is parsed (a cell that is not
                // reads lossily, and the part is then dropped: the whole-file read reports it).
                let (next, (utf8, ())) = rayon::join(
                    || reader.next_chunk(),
                    || {
                        rayon::join(
                            || std::str::from_utf8(&chunk.bytes).is_ok(),
                            || rows.parse(body, &scan, chunk.offset.saturating_add(from), lines_before, &mut part),
                        )
                    },
                );
                if !utf8 {
                    return None;
                }
                // The rows' lines are read back from the chunk (for the cells a verdict
                // shows), so its buffer goes with them rather than back to the reader.
                let bytes = std::mem::take(&mut chunk.bytes);
                part.file.window = Some(Arc::new(TextWindow { offset: chunk.offset, bytes }));
                // A part with problems, or a consumer that stopped, ends the stream.
                if !part.problems.is_empty() || parts.send(part).is_err() {
                    return None;
                }
                match next {
                    Ok(Some(c)) => chunk = c,
                    Ok(None) => return Some(reader.sha256()),
                    Err(_) => return None,
                }
                from = 0;
                lines_before = chunk.first_line.saturating_sub(1);
            }
        });
        let mut stopped = false;
        for part in received.iter() {
            if !each(part) {
                stopped = true;
                break;
            }
        }
        drop(received);
        let sha256 = producer.join().ok().flatten();
        match (sha256, stopped) {
            (Some(sha256), false) => Some(LoadedFile { sha256, ..file.clone() }),
            _ => None,
        }
    })
}

/// A file opened for reading in chunks: its first chunk, header and columns.
struct Start {
    reader: ChunkReader<std::fs::File>,
    chunk: super::stream::RawChunk,
    head: super::csv::Header,
    columns: Columns,
    size: usize,
}

/// Open the file and read its header; `None` when it is to be read whole (it fits in
/// one chunk, has lines above its header, or its header does not give every column).
fn start(spec: &DatasetSpec, path: &Path) -> Option<Start> {
    let chunk_bytes = chunk_bytes();
    let file = crate::source::open_input(path).ok()?;
    let size = usize::try_from(file.metadata().ok()?.len()).ok()?;
    if size <= chunk_bytes || spec.header_row > 1 {
        return None;
    }
    let mut reader = ChunkReader::new(file, chunk_bytes);
    let chunk = reader.next_chunk().ok()??;
    let head = header(spec, &chunk.bytes, spec.delimiter)?;
    let columns = Columns::find(spec, &head.names)?;
    Some(Start { reader, chunk, head, columns, size })
}

fn loaded_file(path: &Path, display: &str, headers: &[String]) -> LoadedFile {
    LoadedFile {
        path: path.to_path_buf(),
        display: display.to_string(),
        sha256: String::new(),
        sheet: None,
        headers: headers.to_vec(),
        source: None,
        window: None,
    }
}

/// Room for about `rows` rows (a tenth more), so the columns grow without copying: room
/// never written is never touched, so an overestimate costs nothing. Where the system
/// refuses that much, the columns grow as they fill instead.
fn reserve(part: &mut FilePart, rows: usize) {
    let rows = rows.saturating_add(rows / 10).saturating_add(1024);
    let _ = part.origins.try_reserve_exact(rows);
    let _ = part.keys.try_reserve_exact(rows);
    let _ = part.periods.try_reserve_exact(rows);
    for column in &mut part.columns {
        let _ = column.try_reserve_exact(rows);
    }
}
