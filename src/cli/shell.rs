//! The one shell every command runs in: it finds and checks the rules, finds the data
//! folder, prints diagnostics in the format asked for, writes output, and turns each way a
//! command can stop into the same exit status whatever the command. A command adds only
//! its own logic.

use super::output;
use super::render::{self, ErrorFormat};
use crate::ast::DefKind;
use crate::check::{self, CheckOptions};
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::eval::budget::{ScriptBudget, DEFAULT_SCRIPT_BUDGET};
use crate::load::{self, RuleTree};
use crate::source::SourceFile;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

/// Exit codes: 0 success, 1 rule or data errors, 2 usage errors.
pub const EXIT_OK: u8 = 0;
pub const EXIT_ERRORS: u8 = 1;
pub const EXIT_USAGE: u8 = 2;

/// Why a command stopped early. Each kind has one exit status in every command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// The command line asks for something that cannot be done (exit 2): a path that does
    /// not exist, a flag out of range, a name that is not defined.
    Usage,
    /// The rules, the data or a file could not be used, or the result is a failure
    /// (exit 1). What went wrong has been printed.
    Failed,
    /// Whoever reads standard output went away (`assay check | head -1`): end quietly, as
    /// cargo and ripgrep do (exit 0).
    Closed,
}

impl Stop {
    pub fn status(self) -> u8 {
        match self {
            Stop::Usage => EXIT_USAGE,
            Stop::Failed => EXIT_ERRORS,
            Stop::Closed => EXIT_OK,
        }
    }
}

/// What a command's body returns: its exit status, or why it stopped early.
pub type Outcome = Result<u8, Stop>;

/// The exit status of a command's outcome.
pub fn status(outcome: Outcome) -> u8 {
    outcome.unwrap_or_else(Stop::status)
}

/// The option every command that runs scripts takes (`eval`, `explain`, `test`, `diff
/// --data`): flattened into each one's arguments, so it is spelt, documented and read
/// alike everywhere.
#[derive(clap::Args, Debug, Clone)]
pub struct ScriptArgs {
    /// The operations the calls of scripts may take in all, over the whole run (each call
    /// is limited to 1,000,000 as well). The default, 100,000,000, is a few seconds of
    /// script work; a run that needs more fails with `script-budget-exceeded` and writes
    /// nothing.
    #[arg(long, value_name = "OPERATIONS", default_value_t = DEFAULT_SCRIPT_BUDGET)]
    pub script_budget: u64,
}

impl ScriptArgs {
    /// A fresh budget for one command, shared by every evaluation it runs.
    pub fn budget(&self) -> ScriptBudget {
        ScriptBudget::new(self.script_budget)
    }
}

/// The rules and the data they read, as every command that evaluates takes them (`eval`,
/// `explain`, `verify`, `report`): flattened into each one's arguments, spelt and
/// documented alike, and read by [`Shell::rules_and_data`].
#[derive(clap::Args, Debug, Clone)]
pub struct InputArgs {
    /// Rule files or directories.
    #[arg(long, default_value = "rules", num_args = 1..)]
    pub rules: Vec<PathBuf>,
    /// The folder that datasets' `file` paths are relative to. Default: the folder named
    /// on the first line of a `DEFAULT_DATA` file in the rules directory.
    #[arg(long)]
    pub data: Option<PathBuf>,
}

/// A command's connection to the user: how diagnostics are printed, and every file they
/// may point into.
pub struct Shell {
    pub format: ErrorFormat,
    colour: bool,
    /// Rule files, then data files and scripts as they are read.
    pub sources: Vec<SourceFile>,
}

impl Shell {
    /// A shell printing diagnostics on standard error in `format`.
    pub fn new(format: ErrorFormat) -> Shell {
        Shell { format, colour: render::use_colour(std::io::stderr().is_terminal()), sources: Vec::new() }
    }

    /// Diagnostics as text in the shell's format (for commands whose output they are).
    pub fn render(&self, diags: &[Diagnostic], colour: bool) -> String {
        render::render_all(diags, &self.sources, self.format, colour)
    }

    /// Print diagnostics on standard error, in source order.
    /// Print one diagnostic that stops the command, and stop it.
    pub fn fail(&self, d: Diagnostic) -> Stop {
        self.print(&[d]);
        Stop::Failed
    }

    pub fn print(&self, diags: &[Diagnostic]) {
        if diags.is_empty() {
            return;
        }
        let mut sorted = diags.to_vec();
        crate::diagnostic::sort(&mut sorted);
        let text = render::render_all(&sorted, &self.sources, self.format, self.colour);
        // Standard error that cannot be written has no one left to tell.
        let _ = writeln!(std::io::stderr().lock(), "{}", text.trim_end());
    }

