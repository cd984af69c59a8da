//! Reading a cache entry: only the rows wanted (one entity and its peer group), each field
//! from its own file.

use super::codec::{value, Dec};
use super::{field_key, CHUNK_BYTES, MAGIC, MISSING_TAG, ORIGIN_BYTES};
use crate::data::{DatasetSpec, LoadedFile, RowCounts, RowOrigin, Table};
use crate::value::Value;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read as _, Seek as _, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Rows to keep when reading an entry: one entity's, and those of the entities that share
/// its values of `peer_fields` in `period` (see `super::restrict`).
pub struct Filter<'f> {
    /// `None`: the period of the data, when it has only one.
    pub period: Option<&'f str>,
    pub entity: &'f str,
    pub peer_fields: &'f [crate::data::FieldKey],
}

/// An entry's file, opened, with its header and where its sections start.
pub(super) struct Part {
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
        file.read_exact(start.get_mut(..MAGIC.len().saturating_add(8))?).ok()?;
        let mut d = Dec { buf: &start, pos: 0 };
        d.magic()?;
        let size = usize::try_from(d.u64()?).ok()?;
        if size as u64 > len {
            return None;
        }
        let mut header = vec![0u8; size];
        file.read_exact(&mut header).ok()?;
        let body = (MAGIC.len() as u64).saturating_add(8).checked_add(size as u64)?;
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
        let span = CHUNK_BYTES.checked_div(width).unwrap_or(CHUNK_BYTES).max(1);
        let mut buf = Vec::new();
        let mut i = 0;
        while let Some(&first) = rows.get(i) {
            let end = rows
                .iter()
                .skip(i)
                .position(|r| *r >= first.saturating_add(span))
                .map_or(rows.len(), |k| i.saturating_add(k));
            let last = *rows.get(end.checked_sub(1)?)?;
            buf.resize(last.checked_sub(first)?.checked_add(1)?.checked_mul(width)?, 0);
            self.at(at.checked_add(first.checked_mul(width)? as u64)?, &mut buf)?;
            for r in rows.get(i..end)? {
                let from = r.checked_sub(first)?.checked_mul(width)?;
                each(buf.get(from..from.checked_add(width)?)?)?;
            }
            i = end;
        }
        Some(())
    }
}

