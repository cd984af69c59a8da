//! The operations the calls of scripts in one command may take together
//! (`--script-budget`): each call is bounded by the sandbox, and this bounds their sum.
//!
//! One budget is made per command and handed to every script host the command starts
//! (an `assay test` run has one per case, `assay diff --data` one per side), so the whole
//! run is bounded, not each piece of it. Operations are counted with rhai's progress
//! callback, one at a time, into an atomic counter: hosts may run on several threads.
//! Whether a run exceeds the budget depends only on the operations its scripts perform,
//! which rhai counts exactly, never on timing or threads.

use crate::source::Span;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The default budget: 100 million operations, a few seconds of script work. The shipped
/// examples take far less: `assay eval` calls the rules' phasing script 13,230 times
/// (315 organisations, 7 functions, 2 bounds, 3 years) for under 250,000 operations, so
/// the default leaves room for 400 times the example (the same rules over about 130,000
/// organisations), while a runaway script called per entity stops in seconds, not minutes.
pub const DEFAULT_SCRIPT_BUDGET: u64 = 100_000_000;

/// A shared, thread-safe budget of script operations; clones share the count.
#[derive(Clone, Debug)]
pub struct ScriptBudget(Arc<Shared>);

#[derive(Debug)]
struct Shared {
    limit: u64,
    spent: AtomicU64,
    calls: AtomicU64,
    /// The script (its `script` definition's span) and function whose call ran out.
    ran_out: Mutex<Option<(Span, String)>>,
}

/// Where and when a budget ran out, for the diagnostic.
#[derive(Debug, Clone)]
pub struct Exhausted {
    pub script: Span,
    pub function: String,
    pub limit: u64,
    pub calls: u64,
}

impl Default for ScriptBudget {
    fn default() -> Self {
        ScriptBudget::new(DEFAULT_SCRIPT_BUDGET)
    }
}

impl ScriptBudget {
    pub fn new(limit: u64) -> Self {
        ScriptBudget(Arc::new(Shared {
            limit,
            spent: AtomicU64::new(0),
            calls: AtomicU64::new(0),
            ran_out: Mutex::new(None),
        }))
    }

    pub fn limit(&self) -> u64 {
        self.0.limit
    }

    /// Count one operation; false when it is one more than the budget allows.
    pub fn spend(&self) -> bool {
        self.0.spent.fetch_add(1, Ordering::Relaxed) < self.0.limit
    }

    /// Whether every operation has been spent: no script may be called again.
    pub fn spent(&self) -> bool {
        self.0.spent.load(Ordering::Relaxed) >= self.0.limit
    }

    /// Count one call about to be made.
    pub fn call(&self) {
        self.0.calls.fetch_add(1, Ordering::Relaxed);
    }

    /// Note the call that ran out (the first one only, which is the one that did).
    pub fn ran_out(&self, script: Span, function: &str) {
        if let Ok(mut slot) = self.0.ran_out.lock() {
            slot.get_or_insert_with(|| (script, function.to_string()));
        }
    }

    /// Where the budget ran out, once it has.
    pub fn exhausted(&self) -> Option<Exhausted> {
        let slot = self.0.ran_out.lock().ok()?;
        let (script, function) = slot.clone()?;
        Some(Exhausted { script, function, limit: self.0.limit, calls: self.0.calls.load(Ordering::Relaxed) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_one_count_and_the_last_allowed_operation_is_allowed() {
        let a = ScriptBudget::new(3);
        let b = a.clone();
        assert!(a.spend() && b.spend() && !a.spent());
        assert!(b.spend());
        assert!(a.spent(), "all three spent");
        assert!(!a.spend(), "a fourth is one too many");
    }
}
