//! Syntax errors: pest's failures turned into coded diagnostics in words people use.

use super::expected::{continuing, names, Expected};
use super::Rule;
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::source::{FileId, Span};
use pest::error::{ErrorVariant, InputLocation};
use std::ops::Range;

/// Turn a pest error in the chunk `chunk` of `text` into a diagnostic.
pub fn syntax_error(id: FileId, text: &str, chunk: Range<usize>, err: &pest::error::Error<Rule>) -> Diagnostic {
    let (pos, expected, unexpected) = expected_at(chunk.start, err);
    let found = token_at(text, pos);
    let (label_start, label_end) = label_span(text, pos, &found);
    let found_text = if found.is_empty() { "end of file".to_string() } else { format!("`{found}`") };
    let message = if !expected.is_empty() {
        format!("expected {}, found {found_text}", join_or(&expected))
    } else if !unexpected.is_empty() {
        format!("unexpected {}", join_or(&unexpected))
    } else {
        format!("unexpected {found_text}")
    };
    let label = match (expected.is_empty(), label_start == pos) {
        (true, _) => "not expected here".to_string(),
        (false, true) => format!("expected {}", join_or(&expected)),
        (false, false) => format!("expected {} after this", join_or(&expected)),
    };
    let diag = Diagnostic::new(Code::SyntaxError, message).primary(Span::new(id, label_start, label_end), label);
    // pest stops where the text can no longer be read, which after a missing `)` or `}`
    // can be lines away; the bracket left open is the better clue.
    match unclosed_before(text, chunk, pos) {
        Some((at, open)) => {
            let close = closer_of(open);
            let line = text.get(..at).map_or(0, |t| t.matches('\n').count()).saturating_add(1);
            // A bracket the primary label already underlines (`f(` at a line's end) is not labelled twice.
            let diag = if at == label_start {
                diag
            } else {
                diag.secondary(Span::new(id, at, at.saturating_add(1)), format!("this `{open}` is never closed"))
            };
            diag.help(format!("add the `{close}` that closes the `{open}` on line {line}"))
        }
        None => diag.help(help_for(&found, &expected)),
    }
}

/// Where parsing stopped, what was expected there and what was not allowed.
fn expected_at(base: usize, err: &pest::error::Error<Rule>) -> (usize, Vec<String>, Vec<String>) {
    let mut pos = base.saturating_add(match err.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    });
    // With error detail on, pest knows the literal tokens tried at the furthest position.
    // Use them only when a punctuation mark or keyword was expected there (a missing `:`):
    // other tokens are the first characters of names and expressions, which rules say better.
    let detail: Option<Vec<String>> = err.parse_attempts().and_then(|a| {
        let tokens: Vec<String> =
            a.expected_tokens().iter().map(ToString::to_string).filter(|t| telling_token(t)).collect();
        if tokens.is_empty() || base.saturating_add(a.max_position) < pos {
            return None;
        }
        pos = base.saturating_add(a.max_position);
        let mut expected = Expected::default();
        for stack in a.call_stacks() {
            match stack.deepest.get_rule() {
                Some(&rule) => expected.rule(continuing(rule)),
                None => stack.parent.into_iter().for_each(|rule| expected.rule(rule)),
            }
        }
        for t in &tokens {
            expected.token(t);
        }
        Some(expected.into_list())
    });
    let (expected, unexpected) = match (detail, &err.variant) {
        (Some(list), _) => (list, Vec::new()),
        (None, ErrorVariant::ParsingError { positives, negatives }) => (names(positives), names(negatives)),
        (None, ErrorVariant::CustomError { message }) => (vec![message.clone()], Vec::new()),
    };
    (pos, expected, unexpected)
}

/// The span to underline for an error at `pos`. When the unexpected token starts a later
/// line (a formula cut short, say), it is the end of what came before: that is where
/// something is missing.
fn label_span(text: &str, pos: usize, found: &str) -> (usize, usize) {
    let before = text.get(..pos).unwrap_or("");
    let trimmed = before.trim_end();
    if before.get(trimmed.len()..).is_some_and(|gap| gap.contains('\n')) && !trimmed.is_empty() {
        let last = trimmed.chars().next_back().map_or(1, char::len_utf8);
        (trimmed.len().saturating_sub(last), trimmed.len())
    } else {
        (pos, pos.saturating_add(found.len()))
    }
}

/// The last bracket in `chunk` before `pos` that is never closed, with its offset.
/// Strings and comments are skipped; a closing bracket closes the nearest open one of
/// its kind, leaving any opened after that one unclosed (`f(a, b }` leaves the `(`).
fn unclosed_before(text: &str, chunk: Range<usize>, pos: usize) -> Option<(usize, char)> {
    let bytes = text.as_bytes().get(chunk.clone())?;
    let mut open: Vec<(usize, char)> = Vec::new();
    let mut unclosed: Vec<(usize, char)> = Vec::new();
    let (mut in_string, mut in_comment, mut escaped) = (false, false, false);
    for (i, &b) in bytes.iter().enumerate() {
        let at = chunk.start.saturating_add(i);
        if in_comment {
            in_comment = b != b'\n';
        } else if in_string {
            in_string = escaped || !matches!(b, b'"' | b'\n');
            escaped = !escaped && b == b'\\';
        } else {
            match b {
                b'"' => in_string = true,
                b'#' => in_comment = true,
                b'(' | b'[' | b'{' => open.push((at, char::from(b))),
                b')' | b']' | b'}' => {
                    let opener = opener_of(char::from(b));
                    if let Some(k) = open.iter().rposition(|&(_, o)| o == opener) {
                        unclosed.extend(open.drain(k.saturating_add(1)..));
                        open.pop();
                    }
                }
                _ => {}
            }
        }
    }
    unclosed.extend(open);
    unclosed.into_iter().filter(|&(at, _)| at < pos).max_by_key(|&(at, _)| at)
}

fn opener_of(close: char) -> char {
    match close {
        ')' => '(',
        ']' => '[',
        _ => '{',
    }
}

fn closer_of(open: char) -> char {
    match open {
        '(' => ')',
        '[' => ']',
        _ => '}',
    }
}

/// A literal token worth naming in "expected ...": closing or separating punctuation and
/// keywords, not the characters that merely start a name, number or expression.
fn telling_token(t: &str) -> bool {
    const PUNCTUATION: &[&str] = &[":", "=", ",", "{", "}", "[", "]", ")", "|", "=>", "..", "->"];
    PUNCTUATION.contains(&t)
        || (t.len() > 1
            && t.chars().all(|c| c.is_ascii_lowercase() || c == '_')
            && !matches!(t, "true" | "false" | "not"))
}

fn join_or(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// The word or character at `pos`, for "found `x`".
fn token_at(text: &str, pos: usize) -> String {
    let rest = text.get(pos..).unwrap_or("");
    let word: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').take(40).collect();
    if !word.is_empty() {
        return word;
    }
    rest.chars().next().filter(|c| !c.is_whitespace()).map(String::from).unwrap_or_default()
}

fn help_for(found: &str, expected: &[String]) -> String {
    const RESERVED: &[&str] =
        &["if", "then", "else", "and", "or", "not", "over", "in", "true", "false", "cite", "since"];
    if RESERVED.contains(&found) && expected.iter().any(|e| e == "a name") {
        return format!("`{found}` is a reserved word and cannot be used as a name");
    }
    if expected.iter().any(|e| e.starts_with("a definition")) {
        return "each definition starts with its keyword; check that the previous definition is complete and its braces match".to_string();
    }
    "see the grammar in grammar/assay.pest for what this position accepts".to_string()
}
