//! What one figure depends on: the fields it reads and the groups its statistics are taken
//! over, through KPIs, parameters and figures. An explanation needs no more data than this,
//! and when every statistic is over the same peers, no more entities than the peer group.

use crate::ast::*;
use crate::check::symbols::Item;
use crate::data::FieldKey;
use crate::eval::engine::Target;
use crate::eval::model::Model;
use std::collections::HashSet;

#[derive(Default)]
pub struct Closure {
    pub fields: HashSet<String>,
    /// The members of indexed fields read (`cost[finance]`); a field whose index is not
    /// known before evaluation is in `whole` instead.
    pub field_keys: HashSet<FieldKey>,
    pub whole: HashSet<String>,
    /// `(methodology, group)` of every `over`: `peers` (the methodology's) or `all`.
    pub groups: HashSet<(Option<String>, String)>,
    seen: HashSet<String>,
}

impl Closure {
    pub fn of(model: &Model<'_>, target: &Target, key: &[String]) -> Closure {
        let mut c = Closure::default();
        c.target(model, target, key);
        c
    }

    /// Does the figure read this column?
    pub fn reads(&self, key: &FieldKey) -> bool {
        self.whole.contains(&key.field) || self.field_keys.contains(key)
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

    /// The fields of one grouping wide enough for the statistics behind several figures
    /// (each one's [`Closure::peer_fields`]): the fields every grouping shares, since
    /// entities alike in those include each figure's group. `Some(vec![])` when no figure
    /// has a statistic; `None` when one is over all entities, or two groupings share no field.
    pub fn shared_peer_fields(groupings: impl IntoIterator<Item = Option<Vec<String>>>) -> Option<Vec<String>> {
        let mut common: Option<Vec<String>> = None;
        for fields in groupings {
            let fields = fields?;
            if fields.is_empty() {
                continue;
            }
            let next: Vec<String> = match common {
                None => fields,
                Some(c) => c.into_iter().filter(|f| fields.contains(f)).collect(),
            };
            if next.is_empty() {
                return None;
            }
            common = Some(next);
        }
        Some(common.unwrap_or_default())
    }

    fn target(&mut self, model: &Model<'_>, target: &Target, key: &[String]) {
        match target {
            Target::Field(f) => self.field(f, Some(key)),
            Target::Kpi(k) | Target::Param(k) => self.name(model, k, Some(key), &Bindings::new(), None),
            Target::Figure(m, f) => self.figure(model, m, f, Some(key)),
        }
    }

    fn field(&mut self, name: &str, key: Option<&[String]>) {
        self.fields.insert(name.to_string());
        match key {
            Some(k) => {
                self.field_keys.insert(FieldKey { field: name.to_string(), index: k.to_vec() });
            }
            None => {
                self.whole.insert(name.to_string());
            }
        }
    }

    /// A figure for one index key (`None`: any), its formula walked with its variables bound.
    fn figure(&mut self, model: &Model<'_>, meth: &str, name: &str, key: Option<&[String]>) {
        if !self.seen.insert(format!("figure {meth}.{name} {key:?}")) {
            return;
        }
        if let Some(f) = model.syms.figures.get(&(meth, name)) {
            let bindings = bind(&f.node.indices, key);
            self.expr(model, &f.node.formula, Some(meth), &bindings);
        }
    }

    fn name(&mut self, model: &Model<'_>, n: &str, key: Option<&[String]>, bindings: &Bindings, meth: Option<&str>) {
        if bindings.iter().any(|(v, _)| v == n) {
            return; // an index variable
        }
        if let Some(m) = meth {
            if model.syms.figures.contains_key(&(m, n)) {
                self.figure(model, m, n, key);
                return;
            }
        }
        match model.syms.get(n).map(|s| s.item) {
            Some(Item::Field { .. }) => self.field(n, key),
            Some(Item::Kpi(k)) if self.seen.insert(format!("kpi {n} {key:?}")) => {
                let bindings = bind(&k.indices, key);
                self.expr(model, &k.formula, None, &bindings);
            }
            Some(Item::Param(p)) if self.seen.insert(format!("param {n}")) => {
                for e in &p.entries {
                    self.expr(model, &e.node.value, None, &Bindings::new());
                }
            }
            _ => {}
        }
    }

    /// The index key an `x[...]` reads, when every index is a bound variable or a member
    /// written out.
    fn key_of(model: &Model<'_>, indices: &[Expr], bindings: &Bindings, meth: Option<&str>) -> Option<Vec<String>> {
        indices
            .iter()
            .map(|i| match &i.node {
                ExprKind::Name(n) => match bindings.iter().find(|(v, _)| v == n) {
                    Some((_, Some(m))) => Some(m.clone()),
                    Some((_, None)) => None,
                    None => {
                        let is_definition = meth.is_some_and(|m| model.syms.figures.contains_key(&(m, n.as_str())))
                            || matches!(
                                model.syms.get(n).map(|s| s.item),
                                Some(Item::Field { .. } | Item::Kpi(_) | Item::Param(_))
                            );
                        (!is_definition).then(|| n.clone())
                    }
                },
                _ => None,
            })
            .collect()
    }

    fn expr(&mut self, model: &Model<'_>, e: &Expr, meth: Option<&str>, b: &Bindings) {
        match &e.node {
            ExprKind::Name(n) => self.name(model, n, Some(&[]), b, meth),
            ExprKind::Index { target, indices } => {
                let key = Self::key_of(model, indices, b, meth);
                match &target.node {
                    ExprKind::Name(n) => self.name(model, n, key.as_deref(), b, meth),
                    ExprKind::Member { target: inner, member } => {
                        if let ExprKind::Name(m) = &inner.node {
                            if model.methodology(m).is_some() {
                                self.figure(model, m, &member.node, key.as_deref());
                            }
                        }
                    }
                    _ => self.expr(model, target, meth, b),
                }
                indices.iter().for_each(|i| self.expr(model, i, meth, b));
            }
            ExprKind::Member { target, member } => {
                if let ExprKind::Name(m) = &target.node {
                    if model.methodology(m).is_some() {
                        self.figure(model, m, &member.node, Some(&[]));
                    }
                }
            }
            ExprKind::Call { args, .. } => args.iter().for_each(|a| self.expr(model, &a.value, meth, b)),
            ExprKind::Over { aggregate, group } => {
                if group.node == "peers" {
                    if let Some(p) = meth.and_then(|m| model.methodology(m)).and_then(|m| m.peers.as_ref()) {
                        for f in &p.node.same {
                            self.field(&f.node, Some(&[]));
                        }
                    }
                }
                self.groups.insert((meth.map(str::to_string), group.node.clone()));
                self.expr(model, aggregate, meth, b);
            }
            ExprKind::Unary { operand, .. } => self.expr(model, operand, meth, b),
            ExprKind::Chain { first, links } => {
                self.expr(model, first, meth, b);
                links.iter().for_each(|l| self.expr(model, &l.operand, meth, b));
            }
            ExprKind::If { condition, then, otherwise } => {
                self.expr(model, condition, meth, b);
                self.expr(model, then, meth, b);
                self.expr(model, otherwise, meth, b);
            }
            _ => {}
        }
    }
}

/// Index variables and the members they are bound to (`None`: not known).
type Bindings = Vec<(String, Option<String>)>;

fn bind(decls: &[crate::source::Spanned<IndexDecl>], key: Option<&[String]>) -> Bindings {
    decls.iter().enumerate().map(|(i, d)| (d.node.var.node.clone(), key.and_then(|k| k.get(i)).cloned())).collect()
}

#[cfg(test)]
mod tests {
    use super::Closure;

    fn fields(names: &[&str]) -> Option<Vec<String>> {
        Some(names.iter().map(|n| n.to_string()).collect())
    }

    #[test]
    fn groupings_share_their_common_fields() {
        let shared = |g: Vec<Option<Vec<String>>>| Closure::shared_peer_fields(g);
        assert_eq!(shared(vec![]), fields(&[]), "no statistic: the entity alone");
        assert_eq!(shared(vec![fields(&[]), fields(&["type"])]), fields(&["type"]));
        assert_eq!(shared(vec![fields(&["type", "region"]), fields(&["type"])]), fields(&["type"]));
        assert_eq!(shared(vec![fields(&["type"]), fields(&["region"])]), None, "nothing shared: every entity");
        assert_eq!(shared(vec![fields(&["type"]), None]), None, "a statistic over all entities");
    }
}
