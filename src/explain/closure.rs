//! What one figure depends on: the fields it reads and the groups its statistics are taken
//! over, through KPIs, parameters and figures. An explanation needs no more data than this,
//! and when every statistic is over the same peers, no more entities than the peer group.

use crate::ast::*;
use crate::check::symbols::Item;
use crate::eval::engine::Target;
use crate::eval::model::Model;
use std::collections::HashSet;

#[derive(Default)]
pub struct Closure {
    pub fields: HashSet<String>,
    /// `(methodology, group)` of every `over`: `peers` (the methodology's) or `all`.
    pub groups: HashSet<(Option<String>, String)>,
    seen: HashSet<String>,
}

impl Closure {
    pub fn of(model: &Model<'_>, target: &Target) -> Closure {
        let mut c = Closure::default();
        c.target(model, target);
        c
    }

    /// The fields entities must share with the explained one for every statistic to see
    /// the same group: `Some(vec![])` when no statistic is involved (the entity alone is
    /// enough), `None` when a statistic is over all entities or over different groupings.
    pub fn peer_fields(&self, model: &Model<'_>) -> Option<Vec<String>> {
        let mut fields: Option<Vec<String>> = None;
        for (meth, group) in &self.groups {
            if group != "peers" {
                return None;
            }
            let same: Vec<String> = meth
                .as_deref()
                .and_then(|m| model.methodology(m))
                .and_then(|m| m.peers.as_ref())
                .map(|p| p.node.same.iter().map(|f| f.node.clone()).collect())
                .unwrap_or_default();
            if same.is_empty() || fields.as_ref().is_some_and(|f| *f != same) {
                return None;
            }
            fields = Some(same);
        }
        Some(fields.unwrap_or_default())
    }

    fn target(&mut self, model: &Model<'_>, target: &Target) {
        match target {
            Target::Field(f) => {
                self.fields.insert(f.clone());
            }
            Target::Kpi(k) => self.name(model, k, None),
            Target::Param(p) => self.name(model, p, None),
            Target::Figure(m, f) => self.figure(model, m, f),
        }
    }

    fn figure(&mut self, model: &Model<'_>, meth: &str, name: &str) {
        if !self.seen.insert(format!("figure {meth}.{name}")) {
            return;
        }
        if let Some(f) = model.syms.figures.get(&(meth, name)) {
            self.expr(model, &f.node.formula, Some(meth));
        }
    }

    fn name(&mut self, model: &Model<'_>, n: &str, meth: Option<&str>) {
        if let Some(m) = meth {
            if model.syms.figures.contains_key(&(m, n)) {
                self.figure(model, m, n);
                return;
            }
        }
        match model.syms.get(n).map(|s| s.item) {
            Some(Item::Field { .. }) => {
                self.fields.insert(n.to_string());
            }
            Some(Item::Kpi(k)) if self.seen.insert(format!("kpi {n}")) => self.expr(model, &k.formula, None),
            Some(Item::Param(p)) if self.seen.insert(format!("param {n}")) => {
                for e in &p.entries {
                    self.expr(model, &e.node.value, None);
                }
            }
            _ => {}
        }
    }

    fn expr(&mut self, model: &Model<'_>, e: &Expr, meth: Option<&str>) {
        match &e.node {
            ExprKind::Name(n) => self.name(model, n, meth),
            ExprKind::Index { target, indices } => {
                self.expr(model, target, meth);
                indices.iter().for_each(|i| self.expr(model, i, meth));
            }
            ExprKind::Member { target, member } => {
                if let ExprKind::Name(m) = &target.node {
                    if model.methodology(m).is_some() {
                        self.figure(model, m, &member.node);
                    }
                }
            }
            ExprKind::Call { args, .. } => args.iter().for_each(|a| self.expr(model, &a.value, meth)),
            ExprKind::Over { aggregate, group } => {
                if group.node == "peers" {
                    if let Some(p) = meth.and_then(|m| model.methodology(m)).and_then(|m| m.peers.as_ref()) {
                        self.fields.extend(p.node.same.iter().map(|f| f.node.clone()));
                    }
                }
                self.groups.insert((meth.map(str::to_string), group.node.clone()));
                self.expr(model, aggregate, meth);
            }
            ExprKind::Unary { operand, .. } => self.expr(model, operand, meth),
            ExprKind::Binary { lhs, rhs, .. } => {
                self.expr(model, lhs, meth);
                self.expr(model, rhs, meth);
            }
            ExprKind::If { condition, then, otherwise } => {
                self.expr(model, condition, meth);
                self.expr(model, then, meth);
                self.expr(model, otherwise, meth);
            }
            _ => {}
        }
    }
}
