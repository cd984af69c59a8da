//! One chunk of records, on one thread: split, convert only the cells the table and the
//! sums need, classify (memoised by the record's text values), and add up per entity,
//! period and output group.

use super::matcher::{Matcher, Rows};
use super::split::{field_bytes, split_record, FieldRange};
use crate::ast::HitPolicy;
use crate::check::suggest;
use crate::data::number::{parse_decimal, Parsed};
use crate::data::stream::RawChunk;
use crate::data::{DatasetSpec, FieldKind};
use crate::fasthash::FastMap;
use crate::table::Value;
use rust_decimal::Decimal;
use std::borrow::Cow;

/// Problems kept in full per chunk (the rest are only counted).
pub const MAX_KEPT: usize = 20;
/// Unclassified records kept as examples per chunk.
pub const MAX_EXAMPLES: usize = 5;
/// Bytes of a record kept for showing it in a diagnostic.
const MAX_SHOWN_BYTES: usize = 4096;

/// Where every cell the run needs is in the file.
#[derive(Debug)]
pub struct Layout {
    pub headers: Vec<String>,
    pub delimiter: u8,
    pub key: usize,
    pub period: Option<usize>,
    /// The period of every row when the file gives none (`file "x.csv" period "2013/14"`).
    pub fixed_period: String,
    /// Data column of each table input, in the matcher's input order.
    pub inputs: Vec<usize>,
    /// Each summed field: its data column (None when an optional column is absent), and
    /// whether a value is required.
    pub sums: Vec<(Option<usize>, bool)>,
    /// Lowercased cell texts that mean "no value".
    pub missing: Vec<String>,
    /// The data column of each of the dataset's `exclude` rules (in `spec.exclude` order).
    pub exclude: Vec<usize>,
}

/// A value that cannot be used, and why.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    RowShape { fields: usize },
    MissingKey,
    Blank,
    NotANumber { text: String },
    NotInSet { text: String, set: String, suggestion: Option<String> },
    NotUtf8,
}

/// A bad row, with what is needed to show it.
#[derive(Debug, Clone)]
pub struct BadRow {
    pub line: usize,
    pub text: String,
    /// The data column and the cell's byte range in `text`.
    pub cell: Option<(usize, usize, usize)>,
    pub problem: Problem,
}

/// A record that two rows of a `hit unique` table match.
#[derive(Debug, Clone)]
pub struct Ambiguity {
    pub line: usize,
    pub text: String,
    pub rows: (u32, u32),
}

/// An unclassified record, as an example.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Example {
    pub line: usize,
    pub entity: String,
    pub period: String,
    pub inputs: Vec<String>,
    pub sums: Vec<String>,
}

/// A count of records and the sums of their summed fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Acc {
    pub records: u64,
    pub sums: Vec<Decimal>,
}

impl Acc {
    pub fn zero(n: usize) -> Acc {
        Acc { records: 0, sums: vec![Decimal::ZERO; n] }
    }

    /// Add one record (or another accumulator); false on overflow.
    pub fn add(&mut self, records: u64, sums: &[Decimal]) -> bool {
        self.records += records;
        let mut ok = true;
        for (s, v) in self.sums.iter_mut().zip(sums) {
            match s.checked_add(*v) {
                Some(x) => *s = x,
                None => ok = false,
            }
        }
        ok
    }
}

/// Everything one entity and period adds up to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityPeriod {
    /// One per output group of the matcher.
    pub groups: Vec<Acc>,
    /// Records that at least one row matched (each counted once, even under `collect`).
    pub classified: Acc,
    pub unclassified: Acc,
}

impl EntityPeriod {
    pub fn new(groups: usize, sums: usize) -> EntityPeriod {
        EntityPeriod {
            groups: vec![Acc::zero(sums); groups],
            classified: Acc::zero(sums),
            unclassified: Acc::zero(sums),
        }
    }

