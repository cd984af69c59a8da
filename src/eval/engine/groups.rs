//! Statistics over peer groups: each entity's group, the statistic of each group (kept
//! once per group, not copied per row), and warnings for groups below their minimum.

use super::*;

impl<'m, 'a> Evaluator<'m, 'a> {
    /// The statistic a call states, with its options read from the rule text.
    pub fn stat(&mut self, function: &str, args: &[Argument], env: &Env<'_>) -> Option<Stat> {
        use stats::*;
        let word = |n: &str| Self::named_word(args, n);
        Some(match function {
            "count" => Stat::Count,
            "sum" => Stat::Sum,
            "mean" => Stat::Mean,
            "median" => Stat::Median,
            "min" => Stat::Min,
            "max" => Stat::Max,
            "quantile" => {
                let p = args.iter().filter(|a| a.name.is_none()).nth(1)?;
                let p = match self.eval(&p.value, env) {
                    Column::Const(Value::Num(d)) => d,
                    _ => return None,
                };
                let method = match word("method")? {
                    "lower" => QuantileMethod::Lower,
                    "higher" => QuantileMethod::Higher,
                    "nearest" => QuantileMethod::Nearest,
                    "midpoint" => QuantileMethod::Midpoint,
                    _ => QuantileMethod::Linear,
                };
                Stat::Quantile { p, method }
            }
            "trimmed_mean" => Stat::TrimmedMean {
                trim: self.named_number(args, "trim", env)?,
                round: match word("round")? {
                    "up" => TrimRound::Up,
                    "nearest" => TrimRound::Nearest,
                    _ => TrimRound::Down,
                },
                ties: if word("ties")? == "key_descending" { TieOrder::KeyDescending } else { TieOrder::Key },
            },
            "rank" => Stat::Rank {
                descending: word("order")? == "descending",
                ties: match word("ties")? {
                    "max" => RankTies::Max,
                    "dense" => RankTies::Dense,
                    "key" => RankTies::Key,
                    _ => RankTies::Min,
                },
            },
            "percentile_rank" => Stat::PercentileRank {
                method: match word("method")? {
                    "at_or_below" => PercentMethod::AtOrBelow,
                    "mean" => PercentMethod::Mean,
                    _ => PercentMethod::Below,
                },
            },
            _ => return None,
        })
    }

    /// The groups `over peers` (the methodology's), `over all` or `over g` (a grouped
    /// policy's) mean here.
    pub fn groups(&mut self, group: &str, env: &Env<'_>) -> Arc<Groups> {
        let policy = env.group.filter(|(var, _)| *var == group);
        let key = match policy {
            // Two policies may group the same variable name by different fields.
            Some((var, by)) => {
                Some(format!("policy {var} by {}", by.iter().map(|b| b.node.as_str()).collect::<Vec<_>>().join(", ")))
            }
            None if group == "peers" => env.methodology.map(str::to_string),
            None => None,
        };
        if let Some(g) = self.groups.get(&key) {
            return g.clone();
        }
        let n = self.rows();
        let peers = match policy {
            Some(_) => None,
            None => key.as_deref().and_then(|m| self.model.methodology(m)).and_then(|m| m.peers.as_ref()),
        };
        let by: Vec<String> = match (policy, peers) {
            (Some((_, by)), _) => by.iter().map(|b| b.node.clone()).collect(),
            (None, Some(p)) => p.node.same.iter().map(|f| f.node.clone()).collect(),
            (None, None) => Vec::new(),
        };
        let minimum = peers.and_then(|p| p.node.minimum.as_ref()).map_or(1, |m| m.node as usize);
        let groups = if by.is_empty() {
            Groups {
                of_row: Arc::new((0..n).map(|_| Some(0)).collect()),
                rows: vec![(0..n).collect()],
                labels: vec!["all".to_string()],
                minimum,
                ungrouped: Value::missing("no group"),
            }
        } else {
            let what = if policy.is_some() { "group" } else { "peer group" };
            self.group_by_fields(&by, minimum, what)
        };
        let groups = Arc::new(groups);
        self.groups.insert(key, groups.clone());
        groups
    }