    /// A line for people on standard error (a summary, "nothing was written"), left out
    /// when diagnostics are JSON so that standard error stays one JSON document.
    pub fn say(&self, line: impl std::fmt::Display) {
        if self.format != ErrorFormat::Json {
            let _ = writeln!(std::io::stderr().lock(), "{line}");
        }
    }

    /// Print the diagnostics; stop if any is an error (a usage error if one is about the
    /// command line), saying `then` (such as "nothing was written").
    pub fn report(&self, diags: &[Diagnostic], then: &str) -> Result<(), Stop> {
        self.print(diags);
        if !diags.iter().any(Diagnostic::is_error) {
            return Ok(());
        }
        self.say(then);
        let usage = diags.iter().any(|d| matches!(d.code, Code::UnknownSelection | Code::UsageError));
        Err(if usage { Stop::Usage } else { Stop::Failed })
    }

    /// Refuse the command line: print a usage diagnostic, and stop with exit status 2.
    pub fn usage(&self, message: impl Into<String>, help: impl Into<String>) -> Stop {
        self.print(&[Diagnostic::new(Code::UsageError, message).help(help)]);
        Stop::Usage
    }

    /// Every path given must exist: a missing one is a usage error, not an empty run.
    pub fn existing(&self, paths: &[PathBuf], what: &str) -> Result<(), Stop> {
        match paths.iter().find(|p| !p.exists()) {
            Some(missing) => Err(self.usage(format!("`{}` does not exist", load::display(missing)), what)),
            None => Ok(()),
        }
    }

    /// Read and check the rules under `paths`. With errors, print them and stop, saying
    /// that nothing was `done` ("evaluated", "explained").
    pub fn rules(&mut self, paths: &[PathBuf], done: &str) -> Result<RuleTree, Stop> {
        self.existing(paths, "give rule files or directories of `.assay` files with `--rules`")?;
        let timer = crate::timing::Timer::start();
        let tree = load::load(paths);
        timer.lap("read and parse rules");
        let report = check::check(&tree, CheckOptions::default());
        timer.lap("check rules");
        self.sources = tree.files.clone();
        let errors = report.errors();
        if errors > 0 {
            let s = if errors == 1 { "" } else { "s" };
            self.report(&report.diagnostics, &format!("the rules have {errors} error{s}: nothing was {done}"))?;
        }
        Ok(tree)
    }

    /// The checked rules and the data folder (see [`Shell::rules`] and
    /// [`Shell::data_folder`]); `done` says what was not done if the rules have errors.
    pub fn rules_and_data(&mut self, inputs: &InputArgs, done: &str) -> Result<(RuleTree, PathBuf), Stop> {
        let tree = self.rules(&inputs.rules, done)?;
        let data = self.data_folder(inputs.data.as_deref(), &inputs.rules)?;
        Ok((tree, data))
    }

    /// The data folder: the one given, else the one the rules directory names in its
    /// `DEFAULT_DATA` file.
    pub fn data_folder(&self, given: Option<&Path>, rules: &[PathBuf]) -> Result<PathBuf, Stop> {
        let folder = given.map(Path::to_path_buf).or_else(|| default_data(rules)).ok_or_else(|| {
            self.usage(
                "no data folder",
                "give `--data DIR`, or name one on the first line of a `DEFAULT_DATA` file in the rules directory",
            )
        })?;
        self.existing(std::slice::from_ref(&folder), "give the folder that the datasets' files are in with `--data`")?;
        Ok(folder)
    }

    /// Refuse, before anything runs, an output file whose folder does not exist, or that is
    /// one of the run's inputs: the rule files read, the data (a file, or each dataset file
    /// in the data folder), the scripts the rules name, and any `others` (a file compared
    /// against; a usage error: the command line is the mistake). Nothing has been read or
    /// written yet.
    pub fn output_path(
        &self,
        output: Option<&Path>,
        tree: &RuleTree,
        data: &Path,
        others: &[&Path],
    ) -> Result<(), Stop> {
        let Some(output) = written_file(output) else { return Ok(()) };
        // A folder that is not there fails the run before its work, not after it.
        let parent = output.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        if !parent.is_dir() {
            let d = Diagnostic::new(
                Code::OutputError,
                format!(
                    "cannot write `{}`: the folder `{}` does not exist",
                    load::display(output),
                    load::display(parent)
                ),
            )
            .help("create the folder first, or write elsewhere; nothing was written");
            self.print(&[d]);
            return Err(Stop::Failed);
        }
        let mut inputs: Vec<PathBuf> = self.sources.iter().map(|s| s.path.clone()).collect();
        inputs.push(data.to_path_buf());
        inputs.extend(others.iter().map(|p| p.to_path_buf()));
        inputs.extend(declared_inputs(tree, data));
        self.not_an_input(output, &inputs)
    }

