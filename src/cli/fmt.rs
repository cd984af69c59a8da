//! `assay fmt [PATHS...]`: rewrite rule files in the canonical layout, or with `--check`
//! show what would change.

use super::render::ErrorFormat;
use super::shell::{self, Outcome, Shell, Stop, EXIT_ERRORS, EXIT_OK};
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use std::path::{Path, PathBuf};

/// Format rule files in the one canonical layout, keeping every comment.
///
/// Indentation, spacing, blank lines between definitions and the alignment of
/// decision-table columns are made uniform; comments and doc comments stay where they
/// are, and long lines are not wrapped. A file is rewritten atomically, and only if it
/// changes; a file that does not parse cleanly (a syntax error, an impossible date, a
/// number too large) is left untouched and its errors are printed.
/// Every result is parsed back and compared with the original before anything is written.
///
/// Diagnostics go to standard error; diffs and the summary to standard output.
///
/// Exit status: 0 when every file is (or now is) formatted; 1 when a file has errors or,
/// with --check, would change; 2 on usage errors (such as a path that does not exist).
#[derive(clap::Args, Debug)]
pub struct FmtArgs {
    /// Rule files or directories (every `*.assay` below them, in name order).
    #[arg(default_value = "rules")]
    paths: Vec<PathBuf>,
    /// Write nothing: print a unified diff of what would change, and exit 1 if anything would.
    #[arg(long)]
    check: bool,
    /// How to print diagnostics (on standard error): `human`, `plain` or `json`.
    #[arg(long, value_enum, default_value_t = ErrorFormat::Human)]
    error_format: ErrorFormat,
}

pub fn run(args: &FmtArgs) -> u8 {
    shell::status(format(args, &mut Shell::new(args.error_format)))
}

/// What became of the files: reformatted (or, with `--check`, to be), already formatted,
/// and left alone because of errors.
#[derive(Default)]
struct Tally {
    changed: usize,
    unchanged: usize,
    failed: usize,
}

fn format(args: &FmtArgs, shell: &mut Shell) -> Outcome {
    shell.existing(&args.paths, "give rule files or directories of `.assay` files")?;
    let (files, diags) = crate::load::find_rule_files(&args.paths);
    shell.print(&diags);
    let mut tally = Tally { failed: diags.len(), ..Tally::default() };
    for path in &files {
        format_file(args, shell, path, &mut tally)?;
    }
    let total = tally.changed.saturating_add(tally.unchanged);
    let files_word = |n: usize| if n == 1 { "file" } else { "files" };
    let left =
        if tally.failed > 0 { format!("; {} left alone because of errors", tally.failed) } else { String::new() };
    if args.check && tally.changed > 0 {
        let (changed, word) = (tally.changed, files_word(total));
        shell
            .line(format_args!("{changed} of {total} {word} would be reformatted (run `assay fmt` to do it){left}"))?;
    } else if args.check {
        shell.line(format_args!("{total} {} already formatted{left}", files_word(total)))?;
    } else {
        shell.line(format_args!("{} of {total} {} reformatted{left}", tally.changed, files_word(total)))?;
    }
    Ok(if tally.failed > 0 || (args.check && tally.changed > 0) { EXIT_ERRORS } else { EXIT_OK })
}

/// Format one file: print its errors, its diff (`--check`), or rewrite it.
fn format_file(args: &FmtArgs, shell: &mut Shell, path: &Path, tally: &mut Tally) -> Result<(), Stop> {
    let name = crate::load::display(path);
    let bytes = match crate::source::read_input(path) {
        Ok(b) => b,
        Err(err) => {
            let d = Diagnostic::new(Code::IoError, format!("cannot read `{name}`: {err}"))
                .help("check that the file exists and is readable");
            shell.print(&[d]);
            tally.failed = tally.failed.saturating_add(1);
            return Ok(());
        }
    };
    let timer = crate::timing::Timer::start();
    let tree = crate::load::load_bytes(&name, bytes.clone());
    timer.lap("read and parse rules");
    shell.sources = tree.files.clone();
    let formatted = match (tree.files.first(), tree.asts.first()) {
        (Some(source), Some(ast)) if tree.diagnostics.is_empty() => crate::fmt::format_parsed(ast, source),
        _ => Err(tree.diagnostics.clone()),
    };
    timer.lap("format");
    let formatted = match formatted {
        Ok(text) => text,
        Err(diags) => {
            shell.print(&diags);
            tally.failed = tally.failed.saturating_add(1);
            return Ok(());
        }
    };
    // Compare with the bytes read: a byte-order mark or CRLF line ends are changes too.
    if bytes == formatted.as_bytes() {
        tally.unchanged = tally.unchanged.saturating_add(1);
        return Ok(());
    }
    tally.changed = tally.changed.saturating_add(1);
    if args.check {
        let old = String::from_utf8_lossy(&bytes);
        let diff = similar::TextDiff::from_lines(old.as_ref(), formatted.as_str());
        shell.out(&diff.unified_diff().context_radius(3).header(&name, &name).to_string())?;
    } else if let Err(err) = rewrite(path, &formatted) {
        shell.print(&[Diagnostic::new(Code::OutputError, err).help("check that the file and its folder are writable")]);
        tally.failed = tally.failed.saturating_add(1);
    } else {
        shell.line(format_args!("formatted {name}"))?;
    }
    Ok(())
}

/// Replace a file's text atomically, keeping its permissions; through a symbolic link,
/// the file it points to is rewritten and the link kept.
fn rewrite(path: &Path, text: &str) -> Result<(), String> {
    let target = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let permissions = std::fs::metadata(&target).map(|m| m.permissions()).ok();
    super::output::write_file(&target, text)?;
    if let Some(p) = permissions {
        // The text is already safely in place; permissions are best effort.
        let _ = std::fs::set_permissions(&target, p);
    }
    Ok(())
}
