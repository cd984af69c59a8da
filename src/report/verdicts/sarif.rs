//! SARIF 2.1.0: one run of `assay verify`, each policy a rule, each violation a result
//! located at its data cell (or row) with the policy's `require` as a related location.
//! A waived row is a result with an in-source suppression and its justification.

use super::{fails, Place};
use crate::ast::Severity;
use crate::policy::{Status, Verdicts, Violation};
use crate::source::SourceFile;
use serde_json::{json, Value as Json};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

pub fn render(verdicts: &Verdicts, sources: &[SourceFile], deny_warnings: bool) -> String {
    let rules: Vec<Json> = verdicts
        .policies
        .iter()
        .map(|p| {
            let mut rule = json!({
                "id": p.name,
                "name": p.name,
                "shortDescription": {"text": p.title},
                "defaultConfiguration": {"level": level(p.severity)},
            });
            if let Some(place) = Place::of(p.span, sources) {
                set(&mut rule, "properties", json!({"definedIn": format!("{}:{}", place.file, place.line)}));
            }
            rule
        })
        .collect();
    let results: Vec<Json> = verdicts.violations.iter().map(|v| result(verdicts, v, sources, deny_warnings)).collect();
    let doc = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "assay",
                "version": verdicts.stamp.version,
                "rules": rules,
            }},
            "results": results,
        }],
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

fn result(verdicts: &Verdicts, v: &Violation, sources: &[SourceFile], deny_warnings: bool) -> Json {
    let index = verdicts.policies.iter().position(|p| p.name == v.policy).unwrap_or_default();
    let mut text = v.message.clone();
    if let Some(r) = &v.reason {
        text.push_str(&format!(" ({r})"));
    }
    // Under `--deny warnings` a warning fails the run, and is reported as an error.
    let level = if fails(v, deny_warnings) { "error" } else { level(v.severity) };
    let mut locations: Vec<Json> =
        v.cells.iter().filter_map(|c| c.span.and_then(|s| Place::of(s, sources))).map(location).collect();
    if locations.is_empty() {
        if let Some((file, line)) = &v.record {
            locations.push(json!({"physicalLocation": {
                "artifactLocation": {"uri": uri(file)},
                "region": {"startLine": line},
            }}));
        }
    }
    let mut result = json!({
        "ruleId": v.policy,
        "ruleIndex": index,
        "level": level,
        "message": {"text": text},
        "locations": locations,
        "properties": {"entity": v.entity, "period": v.period, "status": v.status.as_str(), "policy": v.label()},
    });
    if let Some(place) = Place::of(v.require, sources) {
        let mut related = location(place);
        set(&mut related, "id", json!(0));
        set(&mut related, "message", json!({"text": "the policy's requirement"}));
        set(&mut result, "relatedLocations", json!([related]));
    }
    if v.status == Status::Waived {
        let suppression = json!([{"kind": "inSource", "justification": "the policy's `unless` holds for this row"}]);
        set(&mut result, "suppressions", suppression);
    }
    result
}

fn location(p: Place) -> Json {
    json!({"physicalLocation": {
        "artifactLocation": {"uri": uri(&p.file)},
        "region": {
            "startLine": p.line,
            "startColumn": p.column,
            "endLine": p.end_line,
            "endColumn": p.end_column,
        },
    }})
}

/// A path as a relative URI reference: forward slashes, and the characters a URI cannot
/// hold percent-encoded.
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.replace('\\', "/").bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Add a member to a JSON object (which every value here is).
fn set(object: &mut Json, key: &str, value: Json) {
    if let Some(map) = object.as_object_mut() {
        map.insert(key.to_string(), value);
    }
}
