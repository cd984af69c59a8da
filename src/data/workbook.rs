//! Opening a workbook and reading one sheet through calamine, contained: a malformed file
//! can make calamine panic (a cell reference whose number overflows) or ask for a dense
//! grid of every cell up to a far corner (one cell at XFD1048576 is seventeen billion), so
//! a panic becomes an error, and an XLSX sheet's used area is bounded before any grid is
//! built.

use calamine::{open_workbook_auto, Cell, Data, DataRef, Range, Reader, Sheets};
use std::cell::Cell as Flag;
use std::io::{Read, Seek};
use std::path::Path;
use std::sync::Once;

/// Cells in a sheet's used area (rows × columns) above which it is refused: a grid of
/// this many cells takes about a gigabyte.
pub const MAX_CELLS: u64 = 1 << 25;

/// Why a sheet could not be read.
pub enum Failure {
    /// The workbook or the sheet cannot be read; the reason.
    Unreadable(String),
    /// The workbook has no such sheet; the sheets it has.
    NoSheet(Vec<String>),
}

/// The sheet `wanted` (default: the first) of the workbook at `path`, and its name.
pub fn read_sheet(path: &Path, wanted: Option<&str>) -> Result<(String, Range<Data>), Failure> {
    contained(|| read_unguarded(path, wanted)).unwrap_or_else(|why| Err(Failure::Unreadable(why)))
}

fn read_unguarded(path: &Path, wanted: Option<&str>) -> Result<(String, Range<Data>), Failure> {
    let unreadable = |e: &dyn std::fmt::Display| Failure::Unreadable(e.to_string());
    let mut workbook = open_workbook_auto(path).map_err(|e| unreadable(&e))?;
    let names = workbook.sheet_names();
    let sheet = wanted.map(str::to_string).or_else(|| names.first().cloned()).unwrap_or_default();
    if !names.contains(&sheet) {
        return Err(Failure::NoSheet(names));
    }
    let range = match &mut workbook {
        Sheets::Xlsx(book) => bounded_xlsx(book, &sheet)?,
        other => other.worksheet_range(&sheet).map_err(|e| unreadable(&e))?,
    };
    // The sheet is shown from its first row and column (the rows and columns before the
    // used area are blank), so a few cells far from A1 would make as large a grid.
    // (No position is printed: calamine wraps a reference past its integers, so the one it
    // gives may not be the file's.)
    if let Some((row, column)) = range.end() {
        let grid = u64::from(row).saturating_add(1).saturating_mul(u64::from(column).saturating_add(1));
        if grid > MAX_CELLS {
            return Err(Failure::Unreadable(format!(
                "a cell lies so far from A1 that the sheet would span more than {MAX_CELLS} cells (is a stray cell far from the table?)"
            )));
        }
    }
    Ok((sheet, range))
}

/// An XLSX sheet read cell by cell, as calamine's own reader does, but refused when its
/// cells span more than [`MAX_CELLS`].
fn bounded_xlsx<RS: Read + Seek>(book: &mut calamine::Xlsx<RS>, sheet: &str) -> Result<Range<Data>, Failure> {
    let unreadable = |e: calamine::XlsxError| Failure::Unreadable(e.to_string());
    let mut reader = book.worksheet_cells_reader(sheet).map_err(unreadable)?;
    let mut cells = Vec::new();
    let (mut first, mut last) = ((u32::MAX, u32::MAX), (0u32, 0u32));
    while let Some(cell) = reader.next_cell().map_err(unreadable)? {
        if matches!(cell.get_value(), DataRef::Empty) {
            continue;
        }
        let (row, column) = cell.get_position();
        first = (first.0.min(row), first.1.min(column));
        last = (last.0.max(row), last.1.max(column));
        let rows = u64::from(last.0.saturating_sub(first.0)).saturating_add(1);
        let columns = u64::from(last.1.saturating_sub(first.1)).saturating_add(1);
        if rows.saturating_mul(columns) > MAX_CELLS {
            return Err(Failure::Unreadable(format!(
                "its cells span {rows} rows by {columns} columns, more than {MAX_CELLS} cells (is a stray cell far from the table?)"
            )));
        }
        cells.push(Cell::new((row, column), Data::from(cell.get_value().clone())));
    }
    Ok(Range::from_sparse(cells))
}

thread_local! {
    /// Set while calamine runs on this thread: its panics are reported as errors, so the
    /// panic hook stays quiet about them.
    static CONTAINED: Flag<bool> = const { Flag::new(false) };
}

/// Run `f`; a panic in it is returned as its message, and not printed.
fn contained<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    static QUIET_HOOK: Once = Once::new();
    QUIET_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !CONTAINED.with(Flag::get) {
                previous(info);
            }
        }));
    });
    CONTAINED.with(|c| c.set(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    CONTAINED.with(|c| c.set(false));
    result.map_err(|payload| {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown".into());
        format!("the file is malformed (the spreadsheet reader stopped: {what})")
    })
}
