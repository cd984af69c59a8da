//! A decision table's input column indexed by value: the rows whose cell matches a value,
//! found at a cost that does not grow with the table's rows. Exact values and `starts`
//! prefixes are looked up in hash maps, ranges and comparisons in a segment tree of their
//! ends, patterns in one `RegexSet`; what none of these can hold exactly (dates, a range
//! from a number to a text) is matched cell by cell. The answer is always that of
//! [`super::matches`] on each row in turn, which the property test below checks.

use super::{matches, Value};
use crate::ast::{Cell, CompareOp, HitPolicy, Literal};
use regex::{Regex, RegexSet};
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;
use std::borrow::Cow;
use std::ops::Bound;
use std::str::FromStr;

/// A set of rows, one bit each (row r is bit r % 64 of word r / 64).
pub type Rows = Vec<u64>;

/// The most memory a column's patterns may compile to together before they are matched
/// one by one instead (each alone is limited to 1 MiB when the table is checked).
const PATTERN_SET_LIMIT: usize = 64 << 20;

/// One input column of a table, indexed.
#[derive(Debug)]
pub struct ColumnIndex {
    words: usize,
    /// `*` rows: they match every value, a missing one too.
    any: Rows,
    /// `starts ""` rows: every value that is not missing.
    present: Rows,
    /// Exact text (and set items), by the text.
    text: FxHashMap<String, RowSet>,
    /// Exact numbers, by the number without trailing zeros.
    numbers: FxHashMap<Decimal, RowSet>,
    /// `starts` prefixes, by their length in bytes.
    prefixes: Vec<(usize, FxHashMap<String, RowSet>)>,
    number_intervals: Intervals<Decimal>,
    text_intervals: Intervals<String>,
    /// `matches` patterns, and the row of each.
    patterns: Option<(RegexSet, Vec<u32>)>,
    /// Cells matched one by one.
    scan: Vec<(u32, Cell, Option<Regex>)>,
    /// Whether any cell compares a value as text, or as a number: a value is turned into
    /// the other kind only for a column that needs it (a number's text is an allocation).
    by_text: bool,
    by_number: bool,
    /// Whether any row is `starts ""`.
    any_present: bool,
    /// Each row's cell, for checking a few candidate rows directly.
    cells: Vec<(Cell, Option<Regex>)>,
}

