//! `assay fmt`: one canonical layout for rule files, printed from the syntax tree with
//! every comment kept where it was.
//!
//! The layout, chosen to match how the shipped rules are written:
//! - two spaces per level of nesting; `{` ends the header line, `}` stands alone;
//!   one item per line in blocks; set members one per line, separated by commas;
//! - single spaces around `=`, binary operators and keywords, and around the `:` that
//!   gives a unit, type or class (`kpi k : ratio`); `name: value` for named arguments,
//!   script parameters and `for s in plan:`; none inside brackets; `, ` between items;
//! - decision tables with every column padded to its widest cell, pipes lined up;
//! - one blank line between definitions, except that single-line definitions the author
//!   wrote on consecutive lines (a run of `unit`s or `param`s) stay together; inside
//!   blocks, one blank line wherever the author left one or more, none after `{` or
//!   before `}`;
//! - comments stay in order and in place: a comment after code stays at the end of that
//!   line (after 57 characters when the code is shorter, else two spaces after it); a
//!   comment on a line of its own is indented like the code that follows it;
//! - expressions get the fewest parentheses that keep their tree, except that an `and`
//!   inside an `or` keeps them; literals keep their spelling (`£1,185,262`, `1.10%`,
//!   string escapes).
//!
//! Long lines are never wrapped. Line breaks the author made are kept at the places the
//! printer can reproduce them, and only there: after the `=` of a KPI, a parameter or a
//! methodology figure (the formula then starts the next line, one level in); before or
//! after a binary operator (the operator starts the continuation line, one level past the
//! line the expression starts on); before `then` and `else` (at the `if`'s indentation);
//! before the `resolves` and `cite` clauses of activities, KPIs and short parameters, and
//! before the `from`, `or`, `optional` and roll-up clauses of dataset fields (one level in).
//! Elsewhere a construct is joined onto one line, and a comment inside it moves to the
//! end of that line (a comment after code) or below it (a comment on a line of its own;
//! after a definition, as a paragraph of its own).
//!
//! Formatting is refused for a file that does not parse cleanly, and the result is checked
//! before it is used: it must parse to the same tree (spans aside), with the same
//! comments and the same words, or a `format-unsafe` diagnostic is reported instead.

mod defs;
mod expr;
mod printer;
mod table;
mod verify;

use crate::ast::File;
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::source::SourceFile;
use printer::Printer;

/// Print a parsed file in the canonical layout. `src` is the text it was parsed from.
pub fn print(file: &File, src: &str) -> String {
    let mut p = Printer::new(src, &file.comments);
    let mut prev_single_line = false;
    for (i, def) in file.definitions.iter().enumerate() {
        // Comments after the previous definition's last code stay on its line if they can;
        // the rest stand on their own lines above this definition.
        p.flush_trailing(def.span.start);
        let leading = p.comment_pending_before(def.span.start);
        if leading {
            p.blank();
        }
        p.open_item(0, def.span.start);
        let first_line = p.line_count().saturating_sub(1);
        p.definition(def);
        let mut single_line = p.line_count().saturating_sub(first_line) == 1;
        // Comments on lines of their own inside a definition that is printed on fewer
        // lines: a paragraph of their own after it, so that a `##` cannot become the
        // next definition's doc comment.
        p.flush_trailing(def.span.end);
        if p.comment_pending_before(def.span.end) {
            p.blank();
            p.flush_comments(def.span.end, 0);
            single_line = false;
        }
        if i > 0 && !leading && !(prev_single_line && single_line && !p.blank_before(def.span.start)) {
            p.insert_blank(first_line);
        }
        prev_single_line = single_line;
    }
    p.finish()
}

/// Format one rule file's text: the canonical text, or the diagnostics that prevent it
/// (errors in the file, or a result that would not mean the same).
pub fn format_source(source: &SourceFile) -> Result<String, Vec<Diagnostic>> {
    let (ast, diags) = crate::parse::parse_file(0, source);
    if !diags.is_empty() {
        return Err(diags);
    }
    match ast {
        Some(ast) => format_parsed(&ast, source),
        None => Err(vec![Diagnostic::new(Code::InternalError, "the parser returned nothing")]),
    }
}

/// Format a file already parsed without diagnostics, checking the result.
pub fn format_parsed(ast: &File, source: &SourceFile) -> Result<String, Vec<Diagnostic>> {
    let text: &str = &source.text;
    let formatted = print(ast, text);
    match verify::same_meaning(ast, text, &formatted) {
        Ok(()) => Ok(formatted),
        Err(what) => Err(vec![Diagnostic::new(
            Code::FormatUnsafe,
            format!("formatting `{}` would change it: {what}; the file was left as it was", source.name),
        )
        .help("this is a bug in assay fmt; please report it with the rule file")]),
    }
}
