//! Spreadsheets (XLS, XLSX, ODS) through calamine: the chosen sheet is laid out as
//! tab-separated text, one line per sheet row, so that provenance, diagnostics and
//! parsing are those of delimited text, with rows numbered as in the spreadsheet.

use super::workbook::{read_sheet, Failure};
use super::{DatasetSpec, FilePart, LoadContext, LoadedFile};
use crate::check::suggest;
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use calamine::Data;
use std::fmt::Write;
use std::path::Path;

pub fn read(spec: &DatasetSpec, path: &Path, display: &str, ctx: &mut LoadContext<'_>) -> Option<FilePart> {
    let bytes = super::read_bytes(path, display, spec, ctx)?;
    let sha256 = crate::data::stamp::sha256_hex(&bytes);
    let unreadable = |ctx: &mut LoadContext<'_>, why: String| {
        ctx.diagnostics.push(
            Diagnostic::new(Code::DataUnreadable, format!("cannot read workbook `{display}`: {why}"))
                .primary(spec.span, format!("dataset `{}`", spec.name))
                .help("open and re-save the workbook, or export the sheet as CSV and name that file instead"),
        );
    };
    let (sheet, range) = match read_sheet(path, spec.sheet.as_deref()) {
        Ok(read) => read,
        Err(Failure::Unreadable(why)) => {
            unreadable(ctx, why);
            return None;
        }
        Err(Failure::NoSheet(names)) => {
            no_sheet(spec, display, &names, ctx);
            return None;
        }
    };
    let text = render(&range);
    let name = format!("{display} [{sheet}]");
    let source = ctx.add_source(&name, path, text.clone().into());
    let file = LoadedFile {
        path: path.to_path_buf(),
        display: display.to_string(),
        sha256,
        sheet: Some(sheet),
        headers: Vec::new(),
        source: Some(source),
        window: None,
    };
    super::csv::parse_text(spec, &text, b'\t', file, ctx)
}

/// The workbook has no sheet of the name the dataset gives.
fn no_sheet(spec: &DatasetSpec, display: &str, names: &[String], ctx: &mut LoadContext<'_>) {
    let sheet = spec.sheet.clone().unwrap_or_default();
    let help = match suggest::did_you_mean(&sheet, names.iter().map(String::as_str)) {
        Some(s) => format!("did you mean `{s}`?"),
        None => format!("the sheets are: {}", names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")),
    };
    ctx.diagnostics.push(
        Diagnostic::new(Code::DataMissingColumn, format!("workbook `{display}` has no sheet `{sheet}`"))
            .primary(spec.span, format!("dataset `{}` reads this sheet", spec.name))
            .help(help),
    );
}

/// The sheet as tab-separated lines, line n being sheet row n (rows above the used range
/// are blank lines). Tabs, line breaks and quotes inside cells become spaces and `'`.
fn render(range: &calamine::Range<Data>) -> String {
    let (first_row, first_col) = range.start().unwrap_or((0, 0));
    let mut out = String::new();
    for _ in 0..first_row {
        out.push('\n');
    }
    for row in range.rows() {
        for _ in 0..first_col {
            out.push('\t');
        }
        for (i, cell) in row.iter().enumerate() {
            if i > 0 {
                out.push('\t');
            }
            let text = cell_text(cell);
            out.extend(text.chars().map(|c| match c {
                '\t' | '\n' | '\r' => ' ',
                '"' => '\'',
                other => other,
            }));
        }
        out.push('\n');
    }
    out
}

/// A cell as the text a person sees: numbers in their shortest exact decimal form.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => {
            let mut s = String::new();
            let _ = write!(s, "{f}");
            s
        }
        Data::Bool(b) => b.to_string(),
        // A date serial number, as the workbook stores it: date fields accept no serials, so
        // such a cell is reported rather than guessed at.
        Data::DateTime(d) => d.as_f64().to_string(),
        Data::Error(e) => format!("#{e:?}"),
    }
}
