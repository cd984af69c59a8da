//! The columnar evaluator: one formula over every entity of a period at once.
//!
//! Values are exact decimals; a missing input, a division by zero or a too-small peer
//! group gives `missing(reason)`, which flows through every operation and into the
//! output. Each KPI, parameter and figure is computed once per index key and cached.

mod groups;
mod previous;
pub use groups::{too_small, InputBounds};
pub use previous::Previous;

use super::column::{Column, Grouped};
use super::frame::Frame;
use super::model::Model;
use super::ops;
use super::params;
use super::stats::{self, Item, Stat};
use crate::ast::*;
use crate::check::symbols::Item as Sym;
use crate::data::FieldKey;
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::source::{Name, Span, Spanned};
use crate::value::{approx, Bound, Value};
use rayon::prelude::*;
use rust_decimal::Decimal;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// What a formula is evaluated within: index variables bound to members, and the
/// methodology whose figures and peer group it may use.
#[derive(Debug, Clone, Default)]
pub struct Env<'e> {
    pub bindings: Vec<(&'e str, Arc<str>)>,
    pub methodology: Option<&'e str>,
    /// A policy's loop variable: `s.FIELD` is the row's field.
    pub record: Option<&'e str>,
    /// A grouped policy's variable and `by` fields: statistics `over` it are taken over
    /// each group's rows.
    pub group: Option<(&'e str, &'e [Name])>,
}

impl<'e> Env<'e> {
    pub fn bound(&self, var: &str) -> Option<&Arc<str>> {
        self.bindings.iter().rev().find(|(v, _)| *v == var).map(|(_, m)| m)
    }

    pub fn with(decls: &'e [Spanned<IndexDecl>], key: &[String], methodology: Option<&'e str>) -> Env<'e> {
        Env {
            bindings: decls.iter().zip(key).map(|(d, k)| (d.node.var.node.as_str(), Arc::from(k.as_str()))).collect(),
            methodology,
            record: None,
            group: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    Kpi(String),
    Figure(String, String),
    Param(String),
    Field(String),
}

/// Entities grouped for a statistic: the group of each row and the rows of each group.
#[derive(Debug, Clone)]
pub struct Groups {
    /// Shared with the statistics' results over these groups ([`Grouped`]).
    pub of_row: Arc<Vec<Option<usize>>>,
    pub rows: Vec<Vec<usize>>,
    pub labels: Vec<String>,
    pub minimum: usize,
    /// Why a row has no group (its grouping field is missing).
    pub ungrouped: Value,
}

/// Where a statistic was taken: its span, the methodology, and the index variables' members.
pub type StatSite = (Span, Option<String>, Vec<(String, String)>);

/// Each group's trimmed mean with the members it kept (none where it has no statistic).
pub type Trimmings = Vec<Option<Arc<stats::Trimmed>>>;

/// Where a methodology's peer groups are taken, its minimum, and the groups below it.
type SmallGroups = (Span, usize, Vec<(String, usize)>);

/// The evaluator of the whole peer frame that a one-entity evaluator hands its statistics
/// to, and the entity's row in it: `assay explain` computes one entity's arithmetic alone,
/// and only what a statistic needs over the group.
pub struct Peers<'m, 'a> {
    pub ev: Box<Evaluator<'m, 'a>>,
    pub row: usize,
}

pub struct Evaluator<'m, 'a> {
    pub model: &'m Model<'a>,
    pub frame: &'m Frame<'m>,
    pub scripts: Option<&'m super::script::ScriptHost>,
    cache: HashMap<(Target, Vec<String>), Column>,
    in_progress: HashSet<(Target, Vec<String>)>,
    groups: HashMap<Option<String>, Arc<Groups>>,
    warned: HashSet<(String, String)>,
    /// Peer groups below their minimum, by methodology: where, the minimum, (label, size).
    small_groups: std::collections::BTreeMap<String, SmallGroups>,
    pub diagnostics: Vec<Diagnostic>,
    /// What the evaluation exercised, when someone asked (`assay test --coverage`).
    pub recorder: Option<super::coverage::Recorder>,
    /// Each trimmed mean's choice of members, when someone asked: `assay explain` lists them
    /// and checks the choice rather than making it again.
    pub trimmings: Option<HashMap<StatSite, Trimmings>>,
    /// Where statistics are taken when this evaluator's frame is one entity of a group.
    pub peers: Option<Peers<'m, 'a>>,
    /// Each methodology's `scale` column, computed once for all its totals.
    scales: HashMap<String, Column>,
    /// The period before, where `previous(x)` is read (policies over entities).
    pub previous: Option<Previous<'m, 'a>>,
}

impl<'m, 'a> Evaluator<'m, 'a> {
    pub fn new(model: &'m Model<'a>, frame: &'m Frame<'m>, scripts: Option<&'m super::script::ScriptHost>) -> Self {
        Evaluator {
            model,
            frame,
            scripts,
            cache: HashMap::new(),
            in_progress: HashSet::new(),
            groups: HashMap::new(),
            warned: HashSet::new(),
            small_groups: std::collections::BTreeMap::new(),
            diagnostics: Vec::new(),
            recorder: None,
            trimmings: None,
            peers: None,
            scales: HashMap::new(),
            previous: None,
        }
    }