    pub fn merge(&mut self, other: &EntityPeriod) -> bool {
        let mut ok = true;
        for (a, b) in self.groups.iter_mut().zip(&other.groups) {
            ok &= a.add(b.records, &b.sums);
        }
        ok &= self.classified.add(other.classified.records, &other.classified.sums);
        ok &= self.unclassified.add(other.unclassified.records, &other.unclassified.sums);
        ok
    }
}

/// What one chunk adds up to.
#[derive(Debug, Default)]
pub struct ChunkOut {
    pub read: u64,
    /// Records left out by the dataset's `exclude` rules.
    pub excluded: u64,
    pub bad_rows: u64,
    pub bad: Vec<BadRow>,
    pub ambiguous: u64,
    pub ambiguities: Vec<Ambiguity>,
    pub examples: Vec<Example>,
    /// (entity, period) and their sums, in order of first appearance.
    pub entities: Vec<((String, String), EntityPeriod)>,
    pub overflow: bool,
}

/// For one text input column: each distinct value seen, and the rows its cell matches.
type Memo = FastMap<Box<[u8]>, Result<Rows, Problem>>;

pub fn process(chunk: &RawChunk, layout: &Layout, matcher: &Matcher, spec: &DatasetSpec) -> ChunkOut {
    let bytes = chunk.bytes.as_slice();
    let n_sums = layout.sums.len();
    let mut out = ChunkOut::default();
    let mut memos: Vec<Memo> = (0..matcher.inputs.len()).map(|_| FastMap::default()).collect();
    let mut rows: Rows = vec![0; matcher.words()];
    let mut ids: FastMap<Box<[u8]>, usize> = FastMap::default();
    let mut fields: Vec<FieldRange> = Vec::with_capacity(layout.headers.len() + 1);
    let mut ep_buf: Vec<u8> = Vec::new();
    let mut last_ep: (Vec<u8>, usize) = (Vec::new(), usize::MAX);
    let mut numbers: Vec<Value> = Vec::new();
    let mut sums: Vec<Decimal> = vec![Decimal::ZERO; n_sums];
    let mut matched: Vec<u32> = Vec::new();
    let mut groups_hit: Vec<usize> = Vec::new();
    let numeric_inputs: Vec<usize> =
        matcher.inputs.iter().zip(&layout.inputs).filter(|(i, _)| i.numeric).map(|(_, c)| *c).collect();
    // (input position, dataset field, data column) of each text input.
    let text_inputs: Vec<(usize, usize, usize)> = matcher
        .inputs
        .iter()
        .zip(&layout.inputs)
        .enumerate()
        .filter(|(_, (i, _))| !i.numeric)
        .map(|(n, (i, c))| (n, i.field, *c))
        .collect();
    let mut pos = 0;
    let mut line = chunk.first_line;
    while pos < bytes.len() {
        let start = pos;
        pos = split_record(bytes, pos, layout.delimiter, &mut fields);
        let record = bytes.get(start..pos).unwrap_or_default();
        let record_line = line;
        line += record.iter().filter(|b| **b == b'\n').count();
        if fields.len() == 1 && record.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        out.read += 1;
        let bad = |out: &mut ChunkOut, column: Option<usize>, problem: Problem| {
            out.bad_rows += 1;
            if out.bad.len() < MAX_KEPT {
                let cell = column.and_then(|c| fields.get(c).map(|f| (c, f.start - start, f.end - start)));
                out.bad.push(BadRow { line: record_line, text: shown(record), cell, problem });
            }
        };
        if fields.len() != layout.headers.len() {
            bad(&mut out, None, Problem::RowShape { fields: fields.len() });
            continue;
        }
        if excluded(bytes, &fields, layout, spec) {
            out.excluded += 1;
            continue;
        }
        let text_of = |col: usize| cell_text(bytes, &fields, col);
        // Entity and period: the same as the previous record's, most of the time.
        let key = text_of(layout.key);
        if key.is_empty() {
            bad(&mut out, Some(layout.key), Problem::MissingKey);
            continue;
        }
        ep_buf.clear();
        ep_buf.extend_from_slice(&key);
        ep_buf.push(0x1f);
        match layout.period {
            Some(p) => ep_buf.extend_from_slice(&text_of(p)),
            None => ep_buf.extend_from_slice(layout.fixed_period.as_bytes()),
        }
        // Numbers: the summed fields and the numeric inputs.
        let mut problem = None;
        for (slot, (col, required)) in sums.iter_mut().zip(&layout.sums) {
            *slot = Decimal::ZERO;
            let Some(col) = col else { continue };
            match number(&text_of(*col), layout) {
                Ok(Some(d)) => *slot = d,
                Ok(None) if !required => {}
                Ok(None) => problem = problem.or(Some((*col, Problem::Blank))),
                Err(p) => problem = problem.or(Some((*col, p))),
            }
        }
        numbers.clear();
        for col in &numeric_inputs {
            match number(&text_of(*col), layout) {
                Ok(Some(d)) => numbers.push(Value::Number(d)),
                Ok(None) => numbers.push(Value::Missing),
                Err(p) => {
                    problem = problem.or(Some((*col, p)));
                    numbers.push(Value::Missing);
                }
            }
        }
        if let Some((col, p)) = problem {
            bad(&mut out, Some(col), p);
            continue;
        }
        // Text inputs: each column's distinct values are matched once; a record's rows are
        // the rows all its columns match.
        rows.iter_mut().for_each(|w| *w = u64::MAX);
        let mut failed = None;
        for &(n, field, col) in &text_inputs {
            let text = text_of(col);
            let Some(memo) = memos.get_mut(n) else { continue };
            let found = match memo.get(text.as_ref()) {
                Some(found) => found,
                None => {
                    let result = text_value(&text, field, layout, spec).map(|v| matcher.column_rows(n, &v));
                    memo.entry(text.to_vec().into_boxed_slice()).or_insert(result)
                }
            };
            match found {
                Ok(r) => rows.iter_mut().zip(r).for_each(|(a, b)| *a &= *b),
                Err(p) => {
                    failed = Some((col, p.clone()));
                    break;
                }
            }
        }
        if let Some((col, p)) = failed {
            bad(&mut out, Some(col), p);
            continue;
        }
        matched.clear();
        'rows: for (w, word) in rows.iter().enumerate() {
            let mut bits = *word;
            while bits != 0 {
                let r = (w * 64) as u32 + bits.trailing_zeros();
                bits &= bits - 1;
                if (r as usize) >= matcher.row_count() {
                    break 'rows;
                }
                if !matcher.has_numeric_inputs() || matcher.numbers_match(r, &numbers) {
                    matched.push(r);
                    if matcher.hit == HitPolicy::First {
                        break 'rows;
                    }
                }
            }
        }
        if let (HitPolicy::Unique, [a, b, ..]) = (matcher.hit, matched.as_slice()) {
            out.ambiguous += 1;
            if out.ambiguities.len() < MAX_KEPT {
                out.ambiguities.push(Ambiguity { line: record_line, text: shown(record), rows: (*a, *b) });
            }
            continue;
        }
        let id = if last_ep.1 != usize::MAX && last_ep.0 == ep_buf {
            last_ep.1
        } else {
            let id = match ids.get(ep_buf.as_slice()) {
                Some(id) => *id,
                None => {
                    let id = out.entities.len();
                    let (k, p) = ep_buf.split_at(key.len());
                    let name = String::from_utf8_lossy(k).into_owned();
                    let period = String::from_utf8_lossy(p.get(1..).unwrap_or_default()).into_owned();
                    out.entities.push(((name, period), EntityPeriod::new(matcher.groups.len(), n_sums)));
                    ids.insert(ep_buf.clone().into_boxed_slice(), id);
                    id
                }
            };
            last_ep = (ep_buf.clone(), id);
            id
        };
        let Some((_, acc)) = out.entities.get_mut(id) else { continue };
        let mut ok = true;
        if matched.is_empty() {
            ok &= acc.unclassified.add(1, &sums);
            if out.examples.len() < MAX_EXAMPLES {
                let (k, p) = ep_buf.split_at(key.len());
                out.examples.push(Example {
                    line: record_line,
                    entity: String::from_utf8_lossy(k).into_owned(),
                    period: String::from_utf8_lossy(p.get(1..).unwrap_or_default()).into_owned(),
                    inputs: matcher
                        .inputs
                        .iter()
                        .zip(&layout.inputs)
                        .map(|(_, c)| String::from_utf8_lossy(&text_of(*c)).into_owned())
                        .collect(),
                    sums: sums.iter().map(Decimal::to_string).collect(),
                });
            }
        } else {
            ok &= acc.classified.add(1, &sums);
            groups_hit.clear();
            for r in &matched {
                let g = matcher.group_of(*r);
                if !groups_hit.contains(&g) {
                    groups_hit.push(g);
                    if let Some(a) = acc.groups.get_mut(g) {
                        ok &= a.add(1, &sums);
                    }
                }
            }
        }
        out.overflow |= !ok;
    }
    out
}

