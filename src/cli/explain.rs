//! `assay explain`: how one figure was derived, as a tree down to the data cells, a JSON
//! graph or Markdown; optionally checked against a saved result.

use super::{EXIT_ERRORS, EXIT_OK, EXIT_USAGE};
use crate::check::{self, CheckOptions};
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::explain::{self, Request};
use crate::render::{self, ErrorFormat};
use std::io::IsTerminal;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExplainFormat {
    /// A tree: each rule with its sub-expressions' values, each data value with its cell.
    Text,
    /// The derivation graph: nodes and edges (documented in the README).
    Json,
    /// Sections for an audit pack.
    Markdown,
}

/// Explain how a figure was derived: the rule that defines it with the value of each
/// sub-expression, then each input in turn (KPIs, parameters, peer-group statistics, script
/// calls) down to the data cells it was read from.
///
/// Examples: `assay explain saving[finance] --methodology national_average --entity SA0001`,
/// `assay explain cost_share[finance] --entity SA0001`,
/// `assay explain total_saving --methodology national_average --by org_type=small`.
#[derive(clap::Args, Debug)]
pub struct ExplainArgs {
    /// The figure: a KPI or methodology figure with its index (`saving[finance]`,
    /// `national_average.saving[finance]`), a parameter, a field, or `total_FIGURE`.
    selector: String,
    /// The entity (its key, as the data writes it).
    #[arg(long)]
    entity: Option<String>,
    /// The period (needed when the data has several).
    #[arg(long)]
    period: Option<String>,
    /// The methodology the figure or total belongs to.
    #[arg(long)]
    methodology: Option<String>,
    /// A total's group, as `dimension=member` (comma-separated); none: the overall total.
    #[arg(long, value_delimiter = ',')]
    by: Vec<String>,
    /// Levels of inputs to show (default: all, down to the data).
    #[arg(long)]
    depth: Option<usize>,
    /// A total's largest contributions shown.
    #[arg(long, default_value_t = 10)]
    top: usize,
    /// List every member of a peer group, however large. Without it a group of up to 1,000
    /// lists every member, and a larger one its ends, each side of every trimming cut and
    /// the entity explained, saying how many more there are.
    #[arg(long)]
    all_members: bool,
    /// Re-derive the figure and compare with a result saved by `assay eval --format json`:
    /// says which rule and data files changed since. Exit status 1 if it no longer holds.
    #[arg(long)]
    against: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = ExplainFormat::Text)]
    format: ExplainFormat,
    /// Rule files or directories.
    #[arg(long, default_value = "rules", num_args = 1..)]
    rules: Vec<PathBuf>,
    /// The data folder (default: the rules directory's `DEFAULT_DATA`).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Write the output to this file (atomically) instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value_t = ErrorFormat::Human)]
    error_format: ErrorFormat,
}

pub fn run(args: &ExplainArgs) -> u8 {
    let started = std::time::Instant::now();
    let timings = std::env::var_os("ASSAY_TIMINGS").is_some();
    let tree = crate::load::load(&args.rules);
    let report = check::check(&tree, CheckOptions::default());
    if timings {
        eprintln!("timing: read and check rules: {:.3} s", started.elapsed().as_secs_f64());
    }
    let colour = render::use_colour(std::io::stderr().is_terminal());
    let mut sources = tree.files.clone();
    if report.errors() > 0 {
        print(&report.diagnostics, &sources, args.error_format, colour);
        eprintln!("the rules have errors: nothing was explained");
        return EXIT_ERRORS;
    }
    let Some(data_dir) = args.data.clone().or_else(|| super::eval::default_data(&args.rules)) else {
        eprintln!("error[usage]: no data folder: give `--data DIR`, or name one in a `DEFAULT_DATA` file in the rules directory");
        return EXIT_USAGE;
    };
    let mut by = Vec::new();
    for b in &args.by {
        match b.split_once('=') {
            Some((k, v)) => by.push((k.trim().to_string(), v.trim().to_string())),
            None => {
                eprintln!("error[usage]: `--by {b}`: write a group as `dimension=member`, e.g. `org_type=small`");
                return EXIT_USAGE;
            }
        }
    }
    let request = Request {
        data_dir,
        selector: args.selector.clone(),
        entity: args.entity.clone(),
        period: args.period.clone(),
        methodology: args.methodology.clone(),
        by,
        depth: args.depth,
        top: args.top,
        all_members: args.all_members,
    };
    let (graph, mut diags) = explain::explain(&tree, &request, &mut sources);
    let usage = diags.iter().any(|d| d.code == Code::UnknownSelection);
    crate::diagnostic::sort(&mut diags);
    print(&diags, &sources, args.error_format, colour);
    let Some(mut graph) = graph.filter(|_| !diags.iter().any(Diagnostic::is_error)) else {
        return if usage { EXIT_USAGE } else { EXIT_ERRORS };
    };
    if let Some(path) = &args.against {
        match explain::against::compare(path, &graph) {
            Ok(a) => graph.against = Some(a),
            Err(why) => {
                let d = Diagnostic::new(Code::IoError, why)
                    .help("give a file written by `assay eval --format json --output FILE`");
                print(&[d], &sources, args.error_format, colour);
                return EXIT_ERRORS;
            }
        }
    }
    let out_colour = args.output.is_none() && render::use_colour(std::io::stdout().is_terminal());
    let text = match args.format {
        ExplainFormat::Text => explain::text::render(&graph, &tree.files, out_colour),
        ExplainFormat::Json => explain::json::render(&graph),
        ExplainFormat::Markdown => explain::markdown::render(&graph),
    };
    if timings {
        eprintln!("timing: total before writing: {:.3} s", started.elapsed().as_secs_f64());
    }
    if let Err(why) = crate::output::write(args.output.as_deref(), &text) {
        let d = Diagnostic::new(Code::OutputError, why).help("check that the folder exists and is writable");
        print(&[d], &sources, args.error_format, colour);
        return EXIT_ERRORS;
    }
    match &graph.against {
        Some(a) if !a.holds() => EXIT_ERRORS,
        _ => EXIT_OK,
    }
}

fn print(diags: &[Diagnostic], sources: &[crate::source::SourceFile], format: ErrorFormat, colour: bool) {
    if diags.is_empty() {
        return;
    }
    eprintln!("{}", render::render_all(diags, sources, format, colour).trim_end());
}
