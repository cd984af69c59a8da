//! Methodology totals: a figure times the scale factor, summed over entities (and over the
//! figure's indices not named in `by`), grouped by the `by` dimensions. A methodology's
//! totals are summed figure column by figure column, so each column (and what was computed
//! only to make it) can be let go once every total of it has its share.

use super::column::Column;
use super::engine::{Env, Evaluator, Target};
use super::exact_sum::ExactSum;
use super::model::Model;
use super::run::{combinations, unit_out, TotalOut, TotalRow, UnitOut};
use crate::ast::{IndexDecl, MethodologyDef, Total, UnitExpr};
use crate::check::symbols::Item;
use crate::source::Spanned;
use crate::value::{approx, Bound, Reason, Value};
use rayon::prelude::*;
use rust_decimal::Decimal;
use rustc_hash::FxHashMap as FastMap;
use std::collections::HashMap;

/// Rows summed as one task: enough that merging the tasks' sums costs nothing, few enough
/// that the determinism test's 40,000 rows are summed in several.
const ROWS_PER_TASK: usize = 1 << 14;

/// Every total of a methodology, in declaration order. Each figure column is let go once
/// every total has summed it (see [`sum`]).
pub fn totals(ev: &mut Evaluator<'_, '_>, model: &Model<'_>, meth: &str, def: &MethodologyDef) -> Vec<TotalOut> {
    let wanted: Vec<&Total> = def.totals.iter().map(|t| &t.node).collect();
    sum(ev, model, meth, def, &wanted, true)
}

/// One total of a methodology (`assay explain` of a total). Its figure's columns stay
/// cached: the explanation goes on to read its largest contributions.
pub fn total(
    ev: &mut Evaluator<'_, '_>,
    model: &Model<'_>,
    meth: &str,
    def: &MethodologyDef,
    t: &Total,
) -> Option<TotalOut> {
    sum(ev, model, meth, def, &[t], false).pop()
}

/// Sum `wanted` totals, each figure they name computed once, key by key. With `let_go`,
/// what a key's column needed (a KPI column, the figure's own) is let go once every total
/// has summed it; a later figure needing it again computes it again, to the same values.
/// Figures the run reports hold their own columns.
fn sum(
    ev: &mut Evaluator<'_, '_>,
    model: &Model<'_>,
    meth: &str,
    def: &MethodologyDef,
    wanted: &[&Total],
    let_go: bool,
) -> Vec<TotalOut> {
    let scaling = Scaling::of(ev, model, meth, def);
    let mut sums: Vec<TotalSum<'_>> = wanted.iter().map(|t| TotalSum::new(ev, model, def, t)).collect();
    // Each figure a total sums, once, in order of first mention.
    let mut figures: Vec<&str> = Vec::new();
    for t in wanted {
        if !figures.contains(&t.figure.node.as_str()) {
            figures.push(&t.figure.node);
        }
    }
    for figure in figures {
        let keys = match sums.iter().find(|s| s.total.figure.node == figure) {
            Some(s) => combinations(model, s.decls),
            None => continue,
        };
        for key in keys {
            let kept = if let_go { Some(ev.cached()) } else { None };
            let column = ev.target(&Target::Figure(meth.to_string(), figure.to_string()), &key);
            for sum in sums.iter_mut().filter(|s| s.total.figure.node == figure) {
                sum.add(&key, &column, &scaling);
            }
            drop(column);
            if let Some(kept) = kept {
                ev.forget_since(&kept);
            }
        }
    }
    sums.into_iter().map(|s| s.finish(model, meth, &scaling)).collect()
}

/// The methodology's scale factor of each row, as an index into its distinct factors
/// (found once per row, not once per row and key), numbered in order of first appearance.
struct Scaling {
    row_factor: Vec<Option<usize>>,
    factors: Vec<Decimal>,
    /// Each factor's bound (see value::approx): zero unless the scale was rounded.
    factor_bounds: Vec<Bound>,
    scaled: bool,
    /// Why a value is left out of a total when its scale, or the value, is not a number.
    missing_scale: Reason,
    not_a_number: Reason,
}

