//! Stage 5, HTML reports (`assay report`): the pages a `report` definition declares, one
//! self-contained HTML document each, with inline SVG charts and every printed figure's
//! explanation under it. The results come from the evaluator and the explanations from
//! `explain`, so a page shows exactly what `eval` computes and `explain` derives.

pub mod chart;
mod explained;
mod items;
mod page;
mod sections;
mod totals;
mod view;

use crate::ast::{DefKind, ReportDef, ReportItem};
use crate::check::suggest;
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::eval::model::Model;
use crate::eval::run::{self, Results};
use crate::load::RuleTree;
use crate::source::SourceFile;
use explained::Wanted;
use items::Ctx;
use rayon::prelude::*;
use sections::Scope;
use std::path::PathBuf;

#[derive(Debug, Clone, Default)]
pub struct Request {
    pub data_dir: PathBuf,
    /// The report to write; none: the rules' first of the kind asked for.
    pub report: Option<String>,
    /// One entity's page (`each` reports).
    pub entity: Option<String>,
    /// Every report: each `each` report for every entity, with an index page.
    pub all: bool,
    /// The period shown (trends show every period); none: the latest in the data.
    pub period: Option<String>,
    pub budget: crate::eval::budget::ScriptBudget,
}

/// One page: where it goes (relative to the output folder with `--all`) and its HTML.
pub struct Page {
    pub path: PathBuf,
    pub title: String,
    pub html: String,
}

/// A report the rules declare, with its name and where it is written.
struct Declared<'a> {
    name: &'a str,
    def: &'a ReportDef,
    at: String,
}