    /// The columns and groups this evaluator (and its peer evaluator) computed, owned, to
    /// be freed elsewhere ([`crate::discard::later`]).
    pub fn into_results(self) -> Vec<(Vec<Column>, Vec<Arc<Groups>>)> {
        let mut out = vec![(self.cache.into_values().collect(), self.groups.into_values().collect())];
        if let Some(p) = self.peers {
            out.extend(p.ev.into_results());
        }
        out
    }

    /// A methodology's `scale` expression over every entity, computed once.
    pub fn scale(&mut self, scale: &Expr, env: &Env<'_>) -> Column {
        let key = env.methodology.unwrap_or_default().to_string();
        if let Some(c) = self.scales.get(&key) {
            return c.clone();
        }
        let column = self.eval(scale, env);
        self.scales.insert(key, column.clone());
        column
    }

    /// Keep each trimmed mean's choice of members (here and in the peer evaluator).
    pub fn keep_trimmings(&mut self) {
        self.trimmings.get_or_insert_with(HashMap::new);
        if let Some(p) = self.peers.as_mut() {
            p.ev.keep_trimmings();
        }
    }

    /// The evaluator that takes statistics, and the row `row` of this frame has in it.
    pub fn for_statistics(&mut self, row: usize) -> (&mut Evaluator<'m, 'a>, usize) {
        match self.peers {
            Some(ref mut p) => (&mut p.ev, p.row),
            None => (self, row),
        }
    }

    /// Where `aggregate` is taken in `env` (see [`StatSite`]).
    pub fn stat_site(aggregate: &Expr, env: &Env<'_>) -> StatSite {
        (
            aggregate.span,
            env.methodology.map(str::to_string),
            env.bindings.iter().map(|(v, m)| (v.to_string(), m.to_string())).collect(),
        )
    }

    pub fn rows(&self) -> usize {
        self.frame.keys.len()
    }

    // ------------------------------------------------------------ named figures

