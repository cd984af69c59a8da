//! One policy over one frame: its `require` (and `unless`) evaluated over every row at
//! once by the engine, then each row's verdict, with its message and the cells it read.

use super::cells::Cells;
use super::plan::{run_of, Chosen};
use super::{PolicyRun, Status, Violation};
use crate::ast::{Expr, ExprKind, Severity};
use crate::eval::column::Column;
use crate::eval::engine::{Env, Evaluator};
use crate::eval::model::Model;
use crate::eval::needs::Needs;
use crate::source::SourceFile;
use crate::value::{format, UnitOut, Value};
use std::collections::BTreeMap;

/// Where a violation sorts: period, the policy's place in the rules, its index members'
/// combination, then the row: the chunk of the file it was read in and its place among
/// the chunk's rows of the period (records, in file order), or none for an entity, whose
/// key then orders it (see [`super::plan::verdicts`]; a whole frame has its entities in
/// key order, chunks do not).
pub type Order = (String, usize, usize, usize, usize);

/// What a run found: each policy's counts, the violations in order, rows per dataset.
pub type Finished = (Vec<PolicyRun>, Vec<(Order, Violation)>, Vec<(String, usize)>, Vec<super::Judgement>);

/// The verdicts so far, policy by policy.
pub struct Judged<'d> {
    delimiters: &'d std::collections::HashMap<String, u8>,
    runs: Vec<PolicyRun>,
    violations: Vec<(Order, Violation)>,
    /// The chunk of the file being judged (0 for a whole table): its rows follow those of
    /// the chunks before it.
    chunk: usize,
    /// Rows checked, by dataset and period, in the frames before this one.
    rows: BTreeMap<(String, String), usize>,
    /// Rows checked in this frame, by dataset and period (each row once, however many
    /// policies read it).
    frame_rows: BTreeMap<(String, String), usize>,
    /// Every verdict's subject, when asked for (rule tests).
    subjects: Option<Vec<super::Judgement>>,
    /// Data files already registered as sources, shared by every policy's cells.
    texts: super::cells::Texts,
    /// Whether cells need spans (see [`super::Request::spans`]).
    spans: bool,
}

impl<'d> Judged<'d> {
    pub fn new(
        chosen: &[Chosen<'_>],
        delimiters: &'d std::collections::HashMap<String, u8>,
        keep: bool,
        spans: bool,
    ) -> Judged<'d> {
        Judged {
            delimiters,
            runs: chosen.iter().map(run_of).collect(),
            violations: Vec::new(),
            chunk: 0,
            rows: BTreeMap::new(),
            frame_rows: BTreeMap::new(),
            subjects: keep.then(Vec::new),
            texts: super::cells::Texts::new(),
            spans,
        }
    }

