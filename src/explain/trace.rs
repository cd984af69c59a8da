//! The tracer: one entity's value of a formula, sub-expression by sub-expression, with a
//! node for every input it reads.
//!
//! It runs beside the columnar evaluator, never inside it: referenced KPIs, fields and
//! figures are read from the evaluator's (cached) columns, and each sub-expression is
//! recomputed for the one entity with the same element-wise operations (`eval::ops`), so
//! the traced value must equal the fast path's; [`Tracer::definition`] checks that it does.

use super::cells;
use super::graph::*;
use crate::ast::*;
use crate::check::exprs::{ExprChecker, Scope, Ty};
use crate::check::symbols::Item as Sym;
use crate::check::units::Dim;
use crate::codes::Code;
use crate::data::FieldKey;
use crate::diagnostic::Diagnostic;
use crate::eval::engine::{Env, Evaluator, Target};
use crate::eval::model::Model;
use crate::eval::ops;
use crate::eval::run::{unit_out, UnitOut};
use crate::eval::stats::{self, Stat, TieOrder, TrimRound};
use crate::eval::value::{Column, Value};
use rayon::prelude::*;
use rust_decimal::Decimal;
use std::collections::HashMap;

/// Where a node stands: its target, index key, and entity row (none for parameters, whose
/// values do not depend on the entity).
type NodeKey = (Target, Vec<String>, Option<usize>);

pub struct Tracer<'t, 'm, 'a> {
    pub ev: &'t mut Evaluator<'m, 'a>,
    pub model: &'m Model<'a>,
    pub nodes: Vec<Node>,
    seen: HashMap<NodeKey, usize>,
    max_depth: Option<usize>,
    /// Each dataset's delimiter, to find a cell in its line.
    delimiters: HashMap<String, u8>,
    checker: ExprChecker<'m, 'a>,
    /// `--period P` for the selectors of nodes.
    period_arg: String,
    /// Disagreements between the tracer and the fast path (internal errors).
    pub problems: Vec<Diagnostic>,
}

/// What a formula is traced within: bindings, methodology, and the checker's scope.
struct Ctx<'e> {
    env: Env<'e>,
    scope: Scope<'e>,
    row: usize,
    depth: usize,
}

const MONEY_SIGNS: &[&str] = &["£", "$", "€"];

impl<'t, 'm, 'a> Tracer<'t, 'm, 'a> {
    pub fn new(ev: &'t mut Evaluator<'m, 'a>, max_depth: Option<usize>, delimiters: HashMap<String, u8>) -> Self {
        let model = ev.model;
        let period = ev.frame.period.to_string();
        // Keep each trimmed mean's members, to list them without trimming again.
        ev.keep_trimmings();
        Tracer {
            ev,
            model,
            nodes: Vec::new(),
            seen: HashMap::new(),
            max_depth,
            delimiters,
            checker: ExprChecker::new(&model.syms, &model.units),
            period_arg: if period.is_empty() { String::new() } else { format!(" --period {period}") },
            problems: Vec::new(),
        }
    }

    pub fn max_depth(&self) -> Option<usize> {
        self.max_depth
    }

    /// Trace a methodology-level expression (its `scale`) for one entity.
    pub fn trace_expr(
        &mut self,
        e: &Expr,
        meth: &'m str,
        row: usize,
        depth: usize,
    ) -> (Value, UnitOut, Rule, Vec<usize>) {
        let peers = self.model.methodology(meth).is_some_and(|d| d.peers.is_some());
        let scope = Scope { methodology: Some((meth, peers)), ..Scope::default() };
        let ctx = Ctx { env: Env { bindings: Vec::new(), methodology: Some(meth) }, scope, row, depth };
        let (mut terms, mut inputs, mut truncated) = (Vec::new(), Vec::new(), false);
        let (value, unit) = self.walk(e, &ctx, &mut terms, &mut inputs, &mut truncated);
        (value, unit, self.rule(e.span, terms), inputs)
    }

    fn expands(&self, depth: usize) -> bool {
        self.max_depth.is_none_or(|m| depth < m)
    }

    fn entity(&self, row: usize) -> String {
        self.ev.frame.keys.get(row).map(|k| k.to_string()).unwrap_or_default()
    }

    /// The arguments that explain `name[key]` on its own.
    pub fn selector(&self, target: &Target, key: &[String], row: Option<usize>) -> String {
        let name = match target {
            Target::Kpi(n) | Target::Param(n) | Target::Field(n) => n.clone(),
            Target::Figure(_, f) => f.clone(),
        };
        let indexed = if key.is_empty() { name } else { format!("{name}[{}]", key.join(",")) };
        let meth = match target {
            Target::Figure(m, _) => format!(" --methodology {m}"),
            _ => String::new(),
        };
        let entity = row.map_or(String::new(), |r| format!(" --entity {}", self.entity(r)));
        let period = if row.is_some() { self.period_arg.as_str() } else { "" };
        format!("{indexed}{meth}{entity}{period}")
    }

    // ------------------------------------------------------------ definitions

