//! One chunk of records, on one thread: split, convert only the cells the table and the
//! sums need, classify (memoised by the record's text values), and add up per entity,
//! period and output group.

use super::matcher::{Matcher, Rows};
use super::phases::{Clock, Phases, SAMPLE};
use super::records::{Lines, Shown, TableText};
use super::split::{field_bytes, split_record, FieldRange};
use crate::ast::HitPolicy;
use crate::check::suggest;
use crate::data::number::{read_number, CellUnit};
use crate::data::stream::RawChunk;
use crate::data::{excludes, CellProblem, MissingValues};
use crate::data::{DatasetSpec, FieldKind};
use crate::table::Value;
use rust_decimal::Decimal;
use rustc_hash::FxHashMap as FastMap;
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
    /// What the cells of each table input may carry (for numeric ones: a symbol or `%`).
    pub input_units: Vec<CellUnit>,
    /// Each summed field: its data column (None when an optional column is absent),
    /// whether a value is required, and what its cells may carry.
    pub sums: Vec<(Option<usize>, bool, CellUnit)>,
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
    NotADate { text: String },
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
        self.records = self.records.saturating_add(records);
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
    /// Where the chunk's time went, when timings are asked for.
    pub phases: Phases,
    /// Each record's lines (`classify --records`), when asked for.
    pub records: Vec<u8>,
}

/// One text input's cells already matched in this chunk, and how often a cell was among
/// them: where values hardly repeat (a ledger of distinct cost centres), remembering them
/// costs more than matching them again, and the memo stops.
#[derive(Default)]
struct Memo {
    seen: FastMap<Box<[u8]>, Result<Rows, Problem>>,
    lookups: u32,
    found: u32,
    off: bool,
}

/// Rows left by the text inputs below which a numeric input checks each directly rather
/// than through its index.
const FEW_ROWS: u32 = 8;

/// Lookups after which a memo that finds fewer than one value in four stops.
const MEMO_TRIAL: u32 = 8192;

/// Split, classify and add up every record of a chunk; with `lines` (what they say of the
/// table), each record's lines too (`classify --records`).
pub fn process(
    chunk: &RawChunk,
    layout: &Layout,
    matcher: &Matcher,
    spec: &DatasetSpec,
    timed: bool,
    lines: Option<&TableText>,
) -> ChunkOut {
    let bytes = chunk.bytes.as_slice();
    let reader = Reader::new(layout, matcher, spec);
    let mut scratch = Scratch::new(layout, matcher);
    let mut out = ChunkOut::default();
    let mut lines = lines.map(|t| Lines::new(t, bytes.len()));
    let mut pos = 0;
    let mut line = chunk.first_line;
    while pos < bytes.len() {
        let start = pos;
        scratch.clock.start(timed && out.read % SAMPLE == 0);
        pos = split_record(bytes, pos, layout.delimiter, &mut scratch.fields);
        scratch.clock.lap(&mut out.phases.split);
        let text = bytes.get(start..pos).unwrap_or_default();
        let record = Record { bytes, start, text, line };
        line = line.saturating_add(text.iter().filter(|b| **b == b'\n').count());
        if scratch.fields.len() == 1 && text.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        out.read = out.read.saturating_add(1);
        out.phases.sampled = out.phases.sampled.saturating_add(u64::from(scratch.clock.on()));
        reader.record(&record, &mut scratch, &mut out, lines.as_mut());
    }
    out.records = lines.map(Lines::into_bytes).unwrap_or_default();
    out
}

/// One record: the chunk's bytes (which its fields index), where it starts, its text and
/// its first line.
struct Record<'b> {
    bytes: &'b [u8],
    start: usize,
    text: &'b [u8],
    line: usize,
}

/// Buffers and memos reused from record to record, so that a record allocates nothing
/// unless it brings a new value, entity or period.
struct Scratch {
    fields: Vec<FieldRange>,
    memos: Vec<Memo>,
    /// The rows the current record's text inputs match, as bits.
    rows: Rows,
    /// Each (entity, period) seen: its index in `ChunkOut::entities`.
    ids: FastMap<Box<[u8]>, usize>,
    /// The current record's entity and period: key, 0x1f, period.
    ep_buf: Vec<u8>,
    /// The previous record's, and its index (`usize::MAX` before the first).
    last_ep: (Vec<u8>, usize),
    /// The numeric inputs' values and the summed fields' values of the current record.
    numbers: Vec<Value>,
    /// The rows one input's value matches, where it is not memoised.
    one_column: Rows,
    sums: Vec<Decimal>,
    /// Which of `sums` were blank (adding nothing), for `--records`, which leaves them blank.
    blank_sums: Vec<bool>,
    /// The rows that matched, and the output groups they fall in.
    matched: Vec<u32>,
    groups_hit: Vec<usize>,
    clock: Clock,
}