    /// The verdicts on chunk number `chunk` of a file, judged apart from the others (see
    /// [`Judged::merge`]).
    pub fn for_chunk(&self, chunk: usize) -> Judged<'d> {
        Judged {
            delimiters: self.delimiters,
            runs: self
                .runs
                .iter()
                .map(|r| PolicyRun { rows: 0, passed: 0, failed: 0, undecided: 0, waived: 0, ..r.clone() })
                .collect(),
            violations: Vec::new(),
            chunk,
            rows: BTreeMap::new(),
            frame_rows: BTreeMap::new(),
            subjects: self.subjects.as_ref().map(|_| Vec::new()),
            texts: super::cells::Texts::new(),
            spans: self.spans,
        }
    }

    /// Add the verdicts on a chunk judged apart ([`Judged::for_chunk`]), after the chunks
    /// before it.
    pub fn merge(&mut self, mut part: Judged<'d>) {
        part.end_frame();
        for (run, more) in self.runs.iter_mut().zip(&part.runs) {
            run.add(more);
        }
        self.violations.append(&mut part.violations);
        for (k, n) in part.rows {
            let total = self.rows.entry(k).or_default();
            *total = total.saturating_add(n);
        }
        if let (Some(all), Some(more)) = (self.subjects.as_mut(), part.subjects) {
            all.extend(more);
        }
    }

    /// Done with a frame: its rows are counted, and the next frame's records follow them.
    pub fn end_frame(&mut self) {
        for (k, n) in std::mem::take(&mut self.frame_rows) {
            let total = self.rows.entry(k).or_default();
            *total = total.saturating_add(n);
        }
    }

    /// The runs, the violations with their order, and the rows checked per dataset.
    pub fn finish(mut self, chosen: &[Chosen<'_>]) -> Finished {
        self.end_frame();
        let mut rows: Vec<(String, usize)> = Vec::new();
        for c in chosen {
            if rows.iter().any(|(d, _)| d == &c.def.over.node) {
                continue;
            }
            let n = self.rows.iter().filter(|((d, _), _)| d == &c.def.over.node).map(|(_, n)| *n).sum();
            rows.push((c.def.over.node.clone(), n));
        }
        (self.runs, self.violations, rows, self.subjects.unwrap_or_default())
    }

    /// Judge policy number `rank` over every row of the evaluator's frame that its
    /// dataset has (or every group of them), for each member of each of its indices.
    pub fn judge(
        &mut self,
        ev: &mut Evaluator<'_, '_>,
        rank: usize,
        c: &Chosen<'_>,
        model: &Model<'_>,
        sources: &mut Vec<SourceFile>,
    ) {
        let frame = ev.frame;
        let Some(table_index) = frame.tables.iter().position(|t| t.dataset == c.def.over.node) else { return };
        let rows: Vec<usize> =
            (0..frame.keys.len()).filter(|i| frame.rows.get(table_index).and_then(|r| r.get(*i)).is_some()).collect();
        let period = frame.period.to_string();
        let counted = (c.def.over.node.clone(), period.clone());
        // A frame of records follows the rows of the period's frames before it.
        let before = self.rows.get(&counted).copied().unwrap_or(0);
        let chunk = self.chunk;
        // Every policy over this dataset sees the same rows of this frame: each is counted
        // once, however many policies read it.
        let count = self.frame_rows.entry(counted).or_default();
        *count = (*count).max(rows.len());
        let by_key = frame.records.is_none() && c.def.by.is_empty();
        let mut texts = std::mem::take(&mut self.texts);
        let fields = fields_read(model, c);
        let mut cells = Cells::new(fields, frame, table_index, sources, &mut texts, self.delimiters, self.spans);
        let var = c.def.var.node.as_str();
        for (k, key) in crate::eval::run::combinations(model, &c.def.indices).into_iter().enumerate() {
            let env = Env {
                record: Some(var),
                group: (!c.def.by.is_empty()).then_some((var, c.def.by.as_slice())),
                ..Env::with(&c.def.indices, &key, None)
            };
            let index: Vec<(String, String)> =
                c.def.indices.iter().zip(&key).map(|(d, m)| (d.node.set.node.clone(), m.clone())).collect();
            let verdicts = Verdicts::of(ev, c, model, &env);
            // A group's rows are gathered; a row alone costs nothing until it fails.
            let units: Box<dyn Iterator<Item = Unit>> = if env.group.is_some() {
                let mut groups = groups(ev, &env, &rows);
                deciding_rows_first(ev, c, &env, &mut groups);
                Box::new(groups.into_iter())
            } else {
                // Rows that pass are only counted, all at once (unless every subject is kept).
                let keep_all = self.subjects.is_some();
                let require = &verdicts.require;
                let passes = move |row: &usize| !keep_all && matches!(require.get(*row), Value::Bool(true));
                if let Some(run) = self.runs.get_mut(rank) {
                    let passed = rows.iter().filter(|r| passes(r)).count();
                    run.rows = run.rows.saturating_add(passed);
                    run.passed = run.passed.saturating_add(passed);
                }
                Box::new(rows.iter().filter(move |r| !passes(r)).map(|&row| Unit {
                    row,
                    label: None,
                    rows: Vec::new(),
                    ungrouped: None,
                }))
            };
            let entity = |unit: &Unit| match &unit.label {
                Some(label) => label.clone(),
                None => frame.keys.get(unit.row).map(|k| k.to_string()).unwrap_or_default(),
            };
            for unit in units {
                if let Some(subjects) = self.subjects.as_mut() {
                    let label =
                        if key.is_empty() { c.name.to_string() } else { format!("{}[{}]", c.name, key.join(", ")) };
                    subjects.push((label, period.clone(), entity(&unit), cells.record(unit.row).map(|r| r.1)));
                }
                let Some(v) = self.verdict(&verdicts, c, rank, &unit) else { continue };
                let violation = Violation {
                    index: index.clone(),
                    period: period.clone(),
                    entity: entity(&unit),
                    message: fill(&c.def.message.node, &verdicts.placeholders, unit.row),
                    record: cells.record(unit.row),
                    cells: cells.of_rows(if unit.rows.is_empty() {
                        std::slice::from_ref(&unit.row)
                    } else {
                        &unit.rows
                    }),
                    ..v
                };
                let place = if by_key { (0, 0) } else { (chunk, before.saturating_add(unit.row)) };
                self.violations.push(((period.clone(), rank, k, place.0, place.1), violation));
            }
        }
        drop(cells);
        self.texts = texts;
    }

    /// The verdict on one row or group (`None` when it passed), counted in its policy's run.
    fn verdict(&mut self, verdicts: &Verdicts, c: &Chosen<'_>, rank: usize, unit: &Unit) -> Option<Violation> {
        let run = self.runs.get_mut(rank)?;
        run.rows = run.rows.saturating_add(1);
        let (status, reason) = match (&unit.ungrouped, verdicts.require.get(unit.row)) {
            (Some(why), _) => (Status::Undecided, Some(format!("it cannot be decided: {why}"))),
            (None, Value::Bool(true)) => {
                run.passed = run.passed.saturating_add(1);
                return None;
            }
            (None, Value::Bool(false)) => (Status::Failed, None),
            (None, Value::Missing(r)) => (Status::Undecided, Some(format!("it cannot be decided: {r}"))),
            (None, other) => (Status::Undecided, Some(format!("the requirement gave `{other}`, not a truth value"))),
        };
        let waived = verdicts.unless.as_ref().is_some_and(|u| matches!(u.get(unit.row), Value::Bool(true)));
        let status = if waived { Status::Waived } else { status };
        match status {
            Status::Failed => run.failed = run.failed.saturating_add(1),
            Status::Undecided => run.undecided = run.undecided.saturating_add(1),
            Status::Waived => run.waived = run.waived.saturating_add(1),
        }
        Some(Violation {
            policy: c.name.to_string(),
            index: Vec::new(),
            severity: c.def.severity.as_ref().map_or(Severity::Error, |s| s.node),
            status,
            period: String::new(),
            entity: String::new(),
            message: String::new(),
            reason,
            record: None,
            cells: Vec::new(),
            require: c.def.require.span,
            unless: if waived { c.def.unless.as_ref().map(|u| u.span) } else { None },
        })
    }
}

