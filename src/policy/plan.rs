//! Which policies a run verifies, the datasets they read, and the loop over periods:
//! entity policies period by period on the engine's frames (with the period before, for
//! `previous`), record policies over their records.

use super::judge::Judged;
use super::{PolicyRun, Request, Skipped, Verdicts};
use crate::ast::{DatasetDef, DefKind, PolicyDef, Severity};
use crate::check::suggest;
use crate::check::symbols::Item;
use crate::data::stamp::Stamp;
use crate::data::{self, DatasetSpec, LoadContext, Table};
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::eval::engine::{Evaluator, Previous};
use crate::eval::frame::{self, Frame};
use crate::eval::model::Model;
use crate::eval::script::ScriptHost;
use crate::load::RuleTree;
use crate::source::{SourceFile, Span};
use std::sync::Arc;

/// A policy to run, with the dataset it ranges over.
pub struct Chosen<'a> {
    pub name: &'a str,
    pub name_span: Span,
    pub def: &'a PolicyDef,
    pub dataset: &'a DatasetDef,
}

impl Chosen<'_> {
    pub fn over_records(&self) -> bool {
        !self.dataset.gives_entities()
    }

    pub fn dataset_name(&self) -> &str {
        &self.def.over.node
    }
}

/// The policies to run and those left out because their data is not in the folder.
pub struct Choice<'a> {
    pub run: Vec<Chosen<'a>>,
    pub skipped: Vec<Skipped>,
}

/// Choose the policies: those asked for (each must exist and have its data), or every
/// policy whose dataset has a file in the data folder (at least one must).
pub fn choose<'a>(model: &Model<'a>, request: &Request) -> Result<Choice<'a>, Box<Diagnostic>> {
    let mut all = Vec::new();
    for d in model.definitions() {
        let DefKind::Policy(p) = &d.node.kind else { continue };
        let Some(Item::Dataset(dataset)) = model.syms.get(&p.over.node).map(|s| s.item) else { continue };
        all.push(Chosen { name: d.node.name.node.as_str(), name_span: d.node.name.span, def: p, dataset });
    }
    for asked in &request.policies {
        if !all.iter().any(|c| c.name == asked) {
            let names: Vec<&str> = all.iter().map(|c| c.name).collect();
            let listed = if names.is_empty() {
                "the rules declare no policy".to_string()
            } else {
                format!("the policies are: {}", names.join(", "))
            };
            return Err(Box::new(
                Diagnostic::new(Code::UnknownSelection, format!("no policy `{asked}`")).help(suggest::help_for(
                    asked,
                    names.iter().copied(),
                    &listed,
                )),
            ));
        }
    }
    let mut run = Vec::new();
    let mut skipped = Vec::new();
    for c in all {
        let asked = request.policies.iter().any(|a| a == c.name);
        if !request.policies.is_empty() && !asked {
            continue;
        }
        if has_data(model, c.dataset_name(), &request.data_dir) {
            run.push(c);
        } else if asked {
            return Err(Box::new(absent(model, &c, request)));
        } else {
            skipped.push(Skipped { name: c.name.to_string(), dataset: c.dataset_name().to_string() });
        }
    }
    if run.is_empty() {
        let folder = crate::load::display(&request.data_dir);
        let datasets: Vec<String> = {
            let mut d: Vec<String> = skipped.iter().map(|s| format!("`{}`", s.dataset)).collect();
            d.dedup();
            d
        };
        return Err(Box::new(Diagnostic::new(Code::NoEntities, format!("no policy has its data in `{folder}`")).help(
            if datasets.is_empty() {
                "the rules declare no policy: write one (`policy NAME \"Title\" { ... }`)".to_string()
            } else {
                format!(
                    "the policies read {}: put their files in the folder, or name another with `--data`",
                    datasets.join(", ")
                )
            },
        )));
    }
    Ok(Choice { run, skipped })
}

/// Whether a dataset has a file in the data folder (one built by classifying records is
/// left to the loader, which says what is missing).
fn has_data(model: &Model<'_>, dataset: &str, data_dir: &std::path::Path) -> bool {
    match spec_of(model, dataset) {
        Some(spec) if spec.classified.is_some() => true,
        Some(spec) => spec
            .files
            .iter()
            .zip(&spec.alternatives)
            .any(|((f, _), others)| std::iter::once(f).chain(others).any(|n| data_dir.join(&n.node).exists())),
        None => false,
    }
}

