//! A case's inline entities, written to a throwaway data folder in the dataset's own file
//! format, so that tests read their inputs through the same loader as `assay eval`.

use super::spec::InlineCell;
use crate::ast::DefKind;
use crate::data::DatasetSpec;
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::eval::model::Model;
use crate::source::Span;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A data folder that is removed when dropped, with where each written cell came from.
pub struct TempData {
    pub dir: PathBuf,
    /// The written file, its delimiter (none for YAML), and for each data row (after the
    /// header) the YAML span of each column's value.
    pub file: PathBuf,
    pub delimiter: Option<u8>,
    pub origins: Vec<Vec<Option<Span>>>,
}

impl Drop for TempData {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

fn temp_dir() -> std::io::Result<TempData> {
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("assay-test-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    Ok(TempData { dir, file: PathBuf::new(), delimiter: None, origins: Vec::new() })
}

/// Write the rows as the dataset's file (CSV or YAML) in a new folder. Cells are named by
/// field (`turnover`, `cost[finance]`), by the entity (`organisation: A1`) or by column;
/// columns a row does not give are blank, which the dataset reads as missing.
pub fn write(
    model: &Model<'_>,
    dataset: Option<&(String, Span)>,
    rows: &[Vec<InlineCell>],
    period: Option<&str>,
    at: Span,
) -> Result<TempData, Vec<Diagnostic>> {
    let (specs, all) = (model.entity_datasets(), model.file_datasets());
    let spec = dataset_of(&specs, &all, dataset, at)?;
    let entity_name = model.definitions().find_map(|d| match &d.node.kind {
        DefKind::Dataset(ds) if d.node.name.node == spec.name => ds.entity.as_ref().map(|e| e.node.name.node.clone()),
        _ => None,
    });
    // Columns: the key, the period, then each field's.
    let mut headers: Vec<String> = vec![spec.key_column.node.clone()];
    let mut aliases: Vec<Vec<String>> = vec![entity_name.into_iter().chain(["id".to_string()]).collect()];
    if let Some(p) = &spec.period_column {
        headers.push(p.node.clone());
        aliases.push(vec!["period".to_string()]);
    }
    let period_col = spec.period_column.as_ref().map(|_| 1);
    for f in &spec.fields {
        headers.push(f.column.clone());
        aliases.push(vec![f.key.to_string()]);
    }
    let (table, origins) = cells(spec, (&headers, &aliases), rows, period_col.zip(period))?;
    let Some((file, _)) = spec.files.first() else {
        return Err(vec![invalid(at, format!("dataset `{}` names no file", spec.name), "these rows")]);
    };
    let mut data =
        temp_dir().map_err(|e| vec![invalid(at, format!("cannot make a data folder: {e}"), "these rows")])?;
    let path = data.dir.join(&file.node);
    let text = render(&path, &headers, &table, spec.delimiter).ok_or_else(|| {
        vec![invalid(at, format!("inline entities cannot be written as `{}`", file.node), "these rows")
            .help("write them to a CSV or YAML dataset, or give the case a `data:` folder")]
    })?;
    let written = path.parent().map_or(Ok(()), std::fs::create_dir_all).and_then(|()| std::fs::write(&path, text));
    written.map_err(|e| vec![invalid(at, format!("cannot write `{}`: {e}", path.display()), "these rows")])?;
    let csv = !matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"));
    data.delimiter = csv.then_some(spec.delimiter);
    data.file = path;
    data.origins = origins;
    Ok(data)
}

/// The dataset the rows are of: the one named, else the only dataset of entities.
/// The dataset rows are written to: the one named (entities or records), else the only
/// dataset of entities.
fn dataset_of<'s>(
    specs: &'s [DatasetSpec],
    all: &'s [DatasetSpec],
    dataset: Option<&(String, Span)>,
    at: Span,
) -> Result<&'s DatasetSpec, Vec<Diagnostic>> {
    let names: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
    match dataset {
        Some((name, span)) => all.iter().find(|s| s.name == *name).ok_or_else(|| {
            let every: Vec<&str> = all.iter().map(|s| s.name.as_str()).collect();
            vec![invalid(*span, format!("no dataset `{name}`"), "unknown dataset").help(
                crate::check::suggest::help_for(
                    name,
                    every.iter().copied(),
                    &format!("the datasets are: {}", every.join(", ")),
                ),
            )]
        }),
        None => match specs {
            [only] => Ok(only),
            _ => Err(vec![invalid(at, "which dataset are these entities rows of?", "these rows")
                .help(format!("add `dataset:` naming one of {}", names.join(", ")))]),
        },
    }
}

