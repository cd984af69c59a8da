//! The aggregates as CSV or JSON, and the summary on standard error. Rows are ordered by
//! entity, period, then the table's output groups in the order its rows first give them;
//! sums are exact decimals written as text, so output is byte-identical run to run.

use super::Outcome;
use serde_json::{json, Map, Value as Json};
use std::fmt::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One row per entity, period and output group; unclassified records in rows with
    /// `classified` false and empty outputs.
    Csv,
    /// The stamp, the counts, the rows and the unclassified report.
    Json,
}

pub fn render(outcome: &Outcome, format: Format) -> String {
    match format {
        Format::Csv => csv(outcome),
        Format::Json => json(outcome),
    }
}

/// CSV through the csv crate, text from the data written so a spreadsheet shows it as text.
fn csv(o: &Outcome) -> String {
    let mut out = csv::Writer::from_writer(Vec::new());
    let mut header = vec![o.entity.clone(), o.period.clone(), "classified".to_string()];
    header.extend(o.outputs.iter().cloned());
    header.extend(o.sums.iter().cloned());
    header.push("records".to_string());
    csv_row(&mut out, header);
    for ((entity, period), e) in &o.entities {
        // Each row is a list of fields joined once, so that an empty list of outputs or
        // sums adds no field: every row has the header's field count.
        let row = |classified: bool, outputs: Vec<String>, acc: &super::Acc| {
            // The key, period and outputs are text (of the data, or of the table); sums
            // and counts are numbers, written as they are (a negative sum is no formula).
            let text = |t: &str| crate::value::format::spreadsheet_safe(t).into_owned();
            let mut fields = vec![text(entity), text(period), classified.to_string()];
            fields.extend(outputs.iter().map(|o| text(o)));
            fields.extend(acc.sums.iter().map(ToString::to_string));
            fields.push(acc.records.to_string());
            fields
        };
        for (group, acc) in o.groups.iter().zip(&e.groups) {
            if acc.records == 0 {
                continue;
            }
            csv_row(&mut out, row(true, group.clone(), acc));
        }
        if e.unclassified.records > 0 {
            csv_row(&mut out, row(false, vec![String::new(); o.outputs.len()], &e.unclassified));
        }
    }
    String::from_utf8(out.into_inner().unwrap_or_default()).unwrap_or_default()
}

fn csv_row(out: &mut csv::Writer<Vec<u8>>, fields: Vec<String>) {
    let _ = out.write_record(&fields);
}

fn sums_map(names: &[String], sums: &[rust_decimal::Decimal]) -> Map<String, Json> {
    names.iter().zip(sums).map(|(n, s)| (n.clone(), Json::String(s.to_string()))).collect()
}

fn json(o: &Outcome) -> String {
    let mut rows = Vec::new();
    let mut unclassified = Vec::new();
    let mut totals = vec![rust_decimal::Decimal::ZERO; o.sums.len()];
    for ((entity, period), e) in &o.entities {
        for (group, acc) in o.groups.iter().zip(&e.groups) {
            if acc.records == 0 {
                continue;
            }
            let mut row = Map::new();
            row.insert(o.entity.clone(), json!(entity));
            row.insert(o.period.clone(), json!(period));
            for (name, value) in o.outputs.iter().zip(group) {
                row.insert(name.clone(), json!(value));
            }
            row.extend(sums_map(&o.sums, &acc.sums));
            row.insert("records".into(), json!(acc.records));
            rows.push(Json::Object(row));
        }
        if e.unclassified.records > 0 {
            for (t, s) in totals.iter_mut().zip(&e.unclassified.sums) {
                *t = t.checked_add(*s).unwrap_or(*t);
            }
            let mut row = Map::new();
            row.insert(o.entity.clone(), json!(entity));
            row.insert(o.period.clone(), json!(period));
            row.extend(sums_map(&o.sums, &e.unclassified.sums));
            row.insert("records".into(), json!(e.unclassified.records));
            unclassified.push(Json::Object(row));
        }
    }
    // Keys in a fixed, meaningful order (the stamp first, as in `eval`'s JSON), not sorted.
    let fields: Vec<(&str, Json)> = vec![
        ("stamp", json!(o.stamp)),
        ("notices", json!(o.notices)),
        ("table", json!(o.table)),
        ("dataset", json!(o.dataset)),
        ("hit", json!(o.hit.as_str())),
        ("columns", json!({ "entity": o.entity, "period": o.period, "outputs": o.outputs, "sums": o.sums })),
        ("counts", json!(o.counts)),
        ("rows", Json::Array(rows)),
        (
            "unclassified",
            json!({
                "records": o.counts.unclassified,
                "sums": sums_map(&o.sums, &totals),
                "by_entity": unclassified,
                "examples": o.examples.iter().map(|x| json!({
                    "line": x.line,
                    "entity": x.entity,
                    "period": x.period,
                    "inputs": o.inputs.iter().zip(&x.inputs).map(|(n, v)| (n.clone(), json!(v))).collect::<Map<String, Json>>(),
                    "sums": sums_map(&o.sums, &x.sums.iter().filter_map(|s| s.parse().ok()).collect::<Vec<_>>()),
                })).collect::<Vec<_>>(),
            }),
        ),
    ];
    let mut text = String::from("{\n");
    for (i, (key, value)) in fields.iter().enumerate() {
        let pretty = serde_json::to_string_pretty(value).unwrap_or_default().replace('\n', "\n  ");
        let comma = if i.saturating_add(1) < fields.len() { "," } else { "" };
        let _ = writeln!(text, "  \"{key}\": {pretty}{comma}");
    }
    text.push_str("}\n");
    text
}

/// What a run did, for standard error: counts, and the unclassified records with a few
/// examples (file line and input values), so that none go unnoticed.
pub fn summary(o: &Outcome) -> String {
    let c = &o.counts;
    let mut out = format!(
        "classified {} of {} records of `{}` with `{}` (hit {})",
        c.classified,
        c.used,
        o.dataset,
        o.table,
        o.hit.as_str()
    );
    if c.skipped > 0 {
        let _ = write!(out, "; {} bad rows skipped of {} read", c.skipped, c.read);
    }
    if c.excluded > 0 {
        let _ = write!(out, "; {} left out by `exclude` rules", c.excluded);
    }
    out.push('\n');
    if c.unclassified == 0 {
        out.push_str("every record matched a row\n");
        return out;
    }
    let mut totals = vec![rust_decimal::Decimal::ZERO; o.sums.len()];
    for e in o.entities.values() {
        for (t, s) in totals.iter_mut().zip(&e.unclassified.sums) {
            *t = t.checked_add(*s).unwrap_or(*t);
        }
    }
    let sums: Vec<String> = o.sums.iter().zip(&totals).map(|(n, t)| format!("{n} {t}")).collect();
    let _ = writeln!(
        out,
        "unclassified: {} record{} matched no row ({}); the first:",
        c.unclassified,
        if c.unclassified == 1 { "" } else { "s" },
        sums.join(", ")
    );
    for x in &o.examples {
        let inputs: Vec<String> = o.inputs.iter().zip(&x.inputs).map(|(n, v)| format!("{n} `{v}`")).collect();
        let sums: Vec<String> = o.sums.iter().zip(&x.sums).map(|(n, v)| format!("{n} {v}")).collect();
        let _ =
            writeln!(out, "  line {}: {} {}: {}; {}", x.line, x.entity, x.period, inputs.join(", "), sums.join(", "));
    }
    out
}
