//! Lowering the definitions that hold no tables or formulas of their own: sources,
//! units, classes, sets, functions, parameters, KPIs, policies and scripts.

use super::{Children, Lowered, Lowerer};
use crate::ast::*;
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::parse::Rule;
use crate::source::Spanned;
use pest::iterators::Pair;

impl Lowerer {
    pub(super) fn source_def(&mut self, kids: &mut Children<'_>) -> Lowered<SourceDef> {
        let title = self.title(kids)?;
        let mut properties = Vec::new();
        for p in kids.pairs.by_ref() {
            properties.push(self.property(p)?);
        }
        Some(SourceDef { title, properties })
    }

    pub(super) fn unit_def(&mut self, kids: &mut Children<'_>) -> Lowered<UnitDef> {
        if let Some(alias) = kids.next_if(Rule::unit_alias) {
            let mut inner = self.children(alias);
            let expr = self.expect(&mut inner, Rule::unit_expr)?;
            let expr = self.unit_expr(expr)?;
            let title = match inner.next_if(Rule::title) {
                Some(t) => Some(self.title_pair(t)?),
                None => None,
            };
            return Some(UnitDef::Alias { expr, title });
        }
        let title = self.title(kids)?;
        let symbol = match kids.next_if(Rule::unit_symbol) {
            Some(sym) => {
                let mut inner = self.children(sym);
                let s = self.expect(&mut inner, Rule::string)?;
                Some(self.string(s))
            }
            None => None,
        };
        Some(UnitDef::Base { title, symbol })
    }

    pub(super) fn class_def(&mut self, kids: &mut Children<'_>) -> Lowered<ClassDef> {
        let title = self.title(kids)?;
        let (mut cites, mut properties) = (Vec::new(), Vec::new());
        for p in kids.pairs.by_ref() {
            match p.as_rule() {
                Rule::cite => cites.push(self.cite(p)?),
                _ => properties.push(self.property(p)?),
            }
        }
        Some(ClassDef { title, cites, properties })
    }

    pub(super) fn set_def(&mut self, kids: &mut Children<'_>) -> Lowered<SetDef> {
        let title = self.title(kids)?;
        let alternatives = kids.next_if(Rule::alternatives_kw).is_some();
        let (mut cites, mut members) = (Vec::new(), Vec::new());
        for p in kids.pairs.by_ref() {
            match p.as_rule() {
                Rule::cite => cites.push(self.cite(p)?),
                _ => {
                    let span = self.span(&p);
                    let mut inner = self.children(p);
                    let name = self.expect(&mut inner, Rule::ident)?;
                    let name = self.name(&name);
                    let title = inner.next_if(Rule::string).map(|s| self.string(s));
                    let aliases = inner.pairs.by_ref().map(|s| self.string(s)).collect();
                    members.push(Spanned::new(SetMember { name, title, aliases }, span));
                }
            }
        }
        Some(SetDef { title, alternatives, cites, members })
    }

    pub(super) fn function_def(&mut self, kids: &mut Children<'_>) -> Lowered<FunctionDef> {
        let title = self.title(kids)?;
        let mut def =
            FunctionDef { title, cites: Vec::new(), parent: None, activities: Vec::new(), properties: Vec::new() };
        for item in kids.pairs.by_ref() {
            let Some(p) = item.into_inner().next() else { continue };
            match p.as_rule() {
                Rule::cite => def.cites.push(self.cite(p)?),
                Rule::parent => {
                    let mut inner = self.children(p);
                    let n = self.expect(&mut inner, Rule::ident)?;
                    let name = self.name(&n);
                    // A second `parent` would silently replace the first.
                    if let Some(first) = &def.parent {
                        self.diags.push(
                            Diagnostic::new(Code::DuplicateName, "`parent` is declared twice")
                                .primary(name.span, "second `parent`")
                                .secondary(first.span, "first declared here")
                                .help("a function has one parent; remove one of the two lines"),
                        );
                    }
                    def.parent = Some(name);
                }
                Rule::activity => def.activities.push(self.activity(p)?),
                _ => def.properties.push(self.property(p)?),
            }
        }
        Some(def)
    }

    pub(super) fn activity(&mut self, pair: Pair<'_, Rule>) -> Lowered<Spanned<Activity>> {
        let span = self.span(&pair);
        let mut kids = self.children(pair);
        let name = self.expect(&mut kids, Rule::ident)?;
        let name = self.name(&name);
        let title = self.title(&mut kids)?;
        let class = self.expect(&mut kids, Rule::ident)?;
        let class = self.name(&class);
        let resolves = match kids.next_if(Rule::resolves) {
            Some(r) => {
                let rspan = self.span(&r);
                let mut inner = self.children(r);
                let other = self.expect(&mut inner, Rule::ident)?;
                let other_class = self.name(&other);
                let reason = self.expect(&mut inner, Rule::string)?;
                let reason = self.string(reason);
                Some(Spanned::new(Resolution { other_class, reason }, rspan))
            }
            None => None,
        };
        let mut cites = Vec::new();
        for c in kids.pairs.by_ref() {
            cites.push(self.cite(c)?);
        }
        Some(Spanned::new(Activity { name, title, class, resolves, cites }, span))
    }