impl Scaling {
    fn of(ev: &mut Evaluator<'_, '_>, model: &Model<'_>, meth: &str, def: &MethodologyDef) -> Scaling {
        let env = Env { methodology: Some(model.meth_name(meth)), ..Env::default() };
        let scale = def.scale.as_ref().map(|s| ev.scale(s, &env));
        let n = ev.rows();
        let mut factor_ids: FastMap<Decimal, usize> = rustc_hash::FxHashMap::default();
        let mut factors: Vec<Decimal> = Vec::new();
        let mut factor_bounds: Vec<Bound> = Vec::new();
        let mut id_of = |v: &Value| {
            let (s, bound) = v.as_near()?;
            let id = *factor_ids.entry(s).or_insert_with(|| {
                factors.push(s);
                factor_bounds.push(Bound::ZERO);
                factors.len().saturating_sub(1)
            });
            // One value, one bound: the largest any row gives it.
            if let Some(b) = factor_bounds.get_mut(id) {
                *b = b.max(bound);
            }
            Some(id)
        };
        let row_factor: Vec<Option<usize>> = match scale.as_ref() {
            None => vec![Some(0); n],
            // A factor per group (`1 / rate[org_type]`): looked up once per group, not per row.
            Some(Column::Grouped(g)) => {
                let ungrouped = g.values.len();
                let mut of_group: Vec<Option<Option<usize>>> = vec![None; ungrouped.saturating_add(1)];
                (0..n)
                    .map(|row| {
                        let (group, value) = match g.of_row.get(row)? {
                            Some(k) => (*k, g.values.get(*k)?),
                            None => (ungrouped, &g.ungrouped),
                        };
                        *of_group.get_mut(group)?.get_or_insert_with(|| id_of(value))
                    })
                    .collect()
            }
            Some(s) => (0..n).map(|row| id_of(s.get(row))).collect(),
        };
        if scale.is_none() {
            factors.push(Decimal::ONE);
            factor_bounds.push(Bound::ZERO);
        }
        Scaling {
            row_factor,
            factors,
            factor_bounds,
            scaled: scale.is_some(),
            missing_scale: Reason::new("the methodology's `scale` is missing"),
            not_a_number: Reason::new("not a number"),
        }
    }

    fn width(&self) -> usize {
        self.factors.len().max(1)
    }
}

/// A dimension of a total: an index of the figure (by set or variable name) or a field.
enum Dim {
    Index(usize, String),
    Field(Column, Option<String>),
}

/// A total being summed, key by key of its figure.
struct TotalSum<'d> {
    total: &'d Total,
    decls: &'d [Spanned<IndexDecl>],
    unit: UnitOut,
    dims: Vec<Dim>,
    /// The distinct combinations of the field dimensions, and each row's.
    field_parts: Vec<Vec<String>>,
    row_field: Vec<usize>,
    groups: HashMap<Vec<String>, GroupSums>,
    grand: Option<GroupSums>,
}

