//! Figures missing for every entity of a period: a `figure-all-missing` warning naming the
//! reasons the values give, so that a run whose figure came out blank everywhere (a renamed
//! optional column, a statistic that can never be taken) never ends in silence.
//!
//! Cheap at any size: a column is read until its first present value, which for a figure
//! that is fine is at once; only a figure with no value anywhere is read through again to
//! count its reasons, without allocating per value.

use super::column::Column;
use super::model::Model;
use super::run::PeriodResult;
use crate::ast::{DefKind, MethodologyDef};
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::source::Span;
use crate::value::{Reason, Value};
use std::sync::Arc;

/// The reason a value of an `optional` field gives when its column is not in the file
/// (`data::cells`). The dataset declared that the column may be absent, so figures blank
/// for that reason alone are as declared, not a surprise; a column absent because its
/// header was renamed is caught where headers are matched, with a did-you-mean warning.
const ABSENT_OPTIONAL_COLUMN: &str = "column not in file";

/// Distinct reasons counted; any further ones are counted together.
const REASONS: usize = 8;
/// Reasons named in a warning.
const SHOWN: usize = 3;

/// A warning for each figure of a period (all its index keys) and each total missing for
/// every entity. A total of a figure already warned about says nothing more.
pub fn warnings(
    model: &Model<'_>,
    methodologies: &[(&str, &MethodologyDef)],
    result: &PeriodResult,
) -> Vec<Diagnostic> {
    let rows = result.entities.len();
    let period = if result.period.is_empty() { "the data".to_string() } else { format!("period {}", result.period) };
    let mut out = Vec::new();
    let mut warned: Vec<(Option<&str>, &str)> = Vec::new();
    let mut figures = result.figures.iter().peekable();
    while let Some(first) = figures.next() {
        let (meth, name) = (first.methodology.as_deref(), first.name.as_str());
        let mut columns = vec![&first.values];
        while let Some(next) = figures.next_if(|f| f.methodology.as_deref() == meth && f.name == name) {
            columns.push(&next.values);
        }
        if rows == 0 || !columns.iter().all(|c| all_missing(c, rows)) {
            continue;
        }
        let mut tally = Tally::default();
        columns.iter().for_each(|c| tally.column(c, rows));
        if tally.only(ABSENT_OPTIONAL_COLUMN) {
            continue;
        }
        let (what, span) = match meth {
            Some(m) => (format!("figure `{name}` of `{m}`"), figure_span(methodologies, m, name)),
            None => (format!("KPI `{name}`"), kpi_span(model, name)),
        };
        out.push(warning(&what, span, &period, rows, &tally));
        warned.push((meth, name));
    }
    for t in &result.totals {
        if t.grand.count > 0 || warned.contains(&(Some(t.methodology.as_str()), t.figure.as_str())) {
            continue;
        }
        let mut tally = Tally::default();
        match &t.grand.value {
            Value::Missing(r) => tally.note_n(r, t.grand.missing),
            _ => tally.other = tally.other.saturating_add(t.grand.missing),
        }
        if tally.only(ABSENT_OPTIONAL_COLUMN) {
            continue;
        }
        let by = if t.by.is_empty() { String::new() } else { format!(" by {}", t.by.join(", ")) };
        let what = format!("the total of `{}`{by} in `{}`", t.figure, t.methodology);
        let span = total_span(methodologies, &t.methodology, &t.figure, &t.by);
        out.push(warning(&what, span, &period, rows, &tally));
    }
    out
}

fn warning(what: &str, span: Option<Span>, period: &str, rows: usize, tally: &Tally<'_>) -> Diagnostic {
    let entities = if rows == 1 { "the 1 entity".to_string() } else { format!("all {rows} entities") };
    let d = Diagnostic::new(
        Code::FigureAllMissing,
        format!("{what} is missing for {entities} in {period}: {}", tally.describe()),
    )
    .help("a figure with no value anywhere is usually a mistake: check the columns it reads (a renamed header?) and its statistics' options");
    match span {
        Some(s) => d.primary(s, "no entity has a value of this"),
        None => d,
    }
}

