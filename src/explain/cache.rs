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

use crate::data::{self, DatasetSpec, FieldKind, FieldSpec, LoadContext, LoadedFile, RowCounts, RowOrigin, Table};
use crate::eval::value::{Reason, Value};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Data files smaller than this (in total) are loaded directly.
pub const MIN_BYTES: u64 = 16 << 20;
const MAGIC: &[u8] = b"assay-cache-1\n";

/// Load a dataset through the cache (see the module documentation).
pub fn load(spec: &DatasetSpec, data_dir: &Path, ctx: &mut LoadContext<'_>) -> Option<Table> {
    match cache_dir() {
        Some(dir) => {
            let min = std::env::var("ASSAY_CACHE_MIN_BYTES").ok().and_then(|v| v.parse().ok()).unwrap_or(MIN_BYTES);
            load_with(spec, data_dir, ctx, &dir, min)
        }
        None => data::load(spec, data_dir, ctx),
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
) -> Option<Table> {
    let Some((entry, size)) = entry_key(spec, data_dir) else { return data::load(spec, data_dir, ctx) };
    if size < min_bytes {
        return data::load(spec, data_dir, ctx);
    }
    let entry_dir = dir.join(entry);
    if let Some(table) = read(&entry_dir, spec) {
        return Some(table);
    }
    let before = ctx.diagnostics.len();
    let table = data::load(spec, data_dir, ctx)?;
    if ctx.diagnostics.len() == before {
        write(&entry_dir, spec, &table);
    }
    Some(table)
}

// ---------------------------------------------------------------- keys

/// The entry's name (a hash of the loading plan without fields, and of each file's path,
/// size and modification time) and the files' total size; `None` if a file is missing.
fn entry_key(spec: &DatasetSpec, data_dir: &Path) -> Option<(String, u64)> {
    let mut text = String::from("rows\n");
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
    let mut total = 0;
    for (file, period) in &spec.files {
        let path = data_dir.join(&file.node);
        let meta = std::fs::metadata(&path).ok()?;
        let modified = meta.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?.as_nanos();
        let absolute = std::fs::canonicalize(&path).unwrap_or(path);
        let _ = write!(text, "|file {} {period:?} {} {modified}", absolute.display(), meta.len());
        total += meta.len();
    }
    Some((crate::stamp::sha256_hex(text.as_bytes()), total))
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
        "field\n{}|{:?}|{}|{:?}|{:?}|{kind}|{}",
        f.key.field, f.key.index, f.column, f.alternatives, f.rollup, f.optional
    );
    format!("{}.bin", crate::stamp::sha256_hex(text.as_bytes()))
}

// ---------------------------------------------------------------- writing

fn write(entry: &Path, spec: &DatasetSpec, table: &Table) {
    if std::fs::create_dir_all(entry).is_err() {
        return;
    }
    let rows = entry.join("rows.bin");
    if !rows.is_file() {
        let mut e = Enc::default();
        e.bytes(MAGIC);
        e.str(&table.dataset);
        e.u8(u8::from(table.records));
        e.u32(table.files.len());
        for f in &table.files {
            e.str(&f.path.to_string_lossy());
            e.str(&f.display);
            e.str(&f.sha256);
            e.opt_str(f.sheet.as_deref());
            e.u32(f.headers.len());
            f.headers.iter().for_each(|h| e.str(h));
        }
        e.u32(table.keys.len());
        table.keys.iter().for_each(|k| e.str(k));
        e.strings(table.periods.iter().map(|p| p.as_ref()));
        table.origins.iter().for_each(|o| e.origin(o));
        for n in [table.counts.read, table.counts.used, table.counts.skipped, table.counts.excluded] {
            e.u64(n as u64);
        }
        match &table.parts {
            None => e.u8(0),
            Some(parts) => {
                e.u8(1);
                for p in parts {
                    e.u32(p.len());
                    p.iter().for_each(|o| e.origin(o));
                }
            }
        }
        save(&rows, &e.0);
    }
    for f in &spec.fields {
        let path = entry.join(field_key(f));
        let (Some(values), Some(index)) = (table.columns.get(&f.key), table.column_index.get(&f.key)) else {
            continue;
        };
        if path.is_file() {
            continue;
        }
        let mut e = Enc::default();
        e.bytes(MAGIC);
        e.u32(index.len());
        for i in index {
            e.u64(i.map_or(u64::MAX, |i| i as u64));
        }
        e.values(values);
        save(&path, &e.0);
    }
}

