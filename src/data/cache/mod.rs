//! A binary cache of loaded datasets, so that explaining one figure of a large dataset does
//! not parse its CSV again: a 450 MB file takes seconds to tokenise and convert, its cached
//! columns a fraction of that to read.
//!
//! An entry is keyed by the dataset's loading plan and each file's path, size and
//! modification time; it holds the rows (keys, periods, provenance, the files' SHA-256 as
//! computed when they were read, so the stamp stays that of the bytes loaded) and one file
//! per field, so a figure reads only the columns it needs. Only loads without any
//! diagnostic are cached, and only for files of at least [`MIN_BYTES`]: small data loads
//! faster than its cache (`$ASSAY_CACHE_MIN_BYTES` changes the threshold, for tests).
//! Entries live in `$ASSAY_CACHE` (`off` disables the cache), else
//! `$XDG_CACHE_HOME/assay`, else `~/.cache/assay`. The cache is best effort: any problem
//! reading or writing it falls back to loading the files.

mod codec;
mod read;
mod write;

pub use read::Filter;

use crate::data::{self, DatasetSpec, FieldKind, FieldSpec, LoadContext, Table};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Data files smaller than this (in total) are loaded directly.
pub const MIN_BYTES: u64 = 16 << 20;
const MAGIC: &[u8] = b"assay-cache-2\n";
/// Keys longer than this are not cached: every key has a slot of the longest's width.
const MAX_KEY: usize = 1024;
/// Distinct values above which a field has no index of rows by value (it is scanned).
const MAX_GROUPS: usize = 1 << 16;
/// Bytes read at once when gathering rows.
const CHUNK_BYTES: usize = 1 << 20;
/// Bytes per row origin: file (4), line (8), offset (8).
const ORIGIN_BYTES: usize = 20;
const MISSING_TAG: u8 = 5;
/// Never written by a reader of data (cells are exact); the cache reader refuses it.
const APPROX_TAG: u8 = 6;

/// Load a dataset through the cache (see the module documentation).
/// With a filter, a table read from the cache holds only the rows it keeps (the flag says
/// so); a table loaded from its files holds every row.
pub fn load(
    spec: &DatasetSpec,
    data_dir: &Path,
    ctx: &mut LoadContext<'_>,
    filter: Option<&Filter<'_>>,
) -> Option<(Table, bool)> {
    match cache_dir() {
        Some(dir) => {
            let min = std::env::var("ASSAY_CACHE_MIN_BYTES").ok().and_then(|v| v.parse().ok()).unwrap_or(MIN_BYTES);
            load_with(spec, data_dir, ctx, &dir, min, filter)
        }
        None => data::load_files(spec, data_dir, ctx).map(|t| (t, false)),
    }
}

pub fn cache_dir() -> Option<PathBuf> {
    match std::env::var_os("ASSAY_CACHE") {
        Some(v) if v == "off" => None,
        Some(v) if !v.is_empty() => Some(PathBuf::from(v)),
        _ => std::env::var_os("XDG_CACHE_HOME")
            .filter(|v| !v.is_empty())
            .map(|v| PathBuf::from(v).join("assay"))
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache").join("assay"))),
    }
}

pub fn load_with(
    spec: &DatasetSpec,
    data_dir: &Path,
    ctx: &mut LoadContext<'_>,
    dir: &Path,
    min_bytes: u64,
    filter: Option<&Filter<'_>>,
) -> Option<(Table, bool)> {
    let direct = |ctx: &mut LoadContext<'_>| data::load_files(spec, data_dir, ctx).map(|t| (t, false));
    let Some((entry, size)) = entry_key(spec, data_dir) else { return direct(ctx) };
    if size < min_bytes {
        return direct(ctx);
    }
    let entry_dir = dir.join(entry);
    if let Some(found) = read::read(&entry_dir, spec, filter) {
        return Some(found);
    }
    let before = ctx.diagnostics.len();
    let table = data::load_files(spec, data_dir, ctx)?;
    if ctx.diagnostics.len() == before {
        write::write(&entry_dir, spec, &table);
    }
    Some((table, false))
}

// ---------------------------------------------------------------- keys

/// The entry's name (a hash of the loading plan without fields, and of each file's path,
/// size and modification time) and the files' total size; `None` if a file is missing.
fn entry_key(spec: &DatasetSpec, data_dir: &Path) -> Option<(String, u64)> {
    // The format's version: entries of another format are never read (nor overwritten).
    // 3: cells are read in their field's unit (`€5` in a `£` field is refused), so an
    // entry of the older, laxer reader may hold numbers that are now errors.
    let mut text = String::from("rows 3\n");
    let _ = write!(
        text,
        "{}|{}|{}|{:?}|{}|{}|{:?}|{}|{:?}|{:?}|{:?}",
        spec.name,
        spec.records,
        spec.rolls_up,
        spec.sheet,
        spec.header_row,
        spec.delimiter,
        spec.policy,
        spec.key_column.node,
        spec.period_column.as_ref().map(|c| &c.node),
        spec.missing,
        spec.period_start,
    );
    for (column, cell, _) in &spec.exclude {
        let _ = write!(text, "|exclude {column} {cell:?}");
    }
    let mut total = 0u64;
    for (file, period) in &spec.files {
        let path = data_dir.join(&file.node);
        let meta = std::fs::metadata(&path).ok()?;
        let modified = meta.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?.as_nanos();
        let absolute = std::fs::canonicalize(&path).unwrap_or(path);
        let _ = write!(text, "|file {} {period:?} {} {modified}", absolute.display(), meta.len());
        total = total.saturating_add(meta.len());
    }
    Some((crate::data::stamp::sha256_hex(text.as_bytes()), total))
}

/// A field's file name: a hash of how it is read.
fn field_key(f: &FieldSpec) -> String {
    let kind = match &f.kind {
        FieldKind::Number => "number".to_string(),
        FieldKind::Text => "text".to_string(),
        FieldKind::Date => "date".to_string(),
        FieldKind::Member { set, lookup, .. } => {
            let mut pairs: Vec<String> = lookup.iter().map(|(k, v)| format!("{k}={v}")).collect();
            pairs.sort();
            format!("member {set} {}", pairs.join(","))
        }
    };
    let text = format!(
        "field\n{}|{:?}|{}|{:?}|{:?}|{kind}|{:?}|{}",
        f.key.field, f.key.index, f.column, f.alternatives, f.rollup, f.unit, f.optional
    );
    format!("{}.bin", crate::data::stamp::sha256_hex(text.as_bytes()))
}