    /// A KPI, parameter, field or methodology figure for one index key, computed once.
    pub fn target(&mut self, target: &Target, key: &[String]) -> Column {
        let cache_key = (target.clone(), key.to_vec());
        if let Some(c) = self.cache.get(&cache_key) {
            return c.clone();
        }
        if !self.in_progress.insert(cache_key.clone()) {
            return Column::Const(Value::missing("circular definition"));
        }
        if let Some(r) = self.recorder.as_mut() {
            r.target(target);
        }
        let column = match target {
            Target::Field(name) => self
                .frame
                .field(&FieldKey { field: name.clone(), index: key.to_vec() })
                .unwrap_or_else(|| Column::Const(Value::missing(format!("no data for `{name}`")))),
            Target::Param(name) => params::value(self, name, key),
            Target::Kpi(name) => match self.model.syms.get(name).map(|s| s.item) {
                Some(Sym::Kpi(k)) => {
                    let env = Env::with(&k.indices, key, None);
                    self.eval(&k.formula, &env)
                }
                _ => Column::Const(Value::missing(format!("`{name}` is not a KPI"))),
            },
            Target::Figure(meth, fig) => match self.model.syms.figures.get(&(meth.as_str(), fig.as_str())) {
                Some(f) => {
                    let env = Env::with(&f.node.indices, key, Some(self.model.meth_name(meth)));
                    self.eval(&f.node.formula, &env)
                }
                None => Column::Const(Value::missing(format!("no figure `{meth}.{fig}`"))),
            },
        };
        self.in_progress.remove(&cache_key);
        self.cache.insert(cache_key, column.clone());
        column
    }

    /// What has been computed so far, to let go of what a step adds ([`Self::forget_since`]).
    pub fn cached(&self) -> HashSet<(Target, Vec<String>)> {
        self.cache.keys().cloned().collect()
    }

    /// Let go of the KPI and figure columns computed since `kept` was taken: a column
    /// a row long each, where memory is the cost at scale. Anything asked for again is
    /// computed again, to the same values; statistics and parameters stay.
    pub fn forget_since(&mut self, kept: &HashSet<(Target, Vec<String>)>) {
        self.cache.retain(|key, column| {
            kept.contains(key)
                || !matches!(key.0, Target::Kpi(_) | Target::Figure(..))
                || !matches!(column, Column::Values(_))
        });
    }

    /// What a name refers to in this environment, with the index sets it takes.
    pub fn resolve(&self, name: &str, env: &Env<'_>) -> Option<(Target, Vec<String>)> {
        let sets = |d: &[Spanned<IndexDecl>]| d.iter().map(|i| i.node.set.node.clone()).collect::<Vec<_>>();
        if let Some(meth) = env.methodology {
            if let Some(f) = self.model.syms.figures.get(&(meth, name)) {
                return Some((Target::Figure(meth.to_string(), name.to_string()), sets(&f.node.indices)));
            }
        }
        match self.model.syms.get(name).map(|s| s.item) {
            Some(Sym::Field { field, .. }) => Some((Target::Field(name.to_string()), sets(&field.indices))),
            Some(Sym::Param(p)) => Some((Target::Param(name.to_string()), sets(&p.indices))),
            Some(Sym::Kpi(k)) => Some((Target::Kpi(name.to_string()), sets(&k.indices))),
            _ => None,
        }
    }

    // ------------------------------------------------------------ expressions

    pub fn eval(&mut self, e: &Expr, env: &Env<'_>) -> Column {
        match &e.node {
            ExprKind::Number(d) => Column::Const(Value::Num(*d)),
            ExprKind::Percent(p) => Column::Const(Value::Num(crate::value::format::from_percent(*p))),
            ExprKind::Money { amount, magnitude, .. } => {
                let factor = magnitude.map_or(Decimal::ONE, Magnitude::factor);
                Column::Const(amount.checked_mul(factor).map_or_else(|| Value::missing("amount too large"), Value::Num))
            }
            ExprKind::Date(d) => Column::Const(Value::Date(*d)),
            ExprKind::Text(t) => Column::Const(Value::Text(t.as_str().into())),
            ExprKind::Bool(b) => Column::Const(Value::Bool(*b)),
            ExprKind::Name(n) => self.name(n, env),
            ExprKind::Index { target, indices } => self.index(target, indices, env),
            ExprKind::Member { target, member } => self.member(target, member, env),
            ExprKind::Call { function, args } => self.call(function, args, env),
            ExprKind::Over { aggregate, group } => self.over(aggregate, group, env),
            ExprKind::Unary { op, operand } => {
                let v = self.eval(operand, env);
                ops::map1_owned(v, self.rows(), |x| ops::unary(*op, x))
            }
            ExprKind::Chain { first, links } => {
                // Left to right, in a loop: `(a + b) - c`, however long the chain.
                let mut acc = self.eval(first, env);
                for Link { op, operand } in links {
                    let b = self.eval(operand, env);
                    acc = ops::map2_owned(acc, b, self.rows(), |x, y| ops::binary(op.node, x, y));
                }
                acc
            }
            ExprKind::If { condition, then, otherwise } => {
                let c = self.eval(condition, env);
                if let Some(r) = self.recorder.as_mut() {
                    r.arms(e.span, &c, self.frame.keys.len());
                }
                let t = self.eval(then, env);
                let o = self.eval(otherwise, env);
                ops::choose(&c, &t, &o, self.rows())
            }
        }
    }

