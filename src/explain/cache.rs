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
        None => data::load(spec, data_dir, ctx).map(|t| (t, false)),
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
    let direct = |ctx: &mut LoadContext<'_>| data::load(spec, data_dir, ctx).map(|t| (t, false));
    let Some((entry, size)) = entry_key(spec, data_dir) else { return direct(ctx) };
    if size < min_bytes {
        return direct(ctx);
    }
    let entry_dir = dir.join(entry);
    if let Some(found) = read(&entry_dir, spec, filter) {
        return Some(found);
    }
    let before = ctx.diagnostics.len();
    let table = data::load(spec, data_dir, ctx)?;
    if ctx.diagnostics.len() == before {
        write(&entry_dir, spec, &table);
    }
    Some((table, false))
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

/// Rows to keep when reading an entry: one entity's, and those of the entities that share
/// its values of `peer_fields` in `period` (see `super::restrict`).
pub struct Filter<'f> {
    /// `None`: the period of the data, when it has only one.
    pub period: Option<&'f str>,
    pub entity: &'f str,
    pub peer_fields: &'f [crate::data::FieldKey],
}

/// Bytes per row origin: file (4), line (8), offset (8).
const ORIGIN_BYTES: usize = 20;

fn read(entry: &Path, spec: &DatasetSpec, filter: Option<&Filter<'_>>) -> Option<(Table, bool)> {
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
    let keys = (0..n).map(|_| d.str()).collect::<Option<Vec<&str>>>()?;
    let period_dict = d.dictionary()?;
    let period_ids = (0..d.u32()?).map(|_| d.u32()).collect::<Option<Vec<usize>>>()?;
    let origins_at = d.pos;
    d.take(n.checked_mul(ORIGIN_BYTES)?)?;
    let mut counts = [0usize; 4];
    for c in &mut counts {
        *c = usize::try_from(d.u64()?).ok()?;
    }
    let [read, used, skipped, excluded] = counts;
    let has_parts = d.u8()? != 0;
    let parts_at = d.pos;
    // Each field: its column index per file, and where its values start.
    let mut columns_at = Vec::with_capacity(fields.len());
    for (f, bytes) in &fields {
        let mut d = Dec { buf: bytes, pos: 0 };
        d.magic()?;
        let index = (0..d.u32()?)
            .map(|_| d.u64().map(|i| usize::try_from(i).ok().filter(|_| i != u64::MAX)))
            .collect::<Option<Vec<_>>>()?;
        columns_at.push((f.key.clone(), index, d.pos));
    }
    if period_ids.len() != n {
        return None;
    }
    let mask = filter.and_then(|f| {
        let peers: Vec<&[u8]> = f
            .peer_fields
            .iter()
            .map(|k| {
                fields.iter().position(|(s, _)| s.key == *k).and_then(|i| fields.get(i)).map(|(_, b)| b.as_slice())
            })
            .collect::<Option<Vec<_>>>()?;
        let peer_at: Vec<usize> = f
            .peer_fields
            .iter()
            .filter_map(|k| columns_at.iter().find(|(key, _, _)| key == k).map(|(_, _, at)| *at))
            .collect();
        mask(f, &keys, &period_dict, &period_ids, &peers, &peer_at, n)
    });
    let kept = |i: usize| mask.as_ref().is_none_or(|m| m.get(i).copied().unwrap_or(false));
    let row_keys: Vec<Arc<str>> =
        keys.iter().enumerate().filter(|(i, _)| kept(*i)).map(|(_, k)| Arc::from(*k)).collect();
    let periods = period_ids
        .iter()
        .enumerate()
        .filter(|(i, _)| kept(*i))
        .map(|(_, p)| period_dict.get(*p).cloned())
        .collect::<Option<Vec<_>>>()?;
    let mut od = Dec { buf: &rows, pos: origins_at };
    let mut origins = Vec::with_capacity(row_keys.len());
    for i in 0..n {
        if kept(i) {
            od.pos = origins_at + i * ORIGIN_BYTES;
            origins.push(od.origin()?);
        }
    }
    let parts = if has_parts {
        let mut pd = Dec { buf: &rows, pos: parts_at };
        let mut out = Vec::with_capacity(row_keys.len());
        for i in 0..n {
            let k = pd.u32()?;
            let list = (0..k).map(|_| pd.origin()).collect::<Option<Vec<_>>>()?;
            if kept(i) {
                out.push(list);
            }
        }
        Some(out)
    } else {
        None
    };
    let mut columns = BTreeMap::new();
    let mut column_index = BTreeMap::new();
    for ((_, bytes), (key, index, at)) in fields.iter().zip(columns_at) {
        let values = Dec { buf: bytes, pos: at }.values(&kept)?;
        if values.len() != row_keys.len() {
            return None;
        }
        columns.insert(key.clone(), values);
        column_index.insert(key, index);
    }
    let table = Table {
        dataset,
        records,
        files,
        origins,
        keys: row_keys,
        periods,
        columns,
        column_index,
        counts: RowCounts { read, used, skipped, excluded },
        parts,
    };
    Some((table, mask.is_some()))
}

