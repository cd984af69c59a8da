//! `assay diff OLD NEW`: the semantic change between two versions of the rules, and with
//! `--data` the figures it moves.

use super::render::ErrorFormat;
use super::shell::{self, Outcome, Shell, Stop, EXIT_ERRORS, EXIT_OK};
use crate::check::{self, CheckOptions};
use crate::diagnostic::Diagnostic;
use crate::diff::{self, figures, semantic, side, Format, Report};
use std::path::PathBuf;

/// Compare two versions of the rules: definitions added, removed and changed (a formula, a
/// parameter value, a table row, a cite), ignoring layout and comments. With `--data`,
/// evaluate both over the same data and list the figures that moved, largest first, each
/// with the changed definitions behind it.
///
/// OLD and NEW are directories or git revisions: `HEAD~1` (meaning `HEAD~1:rules`),
/// `main:rules`. As in git, a revision's path is from the top of the repository, and
/// `main:./rules` from the current folder. Revisions are read from git's object store;
/// the working tree and the index are never touched.
///
/// Exit status: 0 (even with changes, unless `--fail-on-change`), 1 when either side has
/// errors or, with `--fail-on-change`, anything changed; 2 usage errors.
#[derive(clap::Args, Debug)]
pub struct DiffArgs {
    /// The old rules: a directory or a git revision.
    old: String,
    /// The new rules: a directory or a git revision.
    new: String,
    /// Evaluate both sides over this data folder and list the figures that moved.
    #[arg(long)]
    data: Option<PathBuf>,
    /// Exit 1 when anything changed (for CI).
    #[arg(long)]
    fail_on_change: bool,
    /// Output format (`markdown` suits a pull-request comment).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// How many moved figures to list in text and markdown (JSON lists all).
    #[arg(long, default_value_t = 50)]
    limit: usize,
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value_t = ErrorFormat::Human)]
    error_format: ErrorFormat,
    // With `--data`: the scripts of both sides share one budget.
    #[command(flatten)]
    scripts: shell::ScriptArgs,
}

/// Both sides' policy verdicts over the data, compared (none when it holds no policy's data).
fn verdict_changes(
    shell: &mut Shell,
    sides: [&side::Side; 2],
    data: &std::path::Path,
    budget: &crate::eval::budget::ScriptBudget,
) -> Result<Option<Vec<diff::verdicts::VerdictChange>>, Stop> {
    let mut verdicts = Vec::new();
    for s in sides {
        let (v, mut diags, mut sources) = diff::verdicts::verify(&s.tree, data, budget);
        s.own(&mut diags, &mut sources);
        shell.sources = sources;
        let then = format!("`{}` could not be verified over `{}`", s.label, crate::load::display(data));
        shell.report(&diags, &then)?;
        verdicts.push(v);
    }
    Ok(match verdicts.as_slice() {
        [Some(a), Some(b)] => Some(diff::verdicts::compare(a, b)),
        _ => None,
    })
}

pub fn run(args: &DiffArgs) -> u8 {
    shell::status(diff(args, &mut Shell::new(args.error_format)))
}

fn diff(args: &DiffArgs, shell: &mut Shell) -> Outcome {
    if let Some(data) = &args.data {
        shell.existing(std::slice::from_ref(data), "give the folder that the datasets' files are in with `--data`")?;
    }
    let mut sides = Vec::new();
    for (n, spec) in [&args.old, &args.new].into_iter().enumerate() {
        match side::read(spec, n) {
            Ok(s) => sides.push(s),
            Err(d) => {
                shell.print(&[d]);
                return Err(Stop::Failed);
            }
        }
    }
    let [old, new] = sides.as_slice() else { return Err(Stop::Failed) };
    // Comparing needs both sides parsed; evaluating them needs them checked too (a part of
    // a library, such as `rules/kpis`, can be compared without the rest).
    for s in [old, new] {
        let diagnostics = if args.data.is_some() {
            check::check(&s.tree, CheckOptions::default()).diagnostics
        } else {
            s.tree.diagnostics.clone()
        };
        if diagnostics.iter().any(Diagnostic::is_error) {
            let (mut diagnostics, mut sources) = (diagnostics, s.tree.files.clone());
            s.own(&mut diagnostics, &mut sources);
            shell.sources = sources;
            shell.report(&diagnostics, &format!("`{}` has errors: nothing was compared", s.label))?;
        }
    }
    let changes = semantic::compare(&old.tree, &new.tree);
    let mut report = Report {
        old: old.label.clone(),
        new: new.label.clone(),
        changes,
        figures: None,
        totals: None,
        figures_removed: 0,
        figures_added: 0,
        verdicts: None,
    };
    if let Some(data) = &args.data {
        let mut progress = super::progress::Progress::new();
        progress.step("evaluating both sides");
        let mut results = Vec::new();
        let budget = args.scripts.budget();
        for s in [old, new] {
            let (r, mut diags, mut sources) = figures::evaluate(&s.tree, data, &budget);
            s.own(&mut diags, &mut sources);
            shell.sources = sources;
            let then = format!("`{}` could not be evaluated over `{}`", s.label, crate::load::display(data));
            shell.report(&diags, &then)?;
            let Some(r) = r else {
                shell.say(then);
                return Err(Stop::Failed);
            };
            results.push(r);
        }
        progress.finish();
        let mut deps = check::dependencies(&old.tree);
        deps.extend(check::dependencies(&new.tree));
        let closure = figures::closure(&deps);
        if let [a, b] = results.as_slice() {
            report.totals = Some(figures::moved_totals(a, b, &report.changes, &closure));
            (report.figures_removed, report.figures_added) = figures::unmatched(a, b);
            report.figures = Some(figures::moved(a, b, &report.changes, &closure));
        }
        report.verdicts = verdict_changes(shell, [old, new], data, &budget)?;
    }
    shell.out(&diff::render(&report, args.format, args.limit))?;
    Ok(if args.fail_on_change && report.changed() { EXIT_ERRORS } else { EXIT_OK })
}
