//! `assay classify`: stream a records dataset through a decision table and write the
//! aggregates per entity, period and output, with the unclassified records reported.

use super::render::ErrorFormat;
use super::shell::{self, Outcome, Shell, Stop, EXIT_OK};
use crate::classify::report::{self, Format};
use crate::classify::{self, Request};
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Classify every record of a `records` dataset with a decision table, and add up its
/// amounts per entity, period and the table's outputs (for an `activity` output, its
/// function too).
///
/// The file is streamed in chunks classified in parallel, so memory stays flat however
/// many records it holds; sums are exact. Records that no row matches are reported on
/// standard error (count, amounts, the first few) and in the output. Bad rows follow the
/// dataset's `on_bad_row`; under `reject`, or when a record matches two rows of a
/// `hit unique` table, nothing is written and the exit status is 1.
///
/// With `--records FILE`, every record is written to FILE as well (CSV): its line in the
/// data file, entity, period, the table's inputs and the summed amounts as read, then
/// `classified` with the table row(s) that gave each output tuple (numbered from 1) and
/// where each row is in the rule file; or `unclassified`, `excluded` (by the dataset's
/// rules) or `skipped` (a bad row under `warn` or `skip`). A record that falls in several
/// output tuples (`hit collect`) has a line for each; added up, the lines give the
/// aggregates.
#[derive(clap::Args, Debug)]
pub struct ClassifyArgs {
    /// The decision table (`classify NAME ... on DATASET`).
    #[arg(long)]
    table: String,
    /// The CSV file to classify, or the folder the dataset's `file` paths are relative
    /// to. Default: the folder named in the rules directory's `DEFAULT_DATA`.
    #[arg(long)]
    data: Option<PathBuf>,
    /// Rule files or directories.
    #[arg(long, default_value = "rules", num_args = 1..)]
    rules: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    format: Format,
    /// Write the output to this file (atomically) instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Also write every record, as classified, to this CSV file (atomically: nothing is
    /// left there when the run fails).
    #[arg(long, value_name = "FILE")]
    records: Option<PathBuf>,
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value_t = ErrorFormat::Human)]
    error_format: ErrorFormat,
}

const WRITABLE: &str = "check that the folder exists and is writable; nothing was written";

/// The file `--records` writes, opened (as a temporary file beside it) before the work:
/// not the output, nor a file the run reads.
fn open_records(
    shell: &Shell,
    path: &std::path::Path,
    output: Option<&std::path::Path>,
    tree: &crate::load::RuleTree,
    data: &std::path::Path,
) -> Result<super::output::AtomicFile, Stop> {
    if path.as_os_str() == "-" {
        return Err(shell.fail(
            Diagnostic::new(Code::OutputError, "`--records` writes a file, not standard output")
                .help("give a file name: standard output carries the aggregates, unless `--output` names a file"),
        ));
    }
    shell.output_path(Some(path), tree, data, &[])?;
    if output.is_some_and(|o| o == path || super::output::same_file(o, path)) {
        return Err(shell.fail(
            Diagnostic::new(
                Code::OutputError,
                format!("`--records` and `--output` are both `{}`", crate::load::display(path)),
            )
            .help("write the records and the aggregates to two files"),
        ));
    }
    super::output::AtomicFile::create(path)
        .map_err(|why| shell.fail(Diagnostic::new(Code::OutputError, why).help(WRITABLE)))
}

/// A progress bar of bytes read, with records per second, shown after a second on a terminal.
struct Bar {
    bar: ProgressBar,
    started: Instant,
}

impl classify::Progress for Bar {
    fn update(&self, bytes: u64, total: u64, records: u64) {
        let elapsed = self.started.elapsed();
        if self.bar.is_hidden() && elapsed > Duration::from_secs(1) && std::io::stderr().is_terminal() {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
        self.bar.set_length(total.max(1));
        self.bar.set_position(bytes);
        let rate = records as f64 / elapsed.as_secs_f64().max(1e-3);
        self.bar.set_message(format!("{records} records, {:.0} records/s", rate));
    }
}

pub fn run(args: &ClassifyArgs) -> u8 {
    shell::status(classify(args, &mut Shell::new(args.error_format)))
}

fn classify(args: &ClassifyArgs, shell: &mut Shell) -> Outcome {
    let tree = shell.rules(&args.rules, "classified")?;
    let data = shell.data_folder(args.data.as_deref(), &args.rules)?;
    shell.output_path(args.output.as_deref(), &tree, &data, &[])?;
    let mut records = match args.records.as_deref() {
        Some(path) => Some(open_records(shell, path, args.output.as_deref(), &tree, &data)?),
        None => None,
    };
    let request = Request { table: args.table.clone(), data, chunk_bytes: crate::data::chunk_bytes() };
    let bar = ProgressBar::with_draw_target(Some(1), ProgressDrawTarget::hidden());
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {percent:>3}% {elapsed} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let progress = Bar { bar, started: Instant::now() };
    let sink = records.as_mut().map(|f| f as &mut dyn std::io::Write);
    let (outcome, diags) = classify::run(&tree, &request, &mut shell.sources, &progress, sink);
    progress.bar.finish_and_clear();
    shell.report(&diags, "nothing was written")?;
    let Some(outcome) = outcome else { return Err(Stop::Failed) };
    let rendering = Instant::now();
    let text = report::render(&outcome, args.format);
    shell.write(args.output.as_deref(), &text)?;
    // The records take their place once the aggregates have theirs (each file is whole or
    // absent; a failure here is said, and the exit status is 1).
    if let Some(file) = records {
        file.commit().map_err(|why| shell.fail(Diagnostic::new(Code::OutputError, why).help(WRITABLE)))?;
    }
    shell.say(report::summary(&outcome).trim_end());
    if std::env::var_os("ASSAY_TIMINGS").is_some() {
        for line in outcome.phases.report(outcome.counts.read) {
            eprintln!("{line}");
        }
        eprintln!("timing: render and write: {:.3} s", rendering.elapsed().as_secs_f64());
        let secs = progress.started.elapsed().as_secs_f64();
        eprintln!("timing: {secs:.3} s, {:.0} records/s", outcome.counts.read as f64 / secs.max(1e-9));
    }
    Ok(EXIT_OK)
}