    pub(super) fn param_def(&mut self, kids: &mut Children<'_>) -> Lowered<ParamDef> {
        let indices = self.optional_indices(kids)?;
        let unit = self.expect(kids, Rule::unit_expr)?;
        let unit = self.unit_expr(unit)?;
        let (mut cites, mut entries) = (Vec::new(), Vec::new());
        let Some(body) = kids.pairs.next() else {
            self.internal(kids.parent, "parameter without values");
            return None;
        };
        let short = body.as_rule() == Rule::param_short;
        for p in body.into_inner() {
            let span = self.span(&p);
            match p.as_rule() {
                Rule::cite => cites.push(self.cite(p)?),
                Rule::param_value => {
                    let (value, since) = self.param_value(p)?;
                    entries.push(Spanned::new(ParamEntry { keys: Vec::new(), value, since }, span));
                }
                _ => {
                    let mut inner = self.children(p);
                    let mut keys = Vec::new();
                    if let Some(k) = inner.next_if(Rule::param_keys) {
                        for key in k.into_inner() {
                            let kspan = self.span(&key);
                            let node = match key.into_inner().next() {
                                Some(x) if x.as_rule() == Rule::star => ParamKey::Any,
                                Some(x) => ParamKey::Name(x.as_str().to_string()),
                                None => continue,
                            };
                            keys.push(Spanned::new(node, kspan));
                        }
                    }
                    let v = self.expect(&mut inner, Rule::param_value)?;
                    let (value, since) = self.param_value(v)?;
                    entries.push(Spanned::new(ParamEntry { keys, value, since }, span));
                }
            }
        }
        Some(ParamDef { indices, unit, cites, entries, short })
    }

    pub(super) fn param_value(&mut self, pair: Pair<'_, Rule>) -> Lowered<(Expr, Option<Spanned<Date>>)> {
        let mut kids = self.children(pair);
        let e = self.expect(&mut kids, Rule::expr)?;
        let value = self.expr(e)?;
        // A bad date is reported and the entry kept undated, so checking goes on.
        let since = kids.next_if(Rule::date).and_then(|d| self.date(&d));
        Some((value, since))
    }

    pub(super) fn kpi_def(&mut self, kids: &mut Children<'_>) -> Lowered<KpiDef> {
        let indices = self.optional_indices(kids)?;
        let title = match kids.next_if(Rule::title) {
            Some(t) => Some(self.title_pair(t)?),
            None => None,
        };
        let unit = self.expect(kids, Rule::unit_expr)?;
        let unit = self.unit_expr(unit)?;
        let e = self.expect(kids, Rule::expr)?;
        let formula = self.expr(e)?;
        let mut cites = Vec::new();
        for c in kids.pairs.by_ref() {
            cites.push(self.cite(c)?);
        }
        Some(KpiDef { indices, title, unit, formula, cites })
    }

    pub(super) fn policy_def(&mut self, kids: &mut Children<'_>) -> Lowered<PolicyDef> {
        let indices = self.optional_indices(kids)?;
        let title = self.title(kids)?;
        let severity = match kids.next_if(Rule::severity) {
            Some(s) => {
                let sev = match s.as_str() {
                    "warning" => Severity::Warning,
                    "info" => Severity::Info,
                    _ => Severity::Error,
                };
                Some(Spanned::new(sev, self.span(&s)))
            }
            None => None,
        };
        let mut cites = Vec::new();
        while let Some(c) = kids.next_if(Rule::cite) {
            cites.push(self.cite(c)?);
        }
        let for_pair = self.expect(kids, Rule::policy_for)?;
        let mut inner = self.children(for_pair);
        let v = self.expect(&mut inner, Rule::ident)?;
        let var = self.name(&v);
        let o = self.expect(&mut inner, Rule::ident)?;
        let over = self.name(&o);
        let mut by = Vec::new();
        if let Some(b) = inner.next_if(Rule::policy_by) {
            for f in b.into_inner() {
                by.push(self.name(&f));
            }
        }
        let e = self.expect(&mut inner, Rule::expr)?;
        let require = self.expr(e)?;
        let unless = match kids.next_if(Rule::policy_unless) {
            Some(u) => {
                let mut inner = self.children(u);
                let e = self.expect(&mut inner, Rule::expr)?;
                Some(self.expr(e)?)
            }
            None => None,
        };
        let m = self.expect(kids, Rule::policy_message)?;
        let mut minner = self.children(m);
        let s = self.expect(&mut minner, Rule::string)?;
        let message = self.string(s);
        for c in kids.pairs.by_ref() {
            cites.push(self.cite(c)?);
        }
        Some(PolicyDef { indices, title, severity, cites, var, over, by, require, unless, message })
    }

    pub(super) fn script_def(&mut self, kids: &mut Children<'_>) -> Lowered<ScriptDef> {
        let p = self.expect(kids, Rule::string)?;
        let path = self.string(p);
        let mut functions = Vec::new();
        for f in kids.pairs.by_ref() {
            let span = self.span(&f);
            let mut inner = self.children(f);
            let n = self.expect(&mut inner, Rule::any_word)?;
            let name = self.name(&n);
            let mut params = Vec::new();
            while let Some(sp) = inner.next_if(Rule::script_param) {
                let mut pk = self.children(sp);
                let pn = self.expect(&mut pk, Rule::any_word)?;
                let pname = self.name(&pn);
                let pu = self.expect(&mut pk, Rule::unit_expr)?;
                params.push((pname, self.unit_expr(pu)?));
            }
            let r = self.expect(&mut inner, Rule::unit_expr)?;
            let returns = self.unit_expr(r)?;
            functions.push(Spanned::new(ScriptFn { name, params, returns }, span));
        }
        Some(ScriptDef { path, functions })
    }
}
