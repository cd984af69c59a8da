//! `assay explain-code CODE`: the documentation of a diagnostic code.

use super::{EXIT_OK, EXIT_USAGE};
use crate::codes::{self, Code};

/// Print what a diagnostic code means, why it exists, and an example that produces it.
#[derive(clap::Args, Debug)]
pub struct ExplainCodeArgs {
    /// The code, as printed in brackets after `error` or `warning` (e.g. `unit-mismatch`).
    #[arg(required_unless_present = "list")]
    code: Option<String>,
    /// List every code with its one-line summary.
    #[arg(long)]
    list: bool,
}

pub fn run(args: &ExplainCodeArgs) -> u8 {
    if args.list {
        for code in Code::ALL {
            println!("{:<24} {}", code.as_str(), code.summary());
        }
        return EXIT_OK;
    }
    let text = args.code.as_deref().unwrap_or_default();
    match Code::parse(text) {
        Some(code) => {
            print!("{}", codes::explain(code));
            EXIT_OK
        }
        None => {
            let names: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
            let hint = crate::check::suggest::did_you_mean(text, names.iter().copied())
                .map_or(String::new(), |s| format!(" (did you mean `{s}`?)"));
            eprintln!("error[usage]: `{text}` is not a diagnostic code{hint}");
            eprintln!("  help: `assay explain-code --list` lists every code");
            EXIT_USAGE
        }
    }
}
