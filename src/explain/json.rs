//! The explanation as a JSON graph: nodes (rule, value, unit, span, provenance) and edges
//! from each node to its inputs. The format is documented in the README.

use super::graph::*;
use crate::eval::run::UnitOut;
use crate::value::format::{exact, is_exact};
use crate::value::Value;
use serde_json::{json, Map, Value as Json};

pub fn render(graph: &Graph) -> String {
    let nodes: Vec<Json> = graph.nodes.iter().enumerate().map(|(id, n)| node(id, n)).collect();
    let edges: Vec<Json> = graph
        .nodes
        .iter()
        .enumerate()
        .flat_map(|(id, n)| n.inputs.iter().map(move |to| json!({"from": id, "to": to})))
        .collect();
    let doc = json!({
        "stamp": graph.stamp,
        "notices": graph.notices,
        "period": graph.period,
        "root": graph.root,
        "nodes": nodes,
        "edges": edges,
        "against": graph.against.as_ref().map(against),
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

fn value(v: &Value, unit: &UnitOut) -> Json {
    exact(v, unit).map_or(Json::Null, Json::String)
}

fn missing(v: &Value) -> Json {
    match v {
        Value::Missing(r) => Json::String(r.to_string()),
        _ => Json::Null,
    }
}

/// One node: the fields every node has, then a section for each kind of detail it carries.
fn node(id: usize, n: &Node) -> Json {
    let index: Map<String, Json> = n.index.iter().map(|(k, v)| (k.clone(), Json::String(v.clone()))).collect();
    let mut out = json!({
        "id": id,
        "kind": n.kind.as_str(),
        "name": n.name,
        "methodology": n.methodology,
        "entity": n.entity,
        "index": index,
        "value": value(&n.value, &n.unit),
        "exact": is_exact(&n.value),
        "unit": n.unit.name,
        "missing": missing(&n.value),
        "inputs": n.inputs,
        "truncated": n.truncated,
        "selector": n.selector.as_ref().map(|args| args.join(" ")),
    });
    let Json::Object(map) = &mut out else { return out };
    if let Some(r) = &n.rule {
        map.insert("rule".into(), rule(r));
    }
    if !n.cells.is_empty() {
        map.insert("provenance".into(), provenance(&n.cells));
    }
    if let Some(p) = &n.param {
        map.insert(
            "parameter".into(),
            json!({
                "since": p.since.map(|d| d.to_string()),
                "on": p.on.map(|d| d.to_string()),
                "cites": p.cites,
            }),
        );
    }
    if let Some(s) = &n.stat {
        map.insert("statistic".into(), statistic(s, &n.unit));
    }
    if let Some(s) = &n.script {
        let args: Vec<Json> = s.arguments.iter().map(|a| Json::String(a.to_string())).collect();
        map.insert("script".into(), json!({"function": s.function, "arguments": args}));
    }
    if let Some(t) = &n.total {
        map.insert("total".into(), total(t));
    }
    out
}

/// The rule a node was computed by, with each of its terms' values.
fn rule(r: &Rule) -> Json {
    let terms: Vec<Json> = r
        .terms
        .iter()
        .map(|t| {
            json!({
                "text": t.text,
                "span": {"offset": t.span.start, "length": t.span.len()},
                "value": value(&t.value, &t.unit),
                "exact": is_exact(&t.value),
                "unit": t.unit.name,
                "missing": missing(&t.value),
            })
        })
        .collect();
    json!({
        "file": r.file,
        "line": r.line,
        "column": r.column,
        "span": {"offset": r.span.start, "length": r.span.len()},
        "text": r.text,
        "terms": terms,
    })
}

/// The data cells a node was read from.
fn provenance(cells: &[Cell]) -> Json {
    let cells: Vec<Json> = cells
        .iter()
        .map(|c| {
            json!({
                "file": c.file,
                "sheet": c.sheet,
                "row": c.row,
                "column": c.column,
                "header": c.header,
                "raw": c.raw,
                "line": c.line_text,
            })
        })
        .collect();
    Json::Array(cells)
}

/// A peer-group statistic: its group, trimming, and each member's part in it. Members'
/// values are in the statistic's own unit.
fn statistic(s: &StatInfo, unit: &UnitOut) -> Json {
    let [kept, low, high, left_out] = s.counts;
    let members: Vec<Json> = s
        .members
        .iter()
        .map(|m| {
            json!({
                "entity": m.entity,
                "value": value(&m.value, unit),
                "exact": is_exact(&m.value),
                "missing": missing(&m.value),
                "status": match m.status {
                    Status::Kept => "kept",
                    Status::TrimmedLow => "trimmed_low",
                    Status::TrimmedHigh => "trimmed_high",
                    Status::LeftOut => "left_out",
                    Status::Used => "used",
                },
                "this": m.this,
                "rank": m.rank,
            })
        })
        .collect();
    json!({
        "text": s.text,
        "group": s.group,
        "size": s.size,
        "minimum": s.minimum,
        "trimming": s.trimming,
        "members": members,
        "members_omitted": s.omitted,
        "kept": kept,
        "trimmed_low": low,
        "trimmed_high": high,
        "left_out": left_out,
    })
}

/// A methodology total's group and counts.
fn total(t: &TotalInfo) -> Json {
    let by: Map<String, Json> = t.by.iter().map(|(k, v)| (k.clone(), Json::String(v.clone()))).collect();
    json!({
        "total_by": t.total_by,
        "by": by,
        "scaled": t.scaled,
        "count": t.count,
        "missing_values": t.missing,
        "contributions_shown": t.shown,
        "contributions_nonzero": t.nonzero,
    })
}

fn against(a: &super::against::Against) -> Json {
    let changed: Vec<Json> =
        a.changed.iter().map(|(p, was, now)| json!({"path": p, "sha256_saved": was, "sha256_now": now})).collect();
    json!({
        "file": a.file,
        "saved_version": a.saved_version,
        "changed": changed,
        "gone": a.gone,
        "new": a.new,
        "unchanged": a.unchanged,
        "recorded": a.saved_value.is_some(),
        "saved_value": a.saved_value.clone().flatten(),
        "value_now": a.value_now,
        "holds": a.holds(),
    })
}