fn spec_of(model: &Model<'_>, dataset: &str) -> Option<DatasetSpec> {
    model.definitions().find_map(|d| match &d.node.kind {
        DefKind::Dataset(ds) if d.node.name.node == dataset => {
            Some(DatasetSpec::build(&d.node.name, ds, &model.syms, &model.units))
        }
        _ => None,
    })
}

fn absent(model: &Model<'_>, c: &Chosen<'_>, request: &Request) -> Diagnostic {
    let folder = crate::load::display(&request.data_dir);
    let mut d = Diagnostic::new(
        Code::DataFileMissing,
        format!("policy `{}` reads `{}`, which has no file in `{folder}`", c.name, c.dataset_name()),
    )
    .primary(c.def.over.span, "this dataset");
    if let Some((file, _)) = spec_of(model, c.dataset_name()).and_then(|s| s.files.into_iter().next()) {
        d = d.secondary(file.span, "its file, relative to the data folder");
    }
    d.help("name the folder that holds the file with `--data`")
}

/// Load the data the chosen policies read and judge every row, period by period: chunk by
/// chunk as the files are read where every policy judges a row on its own (see
/// [`super::stream`]), from whole tables otherwise.
pub fn run(
    model: &Model<'_>,
    tree: &RuleTree,
    choice: &Choice<'_>,
    request: &Request,
    sources: &mut Vec<SourceFile>,
) -> (Option<Verdicts>, Vec<Diagnostic>) {
    let specs = specs_of(model, choice);
    let mark = sources.len();
    if let Some(streamed) = super::stream::run(model, tree, choice, &specs, request, sources) {
        return streamed;
    }
    // Scripts and data files the stream registered before it fell back are read again.
    sources.truncate(mark);
    let mut diags = Vec::new();
    let timer = crate::timing::Timer::start();
    let entity_policies = choice.run.iter().any(|c| !c.over_records());
    let Some((tables, scripts)) = load(model, tree, &specs, &request.data_dir, &request.budget, sources, &mut diags)
    else {
        return (None, diags);
    };
    timer.lap("load the policies' data");
    let script_sources: Vec<usize> = (tree.files.len()..sources.len()).collect();
    let entity_periods = if entity_policies { frame::periods(&tables) } else { Vec::new() };
    let seen: Vec<Seen> = tables.iter().map(Seen::of).collect();
    if let Err(d) = check_period(request.period.as_deref(), &seen, choice) {
        diags.push(*d);
        return (None, diags);
    }
    let delimiters = specs.iter().map(|s| (s.name.clone(), s.delimiter)).collect();
    let mut judged = Judged::new(&choice.run, &delimiters, request.keep_judged, request.spans);
    // Entity policies: every period's frame is built, so that a period's evaluator can
    // hand `previous(x)` to the period before's.
    let frames: Vec<Frame<'_>> = entity_periods.iter().map(|p| frame::build(&tables, &specs, p)).collect();
    timer.lap("build the entities' frames");
    for (i, frame) in frames.iter().enumerate() {
        if request.period.as_deref().is_some_and(|p| p != frame.period.as_ref()) || frame.keys.is_empty() {
            continue;
        }
        let mut ev = Evaluator::new(model, frame, Some(&scripts));
        if let Some(before) = i.checked_sub(1).and_then(|b| frames.get(b)) {
            ev.previous = Some(Previous::new(Evaluator::new(model, before, Some(&scripts)), frame));
        }
        for (rank, c) in choice.run.iter().enumerate().filter(|(_, c)| !c.over_records()) {
            judged.judge(&mut ev, rank, c, model, sources);
            timer.lap(&format!("judge {}", c.name));
        }
        ev.finish();
        diags.append(&mut ev.diagnostics);
    }
    // Record policies: the rows of each period of their dataset (all of them once when
    // it has no period column).
    for (t, table) in tables.iter().enumerate().filter(|(_, t)| t.records) {
        for period in record_periods(table, request.period.as_deref()) {
            let frame = frame::of_records(&tables, t, &specs, &period);
            let mut ev = Evaluator::new(model, &frame, Some(&scripts));
            for (rank, c) in choice.run.iter().enumerate().filter(|(_, c)| c.dataset_name() == table.dataset) {
                judged.judge(&mut ev, rank, c, model, sources);
                timer.lap(&format!("judge {}", c.name));
            }
            ev.finish();
            diags.append(&mut ev.diagnostics);
        }
    }
    diags.extend(scripts.budget_diagnostic());
    crate::eval::script::resolve_positions(&mut diags, sources, &script_sources);
    if diags.iter().any(Diagnostic::is_error) {
        return (None, diags);
    }
    (Some(verdicts(judged, choice, tree, &tables, request)), diags)
}

