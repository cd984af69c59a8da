//! A statistic's group as an explanation lists it: the members' ranks, placed by selection
//! rather than a sort, and the evaluator's trimming checked before it is shown.
//!
//! Members are `(approx(value), frame row)` throughout, compared by [`stats::order_by`]: the
//! evaluator's trimming hands over its order in that form, so a large group is neither
//! gathered nor ordered a second time.

use super::graph::{Member, StatInfo, Status};
use crate::eval::column::Column;
use crate::eval::engine::{Evaluator, InputBounds, StatSite};
use crate::eval::exact_sum::ExactSum;
use crate::eval::stats::{self, Stat, TieOrder, TrimRound};
use crate::value::Value;
use rayon::prelude::*;
use rust_decimal::Decimal;
use std::cmp::Ordering;
use std::sync::Arc;

/// Groups up to this size list every member (larger ones too when asked: `--all-members`).
const MEMBERS_KEPT: usize = 1_000;
/// Members kept at each end and on each side of a cut of a larger group.
const MEMBER_EDGE: usize = 10;

/// One group's statistic, as the tracer asks for it.
pub struct Group<'g> {
    /// The group's index among the evaluator's groups, and its frame rows.
    pub index: usize,
    pub rows: &'g [usize],
    /// The statistic's argument, one value per frame row.
    pub values: &'g Column,
    pub stat: &'g Stat,
    /// Where the statistic is taken: the evaluator keeps its trimmings by this.
    pub site: StatSite,
    /// `missing: propagate`: a missing member makes the statistic missing.
    pub propagate: bool,
    pub minimum: usize,
    /// The frame row of the entity explained.
    pub this_row: usize,
    /// List every member, however large the group (`--all-members`).
    pub all: bool,
}

/// The statistic over the group, with its members listed (into `info`) as kept, trimmed,
/// used or left out.
pub fn explain_group(sev: &mut Evaluator<'_, '_>, group: &Group<'_>, info: &mut StatInfo) -> Value {
    let Group { index, rows, values, stat, propagate, minimum, this_row, .. } = *group;
    let frame = sev.frame;
    let keys = &frame.keys;
    let (left_out, first_missing) = left_out(rows, values);
    let inputs = InputBounds::of(rows, values);
    let n = rows.len().saturating_sub(left_out.len());
    let ties = match stat {
        Stat::TrimmedMean { ties, .. } => *ties,
        _ => TieOrder::Key,
    };
    let member = move |r: usize| values.get(r).as_num().zip(keys.get(r).map(|k| k.as_ref()));
    let cmp = stats::order_by(member, ties);
    // The members as a list, for the statistics that need one (not the trimmed mean's check).
    let items = || -> Vec<stats::Item<'_>> {
        let mut items = Vec::with_capacity(rows.len());
        items.extend(rows.iter().filter_map(|&r| member(r).map(|(value, key)| stats::Item { value, key, row: r })));
        items
    };
    let mut trimmed = None;
    let value = if rows.len() < minimum {
        info.trimming = Some(format!("{} members, below the minimum of {minimum}: no statistic", rows.len()));
        crate::eval::engine::too_small(rows.len(), minimum)
    } else if let (true, Some(r)) = (propagate, &first_missing) {
        Value::missing(format!("a peer's value is missing ({r})"))
    } else if let (0, false, Some(r)) = (n, matches!(stat, Stat::Count), &first_missing) {
        // As the evaluator says it (`eval::engine::group_result`).
        Value::missing(format!("every value in the group is missing ({r})"))
    } else {
        match stat {
            Stat::Rank { .. } | Stat::PercentileRank { .. } => {
                let items = items();
                let per = stats::of_member(stat, &items);
                items
                    .iter()
                    .zip(per)
                    .find(|(i, _)| i.row == this_row)
                    .map_or_else(|| Value::missing("no value to rank"), |(_, v)| Value::near(v))
            }
            Stat::TrimmedMean { trim, round, ties } => {
                let (value, made) = trimmed_mean(sev, group, n, cmp, items, (*trim, *round, *ties), info);
                trimmed = made;
                match (value.as_num(), &trimmed) {
                    (Some(mean), Some(t)) => inputs.result(stat, (mean, t.rounding)),
                    _ => value,
                }
            }
            _ => stats::of_group(stat, &items()).map_or_else(Value::missing, |d| inputs.result(stat, d)),
        }
    };
    let placed = placed(trimmed.as_mut(), group, n, cmp);
    // Placing ranks only permutes within the parts: the order is still the evaluator's,
    // for the next explanation of this group.
    if let Some(slot) = sev.trimmings.as_mut().and_then(|t| t.get_mut(&group.site)?.get_mut(index)) {
        *slot = slot.take().or_else(|| trimmed.map(Arc::new));
    }
    list_members(info, group, keys, &placed, left_out, n);
    value
}