/// A field's file, opened.
pub(super) struct FieldPart {
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
        let lists = if groups.is_some() { (n as u64).checked_mul(4)? } else { 0 };
        if rows != n
            || !(1..=17).contains(&width)
            || Some(part.len) != part.body.checked_add(values).and_then(|b| b.checked_add(lists))
        {
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
        let at = n.checked_mul(self.width)?.checked_add(start.checked_mul(4)?)? as u64;
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

/// Where the sections of `rows.bin` start, for n rows and keys of `width` bytes.
pub(super) struct Sections {
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
        let key_slot = width.checked_add(2)?;
        let n64 = n as u64;
        let keys = 0;
        let sorted = n64.checked_mul(key_slot as u64)?;
        let periods = sorted.checked_add(n64.checked_mul((key_slot as u64).checked_add(4)?)?)?;
        let origins = periods.checked_add(n64.checked_mul(4)?)?;
        let end = origins.checked_add(n64.checked_mul(ORIGIN_BYTES as u64)?)?;
        Some(Sections { n, key_slot, keys, sorted, periods, origins, end })
    }
}

pub(super) fn read(entry: &Path, spec: &DatasetSpec, filter: Option<&Filter<'_>>) -> Option<(Table, bool)> {
    let mut rows_part = Part::open(&entry.join("rows.bin"))?;
    let header = std::mem::take(&mut rows_part.header);
    let mut d = Dec { buf: &header, pos: 0 };
    let dataset = d.str()?.to_string();
    let records = d.u8()? == 1;
    let files = files(&mut d)?;
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
    let identity = || identity(&mut rows_part, &at, &period_dict, &rows);
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

/// The files the table was read from, as the header of `rows.bin` lists them.
fn files(d: &mut Dec<'_>) -> Option<Vec<LoadedFile>> {
    let mut files = Vec::new();
    for _ in 0..d.u32()? {
        let path = PathBuf::from(d.str()?);
        let display = d.str()?.to_string();
        let sha256 = d.str()?.to_string();
        let sheet = d.opt_str()?.map(str::to_string);
        let headers = (0..d.u32()?).map(|_| d.str().map(str::to_string)).collect::<Option<Vec<_>>>()?;
        files.push(LoadedFile { path, display, sha256, sheet, headers, source: None, window: None });
    }
    Some(files)
}

/// The keys, periods and origins of `rows`.
type Identity = (Vec<Arc<str>>, Vec<Arc<str>>, Vec<RowOrigin>);

/// What identifies each of `rows`: its key, period and origin, read from `rows.bin`.
fn identity(rows_part: &mut Part, at: &Sections, period_dict: &[Arc<str>], rows: &[usize]) -> Option<Identity> {
    let mut keys = Vec::with_capacity(rows.len());
    rows_part.gather(at.keys, at.key_slot, rows, |b| {
        keys.push(Arc::from(slot_key(b)?));
        Some(())
    })?;
    let periods = match period_dict {
        [one] => vec![one.clone(); rows.len()],
        _ => period_ids(rows_part, at, rows)?
            .into_iter()
            .map(|p| period_dict.get(p).cloned())
            .collect::<Option<Vec<_>>>()?,
    };
    let mut origins = Vec::with_capacity(rows.len());
    rows_part.gather(at.origins, ORIGIN_BYTES, rows, |b| {
        origins.push(Dec { buf: b, pos: 0 }.origin()?);
        Some(())
    })?;
    Some((keys, periods, origins))
}

/// A key from its slot.
pub(super) fn slot_key(b: &[u8]) -> Option<&str> {
    let len: [u8; 2] = b.get(..2)?.try_into().ok()?;
    std::str::from_utf8(b.get(2..usize::from(u16::from_le_bytes(len)).saturating_add(2))?).ok()
}

pub(super) fn period_ids(rows_part: &mut Part, at: &Sections, rows: &[usize]) -> Option<Vec<usize>> {
    let mut out = Vec::with_capacity(rows.len());
    rows_part.gather(at.periods, 4, rows, |b| {
        out.push(u32::from_le_bytes(b.try_into().ok()?) as usize);
        Some(())
    })?;
    Some(out)
}

/// The parts of `rows` (ascending) of a rolled-up table.
pub(super) fn parts(path: &Path, n: usize, rows: &[usize]) -> Option<Vec<Vec<RowOrigin>>> {
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
pub(super) fn select(
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
pub(super) fn entity_rows(rows_part: &mut Part, at: &Sections, entity: &str) -> Option<Vec<usize>> {
    let slot = at.key_slot.checked_add(4)?;
    let mut buf = vec![0u8; slot];
    let mut entry = |i: usize, buf: &mut Vec<u8>| -> Option<(String, usize)> {
        rows_part.at(at.sorted.checked_add(i.checked_mul(slot)? as u64)?, buf)?;
        let row: [u8; 4] = buf.get(at.key_slot..)?.try_into().ok()?;
        Some((slot_key(buf)?.to_string(), u32::from_le_bytes(row) as usize))
    };
    let (mut lo, mut hi) = (0, at.n);
    while lo < hi {
        let mid = lo.midpoint(hi);
        if entry(mid, &mut buf)?.0.as_str() < entity {
            lo = mid.saturating_add(1);
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
        lo = lo.saturating_add(1);
    }
    rows.sort_unstable();
    Some(rows)
}

/// The rows in both ascending lists.
pub(super) fn intersect(a: &[usize], b: &[usize]) -> Vec<usize> {
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

#[cfg(test)]
mod tests {
    use super::super::write::field_file;
    use super::*;
    use crate::value::Value;

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
