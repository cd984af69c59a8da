//! Statistics over a group of entities, each stating its choices: trimming, rounding of
//! the count trimmed, tie order, quantile method, rank ties.

use super::exact_sum::ExactSum;
use crate::value::{self, approx::Near, Bound};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use std::cmp::Ordering;

/// A statistic and its stated options, as written in the rules.
#[derive(Debug, Clone, PartialEq)]
pub enum Stat {
    Count,
    Sum,
    Mean,
    Median,
    Min,
    Max,
    Quantile { p: Decimal, method: QuantileMethod },
    TrimmedMean { trim: Decimal, round: TrimRound, ties: TieOrder },
    Rank { descending: bool, ties: RankTies },
    PercentileRank { method: PercentMethod },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuantileMethod {
    Linear,
    Lower,
    Higher,
    Nearest,
    Midpoint,
}

/// How many values `trim` drops from each end when n × trim is not whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrimRound {
    Down,
    Up,
    /// Half up.
    Nearest,
}

/// Which of equal values are dropped first: the lower or higher entity key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TieOrder {
    Key,
    KeyDescending,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RankTies {
    Min,
    Max,
    Dense,
    Key,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PercentMethod {
    Below,
    AtOrBelow,
    Mean,
}

/// One group member's value with its entity key (for tie order and explanations).
#[derive(Debug, Clone)]
pub struct Item<'k> {
    pub value: Decimal,
    pub key: &'k str,
    /// Position of the entity in the frame.
    pub row: usize,
}

/// A trimmed mean with the members' order that chose it, for explanations.
#[derive(Debug, Clone, PartialEq)]
pub struct Trimmed {
    pub mean: Decimal,
    /// The mean's own rounding (zero when the quotient ends; see value::approx).
    pub rounding: Bound,
    /// Every member as (its value as a float, see [`approx`]; its frame row): the
    /// `each_end` lowest first, the `each_end` highest last, the kept between, each part
    /// in no particular order. An explanation places the ranks it lists within these parts.
    pub order: Vec<(f64, usize)>,
    /// How many were dropped from each end.
    pub each_end: usize,
}

impl Trimmed {
    /// The members dropped from the low end.
    pub fn low(&self) -> &[(f64, usize)] {
        self.order.get(..self.each_end).unwrap_or_default()
    }

    /// The members kept.
    pub fn kept(&self) -> &[(f64, usize)] {
        self.order.get(self.each_end..self.order.len().saturating_sub(self.each_end)).unwrap_or_default()
    }

    /// The members dropped from the high end.
    pub fn high(&self) -> &[(f64, usize)] {
        self.order.get(self.order.len().saturating_sub(self.each_end)..).unwrap_or_default()
    }
}

/// Sort by value, then by key in the stated tie order: the one order every statistic uses.
///
/// Exact decimal comparison is slow when scales differ, so values are compared first as
/// floats (see [`compare`]); the order is exactly the decimals' order.
pub fn sorted<'k>(items: &[Item<'k>], ties: TieOrder) -> Vec<Item<'k>> {
    let mut v: Vec<(f64, Item<'k>)> = items.iter().map(|i| (approx(i.value), i.clone())).collect();
    v.sort_by(|(fa, a), (fb, b)| {
        compare(*fa, a.value, *fb, b.value).then_with(|| match ties {
            TieOrder::Key => a.key.cmp(b.key),
            TieOrder::KeyDescending => b.key.cmp(a.key),
        })
    });
    v.into_iter().map(|(_, i)| i).collect()
}

/// A float close to the decimal: the mantissa as a float (its three 32-bit words added,
/// two roundings) divided by a power of ten, each step within half a unit in the last
/// place, so the result is within a few (relative error below 1e-15). Much cheaper than
/// `to_f64`, which works digit by digit.
pub fn approx(d: Decimal) -> f64 {
    // From the three words: converting an i128 to a float is a slow library call.
    let u = d.unpack();
    let magnitude =
        f64::from(u.hi) * 18_446_744_073_709_551_616.0 + f64::from(u.mid) * 4_294_967_296.0 + f64::from(u.lo);
    let mantissa = if u.negative { -magnitude } else { magnitude };
    mantissa / POWERS_OF_TEN.get(u.scale as usize).copied().unwrap_or(1e28)
}

