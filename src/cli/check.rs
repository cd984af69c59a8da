//! `assay check [PATHS...]`: parse and check a rules tree, print diagnostics and a summary.

use super::render::ErrorFormat;
use super::shell::{self, Outcome, Shell, EXIT_ERRORS, EXIT_OK};
use crate::check::{self, CheckOptions};
use crate::value::format::plural;
use std::io::IsTerminal;
use std::path::PathBuf;

/// Check rule files for errors: syntax, unknown or duplicate names, units, indices,
/// cycles, decision-table overlaps and gaps, citations.
///
/// Prints every diagnostic on standard output, then one summary line; with
/// `--error-format json`, one JSON document holding the diagnostics and the summary.
/// Exit status: 0 when clean, 1 when there are errors (or, with --strict, warnings),
/// 2 on usage errors (such as a path that does not exist).
#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// Rule files or directories (every `*.assay` below them, in name order).
    #[arg(default_value = "rules")]
    paths: Vec<PathBuf>,
    /// Also require every definition to cite its source, and fail on warnings.
    #[arg(long)]
    strict: bool,
    /// How to print diagnostics: `human` (annotated source), `plain` (sentences) or
    /// `json` (one document: `{"diagnostics": [...], "summary": {...}}`).
    #[arg(long, value_enum, default_value_t = ErrorFormat::Human)]
    error_format: ErrorFormat,
}

pub fn run(args: &CheckArgs) -> u8 {
    shell::status(check_paths(args, &mut Shell::new(args.error_format)))
}

fn check_paths(args: &CheckArgs, shell: &mut Shell) -> Outcome {
    shell.existing(&args.paths, "give rule files or directories of `.assay` files")?;
    let timer = crate::timing::Timer::start();
    let tree = crate::load::load(&args.paths);
    timer.lap("read and parse rules");
    let report = check::check(&tree, CheckOptions { strict: args.strict });
    timer.lap("check rules");
    shell.sources = tree.files.clone();
    let colour = super::render::use_colour(std::io::stdout().is_terminal());
    let (errors, warnings) = (report.errors(), report.warnings());
    let failed = errors > 0 || (args.strict && warnings > 0);
    if args.error_format == ErrorFormat::Json {
        let diags = shell.render(&report.diagnostics, false);
        shell.line(format_args!(
            "{{\"diagnostics\":{diags},\"summary\":{{\"files\":{},\"definitions\":{},\"errors\":{errors},\"warnings\":{warnings},\"ok\":{}}}}}",
            report.files, report.definitions, !failed
        ))?;
    } else {
        if !report.diagnostics.is_empty() {
            shell.line(shell.render(&report.diagnostics, colour))?;
        }
        shell.line(format_args!(
            "checked {} file{}, {} definition{}: {} error{}, {} warning{}",
            report.files,
            plural(report.files),
            report.definitions,
            plural(report.definitions),
            errors,
            plural(errors),
            warnings,
            plural(warnings)
        ))?;
    }
    Ok(if failed { EXIT_ERRORS } else { EXIT_OK })
}
