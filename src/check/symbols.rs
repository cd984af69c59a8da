//! The symbol table: every name a rule set defines, across all its files.

use crate::ast::*;
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::source::Span;
use std::collections::HashMap;

/// Index sets every rule set has, ranging over its own definitions.
pub const BUILTIN_SETS: &[&str] = &["function", "activity", "class"];

/// What a name refers to.
#[derive(Debug, Clone, Copy)]
pub enum Item<'a> {
    Source(&'a SourceDef),
    Class(&'a ClassDef),
    Function(&'a FunctionDef),
    Activity { activity: &'a Activity, function: &'a str },
    Dataset(&'a DatasetDef),
    Field { field: &'a Field, dataset: &'a str },
    Param(&'a ParamDef),
    Kpi(&'a KpiDef),
    Methodology(&'a MethodologyDef),
    Classify(&'a ClassifyDef),
    Policy(&'a PolicyDef),
    Script(&'a ScriptDef),
    ScriptFn(&'a ScriptFn),
    Report(&'a ReportDef),
}

impl Item<'_> {
    /// The word for this kind of thing in messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Item::Source(_) => "source",
            Item::Class(_) => "class",
            Item::Function(_) => "function",
            Item::Activity { .. } => "activity",
            Item::Dataset(_) => "dataset",
            Item::Field { .. } => "field",
            Item::Param(_) => "parameter",
            Item::Kpi(_) => "KPI",
            Item::Methodology(_) => "methodology",
            Item::Classify(_) => "decision table",
            Item::Policy(_) => "policy",
            Item::Script(_) => "script",
            Item::ScriptFn(_) => "script function",
            Item::Report(_) => "report",
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Symbol<'a> {
    pub item: Item<'a>,
    /// Where the name is written.
    pub span: Span,
}

/// A member of an index set, with what column templates may say of it.
#[derive(Debug, Clone)]
pub struct Member<'a> {
    pub name: &'a str,
    pub title: Option<&'a str>,
    pub properties: &'a [crate::source::Spanned<Property>],
}

#[derive(Debug, Default)]
pub struct Symbols<'a> {
    pub names: HashMap<&'a str, Symbol<'a>>,
    /// Definitions in file order, for stable iteration.
    pub order: Vec<&'a str>,
    pub units: HashMap<&'a str, Span>,
    /// Sets are types (what indices range over, what fields hold), so they have their own namespace.
    pub sets: HashMap<&'a str, (Span, &'a SetDef)>,
    pub set_order: Vec<&'a str>,
    pub functions: Vec<&'a str>,
    pub activities: Vec<&'a str>,
    pub classes: Vec<&'a str>,
    /// Figures of each methodology: (methodology, figure) to the figure.
    pub figures: HashMap<(&'a str, &'a str), &'a crate::source::Spanned<Figure>>,
    /// Every name used as an index variable anywhere, to tell a loose `f` from a typo.
    pub index_vars: std::collections::HashSet<&'a str>,
}

impl<'a> Symbols<'a> {
    pub fn build(files: &'a [File], diags: &mut Vec<Diagnostic>) -> Symbols<'a> {
        let mut s = Symbols::default();
        for def in files.iter().flat_map(|f| &f.definitions) {
            if let Some(item) = s.declare(&def.node, diags) {
                s.insert(&def.node.name, item, diags);
            }
        }
        s.activities = files
            .iter()
            .flat_map(|f| &f.definitions)
            .filter_map(|d| match &d.node.kind {
                DefKind::Function(f) => Some(f),
                _ => None,
            })
            .flat_map(|f| f.activities.iter().map(|a| a.node.name.node.as_str()))
            .collect();
        collect_index_vars(files, &mut s.index_vars);
        s
    }

    /// Record the names a definition brings besides its own (activities, fields, figures,
    /// script functions) and say what its name refers to; `None` for units and sets,
    /// which have namespaces of their own.
    fn declare(&mut self, d: &'a Definition, diags: &mut Vec<Diagnostic>) -> Option<Item<'a>> {
        let name = d.name.node.as_str();
        Some(match &d.kind {
            DefKind::Unit(_) => {
                if let Some(first) = self.units.get(name) {
                    diags.push(duplicate(name, "unit", *first, d.name.span));
                } else {
                    self.units.insert(name, d.name.span);
                }
                return None;
            }
            DefKind::Source(x) => Item::Source(x),
            DefKind::Class(x) => {
                self.classes.push(name);
                Item::Class(x)
            }
            DefKind::Set(x) => {
                self.declare_set(d, x, diags);
                return None;
            }
            DefKind::Function(x) => {
                self.functions.push(name);
                for a in &x.activities {
                    self.insert(&a.node.name, Item::Activity { activity: &a.node, function: name }, diags);
                }
                Item::Function(x)
            }
            DefKind::Dataset(x) => {
                // Entity datasets' fields, and the rolled-up fields of records, are
                // one value per entity and period: formulas can use them by name.
                for f in x.fields.iter().filter(|f| !x.records || f.node.rollup.is_some()) {
                    self.insert(&f.node.name, Item::Field { field: &f.node, dataset: name }, diags);
                }
                Item::Dataset(x)
            }
            DefKind::Param(x) => Item::Param(x),
            DefKind::Kpi(x) => Item::Kpi(x),
            DefKind::Methodology(x) => {
                for f in &x.figures {
                    let key = (name, f.node.name.node.as_str());
                    if let Some(first) = self.figures.get(&key) {
                        diags.push(duplicate(key.1, "figure", first.node.name.span, f.node.name.span));
                    } else {
                        self.figures.insert(key, f);
                    }
                }
                Item::Methodology(x)
            }
            DefKind::Classify(x) => Item::Classify(x),
            DefKind::Policy(x) => Item::Policy(x),
            DefKind::Report(x) => Item::Report(x),
            DefKind::Script(x) => {
                for f in &x.functions {
                    self.insert(&f.node.name, Item::ScriptFn(&f.node), diags);
                }
                Item::Script(x)
            }
        })
    }

    fn declare_set(&mut self, d: &'a Definition, x: &'a SetDef, diags: &mut Vec<Diagnostic>) {
        let name = d.name.node.as_str();
        if BUILTIN_SETS.contains(&name) {
            diags.push(
                Diagnostic::new(Code::DuplicateName, format!("`{name}` is a built-in index set"))
                    .primary(d.name.span, "cannot be redefined")
                    .help("choose another name for this set"),
            );
        } else if let Some((first, _)) = self.sets.get(name) {
            diags.push(duplicate(name, "set", *first, d.name.span));
        } else {
            self.sets.insert(name, (d.name.span, x));
            self.set_order.push(name);
        }
    }

    fn insert(&mut self, name: &'a crate::source::Name, item: Item<'a>, diags: &mut Vec<Diagnostic>) {
        let key = name.node.as_str();
        if let Some(first) = self.names.get(key) {
            // Two entries for one activity in one function are a class conflict, reported elsewhere.
            if let (Item::Activity { function: f1, .. }, Item::Activity { function: f2, .. }) = (first.item, item) {
                if f1 == f2 {
                    return;
                }
            }
            diags.push(duplicate(key, item.kind(), first.span, name.span));
            return;
        }
        self.names.insert(key, Symbol { item, span: name.span });
        self.order.push(key);
    }

    pub fn get(&self, name: &str) -> Option<&Symbol<'a>> {
        self.names.get(name)
    }

    /// Is this the name of something indices can range over?
    pub fn is_index_set(&self, name: &str) -> bool {
        BUILTIN_SETS.contains(&name) || self.sets.contains_key(name)
    }

    /// The members of an index set, in definition order.
    pub fn members(&self, set: &str) -> Option<Vec<Member<'a>>> {
        let of = |names: &[&'a str]| {
            names
                .iter()
                .map(|n| {
                    let (title, properties): (Option<&'a str>, &'a [_]) = match self.get(n).map(|s| s.item) {
                        Some(Item::Function(f)) => (Some(f.title.node.as_str()), &f.properties),
                        Some(Item::Class(c)) => (Some(c.title.node.as_str()), &c.properties),
                        Some(Item::Activity { activity, .. }) => (Some(activity.title.node.as_str()), &[]),
                        _ => (None, &[]),
                    };
                    Member { name: n, title, properties }
                })
                .collect()
        };
        match set {
            "function" => Some(of(&self.functions)),
            "activity" => Some(of(&self.activities)),
            "class" => Some(of(&self.classes)),
            _ => self.sets.get(set).map(|(_, def)| {
                def.members
                    .iter()
                    .map(|m| Member {
                        name: m.node.name.node.as_str(),
                        title: m.node.title.as_ref().map(|t| t.node.as_str()),
                        properties: &[],
                    })
                    .collect()
            }),
        }
    }

    pub fn is_member(&self, set: &str, name: &str) -> bool {
        match set {
            "function" => matches!(self.get(name).map(|s| s.item), Some(Item::Function(_))),
            "activity" => matches!(self.get(name).map(|s| s.item), Some(Item::Activity { .. })),
            "class" => matches!(self.get(name).map(|s| s.item), Some(Item::Class(_))),
            _ => self.sets.get(set).is_some_and(|(_, def)| def.members.iter().any(|m| m.node.name.node == name)),
        }
    }

    /// The user sets that have `name` as a member.
    pub fn sets_with_member(&self, name: &str) -> Vec<&'a str> {
        self.set_order
            .iter()
            .filter(|n| self.sets.get(*n).is_some_and(|(_, def)| def.members.iter().any(|m| m.node.name.node == name)))
            .copied()
            .collect()
    }

    /// Names of definitions of the kinds that `pick` accepts, for suggestions.
    pub fn names_where(&self, pick: impl Fn(&Item<'a>) -> bool) -> Vec<&'a str> {
        self.order.iter().filter(|n| self.get(n).is_some_and(|s| pick(&s.item))).copied().collect()
    }
}

pub fn duplicate(name: &str, kind: &str, first: Span, second: Span) -> Diagnostic {
    Diagnostic::new(Code::DuplicateName, format!("`{name}` is defined more than once"))
        .primary(second, format!("{kind} `{name}` defined again here"))
        .secondary(first, "first defined here")
        .help("rename one of them, or remove the duplicate")
}

fn collect_index_vars<'a>(files: &'a [File], out: &mut std::collections::HashSet<&'a str>) {
    let mut add = |decls: &'a [crate::source::Spanned<IndexDecl>]| {
        for d in decls {
            out.insert(d.node.var.node.as_str());
        }
    };
    for def in files.iter().flat_map(|f| &f.definitions) {
        match &def.node.kind {
            DefKind::Dataset(d) => d.fields.iter().for_each(|f| add(&f.node.indices)),
            DefKind::Param(p) => add(&p.indices),
            DefKind::Kpi(k) => add(&k.indices),
            DefKind::Methodology(m) => m.figures.iter().for_each(|f| add(&f.node.indices)),
            _ => {}
        }
    }
}