    /// The node of a KPI, figure, parameter or field for one entity (computed once).
    pub fn definition(&mut self, target: &Target, key: &[String], row: usize, depth: usize) -> usize {
        let row_key = if matches!(target, Target::Param(_)) { None } else { Some(row) };
        let node_key = (target.clone(), key.to_vec(), row_key);
        if let Some(id) = self.seen.get(&node_key) {
            return *id;
        }
        let fast = self.ev.target(target, key).get(row).clone();
        let id = self.nodes.len();
        self.seen.insert(node_key, id);
        let name = if key.is_empty() {
            target_name(target).to_string()
        } else {
            format!("{}[{}]", target_name(target), key.join(","))
        };
        let mut node = Node::new(Kind::Field, name, fast.clone(), self.declared_unit(target));
        node.entity = row_key.map(|r| self.entity(r));
        node.selector = Some(self.selector(target, key, row_key));
        self.nodes.push(node);
        let model = self.model;
        let traced = match target {
            Target::Kpi(n) => match model.syms.get(n).map(|s| s.item) {
                Some(Sym::Kpi(k)) => {
                    let ctx = Ctx {
                        env: Env::with(&k.indices, key, None),
                        scope: Scope::with_indices(&k.indices),
                        row,
                        depth,
                    };
                    self.set_index(id, &k.indices, key);
                    let whole = model.syms.get(n).map_or(k.formula.span, |s| s.span.to(k.formula.span));
                    Some(self.formula(id, Kind::Kpi, &k.formula, whole, &ctx))
                }
                _ => None,
            },
            Target::Figure(m, f) => match model.syms.figures.get(&(m.as_str(), f.as_str())) {
                Some(fig) => {
                    let meth = model.meth_name(m);
                    let peers = model.methodology(m).is_some_and(|d| d.peers.is_some());
                    let mut scope = Scope::with_indices(&fig.node.indices);
                    scope.methodology = Some((meth, peers));
                    let ctx = Ctx { env: Env::with(&fig.node.indices, key, Some(meth)), scope, row, depth };
                    self.set_index(id, &fig.node.indices, key);
                    if let Some(n) = self.nodes.get_mut(id) {
                        n.methodology = Some(m.clone());
                    }
                    Some(self.formula(id, Kind::Figure, &fig.node.formula, fig.span, &ctx))
                }
                None => None,
            },
            Target::Param(n) => self.param(id, n, key, depth),
            Target::Field(n) => {
                let field_key = FieldKey { field: n.clone(), index: key.to_vec() };
                let found = cells::cells(self.ev.frame, &field_key, row, &self.delimiters);
                if let Some(node) = self.nodes.get_mut(id) {
                    node.cells = found;
                    if let Some(Sym::Field { field, .. }) = model.syms.get(n).map(|s| s.item) {
                        node.index = labelled(&field.indices, key);
                    }
                }
                None
            }
        };
        if let Some(traced) = traced {
            if !same(&traced, &fast) {
                let span = self.nodes.get(id).and_then(|n| n.rule.as_ref()).map(|r| r.span);
                let name = self.nodes.get(id).map(|n| n.name.clone()).unwrap_or_default();
                let mut d = Diagnostic::new(
                    Code::InternalError,
                    format!("explaining `{name}` gives {traced} but evaluation gives {fast}"),
                )
                .help("the explanation and the evaluation disagree: please report this with the command you ran");
                if let Some(s) = span {
                    d = d.primary(s, "traced here");
                }
                self.problems.push(d);
            }
        }
        id
    }

    fn set_index(&mut self, id: usize, decls: &[crate::source::Spanned<IndexDecl>], key: &[String]) {
        if let Some(n) = self.nodes.get_mut(id) {
            n.index = labelled(decls, key);
        }
    }

    /// Trace a formula into node `id`; `whole` is the text shown as its rule.
    fn formula(&mut self, id: usize, kind: Kind, formula: &Expr, whole: crate::source::Span, ctx: &Ctx<'_>) -> Value {
        let mut terms = Vec::new();
        let mut inputs = Vec::new();
        let mut truncated = false;
        let (value, _) = self.walk(formula, ctx, &mut terms, &mut inputs, &mut truncated);
        let rule = self.rule(whole, terms);
        if let Some(n) = self.nodes.get_mut(id) {
            n.kind = kind;
            n.rule = Some(rule);
            n.inputs = inputs;
            n.truncated = truncated;
        }
        value
    }

    pub fn rule(&self, span: crate::source::Span, terms: Vec<Term>) -> Rule {
        let file = self.model.tree.files.get(span.file);
        let (line, column) = file.map_or((0, 0), |f| f.line_col(span.start));
        Rule {
            span,
            file: file.map(|f| f.name.clone()).unwrap_or_default(),
            line,
            column,
            text: file.map(|f| f.slice(span).to_string()).unwrap_or_default(),
            terms,
        }
    }

    /// A parameter's value in force: its entry, date and citations.
    fn param(&mut self, id: usize, name: &str, key: &[String], depth: usize) -> Option<Value> {
        let model = self.model;
        let Some(Sym::Param(p)) = model.syms.get(name).map(|s| s.item) else { return None };
        let date = self.ev.frame.date;
        let cites = p
            .cites
            .iter()
            .map(|c| match &c.node.locator {
                Some(l) => format!("{} {}", c.node.source.node, l.node),
                None => c.node.source.node.clone(),
            })
            .collect();
        let entry = crate::eval::params::in_force(p, key, date);
        if let Some(n) = self.nodes.get_mut(id) {
            n.kind = Kind::Param;
            n.index = labelled(&p.indices, key);
            n.param =
                Some(ParamInfo { since: entry.and_then(|e| e.node.since.as_ref().map(|s| s.node)), on: date, cites });
        }
        let entry = entry?;
        let ctx = Ctx { env: Env::default(), scope: Scope { constant: true, ..Scope::default() }, row: 0, depth };
        Some(self.formula(id, Kind::Param, &entry.node.value, entry.span, &ctx))
    }

    // ------------------------------------------------------------ expressions

