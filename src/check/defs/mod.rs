//! Checks of each kind of definition: the parts that are not formulas or tables.

mod datasets;
mod figures;
mod params;
mod report;
mod templates;

use super::exprs::{ExprChecker, Scope, Ty};
use super::suggest;
use super::symbols::{Item, Symbols};
use crate::ast::*;
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::source::{Name, Span, Spanned};
use std::collections::HashMap;
use std::path::Path;

pub struct DefChecker<'c, 'a> {
    pub exprs: ExprChecker<'c, 'a>,
    pub strict: bool,
}

impl<'c, 'a> DefChecker<'c, 'a> {
    fn syms(&self) -> &'c Symbols<'a> {
        self.exprs.syms
    }

    fn push(&mut self, d: Diagnostic) {
        self.exprs.diags.push(d);
    }

    pub fn definition(&mut self, def: &'a Spanned<Definition>, rule_file: &Path) {
        let d = &def.node;
        if let Some(cites) = d.kind.cites() {
            self.cites(cites);
            if self.strict && cites.is_empty() {
                self.push(
                    Diagnostic::new(Code::Uncited, format!("{} `{}` cites no source", d.kind.keyword(), d.name.node))
                        .primary(d.name.span, "no `cite`")
                        .help("add `cite SOURCE \"section\"` naming the document and section it comes from"),
                );
            }
        }
        match &d.kind {
            DefKind::Source(_) | DefKind::Class(_) => {}
            DefKind::Unit(UnitDef::Alias { expr, .. }) => {
                self.exprs.units.resolve(&expr.node, &mut self.exprs.diags);
            }
            DefKind::Unit(_) => {}
            DefKind::Set(s) => self.set(s),
            DefKind::Function(f) => self.function(f),
            DefKind::Dataset(ds) => self.dataset(&d.name, ds),
            DefKind::Param(p) => self.param(&d.name, p),
            DefKind::Kpi(k) => self.kpi(&d.name, k),
            DefKind::Methodology(m) => self.methodology(&d.name, m),
            DefKind::Classify(t) => super::tables::check(t, self.syms(), &mut self.exprs.diags),
            DefKind::Policy(p) => self.policy(p),
            DefKind::Script(s) => self.script(s, rule_file),
            DefKind::Report(r) => self.report(r),
        }
    }

    fn cites(&mut self, cites: &[Spanned<Cite>]) {
        for c in cites {
            let source = &c.node.source;
            match self.syms().get(&source.node).map(|s| s.item) {
                Some(Item::Source(_)) => {}
                _ => {
                    let sources = self.syms().names_where(|i| matches!(i, Item::Source(_)));
                    self.push(
                        Diagnostic::new(Code::UnknownSource, format!("`{}` is not a declared source", source.node))
                            .primary(source.span, "cited here")
                            .help(suggest::help_for(
                                &source.node,
                                sources,
                                &format!("declare it: `source {} \"title\" {{ document \"file\" }}`", source.node),
                            )),
                    );
                }
            }
        }
    }

