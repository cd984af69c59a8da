//! `assay test`: run the rule tests (`*.test.yaml`) kept beside the rules, with coverage.

use super::render::{self, ErrorFormat};
use super::{EXIT_ERRORS, EXIT_OK, EXIT_USAGE};
use crate::check::{self, CheckOptions};
use crate::diagnostic::Diagnostic;
use crate::ruletest::{self, coverage, runner};
use std::io::IsTerminal;
use std::path::PathBuf;

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
    /// The rules under test. Default: `rules` for paths inside it and for test files; the
    /// directory itself for any other directory given.
    #[arg(long, num_args = 1..)]
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
}

pub fn run(args: &TestArgs) -> u8 {
    if args.threshold.is_some_and(|t| !(0.0..=100.0).contains(&t)) {
        eprintln!("error[usage]: `--threshold` is a percentage between 0 and 100");
        return EXIT_USAGE;
    }
    let given =
        if args.paths.is_empty() && args.rules.is_empty() { vec![PathBuf::from("rules")] } else { args.paths.clone() };
    let rules = if args.rules.is_empty() { default_rules(&given) } else { args.rules.clone() };
    // Without paths, the tests are those beside the rules.
    let paths: Vec<PathBuf> = if given.is_empty() {
        rules
            .iter()
            .map(|r| {
                if r.is_file() {
                    r.parent().filter(|p| !p.as_os_str().is_empty()).map_or_else(|| PathBuf::from("."), PathBuf::from)
                } else {
                    r.clone()
                }
            })
            .collect()
    } else {
        given
    };
    let colour = render::use_colour(std::io::stderr().is_terminal());
    let tree = crate::load::load(&rules);
    let report = check::check(&tree, CheckOptions::default());
    let mut sources = tree.files.clone();
    if report.errors() > 0 {
        print(&report.diagnostics, &sources, args.error_format, colour);
        eprintln!("the rules have errors: no test was run");
        return EXIT_ERRORS;
    }
    let files = ruletest::find_test_files(&paths);
    if let Some(missing) = paths.iter().find(|p| !p.exists()) {
        eprintln!("error[usage]: `{}` does not exist", crate::load::display(missing));
        return EXIT_USAGE;
    }
    let record = args.coverage || args.threshold.is_some();
    let mut outcomes = Vec::new();
    let mut diagnostics: Vec<Diagnostic> = Vec::new();
    let mut recorder = crate::eval::coverage::Recorder::default();
    let mut progress = super::progress::Progress::new();
    println!("\nrunning {} test file{}", files.len(), if files.len() == 1 { "" } else { "s" });
    for file in &files {
        progress.step(format!("testing {}", crate::load::display(file)));
        let result = runner::run_file(&tree, file, &mut sources, record);
        for o in &result.outcomes {
            println!("test {} ... {}", o.name, if o.passed { "ok" } else { "FAILED" });
        }
        outcomes.extend(result.outcomes);
        diagnostics.extend(result.diagnostics);
        recorder.merge(result.recorder);
    }
    progress.finish();
    crate::diagnostic::sort(&mut diagnostics);
    print(&diagnostics, &sources, args.error_format, colour);
    let failed: Vec<&runner::Outcome> = outcomes.iter().filter(|o| !o.passed).collect();
    if !failed.is_empty() {
        println!("\nfailures:");
        for o in &failed {
            println!("\n---- {} ----", o.name);
            for line in &o.report {
                println!("  {line}");
            }
        }
        println!("\nfailures:");
        for o in &failed {
            println!("    {}", o.name);
        }
    }
    let mut ok = failed.is_empty() && !diagnostics.iter().any(Diagnostic::is_error);
    if record {
        let measured = coverage::measure(&tree, &recorder);
        print!("{}", coverage::render(&measured));
        let pct = measured.percent();
        if let Some(t) = args.threshold {
            if pct < t {
                println!("coverage {pct:.1}% is below the threshold of {t}%");
                ok = false;
            }
        }
    }
    println!(
        "\ntest result: {}. {} passed; {} failed",
        if ok { "ok" } else { "FAILED" },
        outcomes.len() - failed.len(),
        failed.len()
    );
    if ok {
        EXIT_OK
    } else {
        EXIT_ERRORS
    }
}

/// The rules a test run checks against when `--rules` is not given: a test beside the
/// shipped library (`rules/kpis`) needs the whole library, not only its own folder.
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

fn print(diags: &[Diagnostic], sources: &[crate::source::SourceFile], format: ErrorFormat, colour: bool) {
    if diags.is_empty() {
        return;
    }
    eprintln!("{}", render::render_all(diags, sources, format, colour).trim_end());
}
