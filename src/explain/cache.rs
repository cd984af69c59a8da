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
use crate::value::{Reason, Value};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::fs::File;
use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;

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
    // The format's version: entries of another format are never read (nor overwritten).
    let mut text = String::from("rows 2\n");
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
        "field\n{}|{:?}|{}|{:?}|{:?}|{kind}|{}",
        f.key.field, f.key.index, f.column, f.alternatives, f.rollup, f.optional
    );
    format!("{}.bin", crate::data::stamp::sha256_hex(text.as_bytes()))
}

// ---------------------------------------------------------------- writing

// An entry's files (integers little-endian). Each starts with `MAGIC`, the length of a
// header as a u64, and the header; fixed-width sections follow, so that a row's slot in
// each is found by arithmetic and only the rows wanted are read:
// - `rows.bin`: header (dataset, files, counts, rolled-up flag, row count n, key width w,
//   period dictionary); each row's key (u16 length, w bytes); the keys sorted, each with
//   its row (u32), to find an entity by binary search; each row's period id (u32); each
//   row's origin.
// - `parts.bin` (rolled-up records only): each row's count of parts and their origins.
// - one file per field: header (column index per file, text dictionary, n, slot width,
//   the rows-by-value index: each distinct value with where its rows are listed, or none
//   for a field of many values); each row's value (a tag and its payload, padded to the
//   slot width); the rows of each distinct value, ascending (u32).

fn write(entry: &Path, spec: &DatasetSpec, table: &Table) {
    let n = table.keys.len();
    let width = table.keys.iter().map(|k| k.len()).max().unwrap_or(0);
    if width > MAX_KEY || u32::try_from(n).is_err() || std::fs::create_dir_all(entry).is_err() {
        return;
    }
    let rows = entry.join("rows.bin");
    if !rows.is_file() {
        let mut h = Enc::default();
        h.str(&table.dataset);
        h.u8(u8::from(table.records));
        h.u32(table.files.len());
        for f in &table.files {
            h.str(&f.path.to_string_lossy());
            h.str(&f.display);
            h.str(&f.sha256);
            h.opt_str(f.sheet.as_deref());
            h.u32(f.headers.len());
            f.headers.iter().for_each(|x| h.str(x));
        }
        for c in [table.counts.read, table.counts.used, table.counts.skipped, table.counts.excluded] {
            h.u64(c as u64);
        }
        h.u8(u8::from(table.parts.is_some()));
        h.u32(n);
        h.u32(width);
        let (dict, period_ids) = dictionary(table.periods.iter().map(|p| p.as_ref()));
        h.u32(dict.len());
        dict.iter().for_each(|p| h.str(p));
        let mut e = Enc::default();
        e.bytes(MAGIC);
        e.u64(h.0.len() as u64);
        e.bytes(&h.0);
        table.keys.iter().for_each(|k| e.key(k, width));
        let mut sorted: Vec<(&str, usize)> = table.keys.iter().enumerate().map(|(i, k)| (k.as_ref(), i)).collect();
        sorted.sort_unstable();
        for (k, i) in sorted {
            e.key(k, width);
            e.u32(i);
        }
        period_ids.iter().for_each(|i| e.u32(*i));
        table.origins.iter().for_each(|o| e.origin(o));
        if let Some(parts) = &table.parts {
            let mut p = Enc::default();
            p.bytes(MAGIC);
            for list in parts {
                p.u32(list.len());
                list.iter().for_each(|o| p.origin(o));
            }
            save(&entry.join("parts.bin"), &p.0);
        }
        save(&rows, &e.0);
    }
    for f in &spec.fields {
        let path = entry.join(field_key(f));
        let (Some(values), Some(index)) = (table.columns.get(&f.key), table.column_index.get(&f.key)) else {
            continue;
        };
        if path.is_file() || values.len() != n {
            continue;
        }
        save(&path, &field_file(values, index));
    }
}