    /// Rows grouped by the values of `fields` (a row missing one is in no group), groups
    /// numbered in order of first appearance.
    fn group_by_fields(&mut self, by: &[String], minimum: usize, what: &str) -> Groups {
        let n = self.rows();
        let fields: Vec<Column> = by.iter().map(|f| self.target(&Target::Field(f.clone()), &[])).collect();
        let mut index: rustc_hash::FxHashMap<Vec<&str>, usize> = rustc_hash::FxHashMap::default();
        let mut labels = Vec::new();
        let mut of_row = Vec::with_capacity(n);
        let mut parts: Vec<&str> = Vec::with_capacity(fields.len());
        let mut last: Option<(Vec<&str>, usize)> = None;
        for row in 0..n {
            parts.clear();
            for c in &fields {
                match c.get(row).as_text() {
                    Some(t) => parts.push(t),
                    None => break,
                }
            }
            if parts.len() < fields.len() {
                of_row.push(None);
                continue;
            }
            // Rows of one group often come together: no hashing for a repeat, and
            // no comparing texts that are one shared allocation.
            let repeat = match &last {
                Some((p, g)) if same_texts(p, &parts) => Some(*g),
                _ => None,
            };
            let g = match repeat.or_else(|| index.get(parts.as_slice()).copied()) {
                Some(g) => g,
                None => {
                    let g = labels.len();
                    labels.push(parts.join(", "));
                    index.insert(parts.clone(), g);
                    g
                }
            };
            of_row.push(Some(g));
            if repeat.is_none() {
                last = Some((parts.clone(), g));
            }
        }
        let rows = rows_by_group(&of_row, labels.len());
        Groups {
            of_row: Arc::new(of_row),
            rows,
            labels,
            minimum,
            ungrouped: Value::missing(format!("no {what}: `{}` is missing", by.join(", "))),
        }
    }

    pub(super) fn over(&mut self, aggregate: &Expr, group: &Name, env: &Env<'_>) -> Column {
        match self.peers.as_mut() {
            // One entity's frame: the statistic over its group, from the peer evaluator.
            Some(p) => p.ev.over_at(aggregate, group, env, Some(p.row)),
            None => self.over_at(aggregate, group, env, None),
        }
    }

    /// A statistic over groups for every row, or (`only`) for one row, computing only its
    /// group's.
    pub(super) fn over_at(&mut self, aggregate: &Expr, group: &Name, env: &Env<'_>, only: Option<usize>) -> Column {
        let ExprKind::Call { function, args } = &aggregate.node else {
            return Column::Const(Value::missing("not a statistic"));
        };
        if matches!(function.node.as_str(), "any" | "all") {
            return self.any_or_all(function.node == "any", args, group, env, only);
        }
        let Some(stat) = self.stat(&function.node, args, env) else {
            return Column::Const(Value::missing(format!("`{}` is missing an option", function.node)));
        };
        let propagate = Self::named_word(args, "missing") == Some("propagate");
        let values = match args.iter().find(|a| a.name.is_none()) {
            Some(a) => self.eval(&a.value, env),
            None => Column::Const(Value::Num(Decimal::ONE)),
        };
        let groups = self.groups(&group.node, env);
        let keys = &self.frame.keys;
        let n = self.rows();
        if let Some(row) = only {
            let Some(g) = groups.of_row.get(row).copied().flatten() else {
                return Column::Const(groups.ungrouped.clone());
            };
            let rows = groups.rows.get(g).map_or(&[][..], Vec::as_slice);
            let trace = self.trimmings.is_some();
            let (result, trimming) = group_result(&stat, rows, &values, keys, propagate, groups.minimum, trace);
            if let Some(t) = self.trimmings.as_mut() {
                let mut trimmed: Trimmings = vec![None; groups.rows.len()];
                if let Some(slot) = trimmed.get_mut(g) {
                    *slot = trimming;
                }
                t.insert(Self::stat_site(aggregate, env), trimmed);
            }
            let value = match result {
                GroupResult::Whole(v) => v,
                GroupResult::PerMember(vs) => {
                    rows.iter().zip(vs).find(|(r, _)| **r == row).map_or_else(|| Value::missing("no value"), |(_, v)| v)
                }
                GroupResult::TooSmall(size) => {
                    let label = groups.labels.get(g).cloned().unwrap_or_default();
                    self.warn_small(&label, size, groups.minimum, group.span, env);
                    too_small(size, groups.minimum)
                }
            };
            return Column::Const(value);
        }
        // Each group's result: a value for the whole group, or one per member.
        let trace = self.trimmings.is_some();
        let (results, trimmed): (Vec<GroupResult>, Trimmings) = groups
            .rows
            .par_iter()
            .map(|rows| group_result(&stat, rows, &values, keys, propagate, groups.minimum, trace))
            .unzip();
        if let Some(t) = self.trimmings.as_mut() {
            t.insert(Self::stat_site(aggregate, env), trimmed);
        }
        for (label, result) in groups.labels.iter().zip(&results) {
            if let GroupResult::TooSmall(size) = result {
                self.warn_small(label, *size, groups.minimum, group.span, env);
            }
        }
        spread(&groups, results, n)
    }