    /// Check that `name` refers to a definition of the expected kind; true if it does.
    fn expect_kind(&mut self, name: &Name, wanted: &str, ok: impl Fn(&Item<'_>) -> bool + Copy) -> bool {
        match self.syms().get(&name.node).map(|s| s.item) {
            Some(i) if ok(&i) => true,
            Some(other) => {
                self.push(
                    Diagnostic::new(Code::WrongKind, format!("`{}` is a {}, not a {wanted}", name.node, other.kind()))
                        .primary(name.span, format!("a {wanted} is expected here"))
                        .help(suggest::help_for(
                            &name.node,
                            self.syms().names_where(ok),
                            &format!("name a declared {wanted}"),
                        )),
                );
                false
            }
            None => {
                self.push(
                    Diagnostic::new(Code::UnknownName, format!("unknown {wanted} `{}`", name.node))
                        .primary(name.span, format!("no {wanted} has this name"))
                        .help(suggest::help_for(
                            &name.node,
                            self.syms().names_where(ok),
                            &format!("declare the {wanted} first"),
                        )),
                );
                false
            }
        }
    }

    fn index_decls(&mut self, decls: &[Spanned<IndexDecl>]) -> bool {
        let mut ok = true;
        for (i, d) in decls.iter().enumerate() {
            let set = &d.node.set;
            if !self.syms().is_index_set(&set.node) {
                ok = false;
                let mut sets = self.syms().set_order.clone();
                sets.extend(super::symbols::BUILTIN_SETS);
                self.push(
                    Diagnostic::new(Code::UnknownName, format!("`{}` is not an index set", set.node))
                        .primary(set.span, "indices range over `function`, `activity`, `class` or a declared `set`")
                        .help(suggest::help_for(
                            &set.node,
                            sets,
                            "declare it: `set NAME \"title\" { a \"A\", b \"B\" }`",
                        )),
                );
            }
            if let Some(earlier) = decls.get(..i).and_then(|ds| ds.iter().find(|e| e.node.var.node == d.node.var.node))
            {
                ok = false;
                self.push(super::symbols::duplicate(
                    &d.node.var.node,
                    "index variable",
                    earlier.node.var.span,
                    d.node.var.span,
                ));
            }
        }
        ok
    }

    fn set(&mut self, s: &SetDef) {
        let mut seen: HashMap<&str, Span> = HashMap::new();
        for m in &s.members {
            let spellings = std::iter::once((m.node.name.node.as_str(), m.node.name.span))
                .chain(m.node.title.iter().map(|t| (t.node.as_str(), t.span)))
                .chain(m.node.aliases.iter().map(|a| (a.node.as_str(), a.span)));
            for (text, span) in spellings {
                let key = text;
                if let Some(first) = seen.get(key) {
                    if *first != span {
                        self.push(super::symbols::duplicate(text, "member or spelling", *first, span));
                    }
                } else {
                    seen.insert(key, span);
                }
            }
        }
    }

    fn function(&mut self, f: &FunctionDef) {
        if let Some(parent) = &f.parent {
            self.expect_kind(parent, "function", |i| matches!(i, Item::Function(_)));
        }
        let mut first_class: HashMap<&str, &Spanned<Activity>> = HashMap::new();
        for a in &f.activities {
            self.cites(&a.node.cites);
            let class_ok = self.expect_kind(&a.node.class, "class", |i| matches!(i, Item::Class(_)));
            if let Some(r) = &a.node.resolves {
                let other = &r.node.other_class;
                if self.expect_kind(other, "class", |i| matches!(i, Item::Class(_))) && other.node == a.node.class.node
                {
                    {
                        self.push(
                            Diagnostic::new(
                                Code::BadResolution,
                                format!("`resolves {}` names the class already chosen", other.node),
                            )
                            .primary(other.span, "the same class")
                            .help("`resolves` records the other class the source gives; name that one"),
                        );
                    }
                }
                if r.node.reason.node.trim().is_empty() {
                    self.push(
                        Diagnostic::new(Code::BadResolution, "a resolution needs a reason")
                            .primary(r.node.reason.span, "empty reason")
                            .help("say why this class was chosen over the other, for reviewers and auditors"),
                    );
                }
            }
            match first_class.get(a.node.name.node.as_str()) {
                Some(first) if first.node.class.node != a.node.class.node && class_ok => self.push(
                    Diagnostic::new(
                        Code::ConflictingClass,
                        format!("activity `{}` is given two classes, {} and {}", a.node.name.node, first.node.class.node, a.node.class.node),
                    )
                    .primary(a.node.class.span, format!("`{}` here", a.node.class.node))
                    .secondary(first.node.class.span, format!("`{}` here", first.node.class.node))
                    .help(format!(
                        "list the activity once with the class you choose, and record the other: `: {} resolves {} \"why\"`",
                        first.node.class.node, a.node.class.node
                    )),
                ),
                Some(first) => self.push(super::symbols::duplicate(&a.node.name.node, "activity", first.node.name.span, a.node.name.span)),
                None => {
                    first_class.insert(a.node.name.node.as_str(), a);
                }
            }
        }
    }

    fn policy(&mut self, p: &'a PolicyDef) {
        let dataset = match self.syms().get(&p.over.node).map(|s| s.item) {
            Some(Item::Dataset(d)) => d,
            _ => {
                self.expect_kind(&p.over, "dataset", |i| matches!(i, Item::Dataset(_)));
                return;
            }
        };
        if !self.index_decls(&p.indices) {
            return;
        }
        for b in &p.by {
            if !dataset.fields.iter().any(|f| f.node.name.node == b.node) {
                self.push(
                    Diagnostic::new(Code::UnknownName, format!("`{}` has no field `{}`", p.over.node, b.node))
                        .primary(b.span, "not a field of the dataset")
                        .help(suggest::help_for(
                            &b.node,
                            dataset.fields.iter().map(|f| f.node.name.node.as_str()),
                            "a policy groups rows by fields of its dataset",
                        )),
                );
            }
        }
        let scope = Scope {
            policy: Some((p.var.node.as_str(), dataset)),
            group_by: (!p.by.is_empty()).then_some(p.by.as_slice()),
            ..Scope::with_indices(&p.indices)
        };
        let t = self.exprs.infer(&p.require, &scope);
        if !matches!(t, Ty::Bool | Ty::Unknown) {
            let shown = self.exprs.show(&t);
            self.push(
                Diagnostic::new(Code::InvalidPolicy, format!("a requirement must be a condition, found {shown}"))
                    .primary(p.require.span, format!("this is {shown}"))
                    .help("write a comparison, such as `s.model == \"in_house\"`"),
            );
        }
        if let Some(u) = &p.unless {
            let t = self.exprs.infer(u, &scope);
            if !matches!(t, Ty::Bool | Ty::Unknown) {
                let shown = self.exprs.show(&t);
                self.push(
                    Diagnostic::new(Code::InvalidPolicy, format!("an exception must be a condition, found {shown}"))
                        .primary(u.span, format!("this is {shown}"))
                        .help("write a condition, such as `not is_missing(s.justification)`"),
                );
            }
        }
        for placeholder in p.placeholders() {
            let fields = || dataset.fields.iter().map(|f| f.node.name.node.as_str());
            let unknown_field = match placeholder.text.split_once('.') {
                Some((v, field)) => v == p.var.node && !fields().any(|f| f == field),
                None => false,
            };
            match placeholder.expr {
                Some(e) if !unknown_field => {
                    self.exprs.infer(&e, &scope);
                }
                _ => {
                    let inner = &placeholder.text;
                    self.push(
                        Diagnostic::new(
                            Code::InvalidPolicy,
                            format!("the message uses `{{{inner}}}`, which is not a field of `{}`", p.var.node),
                        )
                        .primary(p.message.span, "unknown placeholder")
                        .help(suggest::help_for(
                            inner.split('.').nth(1).unwrap_or(inner),
                            fields(),
                            &format!("messages may use `{{{}.FIELD}}`, a KPI or a parameter", p.var.node),
                        )),
                    );
                }
            }
        }
    }

    fn script(&mut self, s: &ScriptDef, rule_file: &Path) {
        let base = rule_file.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        match crate::source::readable_input(&base.join(&s.path.node)) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => self.push(
                Diagnostic::new(Code::MissingScript, format!("script file `{}` not found", s.path.node))
                    .primary(s.path.span, format!("looked for it in `{}`", crate::load::display(base)))
                    .help("script paths are relative to the rule file that declares them"),
            ),
            Err(e) => self.push(
                Diagnostic::new(Code::MissingScript, format!("script file `{}` cannot be read: {e}", s.path.node))
                    .primary(s.path.span, format!("in `{}`", crate::load::display(base)))
                    .help("a script is a text file of rhai functions"),
            ),
        }
        for f in &s.functions {
            for (_, unit) in &f.node.params {
                self.exprs.units.resolve(&unit.node, &mut self.exprs.diags);
            }
            self.exprs.units.resolve(&f.node.returns.node, &mut self.exprs.diags);
        }
    }
}
