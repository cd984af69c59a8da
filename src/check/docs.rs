//! Doc comments that do not reach their definition: a `#` line between the `##` lines
//! and the definition detaches them, silently, so the definition is left undocumented.

use crate::ast::{Comment, File};
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::source::Spanned;

/// One warning per definition whose run of comment lines just above it has a plain `#`
/// line below a `##` line.
pub fn detached(file: &File, text: &str) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    for def in &file.definitions {
        let before = file.comments.partition_point(|c| c.span.end <= def.span.start);
        let mut run: Vec<&Spanned<Comment>> = Vec::new();
        let mut cursor = def.span.start;
        for comment in file.comments.get(..before).unwrap_or_default().iter().rev() {
            let between = text.get(comment.span.end..cursor).unwrap_or("x");
            let line_start = text.get(..comment.span.start).unwrap_or("").rsplit('\n').next().unwrap_or("x");
            let adjacent = between.chars().all(char::is_whitespace) && between.matches('\n').count() <= 1;
            if !adjacent || !line_start.trim().is_empty() {
                break;
            }
            run.push(comment);
            cursor = comment.span.start;
        }
        // `run` goes upwards: a plain line found after (above) it a doc line detaches that doc.
        let plain_below_doc = run.iter().enumerate().find(|(i, c)| {
            !c.node.doc && run.get(i.saturating_add(1)..).is_some_and(|above| above.iter().any(|a| a.node.doc))
        });
        if let Some((_, plain)) = plain_below_doc {
            diags.push(
                Diagnostic::new(
                    Code::DetachedDocComment,
                    format!("this comment detaches the `##` doc comment above it from `{}`", def.node.name.node),
                )
                .primary(plain.span, "a plain `#` comment between the doc comment and the definition")
                .secondary(def.node.name.span, "left without that documentation")
                .help(
                    "move the `#` line above the `##` lines, or make it a `##` line if it belongs to the documentation",
                ),
            );
        }
    }
    diags
}