impl ColumnIndex {
    /// Index a column: each row's cell with its compiled pattern (`None` for a `matches`
    /// cell whose pattern did not compile: it matches nothing, as in [`super::matches`]).
    pub fn new(cells: Vec<(Cell, Option<Regex>)>) -> ColumnIndex {
        let words = cells.len().div_ceil(64);
        let mut index = ColumnIndex {
            words,
            any: vec![0; words],
            present: vec![0; words],
            text: FxHashMap::default(),
            numbers: FxHashMap::default(),
            prefixes: Vec::new(),
            number_intervals: Intervals::default(),
            text_intervals: Intervals::default(),
            patterns: None,
            scan: Vec::new(),
            by_text: false,
            by_number: false,
            any_present: false,
            cells: Vec::new(),
        };
        let mut patterns: Vec<(&str, u32, &Regex)> = Vec::new();
        for (row, (cell, regex)) in (0u32..).zip(&cells) {
            let indexed = match cell {
                Cell::Any => {
                    set(&mut index.any, row);
                    true
                }
                Cell::Exact(lit) => index.exact(std::slice::from_ref(lit), row),
                Cell::Set(items) => index.exact(items, row),
                Cell::Starts(prefix) if prefix.is_empty() => {
                    set(&mut index.present, row);
                    true
                }
                Cell::Starts(prefix) => {
                    let by_length = match index.prefixes.iter().position(|(n, _)| *n == prefix.len()) {
                        Some(p) => index.prefixes.get_mut(p),
                        None => {
                            index.prefixes.push((prefix.len(), FxHashMap::default()));
                            index.prefixes.last_mut()
                        }
                    };
                    if let Some((_, map)) = by_length {
                        map.entry(prefix.clone()).or_default().push(row);
                    }
                    true
                }
                Cell::Regex(pattern) => {
                    if let Some(re) = regex {
                        patterns.push((pattern, row, re));
                    }
                    true
                }
                Cell::Range(lo, hi) => index.interval(Bound::Included(lo), Bound::Included(hi), row),
                Cell::Compare(op, lit) => {
                    let (lo, hi) = match op {
                        CompareOp::Lt => (Bound::Unbounded, Bound::Excluded(lit)),
                        CompareOp::Le => (Bound::Unbounded, Bound::Included(lit)),
                        CompareOp::Gt => (Bound::Excluded(lit), Bound::Unbounded),
                        CompareOp::Ge => (Bound::Included(lit), Bound::Unbounded),
                    };
                    index.interval(lo, hi, row)
                }
            };
            if !indexed {
                index.scan.push((row, cell.clone(), regex.clone()));
            }
        }
        index.number_intervals.build(words);
        index.text_intervals.build(words);
        index.text.values_mut().for_each(|r| r.compact(words));
        index.numbers.values_mut().for_each(|r| r.compact(words));
        index.prefixes.iter_mut().for_each(|(_, m)| m.values_mut().for_each(|r| r.compact(words)));
        if !patterns.is_empty() {
            let set = regex::RegexSetBuilder::new(patterns.iter().map(|(p, _, _)| *p))
                .size_limit(PATTERN_SET_LIMIT)
                .dfa_size_limit(PATTERN_SET_LIMIT)
                .build();
            match set {
                Ok(set) => index.patterns = Some((set, patterns.iter().map(|(_, r, _)| *r).collect())),
                // Too large to compile together: each is matched alone, as compiled.
                Err(_) => index
                    .scan
                    .extend(patterns.iter().map(|(p, r, re)| (*r, Cell::Regex(p.to_string()), Some((*re).clone())))),
            }
        }
        index.by_text = !index.text.is_empty()
            || !index.prefixes.is_empty()
            || !index.text_intervals.is_empty()
            || index.patterns.is_some();
        index.by_number = !index.numbers.is_empty() || !index.number_intervals.is_empty();
        index.any_present = index.present.iter().any(|w| *w != 0);
        index.cells = cells;
        index
    }

    /// Exact values (a cell's one, or a set's items): `false` when one is a date, which is
    /// compared as a date against date values and as text against others.
    fn exact(&mut self, items: &[Literal], row: u32) -> bool {
        if items.iter().any(|i| matches!(i, Literal::Date(_))) {
            return false;
        }
        for item in items {
            match item {
                Literal::Number(n) => self.numbers.entry(n.normalize()).or_default().push(row),
                Literal::Text(t) | Literal::Word(t) => self.text.entry(t.clone()).or_default().push(row),
                Literal::Date(_) => {}
            }
        }
        true
    }

    /// A range or comparison: numbers against numbers, text against text; `false` for
    /// dates or ends of two kinds.
    fn interval(&mut self, lo: Bound<&Literal>, hi: Bound<&Literal>, row: u32) -> bool {
        let number = |b: Bound<&Literal>| match b {
            Bound::Included(Literal::Number(n)) => Some(Bound::Included(*n)),
            Bound::Excluded(Literal::Number(n)) => Some(Bound::Excluded(*n)),
            Bound::Unbounded => Some(Bound::Unbounded),
            _ => None,
        };
        let text = |b: Bound<&Literal>| match b {
            Bound::Included(Literal::Text(t) | Literal::Word(t)) => Some(Bound::Included(t.clone())),
            Bound::Excluded(Literal::Text(t) | Literal::Word(t)) => Some(Bound::Excluded(t.clone())),
            Bound::Unbounded => Some(Bound::Unbounded),
            _ => None,
        };
        if let (Some(l), Some(h)) = (number(lo), number(hi)) {
            self.number_intervals.add(l, h, row);
            return true;
        }
        if let (Some(l), Some(h)) = (text(lo), text(hi)) {
            self.text_intervals.add(l, h, row);
            return true;
        }
        false
    }

    /// Words in a row set.
    pub fn words(&self) -> usize {
        self.words
    }

