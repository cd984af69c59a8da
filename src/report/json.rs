//! Machine-readable results: JSON (one record per figure and per total, with the stamp)
//! and CSV (the same records as rows). Every record has a unique key: a figure's period,
//! entity, methodology, name and index members; a total's period, methodology, name, the
//! grouping it belongs to (`total_by`), its members (`by`) and whether it is the grand
//! total. A grand total appears once per grouping, so `total_by` and `grand` are part of
//! the key, and `scaled` says whether the value was multiplied by the methodology's scale
//! (entity figures never are). `exact` is false for a number rounded on the way (a
//! quotient that does not end): its value is written to the digits that are certain, the
//! true value within one unit of the last (see value::approx).

use crate::eval::run::{FigureOut, Results, TotalOut, TotalRow};
use crate::value::format::spreadsheet_safe as guard;
use crate::value::format::{exact, is_exact, UNCERTAIN};
use crate::value::{approx, Value};
use serde_json::{json, Map, Value as Json};
use std::fmt::Write;

fn missing_reason(v: &Value) -> Option<String> {
    match v {
        Value::Missing(r) => Some(r.to_string()),
        // Written as nothing, so it says why, like a missing value.
        Value::Approx(d, b) if approx::certain(*d, *b).is_none() => Some(UNCERTAIN.to_string()),
        _ => None,
    }
}

fn exact_flag(v: &Value) -> &'static str {
    if is_exact(v) {
        "true"
    } else {
        "false"
    }
}

fn index_map(index: &[(String, String)]) -> Map<String, Json> {
    index.iter().map(|(k, v)| (k.clone(), Json::String(v.clone()))).collect()
}

fn figure_record(period: &str, entity: &str, f: &FigureOut, value: &Value) -> Json {
    json!({
        "period": period,
        "entity": entity,
        "name": f.name,
        "methodology": f.methodology,
        "index": index_map(&f.index),
        "value": exact(value, &f.unit),
        "exact": is_exact(value),
        "unit": f.unit.name,
        "scaled": false,
        "missing": missing_reason(value),
    })
}

fn total_record(period: &str, t: &TotalOut, row: &TotalRow) -> Json {
    let by: Map<String, Json> = t.by.iter().zip(&row.dims).map(|(k, v)| (k.clone(), Json::String(v.clone()))).collect();
    json!({
        "period": period,
        "methodology": t.methodology,
        "name": t.figure,
        "total_by": t.by,
        "grand": row.dims.is_empty(),
        "by": by,
        "value": exact(&row.value, &t.unit),
        "exact": is_exact(&row.value),
        "unit": t.unit.name,
        "scaled": t.scaled,
        "count": row.count,
        "missing_values": row.missing,
        "missing": missing_reason(&row.value),
    })
}

/// The JSON document: `stamp`, `notices`, `counts`, then `figures` and `totals`, one record
/// per line so that large outputs stay easy to stream and diff.
pub fn render(results: &Results) -> String {
    let mut out = String::from("{\n");
    let head = json!({
        "stamp": results.stamp,
        "notices": results.notices,
        "methodologies": results.methodologies,
        "counts": results.counts.iter().map(|(d, c)| (d.clone(), json!({"read": c.read, "used": c.used, "skipped": c.skipped, "excluded": c.excluded}))).collect::<Map<String, Json>>(),
    });
    if let Json::Object(map) = head {
        for (k, v) in map {
            let _ = writeln!(out, "  {}: {},", Json::String(k), v);
        }
    }
    out.push_str("  \"figures\": [");
    let mut first = true;
    for p in &results.periods {
        for f in &p.figures {
            for (row, entity) in p.entities.iter().enumerate() {
                out.push_str(if first { "\n    " } else { ",\n    " });
                first = false;
                out.push_str(&figure_record(&p.period, entity, f, f.values.get(row)).to_string());
            }
        }
    }
    out.push_str(if first { "],\n" } else { "\n  ],\n" });
    out.push_str("  \"totals\": [");
    let mut first = true;
    for p in &results.periods {
        for t in &p.totals {
            for row in t.rows.iter().chain(t.has_grand.then_some(&t.grand)) {
                out.push_str(if first { "\n    " } else { ",\n    " });
                first = false;
                out.push_str(&total_record(&p.period, t, row).to_string());
            }
        }
    }
    out.push_str(if first { "]\n}\n" } else { "\n  ]\n}\n" });
    out
}

/// CSV: a header, one row per figure value and per total (`kind` says which), then the
/// stamp: a `tool` row and a `rule-file` or `data-file` row per file with its SHA-256.
/// `total_by` (the grouping's dimensions), `grand`, `scaled` and `exact` come last, so that
/// the first columns keep their place for readers written before them. Text from the data
/// (periods, keys, groups, reasons, paths) is written so a spreadsheet shows it as text.
pub fn render_csv(results: &Results) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "kind",
        "period",
        "entity",
        "methodology",
        "name",
        "index",
        "value",
        "unit",
        "missing",
        "total_by",
        "grand",
        "scaled",
        "exact",
    ]);
    let joined = |pairs: &mut dyn Iterator<Item = (&String, &String)>| {
        pairs.map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(";")
    };
    for p in &results.periods {
        for f in &p.figures {
            let index = joined(&mut f.index.iter().map(|(k, v)| (k, v)));
            for (row, entity) in p.entities.iter().enumerate() {
                let v = f.values.get(row);
                let _ = w.write_record([
                    "figure",
                    &guard(&p.period),
                    &guard(entity),
                    f.methodology.as_deref().unwrap_or(""),
                    &f.name,
                    &index,
                    &exact(v, &f.unit).unwrap_or_default(),
                    &f.unit.name,
                    &guard(&missing_reason(v).unwrap_or_default()),
                    "",
                    "",
                    "false",
                    exact_flag(v),
                ]);
            }
        }
        for t in &p.totals {
            let total_by = t.by.join(";");
            for row in t.rows.iter().chain(t.has_grand.then_some(&t.grand)) {
                let by = joined(&mut t.by.iter().zip(&row.dims));
                let _ = w.write_record([
                    "total",
                    &guard(&p.period),
                    "",
                    &t.methodology,
                    &t.figure,
                    &guard(&by),
                    &exact(&row.value, &t.unit).unwrap_or_default(),
                    &t.unit.name,
                    &guard(&missing_reason(&row.value).unwrap_or_default()),
                    &total_by,
                    if row.dims.is_empty() { "true" } else { "false" },
                    if t.scaled { "true" } else { "false" },
                    exact_flag(&row.value),
                ]);
            }
        }
    }
    // The stamp, last so the figures keep their place: the tool, then every file read.
    let s = &results.stamp;
    let _ = w.write_record(["tool", "", "", "", &s.tool, "", &s.version, "version", "", "", "", "", ""]);
    for (kind, files) in [("rule-file", &s.rules), ("data-file", &s.data)] {
        for f in files {
            let _ = w.write_record([kind, "", "", "", &guard(&f.path), "", &f.sha256, "sha256", "", "", "", "", ""]);
        }
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}