    /// The value of `e` for the context's entity, noting each sub-expression as a term and
    /// each referenced definition as an input.
    fn walk(
        &mut self,
        e: &Expr,
        ctx: &Ctx<'_>,
        terms: &mut Vec<Term>,
        inputs: &mut Vec<usize>,
        truncated: &mut bool,
    ) -> (Value, UnitOut) {
        let plain = plain_unit();
        match &e.node {
            ExprKind::Number(d) => (Value::Num(*d), plain),
            ExprKind::Percent(p) => (Value::Num(*p / Decimal::ONE_HUNDRED), percent_unit()),
            ExprKind::Money { .. } | ExprKind::Date(_) | ExprKind::Text(_) | ExprKind::Bool(_) => {
                // Constants: the fast path's own value, which does not depend on the entity.
                let v = self.ev.eval(e, &ctx.env).get(0).clone();
                let unit = self.infer_unit(e, &ctx.scope, &[]);
                (v, unit)
            }
            ExprKind::Name(n) => {
                if let Some(m) = ctx.env.bound(n) {
                    return (Value::Member(m.clone()), plain);
                }
                match self.ev.resolve(n, &ctx.env) {
                    Some((target, _)) => self.reference(e, e.span, &target, &[], ctx, terms, inputs, truncated),
                    None => (Value::Member(n.as_str().into()), plain),
                }
            }
            ExprKind::Index { target, indices } => {
                let resolved = match &target.node {
                    ExprKind::Name(n) => self.ev.resolve(n, &ctx.env),
                    ExprKind::Member { target: inner, member } => self.ev.other_figure(inner, member),
                    _ => None,
                };
                let keys: Vec<Value> = indices.iter().map(|i| self.walk(i, ctx, terms, inputs, truncated).0).collect();
                let Some((resolved, _)) = resolved else {
                    return (Value::missing("not an indexed figure"), plain);
                };
                if let Some(Value::Missing(r)) = keys.iter().find(|k| k.is_missing()) {
                    return (Value::Missing(r.clone()), self.declared_unit(&resolved));
                }
                let key: Vec<String> = keys.iter().map(|k| k.as_text().unwrap_or_default().to_string()).collect();
                self.reference(e, target.span, &resolved, &key, ctx, terms, inputs, truncated)
            }
            ExprKind::Member { target, member } => {
                if let ExprKind::Name(n) = &target.node {
                    if let Some(m) = ctx.env.bound(n) {
                        let text = self.model.member_property(m, &member.node);
                        let v = text.map_or_else(
                            || Value::missing(format!("`{m}` has no `{}`", member.node)),
                            |t| Value::Text(t.into()),
                        );
                        return (v, plain);
                    }
                    if let Some((resolved, _)) = self.ev.other_figure(target, member) {
                        return self.reference(e, e.span, &resolved, &[], ctx, terms, inputs, truncated);
                    }
                }
                (Value::missing(format!("no member `{}`", member.node)), plain)
            }
            ExprKind::Call { function, args } => self.call(e, function, args, ctx, terms, inputs, truncated),
            ExprKind::Over { aggregate, group } => self.over(e, aggregate, group, ctx, terms, inputs, truncated),
            ExprKind::Unary { op, operand } => {
                let (v, u) = self.walk(operand, ctx, terms, inputs, truncated);
                (ops::unary(*op, &v), u)
            }
            ExprKind::Binary { op, lhs, rhs } => {
                let (a, ua) = self.walk(lhs, ctx, terms, inputs, truncated);
                let (b, ub) = self.walk(rhs, ctx, terms, inputs, truncated);
                let v = ops::binary(op.node, &a, &b);
                // A product or quotient of percentages is not a percentage.
                let operands = if matches!(op.node, BinaryOp::Mul | BinaryOp::Div) { vec![] } else { vec![ua, ub] };
                let unit = self.infer_unit(e, &ctx.scope, &operands);
                self.term(terms, op.span, e, &v, &unit);
                (v, unit)
            }
            ExprKind::If { condition, then, otherwise } => {
                let (c, _) = self.walk(condition, ctx, terms, inputs, truncated);
                let (t, ut) = self.walk(then, ctx, terms, inputs, truncated);
                let (o, uo) = self.walk(otherwise, ctx, terms, inputs, truncated);
                let v = match c {
                    Value::Bool(true) => t,
                    Value::Bool(false) => o,
                    Value::Missing(r) => Value::Missing(r),
                    _ => Value::missing("condition is not true or false"),
                };
                let unit = self.infer_unit(e, &ctx.scope, &[ut, uo]);
                (v, unit)
            }
        }
    }

    /// A reference to a KPI, figure, parameter or field: its node (while depth allows) and
    /// a term labelled at `label_span`.
    #[allow(clippy::too_many_arguments)]
    fn reference(
        &mut self,
        e: &Expr,
        label_span: crate::source::Span,
        target: &Target,
        key: &[String],
        ctx: &Ctx<'_>,
        terms: &mut Vec<Term>,
        inputs: &mut Vec<usize>,
        truncated: &mut bool,
    ) -> (Value, UnitOut) {
        let unit = self.declared_unit(target);
        let v = if self.expands(ctx.depth) {
            let id = self.definition(target, key, ctx.row, ctx.depth + 1);
            if !inputs.contains(&id) {
                inputs.push(id);
            }
            self.nodes.get(id).map_or_else(|| Value::missing("no node"), |n| n.value.clone())
        } else {
            *truncated = true;
            self.ev.target(target, key).get(ctx.row).clone()
        };
        self.term(terms, label_span, e, &v, &unit);
        (v, unit)
    }

    fn term(&self, terms: &mut Vec<Term>, span: crate::source::Span, e: &Expr, v: &Value, unit: &UnitOut) {
        let text = self.model.tree.files.get(e.span.file).map(|f| f.slice(e.span).to_string()).unwrap_or_default();
        terms.push(Term { span, text, value: v.clone(), unit: unit.clone() });
    }

