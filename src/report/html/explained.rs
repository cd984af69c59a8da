//! Each figure's explanation inside the page: `assay explain --format markdown` for that
//! figure, rendered to HTML, so an auditor goes from a number to its data cells without
//! running anything else.

use crate::diagnostic::Diagnostic;
use crate::eval::engine::Evaluator;
use crate::explain::graph::{Graph, Kind, Status};
use crate::explain::{self, Request};
use crate::load::RuleTree;
use crate::source::SourceFile;
use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// What to explain: a selector as `assay explain` takes it (`cost_share[finance]`,
/// `national_average.saving[finance]`, `total_saving`), and a total's methodology and group.
/// A total is explained one level down (its largest contributions, each with the command
/// that explains it): an entity's figure is explained in full on that entity's page.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Wanted {
    pub selector: String,
    pub methodology: Option<String>,
    pub by: Vec<(String, String)>,
    /// Whose figure, when not the page's entity (a peer group's representative, on the
    /// page of all entities).
    pub entity: Option<String>,
}

/// One figure's explanation: as HTML, and the members a trimmed statistic behind it left
/// out (`None` when it has none, or its group is too large for the explanation to list
/// every member: then no member is marked, rather than some).
pub struct Explanation {
    pub html: String,
    pub trimmed: Option<HashSet<String>>,
}

/// The explanations of `wanted` for one entity (or, for totals, none) in one period, as
/// HTML fragments; a figure that cannot be explained gets the reason instead. One load and
/// one evaluation for the totals (explained one level down), one for the rest (in full):
/// `explain_many` takes its depth from its first request, so they are never mixed.
pub fn explain_all(
    tree: &RuleTree,
    data_dir: &Path,
    period: &str,
    entity: Option<&str>,
    wanted: &[Wanted],
    budget: &crate::eval::budget::ScriptBudget,
    sources: &mut Vec<SourceFile>,
) -> (HashMap<Wanted, Explanation>, Vec<Diagnostic>) {
    let (totals, figures): (Vec<&Wanted>, Vec<&Wanted>) = wanted.iter().partition(|w| is_total(w));
    let mut out = HashMap::new();
    let mut diags = Vec::new();
    for group in [totals, figures].into_iter().filter(|g| !g.is_empty()) {
        let requests = requests(data_dir, period, entity, &group, budget);
        let (graph, mut more) = explain::explain_many(tree, &requests, sources);
        diags.append(&mut more);
        let Some((mut graph, roots)) = graph else { continue };
        render(&mut graph, &group, roots, &mut out);
    }
    (out, diags)
}

/// The explanations of one entity's figures (no totals) in the period of `ev`, traced in
/// the evaluator that computed them, as `eval::run::run_visiting` hands it over: nothing
/// is loaded or computed again. Rendered once the results are in ([`Traced::render`]);
/// with what tracing had to say.
pub fn trace(
    ev: &mut Evaluator<'_, '_>,
    entity: &str,
    wanted: &[Wanted],
    budget: &crate::eval::budget::ScriptBudget,
) -> (Traced, Vec<Diagnostic>) {
    let period = ev.frame.period.to_string();
    let group: Vec<&Wanted> = wanted.iter().collect();
    let requests = requests(Path::new(""), &period, Some(entity), &group, budget);
    let explain::Traced { nodes, roots, problems } = explain::trace_figures(ev, &requests);
    (Traced { period, nodes, roots }, problems)
}

/// One entity's figures traced in its evaluation, of the period named: the graph's nodes
/// and the root of each figure (or why it has none), in the order wanted.
pub struct Traced {
    pub period: String,
    nodes: Vec<crate::explain::graph::Node>,
    roots: Vec<Result<usize, Box<Diagnostic>>>,
}

impl Traced {
    /// The explanations of `wanted`, the figures traced.
    pub fn render(self, wanted: &[Wanted], results: &crate::eval::run::Results) -> HashMap<Wanted, Explanation> {
        let Traced { period, nodes, roots } = self;
        let mut graph = Graph {
            stamp: results.stamp.clone(),
            notices: results.notices.clone(),
            period,
            nodes,
            root: 0,
            against: None,
        };
        let mut out = HashMap::new();
        render(&mut graph, &wanted.iter().collect::<Vec<_>>(), roots, &mut out);
        out
    }
}