/// The pages asked for; `progress` hears of each page as it is made (done, of how many).
pub fn pages(
    tree: &RuleTree,
    request: &Request,
    sources: &mut Vec<SourceFile>,
    progress: &mut dyn FnMut(usize, usize),
) -> (Option<Vec<Page>>, Vec<Diagnostic>) {
    let model = Model::new(tree);
    let declared = declared(&model, tree);
    let chosen = match choose(&declared, request) {
        Ok(c) => c,
        Err(d) => return (None, vec![*d]),
    };
    let (select, alone): (Vec<Vec<String>>, Vec<Vec<String>>) = chosen.iter().map(|d| selected(d.def)).unzip();
    let (select, alone) = (select.concat(), alone.concat());
    // One entity's page needs only its peer group's figures (and reads only its rows when
    // the data is cached): the statistics behind them and the report's charts are over
    // entities alike in these fields. What it prints for the entity alone is computed for
    // the entity alone.
    let peers_of = match (&request.entity, chosen.as_slice()) {
        (Some(entity), [d]) => {
            let figures = [select.as_slice(), alone.as_slice()].concat();
            crate::explain::peer_fields_of(&model, &figures, &peer_fields(d.def)).map(|f| (entity.clone(), f))
        }
        _ => None,
    };
    let eval_request = run::Request {
        data_dir: request.data_dir.clone(),
        select,
        entity_only: alone,
        fields: chosen.iter().flat_map(|d| fields(d.def)).collect(),
        budget: request.budget.clone(),
        peers_of,
        // Totals are computed only for a report that prints them (`totals`).
        without_totals: !chosen.iter().any(|d| has_totals(d.def)),
        ..run::Request::default()
    };
    let timer = crate::timing::Timer::start();
    // One entity's page: its figures are explained in the evaluation that computed them,
    // over its row and its peer group's, so they are not computed again.
    let one = match (&request.entity, chosen.as_slice()) {
        (Some(entity), [d]) if d.def.each.is_some() => Some((entity.as_str(), entity_wanted(&model, d.def))),
        _ => None,
    };
    let mut traced = None;
    let mut trace = |ev: &mut crate::eval::engine::Evaluator<'_, '_>| {
        let Some((entity, wanted)) = &one else { return Vec::new() };
        let (t, problems) = explained::trace(ev, entity, wanted, &request.budget);
        traced = Some(t);
        problems
    };
    let visit: Option<run::Visit<'_>> = if one.is_some() { Some(&mut trace) } else { None };
    let (results, mut diags) = run::run_visiting(tree, &eval_request, sources, visit);
    timer.lap("report: evaluate and explain");
    let Some(results) = results else { return (None, diags) };
    let now = match period_index(&results, request.period.as_deref()) {
        Ok(n) => n,
        Err(d) => {
            diags.push(*d);
            return (None, diags);
        }
    };
    // The entities of the chosen `each` reports: one asked for, or all.
    let Some(shown) = results.periods.get(now) else { return (None, diags) };
    let keys: Vec<String> = match &request.entity {
        Some(e) if shown.entities.iter().any(|k| k.as_ref() == e) => vec![e.clone()],
        Some(e) => {
            diags.push(unknown_entity(e, &shown.period, shown.entities.iter().map(|k| k.as_ref())));
            return (None, diags);
        }
        None if request.all => shown.entities.iter().map(|k| k.to_string()).collect(),
        None => Vec::new(),
    };
    let total = chosen.iter().map(|d| if d.def.each.is_some() { keys.len() } else { 1 }).sum::<usize>();
    let mut pages = Vec::with_capacity(total);
    for d in &chosen {
        let peers = peer_fields(d.def);
        let label = d.def.label.as_ref().map(|l| l.node.as_str());
        let views = view::periods(&results, &peers, label);
        timer.lap("report: views of the results");
        let Some(v) = views.get(now) else { continue };
        if d.def.each.is_none() {
            let wanted: Vec<Wanted> = national_wanted(d.def, v);
            let (why, mut more) =
                explained::explain_all(tree, &request.data_dir, v.period(), None, &wanted, &request.budget, sources);
            diags.append(&mut more);
            let ctx = Ctx { model: &model, views: &views, now, why: &why };
            let body = format!("{}{}", counts(&results), sections::sections(&ctx, d.def, Scope::All));
            pages.push(page(
                d,
                &results,
                &body,
                v.period().to_string(),
                PathBuf::from(format!("{}.html", d.name)),
                request.all,
            ));
            progress(pages.len(), total);
            continue;
        }
        // Pages are made on every core, a batch at a time (so progress moves), each with
        // its own copy of the sources; they are kept in key order whatever the threads.
        // One entity's explanations may be traced already, of the period shown.
        let wanted = entity_wanted(&model, d.def);
        let early = traced.take().filter(|t| t.period == v.period()).map(|t| t.render(&wanted, &results));
        for batch in keys.chunks(PAGES_PER_BATCH) {
            let base = sources.len();
            let made: Vec<(Page, Vec<Diagnostic>, Vec<SourceFile>)> = batch
                .par_iter()
                .filter_map(|key| {
                    let row = v.row(key)?;
                    let mut local = sources.clone();
                    let fresh;
                    let (explained, more) = match &early {
                        Some(made) if keys.len() == 1 => (made, Vec::new()),
                        _ => {
                            let (made, more) = explained::explain_all(
                                tree,
                                &request.data_dir,
                                v.period(),
                                Some(key),
                                &wanted,
                                &request.budget,
                                &mut local,
                            );
                            fresh = made;
                            (&fresh, more)
                        }
                    };
                    let why = explained;
                    let ctx = Ctx { model: &model, views: &views, now, why };
                    let body = sections::sections(&ctx, d.def, Scope::Entity(row));
                    let subtitle = format!("{} ({key}), {} — peers: {}", v.name(row), v.period(), v.peer_group(row));
                    let path = PathBuf::from(d.name).join(format!("{}.html", file_name(key)));
                    Some((page(d, &results, &body, subtitle, path, request.all), more, local.split_off(base)))
                })
                .collect();
            for (p, more, added) in made {
                diags.extend(adopt(sources, base, more, added));
                pages.push(p);
            }
            progress(pages.len(), total);
        }
        timer.lap("report: pages");
    }
    // Each page's explanations evaluate again, and say again what the evaluation said.
    let mut seen = std::collections::HashSet::new();
    diags.retain(|d| seen.insert((d.code, d.message.clone())));
    if diags.iter().any(Diagnostic::is_error) {
        return (None, diags);
    }
    if request.all {
        pages.push(index(&chosen, &results, &pages));
    }
    (Some(pages), diags)
}

