//! `assay explain POLICY --entity E [--row N]`: the derivation of a policy's verdict for
//! one record (by its line in the data file) or one entity in a period, traced as a
//! figure is: each sub-expression's value, parameters, KPIs and the cells behind them.

use super::graph::Graph;
use super::trace::Tracer;
use super::Request;
use crate::ast::{DatasetDef, DefKind, PolicyDef};
use crate::check::suggest;
use crate::check::symbols::Item;
use crate::data::stamp::Stamp;
use crate::data::{DatasetSpec, Table};
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::eval::engine::{Evaluator, Previous};
use crate::eval::frame::{self, Frame};
use crate::eval::model::Model;
use crate::load::RuleTree;
use crate::source::SourceFile;
use std::sync::Arc;

/// What explaining a policy gives: the graph, or the diagnostics that say why not.
pub type Explained = (Option<Graph>, Vec<Diagnostic>);

/// Explain the policy the request's selector names (`name` or `name[member, ...]`); `None`
/// when it names no policy, for the figures' path to take.
pub fn explain(tree: &RuleTree, request: &Request, sources: &mut Vec<SourceFile>) -> Option<Explained> {
    let model = Model::new(tree);
    let (name, key) = match request.selector.split_once('[') {
        Some((n, rest)) => {
            (n.trim(), rest.trim_end_matches(']').split(',').map(|m| m.trim().to_string()).collect::<Vec<_>>())
        }
        None => (request.selector.trim(), Vec::new()),
    };
    let def = model.definitions().find_map(|d| match &d.node.kind {
        DefKind::Policy(p) if d.node.name.node == name => Some(p),
        _ => None,
    })?;
    let Some(Item::Dataset(dataset)) = model.syms.get(&def.over.node).map(|s| s.item) else {
        return Some((None, Vec::new()));
    };
    if key.len() != def.indices.len() {
        let sets: Vec<String> = def.indices.iter().map(|i| i.node.set.node.clone()).collect();
        let d = Diagnostic::new(Code::UnknownSelection, format!("`{name}` has one verdict per {}", sets.join(" and ")))
            .help(format!("name the members: `{name}[{}]`", sets.join(", ")));
        return Some((None, vec![d]));
    }
    Some(explain_one(tree, &model, name, def, dataset, &key, request, sources))
}

#[allow(clippy::too_many_arguments, reason = "one policy's explanation: what it is, where, and for whom")]
fn explain_one(
    tree: &RuleTree,
    model: &Model<'_>,
    name: &str,
    def: &PolicyDef,
    dataset: &DatasetDef,
    key: &[String],
    request: &Request,
    sources: &mut Vec<SourceFile>,
) -> Explained {
    let records = !dataset.gives_entities();
    let specs: Vec<DatasetSpec> = if records {
        model.file_datasets().into_iter().filter(|s| s.name == def.over.node).collect()
    } else {
        model.entity_datasets()
    };
    let mut diags = Vec::new();
    let loaded = crate::policy::load(model, tree, &specs, &request.data_dir, &request.budget, sources, &mut diags);
    let Some((tables, scripts)) = loaded else { return (None, diags) };
    let delimiters = specs.iter().map(|s| (s.name.clone(), s.delimiter)).collect();
    let (frames, at) = if records {
        let table = tables.iter().position(|t| t.dataset == def.over.node).unwrap_or_default();
        let period: Arc<str> = request.period.as_deref().unwrap_or("").into();
        (vec![frame::of_records(&tables, table, &specs, &period)], 0)
    } else {
        let periods = frame::periods(&tables);
        let period = match super::choose_period(&tables, request.period.as_deref()) {
            Ok(p) => p,
            Err(d) => return (None, vec![*d]),
        };
        let at = periods.iter().position(|p| *p == period).unwrap_or_default();
        (periods.iter().map(|p| frame::build(&tables, &specs, p)).collect::<Vec<_>>(), at)
    };
    let Some(frame) = frames.get(at) else { return (None, diags) };
    let row = match row_of(frame, &tables, def, request) {
        Ok(r) => r,
        Err(d) => return (None, vec![*d]),
    };
    let mut ev = Evaluator::new(model, frame, Some(&scripts));
    if let Some(before) = at.checked_sub(1).and_then(|b| frames.get(b)) {
        ev.previous = Some(Previous::new(Evaluator::new(model, before, Some(&scripts)), frame));
    }
    let mut tracer = Tracer::new(&mut ev, request.depth, delimiters);
    let root = tracer.policy(name, def, dataset, key, row);
    let Tracer { nodes, problems, .. } = tracer;
    diags.extend(problems);
    ev.finish();
    diags.append(&mut ev.diagnostics);
    if diags.iter().any(Diagnostic::is_error) {
        return (None, diags);
    }
    let graph = Graph {
        stamp: Stamp::of(&tree.files, &tables),
        notices: crate::eval::run::notice(&request.data_dir).into_iter().collect(),
        period: frame.period.to_string(),
        nodes,
        root,
        against: None,
    };
    (Some(graph), diags)
}

/// The frame row explained: a record by its line (`--row`, as `verify` reports it) or its
/// entity when it has one row; an entity by its key.
fn row_of(frame: &Frame<'_>, tables: &[Table], def: &PolicyDef, request: &Request) -> Result<usize, Box<Diagnostic>> {
    let table = frame.records.and_then(|t| tables.get(t).map(|table| (t, table)));
    let line_of = |row: usize| {
        let (t, table) = table?;
        let table_row = frame.rows.get(t)?.get(row)?;
        table.origins.get(table_row).map(|o| o.line)
    };
    let rows: Vec<usize> = (0..frame.keys.len())
        .filter(|r| request.entity.as_deref().is_none_or(|e| frame.keys.get(*r).is_some_and(|k| k.as_ref() == e)))
        .filter(|r| request.row.is_none_or(|n| line_of(*r) == Some(n)))
        .collect();
    match rows.as_slice() {
        [one] => Ok(*one),
        [] => {
            let what = match (&request.entity, request.row) {
                (Some(e), Some(n)) => format!("no row of `{}` at line {n} is `{e}`'s", def.over.node),
                (None, Some(n)) => format!("`{}` has no row at line {n}", def.over.node),
                (Some(e), None) => format!("`{e}` has no row in `{}` ({})", def.over.node, frame.period_label()),
                (None, None) => format!("`{}` has no rows", def.over.node),
            };
            let help = match request
                .entity
                .as_deref()
                .and_then(|e| suggest::did_you_mean(e, frame.keys.iter().map(|k| k.as_ref())))
            {
                Some(s) => format!("did you mean `{s}`?"),
                None => "give `--entity` as the data writes it, and `--row` as `verify` reports the line".to_string(),
            };
            Err(Box::new(Diagnostic::new(Code::UnknownSelection, what).help(help)))
        }
        many => {
            let lines: Vec<String> = many.iter().take(8).filter_map(|r| line_of(*r)).map(|l| l.to_string()).collect();
            Err(Box::new(
                Diagnostic::new(
                    Code::UnknownSelection,
                    format!("{} rows of `{}` match; say which", many.len(), def.over.node),
                )
                .help(if lines.is_empty() {
                    "give `--entity`".to_string()
                } else {
                    format!("give `--row` with the line, one of {}", lines.join(", "))
                }),
            ))
        }
    }
}