/// The datasets the chosen policies read, each with only the fields they read: a return
/// has dozens of columns the checks of one policy never look at (every row is still
/// read, and its key and period checked). Entity policies read every entity dataset.
pub fn specs_of(model: &Model<'_>, choice: &Choice<'_>) -> Vec<DatasetSpec> {
    let entity_policies = choice.run.iter().any(|c| !c.over_records());
    let mut specs: Vec<DatasetSpec> = if entity_policies { model.entity_datasets() } else { Vec::new() };
    for c in choice.run.iter().filter(|c| c.over_records()) {
        if !specs.iter().any(|s| s.name == c.dataset_name()) {
            specs.extend(spec_of(model, c.dataset_name()));
        }
    }
    let needed = needed_fields(model, &choice.run);
    for spec in &mut specs {
        spec.fields.retain(|f| needed.contains(&f.key.field));
    }
    specs
}

/// The verdicts of a finished run, in their order, stamped with the files read.
pub fn verdicts(
    judged: Judged<'_>,
    choice: &Choice<'_>,
    tree: &RuleTree,
    tables: &[Table],
    request: &Request,
) -> Verdicts {
    let (policies, mut violations, rows, subjects) = judged.finish(&choice.run);
    // An entity's violations have no place (0): its key orders them.
    violations.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.entity.cmp(&b.1.entity)));
    Verdicts {
        stamp: Stamp::of(&tree.files, tables),
        notices: crate::eval::run::notice(&request.data_dir).into_iter().collect(),
        policies,
        skipped: choice.skipped.clone(),
        violations: violations.into_iter().map(|(_, v)| v).collect(),
        rows,
        judged: subjects,
    }
}

/// The periods a dataset's rows are in.
pub struct Seen {
    pub dataset: String,
    pub records: bool,
    pub periods: std::collections::BTreeSet<Arc<str>>,
}

impl Seen {
    pub fn of(table: &Table) -> Seen {
        let mut seen = Seen { dataset: table.dataset.clone(), records: table.records, periods: Default::default() };
        seen.add(table);
        seen
    }

    /// Add a table's periods.
    pub fn add(&mut self, table: &Table) {
        frame::add_periods(&mut self.periods, table);
    }
}

/// Load the datasets of `specs` through the one loader (entity tables sorted by key) and
/// the rules' scripts; `None` when either has errors, which are in `diags` (with script
/// positions resolved).
pub fn load(
    model: &Model<'_>,
    tree: &RuleTree,
    specs: &[DatasetSpec],
    data_dir: &std::path::Path,
    budget: &crate::eval::budget::ScriptBudget,
    sources: &mut Vec<SourceFile>,
    diags: &mut Vec<Diagnostic>,
) -> Option<(Vec<Table>, ScriptHost)> {
    let mut ctx = LoadContext { sources, diagnostics: Vec::new() };
    let loader =
        data::Loader { data_dir, derive: &crate::classify::dataset::FromClassify(tree), cache: data::CacheUse::Off };
    let loaded = loader.load_all(specs, &mut ctx);
    diags.append(&mut ctx.diagnostics);
    if diags.iter().any(Diagnostic::is_error) {
        return None;
    }
    let mut tables: Vec<Table> = loaded.into_iter().flatten().map(|l| l.table).collect();
    tables.iter_mut().filter(|t| !t.records).for_each(Table::sort_by_key);
    let scripts = ScriptHost::load(model, sources, diags, budget);
    if diags.iter().any(Diagnostic::is_error) {
        let script_sources: Vec<usize> = (tree.files.len()..sources.len()).collect();
        crate::eval::script::resolve_positions(diags, sources, &script_sources);
        return None;
    }
    Some((tables, scripts))
}