fn page(d: &Declared<'_>, results: &Results, body: &str, subtitle: String, path: PathBuf, linked: bool) -> Page {
    let depth = path.components().count().saturating_sub(1);
    let links = if linked {
        vec![("All reports".to_string(), format!("{}index.html", "../".repeat(depth)))]
    } else {
        Vec::new()
    };
    let frame = page::Frame {
        title: &d.def.title.node,
        subtitle: &subtitle,
        notices: &results.notices,
        stamp: &results.stamp,
        declared: &d.at,
        links: &links,
    };
    Page { html: page::document(&frame, body), title: format!("{} — {subtitle}", d.def.title.node), path }
}

/// What the data held: rows read, used, and left out (by the rules' `exclude`, or as bad
/// rows), per dataset, as the page of all entities states before its figures.
fn counts(results: &Results) -> String {
    let mut out = String::from("<section class=\"report\">\n<h2>Data</h2>\n<table class=\"counts\">\n<thead><tr><th>dataset</th><th class=\"num\">rows read</th><th class=\"num\">used</th><th class=\"num\">excluded by rule</th><th class=\"num\">skipped as bad</th></tr></thead>\n<tbody>\n");
    for (dataset, c) in &results.counts {
        out.push_str(&format!(
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
            crate::report::markup::escape(dataset),
            c.read,
            c.used,
            c.excluded,
            c.skipped
        ));
    }
    out.push_str("</tbody></table>\n<p class=\"note\">Entities without a value of a figure are left out of its statistics and charts; each chart and total says how many.</p>\n</section>\n");
    out
}

/// How many entity pages are made between two reports of progress.
const PAGES_PER_BATCH: usize = 32;

/// A page's diagnostics, pointing into the sources it read besides `sources` (a data file
/// it had to quote), made to point into `sources`: each such file is added once.
/// `base` is how many sources the page's copy started with.
fn adopt(
    sources: &mut Vec<SourceFile>,
    base: usize,
    mut diags: Vec<Diagnostic>,
    added: Vec<SourceFile>,
) -> Vec<Diagnostic> {
    let mut ids = Vec::with_capacity(added.len());
    for file in added {
        let id = match sources.iter().position(|s| s.path == file.path && s.name == file.name) {
            Some(id) => id,
            None => {
                sources.push(file);
                sources.len().saturating_sub(1)
            }
        };
        ids.push(id);
    }
    for d in &mut diags {
        for label in &mut d.labels {
            if let Some(local) = label.span.file.checked_sub(base) {
                if let Some(&id) = ids.get(local) {
                    label.span.file = id;
                }
            }
        }
    }
    diags
}

