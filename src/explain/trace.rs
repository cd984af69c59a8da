//! The tracer: one entity's value of a formula, sub-expression by sub-expression, with a
//! node for every input it reads.
//!
//! It runs beside the columnar evaluator, never inside it: referenced KPIs, fields and
//! figures are read from the evaluator's (cached) columns, and each sub-expression is
//! recomputed for the one entity with the same element-wise operations (`eval::ops`), so
//! the traced value must equal the fast path's; [`Tracer::definition`] checks that it does.

use super::cells;
use super::graph::*;
use super::members;
use crate::ast::*;
use crate::check::exprs::{ExprChecker, Scope, Ty};
use crate::check::symbols::Item as Sym;
use crate::check::units::Dim;
use crate::data::FieldKey;
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::eval::column::Column;
use crate::eval::engine::{Env, Evaluator, Target};
use crate::eval::model::Model;
use crate::eval::ops;
use crate::eval::run::{unit_out, UnitOut};
use crate::value::Value;
use rust_decimal::Decimal;
use std::collections::{HashMap, HashSet};

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
    /// The period for the selectors of nodes (`--period P`), when the data names one.
    period_arg: Option<String>,
    /// Disagreements between the tracer and the fast path (internal errors).
    pub problems: Vec<Diagnostic>,
    /// List every member of a peer group, however large (`--all-members`).
    pub all_members: bool,
}

/// What a formula is traced within: bindings, methodology, and the checker's scope.
struct Ctx<'e> {
    env: Env<'e>,
    scope: Scope<'e>,
    row: usize,
    depth: usize,
}

