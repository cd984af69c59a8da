//! Source text and byte spans: the coordinates every later stage points with.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One rule file's text, shared cheaply between the AST and diagnostics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// The path as the user gave it (relative paths stay relative, so output is portable).
    pub name: String,
    pub path: PathBuf,
    pub text: Arc<str>,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<Arc<str>>) -> Self {
        let name = name.into();
        SourceFile { path: PathBuf::from(&name), name, text: text.into() }
    }

    /// The miette source for rendering: built only when a diagnostic is reported.
    pub fn named_source(&self) -> miette::NamedSource<String> {
        miette::NamedSource::new(&self.name, self.text.to_string())
    }

    /// 1-based line and column of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let upto = self.text.get(..offset.min(self.text.len())).unwrap_or("");
        let line = upto.matches('\n').count().saturating_add(1);
        let col = upto.rsplit('\n').next().map_or(0, |l| l.chars().count()).saturating_add(1);
        (line, col)
    }

    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.start..span.end).unwrap_or("")
    }
}

/// Whether `path` can be read as an input (a rule file, a data file, a script, a test):
/// it must be a regular file. A FIFO, a device or a folder is refused before it is opened,
/// as opening a FIFO waits for a writer that may never come. A path with nothing there is
/// a `NotFound` error; a link loop is the system's error.
pub fn readable_input(path: &Path) -> std::io::Result<std::fs::Metadata> {
    // A path through a file (`rules.assay/data.csv`) names nothing, as a missing one does.
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotADirectory => std::io::Error::new(std::io::ErrorKind::NotFound, e),
        _ => e,
    })?;
    if meta.is_file() {
        Ok(meta)
    } else {
        let what = if meta.is_dir() { "a folder" } else { "not a regular file (a pipe or a device)" };
        Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("it is {what}")))
    }
}

/// Open an input for reading (see [`readable_input`]).
pub fn open_input(path: &Path) -> std::io::Result<std::fs::File> {
    readable_input(path)?;
    std::fs::File::open(path)
}

/// An input's bytes (see [`readable_input`]).
pub fn read_input(path: &Path) -> std::io::Result<Vec<u8>> {
    let meta = readable_input(path)?;
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    std::fs::File::open(path)?.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// An input's text, which must be UTF-8 (see [`readable_input`]).
pub fn read_input_text(path: &Path) -> std::io::Result<String> {
    String::from_utf8(read_input(path)?).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}

/// Index of a file in the loaded rule tree.
pub type FileId = usize;

/// A byte range in one source file. Small and `Copy`, so every AST node carries one.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Span {
    pub file: FileId,
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Self {
        Span { file, start, end: end.max(start) }
    }

    pub fn len(&self) -> usize {
        self.end.saturating_sub(self.start)
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// The smallest span covering both (same file assumed).
    pub fn to(self, other: Span) -> Span {
        Span::new(self.file, self.start.min(other.start), self.end.max(other.end))
    }

    pub fn source_span(&self) -> miette::SourceSpan {
        (self.start, self.len()).into()
    }
}

impl fmt::Debug for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}..{}", self.file, self.start, self.end)
    }
}

/// A value with the span it was written at.
#[derive(Clone, Debug)]
pub struct Spanned<T> {
    pub node: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(node: T, span: Span) -> Self {
        Spanned { node, span }
    }
}

/// Equality ignores spans, so two parses of differently laid-out text compare equal.
impl<T: PartialEq> PartialEq for Spanned<T> {
    fn eq(&self, other: &Self) -> bool {
        self.node == other.node
    }
}

pub type Name = Spanned<String>;