    fn name(&mut self, n: &str, env: &Env<'_>) -> Column {
        if let Some(m) = env.bound(n) {
            return Column::Const(Value::Member(m.clone()));
        }
        if let Some((target, _)) = self.resolve(n, env) {
            return self.target(&target, &[]);
        }
        // Classes, activities, functions and set members stand for themselves.
        Column::Const(Value::Member(n.into()))
    }

    fn index(&mut self, target: &Expr, indices: &[Expr], env: &Env<'_>) -> Column {
        let resolved = match &target.node {
            ExprKind::Name(n) => self.resolve(n, env),
            ExprKind::Member { target: inner, member } => self.other_figure(inner, member),
            _ => None,
        };
        let Some((target, _)) = resolved else {
            return Column::Const(Value::missing("not an indexed figure"));
        };
        let keys: Vec<Column> = indices.iter().map(|i| self.eval(i, env)).collect();
        // All indices fixed (a bound variable or a member): one lookup.
        let constant: Option<Vec<String>> = keys
            .iter()
            .map(|k| match k {
                Column::Const(v) => v.as_text().map(str::to_string),
                Column::Values(_) | Column::Grouped(_) => None,
            })
            .collect();
        if let Some(key) = constant {
            return self.target(&target, &key);
        }
        if let Some(Column::Const(Value::Missing(r))) =
            keys.iter().find(|k| matches!(k, Column::Const(Value::Missing(_))))
        {
            return Column::Const(Value::Missing(r.clone()));
        }
        // Some index varies by entity (such as `rate[org_type]`): fetch each distinct key
        // once, then pick each row's value from its key's column.
        let n = self.rows();
        let RowKeys { of_row: key_of_row, keys: distinct, missing: missing_of_row } = row_keys(&keys, n);
        let columns: Vec<Column> = distinct.into_iter().map(|key| self.target(&target, &key)).collect();
        // One value per key (a parameter by org type, say) and every row keyed: the rows
        // share their key's value, and what is computed from it is computed once per key.
        let consts: Option<Vec<Value>> = columns
            .iter()
            .map(|c| match c {
                Column::Const(v) => Some(v.clone()),
                _ => None,
            })
            .collect();
        if let (Some(values), true) = (consts, missing_of_row.is_empty()) {
            let of_row = Arc::new(key_of_row);
            return Column::Grouped(Arc::new(Grouped { of_row, values, ungrouped: Value::missing("no index") }));
        }
        let pick = |row: usize| match key_of_row.get(row).copied().flatten() {
            Some(id) => columns.get(id).map_or_else(|| Value::missing("no value"), |c| c.get(row).clone()),
            None => missing_of_row.get(row).cloned().flatten().unwrap_or_else(|| Value::missing("no index")),
        };
        Column::from_vec((0..n).map(pick).collect())
    }

    pub fn other_figure(&self, target: &Expr, member: &Name) -> Option<(Target, Vec<String>)> {
        let ExprKind::Name(meth) = &target.node else { return None };
        let f = self.model.syms.figures.get(&(meth.as_str(), member.node.as_str()))?;
        Some((
            Target::Figure(meth.clone(), member.node.clone()),
            f.node.indices.iter().map(|i| i.node.set.node.clone()).collect(),
        ))
    }

