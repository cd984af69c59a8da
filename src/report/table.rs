//! Results for people: a header with the stamp, methodology totals side by side, and the
//! figures asked for with `--select`, entity by entity. The same layout renders as Markdown.

use crate::eval::run::{PeriodResult, Results, TotalOut};
use crate::value::format::human;
use std::collections::BTreeMap;
use std::fmt::Write;

pub fn render(results: &Results, markdown: bool) -> String {
    let mut out = String::new();
    let s = &results.stamp;
    if markdown {
        let _ = writeln!(out, "# Assay results\n");
    }
    for n in &results.notices {
        let _ = writeln!(out, "{}{n}", if markdown { "> " } else { "NOTE: " });
    }
    if markdown && !results.notices.is_empty() {
        // A line straight after a quote's line would continue the quote (a lazy
        // continuation line, CommonMark 5.1): a blank line ends it.
        out.push('\n');
    }
    let mut stamp = vec![format!(
        "{} {}: {} rule file{}, data {}",
        s.tool,
        s.version,
        s.rules.len(),
        if s.rules.len() == 1 { "" } else { "s" },
        s.data
            .iter()
            .map(|d| format!("{} (sha256 {}…)", d.path, d.sha256.get(..12).unwrap_or("")))
            .collect::<Vec<_>>()
            .join(", ")
    )];
    for (dataset, c) in &results.counts {
        let excluded = if c.excluded > 0 { format!(", {} excluded by rule", c.excluded) } else { String::new() };
        let rows = if c.read == 1 { "row" } else { "rows" };
        stamp.push(format!(
            "dataset {dataset}: {} {rows} read, {} used{excluded}, {} skipped",
            c.read, c.used, c.skipped
        ));
    }
    if markdown {
        // One emphasised paragraph, a hard break (`\`) ending each line: the closing `_`
        // must follow the text, as one alone on a line closes nothing.
        let _ = writeln!(out, "_{}_", stamp.join("\\\n"));
    } else {
        let _ = writeln!(out, "{}", stamp.join("\n"));
    }
    for p in &results.periods {
        period(&mut out, p, markdown);
    }
    out
}

fn period(out: &mut String, p: &PeriodResult, markdown: bool) {
    let n = p.entities.len();
    let entities = format!("{n} {}", if n == 1 { "entity" } else { "entities" });
    let title = if p.period.is_empty() { entities } else { format!("Period {}: {entities}", p.period) };
    let _ = writeln!(out, "\n{}{title}", if markdown { "## " } else { "" });
    // Totals with the same dimensions and figure name go side by side, one column each.
    let mut groups: BTreeMap<(Vec<String>, String), Vec<&TotalOut>> = BTreeMap::new();
    let mut order: Vec<(Vec<String>, String)> = Vec::new();
    for t in &p.totals {
        let key = (t.by.clone(), t.figure.clone());
        if !groups.contains_key(&key) {
            order.push(key.clone());
        }
        groups.entry(key).or_default().push(t);
    }
    for key in order {
        let Some(ts) = groups.get(&key) else { continue };
        let (by, figure) = &key;
        totals(out, by, figure, ts, markdown);
    }
    if !p.figures.is_empty() && p.figures.len() <= 64 {
        figures(out, p, markdown);
    } else if !p.figures.is_empty() {
        let _ = writeln!(
            out,
            "\n{} figure series for {} entities: choose some with --select NAME, or see them all with --format json or csv",
            p.figures.len(),
            p.entities.len()
        );
    }
}

