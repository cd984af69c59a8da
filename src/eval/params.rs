//! Parameters: the value in force for a period, by index key and date.

use super::column::Column;
use super::engine::{Env, Evaluator};
use crate::ast::{Date, ParamDef, ParamEntry, ParamKey};
use crate::check::symbols::Item;
use crate::source::Spanned;
use crate::value::Value;

/// The value of `name[key]` in force on the frame's date. Among the entries whose keys
/// match (a name matches itself, `*` anything), the most specific wins (fewest `*`), then
/// the latest `since` on or before the date; without a date, the latest of all.
pub fn value(ev: &mut Evaluator<'_, '_>, name: &str, key: &[String]) -> Column {
    let Some(Item::Param(p)) = ev.model.syms.get(name).map(|s| s.item) else {
        return Column::Const(Value::missing(format!("`{name}` is not a parameter")));
    };
    let date = ev.frame.date;
    match in_force(p, key, date) {
        Some(entry) => ev.eval(&entry.node.value, &Env::default()),
        None => {
            let which = if key.is_empty() { String::new() } else { format!(" for `{}`", key.join(", ")) };
            let when = date.map_or(String::new(), |d| format!(" in force on {d}"));
            Column::Const(Value::missing(format!("`{name}` has no value{which}{when}")))
        }
    }
}

/// The entry of a parameter in force for `key` on `date` (see [`value`]), for evaluation
/// and for explanations that show its date and citation.
pub fn in_force<'p>(p: &'p ParamDef, key: &[String], date: Option<Date>) -> Option<&'p Spanned<ParamEntry>> {
    let matches = |e: &ParamEntry| {
        p.short
            || (e.keys.len() == key.len()
                && e.keys.iter().zip(key).all(|(k, m)| match &k.node {
                    ParamKey::Any => true,
                    ParamKey::Name(n) => n == m,
                }))
    };
    let in_force = |e: &ParamEntry| match (e.since.as_ref(), date) {
        (None, _) | (Some(_), None) => true,
        (Some(s), Some(d)) => s.node <= d,
    };
    let specificity = |e: &ParamEntry| e.keys.iter().filter(|k| matches!(k.node, ParamKey::Name(_))).count();
    p.entries.iter().filter(|e| matches(&e.node) && in_force(&e.node)).max_by(|a, b| {
        specificity(&a.node)
            .cmp(&specificity(&b.node))
            .then_with(|| a.node.since.as_ref().map(|s| s.node).cmp(&b.node.since.as_ref().map(|s| s.node)))
    })
}