/// 10^0 to 10^28 as floats (10^23 and above are the nearest floats, not exact).
const POWERS_OF_TEN: [f64; 29] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
    1e21, 1e22, 1e23, 1e24, 1e25, 1e26, 1e27, 1e28,
];

/// Whether two decimals' floats (see [`approx`]) are far enough apart that conversion
/// error cannot reverse their order: a relative gap of 1e-9, against an error below 1e-15.
pub fn floats_decide(fa: f64, fb: f64) -> bool {
    let gap = (fa - fb).abs();
    gap > 1e-9 * fa.abs().max(fb.abs()) && gap > 1e-300
}

/// The exact order of two decimals, decided by their floats when [`floats_decide`], and by
/// exact comparison otherwise.
pub fn compare(fa: f64, a: Decimal, fb: f64, b: Decimal) -> Ordering {
    if floats_decide(fa, fb) {
        fa.total_cmp(&fb)
    } else {
        a.cmp(&b)
    }
}

/// The members' order for trimming and listing: by value, then by key as `ties` says.
/// Each member is `(approx(value), id)`, the id naming it (an index in a list, a frame
/// row): the floats decide when far enough apart, and only then is `member(id)` asked for
/// the exact value and key (the common case reads no member).
pub fn order_by<'k>(
    member: impl Fn(usize) -> Option<(Decimal, &'k str)> + Copy,
    ties: TieOrder,
) -> impl Fn(&(f64, usize), &(f64, usize)) -> Ordering + Copy {
    move |a, b| {
        if floats_decide(a.0, b.0) {
            return a.0.total_cmp(&b.0);
        }
        match (member(a.1), member(b.1)) {
            (Some((x, kx)), Some((y, ky))) => x.cmp(&y).then_with(|| match ties {
                TieOrder::Key => kx.cmp(ky),
                TieOrder::KeyDescending => ky.cmp(kx),
            }),
            _ => Ordering::Equal,
        }
    }
}