/// The index of `--all`: every page, by report.
fn index(chosen: &[Declared<'_>], results: &Results, pages: &[Page]) -> Page {
    let mut body = String::from("<section class=\"report\">\n<h2>Pages</h2>\n<ul>\n");
    for p in pages {
        body.push_str(&format!(
            "<li><a href=\"{}\">{}</a></li>\n",
            crate::report::markup::escape(&p.path.to_string_lossy()),
            crate::report::markup::escape(&p.title)
        ));
    }
    body.push_str("</ul>\n</section>\n");
    let names: Vec<&str> = chosen.iter().map(|d| d.name).collect();
    let frame = page::Frame {
        title: "Reports",
        subtitle: &format!("{} pages of {}", pages.len(), names.join(", ")),
        notices: &results.notices,
        stamp: &results.stamp,
        declared: &chosen.iter().map(|d| d.at.as_str()).collect::<Vec<_>>().join(", "),
        links: &[],
    };
    Page { path: PathBuf::from("index.html"), title: "Reports".to_string(), html: page::document(&frame, &body) }
}

/// A file name for an entity's key: letters, digits, `-`, `_` and `.` kept, anything else
/// (a `/`, a `..`) written as `_`, so a key from the data cannot place a page elsewhere.
fn file_name(key: &str) -> String {
    let mut name: String =
        key.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
    if name.is_empty() {
        name.push('_');
    }
    name
}

fn declared<'a>(model: &Model<'a>, tree: &'a RuleTree) -> Vec<Declared<'a>> {
    model
        .definitions()
        .filter_map(|d| match &d.node.kind {
            DefKind::Report(r) => {
                let at = tree.files.get(d.span.file).map_or_else(String::new, |f| {
                    format!("{}:{}", crate::load::display(&f.path), f.line_col(d.span.start).0)
                });
                Some(Declared { name: d.node.name.node.as_str(), def: r, at })
            }
            _ => None,
        })
        .collect()
}

/// The reports a request asks for, or why it cannot be had.
fn choose<'d, 'a>(declared: &'d [Declared<'a>], request: &Request) -> Result<Vec<Declared<'a>>, Box<Diagnostic>> {
    let usage = |m: String, h: String| Box::new(Diagnostic::new(Code::UnknownSelection, m).help(h));
    if declared.is_empty() {
        return Err(usage(
            "the rules declare no report".into(),
            "declare one: `report NAME \"Title\" { section \"...\" { table KPI } }`".into(),
        ));
    }
    let names = || declared.iter().map(|d| d.name).collect::<Vec<_>>();
    let pick = |d: &Declared<'a>| Declared { name: d.name, def: d.def, at: d.at.clone() };
    if let Some(name) = &request.report {
        let Some(d) = declared.iter().find(|d| d.name == name) else {
            return Err(usage(
                format!("no report `{name}`"),
                suggest::help_for(name, names(), &format!("the reports are: {}", names().join(", "))),
            ));
        };
        let each = d.def.each.is_some();
        if each && request.entity.is_none() && !request.all {
            return Err(usage(
                format!("report `{name}` has a page per entity"),
                "give `--entity KEY`, or `--all` for every entity's page".into(),
            ));
        }
        if !each && request.entity.is_some() {
            return Err(usage(format!("report `{name}` is not per entity"), "leave out `--entity`".into()));
        }
        return Ok(vec![pick(d)]);
    }
    if request.all {
        return Ok(declared.iter().map(pick).collect());
    }
    let per_entity = request.entity.is_some();
    declared.iter().find(|d| d.def.each.is_some() == per_entity).map(|d| vec![pick(d)]).ok_or_else(|| {
        usage(
            format!(
                "the rules declare no report {}",
                if per_entity { "per entity (`each`)" } else { "of all entities" }
            ),
            format!("the reports are: {}", names().join(", ")),
        )
    })
}

/// What the evaluator is asked for: every figure and methodology total the report shows,
/// in two lists: those shown over a peer group (charted, totalled), and those an entity's
/// page shows for the entity alone (in its tables and comparisons).
fn selected(def: &ReportDef) -> (Vec<String>, Vec<String>) {
    let (mut peers, mut alone) = (Vec::new(), Vec::new());
    for item in def.sections.iter().flat_map(|s| &s.node.items) {
        match &item.node {
            ReportItem::Table(f) | ReportItem::Compare(f) => alone.extend(f.iter().map(|f| f.node.text())),
            ReportItem::Distribution { figure, target } => {
                peers.push(figure.node.text());
                peers.extend(target.iter().map(|t| t.node.text()));
            }
            ReportItem::Trend(f) => peers.push(f.node.text()),
            ReportItem::Totals(m) => peers.extend(m.iter().map(|m| m.node.clone())),
        }
    }
    alone.retain(|f| !peers.contains(f));
    (peers, alone)
}

fn has_totals(def: &ReportDef) -> bool {
    def.sections.iter().flat_map(|s| &s.node.items).any(|i| matches!(i.node, ReportItem::Totals(_)))
}

/// The fields a report groups its peers by (`peers same ...`).
fn peer_fields(def: &ReportDef) -> Vec<String> {
    def.peers.iter().flat_map(|p| p.node.same.iter().map(|n| n.node.clone())).collect()
}

fn fields(def: &ReportDef) -> Vec<String> {
    let mut out = peer_fields(def);
    out.extend(def.label.iter().map(|l| l.node.clone()));
    out
}