/// The group's rows without a number (left out of the statistic), and why the first of them
/// has none.
fn left_out(rows: &[usize], values: &Column) -> (Vec<usize>, Option<String>) {
    let mut left_out = Vec::new();
    let mut first_missing = None;
    for &r in rows {
        match values.get(r) {
            Value::Num(_) | Value::Approx(..) => {}
            other => {
                first_missing.get_or_insert_with(|| match other {
                    Value::Missing(m) => m.to_string(),
                    _ => "not a number".to_string(),
                });
                left_out.push(r);
            }
        }
    }
    (left_out, first_missing)
}

/// The trimmed mean over the group's `n` members with a number, and (into `info`) how it
/// was trimmed. The evaluator's trimming is taken over when it checks out, and made again
/// from `items` when it does not.
fn trimmed_mean<'k>(
    sev: &mut Evaluator<'_, '_>,
    group: &Group<'_>,
    n: usize,
    cmp: impl Fn(&(f64, usize), &(f64, usize)) -> Ordering + Copy,
    items: impl Fn() -> Vec<stats::Item<'k>>,
    (trim, round, ties): (Decimal, TrimRound, TieOrder),
    info: &mut StatInfo,
) -> (Value, Option<stats::Trimmed>) {
    let frame_rows = sev.frame.keys.len();
    // The evaluator's choice of members, checked; made again if it fails.
    let found = sev.trimmings.as_mut().and_then(|t| t.get_mut(&group.site)?.get_mut(group.index)?.take());
    let options = (trim, round);
    let checked = found.filter(|t| trimming_holds(t, group.rows, group.values, n, options, frame_rows, cmp));
    let made = match checked {
        Some(t) => Ok(Arc::try_unwrap(t).unwrap_or_else(|shared| (*shared).clone())),
        None => stats::trimmed_mean(&items(), trim, round, ties),
    };
    match made {
        Ok(t) => {
            info.trimming = Some(trimming_words(n, trim, round, ties, &t));
            info.counts = [t.kept().len(), t.low().len(), t.high().len(), 0];
            (Value::Num(t.mean), Some(t))
        }
        Err(why) => (Value::missing(why), None),
    }
}

/// The members listed, as (rank, frame row, part): placed within the trimming's parts, or
/// over the whole group when it was not trimmed.
fn placed(
    trimmed: Option<&mut stats::Trimmed>,
    group: &Group<'_>,
    n: usize,
    cmp: impl Fn(&(f64, usize), &(f64, usize)) -> Ordering + Copy + Sync,
) -> Vec<(usize, usize, Status)> {
    let Group { rows, values, this_row, all, .. } = *group;
    match trimmed {
        Some(t) => {
            let k = t.each_end;
            let placed = shown_ranks(&mut t.order, &[k, n.saturating_sub(k)], cmp, this_row, all);
            placed.into_iter().map(|(rank, r)| (rank, r, part(rank, k, n))).collect()
        }
        None => {
            let mut order = Vec::with_capacity(rows.len());
            order.extend(rows.iter().filter_map(|&r| values.get(r).as_num().map(|d| (stats::approx(d), r))));
            let placed = shown_ranks(&mut order, &[], cmp, this_row, all);
            placed.into_iter().map(|(rank, r)| (rank, r, Status::Used)).collect::<Vec<_>>()
        }
    }
}

