//! `assay explain`: how one figure was derived, down to the data cells.
//!
//! The requested figure is evaluated by the normal columnar engine, then re-derived for
//! the one entity by a tracer that records each sub-expression and input ([`trace`]); the
//! two must agree exactly. One entity's figure is evaluated on a frame of that entity
//! alone, its statistics by a second evaluator over its peer group (the rows read from
//! the data); a total, over every entity.
//! The result is a derivation graph ([`graph`]) rendered as a tree, JSON or Markdown.

pub mod against;
mod cells;
mod closure;
pub mod graph;
pub mod json;
pub mod markdown;
mod members;
mod policy;
mod restrict;
mod select;
pub mod shell;
pub mod text;
mod total;
pub mod trace;

pub use select::Subject;

use crate::check::suggest;
use crate::data::stamp::Stamp;
use crate::data::{LoadContext, Table};
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::eval::engine::{Evaluator, Peers, Target};
use crate::eval::frame;
use crate::eval::model::Model;
use crate::eval::script::ScriptHost;
use crate::load::RuleTree;
use crate::source::SourceFile;
use graph::Graph;
use std::path::PathBuf;

#[derive(Debug, Clone, Default)]
pub struct Request {
    pub data_dir: PathBuf,
    /// `saving[finance]`, `national_average.saving[finance]`, `cost_share[finance]`,
    /// `rate[small]`, `turnover`, or `total_saving`.
    pub selector: String,
    pub entity: Option<String>,
    pub period: Option<String>,
    pub methodology: Option<String>,
    /// A total's group: `org_type=small`.
    pub by: Vec<(String, String)>,
    /// Levels of inputs to follow (none: all, down to the data).
    pub depth: Option<usize>,
    /// A total's contributors shown, largest first.
    pub top: usize,
    /// List every member of a peer group, however large (otherwise a group of more than
    /// 1,000 lists its ends, each side of every cut and the entity explained).
    pub all_members: bool,
    /// The operations the scripts may take in all.
    pub budget: crate::eval::budget::ScriptBudget,
    /// A policy's record, by its line in the data file (as `verify` reports it).
    pub row: Option<usize>,
}

/// Explain one figure. Errors (an unknown selector, bad data) come back as diagnostics;
/// `sources` gains the data files and scripts read.
pub fn explain(tree: &RuleTree, request: &Request, sources: &mut Vec<SourceFile>) -> (Option<Graph>, Vec<Diagnostic>) {
    if let Some(explained) = policy::explain(tree, request, sources) {
        return explained;
    }
    let (graph, mut diags) = explain_many(tree, std::slice::from_ref(request), sources);
    let Some((mut graph, roots)) = graph else { return (None, diags) };
    match roots.into_iter().next() {
        Some(Ok(root)) => {
            graph.root = root;
            (Some(graph), diags)
        }
        Some(Err(d)) => {
            diags.push(*d);
            (None, diags)
        }
        None => (None, diags),
    }
}

/// The fields that make one entity's peer group for every statistic behind `selectors`
/// (figures as `eval --select` takes them, with or without a key) and for a grouping of
/// the caller's own (`also`): an entity's figures are the same over the entities alike in
/// these as over all. `None` when some statistic is over all entities, the groupings share
/// no field, or a selector is not a figure.
pub fn peer_fields_of(model: &Model<'_>, selectors: &[String], also: &[String]) -> Option<Vec<String>> {
    let mut groupings = vec![Some(also.to_vec())];
    for selector in selectors {
        let request = Request { selector: selector.clone(), ..Request::default() };
        match select::resolve_any_key(model, &request).ok()? {
            Subject::Target(Target::Param(_), _) => {}
            Subject::Target(target, key) => {
                groupings.push(closure::Closure::of(model, &target, &key).peer_fields(model))
            }
            Subject::Total { .. } => return None,
        }
    }
    closure::Closure::shared_peer_fields(groupings)
}