impl Scratch {
    fn new(layout: &Layout, matcher: &Matcher) -> Scratch {
        Scratch {
            fields: Vec::with_capacity(layout.headers.len().saturating_add(1)),
            memos: (0..matcher.inputs.len()).map(|_| Memo::default()).collect(),
            rows: vec![0; matcher.words()],
            ids: FastMap::default(),
            ep_buf: Vec::new(),
            last_ep: (Vec::new(), usize::MAX),
            numbers: Vec::new(),
            one_column: Vec::new(),
            sums: vec![Decimal::ZERO; layout.sums.len()],
            blank_sums: vec![true; layout.sums.len()],
            matched: Vec::new(),
            groups_hit: Vec::new(),
            clock: Clock::default(),
        }
    }
}

/// What a chunk's records are read with: the layout, the table, and which inputs are
/// numbers and which text.
struct Reader<'a> {
    layout: &'a Layout,
    matcher: &'a Matcher,
    spec: &'a DatasetSpec,
    /// (input position, data column, what its cells may carry) of each numeric input.
    numeric_inputs: Vec<(usize, usize, &'a CellUnit)>,
    /// (input position, dataset field, data column) of each text input.
    text_inputs: Vec<(usize, usize, usize)>,
    /// The dataset's blank and marker cells, for its `exclude` rules.
    missing: MissingValues,
}