/// Into `info`: the members placed, then those left out (all of them in a group listed
/// whole, else the first few and the entity explained), and how many were not listed.
fn list_members(
    info: &mut StatInfo,
    group: &Group<'_>,
    keys: &[Arc<str>],
    placed: &[(usize, usize, Status)],
    left_out: Vec<usize>,
    n: usize,
) {
    let Group { rows, values, this_row, all, .. } = *group;
    for &(rank, r, status) in placed {
        info.members.push(Member {
            entity: keys.get(r).map(|k| k.to_string()).unwrap_or_default(),
            value: values.get(r).clone(),
            status,
            this: r == this_row,
            rank: rank.saturating_add(1),
        });
    }
    info.omitted = n.saturating_sub(info.members.len());
    if let Some(c) = info.counts.get_mut(3) {
        *c = left_out.len();
    }
    let whole = all || rows.len() <= MEMBERS_KEPT;
    for (k, r) in left_out.into_iter().enumerate() {
        if whole || k < MEMBER_EDGE || r == this_row {
            info.members.push(Member {
                entity: keys.get(r).map(|k| k.to_string()).unwrap_or_default(),
                value: values.get(r).clone(),
                status: Status::LeftOut,
                this: r == this_row,
                rank: n.saturating_add(k).saturating_add(1),
            });
        } else {
            info.omitted = info.omitted.saturating_add(1);
        }
    }
}

/// A trimmed mean's part of rank `rank` (0-based) among `n`, `k` dropped from each end.
fn part(rank: usize, k: usize, n: usize) -> Status {
    if rank < k {
        Status::TrimmedLow
    } else if rank >= n.saturating_sub(k) {
        Status::TrimmedHigh
    } else {
        Status::Kept
    }
}

/// The members an explanation lists, as (rank, id) in rank order, from `order`: members as
/// (float, id), split by `cuts` into parts whose members all rank below the next part's
/// (a trimming's), in any order within each part. A group of up to [`MEMBERS_KEPT`] (any
/// group, with `all`) lists every member; a larger one the first and last [`MEMBER_EDGE`]
/// of each part (so both ends of the group and each side of every cut) and member `this`.
/// Each part's ends are found in one pass over it, the parts in parallel, and `this` is
/// ranked by counting who is below it in its part: the list is the one a full sort would
/// give, in linear time. `order` is sorted when listed whole, otherwise left as it is.
fn shown_ranks(
    order: &mut [(f64, usize)],
    cuts: &[usize],
    cmp: impl Fn(&(f64, usize), &(f64, usize)) -> Ordering + Copy + Sync,
    this: usize,
    all: bool,
) -> Vec<(usize, usize)> {
    let total = order.len();
    if total <= MEMBERS_KEPT || all {
        order.sort_unstable_by(cmp);
        return order.iter().map(|&(_, id)| id).enumerate().collect();
    }
    let mut bounds = vec![0];
    bounds.extend(cuts.iter().copied().filter(|&c| 0 < c && c < total));
    bounds.push(total);
    bounds.dedup();
    let parts: Vec<(usize, &[(f64, usize)])> =
        bounds.windows(2).filter_map(|w| if let [a, b] = *w { Some((a, order.get(a..b)?)) } else { None }).collect();
    let mut placed: Vec<(usize, usize)> =
        parts.par_iter().flat_map_iter(|&(start, part)| ends(part, start, cmp)).collect();
    // This member's rank: those below it in its own part, after the parts before it.
    let this_rank = parts.iter().find_map(|&(start, part)| {
        let entry = part.iter().find(|o| o.1 == this)?;
        Some(start.saturating_add(part.par_iter().filter(|o| cmp(o, entry) == Ordering::Less).count()))
    });
    if let Some(rank) = this_rank.filter(|r| !placed.iter().any(|(placed, _)| placed == r)) {
        placed.push((rank, this));
        placed.sort_unstable();
    }
    placed
}

/// The first and last [`MEMBER_EDGE`] members of a part (its ranks `start` on) as
/// (rank, id): the whole part sorted if it is that small, otherwise the lowest and the
/// highest found by [`lowest`].
fn ends(
    part: &[(f64, usize)],
    start: usize,
    cmp: impl Fn(&(f64, usize), &(f64, usize)) -> Ordering + Copy,
) -> Vec<(usize, usize)> {
    let m = MEMBER_EDGE;
    if part.len() <= 2 * m {
        let mut all = part.to_vec();
        all.sort_unstable_by(cmp);
        return all.into_iter().enumerate().map(|(k, (_, id))| (start.saturating_add(k), id)).collect();
    }
    let low = lowest(part, m, cmp);
    let mut high = lowest(part, m, |a, b| cmp(b, a));
    high.reverse();
    let end = start.saturating_add(part.len());
    let low = low.into_iter().enumerate().map(|(k, (_, id))| (start.saturating_add(k), id));
    let high = high.into_iter().enumerate().map(|(k, (_, id))| (end.saturating_sub(m).saturating_add(k), id));
    low.chain(high).collect()
}

