//! `assay explain-code CODE`: the documentation of a diagnostic code.

use super::render::ErrorFormat;
use super::shell::{self, Outcome, Shell, EXIT_OK};
use crate::diagnostic::codes::{self, Code};

/// Print what a diagnostic code means, why it exists, and an example that produces it.
///
/// The code is the word a diagnostic starts with (`unit-mismatch`), or its `code` in
/// JSON diagnostics. Example: `assay explain-code unit-mismatch`.
#[derive(clap::Args, Debug)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["code", "list"])))]
pub struct ExplainCodeArgs {
    /// The code, as a diagnostic prints it on its first line (e.g. `unit-mismatch`).
    #[arg(value_name = "CODE")]
    code: Option<String>,
    /// List every code with its one-line summary.
    #[arg(long)]
    list: bool,
    /// How to print diagnostics (an unknown code).
    #[arg(long, value_enum, default_value_t = ErrorFormat::Human)]
    error_format: ErrorFormat,
}

pub fn run(args: &ExplainCodeArgs) -> u8 {
    shell::status(explain_code(args, &Shell::new(args.error_format)))
}

fn explain_code(args: &ExplainCodeArgs, shell: &Shell) -> Outcome {
    if args.list {
        for code in Code::ALL {
            shell.line(format_args!("{:<24} {}", code.as_str(), code.summary()))?;
        }
        return Ok(EXIT_OK);
    }
    let text = args.code.as_deref().unwrap_or_default();
    let Some(code) = Code::parse(text) else {
        let names: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        let help = match crate::check::suggest::did_you_mean(text, names.iter().copied()) {
            Some(s) => format!("did you mean `{s}`? `assay explain-code --list` lists every code"),
            None => "`assay explain-code --list` lists every code".to_string(),
        };
        return Err(shell.usage(format!("`{text}` is not a diagnostic code"), help));
    };
    shell.out(&codes::explain(code))?;
    Ok(EXIT_OK)
}