/// A policy's columns over a frame: its requirement, exception and message placeholders.
struct Verdicts {
    require: Column,
    unless: Option<Column>,
    placeholders: Vec<(String, Column, UnitOut)>,
}

impl Verdicts {
    fn of(ev: &mut Evaluator<'_, '_>, c: &Chosen<'_>, model: &Model<'_>, env: &Env<'_>) -> Verdicts {
        let require = ev.eval(&c.def.require, env);
        let unless = c.def.unless.as_ref().map(|u| ev.eval(u, env));
        let placeholders = c
            .def
            .placeholders()
            .into_iter()
            .filter_map(|p| {
                let e = p.expr?;
                let unit = unit_of(model, c, &e);
                Some((p.text, ev.eval(&e, env), unit))
            })
            .collect();
        Verdicts { require, unless, placeholders }
    }
}

/// What one verdict is on: a row, or a group of rows (its first row standing for it: a
/// grouped policy reads only the group's fields and statistics, the same on every row).
struct Unit {
    row: usize,
    /// The group's label (a row is named by its key).
    label: Option<String>,
    /// A group's rows (empty for a row alone).
    rows: Vec<usize>,
    /// Why a row is in no group (a `by` field is missing).
    ungrouped: Option<String>,
}

/// The rows of a group that decided its verdict, where some did, so that their cells are
/// the ones shown: a row whose condition holds in an `any(...) over g`, or fails in an
/// `all(...) over g` (in the requirement or the exception). A group no row decided (an
/// `any` that found none) keeps all its rows, the first of them shown.
fn deciding_rows_first(ev: &mut Evaluator<'_, '_>, c: &Chosen<'_>, env: &Env<'_>, units: &mut [Unit]) {
    let var = c.def.var.node.as_str();
    let mut conditions = Vec::new();
    for e in std::iter::once(&c.def.require).chain(c.def.unless.as_ref()) {
        row_conditions(e, var, &mut conditions);
    }
    let columns: Vec<(bool, Column)> = conditions.into_iter().map(|(any, e)| (any, ev.eval(e, env))).collect();
    if columns.is_empty() {
        return;
    }
    for unit in units.iter_mut() {
        let decides = |r: &usize| columns.iter().any(|(any, col)| matches!(col.get(*r), Value::Bool(b) if *b == *any));
        let deciding: Vec<usize> = unit.rows.iter().copied().filter(|r| decides(r)).collect();
        if !deciding.is_empty() {
            unit.rows = deciding;
        }
    }
}

/// The conditions of `any(...) over VAR` (true) and `all(...) over VAR` (false) in `e`.
fn row_conditions<'e>(e: &'e Expr, var: &str, out: &mut Vec<(bool, &'e Expr)>) {
    match &e.node {
        ExprKind::Over { aggregate, group } => {
            if let ExprKind::Call { function, args } = &aggregate.node {
                if group.node == var && matches!(function.node.as_str(), "any" | "all") {
                    out.extend(args.iter().filter(|a| a.name.is_none()).map(|a| (function.node == "any", &a.value)));
                }
            }
        }
        ExprKind::Unary { operand, .. } => row_conditions(operand, var, out),
        ExprKind::Chain { first, links } => {
            row_conditions(first, var, out);
            links.iter().for_each(|l| row_conditions(&l.operand, var, out));
        }
        ExprKind::If { condition, then, otherwise } => {
            row_conditions(condition, var, out);
            row_conditions(then, var, out);
            row_conditions(otherwise, var, out);
        }
        ExprKind::Call { args, .. } => args.iter().for_each(|a| row_conditions(&a.value, var, out)),
        _ => {}
    }
}

