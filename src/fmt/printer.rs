//! The formatter's output buffer: lines with their indentation, and the comments of the
//! source threaded into them by position.
//!
//! Every construct is printed in source order, and before a new output line starts at a
//! source position, every comment written before that position is placed: after code on
//! its source line, it stays a trailing comment of the last output line; on a line of its
//! own, it becomes an own-line comment at the indentation of what follows.

use crate::ast::Comment;
use crate::source::Spanned;

/// Trailing comments start in this column (0-based) when the code is short enough, as
/// the shipped rule files mostly have them; otherwise two spaces after the code.
pub const COMMENT_COLUMN: usize = 57;

/// Spaces per level of nesting.
pub const INDENT: usize = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Code,
    Comment,
    Blank,
}

#[derive(Debug, Clone)]
struct Line {
    kind: Kind,
    indent: usize,
    text: String,
    trailing: Option<String>,
    /// A blank line goes before this one (decided after it was printed).
    blank_above: bool,
}

pub struct Printer<'a> {
    pub src: &'a str,
    comments: &'a [Spanned<Comment>],
    next_comment: usize,
    lines: Vec<Line>,
}

impl<'a> Printer<'a> {
    pub fn new(src: &'a str, comments: &'a [Spanned<Comment>]) -> Self {
        Printer { src, comments, next_comment: 0, lines: Vec::new() }
    }

    /// Append text to the current line (starting one if there is none).
    pub fn push(&mut self, text: &str) {
        if !matches!(self.lines.last().map(|l| l.kind), Some(Kind::Code)) {
            self.lines.push(Line {
                kind: Kind::Code,
                indent: 0,
                text: String::new(),
                trailing: None,
                blank_above: false,
            });
        }
        if let Some(line) = self.lines.last_mut() {
            line.text.push_str(text);
        }
    }

    /// The indentation of the current line.
    pub fn current_indent(&self) -> usize {
        self.lines.last().map_or(0, |l| l.indent)
    }

    /// Whether nothing has been written on the current line yet.
    pub fn at_line_start(&self) -> bool {
        self.lines.last().is_none_or(|l| l.kind == Kind::Code && l.text.is_empty())
    }

    pub fn line_count(&self) -> usize {
        self.lines.len()
    }

    /// Start a new code line at `indent` for the code written at `pos` in the source,
    /// placing the comments before `pos` first.
    pub fn open_line(&mut self, indent: usize, pos: usize) {
        self.flush_comments(pos, indent);
        self.new_line(indent);
    }

    /// Start a block item or definition: like [`Self::open_line`], keeping one blank line
    /// where the source had at least one.
    pub fn open_item(&mut self, indent: usize, pos: usize) {
        self.flush_comments(pos, indent);
        if self.blank_before(pos) {
            self.blank();
        }
        self.new_line(indent);
    }

    fn new_line(&mut self, indent: usize) {
        self.lines.push(Line { kind: Kind::Code, indent, text: String::new(), trailing: None, blank_above: false });
    }

    /// A blank line, unless it would start the file or a block or double another.
    pub fn blank(&mut self) {
        let allowed = match self.lines.last() {
            None => false,
            Some(l) => match l.kind {
                Kind::Blank => false,
                Kind::Comment => true,
                Kind::Code => !l.text.ends_with('{'),
            },
        };
        if allowed {
            self.lines.push(Line {
                kind: Kind::Blank,
                indent: 0,
                text: String::new(),
                trailing: None,
                blank_above: false,
            });
        }
    }

    /// Put a blank line before the lines from `index` on (a separation decided afterwards).
    pub fn insert_blank(&mut self, index: usize) {
        let before_is_blank =
            index.checked_sub(1).is_none_or(|before| self.lines.get(before).is_some_and(|l| l.kind == Kind::Blank));
        if let Some(line) = self.lines.get_mut(index).filter(|_| !before_is_blank) {
            line.blank_above = true;
        }
    }

    /// Close a block: its last comments at the inner indentation, then `}`.
    pub fn close_block(&mut self, indent: usize, close: usize) {
        self.flush_comments(close, indent.saturating_add(INDENT));
        while self.lines.last().is_some_and(|l| l.kind == Kind::Blank) {
            self.lines.pop();
        }
        self.new_line(indent);
        self.push("}");
    }

