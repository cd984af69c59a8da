//! Reporting diagnostics: miette's graphical, narratable and JSON renderers over one list.

use crate::diagnostic::{Diagnostic, Rendered};
use crate::source::SourceFile;
use miette::{GraphicalReportHandler, GraphicalTheme, JSONReportHandler, NarratableReportHandler};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ErrorFormat {
    /// Source excerpts with underlined spans and labels.
    Human,
    /// The same content as plain sentences, for screen readers and logs.
    Plain,
    /// One JSON document: an array of diagnostics with codes and byte offsets (`check`
    /// wraps it with its summary).
    Json,
}

/// Whether to colour output: never when `NO_COLOR` is set or output is not a terminal.
pub fn use_colour(is_terminal: bool) -> bool {
    is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Render one diagnostic as text in the chosen format (JSON: one object, no newline).
pub fn render(diag: &Diagnostic, files: &[SourceFile], format: ErrorFormat, colour: bool) -> String {
    let rendered = Rendered::new(diag, files);
    let mut out = String::new();
    let result = match format {
        ErrorFormat::Human => {
            let theme = if colour { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
            GraphicalReportHandler::new_themed(theme).with_width(100).render_report(&mut out, &rendered)
        }
        ErrorFormat::Plain => NarratableReportHandler::new().render_report(&mut out, &rendered),
        ErrorFormat::Json => JSONReportHandler::new().render_report(&mut out, &rendered),
    };
    if result.is_err() {
        out = format!("{}: {}", diag.code, diag.message);
    }
    out
}

/// Render a list: human and plain output separated by blank lines, JSON as an array.
pub fn render_all(diags: &[Diagnostic], files: &[SourceFile], format: ErrorFormat, colour: bool) -> String {
    let parts: Vec<String> = diags.iter().map(|d| render(d, files, format, colour)).collect();
    match format {
        ErrorFormat::Json => format!("[{}]", parts.join(",")),
        _ => parts.iter().map(|p| format!("{}\n", p.trim_end())).collect::<Vec<_>>().join("\n"),
    }
}