impl<'d> TotalSum<'d> {
    fn new(ev: &mut Evaluator<'_, '_>, model: &Model<'_>, def: &'d MethodologyDef, total: &'d Total) -> TotalSum<'d> {
        let fig = def.figures.iter().find(|f| f.node.name.node == total.figure.node);
        let decls: &[Spanned<IndexDecl>] = fig.map_or(&[], |f| &f.node.indices);
        let unit = fig
            .and_then(|f| f.node.unit.as_ref())
            .map_or_else(|| unit_out(model, &UnitExpr::default()), |u| unit_out(model, &u.node));
        let dims: Vec<Dim> = total
            .by
            .iter()
            .map(|b| match decls.iter().position(|d| d.node.set.node == b.node || d.node.var.node == b.node) {
                Some(i) => Dim::Index(i, decls.get(i).map(|d| d.node.set.node.clone()).unwrap_or_default()),
                None => {
                    let set = match model.syms.get(&b.node).map(|s| s.item) {
                        Some(Item::Field { field, .. }) => match &field.ty.node {
                            crate::ast::FieldType::Unit(u) => u.factors.first().map(|(n, _)| n.node.clone()),
                            _ => None,
                        },
                        _ => None,
                    };
                    Dim::Field(ev.target(&Target::Field(b.node.clone()), &[]), set)
                }
            })
            .collect();
        // The field dimensions of each row, as small ids, worked out once for all index keys.
        let mut field_ids: FastMap<Vec<&str>, usize> = rustc_hash::FxHashMap::default();
        let mut field_parts: Vec<Vec<String>> = Vec::new();
        let mut parts: Vec<&str> = Vec::new();
        let mut row_field: Vec<usize> = Vec::with_capacity(ev.rows());
        for row in 0..ev.rows() {
            parts.clear();
            for d in &dims {
                if let Dim::Field(c, _) = d {
                    parts.push(c.get(row).as_text().unwrap_or("(missing)"));
                }
            }
            let id = match field_ids.get(parts.as_slice()) {
                Some(id) => *id,
                None => {
                    let id = field_parts.len();
                    field_parts.push(parts.iter().map(|s| s.to_string()).collect());
                    field_ids.insert(parts.clone(), id);
                    id
                }
            };
            row_field.push(id);
        }
        TotalSum { total, decls, unit, dims, field_parts, row_field, groups: HashMap::new(), grand: None }
    }

    /// Add the figure's column for index key `key`: sums per field group and scale factor,
    /// rows in parallel. Rows that share a factor are summed first and multiplied once
    /// (s·a + s·b = s·(a + b)), and sums are exact (see `exact_sum`), so a total's value
    /// depends neither on row order nor on how rows were grouped: the overall row of
    /// `total x` and of `total x by y` agree to the last digit.
    fn add(&mut self, key: &[String], column: &Column, scaling: &Scaling) {
        let width = scaling.width();
        let groups = self.field_parts.len();
        let empty = || (0..groups).map(|_| GroupSums::new(width)).collect::<Vec<_>>();
        let sums = self
            .row_field
            .par_chunks(ROWS_PER_TASK)
            .zip(scaling.row_factor.par_chunks(ROWS_PER_TASK))
            .enumerate()
            .map(|(task, (row_field, row_factor))| {
                let mut sums = empty();
                // The task's first row: below the row count, far from overflowing.
                let first = task.saturating_mul(ROWS_PER_TASK);
                for (row, (group, factor)) in (first..).zip(row_field.iter().zip(row_factor)) {
                    let Some(entry) = sums.get_mut(*group) else { continue };
                    match (column.get(row), factor) {
                        (Value::Num(v), Some(f)) => {
                            if let Some(sum) = entry.by_factor.get_mut(*f) {
                                sum.add(*v);
                                entry.count = entry.count.saturating_add(1);
                            }
                        }
                        (Value::Approx(v, b), Some(f)) => {
                            if let (Some(sum), Some(bound)) = (entry.by_factor.get_mut(*f), entry.bounds.get_mut(*f)) {
                                sum.add(*v);
                                *bound += b.get();
                                entry.count = entry.count.saturating_add(1);
                            }
                        }
                        (value, _) => {
                            entry.missing = entry.missing.saturating_add(1);
                            entry.why.note(match value {
                                Value::Missing(r) => r,
                                Value::Num(_) | Value::Approx(..) => &scaling.missing_scale,
                                _ => &scaling.not_a_number,
                            });
                        }
                    }
                }
                sums
            })
            .reduce(empty, |mut a, b| {
                a.iter_mut().zip(&b).for_each(|(x, y)| x.merge(y));
                a
            });
        let grand = self.grand.get_or_insert_with(|| GroupSums::new(width));
        for (parts, sums) in self.field_parts.iter().zip(sums) {
            let mut fields = parts.iter();
            let dim_values: Vec<String> = self
                .dims
                .iter()
                .map(|d| match d {
                    Dim::Index(i, _) => key.get(*i).cloned().unwrap_or_default(),
                    Dim::Field(..) => fields.next().cloned().unwrap_or_default(),
                })
                .collect();
            self.groups.entry(dim_values).or_insert_with(|| GroupSums::new(width)).merge(&sums);
            grand.merge(&sums);
        }
    }

    fn finish(self, model: &Model<'_>, meth: &str, scaling: &Scaling) -> TotalOut {
        let TotalSum { total, unit, dims, groups, grand, .. } = self;
        let factors = (&scaling.factors[..], &scaling.factor_bounds[..]);
        let groups: HashMap<Vec<String>, (Value, usize, usize)> =
            groups.into_iter().map(|(dims, g)| (dims, (g.shown(factors.0, factors.1), g.count, g.missing))).collect();
        let grand = grand.unwrap_or_else(|| GroupSums::new(scaling.width()));
        let grand = (grand.shown(factors.0, factors.1), grand.count, grand.missing);
        let rank = |d: &Dim, v: &str| match d {
            Dim::Index(_, set) | Dim::Field(_, Some(set)) => model.member_rank(set, v),
            Dim::Field(_, None) => usize::MAX,
        };
        // A total without `by` is its grand total alone.
        let groups = if total.by.is_empty() { HashMap::new() } else { groups };
        let mut rows: Vec<TotalRow> = groups
            .into_iter()
            .map(|(dims, (value, count, missing))| TotalRow { dims, value, count, missing })
            .collect();
        rows.sort_by(|a, b| {
            let ka: Vec<(usize, &String)> = dims.iter().zip(&a.dims).map(|(d, v)| (rank(d, v), v)).collect();
            let kb: Vec<(usize, &String)> = dims.iter().zip(&b.dims).map(|(d, v)| (rank(d, v), v)).collect();
            ka.cmp(&kb)
        });
        TotalOut {
            methodology: meth.to_string(),
            figure: total.figure.node.clone(),
            by: total.by.iter().map(|b| b.node.clone()).collect(),
            unit,
            scaled: scaling.scaled,
            rows,
            grand: TotalRow { dims: Vec::new(), value: grand.0, count: grand.1, missing: grand.2 },
            has_grand: !dims.iter().any(|d| match d {
                Dim::Index(_, set) | Dim::Field(_, Some(set)) => {
                    model.syms.sets.get(set.as_str()).is_some_and(|(_, s)| s.alternatives)
                }
                Dim::Field(_, None) => false,
            }),
        }
    }
}

/// A total's group: exact sums per scale factor, and how many values were summed or missing.
struct GroupSums {
    by_factor: Vec<ExactSum>,
    /// Beside each exact sum, the sum of its values' bounds (see value::approx).
    bounds: Vec<f64>,
    count: usize,
    missing: usize,
    /// Why the missing values are missing.
    why: Why,
}

/// The reasons a group's missing values give: none yet, one and the same, or several.
#[derive(Clone)]
enum Why {
    Nothing,
    One(Reason),
    Several,
}

impl Why {
    fn note(&mut self, reason: &Reason) {
        match self {
            Why::Nothing => *self = Why::One(reason.clone()),
            Why::One(r) if r != reason => *self = Why::Several,
            _ => {}
        }
    }

