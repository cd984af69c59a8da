//! The derivation shown under a failing test: `explain`'s tree for the actual value, from
//! the defining rule (each sub-expression labelled with its value) down to the data.

use crate::eval::engine::{Evaluator, Target};
use crate::eval::run::UnitOut;
use crate::source::SourceFile;
use crate::value::Value;

/// How deep a failing test's derivation goes: the rule, its inputs and theirs (enough to
/// reach the data cells of a KPI or a saving); `assay explain` goes further on request.
const DEPTH: usize = 3;

/// Lines showing how `target[key]` was computed for the entity on `row`, traced the way
/// `assay explain` traces it (with the same check that the trace equals the fast path).
pub fn derivation_for(
    ev: &mut Evaluator<'_, '_>,
    sources: &[SourceFile],
    target: &Target,
    key: &[String],
    row: usize,
) -> Vec<String> {
    let period = ev.frame.period.to_string();
    let mut tracer = crate::explain::trace::Tracer::new(ev, Some(DEPTH), std::collections::HashMap::new());
    let root = tracer.definition(target, key, row, 0);
    let crate::explain::trace::Tracer { nodes, problems, .. } = tracer;
    let mut lines: Vec<String> =
        crate::explain::text::tree(&nodes, root, &period, sources).lines().map(str::to_string).collect();
    // A trace that disagrees with the evaluator is a bug in assay: say so rather than hide it.
    lines.extend(problems.iter().map(|d| format!("internal error: {}", d.message)));
    lines
}

pub fn show_target(target: &Target, key: &[String]) -> String {
    let name = match target {
        Target::Kpi(n) | Target::Param(n) | Target::Field(n) => n.clone(),
        Target::Figure(m, f) => format!("{m}.{f}"),
    };
    if key.is_empty() {
        name
    } else {
        format!("{name}[{}]", key.join(", "))
    }
}

/// A value as reports show it: percentages in percent, with the unit's symbol.
pub fn show_value(value: &Value, unit: Option<&UnitOut>) -> String {
    if let (Value::Approx(..), Some(u)) = (value, unit) {
        // To its certain digits, saying it is rounded.
        return match crate::value::format::exact(value, u) {
            Some(text) if u.percent => format!("≈{text}%"),
            Some(text) if u.money => format!("≈{}{text}", u.symbol),
            Some(text) => format!("≈{text} {}", u.symbol).trim_end().to_string(),
            None => format!("missing ({})", crate::value::format::UNCERTAIN),
        };
    }
    match (value, unit) {
        (Value::Num(d), Some(u)) if u.percent => format!("{}%", crate::value::format::percent_exact(*d)),
        (Value::Num(d), Some(u)) if u.money => format!("{}{}", u.symbol, d.normalize()),
        (Value::Num(d), Some(u)) if !u.symbol.is_empty() && u.name != "ratio" && u.name != "count" => {
            format!("{} {}", d.normalize(), u.symbol)
        }
        (v, _) => v.to_string(),
    }
}