/// The groups of a grouped policy, and the rows in none (a `by` field is missing).
fn groups(ev: &mut Evaluator<'_, '_>, env: &Env<'_>, rows: &[usize]) -> Vec<Unit> {
    let Some((var, _)) = env.group else { return Vec::new() };
    let groups = ev.groups(var, env);
    let mut out: Vec<Unit> = groups
        .rows
        .iter()
        .zip(&groups.labels)
        .filter_map(|(members, label)| {
            let row = *members.first()?;
            Some(Unit { row, label: Some(label.clone()), rows: members.clone(), ungrouped: None })
        })
        .collect();
    for &row in rows {
        if groups.of_row.get(row).copied().flatten().is_none() {
            let why = groups.ungrouped.to_string();
            out.push(Unit { row, label: None, rows: vec![row], ungrouped: Some(why) });
        }
    }
    out.sort_by_key(|u| u.row);
    out
}

/// The message with each `{...}` replaced by the row's value, as people read values.
fn fill(message: &str, placeholders: &[(String, Column, UnitOut)], row: usize) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(open) = rest.find('{') {
        let (before, after) = rest.split_at(open);
        out.push_str(before);
        let inner_and_rest = after.get(1..).unwrap_or_default();
        match inner_and_rest.split_once('}') {
            Some((inner, tail)) => {
                match placeholders.iter().find(|(t, _, _)| t == inner) {
                    Some((_, column, unit)) => out.push_str(&shown(column.get(row), unit)),
                    None => {
                        out.push('{');
                        out.push_str(inner);
                        out.push('}');
                    }
                }
                rest = tail;
            }
            None => {
                out.push_str(after);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

fn shown(v: &Value, unit: &UnitOut) -> String {
    match v {
        Value::Missing(_) => "(missing)".to_string(),
        // A count or a plain number reads better in a sentence without its unit's name.
        Value::Num(_) | Value::Approx(..) if unit.money || unit.percent => format::human(v, unit),
        Value::Num(_) | Value::Approx(..) => format::human(v, &UnitOut { symbol: String::new(), ..unit.clone() }),
        other => other.to_string(),
    }
}

/// The unit a placeholder's value is shown in: its field's, KPI's or parameter's.
fn unit_of(model: &Model<'_>, c: &Chosen<'_>, e: &Expr) -> UnitOut {
    use crate::check::symbols::Item;
    let unit = match &e.node {
        ExprKind::Member { target, member } if matches!(&target.node, ExprKind::Name(v) if *v == c.def.var.node) => {
            c.dataset.fields.iter().find(|f| f.node.name.node == member.node).and_then(|f| match &f.node.ty.node {
                crate::ast::FieldType::Unit(u) => Some(u.clone()),
                _ => None,
            })
        }
        ExprKind::Name(n) => match model.syms.get(n).map(|s| s.item) {
            Some(Item::Kpi(k)) => Some(k.unit.node.clone()),
            Some(Item::Param(p)) => Some(p.unit.node.clone()),
            Some(Item::Field { field, .. }) => match &field.ty.node {
                crate::ast::FieldType::Unit(u) => Some(u.clone()),
                _ => None,
            },
            _ => None,
        },
        _ => None,
    };
    crate::eval::run::unit_out(model, &unit.unwrap_or_default())
}

/// The fields a policy's requirement and exception read: its record's own (`s.FIELD`)
/// and those of the KPIs, parameters and figures they use; for an indexed field read only
/// at named members (`spend[travel]`), those members.
fn fields_read(model: &Model<'_>, c: &Chosen<'_>) -> Vec<super::cells::Read> {
    let mut needs = Needs::new(model);
    needs.bound = c.def.indices.iter().map(|d| d.node.var.node.clone()).collect();
    needs.policy(&c.def.var.node, &c.def.require);
    // A waived row shows the cells of its exception too (the justification).
    if let Some(u) = &c.def.unless {
        needs.policy(&c.def.var.node, u);
    }
    let mut fields: Vec<super::cells::Read> = needs
        .fields
        .into_iter()
        .map(|f| {
            let members = needs.members.get(&f).cloned().flatten();
            (f, members)
        })
        .collect();
    // The record's fields first, in the order the dataset declares them.
    let declared = |f: &String| c.dataset.fields.iter().position(|d| d.node.name.node == *f).unwrap_or(usize::MAX);
    fields.sort_by(|a, b| declared(&a.0).cmp(&declared(&b.0)).then(a.0.cmp(&b.0)));
    fields
}