    /// Is a comment waiting that stands on its own line before `pos`?
    pub fn own_line_comment_before(&self, pos: usize) -> bool {
        self.comments
            .get(self.next_comment..)
            .unwrap_or_default()
            .iter()
            .take_while(|c| c.span.start < pos)
            .any(|c| !self.is_trailing(c.span.start))
    }

    /// Is any comment written before `pos` still to be placed?
    pub fn comment_pending_before(&self, pos: usize) -> bool {
        self.comments.get(self.next_comment).is_some_and(|c| c.span.start < pos)
    }

    /// Attach the trailing comments before `pos` to the current line, stopping at the first
    /// comment on a line of its own.
    pub fn flush_trailing(&mut self, pos: usize) {
        while let Some(c) = self.comments.get(self.next_comment) {
            if c.span.start >= pos || !self.is_trailing(c.span.start) || !self.can_trail() {
                return;
            }
            let text = self.comment_text(c);
            if let Some(line) = self.lines.last_mut() {
                line.trailing = Some(text);
            }
            self.next_comment = self.next_comment.saturating_add(1);
        }
    }

    /// Place every comment written before `pos`; own-line ones at `indent`.
    pub fn flush_comments(&mut self, pos: usize, indent: usize) {
        // An empty line just opened for code that has not come yet is not a place for comments.
        if self.lines.last().is_some_and(|l| l.kind == Kind::Code && l.text.is_empty()) {
            self.lines.pop();
        }
        while let Some(c) = self.comments.get(self.next_comment) {
            if c.span.start >= pos {
                return;
            }
            let text = self.comment_text(c);
            if self.is_trailing(c.span.start) && self.can_trail() {
                if let Some(line) = self.lines.last_mut() {
                    line.trailing = Some(text);
                }
            } else {
                if self.blank_before(c.span.start) {
                    self.blank();
                }
                self.lines.push(Line { kind: Kind::Comment, indent, text, trailing: None, blank_above: false });
            }
            self.next_comment = self.next_comment.saturating_add(1);
        }
    }

    fn can_trail(&self) -> bool {
        self.lines.last().is_some_and(|l| l.kind == Kind::Code && !l.text.is_empty() && l.trailing.is_none())
    }

    /// The comment as written, from its `#` to the end of its line.
    fn comment_text(&self, c: &Spanned<Comment>) -> String {
        let raw = self.src.get(c.span.start..c.span.end).unwrap_or("");
        if raw.starts_with('#') {
            raw.trim_end().to_string()
        } else {
            format!("{} {}", if c.node.doc { "##" } else { "#" }, c.node.text)
        }
    }

    /// Does code stand before this position on its source line?
    fn is_trailing(&self, pos: usize) -> bool {
        let before = self.src.get(..pos).unwrap_or("");
        let line = before.rsplit('\n').next().unwrap_or("");
        !line.trim().is_empty()
    }

    /// Is there an empty line between `pos` and the code or comment before it?
    pub fn blank_before(&self, pos: usize) -> bool {
        let before = self.src.get(..pos).unwrap_or("");
        let trimmed = before.trim_end().len();
        let newlines = before.get(trimmed..).unwrap_or("").matches('\n').count();
        newlines >= 2 && trimmed > 0
    }

    /// Did the author break the line between two source positions?
    pub fn broken(&self, from: usize, to: usize) -> bool {
        from < to && self.src.get(from..to).is_some_and(|s| s.contains('\n'))
    }

    /// The finished text: every comment placed, trailing spaces removed, one final newline.
    pub fn finish(mut self) -> String {
        self.flush_comments(usize::MAX, 0);
        while self.lines.last().is_some_and(|l| l.kind == Kind::Blank) {
            self.lines.pop();
        }
        let mut out = String::new();
        for line in &self.lines {
            if line.blank_above {
                out.push('\n');
            }
            if line.kind != Kind::Blank {
                let mut text = format!("{}{}", " ".repeat(line.indent), line.text);
                if let Some(comment) = &line.trailing {
                    let width = text.chars().count();
                    let pad = COMMENT_COLUMN.checked_sub(width).filter(|pad| *pad >= 2).unwrap_or(2);
                    text.push_str(&" ".repeat(pad));
                    text.push_str(comment);
                }
                out.push_str(text.trim_end());
            }
            out.push('\n');
        }
        out
    }
}
