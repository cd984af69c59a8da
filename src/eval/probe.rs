//! One period's evaluator over a data folder, for callers that ask for figures one at a
//! time (rule tests, derivations) rather than for a whole report. Loads the data the same
//! way `run` does, so what a test sees is what `assay eval` would compute.

use super::coverage::Recorder;
use super::engine::Evaluator;
use super::frame::{self, Frame};
use super::model::Model;
use super::script::ScriptHost;
use crate::data::{self, LoadContext, Table};
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::load::RuleTree;
use crate::source::SourceFile;
use std::path::Path;

/// What a probe gives back: the caller's answer (when the data loaded), every diagnostic,
/// and what the evaluation exercised (when a recorder was asked for).
pub struct Probe<R> {
    pub answer: Option<R>,
    pub diagnostics: Vec<Diagnostic>,
    pub recorder: Option<Recorder>,
}

/// Load the data, build the frame of `period`, and hand an evaluator to `ask`. Errors in
/// the data stop before `ask`; warnings of the evaluation (small peer groups) are returned.
pub fn with_period<R>(
    tree: &RuleTree,
    data_dir: &Path,
    period: Option<&str>,
    record: bool,
    budget: &super::budget::ScriptBudget,
    sources: &mut Vec<SourceFile>,
    ask: impl FnOnce(&mut Evaluator<'_, '_>, &Frame<'_>) -> R,
) -> Probe<R> {
    let model = Model::new(tree);
    let mut diags = Vec::new();
    let specs = model.entity_datasets();
    let mut ctx = LoadContext { sources, diagnostics: Vec::new() };
    let loader =
        data::Loader { data_dir, derive: &crate::classify::dataset::FromClassify(tree), cache: data::CacheUse::Off };
    let tables = loader.load_all(&specs, &mut ctx);
    diags.append(&mut ctx.diagnostics);
    let failed = |diags: Vec<Diagnostic>| Probe { answer: None, diagnostics: diags, recorder: None };
    if diags.iter().any(Diagnostic::is_error) {
        return failed(diags);
    }
    let tables: Vec<Table> = tables.into_iter().flatten().map(|l| l.table).collect();
    let first_script = ctx.sources.len();
    let scripts = ScriptHost::load(&model, ctx.sources, &mut diags, budget);
    let script_sources: Vec<usize> = (first_script..ctx.sources.len()).collect();
    if diags.iter().any(Diagnostic::is_error) {
        super::script::resolve_positions(&mut diags, ctx.sources, &script_sources);
        return failed(diags);
    }
    let periods = frame::periods(&tables);
    let shown: Vec<String> = periods.iter().map(|p| format!("`{p}`")).collect();
    let chosen = match period {
        Some(p) => periods.iter().find(|x| x.as_ref() == p || x.is_empty()).cloned(),
        None if periods.len() == 1 => periods.first().cloned(),
        None => {
            diags.push(
                Diagnostic::new(Code::NoEntities, "the data has several periods: which one?")
                    .help(format!("give `period:`, one of {}", shown.join(", "))),
            );
            return failed(diags);
        }
    };
    let Some(period) = chosen else {
        diags.push(
            Diagnostic::new(Code::NoEntities, format!("no data for period `{}`", period.unwrap_or_default()))
                .help(format!("the data has {}", shown.join(", "))),
        );
        return failed(diags);
    };
    let frame = frame::build(&tables, &specs, &period);
    if frame.keys.is_empty() {
        diags.push(
            Diagnostic::new(Code::NoEntities, "no entity has data to evaluate")
                .help("check the test's entities or data folder"),
        );
        return failed(diags);
    }
    let mut ev = Evaluator::new(&model, &frame, Some(&scripts));
    if record {
        ev.recorder = Some(Recorder::default());
    }
    let answer = ask(&mut ev, &frame);
    ev.finish();
    diags.append(&mut ev.diagnostics);
    diags.extend(scripts.budget_diagnostic());
    let recorder = ev.recorder.take();
    super::script::resolve_positions(&mut diags, ctx.sources, &script_sources);
    Probe { answer: Some(answer), diagnostics: diags, recorder }
}
