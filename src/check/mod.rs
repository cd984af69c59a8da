//! Stage 2, checking: names, units, indices, decision tables, cycles and citations.
//!
//! Checking never stops at the first problem: every independent error is reported,
//! and an expression whose part is already in error stays quiet (no cascades).

pub mod builtins;
pub mod classified;
mod cycles;
mod defs;
mod docs;
pub mod exprs;
pub mod suggest;
pub mod symbols;
mod tables;
pub mod units;

use crate::diagnostic::{self, Diagnostic};
use crate::load::RuleTree;

#[derive(Debug, Clone, Copy, Default)]
pub struct CheckOptions {
    /// Report uncited definitions (as warnings, which `--strict` also makes fail the run).
    pub strict: bool,
}

/// What checking a rules tree found.
#[derive(Debug, Default)]
pub struct CheckReport {
    pub diagnostics: Vec<Diagnostic>,
    pub files: usize,
    pub definitions: usize,
}

impl CheckReport {
    pub fn errors(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }

    pub fn warnings(&self) -> usize {
        self.diagnostics.iter().filter(|d| !d.is_error()).count()
    }
}

/// Check a loaded tree. A file that could not be read stops checking (names defined in
/// it would all look undefined); otherwise every check runs over every file, even after
/// errors such as a bad date or number, which leave their definitions in place.
pub fn check(tree: &RuleTree, options: CheckOptions) -> CheckReport {
    let mut diagnostics = tree.diagnostics.clone();
    let definitions = tree.asts.iter().map(|f| f.definitions.len()).sum();
    if !tree.incomplete {
        diagnostics.extend(check_definitions(tree, options));
    }
    diagnostic::sort(&mut diagnostics);
    diagnostics.dedup();
    CheckReport { diagnostics, files: tree.files.len(), definitions }
}

fn check_definitions(tree: &RuleTree, options: CheckOptions) -> Vec<Diagnostic> {
    let (mut diags, deps) = walk(tree, options);
    diags.extend(cycles::find(&deps));
    for file in &tree.asts {
        if let Some(source) = tree.files.get(file.id) {
            diags.extend(docs::detached(file, &source.text));
        }
    }
    diags
}

/// Which KPIs, parameters and methodology figures each formula refers to (for `diff`).
pub fn dependencies(tree: &RuleTree) -> Vec<exprs::Dep> {
    walk(tree, CheckOptions::default()).1
}

/// Check every definition: the diagnostics, and the dependencies between definitions.
fn walk(tree: &RuleTree, options: CheckOptions) -> (Vec<Diagnostic>, Vec<exprs::Dep>) {
    let mut diags = Vec::new();
    let units = units::UnitTable::build(&tree.asts, &mut diags);
    let syms = symbols::Symbols::build(&tree.asts, &mut diags);
    let mut checker = defs::DefChecker { exprs: exprs::ExprChecker::new(&syms, &units), strict: options.strict };
    for file in &tree.asts {
        let path = tree.files.get(file.id).map(|f| f.path.as_path()).unwrap_or(std::path::Path::new("."));
        for def in &file.definitions {
            checker.definition(def, path);
        }
    }
    diags.append(&mut checker.exprs.diags);
    (diags, checker.exprs.deps)
}
