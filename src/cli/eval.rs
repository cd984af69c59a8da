//! `assay eval`: check the rules, load the data, evaluate KPIs and methodologies, report.

use super::{EXIT_ERRORS, EXIT_OK, EXIT_USAGE};
use crate::check::{self, CheckOptions};
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::eval::run::{self, Request};
use crate::render::{self, ErrorFormat};
use crate::report::{self, Format};
use std::io::IsTerminal;
use std::path::PathBuf;

/// Evaluate the rules over a data folder: every KPI for every entity and period, and the
/// methodologies' figures and totals.
///
/// With no options, evaluates the shipped rules (`rules/`) over the shipped example data
/// and prints each methodology's totals side by side. Diagnostics go to standard error;
/// on any error nothing is written and the exit status is 1.
#[derive(clap::Args, Debug)]
pub struct EvalArgs {
    /// Rule files or directories.
    #[arg(long, default_value = "rules", num_args = 1..)]
    rules: Vec<PathBuf>,
    /// The folder that datasets' `file` paths are relative to. Default: the folder named
    /// on the first line of a `DEFAULT_DATA` file in the rules directory.
    #[arg(long)]
    data: Option<PathBuf>,
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
}

pub fn run(args: &EvalArgs) -> u8 {
    let mut progress = crate::progress::Progress::new();
    progress.step("checking rules");
    let tree = crate::load::load(&args.rules);
    let report = check::check(&tree, CheckOptions::default());
    let colour = render::use_colour(std::io::stderr().is_terminal());
    let mut sources = tree.files.clone();
    if report.errors() > 0 {
        progress.finish();
        print(&report.diagnostics, &sources, args.error_format, colour);
        eprintln!(
            "the rules have {} error{}: nothing was evaluated",
            report.errors(),
            if report.errors() == 1 { "" } else { "s" }
        );
        return EXIT_ERRORS;
    }
    let Some(data_dir) = args.data.clone().or_else(|| default_data(&args.rules)) else {
        progress.finish();
        eprintln!("error[usage]: no data folder: give `--data DIR`, or name one in a `DEFAULT_DATA` file in the rules directory");
        return EXIT_USAGE;
    };
    let request = Request {
        data_dir,
        period: args.period.clone(),
        methodologies: args.methodology.clone(),
        select: args.select.clone(),
    };
    progress.step("loading data and evaluating");
    let (results, mut diags) = run::run(&tree, &request, &mut sources);
    progress.finish();
    let usage = diags.iter().any(|d| d.code == Code::UnknownSelection);
    let failed = diags.iter().any(Diagnostic::is_error);
    crate::diagnostic::sort(&mut diags);
    print(&diags, &sources, args.error_format, colour);
    let Some(results) = results.filter(|_| !failed) else {
        eprintln!("nothing was written");
        return if usage { EXIT_USAGE } else { EXIT_ERRORS };
    };
    let started = std::time::Instant::now();
    let text = report::render(&results, args.format);
    if std::env::var_os("ASSAY_TIMINGS").is_some() {
        eprintln!("timing: render: {:.3} s", started.elapsed().as_secs_f64());
    }
    match crate::output::write(args.output.as_deref(), &text) {
        Ok(()) => EXIT_OK,
        Err(why) => {
            let d = Diagnostic::new(Code::OutputError, why).help("check that the folder exists and is writable");
            print(&[d], &sources, args.error_format, colour);
            EXIT_ERRORS
        }
    }
}

/// The data folder a rules directory names as its default (first line of `DEFAULT_DATA`).
pub fn default_data(rules: &[PathBuf]) -> Option<PathBuf> {
    rules.iter().find_map(|r| {
        let text = std::fs::read_to_string(r.join("DEFAULT_DATA")).ok()?;
        text.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with('#')).map(PathBuf::from)
    })
}

fn print(diags: &[Diagnostic], sources: &[crate::source::SourceFile], format: ErrorFormat, colour: bool) {
    if diags.is_empty() {
        return;
    }
    eprintln!("{}", render::render_all(diags, sources, format, colour).trim_end());
}
