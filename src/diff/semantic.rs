//! Semantic changes between two rule trees: definitions compared by kind and name on their
//! syntax trees, so layout and comments (doc comments included) never count as changes.

use crate::ast::{DatasetDef, DefKind, Definition, Expr, MethodologyDef, ParamDef, ParamEntry, ReportDef};
use crate::check::exprs::Node;
use crate::load::RuleTree;
use crate::source::{SourceFile, Span, Spanned};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Change {
    /// `added`, `removed` or `changed`.
    pub change: &'static str,
    pub kind: &'static str,
    pub name: String,
    /// The file it is in (the new side's, unless removed).
    pub file: String,
    /// What changed, one line each (`formula: old → new`).
    pub details: Vec<String>,
    /// The figures it can move directly: the KPI or parameter, or the methodology's
    /// changed figures (all its figures when its peers or scale changed).
    #[serde(skip)]
    pub nodes: Vec<Node>,
}

/// Definitions, by kind and name, in file order.
fn definitions(tree: &RuleTree) -> Vec<(&'static str, &str, &Spanned<Definition>)> {
    tree.asts
        .iter()
        .flat_map(|f| &f.definitions)
        .map(|d| (d.node.kind.keyword(), d.node.name.node.as_str(), d))
        .collect()
}

pub fn compare(old: &RuleTree, new: &RuleTree) -> Vec<Change> {
    let (a, b) = (definitions(old), definitions(new));
    let file = |t: &RuleTree, span: Span| t.files.get(span.file).map(|f| f.name.clone()).unwrap_or_default();
    let mut out = Vec::new();
    for (kind, name, d) in &a {
        if !b.iter().any(|(k, n, _)| k == kind && n == name) {
            out.push(Change {
                change: "removed",
                kind,
                name: name.to_string(),
                file: file(old, d.span),
                details: Vec::new(),
                nodes: all_nodes(&d.node),
            });
        }
    }
    for (kind, name, d) in &b {
        match a.iter().find(|(k, n, _)| k == kind && n == name) {
            None => out.push(Change {
                change: "added",
                kind,
                name: name.to_string(),
                file: file(new, d.span),
                details: Vec::new(),
                nodes: all_nodes(&d.node),
            }),
            Some((_, _, before)) => {
                // Doc comments are comments: not a semantic change.
                if before.node.kind == d.node.kind {
                    // A script's definition may stay while its code changes.
                    if let (DefKind::Script(a), DefKind::Script(b)) = (&before.node.kind, &d.node.kind) {
                        let code = |t: &RuleTree, span: Span, p: &str| {
                            let rule = t.files.get(span.file).map(|f| f.path.clone()).unwrap_or_default();
                            let base = rule.parent().map(std::path::Path::to_path_buf).unwrap_or_default();
                            crate::source::read_input(&base.join(p)).ok()
                        };
                        if code(old, before.span, &a.path.node) != code(new, d.span, &b.path.node) {
                            out.push(Change {
                                change: "changed",
                                kind,
                                name: name.to_string(),
                                file: file(new, d.span),
                                details: vec![format!("code of `{}` changed", b.path.node)],
                                nodes: Vec::new(),
                            });
                        }
                    }
                    continue;
                }
                let texts = Texts { old: &old.files, new: &new.files };
                let (details, nodes) = describe(&texts, &before.node, &d.node);
                out.push(Change {
                    change: "changed",
                    kind,
                    name: name.to_string(),
                    file: file(new, d.span),
                    details,
                    nodes,
                });
            }
        }
    }
    out
}

/// The source text of both sides, for quoting what changed.
struct Texts<'t> {
    old: &'t [SourceFile],
    new: &'t [SourceFile],
}

