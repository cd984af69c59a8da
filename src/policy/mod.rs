//! Stage 5, policies: each policy's `require` evaluated over the rows of its dataset,
//! period by period, with the engine's exact arithmetic and missing values, giving the
//! verdicts `assay verify` reports, each with the cells it read.

mod cells;
mod judge;
mod plan;
mod stream;

pub use cells::Cell;
pub use plan::load;

use crate::ast::Severity;
use crate::data::stamp::Stamp;
use crate::diagnostic::Diagnostic;
use crate::load::RuleTree;
use crate::source::{SourceFile, Span};
use crate::value::format::plural;
use std::path::PathBuf;

/// What to verify.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub data_dir: PathBuf,
    /// One period only (as the data writes it).
    pub period: Option<String>,
    /// Policies to run, by name; empty means every policy whose data is in the folder.
    pub policies: Vec<String>,
    pub budget: crate::eval::budget::ScriptBudget,
    /// Keep every verdict's subject, passed or not (`Verdicts::judged`): for rule tests,
    /// whose expected passes must name something that was judged.
    pub keep_judged: bool,
    /// Give each cell a span into its file's text, registered as a source (for diagnostics
    /// and SARIF regions); without, a cell's text is read from its line alone and no file
    /// is held in memory.
    pub spans: bool,
}

/// What one verdict was on, passed or not: the policy (with index members), period,
/// entity (or group), and the record's line.
pub type Judgement = (String, String, String, Option<usize>);

/// How a row that did not pass stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    /// The requirement is false.
    Failed,
    /// The requirement could not be decided (a value it needs is missing): not a pass.
    Undecided,
    /// It failed (or could not be decided), but the policy's `unless` holds for the row.
    Waived,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Failed => "failed",
            Status::Undecided => "undecided",
            Status::Waived => "waived",
        }
    }
}

/// One row (a record, or an entity in a period) that did not pass a policy.
#[derive(Debug, Clone)]
pub struct Violation {
    pub policy: String,
    /// The members of the policy's indices this verdict is for: (set, member).
    pub index: Vec<(String, String)>,
    pub severity: Severity,
    pub status: Status,
    pub period: String,
    pub entity: String,
    /// The policy's message, its placeholders filled in from the row.
    pub message: String,
    /// Why it could not be decided, for an undecided row.
    pub reason: Option<String>,
    /// The row's file and line (or spreadsheet row), for a record (a group's first).
    pub record: Option<(std::sync::Arc<str>, usize)>,
    /// The cells the requirement read, for this row.
    pub cells: Vec<Cell>,
    /// The `require` expression in the rule file.
    pub require: Span,
    /// The `unless` expression, for a waived row.
    pub unless: Option<Span>,
}

impl Violation {
    /// The policy with its index members: `areas_covered[payroll]`.
    pub fn label(&self) -> String {
        if self.index.is_empty() {
            self.policy.clone()
        } else {
            let members: Vec<&str> = self.index.iter().map(|(_, m)| m.as_str()).collect();
            format!("{}[{}]", self.policy, members.join(", "))
        }
    }

    /// Whether the row counts against the policy's severity (a waived one does not).
    pub fn counts(&self) -> bool {
        self.status != Status::Waived
    }
}

/// One policy as run: what it was checked over and how its rows stood.
#[derive(Debug, Clone)]
pub struct PolicyRun {
    pub name: String,
    pub title: String,
    pub severity: Severity,
    pub dataset: String,
    pub rows: usize,
    pub passed: usize,
    pub failed: usize,
    pub undecided: usize,
    pub waived: usize,
    /// The policy's name in the rule file.
    pub span: Span,
}

impl PolicyRun {
    /// Count `more`'s rows (the same policy over other rows) in this run's.
    pub fn add(&mut self, more: &PolicyRun) {
        self.rows = self.rows.saturating_add(more.rows);
        self.passed = self.passed.saturating_add(more.passed);
        self.failed = self.failed.saturating_add(more.failed);
        self.undecided = self.undecided.saturating_add(more.undecided);
        self.waived = self.waived.saturating_add(more.waived);
    }
}

/// A policy that was not run, and why (its dataset has no file in the data folder).
#[derive(Debug, Clone)]
pub struct Skipped {
    pub name: String,
    pub dataset: String,
}

/// Every verdict of a run, in a stable order: by period, then policy (in rule-file
/// order), then row (records in file order, entities by key).
#[derive(Debug, Clone)]
pub struct Verdicts {
    pub stamp: Stamp,
    pub notices: Vec<String>,
    pub policies: Vec<PolicyRun>,
    pub skipped: Vec<Skipped>,
    pub violations: Vec<Violation>,
    /// Rows checked per dataset (each row once, however many policies read it).
    pub rows: Vec<(String, usize)>,
    /// Every verdict's subject, when the request asked to keep them (else empty).
    pub judged: Vec<Judgement>,
}

impl Verdicts {
    /// Rows that count against a policy of this severity.
    pub fn count(&self, severity: Severity) -> usize {
        self.violations.iter().filter(|v| v.counts() && v.severity == severity).count()
    }

    pub fn waived(&self) -> usize {
        self.violations.iter().filter(|v| !v.counts()).count()
    }

    /// `9 policies over 48 rows of plan: 3 errors, 2 warnings, 1 waived`.
    pub fn summary(&self) -> String {
        let n = self.policies.len();
        let rows: Vec<String> = self.rows.iter().map(|(d, r)| format!("{r} row{} of `{d}`", plural(*r))).collect();
        let mut parts = vec![
            format!("{} error{}", self.count(Severity::Error), plural(self.count(Severity::Error))),
            format!("{} warning{}", self.count(Severity::Warning), plural(self.count(Severity::Warning))),
        ];
        let info = self.count(Severity::Info);
        if info > 0 {
            parts.push(format!("{info} note{}", plural(info)));
        }
        parts.push(format!("{} waived", self.waived()));
        format!("{n} polic{} over {}: {}", if n == 1 { "y" } else { "ies" }, rows.join(" and "), parts.join(", "))
    }
}

/// Verify the policies of a checked rules tree over the data folder. Errors in the rules,
/// the request or the data stop the run (`None`); the verdicts are returned otherwise,
/// whatever they are. `sources` gains the data files read and the files cells are shown in.
pub fn verify(
    tree: &RuleTree,
    request: &Request,
    sources: &mut Vec<SourceFile>,
) -> (Option<Verdicts>, Vec<Diagnostic>) {
    let model = crate::eval::model::Model::new(tree);
    let chosen = match plan::choose(&model, request) {
        Ok(c) => c,
        Err(d) => return (None, vec![*d]),
    };
    plan::run(&model, tree, &chosen, request, sources)
}
