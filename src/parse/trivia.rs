//! Comments, which the grammar skips: recovered with their spans for the formatter and docs.

use crate::ast::{Comment, File};
use crate::source::{FileId, Span, Spanned};

/// Every `#` comment outside string literals, in order.
pub fn comments(id: FileId, text: &str) -> Vec<Spanned<Comment>> {
    let mut out = Vec::new();
    let mut in_string = false;
    let mut escaped = false;
    let mut iter = text.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' || c == '\n' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '#' => {
                let end = text.get(i..).and_then(|r| r.find('\n')).map_or(text.len(), |n| i.saturating_add(n));
                let body = text.get(i..end).unwrap_or("");
                let doc = body.starts_with("##");
                let content = body.trim_start_matches('#').strip_prefix(' ').unwrap_or(body.trim_start_matches('#'));
                out.push(Spanned::new(Comment { text: content.trim_end().to_string(), doc }, Span::new(id, i, end)));
                while iter.peek().is_some_and(|(j, _)| *j < end) {
                    iter.next();
                }
            }
            _ => {}
        }
    }
    out
}

/// Give each definition the run of `##` lines directly above it.
pub fn attach_docs(mut file: File, text: &str) -> File {
    for def in &mut file.definitions {
        let mut lines: Vec<&str> = Vec::new();
        let mut cursor = def.span.start;
        let before = file.comments.partition_point(|c| c.span.end <= def.span.start);
        for comment in file.comments.get(..before).unwrap_or_default().iter().rev() {
            let between = text.get(comment.span.end..cursor).unwrap_or("x");
            let blank = between.chars().all(char::is_whitespace) && between.matches('\n').count() <= 1;
            if !comment.node.doc || !blank {
                break;
            }
            lines.push(&comment.node.text);
            cursor = comment.span.start;
        }
        if !lines.is_empty() {
            lines.reverse();
            def.node.doc = Some(lines.join("\n"));
        }
    }
    file
}