    /// Whether row `row`'s cell matches `value`: cheaper than [`ColumnIndex::rows`] where
    /// the other columns left only a few rows to check.
    pub fn row_matches(&self, row: u32, value: &Value) -> bool {
        self.cells.get(row as usize).is_some_and(|(cell, regex)| matches(cell, regex.as_ref(), value))
    }

    /// The rows whose cell matches `value`.
    pub fn rows(&self, value: &Value) -> Rows {
        let mut out = Vec::with_capacity(self.words);
        self.rows_into(value, &mut out);
        out
    }

    /// The rows whose cell matches `value`, into `out` (a buffer reused from record to
    /// record).
    pub fn rows_into(&self, value: &Value, out: &mut Rows) {
        out.clear();
        out.extend_from_slice(&self.any);
        self.add_rows(value, out);
    }

    /// Add to `out` the rows other than `*` whose cell matches `value`.
    fn add_rows(&self, value: &Value, out: &mut [u64]) {
        if *value == Value::Missing {
            return;
        }
        if self.any_present {
            for (w, p) in out.iter_mut().zip(&self.present) {
                *w |= *p;
            }
        }
        let text = if self.by_text { text_of(value) } else { None };
        let number = if self.by_number { number_of(value) } else { None };
        if let Some(t) = text.as_deref() {
            if !self.text.is_empty() {
                if let Some(rows) = self.text.get(t) {
                    rows.add_to(out);
                }
            }
            for (length, map) in &self.prefixes {
                if let Some(rows) = t.get(..*length).and_then(|head| map.get(head)) {
                    rows.add_to(out);
                }
            }
            self.text_intervals.each_containing(t, &mut |rows| rows.add_to(out));
            if let Some((patterns, rows)) = &self.patterns {
                for m in patterns.matches(t).iter() {
                    if let Some(r) = rows.get(m) {
                        set(out, *r);
                    }
                }
            }
        }
        if let Some(n) = number {
            if !self.numbers.is_empty() {
                if let Some(rows) = self.numbers.get(&n.normalize()) {
                    rows.add_to(out);
                }
            }
            self.number_intervals.each_containing(&n, &mut |rows| rows.add_to(out));
        }
        for (row, cell, regex) in &self.scan {
            if matches(cell, regex.as_ref(), value) {
                set(out, *row);
            }
        }
    }
}

/// The rows of `rows` (of a table of `count` rows) that a record hits, in table order, into
/// `out`: all of them, or under `hit first` the first.
pub fn hits(rows: &[u64], count: usize, hit: HitPolicy, out: &mut Vec<u32>) {
    out.clear();
    for (w, word) in (0u32..).zip(rows) {
        let mut bits = *word;
        while bits != 0 {
            let r = w.saturating_mul(64).saturating_add(bits.trailing_zeros());
            bits &= bits.wrapping_sub(1);
            if r as usize >= count {
                return;
            }
            out.push(r);
            if hit == HitPolicy::First {
                return;
            }
        }
    }
}

/// A value as text, as a cell compares it with a text literal.
fn text_of(value: &Value) -> Option<Cow<'_, str>> {
    match value {
        Value::Text(s) => Some(Cow::Borrowed(s)),
        other => other.as_text().map(Cow::Owned),
    }
}

/// A value as a number, as a cell compares it with a number literal.
fn number_of(value: &Value) -> Option<Decimal> {
    match value {
        Value::Number(n) => Some(*n),
        Value::Text(s) => Decimal::from_str(s.trim()).ok(),
        Value::Date(_) | Value::Missing => None,
    }
}

fn set(rows: &mut [u64], row: u32) {
    if let Some(w) = rows.get_mut((row / 64) as usize) {
        *w |= 1 << (row % 64);
    }
}

/// The rows under one key: listed, or as bits where they are many (setting a long list's
/// rows one by one costs more than adding the words they cover).
#[derive(Debug, Clone)]
enum RowSet {
    Listed(Vec<u32>),
    Bits(Rows),
}

impl Default for RowSet {
    fn default() -> Self {
        RowSet::Listed(Vec::new())
    }
}

