//! A whole evaluation: load the datasets, build each period's frame, compute the selected
//! KPIs and methodologies with their totals, and collect the results with their stamp.

use super::column::{Column, Grouped};
use super::engine::{Evaluator, Peers, Target};
use super::frame::{self, Frame};
use super::model::Model;
use super::script::ScriptHost;
use super::select::Selection;
use crate::ast::{DefKind, IndexDecl, MethodologyDef, UnitExpr};
use crate::check::suggest;
use crate::data::stamp::Stamp;
use crate::data::{self, LoadContext, RowCounts, Table};
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::load::RuleTree;
use crate::source::{SourceFile, Spanned};
use crate::value::Value;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Clone, Default)]
pub struct Request {
    pub data_dir: PathBuf,
    pub period: Option<String>,
    /// Methodologies to evaluate; empty means all.
    pub methodologies: Vec<String>,
    /// Figures to report: a KPI (entity by entity), a methodology (its totals), or
    /// `methodology.figure` (entity by entity), a KPI or figure optionally with one member
    /// of each index (`national_average.saving[finance]`); empty means all. Each value may
    /// be a comma-separated list (see [`super::select::split_list`]).
    pub select: Vec<String>,
    /// Entity fields to carry into the results as they are (a report's labels and peer
    /// groups): read even when no selected figure needs them.
    pub fields: Vec<String>,
    /// The operations the scripts may take in all (shared with the command's other runs).
    pub budget: super::budget::ScriptBudget,
    /// Only one entity's figures are wanted, and every statistic behind them is over the
    /// entities alike in these fields: datasets are read through the column cache keeping
    /// only those entities' rows (every row, when the data is not cached or has several
    /// periods). The results then hold that group alone.
    pub peers_of: Option<(String, Vec<String>)>,
    /// The figures selected alone, without the totals of their methodologies (which a
    /// methodology's figure in `select` otherwise brings): for callers that print none.
    pub without_totals: bool,
    /// Figures (as `select` takes them) wanted for the `peers_of` entity alone, such as an
    /// entity's page prints in its tables: computed over its row, their statistics over its
    /// group, so that the group's other entities are not computed; for them the figures are
    /// missing ("computed for E alone"). Without `peers_of`, or in a period without the
    /// entity, they are computed for every entity, as `select`.
    pub entity_only: Vec<String>,
}

pub use crate::value::UnitOut;

#[derive(Debug, Clone)]
pub struct FigureOut {
    pub name: String,
    pub methodology: Option<String>,
    /// (index set, member) for each index.
    pub index: Vec<(String, String)>,
    pub unit: UnitOut,
    pub values: Column,
}

#[derive(Debug, Clone)]
pub struct TotalRow {
    pub dims: Vec<String>,
    pub value: Value,
    /// Values summed, and values left out because they were missing.
    pub count: usize,
    pub missing: usize,
}

#[derive(Debug, Clone)]
pub struct TotalOut {
    pub methodology: String,
    pub figure: String,
    pub by: Vec<String>,
    pub unit: UnitOut,
    pub scaled: bool,
    pub rows: Vec<TotalRow>,
    pub grand: TotalRow,
    /// False when a dimension is a set of alternatives (low and high): its rows are the
    /// totals, and adding them up would mean nothing.
    pub has_grand: bool,
}

#[derive(Debug, Clone)]
pub struct PeriodResult {
    pub period: String,
    pub entities: Vec<Arc<str>>,
    pub figures: Vec<FigureOut>,
    pub totals: Vec<TotalOut>,
    /// The fields the request asked to carry, entity by entity.
    pub fields: Vec<(String, Column)>,
}

