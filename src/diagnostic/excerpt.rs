//! The source a rendered diagnostic quotes: the file's text, shared rather than copied, and
//! cut to a window around the span when the lines to show are very long, so that one bad
//! cell in a 30 MB line prints a few hundred bytes, not the line.

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};
use std::sync::Arc;

/// Lines quoted in full up to this many bytes in all; beyond it, a window is shown.
const MAX_SHOWN: usize = 8192;
/// Bytes shown either side of the span in a window.
const WINDOW: usize = 120;

/// A named source text for miette, quoting at most a window of long lines.
pub struct Excerpt {
    name: String,
    text: Arc<str>,
}

impl Excerpt {
    pub fn new(name: &str, text: Arc<str>) -> Excerpt {
        Excerpt { name: name.to_string(), text }
    }
}

impl SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let full = self.text.as_bytes().read_span(span, before, after)?;
        let (start, len) = (full.span().offset(), full.span().len());
        if len <= MAX_SHOWN {
            let named = MietteSpanContents::new_named(
                self.name.clone(),
                full.data(),
                *full.span(),
                full.line(),
                full.column(),
                full.line_count(),
            );
            return Ok(Box::new(named));
        }
        // A window around the span, within what would have been quoted (the spans people
        // read are short: see `Rendered::for_people`).
        let text: &str = &self.text;
        let from = floor(text, span.offset().saturating_sub(WINDOW).max(start));
        let to =
            ceil(text, span.offset().saturating_add(span.len()).saturating_add(WINDOW).min(start.saturating_add(len)))
                .max(from);
        let skipped = text.get(start..from).unwrap_or("");
        let (line, column) = match skipped.rfind('\n') {
            Some(at) => {
                let tail = skipped.get(at.saturating_add(1)..).unwrap_or("");
                (full.line().saturating_add(skipped.matches('\n').count()), tail.chars().count())
            }
            None => (full.line(), full.column().saturating_add(skipped.chars().count())),
        };
        let data = text.get(from..to).unwrap_or("").as_bytes();
        let lines = data.iter().filter(|b| **b == b'\n').count().saturating_add(1);
        let window = MietteSpanContents::new_named(
            self.name.clone(),
            data,
            (from, to.saturating_sub(from)).into(),
            line,
            column,
            lines,
        );
        Ok(Box::new(window))
    }
}

/// The nearest character boundary at or before `at`.
fn floor(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at = at.saturating_sub(1);
    }
    at
}

/// The nearest character boundary at or after `at`.
fn ceil(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at = at.saturating_add(1);
    }
    at
}