impl RowSet {
    fn push(&mut self, row: u32) {
        match self {
            RowSet::Listed(rows) => rows.push(row),
            RowSet::Bits(bits) => set(bits, row),
        }
    }

    fn is_empty(&self) -> bool {
        match self {
            RowSet::Listed(rows) => rows.is_empty(),
            RowSet::Bits(bits) => bits.iter().all(|w| *w == 0),
        }
    }

    /// Bits, where the list is longer than the words of a row set.
    fn compact(&mut self, words: usize) {
        if let RowSet::Listed(rows) = self {
            if rows.len() > words {
                let mut bits = vec![0; words];
                rows.iter().for_each(|r| set(&mut bits, *r));
                *self = RowSet::Bits(bits);
            }
        }
    }

    fn add_to(&self, out: &mut [u64]) {
        match self {
            RowSet::Listed(rows) => rows.iter().for_each(|r| set(out, *r)),
            RowSet::Bits(bits) => out.iter_mut().zip(bits).for_each(|(o, b)| *o |= *b),
        }
    }
}

/// Intervals of one ordered domain, each with its row, in a segment tree over the slots
/// their ends make (each end, and each gap between two ends): the rows whose interval
/// holds a value are those on the path from the value's slot to the root, so a lookup
/// costs the depth of the tree and the rows found, and memory is the intervals times the
/// depth.
#[derive(Debug)]
struct Intervals<K> {
    added: Vec<(Bound<K>, Bound<K>, u32)>,
    /// The ends, sorted, without repeats: slot 2i+1 is end i, slot 2i the gap below it.
    ends: Vec<K>,
    /// Leaves of the tree (a power of two at least the number of slots).
    leaves: usize,
    /// Node i has children 2i and 2i+1; leaf slot s is node leaves+s.
    nodes: Vec<RowSet>,
}

impl<K> Default for Intervals<K> {
    fn default() -> Self {
        Intervals { added: Vec::new(), ends: Vec::new(), leaves: 0, nodes: Vec::new() }
    }
}

impl<K: Ord + Clone> Intervals<K> {
    fn add(&mut self, lo: Bound<K>, hi: Bound<K>, row: u32) {
        self.added.push((lo, hi, row));
    }

    fn build(&mut self, words: usize) {
        if self.added.is_empty() {
            return;
        }
        let mut ends: Vec<K> = Vec::new();
        for (lo, hi, _) in &self.added {
            for b in [lo, hi] {
                if let Bound::Included(k) | Bound::Excluded(k) = b {
                    ends.push(k.clone());
                }
            }
        }
        ends.sort();
        ends.dedup();
        self.ends = ends;
        let slots = self.ends.len().saturating_mul(2).saturating_add(1);
        self.leaves = slots.next_power_of_two();
        self.nodes = vec![RowSet::default(); self.leaves.saturating_mul(2)];
        for (lo, hi, row) in std::mem::take(&mut self.added) {
            let first = match &lo {
                Bound::Unbounded => 0,
                Bound::Included(k) => self.end(k).saturating_mul(2).saturating_add(1),
                Bound::Excluded(k) => self.end(k).saturating_mul(2).saturating_add(2),
            };
            let last = match &hi {
                Bound::Unbounded => slots.saturating_sub(1),
                Bound::Included(k) => self.end(k).saturating_mul(2).saturating_add(1),
                // The gap below the end (for the first end, the slot below everything).
                Bound::Excluded(k) => self.end(k).saturating_mul(2),
            };
            if first > last {
                continue;
            }
            // The canonical nodes covering slots first..=last, bottom up.
            let (mut l, mut r) =
                (first.saturating_add(self.leaves), last.saturating_add(self.leaves).saturating_add(1));
            while l < r {
                if l % 2 == 1 {
                    if let Some(n) = self.nodes.get_mut(l) {
                        n.push(row);
                    }
                    l = l.saturating_add(1);
                }
                if r % 2 == 1 {
                    r = r.saturating_sub(1);
                    if let Some(n) = self.nodes.get_mut(r) {
                        n.push(row);
                    }
                }
                l /= 2;
                r /= 2;
            }
        }
        self.nodes.iter_mut().for_each(|n| n.compact(words));
    }