impl<'a> Reader<'a> {
    fn new(layout: &'a Layout, matcher: &'a Matcher, spec: &'a DatasetSpec) -> Reader<'a> {
        let numeric_inputs = matcher
            .inputs
            .iter()
            .zip(layout.inputs.iter().zip(&layout.input_units))
            .enumerate()
            .filter(|(_, (i, _))| i.numeric)
            .map(|(n, (_, (c, u)))| (n, *c, u))
            .collect();
        let text_inputs = matcher
            .inputs
            .iter()
            .zip(&layout.inputs)
            .enumerate()
            .filter(|(_, (i, _))| !i.numeric)
            .map(|(n, (i, c))| (n, i.field, *c))
            .collect();
        Reader { layout, matcher, spec, numeric_inputs, text_inputs, missing: MissingValues::new(spec) }
    }

    /// One record of the right shape or not: checked, classified and added up, or counted
    /// as bad, excluded or ambiguous; and, when asked, its lines.
    fn record(&self, record: &Record<'_>, s: &mut Scratch, out: &mut ChunkOut, lines: Option<&mut Lines<'_>>) {
        let fate = self.classify(record, s, out);
        let Some(lines) = lines else { return };
        match fate {
            Fate::Added(key_len) => self.lines(record, s, key_len, lines),
            Fate::Excluded => self.left_out(record, s, "excluded", lines),
            Fate::Bad => self.left_out(record, s, "skipped", lines),
            // The run fails: nothing is written.
            Fate::Ambiguous => {}
        }
    }

    fn classify(&self, record: &Record<'_>, s: &mut Scratch, out: &mut ChunkOut) -> Fate {
        if s.fields.len() != self.layout.headers.len() {
            let fields = s.fields.len();
            bad(out, record, &s.fields, None, Problem::RowShape { fields });
            return Fate::Bad;
        }
        match excluded(record.bytes, &s.fields, self.layout, self.spec, &self.missing) {
            Ok(true) => {
                out.excluded = out.excluded.saturating_add(1);
                return Fate::Excluded;
            }
            Ok(false) => {}
            Err((col, p)) => {
                bad(out, record, &s.fields, Some(col), p);
                return Fate::Bad;
            }
        }
        let Some(key_len) = self.entity_period(record.bytes, s) else {
            bad(out, record, &s.fields, Some(self.layout.key), Problem::MissingKey);
            return Fate::Bad;
        };
        if let Some((col, p)) = self.numbers(record.bytes, s) {
            bad(out, record, &s.fields, Some(col), p);
            return Fate::Bad;
        }
        s.clock.lap(&mut out.phases.convert);
        if let Some((col, p)) = self.input_rows(record.bytes, s) {
            bad(out, record, &s.fields, Some(col), p);
            return Fate::Bad;
        }
        self.match_rows(s);
        s.clock.lap(&mut out.phases.matching);
        if let (HitPolicy::Unique, [a, b, ..]) = (self.matcher.hit, s.matched.as_slice()) {
            out.ambiguous = out.ambiguous.saturating_add(1);
            if out.ambiguities.len() < MAX_KEPT {
                out.ambiguities.push(Ambiguity { line: record.line, text: shown(record.text), rows: (*a, *b) });
            }
            return Fate::Ambiguous;
        }
        let id = entity_id(s, key_len, self.matcher.groups.len(), out);
        self.add(record, s, key_len, id, out);
        s.clock.lap(&mut out.phases.sum);
        Fate::Added(key_len)
    }

    /// The record's entity and period into `s.ep_buf`; the key's length, or `None` when
    /// the key is blank.
    fn entity_period(&self, bytes: &[u8], s: &mut Scratch) -> Option<usize> {
        let key = cell_text(bytes, &s.fields, self.layout.key);
        if key.is_empty() {
            return None;
        }
        s.ep_buf.clear();
        s.ep_buf.extend_from_slice(&key);
        s.ep_buf.push(0x1f);
        match self.layout.period {
            Some(p) => s.ep_buf.extend_from_slice(&cell_text(bytes, &s.fields, p)),
            None => s.ep_buf.extend_from_slice(self.layout.fixed_period.as_bytes()),
        }
        Some(key.len())
    }

    /// The summed fields and the numeric inputs into `s.sums` and `s.numbers`; the first
    /// cell that is not a usable number, if any.
    fn numbers(&self, bytes: &[u8], s: &mut Scratch) -> Option<(usize, Problem)> {
        let Scratch { fields, sums, blank_sums, numbers, .. } = s;
        let mut problem = None;
        for ((slot, blank), (col, required, unit)) in sums.iter_mut().zip(blank_sums.iter_mut()).zip(&self.layout.sums)
        {
            *slot = Decimal::ZERO;
            *blank = true;
            let Some(col) = col else { continue };
            match number(&cell_text(bytes, fields, *col), self.layout, unit) {
                Ok(Some(d)) => (*slot, *blank) = (d, false),
                Ok(None) if !required => {}
                Ok(None) => problem = problem.or(Some((*col, Problem::Blank))),
                Err(p) => problem = problem.or(Some((*col, p))),
            }
        }
        numbers.clear();
        for (_, col, unit) in &self.numeric_inputs {
            match number(&cell_text(bytes, fields, *col), self.layout, unit) {
                Ok(Some(d)) => numbers.push(Value::Number(d)),
                Ok(None) => numbers.push(Value::Missing),
                Err(p) => {
                    problem = problem.or(Some((*col, p)));
                    numbers.push(Value::Missing);
                }
            }
        }
        problem
    }

    /// The rows every input's cell matches, into `s.rows`: each text column's distinct
    /// values are matched once (memoised), numbers (which rarely repeat) each time. The
    /// first cell that cannot be an input, if any.
    fn input_rows(&self, bytes: &[u8], s: &mut Scratch) -> Option<(usize, Problem)> {
        let Scratch { fields, memos, rows, numbers, one_column, .. } = s;
        rows.iter_mut().for_each(|w| *w = u64::MAX);
        for &(n, field, col) in &self.text_inputs {
            let text = cell_text(bytes, fields, col);
            let Some(memo) = memos.get_mut(n) else { continue };
            if memo.off {
                match text_value(&text, field, self.layout, self.spec) {
                    Ok(v) => self.matcher.column_rows_into(n, &v, one_column),
                    Err(p) => return Some((col, p)),
                }
                rows.iter_mut().zip(one_column.iter()).for_each(|(a, b)| *a &= *b);
                continue;
            }
            memo.lookups = memo.lookups.saturating_add(1);
            if memo.lookups == MEMO_TRIAL && memo.found < MEMO_TRIAL / 4 {
                memo.off = true;
                memo.seen = FastMap::default();
            }
            let found = match memo.seen.get(text.as_ref()) {
                Some(found) => {
                    memo.found = memo.found.saturating_add(1);
                    found
                }
                None => {
                    let result =
                        text_value(&text, field, self.layout, self.spec).map(|v| self.matcher.column_rows(n, &v));
                    memo.seen.entry(text.to_vec().into_boxed_slice()).or_insert(result)
                }
            };
            match found {
                Ok(r) => rows.iter_mut().zip(r).for_each(|(a, b)| *a &= *b),
                Err(p) => return Some((col, p.clone())),
            }
        }
        // Numbers after text: where the text left a few rows, each is checked directly.
        for ((n, _, _), value) in self.numeric_inputs.iter().zip(numbers.iter()) {
            let left: u32 = rows.iter().map(|w| w.count_ones()).sum();
            if left <= FEW_ROWS {
                for (w, word) in (0u32..).zip(rows.iter_mut()) {
                    let mut bits = *word;
                    while bits != 0 {
                        let bit = bits.trailing_zeros();
                        bits &= bits.wrapping_sub(1);
                        if !self.matcher.row_matches(*n, w.saturating_mul(64).saturating_add(bit), value) {
                            *word &= !(1u64 << bit);
                        }
                    }
                }
            } else {
                self.matcher.column_rows_into(*n, value, one_column);
                rows.iter_mut().zip(one_column.iter()).for_each(|(a, b)| *a &= *b);
            }
        }
        None
    }

    /// The rows (into `s.matched`) whose cells all match, in table order; only the first
    /// under `hit first`.
    fn match_rows(&self, s: &mut Scratch) {
        crate::table::hits(&s.rows, self.matcher.row_count(), self.matcher.hit, &mut s.matched);
    }

    /// Add the record to its entity and period: to the groups of the rows it matched, or
    /// to the unclassified (keeping a few as examples).
    fn add(&self, record: &Record<'_>, s: &mut Scratch, key_len: usize, id: usize, out: &mut ChunkOut) {
        let Some((_, acc)) = out.entities.get_mut(id) else { return };
        let mut ok = true;
        if s.matched.is_empty() {
            ok &= acc.unclassified.add(1, &s.sums);
            if out.examples.len() < MAX_EXAMPLES {
                out.examples.push(self.example(record, s, key_len));
            }
        } else {
            ok &= acc.classified.add(1, &s.sums);
            s.groups_hit.clear();
            for r in &s.matched {
                let g = self.matcher.group_of(*r);
                if !s.groups_hit.contains(&g) {
                    s.groups_hit.push(g);
                    if let Some(a) = acc.groups.get_mut(g) {
                        ok &= a.add(1, &s.sums);
                    }
                }
            }
        }
        out.overflow |= !ok;
    }

    /// The cells of the table's inputs the lines show (a summed input is shown as summed).
    fn shown_inputs<'r>(&self, record: &Record<'r>, s: &Scratch) -> Vec<Cow<'r, [u8]>> {
        self.layout
            .inputs
            .iter()
            .filter(|c| !self.layout.sums.iter().any(|(sum, ..)| *sum == Some(**c)))
            .map(|c| cell_text(record.bytes, &s.fields, *c))
            .collect()
    }

    /// A record left out of the sums (`excluded` by the dataset's rules, or `skipped` as a
    /// bad row): one line, its cells as written, no amounts and no outputs.
    fn left_out(&self, record: &Record<'_>, s: &Scratch, status: &str, lines: &mut Lines<'_>) {
        let entity = cell_text(record.bytes, &s.fields, self.layout.key);
        let period = match self.layout.period {
            Some(p) => cell_text(record.bytes, &s.fields, p),
            None => Cow::Borrowed(self.layout.fixed_period.as_bytes()),
        };
        let inputs = self.shown_inputs(record, s);
        let shown = Shown { line: record.line, entity: &entity, period: &period, inputs: &inputs, sums: None };
        lines.unmatched(&shown, status);
    }

    /// The record's lines: one per output tuple it fell in (with the rows that gave it), or
    /// one saying it is unclassified. After [`Reader::add`], whose groups it shows.
    fn lines(&self, record: &Record<'_>, s: &Scratch, key_len: usize, lines: &mut Lines<'_>) {
        let (entity, period) = s.ep_buf.split_at(key_len);
        let inputs = self.shown_inputs(record, s);
        let shown = Shown {
            line: record.line,
            entity,
            period: period.get(1..).unwrap_or_default(),
            inputs: &inputs,
            sums: Some((&s.sums, &s.blank_sums)),
        };
        match (s.matched.as_slice(), s.groups_hit.as_slice()) {
            ([], _) => lines.unmatched(&shown, "unclassified"),
            // One row, one group: most records.
            ([_], [g]) => lines.classified(&shown, *g, &s.matched),
            _ => {
                for &g in &s.groups_hit {
                    let rows: Vec<u32> = s.matched.iter().copied().filter(|r| self.matcher.group_of(*r) == g).collect();
                    lines.classified(&shown, g, &rows);
                }
            }
        }
    }

    /// An unclassified record as an example: where it is, its entity, period, inputs and sums.
    fn example(&self, record: &Record<'_>, s: &Scratch, key_len: usize) -> Example {
        let (k, p) = s.ep_buf.split_at(key_len);
        Example {
            line: record.line,
            entity: String::from_utf8_lossy(k).into_owned(),
            period: String::from_utf8_lossy(p.get(1..).unwrap_or_default()).into_owned(),
            inputs: self
                .matcher
                .inputs
                .iter()
                .zip(&self.layout.inputs)
                .map(|(_, c)| String::from_utf8_lossy(&cell_text(record.bytes, &s.fields, *c)).into_owned())
                .collect(),
            sums: s.sums.iter().map(Decimal::to_string).collect(),
        }
    }
}