/// The `n`th smallest value (from 0) and the one after it, if any: a selection in linear
/// time rather than a sort, since a quantile of a large group reads two values of it.
fn nth_and_next(items: &[Item<'_>], n: usize) -> (Decimal, Option<Decimal>) {
    let mut v: Vec<(f64, Decimal)> = items.iter().map(|i| (approx(i.value), i.value)).collect();
    if v.is_empty() {
        return (Decimal::ZERO, None);
    }
    let at = n.min(v.len().saturating_sub(1));
    let by_value = |(fa, a): &(f64, Decimal), (fb, b): &(f64, Decimal)| compare(*fa, *a, *fb, *b);
    let (_, nth, above) = v.select_nth_unstable_by(at, by_value);
    let next = above.iter().min_by(|a, b| by_value(a, b)).map(|(_, d)| *d);
    (nth.1, next)
}

/// Decimals sorted ascending, with the float pre-comparison of [`sorted`].
fn sorted_values(items: &[Item<'_>]) -> Vec<Decimal> {
    let mut v: Vec<(f64, Decimal)> = items.iter().map(|i| (approx(i.value), i.value)).collect();
    v.sort_unstable_by(|(fa, a), (fb, b)| compare(*fa, *a, *fb, *b));
    v.into_iter().map(|(_, d)| d).collect()
}

/// The number dropped from each end: n × trim, rounded as stated.
pub fn trim_count(n: usize, trim: Decimal, round: TrimRound) -> usize {
    // A trim too large to multiply trims everything, which is refused as leaving nothing.
    let Some(exact) = Decimal::from(n).checked_mul(trim) else { return usize::MAX };
    let whole = match round {
        TrimRound::Down => exact.floor(),
        TrimRound::Up => exact.ceil(),
        TrimRound::Nearest => exact.round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero),
    };
    whole.to_usize().unwrap_or(0)
}

/// The trimmed mean of a list of members (see [`trimmed_mean_by`]); the order returned
/// holds their frame rows.
pub fn trimmed_mean(items: &[Item<'_>], trim: Decimal, round: TrimRound, ties: TieOrder) -> Result<Trimmed, String> {
    let order = items.iter().enumerate().map(|(i, it)| (approx(it.value), i)).collect();
    let value = |i: usize| items.get(i).map(|it| it.value);
    let key = |i: usize| items.get(i).map_or("", |it| it.key);
    let mut t = trimmed_mean_by(order, items.len(), value, key, (trim, round, ties))?;
    for o in &mut t.order {
        if let Some(item) = items.get(o.1) {
            o.1 = item.row;
        }
    }
    Ok(t)
}

/// The trimmed mean of a list of members, its value alone.
pub fn trimmed_mean_value(
    items: &[Item<'_>],
    trim: Decimal,
    round: TrimRound,
    ties: TieOrder,
) -> Result<Decimal, String> {
    trimmed_mean(items, trim, round, ties).map(|t| t.mean)
}

/// The trimmed mean of members named by ids below `ids`: `order` holds (approx(value), id)
/// for each member, `value(id)` its value and `key(id)` its key (read where floats are too
/// close to decide; the values also for the kept values' sum). Only which values fall in
/// the lowest and highest k matters, not the order within them, so two selections (linear
/// time) replace a sort. The order returned holds the ids, each part in no particular order.
pub fn trimmed_mean_by<'k>(
    mut order: Vec<(f64, usize)>,
    ids: usize,
    value: impl Fn(usize) -> Option<Decimal> + Copy + Sync,
    key: impl Fn(usize) -> &'k str + Copy,
    (trim, round, ties): (Decimal, TrimRound, TieOrder),
) -> Result<Trimmed, String> {
    let n = order.len();
    let k = trim_count(n, trim, round);
    if k.checked_mul(2).is_none_or(|both_ends| n <= both_ends) {
        return Err(format!("trimming {k} from each end of {n} values leaves none"));
    }
    // From here n > 2k: the subtractions below cannot saturate.
    let by_value_then_key = order_by(move |i| Some((value(i)?, key(i))), ties);
    if k > 0 {
        order.select_nth_unstable_by(k.saturating_sub(1), by_value_then_key);
        if let Some(rest) = order.get_mut(k..) {
            let last_kept = rest.len().saturating_sub(k).saturating_sub(1);
            rest.select_nth_unstable_by(last_kept, by_value_then_key);
        }
    }
    // The kept values summed in the ids' order: the sum is exact, so order does not change
    // it, and reading a large group in rank order jumps through memory (a miss a member).
    let mut kept = vec![false; ids];
    for o in order.get(k..n.saturating_sub(k)).unwrap_or_default() {
        if let Some(slot) = kept.get_mut(o.1) {
            *slot = true;
        }
    }
    let sum = ExactSum::par_sum(ids, |i| if kept.get(i) == Some(&true) { value(i) } else { None });
    let (mean, rounding) = mean_of_sum(&sum, n.saturating_sub(k).saturating_sub(k))?;
    Ok(Trimmed { mean, rounding, order, each_end: k })
}

pub fn mean_of(values: impl Iterator<Item = Decimal>, n: usize) -> Result<Near, String> {
    let mut sum = ExactSum::default();
    values.for_each(|v| sum.add(v));
    mean_of_sum(&sum, n)
}

/// The mean of `n` terms whose exact sum is `sum`, with its own rounding.
pub fn mean_of_sum(sum: &ExactSum, n: usize) -> Result<Near, String> {
    if n == 0 {
        return Err("no values".into());
    }
    let sum = sum.value_near().ok_or("the sum is too large")?;
    value::approx::div(sum, (Decimal::from(n), Bound::ZERO)).ok_or_else(|| "the mean cannot be computed".into())
}

/// The exact sum, rounded once at the end: the same whatever the order of the values.
pub fn sum_of(values: impl Iterator<Item = Decimal>) -> Result<Near, String> {
    let mut sum = ExactSum::default();
    values.for_each(|v| sum.add(v));
    sum.value_near().ok_or_else(|| "the sum is too large".into())
}

/// The statistic of a whole group (for rank and percentile rank, see [`of_member`]), with
/// its own rounding: a mean's quotient that does not end; a sum, product or halving
/// (interpolated quantiles) that outgrew the decimal (see value::approx).
pub fn of_group(stat: &Stat, items: &[Item<'_>]) -> Result<Near, String> {
    let n = items.len();
    match stat {
        Stat::Count => Ok((Decimal::from(n), Bound::ZERO)),
        Stat::Sum if items.is_empty() => Err("no values".into()),
        Stat::Sum => sum_of(items.iter().map(|i| i.value)),
        Stat::Mean => mean_of(items.iter().map(|i| i.value), n),
        Stat::Median => quantile(items, Decimal::new(5, 1), QuantileMethod::Midpoint),
        Stat::Min => items.iter().map(|i| (i.value, Bound::ZERO)).min_by_key(|x| x.0).ok_or_else(|| "no values".into()),
        Stat::Max => items.iter().map(|i| (i.value, Bound::ZERO)).max_by_key(|x| x.0).ok_or_else(|| "no values".into()),
        Stat::Quantile { p, method } => quantile(items, *p, *method),
        Stat::TrimmedMean { trim, round, ties } => {
            trimmed_mean(items, *trim, *round, *ties).map(|t| (t.mean, t.rounding))
        }
        Stat::Rank { .. } | Stat::PercentileRank { .. } => Err("a rank belongs to each member, not the group".into()),
    }
}

/// Quantile p of the group. With h = (n − 1) × p: `linear` interpolates between the values
/// at floor(h) and ceil(h); `lower` and `higher` take one of them; `nearest` the closer
/// (half up); `midpoint` their mean. The median is the 50% quantile by `midpoint`, which
/// for an even count is the mean of the two middle values.
pub fn quantile(items: &[Item<'_>], p: Decimal, method: QuantileMethod) -> Result<Near, String> {
    quantile_at(items.len(), p, method, |n| nth_and_next(items, n))
}

/// Quantile p of values already in ascending order, as [`quantile`] takes it of the same
/// values in any order: no copy, no selection.
pub fn quantile_sorted(values: &[Decimal], p: Decimal, method: QuantileMethod) -> Result<Near, String> {
    quantile_at(values.len(), p, method, |n| {
        (values.get(n).copied().unwrap_or_default(), values.get(n.saturating_add(1)).copied())
    })
}

/// Quantile p of `n` values, where `nth_and_next(i)` gives the i-th lowest and the next.
fn quantile_at(
    n: usize,
    p: Decimal,
    method: QuantileMethod,
    nth_and_next: impl FnOnce(usize) -> (Decimal, Option<Decimal>),
) -> Result<Near, String> {
    if n == 0 {
        return Err("no values".into());
    }
    if p < Decimal::ZERO || p > Decimal::ONE {
        return Err(format!("quantile {p} is outside 0 to 1"));
    }
    // p is within 0 to 1, so h is within the indices (a product that cannot overflow).
    let h = Decimal::from(n.saturating_sub(1)).checked_mul(p).unwrap_or_default();
    let frac = h.fract();
    let lo_i = h.floor().to_usize().unwrap_or(0);
    let (lo, next) = nth_and_next(lo_i);
    let hi = if frac.is_zero() { lo } else { next.unwrap_or(lo) };
    // Between values near the limits of a decimal the difference or the sum overflows.
    let too_large = || format!("the values are too far apart to interpolate between ({lo} and {hi})");
    // Selections are exact; an interpolation carries its own rounding (value::approx).
    let exact = |d: Decimal| (d, Bound::ZERO);
    use value::approx::{add, div, mul, sub};
    Ok(match method {
        QuantileMethod::Linear => sub(exact(hi), exact(lo))
            .and_then(|d| mul(d, exact(frac)))
            .and_then(|d| add(exact(lo), d))
            .ok_or_else(too_large)?,
        QuantileMethod::Lower => exact(lo),
        QuantileMethod::Higher => exact(hi),
        QuantileMethod::Nearest => exact(if frac >= Decimal::new(5, 1) { hi } else { lo }),
        QuantileMethod::Midpoint => add(exact(lo), exact(hi))
            .and_then(|d| div(d, exact(Decimal::TWO)))
            .ok_or_else(|| format!("the sum of {lo} and {hi} is too large to halve"))?,
    })
}

/// Each member's rank or percentile rank within its group, in the order of `items`.
pub fn of_member(stat: &Stat, items: &[Item<'_>]) -> Vec<Near> {
    let n = items.len();
    match stat {
        Stat::Rank { descending, ties } => {
            let mut order: Vec<usize> = (0..n).collect();
            order.sort_by(|&a, &b| {
                let (x, y) = (items.get(a), items.get(b));
                let by_value = match (x, y) {
                    (Some(x), Some(y)) if *descending => y.value.cmp(&x.value),
                    (Some(x), Some(y)) => x.value.cmp(&y.value),
                    _ => Ordering::Equal,
                };
                by_value.then_with(|| x.map(|i| i.key).cmp(&y.map(|i| i.key)))
            });
            let mut ranks = vec![(Decimal::ZERO, Bound::ZERO); n];
            let value = |row: usize| items.get(row).map(|x| x.value);
            // Each member with its position from 1, in runs of equal values.
            let positioned: Vec<(usize, usize)> = (1usize..).zip(order).collect();
            for (dense, run) in (1usize..).zip(positioned.chunk_by(|a, b| value(a.1) == value(b.1))) {
                let (first, last) = (run.first().map_or(0, |p| p.0), run.last().map_or(0, |p| p.0));
                for &(position, row) in run {
                    let rank = match ties {
                        RankTies::Min => first,
                        RankTies::Max => last,
                        RankTies::Dense => dense,
                        RankTies::Key => position,
                    };
                    if let Some(r) = ranks.get_mut(row) {
                        *r = (Decimal::from(rank), Bound::ZERO);
                    }
                }
            }
            ranks
        }
        Stat::PercentileRank { method } => {
            let values = sorted_values(items);
            items
                .iter()
                .map(|x| {
                    let below = values.partition_point(|v| *v < x.value);
                    let at = values.partition_point(|v| *v <= x.value);
                    // Counts of members: below + at is at most 2n, far from overflowing.
                    let (share, total) = match method {
                        PercentMethod::Below => (below, n.max(1)),
                        PercentMethod::AtOrBelow => (at, n.max(1)),
                        PercentMethod::Mean => (below.saturating_add(at), n.max(1).saturating_mul(2)),
                    };
                    // A share of a count: exact when the quotient ends.
                    value::approx::div((Decimal::from(share), Bound::ZERO), (Decimal::from(total), Bound::ZERO))
                        .unwrap_or((Decimal::ZERO, Bound::at_least(f64::INFINITY)))
                })
                .collect()
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn items(values: &[&str]) -> Vec<Item<'static>> {
        const KEYS: [&str; 12] = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"];
        values
            .iter()
            .enumerate()
            .map(|(row, v)| Item { value: Decimal::from_str(v).unwrap(), key: KEYS[row], row })
            .collect()
    }

    fn rows(part: &[(f64, usize)]) -> Vec<usize> {
        part.iter().map(|o| o.1).collect()
    }

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn float_pre_comparison_agrees_with_exact_order() {
        // Near neighbours at every scale, including ones a float cannot tell apart.
        let mut values = Vec::new();
        for scale in [0u32, 2, 9, 17, 27, 28] {
            for m in [1i64, 7, 999_999_999, 1_000_000_000, 123_456_789_012_345_678] {
                for delta in [-1i64, 0, 1] {
                    let mantissa = i128::from(m) * 1_000_000_000_000 + i128::from(delta);
                    if let Ok(v) = Decimal::try_from_i128_with_scale(mantissa, scale) {
                        values.push(v);
                        values.push(-v);
                    }
                }
            }
        }
        values.push(Decimal::MAX);
        values.push(Decimal::MIN);
        for v in &values {
            use rust_decimal::prelude::ToPrimitive;
            let exact = v.to_f64().unwrap();
            assert!((approx(*v) - exact).abs() <= 1e-15 * exact.abs(), "{v}: {} vs {exact}", approx(*v));
        }
        for a in &values {
            for b in &values {
                assert_eq!(compare(approx(*a), *a, approx(*b), *b), a.cmp(b), "{a} vs {b}");
            }
        }
    }

    #[test]
    fn interquartile_mean_with_a_count_not_a_multiple_of_four() {
        // 7 values, 25% each end: 1.75 rounds down to 1, so 1 and 7 go, mean of 2..6 = 4.
        let v = items(&["7", "1", "3", "2", "6", "4", "5"]);
        let t = trimmed_mean(&v, d("0.25"), TrimRound::Down, TieOrder::Key).unwrap();
        assert_eq!(t.mean, d("4"));
        assert_eq!(t.each_end, 1);
        assert_eq!((rows(t.low()), rows(t.high())), (vec![1], vec![0]));
        let mut kept = rows(t.kept());
        kept.sort();
        assert_eq!(kept, vec![2, 3, 4, 5, 6]);
        // Rounded up instead: 2 go from each end, mean of 3, 4, 5.
        let up = trimmed_mean(&v, d("0.25"), TrimRound::Up, TieOrder::Key).unwrap();
        assert_eq!((up.mean, up.each_end), (d("4"), 2));
        // Nearest: 1.75 → 2.
        assert_eq!(trim_count(7, d("0.25"), TrimRound::Nearest), 2);
        assert_eq!(trim_count(6, d("0.25"), TrimRound::Nearest), 2); // 1.5 rounds half up
        assert_eq!(trim_count(8, d("0.25"), TrimRound::Down), 2);
    }

    #[test]
    fn ties_are_dropped_in_key_order() {
        // Three equal lowest values: with one dropped from each end, `Key` drops key a first.
        let v = items(&["1", "1", "1", "5"]);
        let t = trimmed_mean(&v, d("0.25"), TrimRound::Down, TieOrder::Key).unwrap();
        assert_eq!(rows(t.low()), vec![0]);
        let t = trimmed_mean(&v, d("0.25"), TrimRound::Down, TieOrder::KeyDescending).unwrap();
        assert_eq!(rows(t.low()), vec![2]);
        assert_eq!(t.mean, d("1"));
    }

    #[test]
    fn the_fast_order_is_the_exact_order() {
        // Values a float cannot tell apart, and values of very different scales.
        let close = items(&[
            "1.0000000000000000000000000001",
            "1",
            "1.0000000000000000000000000002",
            "0.9999999999999999999999999999",
            "123456789.123456789",
            "123456789.12345678900000001",
            "-5",
            "-5.0000000000000000000001",
        ]);
        let fast: Vec<Decimal> = sorted(&close, TieOrder::Key).iter().map(|i| i.value).collect();
        let mut exact: Vec<Decimal> = close.iter().map(|i| i.value).collect();
        exact.sort();
        assert_eq!(fast, exact);
        assert_eq!(sorted_values(&close), exact);
    }

    /// A seeded generator of numbers (a linear congruential one): the same cases each run.
    fn random(mut seed: u64) -> impl FnMut() -> u64 {
        move || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            seed >> 33
        }
    }

    #[test]
    fn selection_agrees_with_sorting_on_random_groups_with_ties() {
        let mut next = random(42);
        let keys: Vec<String> = (0..200).map(|i| format!("k{i:03}")).collect();
        for case in 0..300 {
            let n = 1 + (next() % 60) as usize;
            let items: Vec<Item<'_>> = (0..n)
                // Entity keys are unique, in an order unrelated to the rows.
                .map(|row| Item {
                    value: Decimal::new((next() % 7) as i64 * 125, (next() % 3) as u32),
                    key: &keys[(row * 37 + case) % 200],
                    row,
                })
                .collect();
            for (trim, round) in [("0.25", TrimRound::Down), ("0.1", TrimRound::Up), ("0.3", TrimRound::Nearest)] {
                for ties in [TieOrder::Key, TieOrder::KeyDescending] {
                    let got = trimmed_mean(&items, d(trim), round, ties);
                    // Evaluation's mean alone agrees with the traced one, error or value.
                    let value = trimmed_mean_value(&items, d(trim), round, ties);
                    assert_eq!(value, got.as_ref().map(|t| t.mean).map_err(String::clone), "case {case}");
                    // Reference: full sort, then drop k from each end.
                    let k = trim_count(n, d(trim), round);
                    let s = sorted(&items, ties);
                    if n <= 2 * k {
                        assert!(got.is_err(), "case {case}");
                        continue;
                    }
                    let kept: Vec<&Item<'_>> = s[k..n - k].iter().collect();
                    let mean = kept.iter().map(|i| i.value).sum::<Decimal>() / Decimal::from(kept.len());
                    let got = got.unwrap();
                    assert_eq!(got.mean, mean, "case {case}");
                    let mut low: Vec<usize> = s[..k].iter().map(|i| i.row).collect();
                    let mut glow = rows(got.low());
                    low.sort();
                    glow.sort();
                    assert_eq!(glow, low, "case {case}: the same rows are trimmed, ties by key");
                }
            }
        }
    }

    #[test]
    fn quantiles_by_selection_agree_with_sorting_and_with_values_in_order() {
        let mut next = random(7);
        for case in 0..300 {
            let n = 1 + (next() % 40) as usize;
            let items: Vec<Item<'_>> = (0..n)
                .map(|row| Item {
                    value: Decimal::new((next() % 9) as i64 * 37 - 100, (next() % 3) as u32),
                    key: "",
                    row,
                })
                .collect();
            let sorted = sorted_values(&items);
            for p in ["0", "0.1", "0.25", "0.5", "0.75", "0.9", "1"] {
                let h = Decimal::from(n - 1) * d(p);
                let lo = sorted[h.floor().to_usize().unwrap()];
                let hi = sorted[h.ceil().to_usize().unwrap()];
                let want = lo + (hi - lo) * h.fract();
                let got = quantile(&items, d(p), QuantileMethod::Linear).unwrap();
                assert_eq!(got.0, want, "case {case}, p {p}");
                assert_eq!(quantile(&items, d(p), QuantileMethod::Lower).unwrap().0, lo, "case {case}, p {p}");
                assert_eq!(quantile(&items, d(p), QuantileMethod::Higher).unwrap().0, hi, "case {case}, p {p}");
                // Taken of the values in order (as a report's chart has them), the same.
                for method in [
                    QuantileMethod::Linear,
                    QuantileMethod::Lower,
                    QuantileMethod::Higher,
                    QuantileMethod::Nearest,
                    QuantileMethod::Midpoint,
                ] {
                    assert_eq!(
                        quantile_sorted(&sorted, d(p), method),
                        quantile(&items, d(p), method),
                        "case {case}, p {p}, {method:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn trimming_everything_is_refused() {
        assert!(trimmed_mean(&items(&["1", "2"]), d("0.5"), TrimRound::Down, TieOrder::Key).is_err());
    }

    #[test]
    fn quantiles_by_method() {
        let v = items(&["10", "20", "30", "40"]);
        // h = 3 × 0.25 = 0.75 between 10 and 20.
        assert_eq!(quantile(&v, d("0.25"), QuantileMethod::Linear).unwrap(), (d("17.5"), Bound::ZERO));
        assert_eq!(quantile(&v, d("0.25"), QuantileMethod::Lower).unwrap(), (d("10"), Bound::ZERO));
        assert_eq!(quantile(&v, d("0.25"), QuantileMethod::Higher).unwrap(), (d("20"), Bound::ZERO));
        assert_eq!(quantile(&v, d("0.25"), QuantileMethod::Nearest).unwrap(), (d("20"), Bound::ZERO));
        assert_eq!(quantile(&v, d("0.25"), QuantileMethod::Midpoint).unwrap(), (d("15"), Bound::ZERO));
        assert_eq!(of_group(&Stat::Median, &v).unwrap().0, d("25"));
        assert_eq!(of_group(&Stat::Median, &items(&["3", "1", "2"])).unwrap().0, d("2"));
    }

    #[test]
    fn quantiles_of_values_near_the_limits_are_missing_with_a_reason() {
        // Each panicked on overflow: the sum of the two middle values, and the difference
        // between the neighbours interpolated between.
        let max = Decimal::MAX.to_string();
        let min = Decimal::MIN.to_string();
        let median = of_group(&Stat::Median, &items(&[&max, &max])).unwrap_err();
        assert!(median.contains("too large to halve"), "{median}");
        let linear = quantile(&items(&[&min, &max]), d("0.5"), QuantileMethod::Linear).unwrap_err();
        assert!(linear.contains("too far apart"), "{linear}");
        // Opposite limits still have a midpoint.
        assert_eq!(of_group(&Stat::Median, &items(&[&max, &min])).unwrap().0, Decimal::ZERO);
    }

    #[test]
    fn a_trim_too_large_to_multiply_leaves_nothing() {
        assert_eq!(trim_count(3, Decimal::MAX, TrimRound::Down), usize::MAX);
        assert!(trimmed_mean(&items(&["1", "2", "3"]), Decimal::MAX, TrimRound::Down, TieOrder::Key).is_err());
    }

    #[test]
    fn ranks_and_percentile_ranks() {
        let v = items(&["5", "3", "5", "1"]);
        let values = |per: Vec<Near>| per.into_iter().map(|r| r.0).collect::<Vec<_>>();
        let ranks = |ties| values(of_member(&Stat::Rank { descending: false, ties }, &v));
        assert_eq!(ranks(RankTies::Min), vec![d("3"), d("2"), d("3"), d("1")]);
        assert_eq!(ranks(RankTies::Max), vec![d("4"), d("2"), d("4"), d("1")]);
        assert_eq!(ranks(RankTies::Dense), vec![d("3"), d("2"), d("3"), d("1")]);
        assert_eq!(ranks(RankTies::Key), vec![d("3"), d("2"), d("4"), d("1")]);
        let desc = values(of_member(&Stat::Rank { descending: true, ties: RankTies::Min }, &v));
        assert_eq!(desc, vec![d("1"), d("3"), d("1"), d("4")]);
        let pr = values(of_member(&Stat::PercentileRank { method: PercentMethod::Below }, &v));
        assert_eq!(pr, vec![d("0.5"), d("0.25"), d("0.5"), d("0")]);
        let pr = values(of_member(&Stat::PercentileRank { method: PercentMethod::Mean }, &v));
        assert_eq!(pr[0], d("0.75"));
    }
}
