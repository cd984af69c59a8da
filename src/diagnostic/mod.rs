//! Diagnostics shared by every stage: a stable code, a message, labelled spans, a help line.
//!
//! Stages build [`Diagnostic`] values against spans; rendering (human, plain, JSON)
//! happens once, at the edge, with the source files at hand.

pub mod codes;
mod excerpt;

use crate::source::{SourceFile, Span};
use codes::Code;
use excerpt::Excerpt;
use miette::{LabeledSpan, SourceCode};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Only for supporting notes attached to another diagnostic.
    Advice,
    Warning,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub text: String,
    pub primary: bool,
}

/// One problem found in rules or data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub level: Level,
    pub message: String,
    pub labels: Vec<Label>,
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic at the code's default level.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Diagnostic { code, level: code.default_level(), message: message.into(), labels: Vec::new(), help: None }
    }

    pub fn error(code: Code, message: impl Into<String>) -> Self {
        Diagnostic { level: Level::Error, ..Diagnostic::new(code, message) }
    }

    pub fn warning(code: Code, message: impl Into<String>) -> Self {
        Diagnostic { level: Level::Warning, ..Diagnostic::new(code, message) }
    }

    /// The main label: where the problem is.
    pub fn primary(mut self, span: Span, text: impl Into<String>) -> Self {
        self.labels.push(Label { span, text: text.into(), primary: true });
        self
    }

    /// A supporting label: another place involved.
    pub fn secondary(mut self, span: Span, text: impl Into<String>) -> Self {
        self.labels.push(Label { span, text: text.into(), primary: false });
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.level == Level::Error
    }

    /// The span diagnostics are sorted and deduplicated by.
    pub fn anchor(&self) -> Option<Span> {
        self.labels.iter().find(|l| l.primary).or(self.labels.first()).map(|l| l.span)
    }
}

/// Characters of a piece of input (a cell, a name) quoted in a message.
const MAX_QUOTED: usize = 60;
/// Characters of a message or help line as rendered: a safety net for any text that quotes
/// input at length.
const MAX_MESSAGE: usize = 2000;

/// A piece of input as quoted in a message: whole if short, else its start and how much
/// more there is, so a megabyte-long cell makes a one-line message.
pub fn quote(text: &str) -> std::borrow::Cow<'_, str> {
    cut(text, MAX_QUOTED)
}

fn cut(text: &str, max: usize) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(max) {
        None => text.into(),
        Some((at, _)) => {
            let rest = text.get(at..).unwrap_or("").chars().count();
            format!("{}… ({rest} more characters)", text.get(..at).unwrap_or("")).into()
        }
    }
}

/// Sort diagnostics by file and position, then code, so output is stable.
pub fn sort(diags: &mut [Diagnostic]) {
    diags.sort_by(|a, b| {
        let ka = a.anchor().map(|s| (s.file, s.start, s.end));
        let kb = b.anchor().map(|s| (s.file, s.start, s.end));
        ka.cmp(&kb).then(a.code.as_str().cmp(b.code.as_str())).then(a.message.cmp(&b.message))
    });
}

/// A diagnostic together with the file its labels point into, in the shape miette renders.
///
/// Labels in other files than the first label's become related diagnostics, each with
/// its own source, so a duplicate across two files shows both places.
pub struct Rendered {
    code: Option<Code>,
    level: Level,
    message: String,
    help: Option<String>,
    source: Option<Excerpt>,
    labels: Vec<LabeledSpan>,
    related: Vec<Rendered>,
}

/// Spans underlined for people are cut to this many bytes: a label over a 30 MB cell
/// underlines its start (machine-read output keeps the whole span).
const MAX_UNDERLINED: usize = 1000;

impl Rendered {
    /// The diagnostic with its spans as they are, for machine-read output.
    pub fn new(diag: &Diagnostic, files: &[SourceFile]) -> Rendered {
        Rendered::with_spans(diag, files, usize::MAX)
    }

    /// The diagnostic for people to read: long spans are underlined at their start.
    pub fn for_people(diag: &Diagnostic, files: &[SourceFile]) -> Rendered {
        Rendered::with_spans(diag, files, MAX_UNDERLINED)
    }

    fn with_spans(diag: &Diagnostic, files: &[SourceFile], max_span: usize) -> Rendered {
        let home = diag.anchor().map(|s| s.file);
        let mut here = Vec::new();
        let mut elsewhere: Vec<(usize, Vec<&Label>)> = Vec::new();
        for label in &diag.labels {
            if Some(label.span.file) == home {
                here.push(label);
            } else if let Some(group) = elsewhere.iter_mut().find(|(f, _)| *f == label.span.file) {
                group.1.push(label);
            } else {
                elsewhere.push((label.span.file, vec![label]));
            }
        }
        let related = elsewhere
            .into_iter()
            .map(|(file, labels)| Rendered {
                code: None,
                level: Level::Advice,
                message: labels.first().map_or_else(String::new, |l| l.text.clone()),
                help: None,
                source: files.get(file).map(excerpt),
                labels: labels.iter().map(|l| to_labeled(l, files, max_span)).collect(),
                related: Vec::new(),
            })
            .collect();
        Rendered {
            code: Some(diag.code),
            level: diag.level,
            message: cut(&diag.message, MAX_MESSAGE).into_owned(),
            help: diag.help.as_deref().map(|h| cut(h, MAX_MESSAGE).into_owned()),
            source: home.and_then(|f| files.get(f)).map(excerpt),
            labels: here.iter().map(|l| to_labeled(l, files, max_span)).collect(),
            related,
        }
    }
}

fn excerpt(file: &SourceFile) -> Excerpt {
    Excerpt::new(&file.name, file.text.clone())
}

/// Clamp a label to its file, so a stale span can never make the renderer fail, and to at
/// most `max_span` bytes (on a character boundary).
fn to_labeled(label: &Label, files: &[SourceFile], max_span: usize) -> LabeledSpan {
    let text = files.get(label.span.file).map_or("", |f| &f.text);
    let start = label.span.start.min(text.len());
    let mut end = label.span.end.min(text.len()).max(start).min(start.saturating_add(max_span));
    while !text.is_char_boundary(end) {
        end = end.saturating_add(1);
    }
    let words = if label.text.is_empty() { None } else { Some(label.text.clone()) };
    if label.primary {
        LabeledSpan::new_primary_with_span(words, (start, end.saturating_sub(start)))
    } else {
        LabeledSpan::new_with_span(words, (start, end.saturating_sub(start)))
    }
}

impl fmt::Debug for Rendered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)
    }
}

impl fmt::Display for Rendered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)
    }
}

impl std::error::Error for Rendered {}

impl miette::Diagnostic for Rendered {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.code.map(|c| Box::new(c.as_str()) as Box<dyn fmt::Display>)
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.level {
            Level::Error => miette::Severity::Error,
            Level::Warning => miette::Severity::Warning,
            Level::Advice => miette::Severity::Advice,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            None
        } else {
            Some(Box::new(self.related.iter().map(|r| r as &dyn miette::Diagnostic)))
        }
    }
}