/// The `m` lowest of `part` in `cmp`'s order, sorted. Members below the m-th lowest found
/// so far gather in a buffer, cut back to its m lowest (a selection) whenever it fills: one
/// comparison a member, whatever order the part is in.
fn lowest(
    part: &[(f64, usize)],
    m: usize,
    cmp: impl Fn(&(f64, usize), &(f64, usize)) -> Ordering + Copy,
) -> Vec<(f64, usize)> {
    let mut buffer: Vec<(f64, usize)> = Vec::with_capacity(m.saturating_mul(4));
    let mut bound: Option<(f64, usize)> = None;
    for o in part {
        if bound.is_some_and(|b| cmp(o, &b) != Ordering::Less) {
            continue;
        }
        buffer.push(*o);
        if buffer.len() == m.saturating_mul(4) {
            buffer.select_nth_unstable_by(m.saturating_sub(1), cmp);
            buffer.truncate(m);
            bound = buffer.last().copied();
        }
    }
    buffer.sort_unstable_by(cmp);
    buffer.truncate(m);
    buffer
}

/// Whether `t` is the trimmed mean of the group's `n` numbers (frame rows `rows`, values
/// `values`) with these options: as many dropped from each end as they say; every member
/// in the order exactly once, with the float of its value; each dropped low member before
/// every kept one and each kept before every dropped high one (in the members' order,
/// which is total, so the choice is unique); and its mean that of the kept values (an
/// exact sum, the same in any order). Linear time: the evaluator's choice is checked, not
/// made again.
fn trimming_holds(
    t: &stats::Trimmed,
    rows: &[usize],
    values: &Column,
    n: usize,
    (trim, round): (Decimal, TrimRound),
    frame_rows: usize,
    cmp: impl Fn(&(f64, usize), &(f64, usize)) -> Ordering,
) -> bool {
    let k = stats::trim_count(n, trim, round);
    if t.each_end != k || t.order.len() != n || k.checked_mul(2).is_none_or(|both_ends| n <= both_ends) {
        return false;
    }
    // Each member's float is its value's (read-only, in parallel).
    let floats_hold = t
        .order
        .par_iter()
        .all(|&(float, r)| values.get(r).as_num().is_some_and(|d| float.to_bits() == stats::approx(d).to_bits()));
    if !floats_hold {
        return false;
    }
    // Each frame row: not a member (0), a member not yet found in the order (1), found
    // dropped (2), found kept (3).
    let mut state = vec![0u8; frame_rows];
    for &r in rows {
        if let (Value::Num(_) | Value::Approx(..), Some(s)) = (values.get(r), state.get_mut(r)) {
            *s = 1;
        }
    }
    for (at, &(_, r)) in t.order.iter().enumerate() {
        match state.get_mut(r) {
            Some(s) if *s == 1 => *s = if k <= at && at < n.saturating_sub(k) { 3 } else { 2 },
            _ => return false,
        }
    }
    if !all_below(t.low(), t.kept(), &cmp) || !all_below(t.kept(), t.high(), &cmp) {
        return false;
    }
    // The kept values read in the frame's order (sequential), not the order's.
    let kept = |i: usize| rows.get(i).filter(|&&r| state.get(r) == Some(&3)).and_then(|&r| values.get(r).as_num());
    let sum = ExactSum::par_sum(rows.len(), kept);
    stats::mean_of_sum(&sum, n.saturating_sub(k).saturating_sub(k)).is_ok_and(|m| m.0.serialize() == t.mean.serialize())
}

