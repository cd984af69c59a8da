//! `assay eval`: check the rules, load the data, evaluate KPIs and methodologies, report.

use super::render::ErrorFormat;
use super::shell::{self, Outcome, Shell, Stop, EXIT_OK};
use crate::eval::run::{self, Request};
use crate::report::{self, Format};
use std::path::PathBuf;

/// Evaluate the rules over a data folder: every KPI for every entity and period, and the
/// methodologies' figures and totals.
///
/// With no options, evaluates the shipped rules (`rules/`) over the shipped example data
/// and prints each methodology's totals side by side. Diagnostics go to standard error;
/// on any error nothing is written and the exit status is 1.
#[derive(clap::Args, Debug)]
pub struct EvalArgs {
    #[command(flatten)]
    inputs: shell::InputArgs,
    /// Evaluate one period only (as the data writes it, e.g. `2009/10`).
    #[arg(long)]
    period: Option<String>,
    /// Methodologies to evaluate, comma-separated (default: all).
    #[arg(long, value_delimiter = ',')]
    methodology: Vec<String>,
    /// What to report, comma-separated: KPI names (values by entity), methodology names
    /// (their totals), or `methodology.figure` (values by entity). A KPI or figure may name
    /// one member of each index, `national_average.saving[finance]`, to report only those
    /// values. Default: everything.
    #[arg(long, num_args = 1..)]
    select: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Write the output to this file (atomically) instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value_t = ErrorFormat::Human)]
    error_format: ErrorFormat,
    #[command(flatten)]
    scripts: shell::ScriptArgs,
}

pub fn run(args: &EvalArgs) -> u8 {
    shell::status(eval(args, &mut Shell::new(args.error_format)))
}

fn eval(args: &EvalArgs, shell: &mut Shell) -> Outcome {
    let mut progress = super::progress::Progress::new();
    progress.step("checking rules");
    let (tree, data_dir) = shell.rules_and_data(&args.inputs, "evaluated")?;
    shell.output_path(args.output.as_deref(), &tree, &data_dir, &[])?;
    let request = Request {
        data_dir,
        period: args.period.clone(),
        methodologies: args.methodology.clone(),
        select: args.select.clone(),
        budget: args.scripts.budget(),
        ..Default::default()
    };
    progress.step("loading data and evaluating");
    let (results, diags) = run::run(&tree, &request, &mut shell.sources);
    progress.finish();
    shell.report(&diags, "nothing was written")?;
    let Some(results) = results else {
        shell.say("nothing was written");
        return Err(Stop::Failed);
    };
    let timer = crate::timing::Timer::start();
    let text = report::render(&results, args.format);
    timer.lap("render");
    shell.write(args.output.as_deref(), &text)?;
    Ok(EXIT_OK)
}
