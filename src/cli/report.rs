//! `assay report`: write the HTML pages a `report` definition declares.

use super::output;
use super::render::ErrorFormat;
use super::shell::{self, Outcome, Shell, Stop, EXIT_OK};
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::report::html::{self, Request};
use std::path::PathBuf;

/// Write a report as self-contained HTML: charts as inline SVG, every figure's derivation
/// under it, the data's notice and the stamp of every rule and data file on each page.
/// Pages open from disk with no network.
///
/// Reports are declared in the rules (`report NAME "Title" [each ENTITY] { ... }`). A report
/// with `each` has a page per entity (`--entity KEY`, or `--all`); one without is a single
/// page of all entities. `--all` writes every report (or the one named) into a folder, with
/// an index page: all of it or, on failure, nothing.
///
/// Examples: `assay report --all --output report/`,
/// `assay report peer_to_peer --entity SA0001 --output SA0001.html`,
/// `assay report --rules examples/eric/rules --data examples/eric/data --entity R1A --output t.html`.
#[derive(clap::Args, Debug)]
pub struct ReportArgs {
    /// The report (default: the rules' first report of the kind asked for: per entity with
    /// `--entity`, else the report of all entities; with `--all`, every report).
    report: Option<String>,
    /// The entity whose page to write (its key, as the data writes it).
    #[arg(long, conflicts_with = "all")]
    entity: Option<String>,
    /// Every report, each `each` report for every entity, into the folder `--output`
    /// names, with an index page.
    #[arg(long)]
    all: bool,
    /// The period shown (trends show every period; default: the latest in the data).
    #[arg(long)]
    period: Option<String>,
    #[command(flatten)]
    inputs: shell::InputArgs,
    /// The page's file (`-`: standard output), or with `--all` the folder to write: a new
    /// or empty folder, or one an earlier `assay report` wrote, which is replaced.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value_t = ErrorFormat::Human)]
    error_format: ErrorFormat,
    #[command(flatten)]
    scripts: shell::ScriptArgs,
}

pub fn run(args: &ReportArgs) -> u8 {
    shell::status(report(args, &mut Shell::new(args.error_format)))
}

fn report(args: &ReportArgs, shell: &mut Shell) -> Outcome {
    if args.all && args.output.as_ref().is_none_or(|o| o.as_os_str() == "-") {
        return Err(shell.usage("`--all` writes a folder of pages", "give the folder with `--output DIR`"));
    }
    if let Some(dir) = args.output.as_deref().filter(|_| args.all) {
        if let Err(why) = output::folder_writable(dir) {
            shell.print(&[
                Diagnostic::new(Code::OutputError, why).help("give a new or empty folder whose parent exists")
            ]);
            return Err(Stop::Failed);
        }
    }
    let mut progress = super::progress::Progress::new();
    progress.step("checking rules");
    let (tree, data_dir) = shell.rules_and_data(&args.inputs, "written")?;
    if !args.all {
        shell.output_path(args.output.as_deref(), &tree, &data_dir, &[])?;
    }
    let request = Request {
        data_dir,
        report: args.report.clone(),
        entity: args.entity.clone(),
        all: args.all,
        period: args.period.clone(),
        budget: args.scripts.budget(),
    };
    progress.step("evaluating");
    let (pages, diags) =
        html::pages(&tree, &request, &mut shell.sources, &mut |done, total| progress.count(done, total, "pages"));
    progress.finish();
    shell.report(&diags, "nothing was written")?;
    let Some(pages) = pages else {
        shell.say("nothing was written");
        return Err(Stop::Failed);
    };
    match (&args.output, args.all) {
        (Some(dir), true) => {
            let files: Vec<(PathBuf, &str)> = pages.iter().map(|p| (p.path.clone(), p.html.as_str())).collect();
            output::write_folder(dir, &files).map_err(|why| {
                shell.print(&[
                    Diagnostic::new(Code::OutputError, why).help("give a new or empty folder whose parent exists")
                ]);
                Stop::Failed
            })?;
            shell.say(format!("wrote {} pages into {}", pages.len(), crate::load::display(dir)));
        }
        (output, _) => {
            let Some(page) = pages.first() else { return Err(Stop::Failed) };
            shell.write(output.as_deref(), &page.html)?;
        }
    }
    Ok(EXIT_OK)
}