/// What `explain` is asked for each of `group`, of `entity` unless a figure names its own.
fn requests(
    data_dir: &Path,
    period: &str,
    entity: Option<&str>,
    group: &[&Wanted],
    budget: &crate::eval::budget::ScriptBudget,
) -> Vec<Request> {
    group
        .iter()
        .map(|w| Request {
            data_dir: data_dir.to_path_buf(),
            selector: w.selector.clone(),
            entity: w.entity.clone().or_else(|| entity.map(str::to_string)),
            period: Some(period.to_string()),
            methodology: w.methodology.clone(),
            by: w.by.clone(),
            top: 10,
            depth: is_total(w).then_some(1),
            budget: budget.clone(),
            ..Request::default()
        })
        .collect()
}

/// Each of `group`'s explanation (its root in `graph`), or why it has none, into `out`.
fn render(
    graph: &mut Graph,
    group: &[&Wanted],
    roots: Vec<Result<usize, Box<Diagnostic>>>,
    out: &mut HashMap<Wanted, Explanation>,
) {
    for (w, root) in group.iter().zip(roots) {
        let explanation = match root {
            Ok(root) => {
                graph.root = root;
                Explanation { html: to_html(&explain::markdown::render(graph)), trimmed: trimmed(graph, root) }
            }
            Err(d) => Explanation {
                html: format!("<p>cannot be explained: {}</p>", crate::report::markup::escape(&d.message)),
                trimmed: None,
            },
        };
        out.insert((*w).clone(), explanation);
    }
}

/// A methodology's total (`total_saving` with its group), rather than one entity's figure.
fn is_total(w: &Wanted) -> bool {
    w.methodology.is_some() && w.selector.starts_with("total_")
}

/// The members the first trimming statistic under `root` left out, when it lists them all.
fn trimmed(graph: &Graph, root: usize) -> Option<HashSet<String>> {
    let mut stack = vec![root];
    let mut seen = HashSet::new();
    while let Some(id) = stack.pop() {
        if !seen.insert(id) {
            continue;
        }
        let node = graph.nodes.get(id)?;
        if let (Kind::Statistic, Some(stat)) = (node.kind, &node.stat) {
            if stat.trimming.is_some() {
                if stat.omitted > 0 {
                    return None;
                }
                let out = stat.members.iter().filter(|m| matches!(m.status, Status::TrimmedLow | Status::TrimmedHigh));
                return Some(out.map(|m| m.entity.clone()).collect());
            }
        }
        stack.extend(node.inputs.iter().rev());
    }
    None
}

/// Markdown to HTML. The explanation quotes data (names, cell text) that may hold markup:
/// raw HTML is written as text, never passed through. Headings move down three levels, to
/// sit below the page's own.
pub fn to_html(markdown: &str) -> String {
    let events = Parser::new_ext(markdown, Options::ENABLE_TABLES).map(|e| match e {
        Event::Html(t) | Event::InlineHtml(t) => Event::Text(t),
        Event::Start(Tag::Heading { level, id, classes, attrs }) => {
            Event::Start(Tag::Heading { level: lower(level), id, classes, attrs })
        }
        Event::End(TagEnd::Heading(level)) => Event::End(TagEnd::Heading(lower(level))),
        Event::Start(Tag::Link { dest_url, title, link_type, id }) if !safe_link(&dest_url) => {
            Event::Start(Tag::Link { dest_url: CowStr::Borrowed("#"), title, link_type, id })
        }
        other => other,
    });
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events);
    html
}

fn lower(level: HeadingLevel) -> HeadingLevel {
    match level {
        HeadingLevel::H1 => HeadingLevel::H4,
        HeadingLevel::H2 => HeadingLevel::H5,
        _ => HeadingLevel::H6,
    }
}

/// Links in an explanation are its own anchors; anything else (a `javascript:` URL that
/// data smuggled in) goes nowhere, and the page stays offline.
fn safe_link(url: &str) -> bool {
    url.starts_with('#')
}

#[cfg(test)]
mod tests {
    use super::to_html;

    #[test]
    fn markup_in_data_is_text() {
        let html = to_html("# Explanation\n\n| a |\n| --- |\n| <script>alert(1)</script> |\n\n<img src=x onerror=y>\n\n[x](javascript:alert(1))");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(html.contains("<h4>Explanation</h4>"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
    }
}