/// Explain several figures of one data folder and period (that of the first request) with
/// one load and one evaluation: the graph holds them all, and each request's root node or
/// the reason it cannot be explained comes back in order.
#[allow(clippy::type_complexity, reason = "the graph with one answer per request, beside the diagnostics: used once")]
pub fn explain_many(
    tree: &RuleTree,
    requests: &[Request],
    sources: &mut Vec<SourceFile>,
) -> (Option<(Graph, Vec<Result<usize, Box<Diagnostic>>>)>, Vec<Diagnostic>) {
    let model = Model::new(tree);
    let Some(first) = requests.first() else { return (None, Vec::new()) };
    let subjects: Vec<Result<Subject, Box<Diagnostic>>> = requests.iter().map(|r| select::resolve(&model, r)).collect();
    if let [Err(d)] = subjects.as_slice() {
        return (None, vec![(**d).clone()]);
    }
    let Reading { specs, peers } = reading(&model, requests, &subjects);
    let timer = crate::timing::Timer::start();
    let (loaded, mut diags) = load(tree, first, &specs, peers.as_ref(), sources, &timer);
    let Some((mut tables, restricted)) = loaded else { return (None, diags) };
    let script_sources: Vec<usize> = (tree.files.len()..sources.len()).collect();
    let period = match choose_period(&tables, first.period.as_deref()) {
        Ok(p) => p,
        Err(d) => return (None, vec![*d]),
    };
    if let Some((entity, fields)) = peers.as_ref().filter(|_| !restricted) {
        restrict::to_peers(&mut tables, &period, entity, fields);
    }
    let scripts = ScriptHost::load(&model, sources, &mut diags, &first.budget);
    timer.lap("restrict to the peer group");
    let frame = frame::build(&tables, &specs, &period);
    timer.lap("build frame");
    let focus = focus(requests, &subjects, &frame);
    let single = focus.map(|row| frame.single(row));
    let mut ev = match (&single, focus) {
        (Some(one), Some(row)) => {
            let mut ev = Evaluator::new(&model, one, Some(&scripts));
            ev.peers = Some(Peers { ev: Box::new(Evaluator::new(&model, &frame, Some(&scripts))), row });
            ev
        }
        _ => Evaluator::new(&model, &frame, Some(&scripts)),
    };
    let Traced { nodes, roots, problems } = trace_in(&mut ev, requests, subjects);
    timer.lap("evaluate and trace");
    diags.extend(problems);
    // What the evaluation noticed (a failing script, groups below their minimum), as eval says it.
    ev.finish();
    diags.append(&mut ev.diagnostics);
    // The tracer's own calls of scripts report nothing: a budget they ran out of is said here.
    if !diags.iter().any(|d| d.code == crate::diagnostic::codes::Code::ScriptBudgetExceeded) {
        diags.extend(scripts.budget_diagnostic());
    }
    crate::eval::script::resolve_positions(&mut diags, sources, &script_sources);
    if diags.iter().any(Diagnostic::is_error) {
        return (None, diags);
    }
    let stamp = Stamp::of(&tree.files, &tables);
    let notices = crate::eval::run::notice(&first.data_dir).into_iter().collect();
    let graph = Graph { stamp, notices, period: period.to_string(), nodes, root: 0, against: None };
    crate::discard::later((ev.into_results(), single.map(frame::Frame::into_keys), frame.into_keys(), tables));
    (Some((graph, roots)), diags)
}

/// What tracing made: the graph's nodes, each request's root node (or why it has none),
/// and what the tracer had to say.
pub struct Traced {
    pub nodes: Vec<graph::Node>,
    pub roots: Vec<Result<usize, Box<Diagnostic>>>,
    pub problems: Vec<Diagnostic>,
}

/// Trace one entity's figures in an evaluator its caller made and has used: one over the
/// entity's row, with its peer group's evaluator beside it, as `eval::run` makes for the
/// figures it computes for one entity alone (`Request::entity_only`), so that what the
/// evaluation computed is not computed again. The requests are of that entity and the
/// evaluator's period.
pub fn trace_figures(ev: &mut Evaluator<'_, '_>, requests: &[Request]) -> Traced {
    let subjects = requests.iter().map(|r| select::resolve(ev.model, r)).collect();
    trace_in(ev, requests, subjects)
}

