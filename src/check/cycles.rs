//! Cycles between KPIs, parameters and methodology figures, shown in order.

use super::exprs::{Dep, Node};
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use std::collections::{BTreeMap, BTreeSet};

/// Report each cycle in the dependency graph once, starting from its smallest node.
pub fn find(deps: &[Dep]) -> Vec<Diagnostic> {
    let mut graph: BTreeMap<&Node, Vec<&Dep>> = BTreeMap::new();
    for d in deps {
        graph.entry(&d.from).or_default().push(d);
    }
    let mut diags = Vec::new();
    let mut done: BTreeSet<&Node> = BTreeSet::new();
    let starts: Vec<&Node> = graph.keys().copied().collect();
    for start in starts {
        if done.contains(start) {
            continue;
        }
        // Iterative depth-first search keeping the path, so deep graphs cannot overflow.
        let mut path: Vec<(&Node, usize)> = vec![(start, 0)];
        let mut on_path: BTreeSet<&Node> = BTreeSet::from([start]);
        while let Some((node, next)) = path.last().copied() {
            let edges = graph.get(node).map_or(&[][..], Vec::as_slice);
            let Some(edge) = edges.get(next) else {
                path.pop();
                on_path.remove(node);
                done.insert(node);
                continue;
            };
            if let Some(top) = path.last_mut() {
                top.1 = top.1.saturating_add(1);
            }
            let to = &edge.to;
            if on_path.contains(to) {
                diags.push(report(&path, to, &graph));
                continue;
            }
            if !done.contains(to) {
                path.push((to, 0));
                on_path.insert(to);
            }
        }
    }
    diags
}

fn report(path: &[(&Node, usize)], back_to: &Node, graph: &BTreeMap<&Node, Vec<&Dep>>) -> Diagnostic {
    let from = path.iter().position(|(n, _)| *n == back_to).unwrap_or(0);
    let cycle: Vec<&Node> = path.get(from..).unwrap_or_default().iter().map(|(n, _)| *n).collect();
    let mut names: Vec<String> = cycle.iter().map(|n| format!("`{}`", n.label())).collect();
    names.push(format!("`{}`", back_to.label()));
    let mut diag =
        Diagnostic::new(Code::Cycle, format!("`{}` depends on itself: {}", back_to.label(), names.join(" → ")));
    // Each node with the one it uses, the last using `back_to`.
    for (i, (node, next)) in cycle.iter().zip(cycle.iter().skip(1).copied().chain([back_to])).enumerate() {
        let edge = graph.get(node).and_then(|es| es.iter().find(|e| &e.to == next));
        if let Some(e) = edge {
            let text = format!("`{}` uses `{}` here", node.label(), next.label());
            diag = if i == 0 { diag.primary(e.span, text) } else { diag.secondary(e.span, text) };
        }
    }
    diag.help(
        "a definition cannot need its own value; break the circle by computing one of them from data or parameters",
    )
}