    fn member(&mut self, target: &Expr, member: &Name, env: &Env<'_>) -> Column {
        if let ExprKind::Name(n) = &target.node {
            if env.record == Some(n.as_str()) {
                return self.target(&Target::Field(member.node.clone()), &[]);
            }
            if let Some(m) = env.bound(n) {
                let text = self.model.member_property(m, &member.node);
                return Column::Const(text.map_or_else(
                    || Value::missing(format!("`{m}` has no `{}`", member.node)),
                    |t| Value::Text(t.into()),
                ));
            }
            if let Some((target, _)) = self.other_figure(target, member) {
                return self.target(&target, &[]);
            }
        }
        Column::Const(Value::missing(format!("no member `{}`", member.node)))
    }

    // ------------------------------------------------------------ calls and statistics

    fn call(&mut self, function: &Name, args: &[Argument], env: &Env<'_>) -> Column {
        let n = self.rows();
        if function.node == "previous" {
            return match args.first() {
                Some(a) => self.previous_of(&a.value, env),
                None => Column::Const(Value::missing("no argument")),
            };
        }
        let positional: Vec<&Expr> = args.iter().filter(|a| a.name.is_none()).map(|a| &a.value).collect();
        let values: Vec<Column> = positional.iter().map(|e| self.eval(e, env)).collect();
        match function.node.as_str() {
            "min" | "max" => {
                let max = function.node == "max";
                let mut values = values.into_iter();
                let mut acc = values.next().unwrap_or(Column::Const(Value::missing("no arguments")));
                for v in values {
                    acc = ops::map2_owned(acc, v, n, |a, b| ops::extreme(a, b, max));
                }
                acc
            }
            "abs" => ops::map1(values.first().unwrap_or(&Column::Const(Value::missing("no argument"))), n, ops::abs),
            "round" => {
                let places = self
                    .named_number(args, "places", env)
                    .and_then(|d| u32::try_from(d.trunc().mantissa()).ok())
                    .unwrap_or(0);
                ops::map1(values.first().unwrap_or(&Column::Const(Value::missing("no argument"))), n, |v| {
                    ops::round(v, places)
                })
            }
            "coalesce" => match (values.first(), values.get(1)) {
                (Some(a), Some(b)) => ops::map2(a, b, n, |x, y| if x.is_missing() { y.clone() } else { x.clone() }),
                _ => Column::Const(Value::missing("coalesce needs two values")),
            },
            "is_missing" => ops::map1(values.first().unwrap_or(&Column::Const(Value::missing(""))), n, |v| {
                Value::Bool(v.is_missing())
            }),
            "class" => {
                // Each activity's class made once and shared by its rows: a million rows
                // would otherwise allocate a million copies of a few class names.
                let classes: rustc_hash::FxHashMap<&str, Value> = self
                    .model
                    .syms
                    .names
                    .iter()
                    .filter_map(|(name, sym)| match sym.item {
                        Sym::Activity { activity, .. } => {
                            Some((*name, Value::Member(activity.class.node.as_str().into())))
                        }
                        _ => None,
                    })
                    .collect();
                ops::map1(values.first().unwrap_or(&Column::Const(Value::missing("no argument"))), n, |v| match v {
                    Value::Member(a) | Value::Text(a) => classes
                        .get(a.as_ref())
                        .cloned()
                        .unwrap_or_else(|| Value::missing(format!("`{a}` is not an activity"))),
                    other => other.clone(),
                })
            }
            name => match self.scripts {
                Some(host) => host.call(name, &values, n, function.span, &mut self.diagnostics),
                None => Column::Const(Value::missing(format!("no function `{name}`"))),
            },
        }
    }

    pub fn named_number(&mut self, args: &[Argument], name: &str, env: &Env<'_>) -> Option<Decimal> {
        let arg = args.iter().find(|a| a.name.as_ref().is_some_and(|n| n.node == name))?;
        match self.eval(&arg.value, env) {
            Column::Const(Value::Num(d)) => Some(d),
            _ => None,
        }
    }