/// Trace each request in the evaluator's frame (its first request gives the depth).
fn trace_in(
    ev: &mut Evaluator<'_, '_>,
    requests: &[Request],
    subjects: Vec<Result<Subject, Box<Diagnostic>>>,
) -> Traced {
    let frame = ev.frame;
    let delimiters = ev.model.entity_datasets().into_iter().map(|s| (s.name, s.delimiter)).collect();
    let first = requests.first();
    let mut tracer = trace::Tracer::new(ev, first.and_then(|r| r.depth), delimiters);
    tracer.all_members = first.is_some_and(|r| r.all_members);
    let mut roots = Vec::with_capacity(requests.len());
    for (request, subject) in requests.iter().zip(subjects) {
        roots.push(subject.and_then(|subject| root(&mut tracer, frame, request, &subject)));
    }
    let trace::Tracer { nodes, problems, .. } = tracer;
    Traced { nodes, roots, problems }
}

/// What the requests read: the entity datasets cut down to the columns their figures need,
/// and, for one entity's figures, that entity and the fields that make its peer group.
struct Reading {
    specs: Vec<crate::data::DatasetSpec>,
    peers: Option<(String, Vec<String>)>,
}

fn reading(model: &Model<'_>, requests: &[Request], subjects: &[Result<Subject, Box<Diagnostic>>]) -> Reading {
    // The fields the figures read (a total: its methodology's, with scale and dimensions).
    let mut needs = crate::eval::needs::Needs::new(model);
    let mut closures = Vec::new();
    for subject in subjects.iter().flatten() {
        match subject {
            Subject::Target(target, key) => {
                let c = closure::Closure::of(model, target, key);
                needs.fields.extend(c.fields.iter().cloned());
                closures.push(c);
            }
            Subject::Total { methodology: m, .. } => needs.methodology(m),
        }
    }
    let totals = subjects.iter().flatten().any(|s| matches!(s, Subject::Total { .. }));
    // One entity's figures need only its peer group's rows (or its own, without statistics).
    let peers = one_entity(requests, subjects)
        .zip(closure::Closure::shared_peer_fields(closures.iter().map(|c| c.peer_fields(model))))
        .map(|(entity, fields)| (entity.to_string(), fields));
    let mut specs = model.entity_datasets();
    for spec in &mut specs {
        // Only the columns read: `cost[finance]`, not every member of `cost`.
        spec.fields.retain(|f| {
            needs.fields.contains(&f.key.field)
                && (totals || f.key.index.is_empty() || closures.iter().any(|c| c.reads(&f.key)))
        });
    }
    Reading { specs, peers }
}

/// Load the datasets, from a cache restricted to the peer group when there is one: the
/// tables (none when loading failed), whether they hold that group alone already, and what
/// loading had to say.
#[allow(
    clippy::type_complexity,
    reason = "the tables and whether they are restricted, beside the diagnostics: used once"
)]
fn load(
    tree: &RuleTree,
    first: &Request,
    specs: &[crate::data::DatasetSpec],
    peers: Option<&(String, Vec<String>)>,
    sources: &mut Vec<SourceFile>,
    timer: &crate::timing::Timer,
) -> (Option<(Vec<Table>, bool)>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let mut ctx = LoadContext { sources, diagnostics: Vec::new() };
    let peer_keys: Vec<crate::data::FieldKey> = peers
        .map(|(_, fields)| {
            fields.iter().map(|f| crate::data::FieldKey { field: f.clone(), index: Vec::new() }).collect()
        })
        .unwrap_or_default();
    let filter = peers.map(|(entity, _)| crate::data::cache::Filter {
        period: first.period.as_deref(),
        entity,
        peer_fields: &peer_keys,
    });
    let loader = crate::data::Loader {
        data_dir: &first.data_dir,
        derive: &crate::classify::dataset::FromClassify(tree),
        cache: crate::data::CacheUse::On(filter),
    };
    let loaded = loader.load_all(specs, &mut ctx);
    // Read from the cache already restricted to the peer group: nothing left to restrict.
    let restricted = loaded.iter().flatten().all(|l| l.filtered);
    let tables: Vec<Option<Table>> = loaded.into_iter().map(|l| l.map(|l| l.table)).collect();
    timer.lap("load data");
    diags.append(&mut ctx.diagnostics);
    if diags.iter().any(Diagnostic::is_error) {
        return (None, diags);
    }
    (Some((tables.into_iter().flatten().collect(), restricted)), diags)
}