/// Each row's cells under the `columns` (headers, and the names each may be given by),
/// with the `period` (its column, its value) in every row, and where in the test file each
/// cell came from. A cell naming no column is a diagnostic.
#[allow(clippy::type_complexity, reason = "the cells and their origins side by side, or the diagnostics: used once")]
fn cells(
    spec: &DatasetSpec,
    (headers, aliases): (&[String], &[Vec<String>]),
    rows: &[Vec<InlineCell>],
    period: Option<(usize, &str)>,
) -> Result<(Vec<Vec<String>>, Vec<Vec<Option<Span>>>), Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let mut table: Vec<Vec<String>> = Vec::new();
    let mut origins: Vec<Vec<Option<Span>>> = Vec::new();
    for row in rows {
        let mut cells = vec![String::new(); headers.len()];
        let mut from = vec![None; headers.len()];
        if let Some((c, p)) = period {
            if let Some(slot) = cells.get_mut(c) {
                *slot = p.to_string();
            }
        }
        for InlineCell { name, value, name_span: span, value_span } in row {
            let col = headers.iter().zip(aliases).position(|(h, a)| h == name || a.iter().any(|x| x == name));
            match col.and_then(|c| cells.get_mut(c).map(|slot| (c, slot))) {
                Some((c, slot)) => {
                    *slot = value.clone();
                    if let Some(o) = from.get_mut(c) {
                        *o = Some(*value_span);
                    }
                }
                None => {
                    let known = aliases.iter().flatten().map(String::as_str);
                    diags.push(
                        invalid(*span, format!("dataset `{}` has no field `{name}`", spec.name), "not a field").help(
                            crate::check::suggest::help_for(
                                name,
                                known,
                                "name a field of the dataset, such as `turnover` or `cost[finance]`, or the entity",
                            ),
                        ),
                    );
                }
            }
        }
        table.push(cells);
        origins.push(from);
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    Ok((table, origins))
}

/// Where in the test file a byte of the written CSV file came from: its row (by line) and
/// column (by delimiters outside quotes), looked up among the cells the test wrote.
pub fn origin(data: &TempData, text: &str, offset: usize) -> Option<Span> {
    let delimiter = char::from(data.delimiter?);
    let before = text.get(..offset)?;
    let line = before.matches('\n').count();
    let start = before.rfind('\n').map_or(0, |i| i.saturating_add(1));
    let mut column = 0usize;
    let mut quoted = false;
    for c in text.get(start..offset)?.chars() {
        if c == '"' {
            quoted = !quoted;
        } else if c == delimiter && !quoted {
            column = column.saturating_add(1);
        }
    }
    *data.origins.get(line.checked_sub(1)?)?.get(column)?
}

fn render(path: &Path, headers: &[String], rows: &[Vec<String>], delimiter: u8) -> Option<String> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "yaml" | "yml" => {
            let mut out = String::new();
            for row in rows {
                let cells: Vec<String> = headers
                    .iter()
                    .zip(row)
                    .filter(|(_, v)| !v.is_empty())
                    .map(|(h, v)| format!("{}: {}", quote(h), quote(v)))
                    .collect();
                out.push_str(&format!("- {{{}}}\n", cells.join(", ")));
            }
            Some(out)
        }
        "csv" | "tsv" | "txt" => {
            let mut w = csv::WriterBuilder::new().delimiter(delimiter).from_writer(Vec::new());
            w.write_record(headers).ok()?;
            for row in rows {
                w.write_record(row).ok()?;
            }
            String::from_utf8(w.into_inner().ok()?).ok()
        }
        _ => None,
    }
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

pub fn invalid(span: Span, message: impl Into<String>, label: &str) -> Diagnostic {
    Diagnostic::new(Code::TestFileInvalid, message).primary(span, label.to_string())
}