/// Write beside, then rename: a reader never sees half an entry.
fn save(path: &Path, bytes: &[u8]) {
    let temp = path.with_extension(format!("tmp{}", std::process::id()));
    let written =
        std::fs::File::create(&temp).and_then(|mut f| f.write_all(bytes)).and_then(|()| std::fs::rename(&temp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
}

#[derive(Default)]
struct Enc(Vec<u8>);

impl Enc {
    fn bytes(&mut self, b: &[u8]) {
        self.0.extend_from_slice(b);
    }
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u32(&mut self, v: usize) {
        self.0.extend_from_slice(&u32::try_from(v).unwrap_or(u32::MAX).to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn str(&mut self, s: &str) {
        self.u32(s.len());
        self.bytes(s.as_bytes());
    }
    fn opt_str(&mut self, s: Option<&str>) {
        match s {
            None => self.u8(0),
            Some(s) => {
                self.u8(1);
                self.str(s);
            }
        }
    }
    fn origin(&mut self, o: &RowOrigin) {
        self.u32(o.file);
        self.u64(o.line as u64);
        self.u64(o.offset as u64);
    }
    /// Strings through a dictionary: the distinct ones, then an id per item.
    fn strings<'s>(&mut self, items: impl Iterator<Item = &'s str>) {
        let mut ids: HashMap<&str, usize> = HashMap::new();
        let mut order: Vec<&str> = Vec::new();
        let seq: Vec<usize> = items
            .map(|s| {
                *ids.entry(s).or_insert_with(|| {
                    order.push(s);
                    order.len() - 1
                })
            })
            .collect();
        self.u32(order.len());
        order.iter().for_each(|s| self.str(s));
        self.u32(seq.len());
        seq.iter().for_each(|i| self.u32(*i));
    }
    fn values(&mut self, values: &[Value]) {
        let mut ids: HashMap<&str, usize> = HashMap::new();
        let mut order: Vec<&str> = Vec::new();
        for v in values {
            let text = match v {
                Value::Text(t) | Value::Member(t) => Some(t.as_ref()),
                Value::Missing(r) => Some(r.0.as_ref()),
                _ => None,
            };
            if let Some(t) = text {
                if !ids.contains_key(t) {
                    ids.insert(t, order.len());
                    order.push(t);
                }
            }
        }
        self.u32(order.len());
        order.iter().for_each(|s| self.str(s));
        self.u32(values.len());
        let dict = |s: &str| ids.get(s).copied().unwrap_or(0);
        for v in values {
            match v {
                Value::Num(d) => {
                    self.u8(0);
                    self.bytes(&d.serialize());
                }
                Value::Text(t) => {
                    self.u8(1);
                    self.u32(dict(t));
                }
                Value::Member(t) => {
                    self.u8(2);
                    self.u32(dict(t));
                }
                Value::Bool(b) => {
                    self.u8(3);
                    self.u8(u8::from(*b));
                }
                Value::Date(d) => {
                    self.u8(4);
                    self.bytes(&d.year.to_le_bytes());
                    self.u8(d.month);
                    self.u8(d.day);
                }
                Value::Missing(r) => {
                    self.u8(5);
                    self.u32(dict(&r.0));
                }
            }
        }
    }
}

// ---------------------------------------------------------------- reading

fn read(entry: &Path, spec: &DatasetSpec) -> Option<Table> {
    let rows = std::fs::read(entry.join("rows.bin")).ok()?;
    let mut fields = Vec::with_capacity(spec.fields.len());
    for f in &spec.fields {
        fields.push((f, std::fs::read(entry.join(field_key(f))).ok()?));
    }
    let mut d = Dec { buf: &rows, pos: 0 };
    d.magic()?;
    let dataset = d.str()?.to_string();
    let records = d.u8()? == 1;
    let mut files = Vec::new();
    for _ in 0..d.u32()? {
        let path = PathBuf::from(d.str()?);
        let display = d.str()?.to_string();
        let sha256 = d.str()?.to_string();
        let sheet = d.opt_str()?.map(str::to_string);
        let headers = (0..d.u32()?).map(|_| d.str().map(str::to_string)).collect::<Option<Vec<_>>>()?;
        files.push(LoadedFile { path, display, sha256, sheet, headers, source: None });
    }
    let n = d.u32()?;
    let keys = (0..n).map(|_| d.str().map(Arc::from)).collect::<Option<Vec<Arc<str>>>>()?;
    let periods = d.strings()?;
    let origins = (0..n).map(|_| d.origin()).collect::<Option<Vec<_>>>()?;
    let mut counts = [0usize; 4];
    for c in &mut counts {
        *c = usize::try_from(d.u64()?).ok()?;
    }
    let [read, used, skipped, excluded] = counts;
    let parts = match d.u8()? {
        0 => None,
        _ => Some(
            (0..n)
                .map(|_| {
                    let k = d.u32()?;
                    (0..k).map(|_| d.origin()).collect::<Option<Vec<_>>>()
                })
                .collect::<Option<Vec<_>>>()?,
        ),
    };
    let mut columns = BTreeMap::new();
    let mut column_index = BTreeMap::new();
    for (f, bytes) in &fields {
        let mut d = Dec { buf: bytes, pos: 0 };
        d.magic()?;
        let index = (0..d.u32()?)
            .map(|_| d.u64().map(|i| usize::try_from(i).ok().filter(|_| i != u64::MAX)))
            .collect::<Option<Vec<_>>>()?;
        let values = d.values()?;
        if values.len() != n {
            return None;
        }
        columns.insert(f.key.clone(), values);
        column_index.insert(f.key.clone(), index);
    }
    if periods.len() != n {
        return None;
    }
    Some(Table {
        dataset,
        records,
        files,
        origins,
        keys,
        periods,
        columns,
        column_index,
        counts: RowCounts { read, used, skipped, excluded },
        parts,
    })
}

struct Dec<'b> {
    buf: &'b [u8],
    pos: usize,
}

impl<'b> Dec<'b> {
    fn take(&mut self, n: usize) -> Option<&'b [u8]> {
        let s = self.buf.get(self.pos..self.pos.checked_add(n)?)?;
        self.pos += n;
        Some(s)
    }
    fn magic(&mut self) -> Option<()> {
        (self.take(MAGIC.len())? == MAGIC).then_some(())
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1)?.first().copied()
    }
    fn u32(&mut self) -> Option<usize> {
        let b: [u8; 4] = self.take(4)?.try_into().ok()?;
        usize::try_from(u32::from_le_bytes(b)).ok()
    }
    fn u64(&mut self) -> Option<u64> {
        let b: [u8; 8] = self.take(8)?.try_into().ok()?;
        Some(u64::from_le_bytes(b))
    }
    fn str(&mut self) -> Option<&'b str> {
        let n = self.u32()?;
        std::str::from_utf8(self.take(n)?).ok()
    }
    fn opt_str(&mut self) -> Option<Option<&'b str>> {
        match self.u8()? {
            0 => Some(None),
            _ => self.str().map(Some),
        }
    }
    fn origin(&mut self) -> Option<RowOrigin> {
        let file = self.u32()?;
        let line = usize::try_from(self.u64()?).ok()?;
        let offset = usize::try_from(self.u64()?).ok()?;
        Some(RowOrigin { file, line, offset })
    }
    fn dictionary(&mut self) -> Option<Vec<Arc<str>>> {
        (0..self.u32()?).map(|_| self.str().map(Arc::from)).collect()
    }
    fn strings(&mut self) -> Option<Vec<Arc<str>>> {
        let dict = self.dictionary()?;
        (0..self.u32()?).map(|_| self.u32().and_then(|i| dict.get(i).cloned())).collect()
    }
    fn values(&mut self) -> Option<Vec<Value>> {
        let dict = self.dictionary()?;
        let n = self.u32()?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let v = match self.u8()? {
                0 => {
                    let b: [u8; 16] = self.take(16)?.try_into().ok()?;
                    Value::Num(rust_decimal::Decimal::deserialize(b))
                }
                1 => Value::Text(dict.get(self.u32()?)?.clone()),
                2 => Value::Member(dict.get(self.u32()?)?.clone()),
                3 => Value::Bool(self.u8()? == 1),
                4 => {
                    let b: [u8; 2] = self.take(2)?.try_into().ok()?;
                    let (month, day) = (self.u8()?, self.u8()?);
                    Value::Date(crate::ast::Date { year: u16::from_le_bytes(b), month, day })
                }
                5 => Value::Missing(Reason(dict.get(self.u32()?)?.clone())),
                _ => return None,
            };
            out.push(v);
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_survive_the_round_trip_exactly() {
        let values = vec![
            Value::Num(rust_decimal::Decimal::new(123_456_789, 4)),
            Value::Num(rust_decimal::Decimal::new(-5, 0)),
            Value::Member("acute".into()),
            Value::Text("Leeds".into()),
            Value::Bool(true),
            Value::Date(crate::ast::Date { year: 2010, month: 3, day: 31 }),
            Value::missing("blank in data"),
            Value::Member("acute".into()),
        ];
        let mut e = Enc::default();
        e.values(&values);
        let back = Dec { buf: &e.0, pos: 0 }.values().unwrap_or_default();
        assert_eq!(back, values);
        let scales: Vec<u32> = back.iter().filter_map(|v| v.as_num()).map(|d| d.scale()).collect();
        assert_eq!(scales, vec![4, 0]);
        // Truncated input is refused, never misread.
        assert!(Dec { buf: e.0.get(..e.0.len() - 1).unwrap_or_default(), pos: 0 }.values().is_none());
    }
}
