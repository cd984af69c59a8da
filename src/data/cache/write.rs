//! Writing a cache entry: the rows file and one file per field, each with fixed-width slots.

use super::codec::{payload, Enc};
use super::{field_key, APPROX_TAG, MAGIC, MAX_GROUPS, MAX_KEY, MISSING_TAG};
use crate::data::{DatasetSpec, Table};
use crate::value::Value;
use std::collections::HashMap;
use std::io::Write as _;
use std::path::Path;

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

pub(super) fn write(entry: &Path, spec: &DatasetSpec, table: &Table) {
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
pub(super) fn field_file(values: &[Value], index: &[Option<usize>]) -> Vec<u8> {
    let (dict, _) = dictionary(values.iter().filter_map(|v| match v {
        Value::Text(t) | Value::Member(t) => Some(t.as_ref()),
        Value::Missing(r) => Some(r.0.as_ref()),
        _ => None,
    }));
    let ids: HashMap<&str, usize> = dict.iter().enumerate().map(|(i, s)| (*s, i)).collect();
    let slots: Vec<[u8; 17]> = values.iter().map(|v| slot(v, &ids)).collect();
    let width = values.iter().map(|v| payload(tag(v)).unwrap_or(16)).max().unwrap_or(0).saturating_add(1);
    // Rows by value, in the order values first appear.
    let mut groups: HashMap<[u8; 17], usize> = HashMap::new();
    let mut lists: Vec<([u8; 17], Vec<usize>)> = Vec::new();
    for (row, s) in slots.iter().enumerate() {
        if lists.len() > MAX_GROUPS {
            break;
        }
        let g = *groups.entry(*s).or_insert_with(|| {
            lists.push((*s, Vec::new()));
            lists.len().saturating_sub(1)
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
            start = start.saturating_add(rows.len());
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
pub(super) fn dictionary<'s>(items: impl Iterator<Item = &'s str>) -> (Vec<&'s str>, Vec<usize>) {
    let mut ids: HashMap<&str, usize> = HashMap::new();
    let mut order: Vec<&str> = Vec::new();
    let seq = items
        .map(|s| {
            *ids.entry(s).or_insert_with(|| {
                order.push(s);
                order.len().saturating_sub(1)
            })
        })
        .collect();
    (order, seq)
}

pub(super) fn tag(v: &Value) -> u8 {
    match v {
        Value::Num(_) => 0,
        // Data cells are read exactly; a computed approximate number is never cached, and
        // its tag is one the reader refuses rather than one it would read as exact.
        Value::Approx(..) => APPROX_TAG,
        Value::Text(_) => 1,
        Value::Member(_) => 2,
        Value::Bool(_) => 3,
        Value::Date(_) => 4,
        Value::Missing(_) => MISSING_TAG,
    }
}

/// A value's slot: its tag, then its payload (texts by dictionary id), zero-padded. Equal
/// slots are equal values (numbers also in scale).
pub(super) fn slot(v: &Value, ids: &HashMap<&str, usize>) -> [u8; 17] {
    let mut out = [0u8; 17];
    let id = |s: &str| u32::try_from(ids.get(s).copied().unwrap_or(0)).unwrap_or(u32::MAX).to_le_bytes();
    let payload: Vec<u8> = match v {
        Value::Num(d) | Value::Approx(d, _) => d.serialize().to_vec(),
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
pub(super) fn save(path: &Path, bytes: &[u8]) {
    let temp = path.with_extension(format!("tmp{}", std::process::id()));
    let written =
        std::fs::File::create(&temp).and_then(|mut f| f.write_all(bytes)).and_then(|()| std::fs::rename(&temp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
}
