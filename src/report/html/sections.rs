//! A report's sections as HTML: each item (`table`, `distribution`, `compare`, `trend`,
//! `totals`) for one entity's page, marked against its peers, or for the page of all
//! entities, where figures are shown across each peer group.

use super::chart::{self, Described, Distribution, Grouped, Mark, MarkKind, RefLine, Series, Trend};
use super::items::{axis, median, placed, quartiles, ranked, Ctx};
use super::view::{shown, PeriodView};
use crate::ast::{FigureRef, ReportDef, ReportItem};
use crate::eval::run::FigureOut;
use crate::report::markup::escape;
use crate::source::Spanned;
use crate::value::format::plural;
use crate::value::Value;
use rayon::prelude::*;
use std::fmt::Write;

/// Whose page: one entity's (by its row in the period shown), or all entities'.
#[derive(Clone, Copy)]
pub enum Scope {
    Entity(usize),
    All,
}

/// Every section of the report, in order.
pub fn sections(ctx: &Ctx<'_>, report: &ReportDef, scope: Scope) -> String {
    let mut out = String::new();
    for section in &report.sections {
        let _ = writeln!(out, "<section class=\"report\">\n<h2>{}</h2>", escape(&section.node.title.node));
        for item in &section.node.items {
            out.push_str(&item_html(ctx, &item.node, scope));
        }
        out.push_str("</section>\n");
    }
    out
}

fn item_html(ctx: &Ctx<'_>, item: &ReportItem, scope: Scope) -> String {
    let Some(v) = ctx.view() else { return String::new() };
    match item {
        ReportItem::Table(figures) => table(ctx, v, figures, scope),
        ReportItem::Distribution { figure, target } => distributions(ctx, v, &figure.node, target.as_ref(), scope),
        ReportItem::Compare(figures) => compare(ctx, v, figures, scope),
        ReportItem::Trend(figure) => trend(ctx, &figure.node, scope),
        ReportItem::Totals(methodologies) => super::totals::totals(ctx, v, methodologies),
    }
}