    #[allow(clippy::too_many_arguments)]
    fn call(
        &mut self,
        e: &Expr,
        function: &crate::source::Name,
        args: &[Argument],
        ctx: &Ctx<'_>,
        terms: &mut Vec<Term>,
        inputs: &mut Vec<usize>,
        truncated: &mut bool,
    ) -> (Value, UnitOut) {
        let mut values = Vec::new();
        let mut units = Vec::new();
        for a in args.iter().filter(|a| a.name.is_none()) {
            let (v, u) = self.walk(&a.value, ctx, terms, inputs, truncated);
            values.push(v);
            units.push(u);
        }
        let first = || values.first().cloned().unwrap_or_else(|| Value::missing("no argument"));
        let v = match function.node.as_str() {
            "min" | "max" => {
                let max = function.node == "max";
                let mut it = values.iter();
                let mut acc = it.next().cloned().unwrap_or_else(|| Value::missing("no arguments"));
                for x in it {
                    acc = ops::extreme(&acc, x, max);
                }
                acc
            }
            "abs" => match first() {
                Value::Num(d) => Value::Num(d.abs()),
                other => other,
            },
            "round" => {
                let places = self
                    .ev
                    .named_number(args, "places", &ctx.env)
                    .and_then(|d| u32::try_from(d.trunc().mantissa()).ok())
                    .unwrap_or(0);
                match first() {
                    Value::Num(d) => Value::Num(
                        d.round_dp_with_strategy(places, rust_decimal::RoundingStrategy::MidpointAwayFromZero),
                    ),
                    other => other,
                }
            }
            "coalesce" => match (values.first(), values.get(1)) {
                (Some(a), Some(b)) => {
                    if a.is_missing() {
                        b.clone()
                    } else {
                        a.clone()
                    }
                }
                _ => Value::missing("coalesce needs two values"),
            },
            "is_missing" => Value::Bool(values.first().is_none_or(Value::is_missing)),
            "class" => match first() {
                Value::Member(a) | Value::Text(a) => self
                    .model
                    .class_of(&a)
                    .map_or_else(|| Value::missing(format!("`{a}` is not an activity")), |c| Value::Member(c.into())),
                other => other,
            },
            name => self.script(name, function.span, &values, ctx, inputs),
        };
        let unit = self.infer_unit(e, &ctx.scope, &units);
        let last = self.nodes.len().checked_sub(1);
        if let Some(node) = self.nodes.last_mut().filter(|n| n.kind == Kind::Script && inputs.last() == last.as_ref()) {
            node.unit = unit.clone();
        }
        self.term(terms, function.span, e, &v, &unit);
        (v, unit)
    }

    /// A rhai call for one entity: its arguments and result, as its own node.
    fn script(
        &mut self,
        name: &str,
        span: crate::source::Span,
        args: &[Value],
        ctx: &Ctx<'_>,
        inputs: &mut Vec<usize>,
    ) -> Value {
        let Some(host) = self.ev.scripts else {
            return Value::missing(format!("no function `{name}`"));
        };
        let columns: Vec<Column> = args.iter().map(|v| Column::Const(v.clone())).collect();
        let mut scratch = Vec::new();
        let v = host.call(name, &columns, 1, span, &mut scratch).get(0).clone();
        if self.expands(ctx.depth) {
            let mut node = Node::new(Kind::Script, format!("{name}(…)"), v.clone(), plain_unit());
            node.entity = Some(self.entity(ctx.row));
            node.script = Some(ScriptInfo { function: name.to_string(), arguments: args.to_vec() });
            node.rule = Some(self.rule(span, Vec::new()));
            inputs.push(self.nodes.len());
            self.nodes.push(node);
        }
        v
    }

