//! Which fields a run needs: the fields the selected KPIs and methodologies read, directly
//! or through other KPIs, parameters and figures. Loading converts only those columns (the
//! rest of each row is still read, and its key and period checked).

use super::model::Model;
use crate::ast::*;
use crate::check::symbols::Item;
use std::collections::{BTreeSet, HashMap, HashSet};

pub struct Needs<'m, 'a> {
    model: &'m Model<'a>,
    pub fields: HashSet<String>,
    /// For an indexed field, the members it is read at where every read names them
    /// (`spend[travel]`); `None` once one read ranges over them (`spend[s]`, `sum(spend)`).
    /// So a verdict shows the cells its rule read, not every cell of the field.
    pub members: HashMap<String, Option<BTreeSet<Vec<String>>>>,
    seen: HashSet<String>,
    /// A policy's loop variable: `s.FIELD` reads the record's field.
    record: Option<String>,
    /// Index variables bound where the walk is (a KPI's, a figure's, a policy's): a name
    /// among them is not a member, whatever members are called.
    pub bound: Vec<String>,
    /// Whether something walked reads beyond its own row: a statistic `over` a group, the
    /// period before (`previous`), or a methodology's figure (which may use its peers).
    pub across_rows: bool,
}

impl<'m, 'a> Needs<'m, 'a> {
    pub fn new(model: &'m Model<'a>) -> Self {
        Needs {
            model,
            fields: HashSet::new(),
            members: HashMap::new(),
            seen: HashSet::new(),
            record: None,
            bound: Vec::new(),
            across_rows: false,
        }
    }

    pub fn kpi(&mut self, name: &str) {
        if !self.seen.insert(format!("kpi {name}")) {
            return;
        }
        if let Some(Item::Kpi(k)) = self.model.syms.get(name).map(|s| s.item) {
            let outer = self.bind(&k.indices);
            self.expr(&k.formula, None);
            self.bound.truncate(outer);
        }
    }

    /// What a policy's expression reads, `var` being its loop variable.
    pub fn policy(&mut self, var: &str, e: &Expr) {
        self.record = Some(var.to_string());
        self.expr(e, None);
        self.record = None;
    }

    pub fn methodology(&mut self, meth: &str) {
        self.across_rows = true;
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
            let outer = self.bind(&f.node.indices);
            self.expr(&f.node.formula, Some(meth));
            self.bound.truncate(outer);
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
                self.members.insert(n.to_string(), None);
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
                match self.named_members(target, indices) {
                    Some((field, key)) => {
                        self.fields.insert(field.to_string());
                        if let Some(keys) =
                            self.members.entry(field.to_string()).or_insert_with(|| Some(BTreeSet::new())).as_mut()
                        {
                            keys.insert(key);
                        }
                    }
                    None => self.expr(target, meth),
                }
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
            ExprKind::Call { function, args } => {
                self.across_rows |= function.node == "previous";
                args.iter().for_each(|a| self.expr(&a.value, meth));
            }
            ExprKind::Over { aggregate, group } => {
                self.across_rows = true;
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

    /// Bind index variables for a walk; returns the length to truncate back to.
    fn bind(&mut self, indices: &[crate::source::Spanned<IndexDecl>]) -> usize {
        let outer = self.bound.len();
        self.bound.extend(indices.iter().map(|d| d.node.var.node.clone()));
        outer
    }

    /// `spend[travel]`: an indexed field read at members the rules name (each index a
    /// member of the field's index set, not a variable that ranges over it).
    fn named_members<'e>(&self, target: &'e Expr, indices: &[Expr]) -> Option<(&'e str, Vec<String>)> {
        let ExprKind::Name(n) = &target.node else { return None };
        let Some(Item::Field { field, .. }) = self.model.syms.get(n).map(|s| s.item) else { return None };
        if field.indices.len() != indices.len() {
            return None;
        }
        let key = field
            .indices
            .iter()
            .zip(indices)
            .map(|(decl, i)| match &i.node {
                ExprKind::Name(m) if !self.bound.contains(m) && self.model.syms.is_member(&decl.node.set.node, m) => {
                    Some(m.clone())
                }
                _ => None,
            })
            .collect::<Option<Vec<String>>>()?;
        Some((n.as_str(), key))
    }
}
