//! `assay diff`: what a change to the rules means, as definitions added, removed and
//! changed, and (with data) as the figures that moved.

pub mod figures;
pub mod semantic;
pub mod side;
pub mod verdicts;

use crate::value::format::plural;
use figures::{Moved, MovedTotal};
use semantic::Change;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub old: String,
    pub new: String,
    pub changes: Vec<Change>,
    /// `None` without `--data`.
    pub figures: Option<Vec<Moved>>,
    /// Methodology totals that moved (`None` without `--data`).
    pub totals: Option<Vec<MovedTotal>>,
    /// Entity figures only the old side has, and only the new side has.
    pub figures_removed: usize,
    pub figures_added: usize,
    /// Policy verdicts that appear, disappear or change (`None` without `--data`, or when
    /// the data holds no policy's dataset).
    pub verdicts: Option<Vec<verdicts::VerdictChange>>,
}

impl Report {
    pub fn changed(&self) -> bool {
        !self.changes.is_empty()
            || self.figures.as_ref().is_some_and(|f| !f.is_empty())
            || self.totals.as_ref().is_some_and(|t| !t.is_empty())
            || self.verdicts.as_ref().is_some_and(|v| !v.is_empty())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Markdown,
}

pub fn render(r: &Report, format: Format, limit: usize) -> String {
    match format {
        Format::Json => serde_json::to_string_pretty(r).map(|s| s + "\n").unwrap_or_default(),
        Format::Text => text(r, limit),
        Format::Markdown => markdown(r, limit),
    }
}

fn text(r: &Report, limit: usize) -> String {
    let mut out = format!("{} → {}\n", r.old, r.new);
    if r.changes.is_empty() {
        out.push_str("no semantic change\n");
    } else {
        out.push_str(&format!("\n{} definition{} changed:\n", r.changes.len(), plural(r.changes.len())));
        for c in &r.changes {
            out.push_str(&format!("  {} {} {}  ({})\n", c.change, c.kind, c.name, c.file));
            for d in &c.details {
                out.push_str(&format!("      {d}\n"));
            }
        }
    }
    if let Some(totals) = r.totals.as_ref().filter(|t| !t.is_empty()) {
        out.push_str(&totals_text(totals, limit));
    }
    if let Some(figs) = &r.figures {
        if figs.is_empty() {
            out.push_str("\nno figure moved\n");
        } else {
            out.push_str(&figures_text(figs, limit));
        }
        out.push_str(&unmatched(r));
    }
    if let Some(v) = &r.verdicts {
        out.push_str(&verdicts_text(v, limit));
    }
    out
}

/// Policy verdicts that changed, the first `limit` of them.
fn verdicts_text(changes: &[verdicts::VerdictChange], limit: usize) -> String {
    if changes.is_empty() {
        return "\nno policy verdict changed\n".to_string();
    }
    let mut out = format!("\n{} policy verdict{} changed:\n", changes.len(), plural(changes.len()));
    for c in changes.iter().take(limit) {
        let at = c.row.as_deref().map(|r| format!(" ({r})")).unwrap_or_default();
        let period = if c.period.is_empty() { String::new() } else { format!(" in {}", c.period) };
        let status = format!("{} → {}", c.old.unwrap_or("passed"), c.new.unwrap_or("passed"));
        out.push_str(&format!("  {} {} for {}{period}{at}: {status}: {}\n", c.change, c.policy, c.entity, c.message));
    }
    if changes.len() > limit {
        out.push_str(&format!("  ... and {} more (`--limit`)\n", changes.len().saturating_sub(limit)));
    }
    out
}

/// The totals that moved, as a table of the first `limit`.
fn totals_text(totals: &[MovedTotal], limit: usize) -> String {
    let mut out = format!("\n{} total{} moved, largest change first:\n", totals.len(), plural(totals.len()));
    let rows: Vec<[String; 6]> = totals
        .iter()
        .take(limit)
        .map(|t| {
            [
                t.total.clone(),
                t.period.clone(),
                t.old.clone(),
                t.new.clone(),
                t.change.clone().unwrap_or_else(|| "-".into()),
                t.because.join(", "),
            ]
        })
        .collect();
    out.push_str(&table(&["total", "period", "old", "new", "change", "because of"], &rows, 2..5));
    if totals.len() > limit {
        out.push_str(&format!("  … and {} more\n", totals.len().saturating_sub(limit)));
    }
    out
}

/// The entity figures that moved (at least one), as a table of the first `limit`.
fn figures_text(figs: &[Moved], limit: usize) -> String {
    let mut out = format!("\n{} figure{} moved, largest change first:\n", figs.len(), plural(figs.len()));
    let rows: Vec<[String; 7]> = figs
        .iter()
        .take(limit)
        .map(|m| {
            [
                m.entity.clone(),
                m.period.clone(),
                m.figure.clone(),
                m.old.clone(),
                m.new.clone(),
                m.change.clone().unwrap_or_else(|| "-".into()),
                m.because.join(", "),
            ]
        })
        .collect();
    out.push_str(&table(&["entity", "period", "figure", "old", "new", "change", "because of"], &rows, 3..6));
    if figs.len() > limit {
        out.push_str(&format!(
            "  … and {} more (--limit, or --format json for all)\n",
            figs.len().saturating_sub(limit)
        ));
    }
    out
}

/// A note of the figures only one side has, which no list above compares.
fn unmatched(r: &Report) -> String {
    let mut parts = Vec::new();
    if r.figures_added > 0 {
        parts.push(format!("{} figure{} only in `{}`", r.figures_added, plural(r.figures_added), r.new));
    }
    if r.figures_removed > 0 {
        parts.push(format!("{} figure{} only in `{}`", r.figures_removed, plural(r.figures_removed), r.old));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("\n{} (of added or removed definitions)\n", parts.join("; "))
    }
}

/// Aligned columns, the `right` ones (numbers) to the right.
fn table<const N: usize>(head: &[&str; N], rows: &[[String; N]], right: std::ops::Range<usize>) -> String {
    let widths: Vec<usize> = (0..N)
        .map(|i| {
            rows.iter()
                .map(|r| r.get(i).map_or(0, |c| c.chars().count()))
                .chain([head.get(i).map_or(0, |h| h.len())])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<String>| {
        let parts: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let w = widths.get(i).copied().unwrap_or(0);
                if right.contains(&i) {
                    format!("{c:>w$}")
                } else {
                    format!("{c:<w$}")
                }
            })
            .collect();
        format!("  {}\n", parts.join("  ").trim_end())
    };
    let mut out = line(head.iter().map(|h| h.to_string()).collect());
    for r in rows {
        out.push_str(&line(r.to_vec()));
    }
    out
}

fn markdown(r: &Report, limit: usize) -> String {
    let mut out = format!("### Rule changes: `{}` → `{}`\n\n", r.old, r.new);
    if r.changes.is_empty() {
        out.push_str("No semantic change.\n");
    } else {
        for c in &r.changes {
            out.push_str(&format!("- **{}** {} `{}` (`{}`)\n", c.change, c.kind, c.name, c.file));
            for d in &c.details {
                out.push_str(&format!("  - {d}\n"));
            }
        }
    }
    if let Some(totals) = r.totals.as_ref().filter(|t| !t.is_empty()) {
        out.push_str(&format!("\n#### {} total{} moved, largest change first\n\n", totals.len(), plural(totals.len())));
        out.push_str("| total | period | old | new | change | because of |\n|---|---|--:|--:|--:|---|\n");
        for t in totals.iter().take(limit) {
            out.push_str(&format!(
                "| `{}` | {} | {} | {} | {} | {} |\n",
                t.total,
                t.period,
                t.old,
                t.new,
                t.change.as_deref().unwrap_or("–"),
                t.because.join(", ")
            ));
        }
    }
    if let Some(figs) = &r.figures {
        if figs.is_empty() {
            out.push_str("\nNo figure moved.\n");
        } else {
            out.push_str(&format!(
                "\n#### {} figure{} moved, largest change first\n\n",
                figs.len(),
                plural(figs.len())
            ));
            out.push_str(
                "| entity | period | figure | old | new | change | because of |\n|---|---|---|--:|--:|--:|---|\n",
            );
            for m in figs.iter().take(limit) {
                out.push_str(&format!(
                    "| {} | {} | `{}` | {} | {} | {} | {} |\n",
                    m.entity,
                    m.period,
                    m.figure,
                    m.old,
                    m.new,
                    m.change.as_deref().unwrap_or("–"),
                    m.because.join(", ")
                ));
            }
            if figs.len() > limit {
                out.push_str(&format!("\n…and {} more.\n", figs.len().saturating_sub(limit)));
            }
        }
        out.push_str(&unmatched(r));
    }
    out
}