/// A field's file (see above).
fn field_file(values: &[Value], index: &[Option<usize>]) -> Vec<u8> {
    let (dict, _) = dictionary(values.iter().filter_map(|v| match v {
        Value::Text(t) | Value::Member(t) => Some(t.as_ref()),
        Value::Missing(r) => Some(r.0.as_ref()),
        _ => None,
    }));
    let ids: HashMap<&str, usize> = dict.iter().enumerate().map(|(i, s)| (*s, i)).collect();
    let slots: Vec<[u8; 17]> = values.iter().map(|v| slot(v, &ids)).collect();
    let width = 1 + values.iter().map(|v| payload(tag(v)).unwrap_or(16)).max().unwrap_or(0);
    // Rows by value, in the order values first appear.
    let mut groups: HashMap<[u8; 17], usize> = HashMap::new();
    let mut lists: Vec<([u8; 17], Vec<usize>)> = Vec::new();
    for (row, s) in slots.iter().enumerate() {
        if lists.len() > MAX_GROUPS {
            break;
        }
        let g = *groups.entry(*s).or_insert_with(|| {
            lists.push((*s, Vec::new()));
            lists.len() - 1
        });
        if let Some((_, rows)) = lists.get_mut(g) {
            rows.push(row);
        }
    }
    let mut h = Enc::default();
    h.u32(index.len());
    for i in index {
        h.u64(i.map_or(u64::MAX, |i| i as u64));
    }
    h.u32(dict.len());
    dict.iter().for_each(|s| h.str(s));
    h.u32(values.len());
    h.u32(width);
    if lists.len() > MAX_GROUPS {
        h.u32(u32::MAX as usize);
    } else {
        h.u32(lists.len());
        let mut start = 0;
        for (s, rows) in &lists {
            h.bytes(s);
            h.u32(start);
            h.u32(rows.len());
            start += rows.len();
        }
    }
    let mut e = Enc::default();
    e.bytes(MAGIC);
    e.u64(h.0.len() as u64);
    e.bytes(&h.0);
    for s in &slots {
        e.bytes(s.get(..width).unwrap_or(s));
    }
    if lists.len() <= MAX_GROUPS {
        lists.iter().flat_map(|(_, rows)| rows).for_each(|r| e.u32(*r));
    }
    e.0
}

/// The distinct strings in order of appearance, and each item's id among them.
fn dictionary<'s>(items: impl Iterator<Item = &'s str>) -> (Vec<&'s str>, Vec<usize>) {
    let mut ids: HashMap<&str, usize> = HashMap::new();
    let mut order: Vec<&str> = Vec::new();
    let seq = items
        .map(|s| {
            *ids.entry(s).or_insert_with(|| {
                order.push(s);
                order.len() - 1
            })
        })
        .collect();
    (order, seq)
}

fn tag(v: &Value) -> u8 {
    match v {
        Value::Num(_) => 0,
        Value::Text(_) => 1,
        Value::Member(_) => 2,
        Value::Bool(_) => 3,
        Value::Date(_) => 4,
        Value::Missing(_) => MISSING_TAG,
    }
}

