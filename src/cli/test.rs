//! `assay test`: run the rule tests (`*.test.yaml`) kept beside the rules, with coverage.

use super::render::ErrorFormat;
use super::shell::{self, Outcome, Shell, EXIT_ERRORS, EXIT_OK};
use crate::diagnostic::Diagnostic;
use crate::ruletest::{self, coverage, runner};
use crate::value::format::plural;
use std::path::{Path, PathBuf};

/// Run the rule tests: each `*.test.yaml` file under PATHS holds cases with inputs (inline
/// entities or a data folder), a period, and expected figures or diagnostics.
///
/// A failing case prints the expected and the actual value and the derivation of the
/// actual one. `--coverage` reports which KPIs, parameters and methodology figures the
/// cases evaluated and which `if` arms they took, per rule file; `--threshold PCT` fails
/// the run when fewer definitions than that are covered.
///
/// Exit status: 0 every case passed, 1 a case failed, a test file or the rules have
/// errors, or coverage is below the threshold; 2 usage errors.
#[derive(clap::Args, Debug)]
pub struct TestArgs {
    /// Test files, or directories searched for `*.test.yaml` files. Default: the rules'
    /// directories (`rules`).
    paths: Vec<PathBuf>,
    /// The rules under test (repeat `--rules` for several: one path each, so that
    /// `--rules rules FILE` tests FILE). Default: `rules` for paths inside it and for test
    /// files; the directory itself for any other directory given.
    #[arg(long, num_args = 1, action = clap::ArgAction::Append)]
    rules: Vec<PathBuf>,
    /// Report which definitions, `if` arms and decision-table rows the cases exercised, per
    /// rule file.
    #[arg(long)]
    coverage: bool,
    /// Fail (exit 1) when less than PCT percent of the definitions are covered; implies
    /// `--coverage`.
    #[arg(long, value_name = "PCT")]
    threshold: Option<f64>,
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value_t = ErrorFormat::Human)]
    error_format: ErrorFormat,
    #[command(flatten)]
    scripts: shell::ScriptArgs,
}

pub fn run(args: &TestArgs) -> u8 {
    shell::status(test(args, &mut Shell::new(args.error_format)))
}

fn test(args: &TestArgs, shell: &mut Shell) -> Outcome {
    if args.threshold.is_some_and(|t| !(0.0..=100.0).contains(&t)) {
        return Err(shell.usage("`--threshold` is a percentage between 0 and 100", "for example `--threshold 80`"));
    }
    let given =
        if args.paths.is_empty() && args.rules.is_empty() { vec![PathBuf::from("rules")] } else { args.paths.clone() };
    shell.existing(&given, "give test files or directories holding `*.test.yaml` files")?;
    let rules = if args.rules.is_empty() { default_rules(&given) } else { args.rules.clone() };
    // Without paths, the tests are those beside the rules.
    let paths: Vec<PathBuf> = if given.is_empty() { rules.iter().map(|r| beside(r)).collect() } else { given };
    let tree = shell.rules(&rules, "tested")?;
    let (files, mut diagnostics) = ruletest::find_test_files(&paths);
    let options = runner::Options { record: args.coverage || args.threshold.is_some(), budget: args.scripts.budget() };
    let mut outcomes = Vec::new();
    let mut recorder = crate::eval::coverage::Recorder::default();
    let mut progress = super::progress::Progress::new();
    shell.line(format_args!("\nrunning {} test file{}", files.len(), plural(files.len())))?;
    for file in &files {
        progress.step(format!("testing {}", crate::load::display(file)));
        let result = runner::run_file(&tree, file, &mut shell.sources, &options);
        for o in &result.outcomes {
            shell.line(format_args!("test {} ... {}", o.name, if o.passed { "ok" } else { "FAILED" }))?;
        }
        outcomes.extend(result.outcomes);
        diagnostics.extend(result.diagnostics);
        recorder.merge(result.recorder);
    }
    progress.finish();
    shell.print(&diagnostics);
    let failed: Vec<&runner::Outcome> = outcomes.iter().filter(|o| !o.passed).collect();
    if !failed.is_empty() {
        shell.line("\nfailures:")?;
        for o in &failed {
            shell.line(format_args!("\n---- {} ----", o.name))?;
            for line in &o.report {
                shell.line(format_args!("  {line}"))?;
            }
        }
        shell.line("\nfailures:")?;
        for o in &failed {
            shell.line(format_args!("    {}", o.name))?;
        }
    }
    let mut ok = failed.is_empty() && !diagnostics.iter().any(Diagnostic::is_error);
    if options.record {
        let measured = coverage::measure(&tree, &recorder);
        shell.out(&coverage::render(&measured))?;
        let pct = measured.percent();
        if let Some(t) = args.threshold {
            if pct < t {
                shell.line(format_args!("coverage {pct:.1}% is below the threshold of {t}%"))?;
                ok = false;
            }
        }
    }
    shell.line(format_args!(
        "\ntest result: {}. {} passed; {} failed",
        if ok { "ok" } else { "FAILED" },
        outcomes.len().saturating_sub(failed.len()),
        failed.len()
    ))?;
    Ok(if ok { EXIT_OK } else { EXIT_ERRORS })
}

/// The folder of tests beside a rules path: the directory itself, or a file's folder.
fn beside(rules: &Path) -> PathBuf {
    if rules.is_file() {
        rules.parent().filter(|p| !p.as_os_str().is_empty()).map_or_else(|| PathBuf::from("."), PathBuf::from)
    } else {
        rules.to_path_buf()
    }
}

fn default_rules(paths: &[PathBuf]) -> Vec<PathBuf> {
    let library = PathBuf::from("rules");
    let mut out: Vec<PathBuf> = Vec::new();
    for p in paths {
        let shown = PathBuf::from(crate::load::display(p));
        let pick = if p.is_dir() && !shown.starts_with(&library) { p.clone() } else { library.clone() };
        if !out.contains(&pick) {
            out.push(pick);
        }
    }
    out
}
