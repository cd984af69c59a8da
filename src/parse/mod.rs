//! Stage 1, parsing: rule text to a typed AST with spans (pest grammar, then lowering).

mod error;
mod expected;
mod glued;
mod lower;
mod trivia;

use crate::ast::File;
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::source::{FileId, SourceFile, Span};
use pest::Parser;

pub use trivia::comments;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/assay.pest"]
pub struct AssayParser;

/// Deepest bracket nesting accepted before parsing (the grammar recurses on brackets).
pub const MAX_BRACKET_DEPTH: usize = 64;
/// Most `if` words in one definition: `if` nests without brackets, so it is bounded separately.
pub const MAX_IF_COUNT: usize = 100;
/// Deepest expression tree accepted by lowering (later stages recurse over it).
pub const MAX_EXPR_DEPTH: usize = 256;

/// Parse one file. On syntax errors, every definition that fails to parse is reported,
/// not only the first; the definitions that do parse are still returned.
pub fn parse_file(id: FileId, source: &SourceFile) -> (Option<File>, Vec<Diagnostic>) {
    let text: &str = &source.text;
    if let Some(diag) = too_deep(id, text) {
        return (None, vec![diag]);
    }
    match AssayParser::parse(Rule::file, text) {
        Ok(mut pairs) => {
            let Some(file_pair) = pairs.next() else {
                return (None, vec![Diagnostic::new(Code::InternalError, "the parser returned nothing")]);
            };
            let glued = glued::glued_words(id, text, 0, file_pair.clone().into_inner());
            let mut lowerer = lower::Lowerer::new(id, 0);
            let definitions = lowerer.file(file_pair);
            let file = File { id, definitions, comments: trivia::comments(id, text) };
            let file = trivia::attach_docs(file, text);
            let mut diags = lowerer.into_diagnostics();
            diags.extend(glued);
            (Some(file), diags)
        }
        Err(_) => parse_by_chunks(id, text),
    }
}

/// Error recovery: split the file where a line starts with a definition keyword and
/// parse each piece alone, so one bad definition does not hide errors in the others.
fn parse_by_chunks(id: FileId, text: &str) -> (Option<File>, Vec<Diagnostic>) {
    let mut definitions = Vec::new();
    let mut diags = Vec::new();
    for (start, end) in chunk_bounds(text) {
        let chunk = text.get(start..end).unwrap_or("");
        match AssayParser::parse(Rule::file, chunk) {
            Ok(mut pairs) => {
                if let Some(pair) = pairs.next() {
                    diags.extend(glued::glued_words(id, text, start, pair.clone().into_inner()));
                    let mut lowerer = lower::Lowerer::new(id, start);
                    definitions.extend(lowerer.file(pair));
                    diags.extend(lowerer.into_diagnostics());
                }
            }
            Err(err) => {
                let detailed = detailed_error(chunk);
                diags.push(error::syntax_error(id, text, start..end, detailed.as_ref().unwrap_or(&err)));
            }
        }
    }
    let file = File { id, definitions, comments: trivia::comments(id, text) };
    (Some(trivia::attach_docs(file, text)), diags)
}

/// Parse again with pest's tracking of the tokens tried at the furthest position, which
/// names what was expected precisely (`:`, not only rules). Off on the fast path: it is slow.
fn detailed_error(chunk: &str) -> Option<pest::error::Error<Rule>> {
    pest::set_error_detail(true);
    let result = AssayParser::parse(Rule::file, chunk).err();
    pest::set_error_detail(false);
    result
}

const DEFINITION_KEYWORDS: &[&str] = &[
    "source",
    "unit",
    "class",
    "set",
    "function",
    "dataset",
    "param",
    "kpi",
    "methodology",
    "classify",
    "policy",
    "script",
];

fn chunk_bounds(text: &str) -> Vec<(usize, usize)> {
    let mut starts = vec![0];
    let mut offset = 0usize;
    for line in text.split_inclusive('\n') {
        let word: String = line.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
        let after = line.get(word.len()..).and_then(|r| r.chars().next());
        if offset > 0 && DEFINITION_KEYWORDS.contains(&word.as_str()) && matches!(after, Some(' ' | '\t')) {
            starts.push(offset);
        }
        offset = offset.saturating_add(line.len());
    }
    let mut bounds = Vec::new();
    for (i, &s) in starts.iter().enumerate() {
        let e = starts.get(i.saturating_add(1)).copied().unwrap_or(text.len());
        bounds.push((s, e));
    }
    bounds
}

fn starts_definition(rest: &[u8]) -> bool {
    DEFINITION_KEYWORDS
        .iter()
        .any(|k| rest.starts_with(k.as_bytes()) && matches!(rest.get(k.len()), Some(b' ' | b'\t')))
}

/// Refuse input whose nesting could exhaust the parser's stack, before parsing it.
fn too_deep(id: FileId, text: &str) -> Option<Diagnostic> {
    let mut depth = 0usize;
    let mut ifs = 0usize;
    let mut in_string = false;
    let mut in_comment = false;
    let mut prev_word_char = false;
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if in_comment {
            in_comment = b != b'\n';
        } else if in_string {
            if b == b'\\' {
                i = i.saturating_add(1);
            } else if b == b'"' || b == b'\n' {
                in_string = false;
            }
        } else {
            match b {
                b'"' => in_string = true,
                b'#' => in_comment = true,
                b'(' | b'[' | b'{' => {
                    depth = depth.saturating_add(1);
                    if depth > MAX_BRACKET_DEPTH {
                        return Some(
                            Diagnostic::new(
                                Code::NestingTooDeep,
                                format!("brackets nested more than {MAX_BRACKET_DEPTH} deep"),
                            )
                            .primary(Span::new(id, i, i.saturating_add(1)), "this bracket is too deep")
                            .help("split the expression into named KPIs or methodology figures"),
                        );
                    }
                }
                b')' | b']' | b'}' => depth = depth.saturating_sub(1),
                b'\n' if starts_definition(bytes.get(i.saturating_add(1)..).unwrap_or_default()) => ifs = 0,
                b'i' if !prev_word_char
                    && bytes.get(i.saturating_add(1)) == Some(&b'f')
                    && !bytes.get(i.saturating_add(2)).is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_') =>
                {
                    ifs = ifs.saturating_add(1);
                    if ifs > MAX_IF_COUNT {
                        return Some(
                            Diagnostic::new(
                                Code::NestingTooDeep,
                                format!("more than {MAX_IF_COUNT} `if` expressions in one definition"),
                            )
                            .primary(Span::new(id, i, i.saturating_add(2)), "one too many")
                            .help("use a decision table (`classify`) or split the definition into several"),
                        );
                    }
                }
                _ => {}
            }
        }
        prev_word_char = b.is_ascii_alphanumeric() || b == b'_';
        i = i.saturating_add(1);
    }
    None
}