    /// `any(c) over G` / `all(c) over G`: true (false) as soon as one row's condition is,
    /// else false (true) when every row's is decided, else missing: an undecided row may
    /// be the one that matters.
    fn any_or_all(&mut self, any: bool, args: &[Argument], group: &Name, env: &Env<'_>, only: Option<usize>) -> Column {
        let values = match args.iter().find(|a| a.name.is_none()) {
            Some(a) => self.eval(&a.value, env),
            None => return Column::Const(Value::missing("no condition")),
        };
        let groups = self.groups(&group.node, env);
        let of = |rows: &[usize]| {
            let mut undecided = None;
            for &r in rows {
                match values.get(r) {
                    Value::Bool(b) if *b == any => return Value::Bool(any),
                    Value::Bool(_) => {}
                    Value::Missing(reason) => undecided = undecided.or_else(|| Some(reason.clone())),
                    _ => undecided = undecided.or_else(|| Some(crate::value::Reason::new("not a truth value"))),
                }
            }
            match undecided {
                Some(r) => Value::missing(format!("a row's condition is missing ({r})")),
                None => Value::Bool(!any),
            }
        };
        if let Some(row) = only {
            return Column::Const(match groups.of_row.get(row).copied().flatten() {
                Some(g) => of(groups.rows.get(g).map_or(&[][..], Vec::as_slice)),
                None => groups.ungrouped.clone(),
            });
        }
        let results = groups.rows.iter().map(|rows| GroupResult::Whole(of(rows))).collect();
        spread(&groups, results, self.rows())
    }

    /// Note a peer group below the minimum; reported once per methodology by [`Self::finish`].
    pub(super) fn warn_small(&mut self, label: &str, size: usize, minimum: usize, span: Span, env: &Env<'_>) {
        let meth = env.methodology.unwrap_or("").to_string();
        if !self.warned.insert((meth.clone(), label.to_string())) {
            return;
        }
        let entry = self.small_groups.entry(meth).or_insert_with(|| (span, minimum, Vec::new()));
        entry.2.push((label.to_string(), size));
    }
}

/// What a statistic over a group below the minimum gives.
pub fn too_small(size: usize, minimum: usize) -> Value {
    Value::missing(format!("peer group of {size}, below the minimum of {minimum}"))
}

pub(super) fn set(out: &mut [Value], row: usize, v: Value) {
    if let Some(slot) = out.get_mut(row) {
        *slot = v;
    }
}

pub(super) enum GroupResult {
    Whole(Value),
    PerMember(Vec<Value>),
    TooSmall(usize),
}

/// Whether two lists of texts are equal, comparing a text's bytes only when the two are
/// not the same allocation (a column's member names usually are).
pub(super) fn same_texts(a: &[&str], b: &[&str]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x.as_ptr() == y.as_ptr() && x.len() == y.len()) || x == y)
}

pub(super) fn group_result(
    stat: &Stat,
    rows: &[usize],
    values: &Column,
    keys: &[Arc<str>],
    propagate: bool,
    minimum: usize,
    // Whether to keep who a trimmed mean kept and dropped, for explanations.
    trace: bool,
) -> (GroupResult, Option<Arc<stats::Trimmed>>) {
    if rows.len() < minimum {
        return (GroupResult::TooSmall(rows.len()), None);
    }
    let first_missing = || {
        rows.iter().find_map(|&row| match values.get(row) {
            Value::Num(_) | Value::Approx(..) => None,
            Value::Missing(r) => Some(r.clone()),
            _ => Some(crate::value::Reason::new("not a number")),
        })
    };
    if let Some(r) = propagate.then(first_missing).flatten() {
        let v = Value::missing(format!("a peer's value is missing ({r})"));
        return (GroupResult::Whole(v), None);
    }
    // With nothing to skip to, say why the values are missing, not just that none is left.
    if !matches!(stat, Stat::Count) && !rows.iter().any(|&row| values.get(row).as_num().is_some()) {
        if let Some(r) = first_missing() {
            let v = Value::missing(format!("every value in the group is missing ({r})"));
            return (GroupResult::Whole(v), None);
        }
    }
    let inputs = InputBounds::of(rows, values);
    if let Stat::TrimmedMean { trim, round, ties } = stat {
        // Members by their place in `rows`: no list of them gathered.
        let value = |i: usize| rows.get(i).and_then(|&row| values.get(row).as_num());
        let key = |i: usize| rows.get(i).and_then(|&row| keys.get(row)).map_or("", |k| k);
        // Sized once: a filtered list would grow by doubling, copying and touching fresh
        // memory each time (a large group's list is megabytes).
        let mut order = Vec::with_capacity(rows.len());
        order.extend(
            rows.iter().enumerate().filter_map(|(i, &row)| values.get(row).as_num().map(|d| (stats::approx(d), i))),
        );
        return match stats::trimmed_mean_by(order, rows.len(), value, key, (*trim, *round, *ties)) {
            Ok(mut t) if trace => {
                t.order.iter_mut().for_each(|o| o.1 = rows.get(o.1).copied().unwrap_or(o.1));
                (GroupResult::Whole(inputs.result(stat, (t.mean, t.rounding))), Some(Arc::new(t)))
            }
            Ok(t) => (GroupResult::Whole(inputs.result(stat, (t.mean, t.rounding))), None),
            Err(why) => (GroupResult::Whole(Value::missing(why)), None),
        };
    }
    let mut items: Vec<Item<'_>> = Vec::with_capacity(rows.len());
    items.extend(rows.iter().filter_map(|&row| {
        values.get(row).as_num().map(|value| Item { value, key: keys.get(row).map_or("", |k| k), row })
    }));
    match stat {
        Stat::Rank { .. } | Stat::PercentileRank { .. } => {
            let per = stats::of_member(stat, &items);
            let mut by_row: HashMap<usize, approx::Near> = items.iter().zip(per).map(|(i, v)| (i.row, v)).collect();
            let per = rows
                .iter()
                .map(|r| by_row.remove(r).map_or_else(|| Value::missing("no value to rank"), Value::near))
                .collect();
            (GroupResult::PerMember(per), None)
        }
        _ => {
            let whole = stats::of_group(stat, &items).map_or_else(Value::missing, |d| inputs.result(stat, d));
            (GroupResult::Whole(whole), None)
        }
    }
}

