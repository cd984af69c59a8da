//! What an evaluation exercised, for `assay test --coverage`: the definitions computed and
//! the arms of each `if` taken. Recorded only when a recorder is attached to the evaluator;
//! the fast path pays one `Option` check per named figure and per `if`, never per row.

use super::column::Column;
use super::engine::Target;
use crate::source::Span;
use crate::value::Value;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Default)]
pub struct Recorder {
    /// Every KPI, parameter, field and methodology figure computed (any index key).
    pub targets: BTreeSet<Target>,
    /// For each `if` (by the span of the whole expression): was the `then` arm taken for
    /// some entity, and was the `else` arm.
    pub arms: BTreeMap<Span, (bool, bool)>,
    /// Decision-table rows some record matched: (table, row index).
    pub rows: BTreeSet<(String, usize)>,
    /// For each policy some case verified: did a row pass it, and did one fail it.
    pub policies: BTreeMap<String, (bool, bool)>,
}

impl Recorder {
    pub fn target(&mut self, target: &Target) {
        if !self.targets.contains(target) {
            self.targets.insert(target.clone());
        }
    }

    /// Note which arms a condition sends some entity down (a missing condition takes neither).
    pub fn arms(&mut self, span: Span, condition: &Column, rows: usize) {
        let (mut then, mut otherwise) = (false, false);
        let mut see = |v: &Value| match v {
            Value::Bool(true) => then = true,
            Value::Bool(false) => otherwise = true,
            _ => {}
        };
        match condition {
            Column::Const(v) => {
                if rows > 0 {
                    see(v);
                }
            }
            Column::Values(vs) => vs.iter().for_each(&mut see),
            Column::Grouped(_) => (0..rows).for_each(|i| see(condition.get(i))),
        }
        let entry = self.arms.entry(span).or_default();
        entry.0 |= then;
        entry.1 |= otherwise;
    }

    /// Add what another run recorded.
    pub fn merge(&mut self, other: Recorder) {
        self.targets.extend(other.targets);
        self.rows.extend(other.rows);
        for (policy, (passed, failed)) in other.policies {
            let entry = self.policies.entry(policy).or_default();
            entry.0 |= passed;
            entry.1 |= failed;
        }
        for (span, (t, o)) in other.arms {
            let entry = self.arms.entry(span).or_default();
            entry.0 |= t;
            entry.1 |= o;
        }
    }
}