/// The figures side by side, a row per index member: the entity's values, or each
/// figure's median over all entities.
fn table(ctx: &Ctx<'_>, v: &PeriodView<'_>, figures: &[Spanned<FigureRef>], scope: Scope) -> String {
    let Some(first) = figures.first() else { return String::new() };
    let rows = v.figures(&first.node);
    let mut out = String::from("<table class=\"figures\">\n<thead><tr><th></th>");
    for f in figures {
        let title = ctx.title(&f.node, &[]);
        let _ = write!(out, "<th class=\"num\">{}</th>", escape(&title));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for r in &rows {
        let members: Vec<String> = r.index.iter().map(|(_, m)| m.clone()).collect();
        let _ = write!(out, "<tr><th>{}</th>", escape(&ctx.members(&r.index)));
        for f in figures {
            let cell = match (v.figure(&f.node, &members), scope) {
                (Some(o), Scope::Entity(row)) => ctx.value(v, &f.node, o, row),
                (Some(o), Scope::All) => median_text(o, &(0..v.result.entities.len()).collect::<Vec<_>>()),
                (None, _) => "—".to_string(),
            };
            let _ = write!(out, "<td class=\"num\">{cell}</td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>\n");
    if matches!(scope, Scope::All) {
        out.push_str("<p class=\"note\">Each value is the median over every entity with a value (linear interpolation between ranked values).</p>\n");
    }
    out
}

/// The median of a figure over some rows, as printed, and how many it rests on.
fn median_text(out: &FigureOut, rows: &[usize]) -> String {
    let (values, missing) = ranked(out, rows);
    let median = median(&values);
    match median {
        Some(m) => format!(
            "{} <small>(of {}{})</small>",
            escape(&shown(&m, &out.unit).0),
            values.len(),
            if missing > 0 { format!(", {missing} without a value") } else { String::new() }
        ),
        None => "no values".to_string(),
    }
}

/// A ranked chart per index member: the entity's peer group with the entity marked, or
/// each peer group in turn.
fn distributions(
    ctx: &Ctx<'_>,
    v: &PeriodView<'_>,
    f: &FigureRef,
    target: Option<&Spanned<FigureRef>>,
    scope: Scope,
) -> String {
    // One chart per index member, each ranking its peer group: drawn on every core, in order.
    let charts: Vec<String> = v
        .figures(f)
        .par_iter()
        .map(|o| {
            let members: Vec<String> = o.index.iter().map(|(_, m)| m.clone()).collect();
            let target_out = target.and_then(|t| Some((&t.node, v.figure(&t.node, &members)?)));
            match scope {
                Scope::Entity(row) => {
                    let group = v.peer_group(row).to_string();
                    let rows = v.members(&group);
                    distribution(ctx, v, f, o, target_out, &rows, Some(row), &group)
                }
                Scope::All => v
                    .groups()
                    .iter()
                    .map(|group| distribution(ctx, v, f, o, target_out, &v.members(group), None, group))
                    .collect(),
            }
        })
        .collect();
    charts.concat()
}

#[allow(clippy::too_many_arguments, reason = "one chart's inputs, each needed; used twice in this file")]
fn distribution(
    ctx: &Ctx<'_>,
    v: &PeriodView<'_>,
    f: &FigureRef,
    o: &FigureOut,
    target: Option<(&FigureRef, &FigureOut)>,
    rows: &[usize],
    highlighted: Option<usize>,
    group: &str,
) -> String {
    let (values, missing) = ranked(o, rows);
    let unit = &o.unit;
    // The members the target's statistic trimmed, as its explanation lists them.
    let members: Vec<String> = o.index.iter().map(|(_, m)| m.clone()).collect();
    // On an entity's page, the entity's own explanation of the target; on the page of all
    // entities, that of the group's representative.
    let trimmed = target
        .and_then(|(t, tout)| {
            let mut w = super::items::wanted(t, &members);
            if highlighted.is_none() {
                w.entity = Some(super::items::representative(tout, rows, v)?.to_string());
            }
            ctx.why.get(&w)
        })
        .and_then(|e| e.trimmed.as_ref());
    let marks: Vec<Mark> = values
        .iter()
        .map(|(row, d)| Mark {
            value: placed(*d, unit),
            kind: if Some(*row) == highlighted {
                MarkKind::Highlighted
            } else if trimmed.is_some_and(|t| t.contains(v.key(*row))) {
                MarkKind::Trimmed
            } else {
                MarkKind::Peer
            },
        })
        .collect();
    let mut lines: Vec<RefLine> = quartiles(&values)
        .into_iter()
        .filter_map(|(label, q)| {
            let (d, _) = q.as_near()?;
            Some(RefLine { label: label.to_string(), value: placed(d, unit), text: shown(&q, unit).0 })
        })
        .collect();
    if let Some(t) = target.and_then(|(_, t)| group_target(t, rows)) {
        lines.push(t);
    }
    let group_name = if group.is_empty() { "all".to_string() } else { group.to_string() };
    let title = format!("{} — {group_name}, {}", ctx.title(f, &o.index), v.period());
    // Marks are in the order of `values`.
    let describe = |i: usize| match values.get(i) {
        Some(&(row, _)) => Described { label: v.name(row), text: shown(o.values.get(row), unit).0 },
        None => Described { label: String::new(), text: String::new() },
    };
    let mut html = chart::distribution(&Distribution { title, axis: axis(unit), marks, lines }, &describe);
    let mut notes = Vec::new();
    if let Some(row) = highlighted {
        if let Some(rank) = values.iter().position(|(r, _)| *r == row) {
            let below = values.iter().filter(|(_, d)| Some(*d) < values.get(rank).map(|(_, x)| *x)).count();
            let n = values.len();
            let share = below.saturating_mul(100).checked_div(n.saturating_sub(1)).unwrap_or(0);
            notes.push(format!(
                "{}: rank {} of {n}, lowest first; above {below} of its {} peers ({} percentile). Its value: {}",
                escape(&v.name(row)),
                rank.saturating_add(1),
                n.saturating_sub(1),
                chart::ordinal(share),
                ctx.value(v, f, o, row),
            ));
        } else {
            notes.push(format!("{}: {} — not plotted.", escape(&v.name(row)), ctx.value(v, f, o, row)));
        }
    }
    if let (Some(row), Some((tref, tout))) = (highlighted, target) {
        let trim = match trimmed {
            Some(t) if !t.is_empty() => format!(" ({} members trimmed from it, drawn pale)", t.len()),
            _ => String::new(),
        };
        notes.push(format!("{}{trim}: {}", escape(&ctx.title(tref, &tout.index)), ctx.value(v, tref, tout, row)));
    }
    if let (None, Some(t)) = (highlighted, trimmed.filter(|t| !t.is_empty())) {
        notes.push(format!("{} members trimmed from the target's statistic, drawn pale.", t.len()));
    }
    if missing > 0 {
        notes.push(format!(
            "{missing} member{} of the group without a value {} not plotted.",
            plural(missing),
            if missing == 1 { "is" } else { "are" }
        ));
    }
    for n in notes {
        let _ = writeln!(html, "<p class=\"position\">{n}</p>");
    }
    html
}

/// The target line of a group: its members' common value of the target figure (a
/// statistic over the group); none when they differ or none has one.
fn group_target(t: &FigureOut, rows: &[usize]) -> Option<RefLine> {
    let mut common: Option<&Value> = None;
    for &r in rows {
        let x = t.values.get(r);
        if x.as_near().is_none() {
            continue;
        }
        match common {
            Some(c) if c != x => return None,
            _ => common = Some(x),
        }
    }
    let value = common?;
    let (d, _) = value.as_near()?;
    let name = match &t.methodology {
        Some(m) => format!("{m}.{}", t.name),
        None => t.name.clone(),
    };
    Some(RefLine { label: name, value: placed(d, &t.unit), text: shown(value, &t.unit).0 })
}

/// Several figures of one unit side by side, grouped by index member: the entity's
/// values, or the medians over all entities.
fn compare(ctx: &Ctx<'_>, v: &PeriodView<'_>, figures: &[Spanned<FigureRef>], scope: Scope) -> String {
    let Some(first) = figures.first() else { return String::new() };
    let base = v.figures(&first.node);
    let Some(unit) = base.first().map(|o| o.unit.clone()) else { return String::new() };
    let groups: Vec<String> = base.iter().map(|o| ctx.members(&o.index)).collect();
    let all: Vec<usize> = (0..v.result.entities.len()).collect();
    let series = figures
        .iter()
        .map(|f| Series {
            name: ctx.title(&f.node, &[]),
            values: base
                .iter()
                .map(|b| {
                    let members: Vec<String> = b.index.iter().map(|(_, m)| m.clone()).collect();
                    let o = v.figure(&f.node, &members)?;
                    let value = match scope {
                        Scope::Entity(row) => o.values.get(row).clone(),
                        Scope::All => {
                            let (values, _) = ranked(o, &all);
                            median(&values)?
                        }
                    };
                    let (d, _) = value.as_near()?;
                    Some((placed(d, &unit), shown(&value, &unit).0))
                })
                .collect(),
        })
        .collect();
    let whose = match scope {
        Scope::Entity(row) => v.name(row),
        Scope::All => "median over all".to_string(),
    };
    let title = format!(
        "{} — {whose}, {}",
        figures.iter().map(|f| f.node.text()).collect::<Vec<_>>().join(" and "),
        v.period()
    );
    chart::grouped(&Grouped { title, axis: axis(&unit), groups, series })
}

/// A figure across the data's periods, per index member: the entity and its peer
/// group's median, or each peer group's median.
fn trend(ctx: &Ctx<'_>, f: &FigureRef, scope: Scope) -> String {
    let Some(now) = ctx.view() else { return String::new() };
    let periods: Vec<String> = ctx.views.iter().map(|p| p.period().to_string()).collect();
    let mut out = String::new();
    for o in now.figures(f) {
        let members: Vec<String> = o.index.iter().map(|(_, m)| m.clone()).collect();
        let unit = o.unit.clone();
        let point = |value: Value| value.as_near().map(|(d, _)| (placed(d, &unit), shown(&value, &unit).0));
        let median_in = |p: &PeriodView<'_>, group: &str| -> Option<(f64, String)> {
            let fo = p.figure(f, &members)?;
            let (values, _) = ranked(fo, &p.members(group));
            point(median(&values)?)
        };
        let series: Vec<Series> = match scope {
            Scope::Entity(row) => {
                let key = now.key(row);
                let group = now.peer_group(row).to_string();
                vec![
                    Series {
                        name: now.name(row),
                        values: ctx
                            .views
                            .iter()
                            .map(|p| {
                                let r = p.row(key)?;
                                point(p.figure(f, &members)?.values.get(r).clone())
                            })
                            .collect(),
                    },
                    Series {
                        name: format!("median of {group}"),
                        values: ctx.views.iter().map(|p| median_in(p, &group)).collect(),
                    },
                ]
            }
            Scope::All => now
                .groups()
                .into_iter()
                .map(|g| Series {
                    name: format!("median of {}", if g.is_empty() { "all" } else { &g }),
                    values: ctx.views.iter().map(|p| median_in(p, &g)).collect(),
                })
                .collect(),
        };
        let title = format!("{} across periods", ctx.title(f, &o.index));
        out.push_str(&chart::trend(&Trend { title, axis: axis(&unit), periods: periods.clone(), series }));
    }
    out
}