/// A value's slot: its tag, then its payload (texts by dictionary id), zero-padded. Equal
/// slots are equal values (numbers also in scale).
fn slot(v: &Value, ids: &HashMap<&str, usize>) -> [u8; 17] {
    let mut out = [0u8; 17];
    let id = |s: &str| u32::try_from(ids.get(s).copied().unwrap_or(0)).unwrap_or(u32::MAX).to_le_bytes();
    let payload: Vec<u8> = match v {
        Value::Num(d) => d.serialize().to_vec(),
        Value::Text(t) | Value::Member(t) => id(t).to_vec(),
        Value::Missing(r) => id(&r.0).to_vec(),
        Value::Bool(b) => vec![u8::from(*b)],
        Value::Date(d) => {
            let y = d.year.to_le_bytes();
            vec![y[0], y[1], d.month, d.day]
        }
    };
    if let Some((first, rest)) = out.split_first_mut() {
        *first = tag(v);
        rest.iter_mut().zip(payload).for_each(|(slot, b)| *slot = b);
    }
    out
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
    /// A key in a slot of `width` bytes after its u16 length.
    fn key(&mut self, k: &str, width: usize) {
        self.0.extend_from_slice(&u16::try_from(k.len()).unwrap_or(u16::MAX).to_le_bytes());
        self.bytes(k.as_bytes());
        self.0.resize(self.0.len() + width.saturating_sub(k.len()), 0);
    }
    fn origin(&mut self, o: &RowOrigin) {
        self.u32(o.file);
        self.u64(o.line as u64);
        self.u64(o.offset as u64);
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

/// An entry's file, opened, with its header and where its sections start.
struct Part {
    file: File,
    header: Vec<u8>,
    body: u64,
    len: u64,
}

impl Part {
    fn open(path: &Path) -> Option<Part> {
        let mut file = File::open(path).ok()?;
        let len = file.metadata().ok()?.len();
        let mut start = [0u8; 22];
        file.read_exact(start.get_mut(..MAGIC.len() + 8)?).ok()?;
        let mut d = Dec { buf: &start, pos: 0 };
        d.magic()?;
        let size = usize::try_from(d.u64()?).ok()?;
        if size as u64 > len {
            return None;
        }
        let mut header = vec![0u8; size];
        file.read_exact(&mut header).ok()?;
        let body = (MAGIC.len() + 8 + size) as u64;
        Some(Part { file, header, body, len })
    }

    /// The bytes at `at` (from the start of the sections).
    fn at(&mut self, at: u64, buf: &mut [u8]) -> Option<()> {
        self.file.seek(SeekFrom::Start(self.body.checked_add(at)?)).ok()?;
        self.file.read_exact(buf).ok()
    }

    /// Call `each` with the slot of every row in `rows` (ascending) of the section at `at`
    /// with slots of `width` bytes, reading nearby rows together.
    fn gather(
        &mut self,
        at: u64,
        width: usize,
        rows: &[usize],
        mut each: impl FnMut(&[u8]) -> Option<()>,
    ) -> Option<()> {
        let span = (CHUNK_BYTES / width.max(1)).max(1);
        let mut buf = Vec::new();
        let mut i = 0;
        while let Some(&first) = rows.get(i) {
            let end = rows.iter().skip(i).position(|r| *r >= first + span).map_or(rows.len(), |k| i + k);
            let last = *rows.get(end.checked_sub(1)?)?;
            buf.resize((last - first + 1) * width, 0);
            self.at(at.checked_add((first * width) as u64)?, &mut buf)?;
            for r in rows.get(i..end)? {
                each(buf.get((r - first) * width..(r - first + 1) * width)?)?;
            }
            i = end;
        }
        Some(())
    }
}

/// A field's file, opened.
struct FieldPart {
    part: Part,
    index: Vec<Option<usize>>,
    dict: Vec<Arc<str>>,
    width: usize,
    /// Each distinct value's slot, and where its rows are listed (start, count), if indexed.
    groups: Option<Vec<([u8; 17], usize, usize)>>,
}

impl FieldPart {
    fn open(path: &Path, n: usize) -> Option<FieldPart> {
        let part = Part::open(path)?;
        let mut d = Dec { buf: &part.header, pos: 0 };
        let index = (0..d.u32()?)
            .map(|_| d.u64().map(|i| usize::try_from(i).ok().filter(|_| i != u64::MAX)))
            .collect::<Option<Vec<_>>>()?;
        let dict = (0..d.u32()?).map(|_| d.str().map(Arc::from)).collect::<Option<Vec<Arc<str>>>>()?;
        let (rows, width) = (d.u32()?, d.u32()?);
        let count = d.u32()?;
        let groups = if count == u32::MAX as usize {
            None
        } else {
            let mut g = Vec::with_capacity(count);
            for _ in 0..count {
                let s: [u8; 17] = d.take(17)?.try_into().ok()?;
                g.push((s, d.u32()?, d.u32()?));
            }
            Some(g)
        };
        let values = (n as u64).checked_mul(width as u64)?;
        let lists = if groups.is_some() { n as u64 * 4 } else { 0 };
        if rows != n || !(1..=17).contains(&width) || part.len != part.body + values + lists {
            return None;
        }
        Some(FieldPart { part, index, dict, width, groups })
    }

    /// The slots of `rows`, padded to 17 bytes.
    fn slots(&mut self, rows: &[usize]) -> Option<Vec<[u8; 17]>> {
        let mut out = Vec::with_capacity(rows.len());
        let width = self.width;
        self.part.gather(0, width, rows, |b| {
            let mut s = [0u8; 17];
            s.get_mut(..width)?.copy_from_slice(b);
            out.push(s);
            Some(())
        })?;
        Some(out)
    }

    /// The rows whose value has slot `s`, ascending: from the index, else by a scan.
    fn rows_with(&mut self, s: &[u8; 17], n: usize) -> Option<Vec<usize>> {
        let Some(groups) = &self.groups else {
            let all: Vec<usize> = (0..n).collect();
            let slots = self.slots(&all)?;
            return Some(slots.iter().enumerate().filter(|(_, x)| *x == s).map(|(i, _)| i).collect());
        };
        let Some((_, start, count)) = groups.iter().find(|(g, _, _)| g == s).copied() else {
            return Some(Vec::new());
        };
        let mut bytes = vec![0u8; count.checked_mul(4)?];
        let at = (n * self.width + start * 4) as u64;
        self.part.at(at, &mut bytes)?;
        // Sized once: collected through `Option`, the list would grow by doubling.
        let mut rows = Vec::with_capacity(count);
        for c in bytes.chunks_exact(4) {
            rows.push(u32::from_le_bytes(c.try_into().ok()?) as usize);
        }
        Some(rows)
    }

    /// The values of `rows`.
    fn values(&mut self, rows: &[usize]) -> Option<Vec<Value>> {
        let mut out = Vec::with_capacity(rows.len());
        let (dict, width) = (&self.dict, self.width);
        self.part.gather(0, width, rows, |b| {
            out.push(value(b, dict)?);
            Some(())
        })?;
        Some(out)
    }
}

/// A value from its slot.
fn value(b: &[u8], dict: &[Arc<str>]) -> Option<Value> {
    let (tag, p) = b.split_first()?;
    let id = |p: &[u8]| -> Option<Arc<str>> {
        let i: [u8; 4] = p.get(..4)?.try_into().ok()?;
        dict.get(u32::from_le_bytes(i) as usize).cloned()
    };
    Some(match *tag {
        0 => Value::Num(rust_decimal::Decimal::deserialize(p.get(..16)?.try_into().ok()?)),
        1 => Value::Text(id(p)?),
        2 => Value::Member(id(p)?),
        3 => Value::Bool(*p.first()? == 1),
        4 => {
            let y: [u8; 2] = p.get(..2)?.try_into().ok()?;
            Value::Date(crate::ast::Date { year: u16::from_le_bytes(y), month: *p.get(2)?, day: *p.get(3)? })
        }
        MISSING_TAG => Value::Missing(Reason(id(p)?)),
        _ => return None,
    })
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

/// Where the sections of `rows.bin` start, for n rows and keys of `width` bytes.
struct Sections {
    n: usize,
    key_slot: usize,
    keys: u64,
    sorted: u64,
    periods: u64,
    origins: u64,
    end: u64,
}

impl Sections {
    fn new(n: usize, width: usize) -> Option<Sections> {
        let key_slot = 2 + width;
        let n64 = n as u64;
        let keys = 0;
        let sorted = keys + n64.checked_mul(key_slot as u64)?;
        let periods = sorted + n64 * (key_slot as u64 + 4);
        let origins = periods + n64 * 4;
        let end = origins + n64 * ORIGIN_BYTES as u64;
        Some(Sections { n, key_slot, keys, sorted, periods, origins, end })
    }
}

fn read(entry: &Path, spec: &DatasetSpec, filter: Option<&Filter<'_>>) -> Option<(Table, bool)> {
    let mut rows_part = Part::open(&entry.join("rows.bin"))?;
    let header = std::mem::take(&mut rows_part.header);
    let mut d = Dec { buf: &header, pos: 0 };
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
    let mut counts = [0usize; 4];
    for c in &mut counts {
        *c = usize::try_from(d.u64()?).ok()?;
    }
    let [read, used, skipped, excluded] = counts;
    let has_parts = d.u8()? != 0;
    let (n, width) = (d.u32()?, d.u32()?);
    let period_dict: Vec<Arc<str>> = (0..d.u32()?).map(|_| d.str().map(Arc::from)).collect::<Option<_>>()?;
    let at = Sections::new(n, width)?;
    if rows_part.len != rows_part.body.checked_add(at.end)? {
        return None;
    }
    let mut fields = Vec::with_capacity(spec.fields.len());
    for f in &spec.fields {
        fields.push((f.key.clone(), FieldPart::open(&entry.join(field_key(f)), n)?));
    }
    let chosen = match filter {
        Some(f) => select(f, &mut rows_part, &at, &period_dict, &mut fields)?,
        None => None,
    };
    let restricted = chosen.is_some();
    let rows = chosen.unwrap_or_else(|| (0..n).collect());
    // The rows' keys, periods and origins on one thread, the fields' values on others.
    type Identity = (Vec<Arc<str>>, Vec<Arc<str>>, Vec<RowOrigin>);
    let identity = || -> Option<Identity> {
        let mut keys = Vec::with_capacity(rows.len());
        rows_part.gather(at.keys, at.key_slot, &rows, |b| {
            keys.push(Arc::from(slot_key(b)?));
            Some(())
        })?;
        let periods = match period_dict.as_slice() {
            [one] => vec![one.clone(); rows.len()],
            _ => period_ids(&mut rows_part, &at, &rows)?
                .into_iter()
                .map(|p| period_dict.get(p).cloned())
                .collect::<Option<Vec<_>>>()?,
        };
        let mut origins = Vec::with_capacity(rows.len());
        rows_part.gather(at.origins, ORIGIN_BYTES, &rows, |b| {
            origins.push(Dec { buf: b, pos: 0 }.origin()?);
            Some(())
        })?;
        Some((keys, periods, origins))
    };
    let values = || -> Option<Vec<_>> {
        fields
            .into_par_iter()
            .map(|(key, mut field)| Some((key, field.values(&rows)?, field.index)))
            .collect::<Option<Vec<_>>>()
    };
    let (identity, values) = rayon::join(identity, values);
    let ((keys, periods, origins), values) = (identity?, values?);
    let parts = if has_parts { Some(parts(&entry.join("parts.bin"), n, &rows)?) } else { None };
    let mut columns = BTreeMap::new();
    let mut column_index = BTreeMap::new();
    for (key, values, index) in values {
        columns.insert(key.clone(), std::sync::Arc::new(values));
        column_index.insert(key, index);
    }
    let table = Table {
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
    };
    Some((table, restricted))
}

/// A key from its slot.
fn slot_key(b: &[u8]) -> Option<&str> {
    let len: [u8; 2] = b.get(..2)?.try_into().ok()?;
    std::str::from_utf8(b.get(2..2 + u16::from_le_bytes(len) as usize)?).ok()
}

fn period_ids(rows_part: &mut Part, at: &Sections, rows: &[usize]) -> Option<Vec<usize>> {
    let mut out = Vec::with_capacity(rows.len());
    rows_part.gather(at.periods, 4, rows, |b| {
        out.push(u32::from_le_bytes(b.try_into().ok()?) as usize);
        Some(())
    })?;
    Some(out)
}

/// The parts of `rows` (ascending) of a rolled-up table.
fn parts(path: &Path, n: usize, rows: &[usize]) -> Option<Vec<Vec<RowOrigin>>> {
    let bytes = std::fs::read(path).ok()?;
    let mut d = Dec { buf: &bytes, pos: 0 };
    d.magic()?;
    let mut wanted = rows.iter().peekable();
    let mut out = Vec::with_capacity(rows.len());
    for i in 0..n {
        let k = d.u32()?;
        if wanted.peek() == Some(&&i) {
            wanted.next();
            out.push((0..k).map(|_| d.origin()).collect::<Option<Vec<_>>>()?);
        } else {
            d.take(k.checked_mul(ORIGIN_BYTES)?)?;
        }
    }
    (d.pos == bytes.len()).then_some(out)
}

/// The rows a filter keeps, ascending; `Some(None)` when it cannot apply here (the entity
/// is not in this table, a peer field is not read, or the period is not known), so every
/// row is kept; `None` if the entry cannot be read.
fn select(
    f: &Filter<'_>,
    rows_part: &mut Part,
    at: &Sections,
    period_dict: &[Arc<str>],
    fields: &mut [(crate::data::FieldKey, FieldPart)],
) -> Option<Option<Vec<usize>>> {
    let named: Vec<&str> = period_dict.iter().map(|p| p.as_ref()).filter(|p| !p.is_empty()).collect();
    let period = match (f.period, named.as_slice()) {
        (Some(p), _) => p,
        (None, [one]) => one,
        (None, []) => "",
        _ => return Some(None),
    };
    let in_period: Vec<bool> = period_dict.iter().map(|p| p.is_empty() || p.as_ref() == period).collect();
    let every_period = in_period.iter().all(|p| *p);
    let own_rows = entity_rows(rows_part, at, f.entity)?;
    let own_periods = period_ids(rows_part, at, &own_rows)?;
    let Some(row) =
        own_rows.iter().zip(&own_periods).find(|(_, p)| in_period.get(**p).copied().unwrap_or(false)).map(|(r, _)| *r)
    else {
        return Some(None);
    };
    let mut peers = Vec::with_capacity(f.peer_fields.len());
    for k in f.peer_fields {
        match fields.iter().position(|(key, _)| key == k) {
            Some(i) => peers.push(i),
            None => return Some(None),
        }
    }
    let mut own = Vec::with_capacity(peers.len());
    for i in &peers {
        own.push(*fields.get_mut(*i)?.1.slots(&[row])?.first()?);
    }
    let mut kept = own_rows;
    // A missing peer value means no group: the entity's own rows are enough.
    // Without peer fields (no statistic), the entity's own rows are enough too.
    if !own.is_empty() && own.iter().all(|s| s.first() != Some(&MISSING_TAG)) {
        let mut group: Option<Vec<usize>> = None;
        for (i, s) in peers.iter().zip(&own) {
            let with = fields.get_mut(*i)?.1.rows_with(s, at.n)?;
            group = Some(match group {
                None => with,
                Some(before) => intersect(&before, &with),
            });
        }
        let mut members = group.unwrap_or_default();
        if !every_period {
            let ids = period_ids(rows_part, at, &members)?;
            let mut k = ids.iter();
            members.retain(|_| k.next().is_some_and(|p| in_period.get(*p).copied().unwrap_or(false)));
        }
        kept.extend(members);
        kept.sort_unstable();
        kept.dedup();
    }
    Some(Some(kept))
}

/// The rows of `entity`, ascending, by binary search of the sorted keys.
fn entity_rows(rows_part: &mut Part, at: &Sections, entity: &str) -> Option<Vec<usize>> {
    let slot = at.key_slot + 4;
    let mut buf = vec![0u8; slot];
    let mut entry = |i: usize, buf: &mut Vec<u8>| -> Option<(String, usize)> {
        rows_part.at(at.sorted.checked_add((i * slot) as u64)?, buf)?;
        let row: [u8; 4] = buf.get(at.key_slot..)?.try_into().ok()?;
        Some((slot_key(buf)?.to_string(), u32::from_le_bytes(row) as usize))
    };
    let (mut lo, mut hi) = (0, at.n);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if entry(mid, &mut buf)?.0.as_str() < entity {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    let mut rows = Vec::new();
    while lo < at.n {
        let (key, row) = entry(lo, &mut buf)?;
        if key != entity {
            break;
        }
        rows.push(row);
        lo += 1;
    }
    rows.sort_unstable();
    Some(rows)
}

/// The rows in both ascending lists.
fn intersect(a: &[usize], b: &[usize]) -> Vec<usize> {
    let mut out = Vec::new();
    let (mut i, mut j) = (a.iter().peekable(), b.iter().peekable());
    while let (Some(x), Some(y)) = (i.peek(), j.peek()) {
        match x.cmp(y) {
            std::cmp::Ordering::Less => {
                i.next();
            }
            std::cmp::Ordering::Greater => {
                j.next();
            }
            std::cmp::Ordering::Equal => {
                out.push(**x);
                i.next();
                j.next();
            }
        }
    }
    out
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_survive_the_round_trip_exactly() {
        let values = vec![
            Value::Num(rust_decimal::Decimal::new(123_456_789, 4)),
            Value::Num(rust_decimal::Decimal::new(-5, 0)),
            Value::Member("group_a".into()),
            Value::Text("Leeds".into()),
            Value::Bool(true),
            Value::Date(crate::ast::Date { year: 2010, month: 3, day: 31 }),
            Value::missing("blank in data"),
            Value::Member("group_a".into()),
        ];
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("field.bin");
        std::fs::write(&path, field_file(&values, &[Some(3)])).unwrap_or_else(|e| panic!("{e}"));
        let mut field = FieldPart::open(&path, values.len()).unwrap_or_else(|| panic!("unreadable"));
        let all: Vec<usize> = (0..values.len()).collect();
        let back = field.values(&all).unwrap_or_default();
        assert_eq!(back, values);
        let scales: Vec<u32> = back.iter().filter_map(|v| v.as_num()).map(|d| d.scale()).collect();
        assert_eq!(scales, vec![4, 0]);
        assert_eq!(field.values(&[2, 7]).unwrap_or_default(), vec![Value::Member("group_a".into()); 2]);
        let group_a = field.slots(&[2]).unwrap_or_default();
        assert_eq!(field.rows_with(&group_a[0], values.len()), Some(vec![2, 7]));
        // Truncated input is refused, never misread.
        let bytes = std::fs::read(&path).unwrap_or_default();
        std::fs::write(&path, &bytes[..bytes.len() - 1]).unwrap_or_else(|e| panic!("{e}"));
        assert!(FieldPart::open(&path, values.len()).is_none());
    }
}
