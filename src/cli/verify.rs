//! `assay verify`: check the data against the rules' policies, and report each row that
//! breaks one, pointing at the policy's requirement and the cells it read.

use super::render::{self, ErrorFormat};
use super::shell::{self, Outcome, Shell, Stop, EXIT_ERRORS, EXIT_OK};
use crate::ast::Severity;
use crate::diagnostic::codes::Code;
use crate::diagnostic::{Diagnostic, Level};
use crate::policy::{self, Request, Status, Verdicts, Violation};
use crate::report::verdicts;
use std::io::IsTerminal;
use std::path::PathBuf;

/// Verify the data against the policies: every row of each policy's dataset (a plan's
/// records, or each organisation of a return, period by period) must meet its `require`.
///
/// Runs every policy whose dataset has a file in the data folder (the others are listed
/// as not run), or those named with `--policy`. Each row that breaks a policy is reported
/// with the policy's requirement and the data cells it read; a row whose requirement
/// reads a missing value is reported as undecided, never passed; a row the policy's
/// `unless` excuses is listed as waived. Exit status: 0 when no `error` policy is broken
/// (nor, with `--deny warnings`, a `warning` one), 1 when one is or the rules or data
/// have errors, 2 for usage errors. Nothing is written when the run fails to complete.
#[derive(clap::Args, Debug)]
pub struct VerifyArgs {
    #[command(flatten)]
    inputs: shell::InputArgs,
    /// Policies to run, comma-separated (default: every policy whose data is present).
    #[arg(long, value_delimiter = ',')]
    policy: Vec<String>,
    /// Verify one period only (as the data writes it, e.g. `2009/10`).
    #[arg(long)]
    period: Option<String>,
    /// Output format: `human` (each violation with its rule and cells underlined),
    /// `json` (documented in the README), `csv` (a row per violation), `sarif` (SARIF
    /// 2.1.0, for code-scanning tools) or `junit` (JUnit XML, for CI dashboards).
    #[arg(long, value_enum, default_value_t = VerifyFormat::Human)]
    format: VerifyFormat,
    /// Make broken `warning` policies fail the run (exit 1) as errors do.
    #[arg(long, value_enum)]
    deny: Option<Deny>,
    /// Write the output to this file (atomically) instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// How to print diagnostics about the rules and data.
    #[arg(long, value_enum, default_value_t = ErrorFormat::Human)]
    error_format: ErrorFormat,
    #[command(flatten)]
    scripts: shell::ScriptArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum VerifyFormat {
    Human,
    Json,
    Csv,
    Sarif,
    Junit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Deny {
    /// Broken `warning` policies fail the run.
    Warnings,
}

pub fn run(args: &VerifyArgs) -> u8 {
    shell::status(verify(args, &mut Shell::new(args.error_format)))
}

fn verify(args: &VerifyArgs, shell: &mut Shell) -> Outcome {
    let mut progress = super::progress::Progress::new();
    progress.step("checking rules");
    let (tree, data_dir) = shell.rules_and_data(&args.inputs, "verified")?;
    shell.output_path(args.output.as_deref(), &tree, &data_dir, &[])?;
    let request = Request {
        data_dir,
        period: args.period.clone(),
        policies: args.policy.iter().filter(|p| !p.is_empty()).cloned().collect(),
        budget: args.scripts.budget(),
        keep_judged: false,
        spans: matches!(args.format, VerifyFormat::Human | VerifyFormat::Sarif),
    };
    progress.step("loading data and verifying");
    let (verdicts, diags) = policy::verify(&tree, &request, &mut shell.sources);
    progress.finish();
    shell.report(&diags, "nothing was written")?;
    let Some(verdicts) = verdicts else {
        shell.say("nothing was written");
        return Err(Stop::Failed);
    };
    let deny = args.deny == Some(Deny::Warnings);
    let timer = crate::timing::Timer::start();
    let parts = match args.format {
        VerifyFormat::Human => vec![human(&verdicts, shell, args)],
        VerifyFormat::Json => vec![verdicts::json(&verdicts, &shell.sources)],
        VerifyFormat::Csv => verdicts::csv(&verdicts),
        VerifyFormat::Sarif => vec![verdicts::sarif(&verdicts, &shell.sources, deny)],
        VerifyFormat::Junit => vec![verdicts::junit(&verdicts, deny)],
    };
    timer.lap("render");
    let summary = verdicts.summary();
    let failed = verdicts.violations.iter().any(|v| verdicts::fails(v, deny));
    // The violations are not needed once written out: their memory goes before the writing.
    crate::discard::later(verdicts);
    shell.write_parts(args.output.as_deref(), &parts)?;
    timer.lap("write");
    if args.format != VerifyFormat::Human {
        shell.say(summary);
    }
    Ok(if failed { EXIT_ERRORS } else { EXIT_OK })
}

/// Each violation as a diagnostic (the cells underlined in the data file, the requirement
/// in the rule file), the policies not run, and the summary line.
fn human(verdicts: &Verdicts, shell: &Shell, args: &VerifyArgs) -> String {
    let diags: Vec<Diagnostic> = verdicts.violations.iter().map(diagnostic).collect();
    let format = if shell.format == ErrorFormat::Plain { ErrorFormat::Plain } else { ErrorFormat::Human };
    let colour = args.output.is_none() && render::use_colour(std::io::stdout().is_terminal());
    let mut out = String::new();
    if !diags.is_empty() {
        out.push_str(&render::render_all(&diags, &shell.sources, format, colour));
        out.push('\n');
    }
    for s in &verdicts.skipped {
        out.push_str(&format!("not run: `{}` (no file of `{}` in the data folder)\n", s.name, s.dataset));
    }
    out.push_str(&verdicts.summary());
    out.push('\n');
    out
}

fn diagnostic(v: &Violation) -> Diagnostic {
    let code = match v.status {
        Status::Failed => Code::PolicyViolated,
        Status::Undecided => Code::PolicyUndecided,
        Status::Waived => Code::PolicyWaived,
    };
    let mut d = Diagnostic::new(code, format!("{}: {}", v.label(), v.message));
    d.level = match (v.status, v.severity) {
        (Status::Waived, _) | (_, Severity::Info) => Level::Advice,
        (_, Severity::Warning) => Level::Warning,
        (_, Severity::Error) => Level::Error,
    };
    let mut first = true;
    for c in &v.cells {
        let Some(span) = c.span else { continue };
        let what = format!("`{}` is `{}`", c.field, c.text.as_deref().unwrap_or(""));
        d = if first { d.primary(span, what) } else { d.secondary(span, what) };
        first = false;
    }
    d = if first { d.primary(v.require, "required here") } else { d.secondary(v.require, "required here") };
    if let Some(u) = v.unless {
        d = d.secondary(u, "waived by this exception");
    }
    let mut whose = if v.period.is_empty() { v.entity.clone() } else { format!("{} in {}", v.entity, v.period) };
    if let (Some((file, line)), true) = (&v.record, v.cells.iter().all(|c| c.span.is_none())) {
        whose.push_str(&format!(", {file}:{line}"));
    }
    d.help(match &v.reason {
        Some(r) => format!("{whose}: {r}"),
        None => format!("{whose} ({})", verdicts::label(v)),
    })
}