    pub fn named_word<'x>(args: &'x [Argument], name: &str) -> Option<&'x str> {
        let arg = args.iter().find(|a| a.name.as_ref().is_some_and(|n| n.node == name))?;
        match &arg.value.node {
            ExprKind::Name(w) => Some(w.as_str()),
            _ => None,
        }
    }

    /// Report what the evaluation noticed: one warning per methodology with small groups.
    pub fn finish(&mut self) {
        if let Some(p) = self.peers.as_mut() {
            p.ev.finish();
            for d in std::mem::take(&mut p.ev.diagnostics) {
                if !self.diagnostics.iter().any(|x| x.code == d.code && x.message == d.message) {
                    self.diagnostics.push(d);
                }
            }
        }
        for (meth, (span, minimum, groups)) in std::mem::take(&mut self.small_groups) {
            let listed: Vec<String> = groups.iter().take(6).map(|(l, n)| format!("`{l}` ({n})")).collect();
            let more = match groups.len().checked_sub(6) {
                Some(more) if more > 0 => format!(" and {more} more"),
                _ => String::new(),
            };
            let whose = if meth.is_empty() { String::new() } else { format!(" of `{meth}`") };
            let count = groups.len();
            self.diagnostics.push(
                Diagnostic::new(
                    Code::GroupTooSmall,
                    format!(
                        "{count} peer group{}{whose} {} fewer than {minimum} members in {}: {}{more}",
                        if count == 1 { "" } else { "s" },
                        if count == 1 { "has" } else { "have" },
                        self.frame.period_label(),
                        listed.join(", ")
                    ),
                )
                .primary(span, "statistics over these groups are missing")
                .help("lower the methodology's `minimum`, group more broadly, or accept these figures as missing"),
            );
        }
    }
}

/// Rows keyed by the values of their indices, each distinct key numbered once.
struct RowKeys {
    /// Each row's key number, none where an index is missing.
    of_row: Vec<Option<usize>>,
    /// The keys by number, in order of first appearance.
    keys: Vec<Vec<String>>,
    /// Why each row has no key (empty when every row has one).
    missing: Vec<Option<Value>>,
}

/// Key each of the `n` rows by its `indices`' values: the distinct keys are found with one
/// borrowed lookup per row, so each is fetched once however many rows share it.
fn row_keys(indices: &[Column], n: usize) -> RowKeys {
    let mut key_of_row: Vec<Option<usize>> = Vec::with_capacity(n);
    let mut distinct: rustc_hash::FxHashMap<Vec<&str>, usize> = rustc_hash::FxHashMap::default();
    let mut missing_of_row: Vec<Option<Value>> = Vec::new();
    let mut buffer: Vec<&str> = Vec::with_capacity(indices.len());
    for row in 0..n {
        buffer.clear();
        let mut missing = None;
        for k in indices {
            match k.get(row) {
                Value::Missing(r) => missing = Some(Value::Missing(r.clone())),
                v => buffer.push(v.as_text().unwrap_or_default()),
            }
        }
        if let Some(m) = missing {
            if missing_of_row.is_empty() {
                missing_of_row = vec![None; n];
            }
            if let Some(slot) = missing_of_row.get_mut(row) {
                *slot = Some(m);
            }
            key_of_row.push(None);
            continue;
        }
        let next = distinct.len();
        let id = match distinct.get(buffer.as_slice()) {
            Some(id) => *id,
            None => {
                distinct.insert(buffer.clone(), next);
                next
            }
        };
        key_of_row.push(Some(id));
    }
    let mut by_id: Vec<(usize, Vec<String>)> =
        distinct.iter().map(|(k, id)| (*id, k.iter().map(|s| s.to_string()).collect())).collect();
    by_id.sort();
    RowKeys { of_row: key_of_row, keys: by_id.into_iter().map(|(_, key)| key).collect(), missing: missing_of_row }
}