impl Texts<'_> {
    fn before(&self, span: Span) -> String {
        squash(self.old.get(span.file).map_or("", |f| f.slice(span)))
    }

    fn after(&self, span: Span) -> String {
        squash(self.new.get(span.file).map_or("", |f| f.slice(span)))
    }

    fn expr(&self, what: &str, a: &Expr, b: &Expr, out: &mut Vec<String>) {
        if a != b {
            out.push(format!("{what}: `{}` → `{}`", self.before(a.span), self.after(b.span)));
        }
    }

    /// An optional clause (`peers`, `entity`, `period`) changed, added or removed.
    fn optional<T: PartialEq>(
        &self,
        what: &str,
        a: Option<&Spanned<T>>,
        b: Option<&Spanned<T>>,
        out: &mut Vec<String>,
    ) {
        match (a, b) {
            (Some(p), Some(q)) if p != q => {
                out.push(format!("{what}: `{}` → `{}`", self.before(p.span), self.after(q.span)))
            }
            (None, Some(q)) => out.push(format!("{what} added: `{}`", self.after(q.span))),
            (Some(p), None) => out.push(format!("{what} removed: `{}`", self.before(p.span))),
            _ => {}
        }
    }

    /// Items of two lists compared as text: those only in the old and only in the new.
    fn lists<T: PartialEq>(&self, what: &str, a: &[Spanned<T>], b: &[Spanned<T>], out: &mut Vec<String>) {
        for x in a.iter().filter(|x| !b.contains(x)) {
            out.push(format!("{what} removed: `{}`", self.before(x.span)));
        }
        for x in b.iter().filter(|x| !a.contains(x)) {
            out.push(format!("{what} added: `{}`", self.after(x.span)));
        }
    }
}

