//! Rule tests of policies: a case's `verdicts:` say which rows (or entities, or groups)
//! break which policy and how, and which pass; the case's rows are verified by the same
//! engine as `assay verify`, and any other violation of the policies named fails the case.

use super::spec::Reader;
use super::yaml::{Kind, Node};
use crate::eval::coverage::Recorder;
use crate::policy::{self, Verdicts};
use crate::source::Span;

const VERDICT_KEYS: &[&str] = &["policy", "entity", "row", "period", "status"];

/// One verdict a case expects.
#[derive(Debug, Clone)]
pub struct ExpectedVerdict {
    /// The policy, with its index members for an indexed one: `areas_covered[payroll]`.
    pub policy: String,
    /// The entity (or group) the verdict is on, if named.
    pub entity: Option<String>,
    /// The case's row (1-based, in the order written), if named.
    pub row: Option<usize>,
    pub period: Option<String>,
    /// `failed`, `undecided`, `waived` or `passed`.
    pub status: String,
    pub span: Span,
}

impl ExpectedVerdict {
    /// The policy's name without index members.
    pub fn name(&self) -> &str {
        self.policy.split('[').next().unwrap_or(&self.policy)
    }

    fn matches(&self, v: &policy::Violation) -> bool {
        self.is(&(v.label(), v.period.clone(), v.entity.clone(), v.record.as_ref().map(|r| r.1)))
    }

    /// Whether a verdict's subject is the one this expectation names.
    fn is(&self, (label, period, entity, line): &policy::Judgement) -> bool {
        *label == self.policy
            && self.entity.as_ref().is_none_or(|e| e == entity)
            // The case's rows are written after a header line: row N is line N + 1.
            && self.row.is_none_or(|r| *line == Some(r.saturating_add(1)))
            && self.period.as_ref().is_none_or(|p| p == period)
    }
}

const STATUSES: &[&str] = &["failed", "undecided", "waived", "passed"];

impl Reader {
    /// `verdicts:`, a list of `{policy, entity or row, status}`.
    pub(super) fn verdicts(&mut self, list: &Node) -> Option<Vec<ExpectedVerdict>> {
        if !matches!(list.kind, Kind::Seq(_)) {
            self.problem(list, "`verdicts` must be a list", "not a list", EXAMPLE);
            return None;
        }
        let mut out = Vec::new();
        for n in list.items() {
            if !matches!(n.kind, Kind::Map(_)) {
                self.problem(n, "a verdict is a mapping", "not a mapping", EXAMPLE);
                continue;
            }
            self.unknown_keys(n, VERDICT_KEYS, "a verdict");
            let (Some(policy), Some(status)) = (n.get("policy"), n.get("status")) else {
                self.problem(n, "a verdict names a `policy` and a `status`", "here", EXAMPLE);
                continue;
            };
            let Some(status_text) = self.text(status, "`status`") else { continue };
            if !STATUSES.contains(&status_text.as_str()) {
                let help = format!("the statuses are {}", STATUSES.join(", "));
                self.problem(status, format!("`{status_text}` is not a verdict"), "unknown status", help);
                continue;
            }
            let row = match n.get("row") {
                Some(r) => match self.text(r, "`row`").map(|t| t.parse::<usize>()) {
                    Some(Ok(row)) if row > 0 => Some(row),
                    _ => {
                        self.problem(r, "`row` is the case's row, counted from 1", "not a row number", EXAMPLE);
                        continue;
                    }
                },
                None => None,
            };
            let text = |reader: &mut Reader, key: &str| n.get(key).and_then(|v| reader.text(v, key));
            out.push(ExpectedVerdict {
                policy: self.text(policy, "`policy`")?,
                entity: text(self, "entity"),
                row,
                period: text(self, "period"),
                status: status_text,
                span: self.span(n),
            });
        }
        Some(out)
    }
}

const EXAMPLE: &str = "such as `verdicts: [{policy: strategic_in_house, row: 1, status: failed}, {policy: strategic_in_house, row: 2, status: passed}]`";

/// What a case's verdicts found: a report line for each expectation not met and for each
/// violation of the named policies that the case did not expect.
pub fn compare(expected: &[ExpectedVerdict], verdicts: &Verdicts, place: &dyn Fn(Span) -> String) -> Vec<String> {
    let mut report = Vec::new();
    let mut expected_violations = vec![false; verdicts.violations.len()];
    for e in expected {
        let found: Vec<usize> = (0..verdicts.violations.len())
            .filter(|i| verdicts.violations.get(*i).is_some_and(|v| e.matches(v)))
            .collect();
        let whose = e.entity.clone().or_else(|| e.row.map(|r| format!("row {r}"))).unwrap_or_else(|| "any row".into());
        match (e.status.as_str(), found.as_slice()) {
            // A pass must be of something judged: not a row, entity or period the case lacks.
            ("passed", []) if verdicts.judged.iter().any(|j| e.is(j)) => {}
            ("passed", []) => report.push(format!(
                "{}: expected `{}` to pass for {whose}; no such verdict was given (check the row, entity, period and index members)",
                place(e.span),
                e.policy
            )),
            ("passed", some) => {
                for v in some.iter().filter_map(|i| verdicts.violations.get(*i)) {
                    report.push(format!(
                        "{}: expected `{}` to pass for {whose}; it {} ({})",
                        place(e.span),
                        e.policy,
                        v.status.as_str(),
                        v.message
                    ));
                }
            }
            (_, []) => report.push(format!(
                "{}: expected `{}` {} for {whose}; there is no such violation",
                place(e.span),
                e.policy,
                e.status
            )),
            (status, some) => {
                for i in some {
                    if let Some(slot) = expected_violations.get_mut(*i) {
                        *slot = true;
                    }
                    let Some(v) = verdicts.violations.get(*i) else { continue };
                    if v.status.as_str() != status {
                        report.push(format!(
                            "{}: expected `{}` {status} for {whose}; it is {} ({})",
                            place(e.span),
                            e.policy,
                            v.status.as_str(),
                            v.message
                        ));
                    }
                }
            }
        }
    }
    for (v, _) in verdicts.violations.iter().zip(&expected_violations).filter(|(_, seen)| !**seen) {
        let at = v.record.as_ref().map(|(_, line)| format!(", row {}", line.saturating_sub(1))).unwrap_or_default();
        report.push(format!("unexpected: `{}` {} for {}{at}: {}", v.label(), v.status.as_str(), v.entity, v.message));
    }
    report
}

/// Note which policies a case made pass and which it made fail (a waived or undecided
/// row did not pass), for `--coverage`.
pub fn record(verdicts: &Verdicts, recorder: &mut Recorder) {
    for p in &verdicts.policies {
        let entry = recorder.policies.entry(p.name.clone()).or_default();
        entry.0 |= p.passed > 0;
        entry.1 |= p.failed > 0 || p.undecided > 0 || p.waived > 0;
    }
}