    fn merge(&mut self, other: &Why) {
        match other {
            Why::Nothing => {}
            Why::One(r) => self.note(r),
            Why::Several => *self = Why::Several,
        }
    }
}

impl GroupSums {
    fn new(factors: usize) -> GroupSums {
        GroupSums {
            by_factor: vec![ExactSum::default(); factors],
            bounds: vec![0.0; factors],
            count: 0,
            missing: 0,
            why: Why::Nothing,
        }
    }

    fn merge(&mut self, other: &GroupSums) {
        for (a, b) in self.by_factor.iter_mut().zip(&other.by_factor) {
            a.merge(b);
        }
        for (a, b) in self.bounds.iter_mut().zip(&other.bounds) {
            *a += b;
        }
        // Counts of rows: their sums are at most the row count.
        self.count = self.count.saturating_add(other.count);
        self.missing = self.missing.saturating_add(other.missing);
        self.why.merge(&other.why);
    }

    /// The total as reported: missing when no value is there to sum, with the reason every
    /// value gives when they give one and the same (a peer group below its minimum).
    fn shown(&self, factors: &[Decimal], factor_bounds: &[Bound]) -> Value {
        match (self.count, &self.why) {
            (0, Why::One(r)) => Value::Missing(r.clone()),
            (0, Why::Several) => Value::missing("every value is missing, for different reasons"),
            (0, Why::Nothing) => Value::missing("every value is missing"),
            _ => self.value(factors, factor_bounds).map_or_else(|| Value::missing("total too large"), Value::near),
        }
    }

    /// Σ factor × (exact sum of its rows), factors in order of first appearance.
    /// With its bound: each sum within the sum of its values' bounds, times its factor
    /// within the factor's.
    fn value(&self, factors: &[Decimal], factor_bounds: &[Bound]) -> Option<approx::Near> {
        let mut total = (Decimal::ZERO, Bound::ZERO);
        let factors = factors.iter().zip(factor_bounds).map(|(f, b)| (*f, *b));
        for ((sum, bound), factor) in
            self.by_factor.iter().zip(&self.bounds).zip(factors.chain(std::iter::repeat((Decimal::ONE, Bound::ZERO))))
        {
            let (sum, rounding) = sum.value_near()?;
            let part = approx::mul((sum, Bound::at_least(*bound + rounding.get())), factor)?;
            total = approx::add(total, part)?;
        }
        Some(total)
    }
}
