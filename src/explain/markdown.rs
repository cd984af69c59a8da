//! The explanation as Markdown, for an audit pack: one section per node in the order of
//! the tree, each rule in a code block with a table of its sub-expressions' values, data
//! values with file, row, column and raw text, peer groups as tables.

use super::graph::*;
use super::text::{exactly, header, title};
use crate::eval::run::UnitOut;
use crate::value::format::human;
use crate::value::Value;
use std::fmt::Write;

pub fn render(graph: &Graph) -> String {
    let mut out = String::from("# Explanation\n\n");
    out.push_str(&header(graph, "> "));
    if let Some(a) = &graph.against {
        let _ = writeln!(out, "```\n{}```\n", super::against::render(a));
    }
    let mut order = Vec::new();
    let mut seen = vec![false; graph.nodes.len()];
    visit(graph, graph.root, &mut seen, &mut order);
    for (number, id) in order.iter().enumerate() {
        let Some(n) = graph.nodes.get(*id) else { continue };
        let _ = writeln!(out, "## {}. {}\n", number.saturating_add(1), escape(&title(n, &graph.period)));
        section(&mut out, graph, n, &order);
    }
    out
}

fn visit(graph: &Graph, id: usize, seen: &mut [bool], order: &mut Vec<usize>) {
    if seen.get(id).copied().unwrap_or(true) {
        return;
    }
    if let Some(s) = seen.get_mut(id) {
        *s = true;
    }
    order.push(id);
    for i in graph.nodes.get(id).map(|n| n.inputs.as_slice()).unwrap_or_default() {
        visit(graph, *i, seen, order);
    }
}

fn escape(text: &str) -> String {
    text.replace('|', "\\|").replace('*', "\\*").replace('_', "\\_")
}

/// One node's section below its title: its value, then each kind of detail it carries, then
/// its inputs by section number.
fn section(out: &mut String, graph: &Graph, n: &Node, order: &[usize]) {
    if let Some(e) = exactly(n) {
        let _ = match e.strip_prefix("exactly ") {
            Some(exact) => writeln!(out, "Exactly `{exact}`.\n"),
            None => writeln!(out, "`{e}`.\n"),
        };
    }
    if let Value::Missing(r) = &n.value {
        let _ = writeln!(out, "Missing: {r}.\n");
    }
    if let Some(command) = n.command() {
        let _ = writeln!(out, "`{command}`\n");
    }
    if let Some(p) = &n.param {
        let since = p.since.map_or("Undated".to_string(), |d| format!("In force since {d}"));
        let on = p.on.map_or(String::new(), |d| format!(", chosen for {d}"));
        let cites = if p.cites.is_empty() { String::new() } else { format!("; cite {}", p.cites.join("; ")) };
        let _ = writeln!(out, "{since}{on}{}.\n", escape(&cites));
    }
    if let Some(t) = &n.total {
        let scaled = if t.scaled { ", each scaled by the methodology's `scale`" } else { "" };
        let _ = writeln!(
            out,
            "Sum of {} values{scaled}; {} missing left out. The {} largest of {} non-zero contributions follow.\n",
            t.count, t.missing, t.shown, t.nonzero
        );
    }
    if let Some(r) = &n.rule {
        rule(out, r);
    }
    if let Some(s) = &n.script {
        let args: Vec<String> = s.arguments.iter().map(Value::to_string).collect();
        let _ = writeln!(out, "`{}({})` = `{}`\n", s.function, args.join(", "), n.value);
    }
    if !n.cells.is_empty() {
        cells(out, &n.cells);
    }
    if let Some(s) = &n.stat {
        statistic(out, s, &n.unit);
    }
    if !n.inputs.is_empty() {
        let refs: Vec<String> = n
            .inputs
            .iter()
            .filter_map(|i| {
                let pos = order.iter().position(|o| o == i)?;
                let name = graph.nodes.get(*i)?.name.clone();
                Some(format!("{} (§{})", escape(&name), pos.saturating_add(1)))
            })
            .collect();
        let _ = writeln!(out, "Inputs: {}.\n", refs.join(", "));
    }
}

/// The rule that computed a node, and a table of its sub-expressions' values.
fn rule(out: &mut String, r: &Rule) {
    let _ = writeln!(out, "Rule at `{}:{}:{}`:\n\n```\n{}\n```\n", r.file, r.line, r.column, r.text);
    if !r.terms.is_empty() {
        out.push_str("| sub-expression | value |\n| --- | --- |\n");
        for t in &r.terms {
            let _ = writeln!(
                out,
                "| `{}` | {} |",
                t.text.replace('|', "\\|").replace('\n', " "),
                escape(&human(&t.value, &t.unit))
            );
        }
        out.push('\n');
    }
}

/// The data cells a node was read from, each with its line of the file.
fn cells(out: &mut String, cells: &[Cell]) {
    out.push_str("| file | row | column | header | raw text |\n| --- | --- | --- | --- | --- |\n");
    for c in cells {
        let file = match &c.sheet {
            Some(s) => format!("{} [{s}]", c.file),
            None => c.file.clone(),
        };
        let _ = writeln!(
            out,
            "| `{file}` | {} | {} | {} | `{}` |",
            if c.row == 0 { "all records (classified)".to_string() } else { c.row.to_string() },
            c.column.map_or(String::new(), |c| c.to_string()),
            escape(c.header.as_deref().unwrap_or("")),
            c.raw.as_deref().unwrap_or("")
        );
    }
    out.push('\n');
    for c in cells.iter().filter_map(|c| c.line_text.as_ref()) {
        let _ = writeln!(out, "```\n{c}\n```\n");
    }
}

/// A statistic's trimming and its members, ranked; their values are in the node's unit.
fn statistic(out: &mut String, s: &StatInfo, unit: &UnitOut) {
    if let Some(t) = &s.trimming {
        let _ = writeln!(out, "{}.\n", escape(t));
    }
    if !s.members.is_empty() {
        out.push_str("| rank | entity | value | status |\n| ---: | --- | ---: | --- |\n");
        for m in &s.members {
            let v = super::text::precise(&m.value, unit);
            let this = if m.this { " **(this entity)**" } else { "" };
            let _ = writeln!(out, "| {} | {} | {} | {}{this} |", m.rank, m.entity, escape(&v), m.status.as_str());
        }
        out.push('\n');
        if s.omitted > 0 {
            let _ = writeln!(
                out,
                "({} more members not listed: a group of more than 1,000 keeps both ends, each side of every cut, \
                 and this entity; `--all-members` lists every one.)\n",
                s.omitted
            );
        }
    }
}
