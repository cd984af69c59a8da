//! Verdicts that change with the rules: both sides verified over the same data, and each
//! violation that appears, disappears or changes its status listed.

use crate::policy::{self, Request, Verdicts};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize)]
pub struct VerdictChange {
    /// `appears`, `disappears` or `changes`.
    pub change: &'static str,
    /// The policy, with its index members.
    pub policy: String,
    pub period: String,
    pub entity: String,
    /// The record's file and line, for a policy over records.
    pub row: Option<String>,
    /// `failed`, `undecided` or `waived`; none where the row passed (or was not judged).
    pub old: Option<&'static str>,
    pub new: Option<&'static str>,
    /// The message of the side that has the violation (the new side's when both do).
    pub message: String,
}

/// Verify every policy whose data is in the folder. A folder that holds no policy's data
/// gives no verdicts (`None`, no diagnostic): the figures are what is compared then.
pub fn verify(
    tree: &crate::load::RuleTree,
    data: &std::path::Path,
    budget: &crate::eval::budget::ScriptBudget,
) -> (Option<Verdicts>, Vec<crate::diagnostic::Diagnostic>, Vec<crate::source::SourceFile>) {
    let mut sources = tree.files.clone();
    let request = Request { data_dir: data.to_path_buf(), budget: budget.clone(), ..Request::default() };
    let (verdicts, diags) = policy::verify(tree, &request, &mut sources);
    if verdicts.is_none() && diags.iter().all(|d| d.code == crate::diagnostic::codes::Code::NoEntities) {
        return (None, Vec::new(), sources);
    }
    (verdicts, diags, sources)
}

type Key = (String, String, String, Option<String>);

fn keyed(v: &Verdicts) -> BTreeMap<Key, &policy::Violation> {
    v.violations
        .iter()
        .map(|x| {
            let row = x.record.as_ref().map(|(f, l)| format!("{f}:{l}"));
            ((x.label(), x.period.clone(), x.entity.clone(), row), x)
        })
        .collect()
}

/// The violations that differ between the two sides, in the new side's order of policy,
/// period and row (those that disappear after).
pub fn compare(old: &Verdicts, new: &Verdicts) -> Vec<VerdictChange> {
    let (a, b) = (keyed(old), keyed(new));
    let change = |key: &Key, was: Option<&&policy::Violation>, is: Option<&&policy::Violation>| {
        let message = is.or(was).map(|v| v.message.clone()).unwrap_or_default();
        VerdictChange {
            change: match (was, is) {
                (None, _) => "appears",
                (_, None) => "disappears",
                _ => "changes",
            },
            policy: key.0.clone(),
            period: key.1.clone(),
            entity: key.2.clone(),
            row: key.3.clone(),
            old: was.map(|v| v.status.as_str()),
            new: is.map(|v| v.status.as_str()),
            message,
        }
    };
    let mut out = Vec::new();
    for (key, is) in &b {
        match a.get(key) {
            Some(was) if was.status == is.status => {}
            was => out.push(change(key, was, Some(is))),
        }
    }
    for (key, was) in a.iter().filter(|(k, _)| !b.contains_key(*k)) {
        out.push(change(key, Some(was), None));
    }
    out
}