    /// A statistic over a group: the members with their values, which were kept or
    /// trimmed and why, and the result for this entity.
    #[allow(clippy::too_many_arguments)]
    fn over(
        &mut self,
        e: &Expr,
        aggregate: &Expr,
        group: &crate::source::Name,
        ctx: &Ctx<'_>,
        terms: &mut Vec<Term>,
        inputs: &mut Vec<usize>,
        truncated: &mut bool,
    ) -> (Value, UnitOut) {
        let ExprKind::Call { function, args } = &aggregate.node else {
            return (Value::missing("not a statistic"), plain_unit());
        };
        let arg_unit = args
            .iter()
            .find(|a| a.name.is_none())
            .map(|a| self.infer_unit(&a.value, &ctx.scope, &[]))
            .unwrap_or_else(plain_unit);
        let unit = self.infer_unit(e, &ctx.scope, std::slice::from_ref(&arg_unit));
        if !self.expands(ctx.depth) {
            *truncated = true;
            let v = self.ev.eval(e, &ctx.env).get(ctx.row).clone();
            self.term(terms, group.span, e, &v, &unit);
            return (v, unit);
        }
        let Some(stat) = self.ev.stat(&function.node, args, &ctx.env) else {
            return (Value::missing(format!("`{}` is missing an option", function.node)), unit);
        };
        let propagate = Evaluator::named_word(args, "missing") == Some("propagate");
        let text = self.model.tree.files.get(e.span.file).map(|f| f.slice(e.span).to_string()).unwrap_or_default();
        // The group and its values live in the evaluator that takes statistics: the peer
        // frame's, when this one holds the entity alone.
        let (sev, this_row) = self.ev.for_statistics(ctx.row);
        let values = match args.iter().find(|a| a.name.is_none()) {
            Some(a) => sev.eval(&a.value, &ctx.env),
            None => Column::Const(Value::Num(Decimal::ONE)),
        };
        let groups = sev.groups(&group.node, &ctx.env);
        let mut info = StatInfo {
            text,
            group: String::new(),
            size: 0,
            minimum: groups.minimum,
            trimming: None,
            members: Vec::new(),
            omitted: 0,
            counts: [0; 4],
        };
        let g = groups.of_row.get(this_row).copied().flatten();
        let value = match g.and_then(|g| groups.rows.get(g).map(|rows| (g, rows))) {
            None => groups.ungrouped.clone(),
            Some((g, rows)) => {
                info.group = groups.labels.get(g).cloned().unwrap_or_default();
                info.size = rows.len();
                let keys = &sev.frame.keys;
                let mut items = Vec::with_capacity(rows.len());
                let mut left_out = Vec::new();
                let mut first_missing = None;
                for &r in rows {
                    match values.get(r) {
                        Value::Num(d) => {
                            items.push(stats::Item { value: *d, key: keys.get(r).map_or("", |k| k), row: r })
                        }
                        other => {
                            let reason = match other {
                                Value::Missing(m) => m.to_string(),
                                _ => "not a number".to_string(),
                            };
                            first_missing.get_or_insert(reason);
                            left_out.push(r);
                        }
                    }
                }
                let ties = match &stat {
                    Stat::TrimmedMean { ties, .. } => *ties,
                    _ => TieOrder::Key,
                };
                let approx: Vec<f64> = items.iter().map(|i| stats::approx(i.value)).collect();
                // Each frame row's place in the statistic (a vector: groups can be large).
                let mut status: Vec<Status> = vec![Status::Used; sev.frame.keys.len()];
                let mut cuts = Vec::new();
                let value = if rows.len() < groups.minimum {
                    info.trimming =
                        Some(format!("{} members, below the minimum of {}: no statistic", rows.len(), groups.minimum));
                    crate::eval::engine::too_small(rows.len(), groups.minimum)
                } else if let (true, Some(r)) = (propagate, &first_missing) {
                    Value::missing(format!("a peer's value is missing ({r})"))
                } else {
                    match &stat {
                        Stat::Rank { .. } | Stat::PercentileRank { .. } => {
                            let per = stats::of_member(&stat, &items);
                            items
                                .iter()
                                .zip(per)
                                .find(|(i, _)| i.row == this_row)
                                .map_or_else(|| Value::missing("no value to rank"), |(_, v)| Value::Num(v))
                        }
                        Stat::TrimmedMean { trim, round, ties } => {
                            // The evaluator's choice of members, checked; made again if it fails.
                            let site = Evaluator::stat_site(aggregate, &ctx.env);
                            let found = sev.trimmings.as_ref().and_then(|t| t.get(&site)?.get(g)?.clone());
                            let rows = sev.frame.keys.len();
                            let checked =
                                found.filter(|t| trimming_holds(&items, &approx, t, (*trim, *round, *ties), rows));
                            let tm = match checked {
                                Some(t) => Ok(t),
                                None => stats::trimmed_mean(&items, *trim, *round, *ties).map(std::sync::Arc::new),
                            };
                            match tm {
                                Ok(t) => {
                                    info.trimming = Some(trimming_words(items.len(), *trim, *round, *ties, &t));
                                    for (rows, st) in [
                                        (&t.low, Status::TrimmedLow),
                                        (&t.high, Status::TrimmedHigh),
                                        (&t.kept, Status::Kept),
                                    ] {
                                        for r in rows {
                                            if let Some(slot) = status.get_mut(*r) {
                                                *slot = st;
                                            }
                                        }
                                    }
                                    cuts = vec![t.each_end, items.len().saturating_sub(t.each_end)];
                                    info.counts = [t.kept.len(), t.low.len(), t.high.len(), 0];
                                    Value::Num(t.mean)
                                }
                                Err(why) => Value::missing(why),
                            }
                        }
                        _ => stats::of_group(&stat, &items).map_or_else(Value::missing, Value::Num),
                    }
                };
                let total = items.len();
                // Large groups show both ends, each side of every cut, and this entity: only
                // those ranks are placed (by selection), not the whole group sorted.
                // Which side of the cuts each member is on, by the trimming's choice.
                let segment = |i: usize| match items.get(i).and_then(|it| status.get(it.row)) {
                    Some(Status::TrimmedLow) => 0,
                    Some(Status::TrimmedHigh) => 2,
                    _ => 1,
                };
                let placed = shown_ranks(&items, &approx, ties, (&cuts, &segment), this_row);
                for (rank, i) in placed {
                    let Some(item) = items.get(i) else { continue };
                    info.members.push(Member {
                        entity: item.key.to_string(),
                        value: Value::Num(item.value),
                        status: status.get(item.row).copied().unwrap_or(Status::Used),
                        this: item.row == this_row,
                        rank: rank + 1,
                    });
                }
                info.omitted = total - info.members.len();
                if let Some(c) = info.counts.get_mut(3) {
                    *c = left_out.len();
                }
                for (k, r) in left_out.into_iter().enumerate() {
                    if left_out_shown(k, r == this_row) {
                        info.members.push(Member {
                            entity: keys.get(r).map(|k| k.to_string()).unwrap_or_default(),
                            value: values.get(r).clone(),
                            status: Status::LeftOut,
                            this: r == this_row,
                            rank: total + k + 1,
                        });
                    } else {
                        info.omitted += 1;
                    }
                }
                value
            }
        };
        let mut node =
            Node::new(Kind::Statistic, format!("{} over {}", function.node, group.node), value.clone(), unit.clone());
        node.entity = Some(self.entity(ctx.row));
        node.methodology = ctx.env.methodology.map(str::to_string);
        node.rule = Some(self.rule(e.span, Vec::new()));
        node.stat = Some(info);
        inputs.push(self.nodes.len());
        self.nodes.push(node);
        self.term(terms, group.span, e, &value, &unit);
        (value, unit)
    }

    // ------------------------------------------------------------ units

