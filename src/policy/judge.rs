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

/// Where a violation sorts: period, the policy's place in the rules, then the row.
pub type Order = (String, usize, usize);

/// What a run found: each policy's counts, the violations in order, rows per dataset.
pub type Finished = (Vec<PolicyRun>, Vec<(Order, Violation)>, Vec<(String, usize)>);

/// The verdicts so far, policy by policy.
pub struct Judged<'d> {
    delimiters: &'d std::collections::HashMap<String, u8>,
    runs: Vec<PolicyRun>,
    violations: Vec<(Order, Violation)>,
    /// Rows checked, by dataset and period.
    rows: BTreeMap<(String, String), usize>,
}

impl<'d> Judged<'d> {
    pub fn new(chosen: &[Chosen<'_>], delimiters: &'d std::collections::HashMap<String, u8>) -> Judged<'d> {
        Judged { delimiters, runs: chosen.iter().map(run_of).collect(), violations: Vec::new(), rows: BTreeMap::new() }
    }

    /// The runs, the violations with their order, and the rows checked per dataset.
    pub fn finish(self, chosen: &[Chosen<'_>]) -> Finished {
        let mut rows: Vec<(String, usize)> = Vec::new();
        for c in chosen {
            if rows.iter().any(|(d, _)| d == &c.def.over.node) {
                continue;
            }
            let n = self.rows.iter().filter(|((d, _), _)| d == &c.def.over.node).map(|(_, n)| *n).sum();
            rows.push((c.def.over.node.clone(), n));
        }
        (self.runs, self.violations, rows)
    }

    /// Judge policy number `rank` over every row of the evaluator's frame that its
    /// dataset has.
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
        let env = Env { record: Some(c.def.var.node.as_str()), ..Env::default() };
        let require = ev.eval(&c.def.require, &env);
        let unless = c.def.unless.as_ref().map(|u| ev.eval(u, &env));
        let placeholders: Vec<(String, Column, UnitOut)> = c
            .def
            .placeholders()
            .into_iter()
            .filter_map(|p| {
                let e = p.expr?;
                let unit = unit_of(model, c, &e);
                Some((p.text, ev.eval(&e, &env), unit))
            })
            .collect();
        let period = frame.period.to_string();
        // Every policy over this dataset sees the same rows of this frame: each is counted
        // once, however many policies read it.
        let count = self.rows.entry((c.def.over.node.clone(), period.clone())).or_default();
        *count = (*count).max(rows.len());
        let severity = c.def.severity.as_ref().map_or(Severity::Error, |s| s.node);
        let mut cells = Cells::new(fields_read(model, c), frame, table_index, sources, self.delimiters);
        let Some(run) = self.runs.get_mut(rank) else { return };
        run.rows = run.rows.saturating_add(rows.len());
        for row in rows {
            let (status, reason) = match require.get(row) {
                Value::Bool(true) => {
                    run.passed = run.passed.saturating_add(1);
                    continue;
                }
                Value::Bool(false) => (Status::Failed, None),
                Value::Missing(r) => (Status::Undecided, Some(format!("it cannot be decided: {r}"))),
                other => (Status::Undecided, Some(format!("the requirement gave `{other}`, not a truth value"))),
            };
            let waived = unless.as_ref().is_some_and(|u| matches!(u.get(row), Value::Bool(true)));
            let status = if waived { Status::Waived } else { status };
            match status {
                Status::Failed => run.failed = run.failed.saturating_add(1),
                Status::Undecided => run.undecided = run.undecided.saturating_add(1),
                Status::Waived => run.waived = run.waived.saturating_add(1),
            }
            let violation = Violation {
                policy: c.name.to_string(),
                severity,
                status,
                period: period.clone(),
                entity: frame.keys.get(row).map(|k| k.to_string()).unwrap_or_default(),
                message: fill(&c.def.message.node, &placeholders, row),
                reason,
                record: cells.record(row),
                cells: cells.of_row(row),
                require: c.def.require.span,
                unless: if waived { c.def.unless.as_ref().map(|u| u.span) } else { None },
            };
            self.violations.push(((period.clone(), rank, row), violation));
        }
    }
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

/// The fields a policy's requirement reads: its record's own (`s.FIELD`) and those of
/// the KPIs, parameters and figures it uses.
fn fields_read(model: &Model<'_>, c: &Chosen<'_>) -> Vec<String> {
    let mut needs = Needs::new(model);
    needs.policy(&c.def.var.node, &c.def.require);
    let mut fields: Vec<String> = needs.fields.into_iter().collect();
    // The record's fields first, in the order the dataset declares them.
    let declared = |f: &String| c.dataset.fields.iter().position(|d| d.node.name.node == *f).unwrap_or(usize::MAX);
    fields.sort_by(|a, b| declared(a).cmp(&declared(b)).then(a.cmp(b)));
    fields
}