/// Whether every row's value is missing, read up to the first that is not.
fn all_missing(column: &Column, rows: usize) -> bool {
    match column {
        Column::Const(v) => v.is_missing(),
        Column::Values(vs) => vs.iter().all(Value::is_missing),
        Column::Grouped(_) => (0..rows).all(|row| column.get(row).is_missing()),
    }
}

/// How many values give each reason: the first [`REASONS`] distinct ones, then the rest.
#[derive(Default)]
struct Tally<'v> {
    reasons: Vec<(&'v Reason, usize)>,
    other: usize,
}

impl<'v> Tally<'v> {
    fn column(&mut self, column: &'v Column, rows: usize) {
        match column {
            Column::Const(Value::Missing(r)) => self.note_n(r, rows),
            Column::Const(_) => {}
            Column::Values(vs) => vs.iter().for_each(|v| self.note(v)),
            Column::Grouped(_) => (0..rows).for_each(|row| self.note(column.get(row))),
        }
    }

    fn note(&mut self, value: &'v Value) {
        if let Value::Missing(r) = value {
            self.note_n(r, 1);
        }
    }

    fn note_n(&mut self, reason: &'v Reason, n: usize) {
        // Values of one figure mostly share their reason's text, not just its words.
        let same = |(r, _): &&mut (&Reason, usize)| Arc::ptr_eq(&r.0, &reason.0) || r.0 == reason.0;
        if let Some((_, count)) = self.reasons.iter_mut().find(same) {
            *count = count.saturating_add(n);
        } else if self.reasons.len() < REASONS {
            self.reasons.push((reason, n));
        } else {
            self.other = self.other.saturating_add(n);
        }
    }

    /// Whether every value gives this one reason, directly or as the reason within another
    /// (`every value in the group is missing (REASON)`).
    fn only(&self, reason: &str) -> bool {
        let inner = format!("({reason})");
        let is = |r: &Reason| &*r.0 == reason || r.0.ends_with(&inner);
        self.other == 0 && !self.reasons.is_empty() && self.reasons.iter().all(|(r, _)| is(r))
    }

    /// "`reason`" when every value gives one, else the most common with their counts.
    fn describe(&self) -> String {
        let mut reasons: Vec<(&Reason, usize)> = self.reasons.clone();
        reasons.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0 .0.cmp(&b.0 .0)));
        match (reasons.as_slice(), self.other) {
            ([], _) => "no reason given".to_string(),
            ([(r, _)], 0) => r.0.to_string(),
            (all, other) => {
                let mut parts: Vec<String> = all.iter().take(SHOWN).map(|(r, n)| format!("{r} ({n})")).collect();
                // Counts of values, each at most the row count: saturating never binds.
                let rest = all.iter().skip(SHOWN).fold(other, |sum, (_, n)| sum.saturating_add(*n));
                if rest > 0 {
                    parts.push(format!("other reasons ({rest})"));
                }
                parts.join("; ")
            }
        }
    }
}

fn kpi_span(model: &Model<'_>, name: &str) -> Option<Span> {
    model.definitions().find_map(|d| match &d.node.kind {
        DefKind::Kpi(_) if d.node.name.node == name => Some(d.node.name.span),
        _ => None,
    })
}

fn figure_span(methodologies: &[(&str, &MethodologyDef)], meth: &str, name: &str) -> Option<Span> {
    let (_, def) = methodologies.iter().find(|(m, _)| *m == meth)?;
    def.figures.iter().find(|f| f.node.name.node == name).map(|f| f.node.name.span)
}

fn total_span(methodologies: &[(&str, &MethodologyDef)], meth: &str, figure: &str, by: &[String]) -> Option<Span> {
    let (_, def) = methodologies.iter().find(|(m, _)| *m == meth)?;
    def.totals
        .iter()
        .find(|t| t.node.figure.node == figure && t.node.by.iter().map(|b| &b.node).eq(by.iter()))
        .map(|t| t.span)
}