/// A cell's text, trimmed, with `""` unescaped (which alone needs a copy).
fn cell_text<'a>(bytes: &'a [u8], fields: &[FieldRange], col: usize) -> Cow<'a, [u8]> {
    match fields.get(col) {
        Some(f) if f.escaped => {
            let mut scratch = Vec::new();
            Cow::Owned(field_bytes(bytes, *f, &mut scratch).trim_ascii().to_vec())
        }
        Some(f) => Cow::Borrowed(bytes.get(f.start..f.end).unwrap_or_default().trim_ascii()),
        None => Cow::Borrowed(&[]),
    }
}

/// Does an `exclude` rule of the dataset leave this record out?
fn excluded(bytes: &[u8], fields: &[FieldRange], layout: &Layout, spec: &DatasetSpec) -> bool {
    spec.exclude.iter().zip(&layout.exclude).any(|((_, cell, re), col)| {
        let text = String::from_utf8_lossy(&cell_text(bytes, fields, *col)).into_owned();
        crate::table::matches(cell, re.as_ref(), &Value::Text(text))
    })
}

/// A record's text, for showing in a diagnostic (long records cut at a character boundary).
fn shown(record: &[u8]) -> String {
    let text = String::from_utf8_lossy(record);
    let text = text.trim_end_matches(['\n', '\r']);
    if text.len() <= MAX_SHOWN_BYTES {
        return text.to_string();
    }
    let mut end = MAX_SHOWN_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.get(..end).unwrap_or_default().to_string()
}

