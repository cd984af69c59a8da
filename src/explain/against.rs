//! `--against RESULTS.json`: has anything changed since a saved `eval --format json` run?
//! The saved stamp's files are hashed again (those this explanation read are already
//! hashed), and the saved value of the figure is set beside the one derived now.

use super::graph::{Graph, Kind, Node};
use crate::data::stamp::{sha256_hex, Stamp};
use crate::value::format::exact;
use serde_json::Value as Json;
use std::fmt::Write;
use std::path::Path;

#[derive(Debug, Clone)]
pub struct Against {
    pub file: String,
    pub saved_version: String,
    /// Files whose content differs now: path, saved hash, current hash.
    pub changed: Vec<(String, String, String)>,
    /// Files of the saved run that cannot be read now.
    pub gone: Vec<String>,
    /// Files read now that the saved run did not read.
    pub new: Vec<String>,
    pub unchanged: usize,
    /// The saved value of the figure (`None`: no record; `Some(None)`: recorded as missing).
    pub saved_value: Option<Option<String>>,
    pub value_now: Option<String>,
}

impl Against {
    /// Does the saved result still hold: same files, same value?
    pub fn holds(&self) -> bool {
        self.changed.is_empty()
            && self.gone.is_empty()
            && self.new.is_empty()
            && self.saved_value.as_ref().is_none_or(|v| *v == self.value_now)
    }
}

/// Compare a saved result with the explanation just derived.
pub fn compare(path: &Path, graph: &Graph) -> Result<Against, String> {
    let shown = crate::load::display(path);
    let text = crate::source::read_input_text(path).map_err(|e| format!("cannot read `{shown}`: {e}"))?;
    let doc: Json = serde_json::from_str(&text).map_err(|e| format!("`{shown}` is not JSON: {e}"))?;
    let stamp: Stamp = doc
        .get("stamp")
        .cloned()
        .and_then(|s| serde_json::from_value(s).ok())
        .ok_or_else(|| format!("`{shown}` has no stamp: save results with `assay eval --format json`"))?;
    let now: Vec<&crate::data::stamp::FileStamp> = graph.stamp.rules.iter().chain(&graph.stamp.data).collect();
    let mut out = Against {
        file: shown,
        saved_version: stamp.version.clone(),
        changed: Vec::new(),
        gone: Vec::new(),
        new: Vec::new(),
        unchanged: 0,
        saved_value: None,
        value_now: None,
    };
    let saved: Vec<&crate::data::stamp::FileStamp> = stamp.rules.iter().chain(&stamp.data).collect();
    for f in &saved {
        let current = match now.iter().find(|n| n.path == f.path) {
            Some(n) => Some(n.sha256.clone()),
            None => crate::source::read_input(Path::new(&f.path)).ok().map(|b| sha256_hex(&b)),
        };
        match current {
            None => out.gone.push(f.path.clone()),
            Some(h) if h != f.sha256 => out.changed.push((f.path.clone(), f.sha256.clone(), h)),
            Some(_) => out.unchanged = out.unchanged.saturating_add(1),
        }
    }
    out.new = now.iter().filter(|n| !saved.iter().any(|s| s.path == n.path)).map(|n| n.path.clone()).collect();
    if let Some(root) = graph.nodes.get(graph.root) {
        out.value_now = exact(&root.value, &root.unit);
        out.saved_value = saved_record(&doc, graph, root);
    }
    Ok(out)
}

/// The saved record of the explained figure, if the result holds one.
fn saved_record(doc: &Json, graph: &Graph, n: &Node) -> Option<Option<String>> {
    let base = n.name.split('[').next().unwrap_or(&n.name);
    let index = |record: &Json, key: &str| -> bool {
        let map = record.get(key).and_then(Json::as_object);
        let wanted: &[(String, String)] = match (&n.total, n.kind) {
            (Some(t), Kind::Total) => &t.by,
            _ => &n.index,
        };
        map.is_some_and(|m| {
            m.len() == wanted.len() && wanted.iter().all(|(k, v)| m.get(k).and_then(Json::as_str) == Some(v.as_str()))
        })
    };
    let text = |j: &Json, k: &str| j.get(k).and_then(Json::as_str).map(str::to_string);
    let found = match n.kind {
        Kind::Kpi | Kind::Figure => doc.get("figures")?.as_array()?.iter().find(|r| {
            text(r, "period").as_deref() == Some(graph.period.as_str())
                && text(r, "entity") == n.entity
                && text(r, "name").as_deref() == Some(base)
                && text(r, "methodology") == n.methodology
                && index(r, "index")
        }),
        Kind::Total => {
            let figure = base.trim_start_matches("total ").split(' ').next().unwrap_or_default();
            let grand = n.total.as_ref().is_some_and(|t| t.by.is_empty());
            // The overall rows of different totals of one figure can differ in their last
            // digits (their sums are added in another order), so match the declaration too.
            let total_by: Vec<Json> = n
                .total
                .as_ref()
                .map(|t| t.total_by.iter().map(|b| Json::String(b.clone())).collect())
                .unwrap_or_default();
            doc.get("totals")?.as_array()?.iter().find(|r| {
                text(r, "period").as_deref() == Some(graph.period.as_str())
                    && text(r, "name").as_deref() == Some(figure)
                    && text(r, "methodology") == n.methodology
                    && r.get("grand").and_then(Json::as_bool) == Some(grand)
                    && r.get("total_by").and_then(Json::as_array) == Some(&total_by)
                    && (grand || index(r, "by"))
            })
        }
        _ => None,
    }?;
    Some(text(found, "value"))
}

/// The comparison in plain sentences.
pub fn render(a: &Against) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Against `{}` (saved by assay {}):", a.file, a.saved_version);
    if a.changed.is_empty() && a.gone.is_empty() && a.new.is_empty() {
        let _ = writeln!(out, "  no rule or data file has changed ({} files, same SHA-256)", a.unchanged);
    }
    for (path, was, now) in &a.changed {
        let _ = writeln!(out, "  CHANGED since the saved run: {path} (sha256 was {was}, now {now})");
    }
    for path in &a.gone {
        let _ = writeln!(out, "  GONE since the saved run: {path} (cannot be read now)");
    }
    for path in &a.new {
        let _ = writeln!(out, "  NEW since the saved run: {path} (read now, not then)");
    }
    let now = a.value_now.clone().unwrap_or_else(|| "missing".to_string());
    match &a.saved_value {
        None => {
            let _ = writeln!(out, "  the saved result has no record of this figure; derived now: {now}");
        }
        Some(saved) => {
            let saved = saved.clone().unwrap_or_else(|| "missing".to_string());
            if Some(&saved) == a.value_now.as_ref() || (saved == "missing" && a.value_now.is_none()) {
                let _ = writeln!(out, "  saved value {saved}, derived now {now}: the same");
            } else {
                let _ = writeln!(out, "  saved value {saved}, derived now {now}: DIFFERENT");
            }
        }
    }
    let _ = writeln!(out, "  the saved result {}", if a.holds() { "still holds" } else { "no longer holds" });
    out.push('\n');
    out
}