/// The fields the chosen policies read: their requirements, exceptions, messages and groups,
/// directly or through KPIs, parameters and figures.
fn needed_fields(model: &Model<'_>, chosen: &[Chosen<'_>]) -> std::collections::HashSet<String> {
    let mut needs = crate::eval::needs::Needs::new(model);
    for c in chosen {
        walk(&mut needs, c);
        needs.fields.extend(c.def.by.iter().map(|b| b.node.clone()));
    }
    needs.fields
}

/// Walk what a policy evaluates: its requirement, exception and message placeholders.
pub fn walk(needs: &mut crate::eval::needs::Needs<'_, '_>, c: &Chosen<'_>) {
    let var = c.def.var.node.as_str();
    needs.policy(var, &c.def.require);
    if let Some(u) = &c.def.unless {
        needs.policy(var, u);
    }
    for p in c.def.placeholders() {
        if let Some(e) = &p.expr {
            needs.policy(var, e);
        }
    }
}

/// The periods of a records table to judge: each distinct one, sorted (one unnamed
/// period for a dataset without a period column, whose rows apply to any period).
pub fn record_periods(table: &Table, wanted: Option<&str>) -> Vec<Arc<str>> {
    let mut periods: Vec<Arc<str>> = Vec::new();
    for p in &table.periods {
        if !periods.contains(p) {
            periods.push(p.clone());
        }
    }
    periods.sort();
    periods.retain(|p| p.is_empty() || wanted.is_none_or(|w| w == p.as_ref()));
    periods
}

/// `--period` must name a period of the data, and every records dataset with a period
/// column must have rows in it.
pub fn check_period(wanted: Option<&str>, seen: &[Seen], choice: &Choice<'_>) -> Result<(), Box<Diagnostic>> {
    let Some(p) = wanted else { return Ok(()) };
    let mut known: Vec<&str> = seen.iter().flat_map(|s| s.periods.iter().map(|p| p.as_ref())).collect();
    known.retain(|p| !p.is_empty());
    known.sort_unstable();
    known.dedup();
    if !known.contains(&p) {
        let shown: Vec<String> = known.iter().map(|p| format!("`{p}`")).collect();
        let has = if shown.is_empty() {
            "the data has no period column".to_string()
        } else {
            format!("the data has {}", shown.join(", "))
        };
        return Err(Box::new(Diagnostic::new(Code::NoEntities, format!("no data for period `{p}`")).help(
            match suggest::did_you_mean(p, known.iter().copied()) {
                Some(s) => format!("did you mean `{s}`? {}", capitalised(&has)),
                None => has,
            },
        )));
    }
    for c in choice.run.iter().filter(|c| c.over_records()) {
        let Some(t) = seen.iter().find(|t| t.records && t.dataset == c.dataset_name()) else { continue };
        let dated = t.periods.iter().any(|x| !x.is_empty());
        if dated && !t.periods.iter().any(|x| x.as_ref() == p) {
            return Err(Box::new(
                Diagnostic::new(Code::NoEntities, format!("`{}` has no rows in period `{p}`", t.dataset))
                    .primary(c.def.over.span, format!("policy `{}` reads these records", c.name))
                    .help("choose a period the records have, or leave out `--period`"),
            ));
        }
    }
    Ok(())
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next().map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
}

/// Counts of one policy, started empty.
pub fn run_of(c: &Chosen<'_>) -> PolicyRun {
    PolicyRun {
        name: c.name.to_string(),
        title: c.def.title.node.clone(),
        severity: c.def.severity.as_ref().map_or(Severity::Error, |s| s.node),
        dataset: c.dataset_name().to_string(),
        rows: 0,
        passed: 0,
        failed: 0,
        undecided: 0,
        waived: 0,
        span: c.name_span,
    }
}