fn is_missing(text: &[u8], layout: &Layout) -> bool {
    text.is_empty() || layout.missing.iter().any(|m| m.as_bytes().eq_ignore_ascii_case(text))
}

/// A number cell: `None` when blank or a missing marker.
fn number(text: &[u8], layout: &Layout) -> Result<Option<Decimal>, Problem> {
    if is_missing(text, layout) {
        return Ok(None);
    }
    let Ok(s) = std::str::from_utf8(text) else { return Err(Problem::NotUtf8) };
    match parse_decimal(s) {
        Parsed::Number(d) => Ok(Some(d)),
        Parsed::Invalid => Err(Problem::NotANumber { text: s.to_string() }),
    }
}

/// The value of a text input cell: missing, a set member's name, or the text.
fn text_value(raw: &[u8], field: usize, layout: &Layout, spec: &DatasetSpec) -> Result<Value, Problem> {
    if is_missing(raw, layout) {
        return Ok(Value::Missing);
    }
    let Ok(text) = std::str::from_utf8(raw) else { return Err(Problem::NotUtf8) };
    match spec.fields.get(field).map(|f| &f.kind) {
        Some(kind @ FieldKind::Member { set, lookup, spellings, .. }) => match kind.member(text) {
            Some(name) => Ok(Value::Text(name.to_string())),
            None => {
                let suggestion = suggest::did_you_mean(&text.to_lowercase(), lookup.keys().map(String::as_str))
                    .map(|s| spellings.get(s).cloned().unwrap_or_else(|| s.to_string()));
                Err(Problem::NotInSet { text: text.to_string(), set: set.clone(), suggestion })
            }
        },
        _ => Ok(Value::Text(text.to_string())),
    }
}