mod chain;
mod policy;

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
            period_arg: Some(period).filter(|p| !p.is_empty()),
            problems: Vec::new(),
            all_members: false,
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
        let ctx = Ctx { env: Env { methodology: Some(meth), ..Env::default() }, scope, row, depth };
        let (mut terms, mut inputs, mut truncated) = (Vec::new(), Vec::new(), false);
        let (value, unit) = self.walk(e, &ctx, &mut terms, &mut inputs, &mut truncated);
        (value, unit, self.rule(e.span, terms), first_occurrences(inputs))
    }

    fn expands(&self, depth: usize) -> bool {
        self.max_depth.is_none_or(|m| depth < m)
    }

    fn entity(&self, row: usize) -> String {
        self.ev.frame.keys.get(row).map(|k| k.to_string()).unwrap_or_default()
    }

    /// The arguments that explain `name[key]` on its own.
    pub fn selector(&self, target: &Target, key: &[String], row: Option<usize>) -> Vec<String> {
        let name = match target {
            Target::Kpi(n) | Target::Param(n) | Target::Field(n) => n.clone(),
            Target::Figure(_, f) => f.clone(),
        };
        let mut args = vec![if key.is_empty() { name } else { format!("{name}[{}]", key.join(",")) }];
        if let Target::Figure(m, _) = target {
            args.extend(["--methodology".to_string(), m.clone()]);
        }
        if let Some(r) = row {
            args.extend(["--entity".to_string(), self.entity(r)]);
            if let Some(p) = &self.period_arg {
                args.extend(["--period".to_string(), p.clone()]);
            }
        }
        args
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
            n.inputs = first_occurrences(inputs);
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
        match &e.node {
            ExprKind::Number(d) => (Value::Num(*d), plain_unit()),
            ExprKind::Percent(p) => (Value::Num(crate::value::format::from_percent(*p)), percent_unit()),
            ExprKind::Money { .. } | ExprKind::Date(_) | ExprKind::Text(_) | ExprKind::Bool(_) => {
                // Constants: the fast path's own value, which does not depend on the entity.
                let v = self.ev.eval(e, &ctx.env).get(0).clone();
                let unit = self.infer_unit(e, &ctx.scope, &[]);
                (v, unit)
            }
            ExprKind::Name(n) => {
                if let Some(m) = ctx.env.bound(n) {
                    return (Value::Member(m.clone()), plain_unit());
                }
                match self.ev.resolve(n, &ctx.env) {
                    Some((target, _)) => self.reference(e, e.span, &target, &[], ctx, terms, inputs, truncated),
                    None => (Value::Member(n.as_str().into()), plain_unit()),
                }
            }
            ExprKind::Index { target, indices } => self.indexed(e, target, indices, ctx, terms, inputs, truncated),
            ExprKind::Member { target, member } => self.member(e, target, member, ctx, terms, inputs, truncated),
            ExprKind::Call { function, args } => self.call(e, function, args, ctx, terms, inputs, truncated),
            ExprKind::Over { aggregate, group } => self.over(e, aggregate, group, ctx, terms, inputs, truncated),
            ExprKind::Unary { op, operand } => {
                let (v, u) = self.walk(operand, ctx, terms, inputs, truncated);
                (ops::unary(*op, &v), u)
            }
            ExprKind::Chain { first, links } => self.chain(e, first, links, ctx, terms, inputs, truncated),
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

    /// `target[indices]`: the indices walked, then the indexed figure (or field) referenced
    /// at their values.
    #[allow(
        clippy::too_many_arguments,
        reason = "the tracer walks one node: its expression, context and the term lists it fills"
    )]
    fn indexed(
        &mut self,
        e: &Expr,
        target: &Expr,
        indices: &[Expr],
        ctx: &Ctx<'_>,
        terms: &mut Vec<Term>,
        inputs: &mut Vec<usize>,
        truncated: &mut bool,
    ) -> (Value, UnitOut) {
        let resolved = match &target.node {
            ExprKind::Name(n) => self.ev.resolve(n, &ctx.env),
            ExprKind::Member { target: inner, member } => self.ev.other_figure(inner, member),
            _ => None,
        };
        let keys: Vec<Value> = indices.iter().map(|i| self.walk(i, ctx, terms, inputs, truncated).0).collect();
        let Some((resolved, _)) = resolved else {
            return (Value::missing("not an indexed figure"), plain_unit());
        };
        if let Some(Value::Missing(r)) = keys.iter().find(|k| k.is_missing()) {
            return (Value::Missing(r.clone()), self.declared_unit(&resolved));
        }
        let key: Vec<String> = keys.iter().map(|k| k.as_text().unwrap_or_default().to_string()).collect();
        self.reference(e, target.span, &resolved, &key, ctx, terms, inputs, truncated)
    }

    /// `target.member`: a property of a bound set member, or another methodology's figure.
    #[allow(
        clippy::too_many_arguments,
        reason = "the tracer walks one node: its expression, context and the term lists it fills"
    )]
    fn member(
        &mut self,
        e: &Expr,
        target: &Expr,
        member: &crate::source::Spanned<String>,
        ctx: &Ctx<'_>,
        terms: &mut Vec<Term>,
        inputs: &mut Vec<usize>,
        truncated: &mut bool,
    ) -> (Value, UnitOut) {
        if let ExprKind::Name(n) = &target.node {
            // A policy's record: `s.FIELD` is the row's field, down to its cell.
            if ctx.env.record == Some(n.as_str()) {
                let field = Target::Field(member.node.clone());
                return self.reference(e, e.span, &field, &[], ctx, terms, inputs, truncated);
            }
            if let Some(m) = ctx.env.bound(n) {
                let text = self.model.member_property(m, &member.node);
                let v = text.map_or_else(
                    || Value::missing(format!("`{m}` has no `{}`", member.node)),
                    |t| Value::Text(t.into()),
                );
                return (v, plain_unit());
            }
            if let Some((resolved, _)) = self.ev.other_figure(target, member) {
                return self.reference(e, e.span, &resolved, &[], ctx, terms, inputs, truncated);
            }
        }
        (Value::missing(format!("no member `{}`", member.node)), plain_unit())
    }

    /// A reference to a KPI, figure, parameter or field: its node (while depth allows) and
    /// a term labelled at `label_span`.
    #[allow(
        clippy::too_many_arguments,
        reason = "the tracer walks one node: its expression, context and the term lists it fills"
    )]
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
            let id = self.definition(target, key, ctx.row, ctx.depth.saturating_add(1));
            // Repeats are left out once the formula is done (`first_occurrences`): a
            // search here would take the square of a long formula's length.
            inputs.push(id);
            self.nodes.get(id).map_or_else(|| Value::missing("no node"), |n| n.value.clone())
        } else {
            *truncated = true;
            self.ev.target(target, key).get(ctx.row).clone()
        };
        self.term(terms, label_span, e, &v, &unit);
        (v, unit)
    }

    fn term(&self, terms: &mut Vec<Term>, span: crate::source::Span, e: &Expr, v: &Value, unit: &UnitOut) {
        self.term_of(terms, span, e.span, v, unit);
    }

    /// A term labelled at `span` whose text is the rule text at `text`.
    fn term_of(
        &self,
        terms: &mut Vec<Term>,
        span: crate::source::Span,
        text: crate::source::Span,
        v: &Value,
        unit: &UnitOut,
    ) {
        let text = self.model.tree.files.get(text.file).map(|f| f.slice(text).to_string()).unwrap_or_default();
        terms.push(Term { span, text, value: v.clone(), unit: unit.clone() });
    }

    #[allow(
        clippy::too_many_arguments,
        reason = "the tracer walks one node: its expression, context and the term lists it fills"
    )]
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
        // The period before's value, as evaluated: its arguments read that period's rows,
        // which are not this frame's.
        if function.node == "previous" {
            let v = self.ev.eval(e, &ctx.env).get(ctx.row).clone();
            let unit = self.infer_unit(e, &ctx.scope, &[]);
            self.term(terms, e.span, e, &v, &unit);
            return (v, unit);
        }
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
            "abs" => ops::abs(&first()),
            "round" => {
                let places = self
                    .ev
                    .named_number(args, "places", &ctx.env)
                    .and_then(|d| u32::try_from(d.trunc().mantissa()).ok())
                    .unwrap_or(0);
                ops::round(&first(), places)
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
                Value::Member(a) | Value::Text(a) => {
                    let class = self.model.class_of(&a).map_or_else(
                        || Value::missing(format!("`{a}` is not an activity")),
                        |c| Value::Member(c.into()),
                    );
                    // The activity's line in its function, which gives the class.
                    if let Some(sym) = self.model.syms.get(&a) {
                        let id = self.nodes.len();
                        let mut node = Node::new(Kind::Class, format!("class of `{a}`"), class.clone(), plain_unit());
                        node.rule = Some(self.rule(sym.span, Vec::new()));
                        self.nodes.push(node);
                        inputs.push(id);
                    }
                    class
                }
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
    #[allow(
        clippy::too_many_arguments,
        reason = "the tracer walks one node: its expression, context and the term lists it fills"
    )]
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
        // Over a grouped policy's rows: the group's value, as evaluated (its rows are in
        // `assay verify`'s output).
        let over_group = ctx.env.group.is_some_and(|(var, _)| var == group.node);
        if over_group || !self.expands(ctx.depth) {
            *truncated |= !over_group;
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
            Some((index, rows)) => {
                info.group = groups.labels.get(index).cloned().unwrap_or_default();
                info.size = rows.len();
                let group = members::Group {
                    index,
                    rows,
                    values: &values,
                    stat: &stat,
                    site: Evaluator::stat_site(aggregate, &ctx.env),
                    propagate,
                    minimum: groups.minimum,
                    this_row,
                    all: self.all_members,
                };
                members::explain_group(sev, &group, &mut info)
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
        let env = Env { methodology: scope.methodology.map(|(m, _)| m), ..Env::default() };
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
        self.unit_of(ty, operands)
    }

    /// The unit shown for a value of type `ty` computed from values in `operands`' units.
    fn unit_of(&self, ty: Ty, operands: &[UnitOut]) -> UnitOut {
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
        (Value::Approx(x, bx), Value::Approx(y, by)) => x.serialize() == y.serialize() && bx == by,
        _ => a == b,
    }
}

/// Node ids in the order first referenced, each once.
fn first_occurrences(ids: Vec<usize>) -> Vec<usize> {
    let mut seen = HashSet::with_capacity(ids.len());
    ids.into_iter().filter(|id| seen.insert(*id)).collect()
}