    fn is_empty(&self) -> bool {
        self.added.is_empty() && self.nodes.is_empty()
    }

    /// The position of an end (every end added is among them).
    fn end(&self, k: &K) -> usize {
        self.ends.binary_search(k).unwrap_or_else(|i| i)
    }

    /// Call `found` with the rows of every interval that holds `value`.
    fn each_containing<Q>(&self, value: &Q, found: &mut impl FnMut(&RowSet))
    where
        K: std::borrow::Borrow<Q>,
        Q: Ord + ?Sized,
    {
        if self.nodes.is_empty() {
            return;
        }
        let slot = match self.ends.binary_search_by(|e| e.borrow().cmp(value)) {
            Ok(i) => i.saturating_mul(2).saturating_add(1),
            Err(i) => i.saturating_mul(2),
        };
        let mut node = slot.saturating_add(self.leaves);
        while node >= 1 {
            if let Some(rows) = self.nodes.get(node) {
                if !rows.is_empty() {
                    found(rows);
                }
            }
            node /= 2;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Date;
    use proptest::prelude::*;

    /// Texts from a small alphabet, so that exact values, prefixes, ranges and patterns
    /// meet the values tried.
    fn text() -> impl Strategy<Value = String> {
        "[0-9A-C-]{0,4}"
    }

    fn number() -> impl Strategy<Value = Decimal> {
        (-30i64..30, 0u32..3).prop_map(|(n, scale)| Decimal::new(n, scale))
    }

    fn date() -> impl Strategy<Value = Date> {
        (2019u16..2021, 1u8..3, 1u8..3).prop_filter_map("a date", |(y, m, d)| Date::new(y, m, d))
    }

    fn literal() -> impl Strategy<Value = Literal> {
        prop_oneof![
            3 => text().prop_map(Literal::Text),
            3 => text().prop_map(Literal::Word),
            3 => number().prop_map(Literal::Number),
            1 => date().prop_map(Literal::Date),
        ]
    }

    fn cell() -> impl Strategy<Value = Cell> {
        let op = prop_oneof![Just(CompareOp::Lt), Just(CompareOp::Le), Just(CompareOp::Gt), Just(CompareOp::Ge)];
        prop_oneof![
            1 => Just(Cell::Any),
            3 => literal().prop_map(Cell::Exact),
            3 => text().prop_map(Cell::Starts),
            2 => "\\^?[0-9A-C]{0,2}(\\.\\*|[0-9])?\\$?".prop_map(Cell::Regex),
            3 => (literal(), literal()).prop_map(|(a, b)| Cell::Range(a, b)),
            3 => (op, literal()).prop_map(|(o, l)| Cell::Compare(o, l)),
            2 => prop::collection::vec(literal(), 1..4).prop_map(Cell::Set),
        ]
    }

    fn value() -> impl Strategy<Value = Value> {
        prop_oneof![
            4 => text().prop_map(Value::Text),
            2 => number().prop_map(Value::Number),
            1 => date().prop_map(Value::Date),
            1 => Just(Value::Missing),
            1 => number().prop_map(|n| Value::Text(format!(" {n} "))),
        ]
    }

    fn compiled(cells: Vec<Cell>) -> Vec<(Cell, Option<Regex>)> {
        cells
            .into_iter()
            .map(|c| {
                let re = match &c {
                    Cell::Regex(p) => Regex::new(p).ok(),
                    _ => None,
                };
                (c, re)
            })
            .collect()
    }

    /// Row by row, as tables were matched before they were indexed.
    fn by_scan(cells: &[(Cell, Option<Regex>)], value: &Value) -> Vec<u32> {
        (0u32..).zip(cells).filter(|(_, (c, re))| matches(c, re.as_ref(), value)).map(|(r, _)| r).collect()
    }

    fn listed(rows: &Rows) -> Vec<u32> {
        (0u32..)
            .take(rows.len().saturating_mul(64))
            .filter(|r| rows.get((r / 64) as usize).is_some_and(|w| w & (1 << (r % 64)) != 0))
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        /// The indexed rows are the rows whose cell matches, for every kind of cell.
        #[test]
        fn the_index_finds_the_rows_each_cell_matches(
            cells in prop::collection::vec(cell(), 0..150),
            values in prop::collection::vec(value(), 1..20),
        ) {
            let cells = compiled(cells);
            let index = ColumnIndex::new(cells.clone());
            for v in &values {
                prop_assert_eq!(listed(&index.rows(v)), by_scan(&cells, v), "value {:?}", v);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

        /// Over tables of several columns, a record hits the rows whose cells all match it,
        /// in table order, only the first under `hit first`; `hit unique` sees both rows
        /// of an overlap.
        #[test]
        fn a_record_hits_the_rows_that_matching_row_by_row_finds(
            width in 1usize..4,
            // Half the cells `*`, so that records often hit rows on every column.
            table in prop::collection::vec(prop::collection::vec(prop_oneof![Just(Cell::Any), cell()], 3), 0..120),
            records in prop::collection::vec(prop::collection::vec(value(), 3), 1..20),
            hit in prop_oneof![Just(HitPolicy::Unique), Just(HitPolicy::First), Just(HitPolicy::Collect)],
        ) {
            let columns: Vec<Vec<(Cell, Option<Regex>)>> = (0..width)
                .map(|c| compiled(table.iter().map(|row| row.get(c).cloned().unwrap_or(Cell::Any)).collect()))
                .collect();
            let indexes: Vec<ColumnIndex> = columns.iter().map(|c| ColumnIndex::new(c.clone())).collect();
            for record in &records {
                let mut rows = vec![u64::MAX; table.len().div_ceil(64)];
                for (index, value) in indexes.iter().zip(record) {
                    rows.iter_mut().zip(index.rows(value)).for_each(|(a, b)| *a &= b);
                }
                let mut found = Vec::new();
                hits(&rows, table.len(), hit, &mut found);
                let mut expected: Vec<u32> = (0u32..)
                    .take(table.len())
                    .filter(|r| columns.iter().zip(record).all(|(col, v)| {
                        col.get(*r as usize).is_some_and(|(c, re)| matches(c, re.as_ref(), v))
                    }))
                    .collect();
                if hit == HitPolicy::First {
                    expected.truncate(1);
                }
                prop_assert_eq!(found, expected, "record {:?}", record);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

        /// Cells called disjoint without a search share no value.
        #[test]
        fn cells_called_disjoint_share_no_value(a in cell(), b in cell(), values in prop::collection::vec(value(), 1..30)) {
            if super::super::surely_disjoint(&a, &b) {
                let cells = compiled(vec![a, b]);
                for v in &values {
                    prop_assert_ne!(by_scan(&cells, v), vec![0, 1], "value {:?}", v);
                }
            }
        }
    }

    #[test]
    fn ranges_that_nest_and_touch_find_every_row_that_holds_a_value() {
        let n = |x: i64| Literal::Number(Decimal::from(x));
        let cells = compiled(vec![
            Cell::Range(n(4000), n(4999)),
            Cell::Range(n(4100), n(4199)),
            Cell::Range(n(4199), n(4300)),
            Cell::Compare(CompareOp::Lt, n(4100)),
            Cell::Compare(CompareOp::Ge, n(4199)),
            Cell::Range(n(10), n(5)),
        ]);
        let index = ColumnIndex::new(cells.clone());
        let rows = |x: i64| listed(&index.rows(&Value::Number(Decimal::from(x))));
        assert_eq!(rows(4050), vec![0, 3]);
        assert_eq!(rows(4100), vec![0, 1]);
        assert_eq!(rows(4199), vec![0, 1, 2, 4]);
        assert_eq!(rows(5000), vec![4]);
        assert_eq!(rows(7), vec![3]);
        assert_eq!(listed(&index.rows(&Value::Text("4150".into()))), vec![0, 1]);
        assert_eq!(listed(&index.rows(&Value::Missing)), Vec::<u32>::new());
    }
}
