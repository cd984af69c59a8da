//! The command line: one shell ([`shell`]: rules, data folder, diagnostics, output, exit
//! statuses) and one file per subcommand with that command's own logic.

mod check;
mod classify;
mod diff;
mod eval;
mod explain;
mod explain_code;
mod fmt;
mod report;
mod test;
mod verify;

mod output;
mod progress;
mod render;
pub mod shell;

use clap::{Parser, Subcommand};

pub use shell::{EXIT_ERRORS, EXIT_OK, EXIT_USAGE};
// Diagnostics as every command prints them, for callers outside the command line (fuzzing
// renders whatever an input makes the library report).
pub use render::{render_all, ErrorFormat};

#[derive(Parser, Debug)]
#[command(
    name = "assay",
    version,
    about = "A declarative rules and policy engine whose every figure can be explained",
    long_about = "Assay reads rule files (`*.assay`) that define functions, activities and their \
                  classes, KPIs, dated and sourced parameters, methodologies and policies, checks \
                  them, and evaluates them over organisations' data.\n\n\
                  Exit codes: 0 success, 1 errors in rules or data, 2 usage errors."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    Check(check::CheckArgs),
    Classify(classify::ClassifyArgs),
    Eval(eval::EvalArgs),
    Diff(diff::DiffArgs),
    Explain(explain::ExplainArgs),
    ExplainCode(explain_code::ExplainCodeArgs),
    Test(test::TestArgs),
    Fmt(fmt::FmtArgs),
    Verify(verify::VerifyArgs),
    Report(report::ReportArgs),
}

/// Run the command line; returns the process exit code.
pub fn main() -> u8 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) if err.use_stderr() && json_errors_asked() => {
            // The command line could not be read, but it asked for JSON diagnostics: give
            // them, so a tool reading standard error is never handed clap's prose.
            let text = err.to_string();
            let message = text.lines().next().unwrap_or_default().trim_start_matches("error: ").to_string();
            let shell = shell::Shell::new(render::ErrorFormat::Json);
            let help = "`assay --help` lists the commands, and `assay COMMAND --help` their options";
            return shell.usage(message, help).status();
        }
        Err(err) => {
            let code = if err.use_stderr() { EXIT_USAGE } else { EXIT_OK };
            let _ = err.print();
            return code;
        }
    };
    match cli.command {
        Command::Check(args) => check::run(&args),
        Command::Classify(args) => classify::run(&args),
        Command::Eval(args) => eval::run(&args),
        Command::Diff(args) => diff::run(&args),
        Command::Explain(args) => explain::run(&args),
        Command::ExplainCode(args) => explain_code::run(&args),
        Command::Test(args) => test::run(&args),
        Command::Fmt(args) => fmt::run(&args),
        Command::Verify(args) => verify::run(&args),
        Command::Report(args) => report::run(&args),
    }
}

/// Whether the command line asks for `--error-format json`, read without clap (for when
/// clap could not read the rest).
fn json_errors_asked() -> bool {
    let args: Vec<String> = std::env::args().collect();
    args.iter().any(|a| a == "--error-format=json")
        || args.windows(2).any(|w| matches!(w, [flag, value] if flag == "--error-format" && value == "json"))
}

/// Report that the command stopped unexpectedly (a bug: the worker thread panicked), as a
/// diagnostic in the format asked for; returns the exit status for it, 3.
pub fn internal_error() -> u8 {
    let format = if json_errors_asked() { render::ErrorFormat::Json } else { render::ErrorFormat::Human };
    let d =
        crate::diagnostic::Diagnostic::new(crate::diagnostic::codes::Code::InternalError, "assay stopped unexpectedly")
            .help("this is a bug in assay: please report it with the command you ran");
    shell::Shell::new(format).print(&[d]);
    3
}