/// What became of a record.
enum Fate {
    /// Classified or not, and added up (its key's length in `Scratch::ep_buf`).
    Added(usize),
    Excluded,
    Bad,
    /// Two rows of a `hit unique` table matched it.
    Ambiguous,
}

/// Count a bad record, keeping the first few in full with the cell at fault.
fn bad(out: &mut ChunkOut, record: &Record<'_>, fields: &[FieldRange], column: Option<usize>, problem: Problem) {
    out.bad_rows = out.bad_rows.saturating_add(1);
    if out.bad.len() < MAX_KEPT {
        let cell = column.and_then(|c| {
            fields.get(c).map(|f| (c, f.start.saturating_sub(record.start), f.end.saturating_sub(record.start)))
        });
        out.bad.push(BadRow { line: record.line, text: shown(record.text), cell, problem });
    }
}

/// The index in `out.entities` of the record's entity and period (in `s.ep_buf`), added
/// when new: the same as the previous record's, most of the time.
fn entity_id(s: &mut Scratch, key_len: usize, groups: usize, out: &mut ChunkOut) -> usize {
    if s.last_ep.1 != usize::MAX && s.last_ep.0 == s.ep_buf {
        return s.last_ep.1;
    }
    let id = match s.ids.get(s.ep_buf.as_slice()) {
        Some(id) => *id,
        None => {
            let id = out.entities.len();
            let (k, p) = s.ep_buf.split_at(key_len);
            let name = String::from_utf8_lossy(k).into_owned();
            let period = String::from_utf8_lossy(p.get(1..).unwrap_or_default()).into_owned();
            out.entities.push(((name, period), EntityPeriod::new(groups, s.sums.len())));
            s.ids.insert(s.ep_buf.clone().into_boxed_slice(), id);
            id
        }
    };
    s.last_ep = (s.ep_buf.clone(), id);
    id
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

/// Does an `exclude` rule of the dataset leave this record out? Read as the data loader
/// reads it (`data::cells::excludes`): a cell the rule cannot read is a bad row.
fn excluded(
    bytes: &[u8],
    fields: &[FieldRange],
    layout: &Layout,
    spec: &DatasetSpec,
    missing: &MissingValues,
) -> Result<bool, (usize, Problem)> {
    for (rule, col) in spec.exclude.iter().zip(&layout.exclude) {
        let text = String::from_utf8_lossy(&cell_text(bytes, fields, *col)).into_owned();
        match excludes(spec, rule, &text, missing) {
            Ok(true) => return Ok(true),
            Ok(false) => {}
            Err(CellProblem::BadDate { text, .. }) => return Err((*col, Problem::NotADate { text })),
            Err(CellProblem::NotANumber { text, .. }) => return Err((*col, Problem::NotANumber { text })),
            Err(_) => return Err((*col, Problem::NotANumber { text: text.trim().to_string() })),
        }
    }
    Ok(false)
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
        end = end.saturating_sub(1);
    }
    text.get(..end).unwrap_or_default().to_string()
}

fn is_missing(text: &[u8], layout: &Layout) -> bool {
    text.is_empty() || layout.missing.iter().any(|m| m.as_bytes().eq_ignore_ascii_case(text))
}

/// A number cell in its field's unit: `None` when blank or a missing marker.
fn number(text: &[u8], layout: &Layout, unit: &CellUnit) -> Result<Option<Decimal>, Problem> {
    if is_missing(text, layout) {
        return Ok(None);
    }
    let Ok(s) = std::str::from_utf8(text) else { return Err(Problem::NotUtf8) };
    match read_number(s, unit) {
        Ok(d) => Ok(Some(d)),
        Err(_) => Err(Problem::NotANumber { text: s.to_string() }),
    }
}

/// The value of a text input cell: missing, a set member's name, a date read as the data
/// loader reads it (so that `30/09/2016` is before `2016-10-01`), or the text.
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
        Some(FieldKind::Date) => crate::data::parse_date(text.trim())
            .map(Value::Date)
            .ok_or_else(|| Problem::NotADate { text: text.to_string() }),
        _ => Ok(Value::Text(text.to_string())),
    }
}