/// Totals of one figure with the same dimensions `by`, side by side, one column per
/// methodology; a row per group, then their sum where it means something.
fn totals(out: &mut String, by: &[String], figure: &str, ts: &[&TotalOut], markdown: bool) {
    let dims = if by.is_empty() { String::new() } else { format!(" by {}", by.join(" and ")) };
    let scaled = if ts.iter().any(|t| t.scaled) { ", scaled" } else { "" };
    let _ = writeln!(out, "\n{}Total {figure}{dims}{scaled}", if markdown { "### " } else { "" });
    let mut header: Vec<String> = by.to_vec();
    header.extend(ts.iter().map(|t| t.methodology.clone()));
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut seen: Vec<Vec<String>> = Vec::new();
    for t in ts {
        for r in &t.rows {
            if !seen.contains(&r.dims) {
                seen.push(r.dims.clone());
            }
        }
    }
    for dims in seen.iter().filter(|_| !by.is_empty()) {
        let mut row = dims.clone();
        for t in ts {
            row.push(
                t.rows.iter().find(|r| &r.dims == dims).map_or_else(|| "-".to_string(), |r| human(&r.value, &t.unit)),
            );
        }
        rows.push(row);
    }
    let mut total_row = vec!["total".to_string()];
    total_row.extend(by.iter().skip(1).map(|_| String::new()));
    total_row.extend(ts.iter().map(|t| human(&t.grand.value, &t.unit)));
    if !by.is_empty() {
        // Rows over alternatives (low and high) have no meaningful sum.
        if ts.iter().all(|t| t.has_grand) {
            rows.push(total_row);
        }
    } else {
        rows.push(ts.iter().map(|t| human(&t.grand.value, &t.unit)).collect());
    }
    let missing: usize = ts.iter().map(|t| t.grand.missing).sum();
    grid(out, &header, &rows, markdown, by.len());
    if missing > 0 {
        let _ = writeln!(
            out,
            "({missing} missing value{} left out of these totals; see --format json for reasons)",
            if missing == 1 { "" } else { "s" }
        );
    }
}

/// Every figure as a column, every entity as a row.
fn figures(out: &mut String, p: &PeriodResult, markdown: bool) {
    let _ = writeln!(out, "\n{}Figures by entity", if markdown { "### " } else { "" });
    let mut header = vec!["entity".to_string()];
    header.extend(p.figures.iter().map(|f| {
        let index: Vec<&str> = f.index.iter().map(|(_, m)| m.as_str()).collect();
        let name = match &f.methodology {
            Some(m) => format!("{m}.{}", f.name),
            None => f.name.clone(),
        };
        if index.is_empty() {
            name
        } else {
            format!("{name}[{}]", index.join(", "))
        }
    }));
    let rows: Vec<Vec<String>> = p
        .entities
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let mut row = vec![e.to_string()];
            row.extend(p.figures.iter().map(|f| human(f.values.get(i), &f.unit)));
            row
        })
        .collect();
    grid(out, &header, &rows, markdown, 1);
}

/// A text table: left-aligned label columns, right-aligned value columns.
fn grid(out: &mut String, header: &[String], rows: &[Vec<String>], markdown: bool, labels: usize) {
    let width = |i: usize| {
        rows.iter()
            .chain(std::iter::once(&header.to_vec()))
            .map(|r| r.get(i).map_or(0, |c| c.chars().count()))
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..header.len()).map(width).collect();
    let line = |cells: &[String]| -> String {
        let parts: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let w = widths.get(i).copied().unwrap_or(0);
                if i < labels {
                    format!("{c:<w$}")
                } else {
                    format!("{c:>w$}")
                }
            })
            .collect();
        if markdown {
            format!("| {} |", parts.join(" | "))
        } else {
            parts.join("  ").trim_end().to_string()
        }
    };
    let _ = writeln!(out, "{}", line(header));
    if markdown {
        let rule: Vec<String> = widths
            .iter()
            .enumerate()
            .map(|(i, w)| if i < labels { "-".repeat(*w) } else { format!("{}:", "-".repeat(w.saturating_sub(1))) })
            .collect();
        let _ = writeln!(out, "| {} |", rule.join(" | "));
    } else {
        let _ = writeln!(out, "{}", widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().join("  "));
    }
    for r in rows {
        let _ = writeln!(out, "{}", line(r));
    }
}