    /// `output` is none of `inputs`, compared as files (device and inode), not as text.
    fn not_an_input(&self, output: &Path, inputs: &[PathBuf]) -> Result<(), Stop> {
        let Some(input) = inputs.iter().find(|i| output::same_file(output, i)) else { return Ok(()) };
        let d = Diagnostic::new(
            Code::OutputIsInput,
            format!("`{}` is an input of this run: `{}`", load::display(output), load::display(input)),
        )
        .help("write the output to another file; nothing was written");
        self.print(&[d]);
        Err(Stop::Usage)
    }

    /// Write a command's result to `path` atomically (nothing is left on failure), or to
    /// standard output when there is none (or it is `-`). A file that is one of the inputs
    /// read (see [`Shell::output_path`], which refuses it before the run) is refused here
    /// too, as the last safety net.
    pub fn write(&self, path: Option<&Path>, text: &str) -> Result<(), Stop> {
        self.write_parts(path, &[text])
    }

    /// [`Shell::write`] for a result made in pieces, written one after another.
    pub fn write_parts<T: AsRef<str>>(&self, path: Option<&Path>, parts: &[T]) -> Result<(), Stop> {
        if let Some(path) = written_file(path) {
            let read: Vec<PathBuf> = self.sources.iter().map(|s| s.path.clone()).collect();
            self.not_an_input(path, &read)?;
        }
        match written_file(path) {
            Some(path) => output::write_file_parts(path, parts).map_err(|why| {
                let d = Diagnostic::new(Code::OutputError, why).help("check that the folder exists and is writable");
                self.print(&[d]);
                Stop::Failed
            }),
            None => self.out_parts(parts),
        }
    }

    /// Text on standard output. A reader that went away ends the command quietly; any
    /// other failure (a full disk) is an `output-error`.
    pub fn out(&self, text: &str) -> Result<(), Stop> {
        self.out_parts(&[text])
    }

    fn out_parts<T: AsRef<str>>(&self, parts: &[T]) -> Result<(), Stop> {
        let mut stdout = std::io::stdout().lock();
        let written = parts.iter().try_for_each(|p| stdout.write_all(p.as_ref().as_bytes()));
        match written.and_then(|()| stdout.flush()) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(Stop::Closed),
            Err(e) => {
                drop(stdout);
                let d = Diagnostic::new(Code::OutputError, format!("cannot write to standard output: {e}"))
                    .help("check that the disk or the program reading the output has room");
                self.print(&[d]);
                Err(Stop::Failed)
            }
        }
    }

    /// A line on standard output (see [`Shell::out`]).
    pub fn line(&self, text: impl std::fmt::Display) -> Result<(), Stop> {
        self.out(&format!("{text}\n"))
    }
}

/// The file an `--output` names, if it is not standard output (`-`).
fn written_file(path: Option<&Path>) -> Option<&Path> {
    path.filter(|p| p.as_os_str() != "-")
}

/// The files the rules say a run reads besides themselves: each dataset's files in the
/// data folder, and each script beside its rule file.
fn declared_inputs(tree: &RuleTree, data: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for file in &tree.asts {
        let rule_path = tree.files.get(file.id).map(|f| f.path.as_path()).unwrap_or(Path::new(""));
        let beside = rule_path.parent().unwrap_or(Path::new(""));
        for def in &file.definitions {
            match &def.node.kind {
                DefKind::Dataset(d) => out.extend(
                    d.files
                        .iter()
                        .flat_map(|f| std::iter::once(&f.node.path).chain(&f.node.alternatives))
                        .map(|p| data.join(&p.node)),
                ),
                DefKind::Script(s) => out.push(beside.join(&s.path.node)),
                _ => {}
            }
        }
    }
    out
}

/// The data folder a rules directory names as its default (first line of `DEFAULT_DATA`
/// that is not blank or a `#` comment).
pub fn default_data(rules: &[PathBuf]) -> Option<PathBuf> {
    rules.iter().find_map(|r| {
        let text = crate::source::read_input_text(&r.join("DEFAULT_DATA")).ok()?;
        text.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with('#')).map(PathBuf::from)
    })
}
