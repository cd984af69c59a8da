//! Parameters: their keys, duplicate entries, values in the declared unit, and coverage.

use super::DefChecker;
use crate::ast::*;
use crate::check::exprs::{Node, Scope, Ty};
use crate::check::suggest;
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::source::{Name, Span};
use std::collections::HashMap;

impl<'c, 'a> DefChecker<'c, 'a> {
    pub(super) fn param(&mut self, name: &Name, p: &'a ParamDef) {
        let declared = self.exprs.units.resolve(&p.unit.node, &mut self.exprs.diags);
        let indices_ok = self.index_decls(&p.indices);
        let mut scope = Scope::with_indices(&[]);
        scope.constant = true;
        scope.owner = Some(Node::Param(name.node.clone()));
        let mut seen: HashMap<(Vec<String>, Option<Date>), Span> = HashMap::new();
        for e in &p.entries {
            let entry = &e.node;
            let keys: Vec<String> = entry.keys.iter().map(|k| k.node.text().to_string()).collect();
            if !p.short && indices_ok {
                self.param_keys(name, p, entry, e.span);
            }
            let key = (keys.clone(), entry.since.as_ref().map(|s| s.node));
            if let Some(first) = seen.get(&key) {
                self.push(
                    Diagnostic::new(
                        Code::DuplicateEntry,
                        format!("`{}` has two values for the same index and date", name.node),
                    )
                    .primary(e.span, "second value")
                    .secondary(*first, "first value")
                    .help("remove one, or give the later one `since DATE`"),
                );
            } else {
                seen.insert(key, e.span);
            }
            let t = self.exprs.infer(&entry.value, &scope);
            if let (Some(want), Ty::Num(got)) = (&declared, &t) {
                if got != want {
                    self.declared_mismatch(entry.value.span, got, want, p.unit.span, "parameter");
                }
            } else if !matches!(t, Ty::Num(_) | Ty::Lit | Ty::Unknown) {
                let shown = self.exprs.show(&t);
                self.push(
                    Diagnostic::new(Code::TypeMismatch, format!("a parameter value must be a number, found {shown}"))
                        .primary(entry.value.span, format!("this is {shown}"))
                        .help("write a number, percentage or amount"),
                );
            }
        }
        if indices_ok && !p.short {
            self.param_coverage(name, p);
        }
    }

    fn param_keys(&mut self, name: &Name, p: &ParamDef, entry: &ParamEntry, span: Span) {
        if entry.keys.len() != p.indices.len() {
            let sets: Vec<String> = p.indices.iter().map(|d| d.node.set.node.clone()).collect();
            self.push(
                Diagnostic::new(
                    Code::IndexArity,
                    format!(
                        "`{}` is indexed by {}, but this entry gives {} key{}",
                        name.node,
                        sets.join(", "),
                        entry.keys.len(),
                        if entry.keys.len() == 1 { "" } else { "s" }
                    ),
                )
                .primary(span, "wrong number of keys")
                .help(if sets.is_empty() {
                    "write `= value` for an unindexed parameter".to_string()
                } else {
                    format!(
                        "give one key per index, such as `{}`",
                        sets.iter().map(|_| "*").collect::<Vec<_>>().join(", ")
                    )
                }),
            );
            return;
        }
        for (k, decl) in entry.keys.iter().zip(&p.indices) {
            let ParamKey::Name(n) = &k.node else { continue };
            let set = decl.node.set.node.as_str();
            if !self.syms().is_member(set, n) {
                let members = self.syms().members(set).unwrap_or_default();
                self.push(
                    Diagnostic::new(Code::UnknownIndexValue, format!("`{n}` is not a member of `{set}`"))
                        .primary(k.span, format!("not a {set}"))
                        .help(suggest::help_for(
                            n,
                            members.iter().map(|m| m.name),
                            &format!("the keys of `{}` are members of `{set}`", name.node),
                        )),
                );
            }
        }
    }

    /// Warn when some combination of index members has no value from the start (no entry
    /// without `since`, and no `*` default): figures needing it would be missing.
    fn param_coverage(&mut self, name: &Name, p: &ParamDef) {
        const MAX_COMBINATIONS: usize = 100_000;
        let sets: Vec<Vec<String>> = p
            .indices
            .iter()
            .map(|d| {
                self.syms().members(&d.node.set.node).unwrap_or_default().iter().map(|m| m.name.to_string()).collect()
            })
            .collect();
        let total: usize = sets.iter().map(Vec::len).product();
        // Entries with the wrong number of keys are errors already; a warning would repeat them.
        let malformed = p.entries.iter().any(|e| e.node.keys.len() != p.indices.len());
        if total == 0 || total > MAX_COMBINATIONS || malformed {
            return;
        }
        let covers = |e: &ParamEntry, combo: &[&String]| {
            e.keys.len() == combo.len()
                && e.keys.iter().zip(combo).all(|(k, m)| match &k.node {
                    ParamKey::Any => true,
                    ParamKey::Name(n) => n == *m,
                })
        };
        let mut missing: Vec<(String, Option<Date>)> = Vec::new();
        let mut combo_index = vec![0usize; sets.len()];
        for _ in 0..total {
            let combo: Vec<&String> = sets.iter().zip(&combo_index).filter_map(|(s, i)| s.get(*i)).collect();
            let from_start = p.entries.iter().any(|e| e.node.since.is_none() && covers(&e.node, &combo));
            if !from_start {
                let earliest = p
                    .entries
                    .iter()
                    .filter(|e| covers(&e.node, &combo))
                    .filter_map(|e| e.node.since.as_ref().map(|d| d.node))
                    .min();
                missing.push((combo.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(", "), earliest));
            }
            for (slot, set) in combo_index.iter_mut().zip(&sets).rev() {
                *slot = slot.saturating_add(1);
                if *slot < set.len() {
                    break;
                }
                *slot = 0;
            }
        }
        let Some((first, since)) = missing.first() else { return };
        let more =
            if missing.len() > 1 { format!(" and {} more", missing.len().saturating_sub(1)) } else { String::new() };
        let message = match (since, first.is_empty()) {
            (Some(date), true) => format!("`{}` has no value before {date}", name.node),
            (Some(date), false) => format!("`{}` has no value for `{first}` before {date}{more}", name.node),
            (None, true) => format!("`{}` has no value", name.node),
            (None, false) => format!("`{}` has no value for `{first}`{more}", name.node),
        };
        let add = if first.is_empty() { "`= ...`".to_string() } else { format!("`{first} = ...`") };
        self.push(
            Diagnostic::new(Code::IncompleteParam, message)
                .primary(name.span, "not every index has a value from the start")
                .help(format!("add {add} without `since`, or a default `* = ...`; figures needing it will be missing")),
        );
    }
}
