//! Which fields a run needs: the fields the selected KPIs and methodologies read, directly
//! or through other KPIs, parameters and figures. Loading converts only those columns (the
//! rest of each row is still read, and its key and period checked).

use super::model::Model;
use crate::ast::*;
use crate::check::symbols::Item;
use std::collections::HashSet;

pub struct Needs<'m, 'a> {
    model: &'m Model<'a>,
    pub fields: HashSet<String>,
    seen: HashSet<String>,
    /// A policy's loop variable: `s.FIELD` reads the record's field.
    record: Option<String>,
}

impl<'m, 'a> Needs<'m, 'a> {
    pub fn new(model: &'m Model<'a>) -> Self {
        Needs { model, fields: HashSet::new(), seen: HashSet::new(), record: None }
    }

    pub fn kpi(&mut self, name: &str) {
        if !self.seen.insert(format!("kpi {name}")) {
            return;
        }
        if let Some(Item::Kpi(k)) = self.model.syms.get(name).map(|s| s.item) {
            self.expr(&k.formula, None);
        }
    }

    /// What a policy's expression reads, `var` being its loop variable.
    pub fn policy(&mut self, var: &str, e: &Expr) {
        self.record = Some(var.to_string());
        self.expr(e, None);
        self.record = None;
    }

    pub fn methodology(&mut self, meth: &str) {
        if !self.seen.insert(format!("methodology {meth}")) {
            return;
        }
        let Some(m) = self.model.methodology(meth) else { return };
        if let Some(p) = &m.peers {
            self.fields.extend(p.node.same.iter().map(|f| f.node.clone()));
        }
        if let Some(s) = &m.scale {
            self.expr(s, Some(meth));
        }
        for t in &m.totals {
            self.fields.extend(t.node.by.iter().map(|b| b.node.clone()));
            self.figure(meth, &t.node.figure.node);
        }
        for f in &m.figures {
            self.figure(meth, &f.node.name.node);
        }
    }

    fn figure(&mut self, meth: &str, name: &str) {
        if !self.seen.insert(format!("figure {meth}.{name}")) {
            return;
        }
        let model = self.model;
        if let Some(f) = model.syms.figures.get(&(meth, name)) {
            self.expr(&f.node.formula, Some(meth));
        }
    }

    fn name(&mut self, n: &str, meth: Option<&str>) {
        if let Some(m) = meth {
            if self.model.syms.figures.contains_key(&(m, n)) {
                self.figure(m, n);
                return;
            }
        }
        match self.model.syms.get(n).map(|s| s.item) {
            Some(Item::Field { .. }) => {
                self.fields.insert(n.to_string());
            }
            Some(Item::Kpi(_)) => self.kpi(n),
            Some(Item::Param(p)) if self.seen.insert(format!("param {n}")) => {
                for e in &p.entries {
                    self.expr(&e.node.value, None);
                }
            }
            _ => {}
        }
    }

    fn expr(&mut self, e: &Expr, meth: Option<&str>) {
        match &e.node {
            ExprKind::Name(n) => self.name(n, meth),
            ExprKind::Index { target, indices } => {
                self.expr(target, meth);
                indices.iter().for_each(|i| self.expr(i, meth));
            }
            ExprKind::Member { target, member } => {
                if let ExprKind::Name(m) = &target.node {
                    if self.record.as_deref() == Some(m.as_str()) {
                        self.fields.insert(member.node.clone());
                        return;
                    }
                    if self.model.methodology(m).is_some() {
                        self.methodology(m);
                        self.figure(m, &member.node);
                    }
                }
            }
            ExprKind::Call { args, .. } => args.iter().for_each(|a| self.expr(&a.value, meth)),
            ExprKind::Over { aggregate, group } => {
                if group.node == "peers" {
                    if let Some(p) = meth.and_then(|m| self.model.methodology(m)).and_then(|m| m.peers.as_ref()) {
                        self.fields.extend(p.node.same.iter().map(|f| f.node.clone()));
                    }
                }
                self.expr(aggregate, meth);
            }
            ExprKind::Unary { operand, .. } => self.expr(operand, meth),
            ExprKind::Chain { first, links } => {
                self.expr(first, meth);
                links.iter().for_each(|l| self.expr(&l.operand, meth));
            }
            ExprKind::If { condition, then, otherwise } => {
                self.expr(condition, meth);
                self.expr(then, meth);
                self.expr(otherwise, meth);
            }
            _ => {}
        }
    }
}
