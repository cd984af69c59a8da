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
    let rendered = match format {
        ErrorFormat::Json => Rendered::new(diag, files),
        ErrorFormat::Human | ErrorFormat::Plain => Rendered::for_people(diag, files),
    };
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
    if format == ErrorFormat::Json {
        out = escape_controls(&out);
    }
    out
}

/// miette's JSON escapes quotes, backslashes and the common control characters but writes
/// the others (a NUL byte quoted from a data file) as they are, which JSON forbids. Its
/// output has no structural whitespace but spaces, so any control character left is
/// inside a string and becomes a `\u` escape.
fn escape_controls(json: &str) -> String {
    if !json.contains(|c: char| c.is_ascii_control() && c != '\u{7f}') {
        return json.to_string();
    }
    let mut out = String::with_capacity(json.len().saturating_add(16));
    for c in json.chars() {
        if c.is_ascii_control() && c != '\u{7f}' {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
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