/// Whether every member of `a` ranks below every member of `b`. By floats alone when the
/// largest of `a` is below the smallest of `b` and [`stats::floats_decide`] between them:
/// then every pair is in that order, exactly and by `cmp`. Otherwise by the two extremes in `cmp`'s order.
fn all_below(a: &[(f64, usize)], b: &[(f64, usize)], cmp: impl Fn(&(f64, usize), &(f64, usize)) -> Ordering) -> bool {
    if a.is_empty() || b.is_empty() {
        return true;
    }
    let highest = a.iter().fold(f64::NEG_INFINITY, |m, o| m.max(o.0));
    let lowest = b.iter().fold(f64::INFINITY, |m, o| m.min(o.0));
    if highest < lowest && stats::floats_decide(highest, lowest) {
        return true;
    }
    match (a.iter().max_by(|x, y| cmp(x, y)), b.iter().min_by(|x, y| cmp(x, y))) {
        (Some(x), Some(y)) => cmp(x, y) == Ordering::Less,
        _ => true,
    }
}

/// How a trimmed mean chose its members, in words an auditor can check by hand.
fn trimming_words(n: usize, trim: Decimal, round: TrimRound, ties: TieOrder, t: &stats::Trimmed) -> String {
    let exact =
        Decimal::from(n).checked_mul(trim).map_or_else(|| format!("{n} × {trim}"), |d| d.normalize().to_string());
    let round = match round {
        TrimRound::Down => "rounded down",
        TrimRound::Up => "rounded up",
        TrimRound::Nearest => "rounded to nearest",
    };
    let ties = match ties {
        TieOrder::Key => "equal values ordered by key",
        TieOrder::KeyDescending => "equal values ordered by key, descending",
    };
    format!(
        "{n} values; trim {}% of {n} = {exact}, {round}: {} dropped from each end ({ties}); mean of the {} kept",
        crate::value::format::percent_exact(trim),
        t.each_end,
        t.kept().len()
    )
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, reason = "test code: small generated sizes, and failing loudly is the point")]
mod tests {
    use super::*;

    /// `n` members in frame rows 3 on (rows 0 to 2 are not members), with few distinct
    /// values at different scales, so that ties are common; keys distinct, in an order
    /// unrelated to the rows.
    fn group(n: usize) -> (Column, Vec<Arc<str>>) {
        let mut seed: u64 = 2010;
        let mut values = vec![Value::missing("not a member"); 3];
        let mut keys: Vec<Arc<str>> = (0..3).map(|i| Arc::from(format!("X{i}"))).collect();
        for row in 0..n {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let v = i64::try_from(seed >> 56).unwrap_or(0) % 50;
            values.push(Value::Num(if row % 2 == 0 { Decimal::new(v * 10, 3) } else { Decimal::new(v, 2) }));
            keys.push(Arc::from(format!("K{:05}", (row * 7919) % n)));
        }
        (Column::from_vec(values), keys)
    }

    /// The ranks placed by selection are those a full sort gives, for each group size
    /// around [`MEMBERS_KEPT`], with ties in value decided by key either way, whether the
    /// order comes in a trimming's parts or as one.
    #[test]
    fn selected_ranks_match_a_full_sort() {
        for n in [5, MEMBERS_KEPT, MEMBERS_KEPT + 1, 2_537] {
            let (values, keys) = group(n);
            let member = |r: usize| values.get(r).as_num().zip(keys.get(r).map(|k| k.as_ref()));
            let entries: Vec<(f64, usize)> =
                (3..n + 3).filter_map(|r| values.get(r).as_num().map(|d| (stats::approx(d), r))).collect();
            let this_row = 3 + n / 3;
            for ties in [TieOrder::Key, TieOrder::KeyDescending] {
                let cmp = stats::order_by(member, ties);
                let mut full = entries.clone();
                full.sort_by(cmp);
                let this_rank = full.iter().position(|o| o.1 == this_row);
                let expected = |cuts: &[usize]| -> Vec<(usize, usize)> {
                    full.iter()
                        .enumerate()
                        .filter(|(rank, _)| {
                            n <= MEMBERS_KEPT
                                || *rank < MEMBER_EDGE
                                || rank + MEMBER_EDGE >= n
                                || cuts.iter().any(|c| rank + MEMBER_EDGE >= *c && *rank < c + MEMBER_EDGE)
                                || Some(*rank) == this_rank
                        })
                        .map(|(rank, o)| (rank, o.1))
                        .collect()
                };
                // A trimming's parts, each shuffled (reversed in halves); and one part, in
                // the frame's order.
                let cuts = [n / 4, n - n / 4];
                let mut parts = full.clone();
                for (a, b) in [(0, cuts[0]), (cuts[0], cuts[1]), (cuts[1], n)] {
                    let part = &mut parts[a..b];
                    let half = part.len() / 2;
                    part[..half].reverse();
                    part.rotate_left(half);
                }
                assert_eq!(shown_ranks(&mut parts, &cuts, cmp, this_row, false), expected(&cuts), "n = {n}");
                let mut whole = entries.clone();
                assert_eq!(shown_ranks(&mut whole, &[], cmp, this_row, false), expected(&[]), "n = {n}");
            }
        }
    }

