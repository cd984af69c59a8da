//! Checks of each kind of definition: the parts that are not formulas or tables.

use super::exprs::{ExprChecker, Node, Scope, Ty};
use super::suggest;
use super::symbols::{Item, Symbols};
use crate::ast::*;
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::source::{Name, Span, Spanned};
use std::collections::HashMap;
use std::path::Path;

/// The placeholders of a template (`{f}`, `{f.title}`), or `None` if a `{` is not closed.
fn placeholders(text: &str) -> Option<Vec<String>> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = rest.get(open + 1..).unwrap_or("");
        let close = after.find('}')?;
        found.push(after.get(..close).unwrap_or("").trim().to_string());
        rest = after.get(close + 1..).unwrap_or("");
    }
    Some(found)
}

/// Dataset properties whose values are words from a fixed list.
const DATASET_WORD_PROPERTIES: &[(&str, &[&str])] = &[("on_bad_row", &["reject", "skip", "warn"])];

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

    fn dataset(&mut self, name: &Name, ds: &DatasetDef) {
        if let Some(table) = &ds.classified {
            super::classified::check(name, ds, table, self.syms(), &mut self.exprs.diags);
            for f in &ds.fields {
                if let FieldType::Unit(u) = &f.node.ty.node {
                    self.exprs.units.resolve(u, &mut self.exprs.diags);
                }
                self.index_decls(&f.node.indices);
            }
            return;
        }
        if ds.entity.is_none() {
            self.push(
                Diagnostic::new(Code::InvalidDataset, format!("dataset `{}` declares no entity", name.node))
                    .primary(name.span, "no `entity`")
                    .help("say which column identifies each row's organisation: `entity organisation key \"Code\"`"),
            );
        }
        for p in &ds.properties {
            if let Some((key, words)) = DATASET_WORD_PROPERTIES.iter().find(|(k, _)| *k == p.node.key.node) {
                let given = match &p.node.value.node {
                    PropValue::Word(w) | PropValue::Text(w) => w.clone(),
                    PropValue::Number(n) => n.to_string(),
                };
                if !words.contains(&given.as_str()) {
                    let closest = suggest::did_you_mean(&given, words.iter().copied()).or(words.first().copied());
                    self.push(
                        Diagnostic::new(Code::InvalidDataset, format!("`{key}` must be one of {}", words.join(", ")))
                            .primary(p.node.value.span, "not one of the choices")
                            .help(format!("write `{key} {}`", closest.unwrap_or_default())),
                    );
                }
            }
        }
        self.data_files(ds);
        let mut columns: HashMap<&str, Span> = HashMap::new();
        for f in &ds.fields {
            let field = &f.node;
            self.rollup(ds, field);
            if ds.records {
                if let Some(earlier) =
                    ds.fields.iter().take_while(|g| !std::ptr::eq(*g, f)).find(|g| g.node.name.node == field.name.node)
                {
                    self.push(super::symbols::duplicate(
                        &field.name.node,
                        "field",
                        earlier.node.name.span,
                        field.name.span,
                    ));
                }
            }
            if let FieldType::Unit(u) = &field.ty.node {
                let set_typed = matches!(u.factors.as_slice(), [(n, 1)] if self.syms().is_index_set(&n.node) && !self.exprs.units.is_unit(&n.node));
                if !set_typed {
                    self.exprs.units.resolve(u, &mut self.exprs.diags);
                }
            }
            if !self.index_decls(&field.indices) {
                continue;
            }
            self.column_template(field);
            if field.indices.is_empty() {
                if let Some(first) = columns.insert(field.column.node.as_str(), field.column.span) {
                    self.push(
                        Diagnostic::new(
                            Code::InvalidDataset,
                            format!("column `{}` is read by two fields", field.column.node),
                        )
                        .primary(field.column.span, "read again here")
                        .secondary(first, "first read here")
                        .help("each column feeds one field"),
                    );
                }
            }
        }
    }

    fn data_files(&mut self, ds: &DatasetDef) {
        if let (Some(p), Some(f)) = (&ds.period, ds.files.iter().find_map(|f| f.node.period.as_ref())) {
            self.push(
                Diagnostic::new(Code::InvalidDataset, "the period is given twice: by a column and by a file")
                    .primary(f.span, "the file's period")
                    .secondary(p.span, "the period column")
                    .help("use a period column when files hold several periods, `file \"x\" period \"P\"` when each file is one period"),
            );
        }
        for e in &ds.exclude {
            if let Cell::Regex(pattern) = &e.node.cell.node {
                if let Err(err) = regex::RegexBuilder::new(pattern).size_limit(1 << 20).build() {
                    let why = err.to_string();
                    let why = why.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("invalid pattern").trim();
                    self.push(
                        Diagnostic::new(Code::InvalidRegex, format!("`{pattern}` is not a valid pattern"))
                            .primary(e.node.cell.span, why.trim_start_matches("error: ").to_string())
                            .help("patterns use Rust regex syntax; escape special characters with `\\`"),
                    );
                }
            }
        }
    }

    /// `sum` and `same` belong to records, and only numbers that are amounts can be summed.
    fn rollup(&mut self, ds: &DatasetDef, field: &Field) {
        let Some(r) = &field.rollup else { return };
        if !ds.records {
            self.push(
                Diagnostic::new(
                    Code::InvalidDataset,
                    format!("field `{}` rolls up, but the dataset is not `records`", field.name.node),
                )
                .primary(r.span, "rows of an entity dataset are one per entity already")
                .help("declare the dataset `records` (several rows per entity), or remove the roll-up"),
            );
            return;
        }
        if r.node != Rollup::Sum {
            return;
        }
        match self.exprs.field_ty(field) {
            Ty::Num(d) if d.is_dimensionless() => self.push(
                Diagnostic::new(
                    Code::UnsummableField,
                    format!("field `{}` is a ratio or percentage and cannot be summed", field.name.node),
                )
                .primary(r.span, "summed across rows")
                .secondary(field.ty.span, "a ratio")
                .help("sum the parts instead (the numerator and the denominator) and compute the ratio in a KPI"),
            ),
            Ty::Num(_) | Ty::Unknown => {}
            other => {
                let shown = self.exprs.show(&other);
                self.push(
                    Diagnostic::new(
                        Code::InvalidDataset,
                        format!("field `{}` holds {shown} and cannot be summed", field.name.node),
                    )
                    .primary(r.span, "summed across rows")
                    .help("use `same` for a value every row of an entity shares, such as its type"),
                );
            }
        }
    }

    /// `"{f.title} cost"`: every placeholder must be an index of the field with a value
    /// for every member, and each index must appear (else all members read one column).
    fn column_template(&mut self, field: &Field) {
        let Some(ok) = self.template(&field.column, &field.indices, Code::BadColumnTemplate, "the column name") else {
            return;
        };
        if !ok {
            return;
        }
        let placeholders = placeholders(&field.column.node).unwrap_or_default();
        for d in &field.indices {
            let used = placeholders.iter().any(|p| p.split('.').next() == Some(d.node.var.node.as_str()));
            if !used {
                self.push(
                    Diagnostic::new(
                        Code::BadColumnTemplate,
                        format!("the column name does not vary with `{}`", d.node.var.node),
                    )
                    .primary(field.column.span, format!("every {} would read this one column", d.node.set.node))
                    .help(format!("put `{{{0}}}` or `{{{0}.title}}` in the column name", d.node.var.node)),
                );
            }
        }
    }

    /// Check the placeholders of a template (a column name or a title) against the index
    /// variables in scope. `None` if it is malformed, else whether every placeholder is good.
    fn template(
        &mut self,
        text: &Spanned<String>,
        indices: &[Spanned<IndexDecl>],
        code: Code,
        what: &str,
    ) -> Option<bool> {
        let Some(found) = placeholders(&text.node) else {
            self.push(
                Diagnostic::new(code, format!("a `{{` in {what} is not closed"))
                    .primary(text.span, "unclosed placeholder")
                    .help("placeholders are written `{f}` or `{f.title}`"),
            );
            return None;
        };
        let mut ok = true;
        for p in &found {
            let (var, prop) = p.split_once('.').map_or((p.as_str(), None), |(v, pr)| (v, Some(pr)));
            let Some(decl) = indices.iter().find(|d| d.node.var.node == var) else {
                ok = false;
                let vars: Vec<&str> = indices.iter().map(|d| d.node.var.node.as_str()).collect();
                self.push(
                    Diagnostic::new(code, format!("`{{{p}}}` in {what} does not name an index"))
                        .primary(text.span, format!("`{var}` is not an index here"))
                        .help(if vars.is_empty() {
                            "only indexed definitions (`[f in function]`) can use placeholders".to_string()
                        } else {
                            suggest::help_for(var, vars, "use an index variable of the definition")
                        }),
                );
                continue;
            };
            let members = self.syms().members(&decl.node.set.node).unwrap_or_default();
            let lacking = members.iter().find(|m| match prop {
                None | Some("name") => false,
                Some("title") => m.title.is_none(),
                Some(other) => !m.properties.iter().any(|pr| pr.node.key.node == other),
            });
            if let Some(m) = lacking {
                ok = false;
                self.push(
                    Diagnostic::new(
                        code,
                        format!("`{{{p}}}` cannot be built for `{}`: it has no `{}`", m.name, prop.unwrap_or("name")),
                    )
                    .primary(text.span, format!("nothing to put here for {} `{}`", decl.node.set.node, m.name))
                    .help(format!(
                        "give every member of `{}` that property, or use `{{{var}}}` or `{{{var}.title}}`",
                        decl.node.set.node
                    )),
                );
            }
        }
        Some(ok)
    }

    fn param(&mut self, name: &Name, p: &'a ParamDef) {
        let declared = self.exprs.units.resolve(&p.unit.node, &mut self.exprs.diags);
        let indices_ok = self.index_decls(&p.indices);
        let mut scope = Scope::with_indices(&[]);
        scope.constant = true;
        scope.owner = Some(Node::Param(name.node.clone()));
        let mut seen: HashMap<(Vec<String>, Option<Date>), Span> = HashMap::new();
        for e in &p.entries {
            let entry = &e.node;
            let keys: Vec<String> = entry
                .keys
                .iter()
                .map(|k| match &k.node {
                    ParamKey::Name(n) => n.clone(),
                    ParamKey::Any => "*".to_string(),
                })
                .collect();
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
                *slot += 1;
                if *slot < set.len() {
                    break;
                }
                *slot = 0;
            }
        }
        let Some((first, since)) = missing.first() else { return };
        let more = if missing.len() > 1 { format!(" and {} more", missing.len() - 1) } else { String::new() };
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

    fn declared_mismatch(
        &mut self,
        span: Span,
        got: &super::units::Dim,
        want: &super::units::Dim,
        decl: Span,
        what: &str,
    ) {
        let (g, w) = (self.exprs.units.show(got), self.exprs.units.show(want));
        self.push(
            Diagnostic::new(
                Code::DeclaredUnitMismatch,
                format!("this {what} is declared in {w}, but its formula gives {g}"),
            )
            .primary(span, format!("this is {g}"))
            .secondary(decl, format!("declared {w}"))
            .help("fix the formula, or declare the unit it computes"),
        );
    }

    fn kpi(&mut self, name: &Name, k: &'a KpiDef) {
        let declared = self.exprs.units.resolve(&k.unit.node, &mut self.exprs.diags);
        if !self.index_decls(&k.indices) {
            return;
        }
        self.title_template(k.title.as_ref(), &k.indices);
        let mut scope = Scope::with_indices(&k.indices);
        scope.owner = Some(Node::Kpi(name.node.clone()));
        let t = self.exprs.infer(&k.formula, &scope);
        self.formula_result(&t, k.formula.span, declared.as_ref(), k.unit.span, "KPI");
    }

    fn formula_result(&mut self, t: &Ty, span: Span, declared: Option<&super::units::Dim>, decl: Span, what: &str) {
        match (t, declared) {
            (Ty::Num(got), Some(want)) if got != want => self.declared_mismatch(span, got, want, decl, what),
            (Ty::Num(_) | Ty::Lit | Ty::Unknown, _) => {}
            (other, _) => {
                let shown = self.exprs.show(other);
                self.push(
                    Diagnostic::new(Code::TypeMismatch, format!("a {what} must compute a number, found {shown}"))
                        .primary(span, format!("this is {shown}"))
                        .help("a formula of a figure gives a number in its declared unit"),
                );
            }
        }
    }

    /// Titles such as `"Cost of {f.title}"` may only use the definition's index variables.
    fn title_template(&mut self, title: Option<&Spanned<String>>, indices: &[Spanned<IndexDecl>]) {
        if let Some(title) = title {
            self.template(title, indices, Code::UnboundIndex, "the title");
        }
    }

    fn methodology(&mut self, name: &'a Name, m: &'a MethodologyDef) {
        let meth = name.node.as_str();
        if let Some(peers) = &m.peers {
            for field in &peers.node.same {
                match self.syms().get(&field.node).map(|s| s.item) {
                    Some(Item::Field { field: f, .. }) => {
                        let t = self.exprs.field_ty(f);
                        if !matches!(t, Ty::Text | Ty::Member(_) | Ty::Unknown) {
                            let shown = self.exprs.show(&t);
                            self.push(
                                Diagnostic::new(
                                    Code::WrongKind,
                                    format!("peer groups cannot be formed from `{}`", field.node),
                                )
                                .primary(field.span, format!("this field holds {shown}"))
                                .help("group by a text field or a field holding members of a set, such as `org_type`"),
                            );
                        }
                    }
                    _ => {
                        self.expect_kind(field, "field", |i| matches!(i, Item::Field { .. }));
                    }
                }
            }
            if peers.node.minimum.is_none() {
                self.push(
                    Diagnostic::new(Code::UnstatedChoice, "the peer group's minimum size is not stated")
                        .primary(peers.span, "no `minimum`")
                        .help("say how small a group may be before its statistics are refused: `peers same org_type minimum 5`"),
                );
            }
        }
        let has_peers = m.peers.is_some();
        for f in &m.figures {
            let fig = &f.node;
            if !self.index_decls(&fig.indices) {
                continue;
            }
            let declared = fig.unit.as_ref().and_then(|u| self.exprs.units.resolve(&u.node, &mut self.exprs.diags));
            let mut scope = Scope::with_indices(&fig.indices);
            scope.methodology = Some((meth, has_peers));
            scope.owner = Some(Node::Figure(meth.to_string(), fig.name.node.clone()));
            let t = self.exprs.infer(&fig.formula, &scope);
            let decl_span = fig.unit.as_ref().map_or(fig.name.span, |u| u.span);
            self.formula_result(&t, fig.formula.span, declared.as_ref(), decl_span, "figure");
        }
        if let Some(scale) = &m.scale {
            // Owned, so that what the scale reads is a dependency of the totals (for `diff`).
            let scope = Scope {
                methodology: Some((meth, has_peers)),
                owner: Some(Node::Scale(meth.to_string())),
                ..Scope::default()
            };
            let t = self.exprs.infer(scale, &scope);
            match t {
                Ty::Num(d) if !d.is_dimensionless() => {
                    let shown = self.exprs.units.show(&d);
                    self.push(
                        Diagnostic::new(Code::UnitMismatch, format!("a scale factor must be a ratio, found {shown}"))
                            .primary(scale.span, format!("this is {shown}"))
                            .help("`scale` multiplies totals; write a ratio such as `1 / return_rate[org_type]`"),
                    );
                }
                Ty::Num(_) | Ty::Lit | Ty::Unknown => {}
                other => {
                    self.exprs.infer(scale, &scope);
                    let shown = self.exprs.show(&other);
                    self.push(
                        Diagnostic::new(Code::TypeMismatch, format!("a scale factor must be a number, found {shown}"))
                            .primary(scale.span, format!("this is {shown}"))
                            .help("`scale` multiplies totals by a ratio"),
                    );
                }
            }
        }
        for t in &m.totals {
            self.total(meth, &t.node);
        }
    }

    fn total(&mut self, meth: &str, t: &Total) {
        let Some(fig) = self.syms().figures.get(&(meth, t.figure.node.as_str())) else {
            self.unknown_total_figure(meth, t);
            return;
        };
        // Adding across alternatives (low and high) is meaningless: they must be a dimension.
        for d in &fig.node.indices {
            let set = d.node.set.node.as_str();
            let alternatives = self.syms().sets.get(set).is_some_and(|(_, s)| s.alternatives);
            let named = t.by.iter().any(|b| b.node == set || b.node == d.node.var.node);
            if alternatives && !named {
                self.push(
                    Diagnostic::new(
                        Code::TotalOverAlternatives,
                        format!("this total adds `{}` across the alternatives of `{set}`", t.figure.node),
                    )
                    .primary(t.figure.span, format!("`{}` has one value per member of `{set}`", t.figure.node))
                    .secondary(d.span, format!("`{set}` is a set of alternatives"))
                    .help(format!(
                        "total by the alternatives too: `total {} by {set}{}`",
                        t.figure.node,
                        t.by.iter().map(|b| format!(", {}", b.node)).collect::<String>()
                    )),
                );
            }
        }
        self.total_dims(meth, t);
    }

    fn unknown_total_figure(&mut self, meth: &str, t: &Total) {
        {
            let figs: Vec<&str> = self.syms().figures.keys().filter(|(m, _)| *m == meth).map(|(_, f)| *f).collect();
            self.push(
                Diagnostic::new(Code::UnknownName, format!("methodology `{meth}` has no figure `{}`", t.figure.node))
                    .primary(t.figure.span, "not a figure of this methodology")
                    .help(suggest::help_for(&t.figure.node, figs, "totals sum one of the methodology's `let` figures")),
            );
        }
    }

    fn total_dims(&mut self, meth: &str, t: &Total) {
        let Some(fig) = self.syms().figures.get(&(meth, t.figure.node.as_str())) else { return };
        for dim in &t.by {
            let is_index = fig.node.indices.iter().any(|d| d.node.set.node == dim.node || d.node.var.node == dim.node);
            let is_field = matches!(self.syms().get(&dim.node).map(|s| s.item), Some(Item::Field { .. }));
            if !is_index && !is_field {
                let mut options: Vec<&str> = fig.node.indices.iter().map(|d| d.node.set.node.as_str()).collect();
                options.extend(self.syms().names_where(|i| matches!(i, Item::Field { .. })));
                self.push(
                    Diagnostic::new(Code::UnknownName, format!("cannot total by `{}`", dim.node))
                        .primary(dim.span, "neither a field nor an index of the figure")
                        .help(suggest::help_for(
                            &dim.node,
                            options,
                            "total by a field (such as `org_type`) or by an index set of the figure",
                        )),
                );
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
        let scope = Scope { policy: Some((p.var.node.as_str(), dataset)), ..Scope::default() };
        let t = self.exprs.infer(&p.require, &scope);
        if !matches!(t, Ty::Bool | Ty::Unknown) {
            let shown = self.exprs.show(&t);
            self.push(
                Diagnostic::new(Code::InvalidPolicy, format!("a requirement must be a condition, found {shown}"))
                    .primary(p.require.span, format!("this is {shown}"))
                    .help("write a comparison, such as `s.model == \"in_house\"`"),
            );
        }
        for part in p.message.node.split('{').skip(1) {
            let Some((inner, _)) = part.split_once('}') else { continue };
            let ok = match inner.split_once('.') {
                Some((v, field)) => v == p.var.node && dataset.fields.iter().any(|f| f.node.name.node == field),
                None => false,
            };
            if !ok {
                self.push(
                    Diagnostic::new(
                        Code::InvalidPolicy,
                        format!("the message uses `{{{inner}}}`, which is not a field of `{}`", p.var.node),
                    )
                    .primary(p.message.span, "unknown placeholder")
                    .help(suggest::help_for(
                        inner.split('.').nth(1).unwrap_or(inner),
                        dataset.fields.iter().map(|f| f.node.name.node.as_str()),
                        &format!("messages may use `{{{}.FIELD}}`", p.var.node),
                    )),
                );
            }
        }
    }

    fn script(&mut self, s: &ScriptDef, rule_file: &Path) {
        let base = rule_file.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        if !base.join(&s.path.node).is_file() {
            self.push(
                Diagnostic::new(Code::MissingScript, format!("script file `{}` not found", s.path.node))
                    .primary(s.path.span, format!("looked for it in `{}`", crate::load::display(base)))
                    .help("script paths are relative to the rule file that declares them"),
            );
        }
        for f in &s.functions {
            for (_, unit) in &f.node.params {
                self.exprs.units.resolve(&unit.node, &mut self.exprs.diags);
            }
            self.exprs.units.resolve(&f.node.returns.node, &mut self.exprs.diags);
        }
    }
}