/// Which rows a filter keeps; `None` when it cannot apply here (the entity is not in this
/// table, or the period is not known), so every row is kept.
#[allow(clippy::too_many_arguments)]
fn mask(
    f: &Filter<'_>,
    keys: &[&str],
    period_dict: &[Arc<str>],
    period_ids: &[usize],
    peers: &[&[u8]],
    peer_at: &[usize],
    n: usize,
) -> Option<Vec<bool>> {
    let named: Vec<&str> = period_dict.iter().map(|p| p.as_ref()).filter(|p| !p.is_empty()).collect();
    let period = match (f.period, named.as_slice()) {
        (Some(p), _) => p,
        (None, [one]) => one,
        (None, []) => "",
        _ => return None,
    };
    let in_period: Vec<bool> = period_dict.iter().map(|p| p.is_empty() || p.as_ref() == period).collect();
    let row_in_period = |i: usize| period_ids.get(i).and_then(|p| in_period.get(*p)).copied().unwrap_or(false);
    let row = (0..n).find(|i| keys.get(*i) == Some(&f.entity) && row_in_period(*i))?;
    let ids: Vec<Vec<(u8, u128)>> = peers
        .iter()
        .zip(peer_at)
        .map(|(bytes, at)| Dec { buf: bytes, pos: *at }.value_ids())
        .collect::<Option<Vec<_>>>()?;
    let own: Vec<(u8, u128)> = ids.iter().map(|c| c.get(row).copied()).collect::<Option<Vec<_>>>()?;
    // A missing peer value means no group: the entity's own rows are enough.
    // Without peer fields (no statistic), the entity's own rows are enough too.
    let grouped = !own.is_empty() && own.iter().all(|(tag, _)| *tag != MISSING_TAG);
    Some(
        (0..n)
            .map(|i| {
                keys.get(i) == Some(&f.entity)
                    || (grouped && row_in_period(i) && ids.iter().zip(&own).all(|(c, o)| c.get(i) == Some(o)))
            })
            .collect(),
    )
}

const MISSING_TAG: u8 = 5;

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
    /// The values of the rows `keep` accepts (skipping the others without building them).
    fn values(&mut self, keep: &dyn Fn(usize) -> bool) -> Option<Vec<Value>> {
        let dict = self.dictionary()?;
        let n = self.u32()?;
        let mut out = Vec::new();
        for i in 0..n {
            let tag = self.u8()?;
            if !keep(i) {
                self.take(payload(tag)?)?;
                continue;
            }
            let v = match tag {
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
                MISSING_TAG => Value::Missing(Reason(dict.get(self.u32()?)?.clone())),
                _ => return None,
            };
            out.push(v);
        }
        Some(out)
    }

    /// Each row's value as (tag, payload bits): equal values give equal pairs (texts and
    /// members by dictionary id), without building them.
    fn value_ids(&mut self) -> Option<Vec<(u8, u128)>> {
        self.dictionary()?;
        let n = self.u32()?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let tag = self.u8()?;
            let bytes = self.take(payload(tag)?)?;
            let mut bits = [0u8; 16];
            bits.get_mut(..bytes.len())?.copy_from_slice(bytes);
            out.push((tag, u128::from_le_bytes(bits)));
        }
        Some(out)
    }
}

/// Bytes after a value's tag.
fn payload(tag: u8) -> Option<usize> {
    match tag {
        0 => Some(16),
        1 | 2 | MISSING_TAG => Some(4),
        3 => Some(1),
        4 => Some(4),
        _ => None,
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
        let back = Dec { buf: &e.0, pos: 0 }.values(&|_| true).unwrap_or_default();
        assert_eq!(back, values);
        let scales: Vec<u32> = back.iter().filter_map(|v| v.as_num()).map(|d| d.scale()).collect();
        assert_eq!(scales, vec![4, 0]);
        // Truncated input is refused, never misread.
        assert!(Dec { buf: e.0.get(..e.0.len() - 1).unwrap_or_default(), pos: 0 }.values(&|_| true).is_none());
    }
}