/// Rule text on one line, without comments (a `#` outside quotes starts one).
fn squash(text: &str) -> String {
    let code: Vec<&str> = text
        .lines()
        .map(|line| {
            let mut quoted = false;
            for (i, c) in line.char_indices() {
                match c {
                    '"' => quoted = !quoted,
                    '#' if !quoted => return line.get(..i).unwrap_or(line),
                    _ => {}
                }
            }
            line
        })
        .collect();
    code.join(" ").split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `small`, `finance, low`, `*`, with `since DATE` when dated; nothing for a plain value.
fn entry_place(e: &ParamEntry) -> Option<String> {
    let keys: Vec<String> = e.keys.iter().map(|k| k.node.text().to_string()).collect();
    match (&e.since, keys.is_empty()) {
        (None, true) => None,
        (None, false) => Some(keys.join(", ")),
        (Some(d), true) => Some(format!("since {}", d.node)),
        (Some(d), false) => Some(format!("{} since {}", keys.join(", "), d.node)),
    }
}

fn all_nodes(d: &Definition) -> Vec<Node> {
    let name = d.name.node.clone();
    match &d.kind {
        DefKind::Kpi(_) => vec![Node::Kpi(name)],
        DefKind::Param(_) => vec![Node::Param(name)],
        DefKind::Methodology(m) => {
            m.figures.iter().map(|f| Node::Figure(name.clone(), f.node.name.node.clone())).collect()
        }
        _ => Vec::new(),
    }
}

/// What changed between two versions of a definition, one line each, and the figures the
/// change can move directly.
fn describe(t: &Texts<'_>, a: &Definition, b: &Definition) -> (Vec<String>, Vec<Node>) {
    let mut out = Vec::new();
    let name = b.name.node.clone();
    let mut nodes = Vec::new();
    match (&a.kind, &b.kind) {
        (DefKind::Kpi(x), DefKind::Kpi(y)) => {
            t.expr("formula", &x.formula, &y.formula, &mut out);
            if x.unit != y.unit {
                out.push(format!("unit: `{}` → `{}`", t.before(x.unit.span), t.after(y.unit.span)));
            }
            if x.indices != y.indices {
                out.push("indices changed".to_string());
            }
            if x.title != y.title {
                out.push("title changed".to_string());
            }
            t.lists("cite", &x.cites, &y.cites, &mut out);
            nodes.push(Node::Kpi(name));
        }
        (DefKind::Param(x), DefKind::Param(y)) => {
            describe_param(t, x, y, &mut out);
            nodes.push(Node::Param(name));
        }
        (DefKind::Methodology(x), DefKind::Methodology(y)) => {
            nodes = describe_methodology(t, x, y, &name, &mut out);
            if x.peers != y.peers || x.scale != y.scale {
                nodes = all_nodes(b);
            }
        }
        (DefKind::Dataset(x), DefKind::Dataset(y)) => {
            describe_dataset(t, x, y, &mut out);
            nodes = all_nodes(b);
        }
        (DefKind::Classify(x), DefKind::Classify(y)) => {
            if x.columns != y.columns {
                out.push("columns changed".to_string());
            }
            if x.hit != y.hit {
                out.push(format!("hit policy: `{}` → `{}`", x.hit.node.as_str(), y.hit.node.as_str()));
            }
            t.lists("row", &x.rows, &y.rows, &mut out);
            t.lists("cite", &x.cites, &y.cites, &mut out);
        }
        (DefKind::Report(x), DefKind::Report(y)) => describe_report(t, x, y, &mut out),
        (x, y) => {
            if let (Some(c), Some(d)) = (x.cites(), y.cites()) {
                t.lists("cite", c, d, &mut out);
            }
            nodes = all_nodes(b);
        }
    }
    if out.is_empty() {
        out.push("changed".to_string());
    }
    (out, nodes)
}

/// A report's changes: its title, scope, label and peers, and each section's items (a
/// section is matched by its title). A report moves no figure.
fn describe_report(t: &Texts<'_>, x: &ReportDef, y: &ReportDef, out: &mut Vec<String>) {
    if x.title != y.title {
        out.push(format!("title: {} → {}", t.before(x.title.span), t.after(y.title.span)));
    }
    t.optional("each", x.each.as_ref(), y.each.as_ref(), out);
    t.optional("label", x.label.as_ref(), y.label.as_ref(), out);
    t.optional("peers", x.peers.as_ref(), y.peers.as_ref(), out);
    for s in &x.sections {
        match y.sections.iter().find(|n| n.node.title == s.node.title) {
            None => out.push(format!("section {} removed", t.before(s.node.title.span))),
            Some(n) => {
                t.lists(&format!("in section {}, item", t.after(n.node.title.span)), &s.node.items, &n.node.items, out)
            }
        }
    }
    for n in y.sections.iter().filter(|n| !x.sections.iter().any(|s| s.node.title == n.node.title)) {
        out.push(format!("section {} added", t.after(n.node.title.span)));
    }
    t.lists("cite", &x.cites, &y.cites, out);
}

/// A parameter's changes: its entries (an entry for the same members and date whose value
/// changed reads as one change), unit, indices and citations.
fn describe_param(t: &Texts<'_>, x: &ParamDef, y: &ParamDef, out: &mut Vec<String>) {
    let same_place =
        |p: &Spanned<ParamEntry>, q: &Spanned<ParamEntry>| p.node.keys == q.node.keys && p.node.since == q.node.since;
    for p in x.entries.iter().filter(|p| !y.entries.contains(p)) {
        match y.entries.iter().find(|q| same_place(p, q)) {
            Some(q) => out.push(format!(
                "value{}: `{}` → `{}`",
                entry_place(&p.node).map(|w| format!(" `{w}`")).unwrap_or_default(),
                t.before(p.node.value.span),
                t.after(q.node.value.span)
            )),
            None => out.push(format!("value removed: `{}`", t.before(p.span))),
        }
    }
    for q in y.entries.iter().filter(|q| !x.entries.contains(q) && !x.entries.iter().any(|p| same_place(p, q))) {
        out.push(format!("value added: `{}`", t.after(q.span)));
    }
    if x.unit != y.unit {
        out.push(format!("unit: `{}` → `{}`", t.before(x.unit.span), t.after(y.unit.span)));
    }
    if x.indices != y.indices {
        out.push("indices changed".to_string());
    }
    t.lists("cite", &x.cites, &y.cites, out);
}

/// A methodology's changes, and the figures of `name` whose formulas changed or were added
/// (the caller widens them to every figure when the peers or scale changed).
fn describe_methodology(
    t: &Texts<'_>,
    x: &MethodologyDef,
    y: &MethodologyDef,
    name: &str,
    out: &mut Vec<String>,
) -> Vec<Node> {
    let mut nodes = Vec::new();
    t.optional("peers", x.peers.as_ref(), y.peers.as_ref(), out);
    match (&x.scale, &y.scale) {
        (Some(p), Some(q)) => t.expr("scale", p, q, out),
        (None, Some(q)) => out.push(format!("scale added: `{}`", t.after(q.span))),
        (Some(p), None) => out.push(format!("scale removed: `{}`", t.before(p.span))),
        _ => {}
    }
    for f in &x.figures {
        match y.figures.iter().find(|g| g.node.name == f.node.name) {
            None => out.push(format!("figure `{}` removed", f.node.name.node)),
            Some(g) if g != f => {
                let before = out.len();
                t.expr(&format!("figure `{}`", f.node.name.node), &f.node.formula, &g.node.formula, out);
                if out.len() == before {
                    out.push(format!("figure `{}`: `{}` → `{}`", f.node.name.node, t.before(f.span), t.after(g.span)));
                }
                nodes.push(Node::Figure(name.to_string(), g.node.name.node.clone()));
            }
            _ => {}
        }
    }
    for g in y.figures.iter().filter(|g| !x.figures.iter().any(|f| f.node.name == g.node.name)) {
        out.push(format!("figure `{}` added: `{}`", g.node.name.node, t.after(g.node.formula.span)));
        nodes.push(Node::Figure(name.to_string(), g.node.name.node.clone()));
    }
    t.lists("total", &x.totals, &y.totals, out);
    t.lists("cite", &x.cites, &y.cites, out);
    if x.title != y.title {
        out.push(format!("title: `{}` → `{}`", x.title.node, y.title.node));
    }
    nodes
}

/// A dataset's changes: what it reads and how. Any of it can move every figure that reads it.
fn describe_dataset(t: &Texts<'_>, x: &DatasetDef, y: &DatasetDef, out: &mut Vec<String>) {
    t.optional("entity", x.entity.as_ref(), y.entity.as_ref(), out);
    t.optional("period", x.period.as_ref(), y.period.as_ref(), out);
    if x.records != y.records || x.classified != y.classified {
        out.push("kind changed (records or `from classify`)".to_string());
    }
    t.lists("file", &x.files, &y.files, out);
    t.lists("missing marker", &x.missing, &y.missing, out);
    t.lists("exclude", &x.exclude, &y.exclude, out);
    t.lists("field", &x.fields, &y.fields, out);
    t.lists("setting", &x.properties, &y.properties, out);
    t.lists("cite", &x.cites, &y.cites, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(text: &str) -> RuleTree {
        crate::load::load_bytes("r.assay", text.as_bytes().to_vec())
    }

    #[test]
    fn quoted_rule_text_keeps_hashes_in_strings_and_drops_comments() {
        assert_eq!(squash("small = 25%   # raised\n  and more"), "small = 25% and more");
        assert_eq!(squash("cite src \"s#1\"  # note"), "cite src \"s#1\"");
    }

    #[test]
    fn layout_and_doc_comments_are_no_change_but_values_are() {
        let old = tree("unit GBP \"pound\" symbol \"£\"\nparam p : GBP = £1\nkpi k : GBP = p * 2\n");
        let laid_out = tree("# note\nunit GBP \"pound\"   symbol \"£\"\n## Doc.\nparam p : GBP =\n  £1\nkpi k : GBP =\n    p * 2  # twice\n");
        assert!(compare(&old, &laid_out).is_empty());
        let changed =
            tree("unit GBP \"pound\" symbol \"£\"\nparam p : GBP = £2\nkpi k : GBP = p * 3\nkpi n : GBP = p\n");
        let changes = compare(&old, &changed);
        let shown: Vec<String> =
            changes.iter().map(|c| format!("{} {} {}: {}", c.change, c.kind, c.name, c.details.join("; "))).collect();
        assert_eq!(
            shown,
            vec!["changed param p: value: `£1` → `£2`", "changed kpi k: formula: `p * 2` → `p * 3`", "added kpi n: ",]
        );
    }

    #[test]
    fn a_dataset_change_says_what_changed() {
        let old =
            tree("dataset d \"D\" {\n  file \"d.csv\"\n  entity org key \"Code\"\n  field x : text from \"X\"\n}\n");
        let new = tree(
            "dataset d \"D\" {\n  file \"e.csv\"\n  entity org key \"Code\"\n  period year from \"Year\"\n  period_start \"04-01\"\n  field x : text from \"Y\"\n}\n",
        );
        let changes = compare(&old, &new);
        let details: Vec<&str> = changes.iter().flat_map(|c| c.details.iter().map(String::as_str)).collect();
        assert_eq!(
            details,
            vec![
                "period added: `period year from \"Year\"`",
                "file removed: `file \"d.csv\"`",
                "file added: `file \"e.csv\"`",
                "field removed: `field x : text from \"X\"`",
                "field added: `field x : text from \"Y\"`",
                "setting added: `period_start \"04-01\"`",
            ]
        );
    }
}