    fn declared_unit(&self, target: &Target) -> UnitOut {
        let model = self.model;
        let of = |u: &UnitExpr| unit_out(model, u);
        match target {
            Target::Kpi(n) => match model.syms.get(n).map(|s| s.item) {
                Some(Sym::Kpi(k)) => of(&k.unit.node),
                _ => plain_unit(),
            },
            Target::Param(n) => match model.syms.get(n).map(|s| s.item) {
                Some(Sym::Param(p)) => of(&p.unit.node),
                _ => plain_unit(),
            },
            Target::Field(n) => match model.syms.get(n).map(|s| s.item) {
                Some(Sym::Field { field, .. }) => match &field.ty.node {
                    FieldType::Unit(u) if !model.syms.is_index_set(&first_factor(u)) => of(u),
                    _ => plain_unit(),
                },
                _ => plain_unit(),
            },
            Target::Figure(m, f) => match model.syms.figures.get(&(m.as_str(), f.as_str())) {
                Some(fig) => fig.node.unit.as_ref().map_or_else(|| of(&UnitExpr::default()), |u| of(&u.node)),
                None => plain_unit(),
            },
        }
    }

    /// The unit of a computed sub-expression, from the checker's inference. A ratio of
    /// percentages (their difference, their maximum) is shown as a percentage.
    fn infer_unit(&mut self, e: &Expr, scope: &Scope<'_>, operands: &[UnitOut]) -> UnitOut {
        // A reference has its declared unit (percent and ratio share a dimension).
        let env = Env { bindings: Vec::new(), methodology: scope.methodology.map(|(m, _)| m) };
        let referenced = match &e.node {
            ExprKind::Name(n) if scope.indices.iter().all(|(v, _)| v != n) => self.ev.resolve(n, &env),
            ExprKind::Index { target, .. } => match &target.node {
                ExprKind::Name(n) => self.ev.resolve(n, &env),
                ExprKind::Member { target: inner, member } => self.ev.other_figure(inner, member),
                _ => None,
            },
            _ => None,
        };
        if let Some((target, _)) = referenced {
            return self.declared_unit(&target);
        }
        let ty = self.checker.infer(e, scope);
        self.checker.diags.clear();
        self.checker.deps.clear();
        match ty {
            Ty::Num(d) if d.is_dimensionless() => {
                if operands.iter().any(|u| u.percent) {
                    percent_unit()
                } else {
                    plain_unit()
                }
            }
            Ty::Num(d) => self.dim_unit(&d),
            Ty::Lit => operands.iter().find(|u| u.name != "ratio").cloned().unwrap_or_else(plain_unit),
            _ => UnitOut { name: String::new(), symbol: String::new(), percent: false, money: false },
        }
    }

    fn dim_unit(&self, d: &Dim) -> UnitOut {
        let units = &self.model.units;
        let money = units.currencies.iter().any(|(sign, c)| MONEY_SIGNS.contains(&sign.as_str()) && *d == Dim::base(c));
        let symbol = units.show(d);
        UnitOut { name: symbol.clone(), symbol, percent: false, money }
    }
}

fn first_factor(u: &UnitExpr) -> String {
    u.factors.first().map(|(n, _)| n.node.clone()).unwrap_or_default()
}

fn target_name(t: &Target) -> &str {
    match t {
        Target::Kpi(n) | Target::Param(n) | Target::Field(n) => n,
        Target::Figure(_, f) => f,
    }
}

pub fn labelled(decls: &[crate::source::Spanned<IndexDecl>], key: &[String]) -> Vec<(String, String)> {
    decls.iter().zip(key).map(|(d, k)| (d.node.set.node.clone(), k.clone())).collect()
}

pub fn plain_unit() -> UnitOut {
    UnitOut { name: "ratio".to_string(), symbol: "ratio".to_string(), percent: false, money: false }
}

fn percent_unit() -> UnitOut {
    UnitOut { name: "percent".to_string(), symbol: "%".to_string(), percent: true, money: false }
}

/// Exactly the same value: equal, and a number with the same digits and scale.
pub fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Num(x), Value::Num(y)) => x.serialize() == y.serialize(),
        _ => a == b,
    }
}

/// Groups up to this size keep every member in the explanation.
const MEMBERS_KEPT: usize = 1_000;
/// Members kept at each end and on each side of a cut of a larger group.
const MEMBER_EDGE: usize = 10;

fn left_out_shown(k: usize, this: bool) -> bool {
    k < MEMBER_EDGE || this
}

/// The members' order: by value, then by key in the stated tie order, as every statistic
/// sorts (compared first as floats, exactly when they are close). Keys are distinct, so the
/// order is total and each member has one rank.
fn member_order<'i>(
    items: &'i [stats::Item<'_>],
    approx: &'i [f64],
    ties: TieOrder,
) -> impl Fn(&usize, &usize) -> std::cmp::Ordering + 'i {
    let cmp = stats::member_order(items, ties);
    move |&a, &b| cmp(&(approx.get(a).copied().unwrap_or(0.0), a), &(approx.get(b).copied().unwrap_or(0.0), b))
}

