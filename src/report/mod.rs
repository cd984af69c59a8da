//! Stage 5, reporting: results as a human table, JSON, CSV or Markdown.

pub mod html;
mod json;
pub mod markup;
mod table;
pub mod verdicts;

use crate::eval::run::Results;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Tables for people: methodology totals side by side, selected figures by entity.
    Table,
    /// Every figure as a record, with the stamp of rules and data (documented in the README).
    Json,
    /// Every figure and total as a CSV row.
    Csv,
    /// The tables as Markdown, for reports and pull requests.
    Markdown,
}

pub fn render(results: &Results, format: Format) -> String {
    match format {
        Format::Table => table::render(results, false),
        Format::Markdown => table::render(results, true),
        Format::Json => json::render(results),
        Format::Csv => json::render_csv(results),
    }
}
