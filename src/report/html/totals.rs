//! Methodologies' totals side by side: a table per grouping they share (by type, by
//! function, by both, overall), each total with its explanation, and a chart where the
//! grouping has one dimension.

use super::chart::{self, Grouped, Series};
use super::explained::Wanted;
use super::items::{axis, placed, Ctx};
use super::view::{shown, PeriodView};
use crate::eval::run::{TotalOut, TotalRow};
use crate::report::markup::escape;
use crate::source::Name;
use std::fmt::Write;

/// The totals of `methodologies`, grouping by grouping.
pub fn totals(ctx: &Ctx<'_>, v: &PeriodView<'_>, methodologies: &[Name]) -> String {
    // The groupings, in the order the first methodology to have each declares them.
    let mut shapes: Vec<(String, Vec<String>)> = Vec::new();
    for m in methodologies {
        for t in v.totals(&m.node) {
            let shape = (t.figure.clone(), t.by.clone());
            if !shapes.contains(&shape) {
                shapes.push(shape);
            }
        }
    }
    // One dimension first (by type: Table 6), then the grand total, then the finer ones.
    shapes.sort_by_key(|(_, by)| match by.len() {
        0 => 1,
        1 => 0,
        n => n,
    });
    let mut out = String::new();
    for (figure, by) in &shapes {
        let columns: Vec<(&str, &TotalOut)> = methodologies
            .iter()
            .filter_map(|m| {
                v.totals(&m.node).into_iter().find(|t| &t.figure == figure && &t.by == by).map(|t| (m.node.as_str(), t))
            })
            .collect();
        out.push_str(&table(ctx, v, figure, by, &columns));
        if by.len() == 1 {
            out.push_str(&bars(ctx, v, figure, by, &columns));
        }
    }
    out
}

/// The rows of a grouping across methodologies: each set of dimension members once, in
/// the order first seen; the grand total last.
fn row_keys(columns: &[(&str, &TotalOut)]) -> Vec<Vec<String>> {
    let mut keys: Vec<Vec<String>> = Vec::new();
    for (_, t) in columns {
        for r in &t.rows {
            if !keys.contains(&r.dims) {
                keys.push(r.dims.clone());
            }
        }
    }
    keys
}

fn find<'t>(t: &'t TotalOut, dims: &[String]) -> Option<&'t TotalRow> {
    if dims.is_empty() && t.has_grand {
        return Some(&t.grand);
    }
    t.rows.iter().find(|r| r.dims == dims)
}

fn table(ctx: &Ctx<'_>, v: &PeriodView<'_>, figure: &str, by: &[String], columns: &[(&str, &TotalOut)]) -> String {
    let mut out = String::new();
    let grouping =
        if by.is_empty() { "in all".to_string() } else { format!("by {}", by.join(" and ").replace('_', " ")) };
    let _ = writeln!(
        out,
        "<h3>Total {} {}, {}</h3>",
        escape(&figure.replace('_', " ")),
        escape(&grouping),
        escape(v.period())
    );
    out.push_str("<table class=\"totals\">\n<thead><tr>");
    for d in by {
        let _ = write!(out, "<th>{}</th>", escape(&d.replace('_', " ")));
    }
    if by.is_empty() {
        out.push_str("<th></th>");
    }
    for (m, _) in columns {
        let _ = write!(out, "<th class=\"num\">{}</th>", escape(&ctx.methodology_title(m)));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    let mut keys = row_keys(columns);
    if by.is_empty() {
        keys = vec![Vec::new()];
    }
    for dims in &keys {
        out.push_str("<tr>");
        for (d, m) in by.iter().zip(dims) {
            let _ = write!(out, "<th>{}</th>", escape(&ctx.member(d, m)));
        }
        if by.is_empty() {
            out.push_str("<th>all</th>");
        }
        for (m, t) in columns {
            let cell = match find(t, dims) {
                Some(r) => cell(ctx, v, m, t, r),
                None => "—".to_string(),
            };
            let _ = write!(out, "<td class=\"num\">{cell}</td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>\n");
    if columns.iter().any(|(_, t)| t.scaled) {
        out.push_str("<p class=\"note\">Totals are multiplied by each methodology's <code>scale</code> (see each total's derivation).</p>\n");
    }
    out
}

/// One total as printed, how many entities it adds and how many had no value, and its
/// explanation.
fn cell(ctx: &Ctx<'_>, v: &PeriodView<'_>, methodology: &str, t: &TotalOut, r: &TotalRow) -> String {
    let (text, exact) = shown(&r.value, &t.unit);
    let by: Vec<(String, String)> = t.by.iter().cloned().zip(r.dims.iter().cloned()).collect();
    let mut html = format!(
        "<span class=\"figure total\" data-period=\"{}\" data-methodology=\"{}\" data-figure=\"{}\" data-by=\"{}\" data-value=\"{}\">{}</span>\
         <br><small>{} entit{}{}</small>",
        escape(v.period()),
        escape(methodology),
        escape(&t.figure),
        escape(&by.iter().map(|(k, m)| format!("{k}={m}")).collect::<Vec<_>>().join(",")),
        escape(exact.as_deref().unwrap_or("")),
        escape(&text),
        r.count,
        if r.count == 1 { "y" } else { "ies" },
        if r.missing > 0 { format!(", {} without a value", r.missing) } else { String::new() },
    );
    if let Some(why) = ctx.why.get(&wanted(methodology, t, r)) {
        let _ = write!(html, "<details class=\"why\"><summary>how</summary>{}</details>", why.html);
    }
    html
}

/// What `assay explain` is asked to explain a total.
pub fn wanted(methodology: &str, t: &TotalOut, r: &TotalRow) -> Wanted {
    Wanted {
        selector: format!("total_{}", t.figure),
        methodology: Some(methodology.to_string()),
        by: t.by.iter().cloned().zip(r.dims.iter().cloned()).collect(),
        entity: None,
    }
}

fn bars(ctx: &Ctx<'_>, v: &PeriodView<'_>, figure: &str, by: &[String], columns: &[(&str, &TotalOut)]) -> String {
    let Some((_, first)) = columns.first() else { return String::new() };
    let keys = row_keys(columns);
    let dim = by.first().map_or("", String::as_str);
    let groups = keys.iter().map(|k| k.first().map_or(String::new(), |m| ctx.member(dim, m))).collect();
    let series = columns
        .iter()
        .map(|(m, t)| Series {
            name: ctx.methodology_title(m),
            values: keys
                .iter()
                .map(|k| {
                    let r = find(t, k)?;
                    let (d, _) = r.value.as_near()?;
                    Some((placed(d, &t.unit), shown(&r.value, &t.unit).0))
                })
                .collect(),
        })
        .collect();
    let title = format!("Total {} by {}, {}", figure.replace('_', " "), dim.replace('_', " "), v.period());
    chart::grouped(&Grouped { title, axis: axis(&first.unit), groups, series })
}
