//! Verdicts of `assay verify` for machines: JSON (documented in the README), CSV (a row
//! per violation, text cells guarded against spreadsheet formulas), SARIF 2.1.0 for
//! code-scanning tools and JUnit XML for CI dashboards.

mod junit;
mod sarif;

pub use junit::render as junit;
pub use sarif::render as sarif;

use crate::ast::Severity;
use crate::policy::{Status, Verdicts, Violation};
use crate::source::{SourceFile, Span};
use crate::value::format::spreadsheet_safe as guard;
use serde_json::{json, Value as Json};

/// Where a span is, for people and tools: file, 1-based line and column.
pub struct Place {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

impl Place {
    pub fn of(span: Span, sources: &[SourceFile]) -> Option<Place> {
        let f = sources.get(span.file)?;
        let (line, column) = f.line_col(span.start);
        let (end_line, end_column) = f.line_col(span.end);
        Some(Place { file: f.name.clone(), line, column, end_line, end_column })
    }
}

/// Whether a violation fails the run: an error, or a warning under `--deny warnings`.
pub fn fails(v: &Violation, deny_warnings: bool) -> bool {
    v.counts() && (v.severity == Severity::Error || (deny_warnings && v.severity == Severity::Warning))
}

/// The JSON document: `summary`, `policies` (each run with its counts), `skipped`,
/// `violations` (each with its rule location and cells) and `stamp`.
pub fn json(verdicts: &Verdicts, sources: &[SourceFile]) -> String {
    let violations: Vec<Json> = verdicts
        .violations
        .iter()
        .map(|v| {
            let rule = Place::of(v.require, sources);
            json!({
                "policy": v.policy,
                "index": v.index.iter().map(|(set, m)| (set.clone(), Json::String(m.clone()))).collect::<serde_json::Map<_, _>>(),
                "severity": v.severity.as_str(),
                "status": v.status.as_str(),
                "period": v.period,
                "entity": v.entity,
                "message": v.message,
                "reason": v.reason,
                "file": v.record.as_ref().map(|r| &r.0),
                "line": v.record.as_ref().map(|r| r.1),
                "cells": v.cells,
                "rule": rule.map(|p| json!({"file": p.file, "line": p.line, "column": p.column})),
            })
        })
        .collect();
    let policies: Vec<Json> = verdicts
        .policies
        .iter()
        .map(|p| {
            json!({
                "name": p.name,
                "title": p.title,
                "severity": p.severity.as_str(),
                "dataset": p.dataset,
                "rows": p.rows,
                "passed": p.passed,
                "failed": p.failed,
                "undecided": p.undecided,
                "waived": p.waived,
            })
        })
        .collect();
    let doc = json!({
        "summary": {
            "text": verdicts.summary(),
            "policies": verdicts.policies.len(),
            "rows": verdicts.rows.iter().map(|(d, n)| json!({"dataset": d, "rows": n})).collect::<Vec<_>>(),
            "errors": verdicts.count(Severity::Error),
            "warnings": verdicts.count(Severity::Warning),
            "infos": verdicts.count(Severity::Info),
            "waived": verdicts.waived(),
        },
        "notices": verdicts.notices,
        "policies": policies,
        "skipped": verdicts.skipped.iter().map(|s| json!({"name": s.name, "dataset": s.dataset})).collect::<Vec<_>>(),
        "violations": violations,
        "stamp": verdicts.stamp,
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

/// One CSV row per violation: `policy, index, severity, status, period, entity, file,
/// line, message, reason, cells` (index as `set=member`, cells as
/// `field=text@file:line:column`, each `;`-separated).
/// The text in pieces to be written one after another: the header, then the rows a block
/// at a time, each block written on its own thread.
pub fn csv(verdicts: &Verdicts) -> Vec<String> {
    use rayon::prelude::*;
    let text = |w: csv::Writer<Vec<u8>>| String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default();
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "policy", "index", "severity", "status", "period", "entity", "file", "line", "message", "reason", "cells",
    ]);
    let mut parts = vec![text(w)];
    parts.par_extend(verdicts.violations.par_chunks(4096).map(|block| {
        let mut w = csv::Writer::from_writer(Vec::new());
        for v in block {
            csv_row(&mut w, v);
        }
        text(w)
    }));
    parts
}

fn csv_row(w: &mut csv::Writer<Vec<u8>>, v: &Violation) {
    let cells: Vec<String> = v
        .cells
        .iter()
        .map(|c| {
            let column = c.column.map(|n| format!(":{n}")).unwrap_or_default();
            format!("{}={}@{}:{}{column}", c.field, c.text.as_deref().unwrap_or(""), c.file, c.line)
        })
        .collect();
    let line = v.record.as_ref().map(|r| r.1.to_string()).unwrap_or_default();
    let index: Vec<String> = v.index.iter().map(|(set, m)| format!("{set}={m}")).collect();
    let _ = w.write_record([
        v.policy.as_str(),
        &index.join(";"),
        v.severity.as_str(),
        v.status.as_str(),
        &guard(&v.period),
        &guard(&v.entity),
        &guard(v.record.as_ref().map_or("", |r| &*r.0)),
        &line,
        &guard(&v.message),
        &guard(v.reason.as_deref().unwrap_or("")),
        &guard(&cells.join(";")),
    ]);
}

/// The status in words for a line of text: `error`, `warning (waived)`, ...
pub fn label(v: &Violation) -> String {
    match v.status {
        Status::Failed => v.severity.as_str().to_string(),
        Status::Undecided => format!("{} (undecided)", v.severity.as_str()),
        Status::Waived => format!("{} (waived)", v.severity.as_str()),
    }
}
