//! `assay fmt [PATHS...]`: rewrite rule files in the canonical layout, or with `--check`
//! show what would change.

use super::render::{self, ErrorFormat};
use super::{EXIT_ERRORS, EXIT_OK};
use std::io::IsTerminal;
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
/// Exit status: 0 when every file is (or now is) formatted; 1 when a file has errors or,
/// with --check, would change; 2 on usage errors.
#[derive(clap::Args, Debug)]
pub struct FmtArgs {
    /// Rule files or directories (every `*.assay` below them, in name order).
    #[arg(default_value = "rules")]
    paths: Vec<PathBuf>,
    /// Write nothing: print a unified diff of what would change, and exit 1 if anything would.
    #[arg(long)]
    check: bool,
}

/// Diagnostics are for people here (`check --error-format json` serves tools).
const FORMAT: ErrorFormat = ErrorFormat::Human;

pub fn run(args: &FmtArgs) -> u8 {
    let colour = render::use_colour(std::io::stdout().is_terminal());
    let (files, diags) = crate::load::find_rule_files(&args.paths);
    let mut failed = !diags.is_empty();
    if !diags.is_empty() {
        println!("{}", render::render_all(&diags, &[], FORMAT, colour));
    }
    let (mut changed, mut unchanged) = (0usize, 0usize);
    for path in &files {
        let name = crate::load::display(path);
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(err) => {
                println!("error[io-error]: cannot read `{name}`: {err}");
                failed = true;
                continue;
            }
        };
        let tree = crate::load::load_bytes(&name, bytes);
        let (Some(source), Some(ast)) = (tree.files.first(), tree.asts.first()) else { continue };
        if !tree.diagnostics.is_empty() {
            println!("{}", render::render_all(&tree.diagnostics, &tree.files, FORMAT, colour));
            failed = true;
            continue;
        }
        let formatted = match crate::fmt::format_parsed(ast, source) {
            Ok(text) => text,
            Err(diags) => {
                println!("{}", render::render_all(&diags, &tree.files, FORMAT, colour));
                failed = true;
                continue;
            }
        };
        // Compare with the bytes on disk: a byte-order mark or CRLF line ends are changes too.
        let on_disk = std::fs::read(path).unwrap_or_default();
        if on_disk == formatted.as_bytes() {
            unchanged += 1;
            continue;
        }
        changed += 1;
        if args.check {
            let old = String::from_utf8_lossy(&on_disk);
            let diff = similar::TextDiff::from_lines(old.as_ref(), formatted.as_str());
            print!("{}", diff.unified_diff().context_radius(3).header(&name, &name));
        } else if let Err(err) = rewrite(path, &formatted) {
            println!("error[io-error]: {err}");
            failed = true;
        } else {
            println!("formatted {name}");
        }
    }
    let total = changed + unchanged;
    let files_word = |n: usize| if n == 1 { "file" } else { "files" };
    if args.check {
        if changed > 0 {
            println!("{changed} of {total} {} would be reformatted (run `assay fmt` to do it)", files_word(total));
        } else {
            println!("{total} {} already formatted", files_word(total));
        }
    } else {
        println!("{changed} of {total} {} reformatted", files_word(total));
    }
    if failed || (args.check && changed > 0) {
        EXIT_ERRORS
    } else {
        EXIT_OK
    }
}

/// Replace a file's text atomically, keeping its permissions; through a symbolic link,
/// the file it points to is rewritten and the link kept.
fn rewrite(path: &Path, text: &str) -> Result<(), String> {
    let target = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let permissions = std::fs::metadata(&target).map(|m| m.permissions()).ok();
    super::output::write(Some(&target), text)?;
    if let Some(p) = permissions {
        // The text is already safely in place; permissions are best effort.
        let _ = std::fs::set_permissions(&target, p);
    }
    Ok(())
}