/// The members an explanation lists, as (rank, index in `items`) in rank order. A group of up to [`MEMBERS_KEPT`] lists
/// every member; a larger one its first and last [`MEMBER_EDGE`], those on each side of
/// every cut, and the member in frame row `this_row`. Only those ranks are placed, by successive selections
/// (linear time), so the list is the one a full sort would give at a fraction of its cost.
/// `segments` gives the cuts and, for each member (index in `items`), how many cuts rank
/// below it (a trimmed mean's choice: 0 low, 1 kept, 2 high): each selection then works
/// within one segment rather than the rest of the group.
fn shown_ranks(
    items: &[stats::Item<'_>],
    approx: &[f64],
    ties: TieOrder,
    (cuts, segment): (&[usize], &dyn Fn(usize) -> usize),
    this_row: usize,
) -> Vec<(usize, usize)> {
    // Members as (float, index): the selections compare floats in place.
    let cmp = stats::member_order(items, ties);
    let total = items.len();
    let mut order: Vec<(f64, usize)> = approx.iter().copied().zip(0..total).collect();
    if total <= MEMBERS_KEPT {
        order.sort_unstable_by(cmp);
        return order.into_iter().map(|(_, i)| i).enumerate().collect();
    }
    let this = items.iter().position(|it| it.row == this_row).and_then(|t| order.get(t).copied());
    let this_rank = this.map(|t| order.par_iter().filter(|j| cmp(j, &t) == std::cmp::Ordering::Less).count());
    let bounds = segments(&mut order, cuts, segment);
    let mut windows = vec![(0, MEMBER_EDGE), (total - MEMBER_EDGE, total)];
    windows.extend(cuts.iter().map(|c| (c.saturating_sub(MEMBER_EDGE), (c + MEMBER_EDGE).min(total))));
    windows.extend(this_rank.map(|r| (r, r + 1)));
    // Each window within one segment: split at the segments' bounds.
    let mut pieces: Vec<(usize, usize)> = Vec::new();
    for (a, b) in windows {
        let mut from = a;
        for &cut in bounds.iter().filter(|&&c| a < c && c < b) {
            pieces.push((from, cut));
            from = cut;
        }
        pieces.push((from, b));
    }
    pieces.retain(|(a, b)| a < b);
    pieces.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (a, b) in pieces {
        let same_segment = |x: usize, y: usize| !bounds.iter().any(|&c| x < c && c <= y);
        match merged.last_mut() {
            Some(last) if a <= last.1 && same_segment(last.0, a) => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    // Each segment's windows are placed on its own slice, the segments in parallel: a
    // selection never leaves its segment, so the slices are disjoint.
    let mut work: Vec<Segment<'_>> = Vec::new();
    let mut rest: &mut [(f64, usize)] = &mut order;
    for w in bounds.windows(2) {
        let [start, end] = *w else { continue };
        let size = end.saturating_sub(start).min(rest.len());
        let (slice, tail) = std::mem::take(&mut rest).split_at_mut(size);
        rest = tail;
        let windows = merged.iter().copied().filter(|&(a, _)| start <= a && a < end).collect();
        work.push((start, slice, windows));
    }
    let placed: Vec<Vec<(usize, usize)>> =
        work.into_par_iter().map(|(start, slice, windows)| place(slice, start, &windows, cmp)).collect();
    placed.into_iter().flatten().collect()
}

/// A segment's first rank, its members, and the windows of ranks to place in it.
type Segment<'o> = (usize, &'o mut [(f64, usize)], Vec<(usize, usize)>);

/// Place the ranks of `windows` (ascending, within this segment) among a segment's members
/// (`slice`, ranks `start` on): successive selections, then each window sorted.
fn place(
    slice: &mut [(f64, usize)],
    start: usize,
    windows: &[(usize, usize)],
    cmp: impl Fn(&(f64, usize), &(f64, usize)) -> std::cmp::Ordering + Copy,
) -> Vec<(usize, usize)> {
    let end = start + slice.len();
    let mut placed = Vec::new();
    // Invariant: slice[lo - start..] holds exactly the members of ranks lo to end - 1.
    let mut lo = start;
    for &(a, b) in windows {
        if a > lo {
            if let Some(rest) = slice.get_mut(lo - start..) {
                rest.select_nth_unstable_by(a - lo, cmp);
            }
        }
        if b < end {
            if let Some(rest) = slice.get_mut(a - start..) {
                rest.select_nth_unstable_by(b - 1 - a, cmp);
            }
        }
        if let Some(window) = slice.get_mut(a - start..b - start) {
            window.sort_unstable_by(cmp);
            placed.extend(window.iter().enumerate().map(|(k, &(_, i))| (a + k, i)));
        }
        lo = b;
    }
    placed
}

/// Put the members in segment order (all of segment 0, then 1, ...) and return the
/// segments' bounds (0, the cuts, the total), if the segments have the sizes the cuts say;
/// otherwise leave the order and return one segment, the whole group.
fn segments(order: &mut Vec<(f64, usize)>, cuts: &[usize], segment: &dyn Fn(usize) -> usize) -> Vec<usize> {
    let total = order.len();
    let mut bounds = vec![0];
    bounds.extend(cuts.iter().copied().filter(|&c| 0 < c && c < total));
    bounds.push(total);
    let sizes: Vec<usize> = bounds.windows(2).map(|w| if let [a, b] = w { b.saturating_sub(*a) } else { 0 }).collect();
    if sizes.contains(&0) {
        return vec![0, total];
    }
    let mut by_segment: Vec<Vec<(f64, usize)>> = sizes.iter().map(|n| Vec::with_capacity(*n)).collect();
    for o in order.iter() {
        match by_segment.get_mut(segment(o.1)) {
            Some(s) => s.push(*o),
            None => return vec![0, total],
        }
    }
    if by_segment.iter().zip(&sizes).any(|(s, n)| s.len() != *n) {
        return vec![0, total];
    }
    order.clear();
    by_segment.into_iter().for_each(|s| order.extend(s));
    bounds
}

/// Whether `t` is the trimmed mean of `items` with these options: as many dropped from each
/// end as they say, every member in exactly one place, each dropped low member before every
/// kept one and each kept before every dropped high one (in the members' order, which is
/// total, so the choice is unique), and its mean that of the kept values (an exact sum,
/// the same in any order). Linear time: the evaluator's choice is checked, not made again.
fn trimming_holds(
    items: &[stats::Item<'_>],
    approx: &[f64],
    t: &stats::Trimmed,
    (trim, round, ties): (Decimal, TrimRound, TieOrder),
    rows: usize,
) -> bool {
    let n = items.len();
    let k = stats::trim_count(n, trim, round);
    if t.each_end != k || t.low.len() != k || t.high.len() != k || t.kept.len() + 2 * k != n {
        return false;
    }
    // Each frame row's member; a member's slot is emptied as it is found, so none counts twice.
    let mut at = vec![usize::MAX; rows];
    for (i, it) in items.iter().enumerate() {
        if let Some(slot) = at.get_mut(it.row) {
            *slot = i;
        }
    }
    let mut take = |r: &usize| at.get_mut(*r).map(|s| std::mem::replace(s, usize::MAX)).filter(|i| *i != usize::MAX);
    let (Some(low), Some(kept), Some(high)) = (
        t.low.iter().map(&mut take).collect::<Option<Vec<usize>>>(),
        t.kept.iter().map(&mut take).collect::<Option<Vec<usize>>>(),
        t.high.iter().map(&mut take).collect::<Option<Vec<usize>>>(),
    ) else {
        return false;
    };
    let cmp = member_order(items, approx, ties);
    let last = |v: &[usize]| v.iter().copied().max_by(&cmp);
    let first = |v: &[usize]| v.iter().copied().min_by(&cmp);
    let before = |a: Option<usize>, b: Option<usize>| match (a, b) {
        (Some(a), Some(b)) => cmp(&a, &b) == std::cmp::Ordering::Less,
        _ => true,
    };
    if !before(last(&low), first(&kept)) || !before(last(&kept), first(&high)) {
        return false;
    }
    let mut flags = vec![false; n];
    for i in &kept {
        if let Some(slot) = flags.get_mut(*i) {
            *slot = true;
        }
    }
    stats::mean_where(items, &flags, kept.len()).is_ok_and(|m| m.serialize() == t.mean.serialize())
}

/// How a trimmed mean chose its members, in words an auditor can check by hand.
fn trimming_words(n: usize, trim: Decimal, round: TrimRound, ties: TieOrder, t: &stats::Trimmed) -> String {
    let exact = (Decimal::from(n) * trim).normalize();
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
        (trim * Decimal::ONE_HUNDRED).normalize(),
        t.each_end,
        t.kept.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ranks placed by selection are those a full sort gives, for each group size
    /// around [`MEMBERS_KEPT`], with ties in value decided by key either way.
    #[test]
    fn selected_ranks_match_a_full_sort() {
        for n in [5, MEMBERS_KEPT, MEMBERS_KEPT + 1, 2_537] {
            let keys: Vec<String> = (0..n).map(|i| format!("K{:05}", (i * 7919) % n)).collect();
            let mut seed: u64 = 2010;
            let items: Vec<stats::Item<'_>> = keys
                .iter()
                .enumerate()
                .map(|(row, key)| {
                    seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                    // Few distinct values, at different scales, so that ties are common.
                    let v = i64::try_from(seed >> 56).unwrap_or(0) % 50;
                    let value = if row % 2 == 0 { Decimal::new(v * 10, 3) } else { Decimal::new(v, 2) };
                    stats::Item { value, key, row: row + 3 }
                })
                .collect();
            for ties in [TieOrder::Key, TieOrder::KeyDescending] {
                let approx: Vec<f64> = items.iter().map(|i| stats::approx(i.value)).collect();
                let mut full: Vec<usize> = (0..n).collect();
                full.sort_by(member_order(&items, &approx, ties));
                let this_row = 3 + n / 3;
                let cuts = [n / 4, n - n / 4];
                let this_rank = full.iter().position(|&i| items.get(i).is_some_and(|it| it.row == this_row));
                let expected: Vec<(usize, usize)> = full
                    .iter()
                    .copied()
                    .enumerate()
                    .filter(|(rank, _)| {
                        n <= MEMBERS_KEPT
                            || *rank < MEMBER_EDGE
                            || rank + MEMBER_EDGE >= n
                            || cuts.iter().any(|c| rank + MEMBER_EDGE >= *c && *rank < c + MEMBER_EDGE)
                            || Some(*rank) == this_rank
                    })
                    .collect();
                // With the segments a trimming gives (from the full sort's ranks), without
                // any, and with wrong ones (the selection then spans the whole group).
                let rank_of: Vec<usize> = {
                    let mut r = vec![0; n];
                    full.iter().enumerate().for_each(|(rank, &i)| r[i] = rank);
                    r
                };
                let by_rank = |i: usize| cuts.iter().filter(|&&c| rank_of[i] >= c).count();
                let everyone_low = |_: usize| 0;
                for segment in [&by_rank as &dyn Fn(usize) -> usize, &everyone_low] {
                    assert_eq!(shown_ranks(&items, &approx, ties, (&cuts, segment), this_row), expected, "n = {n}");
                }
            }
        }
    }

    /// The evaluator's trimming is accepted as it is, and refused when any member is out of
    /// place or the mean is not that of the kept values.
    #[test]
    fn a_trimming_is_checked_not_trusted() {
        let keys: Vec<String> = (0..40).map(|i| format!("K{i:02}")).collect();
        let items: Vec<stats::Item<'_>> = keys
            .iter()
            .enumerate()
            .map(|(row, key)| stats::Item { value: Decimal::new((row as i64 * 37) % 11, 1), key, row })
            .collect();
        let approx: Vec<f64> = items.iter().map(|i| stats::approx(i.value)).collect();
        let options = (Decimal::new(25, 2), TrimRound::Down, TieOrder::Key);
        let Ok(t) = stats::trimmed_mean(&items, options.0, options.1, options.2) else { panic!("no trimmed mean") };
        assert!(trimming_holds(&items, &approx, &t, options, 40));
        let mut swapped = t.clone();
        std::mem::swap(&mut swapped.low[0], &mut swapped.kept[0]);
        assert!(!trimming_holds(&items, &approx, &swapped, options, 40));
        let mut twice = t.clone();
        twice.kept[1] = twice.kept[0];
        assert!(!trimming_holds(&items, &approx, &twice, options, 40));
        let mut mean = t.clone();
        mean.mean += Decimal::new(1, 28);
        assert!(!trimming_holds(&items, &approx, &mean, options, 40));
    }
}