    /// The evaluator's trimming is accepted as it is, and refused when any member is out of
    /// place, listed twice, carries a wrong float, or the mean is not that of the kept values.
    #[test]
    fn a_trimming_is_checked_not_trusted() {
        let keys: Vec<Arc<str>> = (0..40).map(|i| Arc::from(format!("K{i:02}"))).collect();
        let values = Column::from_vec((0..40).map(|row| Value::Num(Decimal::new((row * 37) % 11, 1))).collect());
        let rows: Vec<usize> = (0..40).collect();
        let items: Vec<stats::Item<'_>> = rows
            .iter()
            .filter_map(|&r| values.get(r).as_num().map(|value| stats::Item { value, key: &keys[r], row: r }))
            .collect();
        let member = |r: usize| values.get(r).as_num().zip(keys.get(r).map(|k| k.as_ref()));
        let cmp = stats::order_by(member, TieOrder::Key);
        let options = (Decimal::new(25, 2), TrimRound::Down);
        let Ok(t) = stats::trimmed_mean(&items, options.0, options.1, TieOrder::Key) else { panic!("no trimmed mean") };
        let holds = |t: &stats::Trimmed| trimming_holds(t, &rows, &values, 40, options, 40, cmp);
        assert!(holds(&t));
        let k = t.each_end;
        let mut swapped = t.clone();
        swapped.order.swap(0, k);
        assert!(!holds(&swapped));
        let mut twice = t.clone();
        twice.order[k + 1] = twice.order[k];
        assert!(!holds(&twice));
        let mut float = t.clone();
        float.order[k].0 += 1e-12;
        assert!(!holds(&float));
        let mut mean = t.clone();
        mean.mean += Decimal::new(1, 28);
        assert!(!holds(&mean));
        let mut ends = t.clone();
        ends.each_end += 1;
        assert!(!holds(&ends));
        // A group whose row 39 has no number: the trimming of the other 39 holds; the
        // same with row 39 listed in place of a kept member does not.
        let mut missing = values.to_vec(40);
        missing[39] = Value::missing("no value");
        let missing = Column::from_vec(missing);
        let Ok(of_39) = stats::trimmed_mean(&items[..39], options.0, options.1, TieOrder::Key) else {
            panic!("no trimmed mean")
        };
        assert!(trimming_holds(&of_39, &rows, &missing, 39, options, 40, cmp));
        let mut listed = of_39.clone();
        listed.order[of_39.each_end].1 = 39;
        assert!(!trimming_holds(&listed, &rows, &missing, 39, options, 40, cmp));
        // Not a member: a row outside the group.
        assert!(!trimming_holds(&t, &rows[1..], &values, 40, options, 40, cmp));
    }

    /// Parts told apart by floats, and parts whose floats are equal but values are not.
    #[test]
    fn one_part_below_another_by_floats_or_exactly() {
        let values: Vec<Decimal> =
            ["1", "2", "3", "1.0000000000000000000000000001", "-3"].iter().map(|v| v.parse().unwrap()).collect();
        let member = |i: usize| values.get(i).map(|d| (*d, "k"));
        let cmp = stats::order_by(member, TieOrder::Key);
        let part =
            |ids: &[usize]| -> Vec<(f64, usize)> { ids.iter().map(|&i| (stats::approx(values[i]), i)).collect() };
        assert!(all_below(&part(&[0, 1]), &part(&[2]), cmp));
        assert!(!all_below(&part(&[2]), &part(&[0, 1]), cmp));
        assert!(all_below(&part(&[4, 0]), &part(&[3, 2]), cmp));
        assert!(!all_below(&part(&[3]), &part(&[0]), cmp));
        assert!(all_below(&part(&[]), &part(&[0]), cmp));
    }
}