impl PeriodResult {
    /// No figures yet, for the frame's entities.
    fn empty(frame: &Frame<'_>) -> PeriodResult {
        PeriodResult {
            period: frame.period.to_string(),
            entities: frame.keys.clone(),
            figures: Vec::new(),
            totals: Vec::new(),
            fields: Vec::new(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Results {
    pub stamp: Stamp,
    /// Lines every report starts with, such as a data folder's NOTICE ("synthetic data").
    pub notices: Vec<String>,
    pub methodologies: Vec<String>,
    pub counts: Vec<(String, RowCounts)>,
    pub periods: Vec<PeriodResult>,
}

/// Evaluate a checked rules tree over the data folder. Errors stop the run; warnings are
/// returned with the results. `sources` gains the data files and scripts read.
pub fn run(tree: &RuleTree, request: &Request, sources: &mut Vec<SourceFile>) -> (Option<Results>, Vec<Diagnostic>) {
    run_visiting(tree, request, sources, None)
}

/// What a caller does with the evaluator of the `peers_of` entity in the last period
/// evaluated, once its figures are computed (`assay report` explains them there, without
/// computing them again); it returns what it had to say.
pub type Visit<'v> = &'v mut dyn FnMut(&mut Evaluator<'_, '_>) -> Vec<Diagnostic>;

/// [`run`], handing the evaluator of the `peers_of` entity in the last period evaluated to
/// `visit` (there is none where the entity has no row in that period). The evaluators keep
/// what explaining needs of their statistics (trimmed means' members).
pub fn run_visiting(
    tree: &RuleTree,
    request: &Request,
    sources: &mut Vec<SourceFile>,
    mut visit: Option<Visit<'_>>,
) -> (Option<Results>, Vec<Diagnostic>) {
    let model = Model::new(tree);
    let mut diags = Vec::new();
    let methodologies = match select_methodologies(&model, &request.methodologies) {
        Ok(m) => m,
        Err(d) => return (None, vec![d]),
    };
    let (select, entity_only) =
        match (super::select::parse(&model, &request.select), super::select::parse(&model, &request.entity_only)) {
            (Ok(s), Ok(e)) => (s, e),
            (Err(d), _) | (_, Err(d)) => return (None, vec![*d]),
        };
    // Everything selected, for the fields to read and for a frame without the entity.
    let every: Vec<Selection> = select.iter().chain(&entity_only).cloned().collect();
    // Load every dataset of entities (record datasets are for `classify` and policies),
    // converting the fields the selected figures need.
    let mut needed = needed_fields(&model, &methodologies, &every);
    needed.extend(request.fields.iter().cloned());
    let mut specs = model.entity_datasets();
    for spec in &mut specs {
        spec.fields.retain(|f| needed.contains(&f.key.field));
    }
    let mut ctx = LoadContext { sources, diagnostics: Vec::new() };
    let timer = crate::timing::Timer::start();
    let peer_keys: Vec<data::FieldKey> = request
        .peers_of
        .iter()
        .flat_map(|(_, fields)| fields.iter())
        .map(|f| data::FieldKey { field: f.clone(), index: Vec::new() })
        .collect();
    let loader = data::Loader {
        data_dir: &request.data_dir,
        derive: &crate::classify::dataset::FromClassify(tree),
        cache: match &request.peers_of {
            Some((entity, _)) => data::CacheUse::On(Some(data::cache::Filter {
                period: request.period.as_deref(),
                entity,
                peer_fields: &peer_keys,
            })),
            None => data::CacheUse::Off,
        },
    };
    let tables = loader.load_all(&specs, &mut ctx);
    let filtered = tables.iter().flatten().any(|l| l.filtered);
    timer.lap(if filtered { "load data (one peer group's rows, from the cache)" } else { "load data" });
    diags.append(&mut ctx.diagnostics);
    if diags.iter().any(Diagnostic::is_error) {
        return (None, diags);
    }
    let mut tables: Vec<Table> = tables.into_iter().flatten().map(|l| l.table).collect();
    tables.iter_mut().filter(|t| !t.records).for_each(Table::sort_by_key);
    timer.lap("sort tables by key");
    let scripts = ScriptHost::load(&model, ctx.sources, &mut diags, &request.budget);
    let script_sources: Vec<usize> = (tree.files.len()..ctx.sources.len()).collect();
    if diags.iter().any(Diagnostic::is_error) {
        super::script::resolve_positions(&mut diags, ctx.sources, &script_sources);
        return (None, diags);
    }
    let periods = match chosen_periods(&tables, request.period.as_deref()) {
        Ok(p) => p,
        Err(d) => {
            diags.push(*d);
            return (None, diags);
        }
    };
    let mut results = Vec::new();
    let mut blank = Vec::new();
    for (p, period) in periods.iter().enumerate() {
        let last = p.saturating_add(1) == periods.len();
        let frame = frame::build(&tables, &specs, period);
        timer.lap("build frame");
        if frame.keys.is_empty() {
            continue;
        }
        let mut ev = Evaluator::new(&model, &frame, Some(&scripts));
        let visited = visit.as_mut().filter(|_| last);
        if visited.is_some() {
            ev.keep_trimmings();
        }
        let wanted = !entity_only.is_empty() || visited.is_some();
        let focus = request.peers_of.as_ref().filter(|_| wanted).and_then(|(entity, _)| {
            frame.keys.binary_search_by(|k| k.as_ref().cmp(entity)).ok().map(|row| (entity.as_str(), row))
        });
        let mut result = match focus {
            None => evaluate_period(&mut ev, &model, &frame, &methodologies, &every, request.without_totals),
            Some(_) if select.is_empty() => PeriodResult::empty(&frame),
            Some(_) => evaluate_period(&mut ev, &model, &frame, &methodologies, &select, request.without_totals),
        };
        // A figure blank for every entity is a mistake more often than a finding: say so
        // (unless the run fails anyway, whose errors say why). Figures computed for one
        // entity alone say nothing of the others.
        blank.extend(super::missing::warnings(&model, &methodologies, &result));
        if let Some((entity, row)) = focus {
            let (mut alone, diagnostics) =
                for_one_entity(ev, &frame, (entity, row), (&methodologies, &entity_only), visited);
            result.figures.append(&mut alone);
            diags.extend(diagnostics);
        } else {
            ev.finish();
            diags.append(&mut ev.diagnostics);
        }
        result.fields = request
            .fields
            .iter()
            .filter_map(|f| {
                let key = crate::data::FieldKey { field: f.clone(), index: Vec::new() };
                frame.field(&key).map(|c| (f.clone(), c))
            })
            .collect();
        timer.lap("evaluate");
        results.push(result);
    }
    diags.extend(scripts.budget_diagnostic());
    super::script::resolve_positions(&mut diags, ctx.sources, &script_sources);
    if results.is_empty() {
        diags.push(
            Diagnostic::new(Code::NoEntities, "no entity has data to evaluate")
                .help("check the data folder (`--data`) and the datasets' files"),
        );
    }
    if diags.iter().any(Diagnostic::is_error) {
        return (None, diags);
    }
    diags.append(&mut blank);
    let stamp = Stamp::of(&tree.files, &tables);
    let notices = notice(&request.data_dir).into_iter().collect();
    let counts = tables.iter().map(|t| (t.dataset.clone(), t.counts)).collect();
    let methodologies = methodologies.iter().map(|(n, _)| n.to_string()).collect();
    (Some(Results { stamp, notices, methodologies, counts, periods: results }), diags)
}

/// The periods to evaluate: every one in the data, or the one asked for (`--period`),
/// which must be among them.
fn chosen_periods(tables: &[Table], wanted: Option<&str>) -> Result<Vec<Arc<str>>, Box<Diagnostic>> {
    let mut periods = frame::periods(tables);
    if let Some(p) = wanted {
        if !periods.iter().any(|x| x.as_ref() == p) {
            let shown: Vec<String> = periods.iter().map(|p| format!("`{p}`")).collect();
            return Err(Box::new(Diagnostic::new(Code::NoEntities, format!("no data for period `{p}`")).help(
                match suggest::did_you_mean(p, periods.iter().map(|x| x.as_ref())) {
                    Some(s) => format!("did you mean `{s}`? The data has {}", shown.join(", ")),
                    None => format!("the data has {}", shown.join(", ")),
                },
            )));
        }
        periods.retain(|x| x.as_ref() == p);
    }
    Ok(periods)
}

/// The fields the selected KPIs and methodologies read.
fn needed_fields(
    model: &Model<'_>,
    methodologies: &[(&str, &MethodologyDef)],
    select: &[Selection],
) -> std::collections::HashSet<String> {
    let mut needs = super::needs::Needs::new(model);
    for kpi in model.kpi_names() {
        if select.is_empty() || select.iter().any(|s| s.name == kpi) {
            needs.kpi(kpi);
        }
    }
    for (meth, _) in methodologies {
        if select.is_empty() || select.iter().any(|s| s.wants_totals(meth)) {
            needs.methodology(meth);
        }
    }
    needs.fields
}

/// A data folder's `NOTICE` file: its first line heads every report made from the data.
pub fn notice(data_dir: &std::path::Path) -> Option<String> {
    let text = crate::source::read_input_text(&data_dir.join("NOTICE")).ok()?;
    text.lines().map(str::trim).find(|l| !l.is_empty()).map(str::to_string)
}

fn select_methodologies<'a>(
    model: &Model<'a>,
    asked: &[String],
) -> Result<Vec<(&'a str, &'a MethodologyDef)>, Diagnostic> {
    let all = model.methodologies();
    if asked.is_empty() {
        return Ok(all);
    }
    let mut chosen = Vec::new();
    for name in asked {
        match all.iter().find(|(n, _)| *n == name) {
            Some(m) => chosen.push(*m),
            None => {
                let names: Vec<&str> = all.iter().map(|(n, _)| *n).collect();
                return Err(Diagnostic::new(Code::UnknownSelection, format!("no methodology `{name}`")).help(
                    suggest::help_for(
                        name,
                        names.iter().copied(),
                        &format!("the methodologies are: {}", names.join(", ")),
                    ),
                ));
            }
        }
    }
    Ok(chosen)
}

/// Is a figure asked for, with these index members? With no `--select`, everything is; a
/// methodology's name asks for its totals, `methodology.figure` for that figure entity by
/// entity, and `[member, ...]` for those members only.
fn selected(select: &[Selection], name: &str, methodology: Option<&str>, key: &[String]) -> bool {
    select.is_empty() || select.iter().any(|s| s.wants(name, methodology, key))
}

fn evaluate_period(
    ev: &mut Evaluator<'_, '_>,
    model: &Model<'_>,
    frame: &Frame<'_>,
    methodologies: &[(&str, &MethodologyDef)],
    select: &[Selection],
    without_totals: bool,
) -> PeriodResult {
    let mut figures = Vec::new();
    for d in model.definitions() {
        let DefKind::Kpi(k) = &d.node.kind else { continue };
        let name = &d.node.name.node;
        if !select.is_empty() && !select.iter().any(|s| s.name == *name) {
            continue;
        }
        let unit = unit_out(model, &k.unit.node);
        for key in combinations(model, &k.indices) {
            if !selected(select, name, None, &key) {
                continue;
            }
            let values = ev.target(&Target::Kpi(name.clone()), &key);
            figures.push(FigureOut {
                name: name.clone(),
                methodology: None,
                index: labelled(&k.indices, &key),
                unit: unit.clone(),
                values,
            });
        }
    }
    let mut totals = Vec::new();
    for (meth, def) in methodologies {
        for f in &def.figures {
            let name = &f.node.name.node;
            // A figure only totals need is computed by them, a column at a time.
            if !select.is_empty() && !select.iter().any(|s| s.wants_figure(name, meth)) {
                continue;
            }
            let unit = f
                .node
                .unit
                .as_ref()
                .map_or_else(|| unit_out(model, &UnitExpr::default()), |u| unit_out(model, &u.node));
            for key in combinations(model, &f.node.indices) {
                if !selected(select, name, Some(meth), &key) {
                    continue;
                }
                let values = ev.target(&Target::Figure(meth.to_string(), name.clone()), &key);
                figures.push(FigureOut {
                    name: name.clone(),
                    methodology: Some(meth.to_string()),
                    index: labelled(&f.node.indices, &key),
                    unit: unit.clone(),
                    values,
                });
            }
        }
        if !without_totals && (select.is_empty() || select.iter().any(|s| s.wants_totals(meth))) {
            totals.extend(super::totals::totals(ev, model, meth, def));
        }
    }
    PeriodResult { figures, totals, ..PeriodResult::empty(frame) }
}

/// The figures of `select` for one entity of the frame (at `row`), each over its row alone
/// with its statistics from `ev` (the whole frame's evaluator, which may have computed the
/// columns they share already): each a column over the frame, missing but at `row`. With
/// what the evaluation noticed.
fn for_one_entity<'m, 'a>(
    ev: Evaluator<'m, 'a>,
    frame: &'m Frame<'m>,
    (entity, row): (&str, usize),
    (methodologies, select): (&[(&str, &MethodologyDef)], &[Selection]),
    visit: Option<&mut Visit<'_>>,
) -> (Vec<FigureOut>, Vec<Diagnostic>) {
    let model = ev.model;
    let scripts = ev.scripts;
    let single = frame.single(row);
    let mut one = Evaluator::new(model, &single, scripts);
    one.peers = Some(Peers { ev: Box::new(ev), row });
    let mut figures = if select.is_empty() {
        Vec::new()
    } else {
        evaluate_period(&mut one, model, &single, methodologies, select, true).figures
    };
    let mut said = visit.map(|v| v(&mut one)).unwrap_or_default();
    one.finish();
    // Each column reads the entity's value at its row, and says why at any other.
    let mut of_row = vec![None; frame.keys.len()];
    if let Some(r) = of_row.get_mut(row) {
        *r = Some(0);
    }
    let of_row = Arc::new(of_row);
    let elsewhere = Value::missing(format!("computed for `{entity}` alone"));
    for f in &mut figures {
        f.values = Column::Grouped(Arc::new(Grouped {
            of_row: of_row.clone(),
            values: vec![f.values.get(0).clone()],
            ungrouped: elsewhere.clone(),
        }));
    }
    said.append(&mut one.diagnostics);
    crate::discard::later(one.into_results());
    (figures, said)
}

/// Every combination of index members, in declaration order.
pub fn combinations(model: &Model<'_>, decls: &[Spanned<IndexDecl>]) -> Vec<Vec<String>> {
    let mut out = vec![Vec::new()];
    for d in decls {
        let members = model.syms.members(&d.node.set.node).unwrap_or_default();
        out = out
            .into_iter()
            .flat_map(|prefix| {
                members.iter().map(move |m| {
                    let mut k = prefix.clone();
                    k.push(m.name.to_string());
                    k
                })
            })
            .collect();
    }
    out
}

fn labelled(decls: &[Spanned<IndexDecl>], key: &[String]) -> Vec<(String, String)> {
    decls.iter().zip(key).map(|(d, k)| (d.node.set.node.clone(), k.clone())).collect()
}

const MONEY_SIGNS: &[&str] = &["£", "$", "€"];

pub fn unit_out(model: &Model<'_>, u: &UnitExpr) -> UnitOut {
    let name = u
        .factors
        .iter()
        .map(|(n, p)| if *p == 1 { n.node.clone() } else { format!("{}^{p}", n.node) })
        .collect::<Vec<_>>()
        .join(" · ");
    let dim = model.units.resolve(u, &mut Vec::new()).unwrap_or_default();
    let percent = matches!(u.factors.as_slice(), [(n, 1)] if n.node == "percent");
    // Money is a unit whose symbol is a currency sign, the signs money literals use.
    let money = model
        .units
        .currencies
        .iter()
        .any(|(sign, c)| MONEY_SIGNS.contains(&sign.as_str()) && dim == crate::check::units::Dim::base(c));
    let symbol = if percent { "%".to_string() } else { model.units.show(&dim) };
    UnitOut { name: if name.is_empty() { "ratio".to_string() } else { name }, symbol, percent, money }
}