/// How far a group's values may be from their true values, for the bound of a statistic
/// over them (see value::approx): usually all exact, and then every statistic is exact but
/// for its own rounding.
pub struct InputBounds {
    largest: Bound,
    total: f64,
}

impl InputBounds {
    pub fn of(rows: &[usize], values: &Column) -> InputBounds {
        let mut bounds = InputBounds { largest: Bound::ZERO, total: 0.0 };
        for &row in rows {
            if let Value::Approx(_, b) = values.get(row) {
                bounds.largest = bounds.largest.max(*b);
                bounds.total += b.get();
            }
        }
        bounds
    }

    /// The statistic's value, `(value, its own rounding)`, with the bound its inputs add.
    /// A sum moves by the sum of its inputs' bounds; every other statistic (order
    /// statistics, means, their interpolations) by the largest. Counts do not move; ranks
    /// are decided on the computed values (the README says so).
    pub fn result(&self, stat: &Stat, (value, own): approx::Near) -> Value {
        let moved = match stat {
            Stat::Count | Stat::Rank { .. } | Stat::PercentileRank { .. } => 0.0,
            Stat::Sum => self.total,
            _ => self.largest.get(),
        };
        Value::near((value, Bound::at_least(own.get() + moved)))
    }
}

/// Each group's rows, in a list of its exact size (grown by doubling, a large group's list
/// would be copied and fresh memory touched over again).
pub(super) fn rows_by_group(of_row: &[Option<usize>], groups: usize) -> Vec<Vec<usize>> {
    let mut sizes = vec![0usize; groups];
    for g in of_row.iter().flatten() {
        if let Some(size) = sizes.get_mut(*g) {
            // At most the row count.
            *size = size.saturating_add(1);
        }
    }
    let mut rows: Vec<Vec<usize>> = sizes.iter().map(|size| Vec::with_capacity(*size)).collect();
    for (row, g) in of_row.iter().enumerate() {
        if let Some(r) = g.and_then(|g| rows.get_mut(g)) {
            r.push(row);
        }
    }
    rows
}

/// The groups' results as a column of `n` rows. One value per group (most statistics):
/// the rows share their group's; else each row gets its own.
pub(super) fn spread(groups: &Groups, results: Vec<GroupResult>, n: usize) -> Column {
    if !results.iter().any(|r| matches!(r, GroupResult::PerMember(_))) {
        let values = results
            .into_iter()
            .map(|result| match result {
                GroupResult::Whole(v) => v,
                GroupResult::TooSmall(size) => too_small(size, groups.minimum),
                GroupResult::PerMember(_) => Value::missing("a value per member"),
            })
            .collect();
        let grouped = Grouped { of_row: groups.of_row.clone(), values, ungrouped: groups.ungrouped.clone() };
        return Column::Grouped(Arc::new(grouped));
    }
    let mut out: Vec<Value> = vec![groups.ungrouped.clone(); n];
    for (rows, result) in groups.rows.iter().zip(results) {
        match result {
            GroupResult::Whole(v) => rows.iter().for_each(|r| set(&mut out, *r, v.clone())),
            GroupResult::PerMember(vs) => rows.iter().zip(vs).for_each(|(r, v)| set(&mut out, *r, v)),
            GroupResult::TooSmall(size) => {
                let v = too_small(size, groups.minimum);
                rows.iter().for_each(|r| set(&mut out, *r, v.clone()));
            }
        }
    }
    Column::from_vec(out)
}
