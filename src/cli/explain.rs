//! `assay explain`: how one figure was derived, as a tree down to the data cells, a JSON
//! graph or Markdown; optionally checked against a saved result.

use super::render::ErrorFormat;
use super::shell::{self, Outcome, Shell, Stop, EXIT_ERRORS, EXIT_OK};
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::explain::{self, Request};
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
/// A policy's verdict is explained the same way, for one entity or record: `assay explain
/// strategic_in_house --entity RX101 --row 3 --data examples/plans/failing`.
///
/// Examples: `assay explain 'saving[finance]' --methodology national_average --entity SA0001`,
/// `assay explain 'cost_share[finance]' --entity SA0001`,
/// `assay explain total_saving --methodology national_average --by org_type=acute`.
#[derive(clap::Args, Debug)]
pub struct ExplainArgs {
    /// The figure: a KPI or methodology figure with its index (`saving[finance]`,
    /// `national_average.saving[finance]`), a parameter, a field, or `total_FIGURE`; or a
    /// policy (`areas_covered[payroll]` for an indexed one).
    selector: String,
    /// The entity (its key, as the data writes it).
    #[arg(long)]
    entity: Option<String>,
    /// For a policy over records: the record, by its line in the data file (as `verify`
    /// reports it), when its entity has several rows.
    #[arg(long)]
    row: Option<usize>,
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
    /// Output format: `text` (a tree with source excerpts), `json` (the derivation graph)
    /// or `markdown` (sections for an audit pack).
    #[arg(long, value_enum, default_value_t = ExplainFormat::Text)]
    format: ExplainFormat,
    #[command(flatten)]
    inputs: shell::InputArgs,
    /// Write the output to this file (atomically) instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value_t = ErrorFormat::Human)]
    error_format: ErrorFormat,
    #[command(flatten)]
    scripts: shell::ScriptArgs,
}

pub fn run(args: &ExplainArgs) -> u8 {
    shell::status(explain(args, &mut Shell::new(args.error_format)))
}

fn explain(args: &ExplainArgs, shell: &mut Shell) -> Outcome {
    let timer = crate::timing::Timer::start();
    let (tree, data_dir) = shell.rules_and_data(&args.inputs, "explained")?;
    timer.lap("read and check rules");
    shell.output_path(args.output.as_deref(), &tree, &data_dir, args.against.as_deref().as_slice())?;
    let mut by = Vec::new();
    for b in &args.by {
        let Some((k, v)) = b.split_once('=') else {
            return Err(shell.usage(
                format!("`--by {b}`: a group is written `dimension=member`"),
                "the dimensions are those the methodology's `total ... by` declares; the member is one of its values",
            ));
        };
        by.push((k.trim().to_string(), v.trim().to_string()));
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
        budget: args.scripts.budget(),
        row: args.row,
    };
    let (graph, diags) = explain::explain(&tree, &request, &mut shell.sources);
    shell.report(&diags, "nothing was explained")?;
    let Some(mut graph) = graph else { return Err(Stop::Failed) };
    if let Some(path) = &args.against {
        match explain::against::compare(path, &graph) {
            Ok(a) => graph.against = Some(a),
            Err(why) => {
                let d = Diagnostic::new(Code::IoError, why)
                    .help("give a file written by `assay eval --format json --output FILE`");
                shell.print(&[d]);
                return Err(Stop::Failed);
            }
        }
    }
    let out_colour = args.output.is_none() && super::render::use_colour(std::io::stdout().is_terminal());
    let text = match args.format {
        ExplainFormat::Text => explain::text::render(&graph, &tree.files, out_colour),
        ExplainFormat::Json => explain::json::render(&graph),
        ExplainFormat::Markdown => explain::markdown::render(&graph),
    };
    timer.lap("explain and render");
    shell.write(args.output.as_deref(), &text)?;
    match &graph.against {
        Some(a) if !a.holds() => Ok(EXIT_ERRORS),
        _ => Ok(EXIT_OK),
    }
}