/// The row of the one entity whose figures are explained: its own arithmetic is evaluated
/// over its row alone, its statistics over the frame (its peer group). Totals, parameters
/// and the figures of several entities use the whole frame.
fn focus(
    requests: &[Request],
    subjects: &[Result<Subject, Box<Diagnostic>>],
    frame: &frame::Frame<'_>,
) -> Option<usize> {
    one_entity(requests, subjects).and_then(|e| entity_row(frame, e).ok())
}

/// The entity every request is a figure of (none a parameter or a total), if they share one.
fn one_entity<'r>(requests: &'r [Request], subjects: &[Result<Subject, Box<Diagnostic>>]) -> Option<&'r str> {
    let entity = requests.first()?.entity.as_deref()?;
    let figure =
        |s: &Result<Subject, Box<Diagnostic>>| matches!(s, Ok(Subject::Target(t, _)) if !matches!(t, Target::Param(_)));
    let shared = requests.len() == subjects.len()
        && requests.iter().zip(subjects).all(|(r, s)| r.entity.as_deref() == Some(entity) && figure(s));
    shared.then_some(entity)
}

/// The root node of one request.
fn root(
    tracer: &mut trace::Tracer<'_, '_, '_>,
    frame: &frame::Frame<'_>,
    request: &Request,
    subject: &Subject,
) -> Result<usize, Box<Diagnostic>> {
    match subject {
        Subject::Target(target, key) => {
            let row = match (matches!(target, Target::Param(_)), request.entity.as_deref()) {
                (_, Some(e)) => entity_row(frame, e)?,
                (true, None) => 0,
                (false, None) => return Err(Box::new(no_entity(frame))),
            };
            Ok(tracer.definition(target, key, row, 0))
        }
        Subject::Total { methodology, total } => total::explain(tracer, methodology, *total, &request.by, request.top),
    }
}

fn choose_period(tables: &[Table], asked: Option<&str>) -> Result<std::sync::Arc<str>, Box<Diagnostic>> {
    let periods = frame::periods(tables);
    let shown: Vec<String> = periods.iter().map(|p| format!("`{p}`")).collect();
    match asked {
        Some(p) => periods.iter().find(|x| x.as_ref() == p).cloned().ok_or_else(|| {
            Box::new(Diagnostic::new(Code::NoEntities, format!("no data for period `{p}`")).help(
                match suggest::did_you_mean(p, periods.iter().map(|x| x.as_ref())) {
                    Some(s) => format!("did you mean `{s}`? The data has {}", shown.join(", ")),
                    None => format!("the data has {}", shown.join(", ")),
                },
            ))
        }),
        None => match periods.as_slice() {
            [one] => Ok(one.clone()),
            _ => Err(Box::new(
                Diagnostic::new(Code::UnknownSelection, "which period? The data has several")
                    .help(format!("give `--period`: the data has {}", shown.join(", "))),
            )),
        },
    }
}

fn entity_row(frame: &frame::Frame<'_>, entity: &str) -> Result<usize, Box<Diagnostic>> {
    frame.keys.binary_search_by(|k| k.as_ref().cmp(entity)).map_err(|_| {
        let mut d = Diagnostic::new(
            Code::UnknownSelection,
            format!("no entity `{entity}` has data in {}", frame.period_label()),
        );
        d = d.help(match suggest::did_you_mean(entity, frame.keys.iter().map(|k| k.as_ref())) {
            Some(s) => format!("did you mean `{s}`?"),
            None => "give `--entity` a key as the data writes it".to_string(),
        });
        Box::new(d)
    })
}

fn no_entity(frame: &frame::Frame<'_>) -> Diagnostic {
    let some: Vec<String> = frame.keys.iter().take(3).map(|k| format!("`{k}`")).collect();
    Diagnostic::new(Code::UnknownSelection, "which entity? A figure has one value per entity")
        .help(format!("give `--entity`, for example {}", some.join(", ")))
}
