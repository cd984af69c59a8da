//! Tables put in key order once, so that a frame over one of them is its rows as they are
//! and reads its columns without gathering a copy of each.

use super::Table;
use crate::value::Value;
use rayon::prelude::*;
use std::sync::Arc;

impl Table {
    /// Sort the rows by entity key, stably (rows of one key keep their file order, so a
    /// frame picks the same row for a repeated key as it would unsorted).
    pub fn sort_by_key(&mut self) {
        if self.keys.windows(2).all(|w| matches!(w, [a, b] if a <= b)) {
            return;
        }
        let timer = crate::timing::Timer::start();
        // The keys beside their rows, so the sort compares without another indirection.
        let mut sorted: Vec<(&str, usize)> = self.keys.iter().enumerate().map(|(i, k)| (k.as_ref(), i)).collect();
        sorted.par_sort_by(|a, b| a.0.cmp(b.0));
        let order: Vec<usize> = sorted.into_iter().map(|(_, i)| i).collect();
        timer.lap("  sort keys");
        let order = &order;
        // Rows are gathered in key order, which reads runs of sorted rows sequentially. The
        // value columns share one spare buffer per thread: each column is gathered into the
        // spare and its old buffer becomes the next spare, so little fresh memory is touched.
        let mut columns: Vec<&mut Vec<Value>> = self.columns.values_mut().map(Arc::make_mut).collect();
        let half = columns.len().div_ceil(2);
        let (first, second) = columns.split_at_mut(half);
        rayon::scope(|s| {
            s.spawn(|_| self.keys = gather(&self.keys, order));
            // A file of one period (the usual case) has one text for every row: nothing to move.
            if !self.periods.windows(2).all(|w| matches!(w, [a, b] if Arc::ptr_eq(a, b))) {
                s.spawn(|_| self.periods = gather(&self.periods, order));
            }
            s.spawn(|_| self.origins = gather(&self.origins, order));
            if let Some(parts) = self.parts.as_mut() {
                s.spawn(move |_| *parts = gather(parts, order));
            }
            s.spawn(move |_| gather_each(first, order));
            s.spawn(move |_| gather_each(second, order));
        });
        timer.lap("  move rows");
    }
}

fn gather<T: Clone>(values: &[T], order: &[usize]) -> Vec<T> {
    // Room for every row at once: a filtered iterator does not say its length, and growing
    // by doubling would copy the rows and touch fresh memory several times over.
    let mut out = Vec::with_capacity(order.len());
    out.extend(order.iter().filter_map(|i| values.get(*i).cloned()));
    out
}

/// Gather each column in turn through one spare buffer.
fn gather_each(columns: &mut [&mut Vec<Value>], order: &[usize]) {
    let mut spare: Vec<Value> = Vec::with_capacity(order.len());
    for column in columns {
        spare.clear();
        spare.extend(order.iter().filter_map(|i| column.get(*i).cloned()));
        std::mem::swap(&mut spare, *column);
    }
}

#[cfg(test)]
mod tests {
    use crate::data::{RowCounts, RowOrigin, Table};
    use crate::value::Value;
    use std::sync::Arc;

    #[test]
    fn rows_move_together_and_repeated_keys_keep_their_order() {
        let key = crate::data::FieldKey { field: "x".into(), index: Vec::new() };
        let arcs = |v: &[&str]| v.iter().map(|s| Arc::<str>::from(*s)).collect::<Vec<_>>();
        let mut t = Table {
            dataset: "d".into(),
            records: false,
            files: Vec::new(),
            origins: (0..4).map(|line| RowOrigin { file: 0, line, offset: line * 10 }).collect(),
            keys: arcs(&["b", "a", "b", "a0"]),
            periods: arcs(&["1", "1", "2", "1"]),
            columns: [(key.clone(), Arc::new((0..4).map(|i| Value::Num(i.into())).collect()))].into(),
            column_index: Default::default(),
            counts: RowCounts::default(),
            parts: None,
        };
        t.sort_by_key();
        assert_eq!(t.keys, arcs(&["a", "a0", "b", "b"]));
        assert_eq!(t.periods, arcs(&["1", "1", "1", "2"]));
        assert_eq!(t.origins.iter().map(|o| o.line).collect::<Vec<_>>(), vec![1, 3, 0, 2]);
        let nums: Vec<Value> = [1, 3, 0, 2].iter().map(|i: &i64| Value::Num((*i).into())).collect();
        assert_eq!(t.columns.get(&key).map(|c| c.as_ref().clone()), Some(nums));
    }
}