/// What an entity's page explains: every figure printed in a table or beside a chart,
/// for each combination of its index members in the rules' order (as the results list
/// them).
fn entity_wanted(model: &Model<'_>, def: &ReportDef) -> Vec<Wanted> {
    let mut out = Vec::new();
    for item in def.sections.iter().flat_map(|s| &s.node.items) {
        let figures: Vec<&crate::ast::FigureRef> = match &item.node {
            ReportItem::Table(f) => f.iter().map(|f| &f.node).collect(),
            // The target is explained too: its value is written under the chart, and its
            // statistic says which members were trimmed.
            ReportItem::Distribution { figure, target } => {
                std::iter::once(&figure.node).chain(target.iter().map(|t| &t.node)).collect()
            }
            _ => Vec::new(),
        };
        for f in figures {
            for members in run::combinations(model, indices(model, f)) {
                let w = items::wanted(f, &members);
                if !out.contains(&w) {
                    out.push(w);
                }
            }
        }
    }
    out
}

/// The indices of a KPI or a methodology's figure (none for a name that is neither, which
/// the checker refuses).
fn indices<'a>(model: &Model<'a>, f: &crate::ast::FigureRef) -> &'a [crate::source::Spanned<crate::ast::IndexDecl>] {
    let found = match &f.methodology {
        None => match model.syms.get(&f.name.node).map(|s| s.item) {
            Some(crate::check::symbols::Item::Kpi(k)) => Some(&k.indices),
            _ => None,
        },
        Some(m) => model
            .methodology(&m.node)
            .and_then(|d| d.figures.iter().find(|x| x.node.name.node == f.name.node))
            .map(|x| &x.node.indices),
    };
    found.map_or(&[], |i| i.as_slice())
}

/// What the page of all entities explains: every total printed, and each distribution's
/// target for one member of each peer group (its statistic says which members it trimmed).
fn national_wanted(def: &ReportDef, v: &view::PeriodView<'_>) -> Vec<Wanted> {
    let mut out = Vec::new();
    for item in def.sections.iter().flat_map(|s| &s.node.items) {
        if let ReportItem::Distribution { target: Some(t), .. } = &item.node {
            for tout in v.figures(&t.node) {
                let members: Vec<String> = tout.index.iter().map(|(_, m)| m.clone()).collect();
                for group in v.groups() {
                    let Some(key) = items::representative(tout, &v.members(&group), v) else { continue };
                    out.push(Wanted { entity: Some(key.to_string()), ..items::wanted(&t.node, &members) });
                }
            }
        }
        let ReportItem::Totals(methodologies) = &item.node else { continue };
        for m in methodologies {
            for t in v.totals(&m.node) {
                let rows = t.rows.iter().chain(t.has_grand.then_some(&t.grand));
                for r in rows {
                    let w = totals::wanted(&m.node, t, r);
                    if !out.contains(&w) {
                        out.push(w);
                    }
                }
            }
        }
    }
    out
}

/// The index of the period shown: the one asked for, else the latest.
fn period_index(results: &Results, wanted: Option<&str>) -> Result<usize, Box<Diagnostic>> {
    match wanted {
        None => Ok(results.periods.len().saturating_sub(1)),
        Some(p) => {
            results.periods.iter().position(|r| r.period == p).ok_or_else(|| {
                let periods: Vec<&str> = results.periods.iter().map(|r| r.period.as_str()).collect();
                Box::new(Diagnostic::new(Code::NoEntities, format!("no data for period `{p}`")).help(
                    suggest::help_for(p, periods.iter().copied(), &format!("the data has {}", periods.join(", "))),
                ))
            })
        }
    }
}

fn unknown_entity<'k>(entity: &str, period: &str, keys: impl Iterator<Item = &'k str>) -> Diagnostic {
    let keys: Vec<&str> = keys.collect();
    Diagnostic::new(Code::UnknownEntity, format!("no entity `{entity}` in {period}")).help(suggest::help_for(
        entity,
        keys.iter().copied(),
        "give an entity's key as the data writes it",
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn keys_cannot_escape_the_folder() {
        assert_eq!(super::file_name("../../etc/passwd"), "______etc_passwd");
        assert_eq!(super::file_name("RX1.2"), "RX1_2");
        assert_eq!(super::file_name(""), "_");
    }
}
