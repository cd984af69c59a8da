//! Stage 0, loading: find every `*.assay` file under the given paths and parse each.

use crate::ast::File;
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::parse;
use crate::source::{SourceFile, Span};
use std::path::{Path, PathBuf};
use walkdir::WalkDir;

/// A parsed rules tree: the source files (indexed by `FileId`) and their syntax trees.
#[derive(Debug, Default)]
pub struct RuleTree {
    pub files: Vec<SourceFile>,
    pub asts: Vec<File>,
    pub diagnostics: Vec<Diagnostic>,
    /// Some file, or part of one, could not be read: checking it would report every name
    /// it defines as unknown elsewhere, so checking stops at these errors.
    pub incomplete: bool,
}

impl RuleTree {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Every rule file under `paths`, in a stable order: the paths in the order given,
/// each directory walked with entries sorted by name. A file given twice is read once.
pub fn find_rule_files(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<Diagnostic>) {
    let mut found: Vec<PathBuf> = Vec::new();
    let mut diags = Vec::new();
    for path in paths {
        if path.is_file() {
            push_unique(&mut found, path.clone());
            continue;
        }
        if !path.is_dir() {
            let why = match crate::source::readable_input(path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => format!("cannot read `{}`: {e}", display(path)),
                _ => format!("`{}` does not exist", display(path)),
            };
            diags.push(Diagnostic::new(Code::IoError, why).help("give a rule file or a directory of `.assay` files"));
            continue;
        }
        for entry in WalkDir::new(path).sort_by_file_name().follow_links(true) {
            match entry {
                Ok(e) if e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "assay") => {
                    push_unique(&mut found, e.into_path());
                }
                // A rule file that is a FIFO or a device is refused, not skipped in silence.
                Ok(e) if !e.file_type().is_dir() && e.path().extension().is_some_and(|x| x == "assay") => diags.push(
                    Diagnostic::new(
                        Code::IoError,
                        format!("cannot read `{}`: it is not a regular file", display(e.path())),
                    )
                    .help("rule files are regular files; move the pipe or device out of the rules folder"),
                ),
                Ok(_) => {}
                Err(err) => diags.push(
                    Diagnostic::new(
                        Code::IoError,
                        format!("cannot read `{}`: {err}", display(err.path().unwrap_or(path))),
                    )
                    .help("check the directory's permissions"),
                ),
            }
        }
    }
    if found.is_empty() && diags.is_empty() {
        let names: Vec<String> = paths.iter().map(|p| format!("`{}`", display(p))).collect();
        diags.push(
            Diagnostic::new(Code::NoRuleFiles, format!("no `.assay` files under {}", names.join(", ")))
                .help("rule files end in `.assay`; pass the directory that holds them"),
        );
    }
    (found, diags)
}

fn push_unique(found: &mut Vec<PathBuf>, path: PathBuf) {
    if !found.contains(&path) {
        found.push(path);
    }
}

/// A path as shown to users: as given, with `/` separators.
pub fn display(path: &Path) -> String {
    let shown = path.to_string_lossy().replace('\\', "/");
    match shown.strip_prefix("./") {
        Some(rest) if !rest.is_empty() => rest.to_string(),
        _ => shown,
    }
}

/// Read and parse every rule file under `paths`.
pub fn load(paths: &[PathBuf]) -> RuleTree {
    let (found, mut diagnostics) = find_rule_files(paths);
    let mut tree = RuleTree { incomplete: !diagnostics.is_empty(), ..RuleTree::default() };
    for path in found {
        let id = tree.files.len();
        let name = display(&path);
        let bytes = match crate::source::read_input(&path) {
            Ok(b) => b,
            Err(err) => {
                diagnostics.push(
                    Diagnostic::new(Code::IoError, format!("cannot read `{name}`: {err}"))
                        .help("check that the file exists and is readable"),
                );
                tree.incomplete = true;
                continue;
            }
        };
        let (source, utf8_error) = decode(name, path, bytes, id);
        tree.add(source, utf8_error, &mut diagnostics);
    }
    tree.diagnostics = diagnostics;
    tree
}

/// Parse one rule file held in memory (tests, fuzzing, editors), bytes as read from disk.
pub fn load_bytes(name: &str, bytes: Vec<u8>) -> RuleTree {
    let mut tree = RuleTree::default();
    let mut diagnostics = Vec::new();
    let (source, utf8_error) = decode(name.to_string(), PathBuf::from(name), bytes, 0);
    tree.add(source, utf8_error, &mut diagnostics);
    tree.diagnostics = diagnostics;
    tree
}

/// Text from bytes; invalid UTF-8 becomes a diagnostic at the first bad byte.
fn decode(name: String, path: PathBuf, mut bytes: Vec<u8>, id: usize) -> (SourceFile, Option<Diagnostic>) {
    // Editors on some systems start UTF-8 files with a byte-order mark: it is not content.
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes.drain(..3);
    }
    match String::from_utf8(bytes) {
        Ok(text) => (SourceFile { name, path, text: text.into() }, None),
        Err(err) => {
            let at = err.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(err.as_bytes()).into_owned();
            let diag = Diagnostic::new(Code::InvalidUtf8, format!("`{name}` is not valid UTF-8"))
                .primary(Span::new(id, at, at.saturating_add(1)), "this byte is not UTF-8")
                .help("save the file as UTF-8 text");
            (SourceFile { name, path, text: text.into() }, Some(diag))
        }
    }
}

impl RuleTree {
    /// Add a read file: parse it unless it could not be decoded.
    fn add(&mut self, source: SourceFile, decode_error: Option<Diagnostic>, diagnostics: &mut Vec<Diagnostic>) {
        let id = self.files.len();
        if let Some(diag) = decode_error {
            diagnostics.push(diag);
            self.incomplete = true;
        } else {
            let (ast, diags) = parse::parse_file(id, &source);
            let unread =
                ast.is_none() || diags.iter().any(|d| matches!(d.code, Code::SyntaxError | Code::InternalError));
            self.incomplete |= unread;
            diagnostics.extend(diags);
            self.asts.extend(ast);
        }
        self.files.push(source);
    }
}
