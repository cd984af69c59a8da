//! Printing definitions and the items of their blocks, in the order they were written.
//!
//! The tree keeps each kind of block item in its own list (cites apart from activities,
//! say), so the items are gathered back into one list and sorted by source position.

use super::printer::{Printer, INDENT};
use crate::ast::*;
use crate::source::{Name, Spanned};

/// One line-starting item of a block.
pub enum Item<'a> {
    Cite(&'a Spanned<Cite>),
    Property(&'a Spanned<Property>),
    Parent(&'a Name),
    Activity(&'a Spanned<Activity>),
    Member(&'a Spanned<SetMember>, bool),
    Entity(&'a Spanned<EntityDecl>),
    Period(&'a Spanned<PeriodDecl>),
    Missing(Vec<&'a Spanned<String>>),
    File(&'a Spanned<DataFile>),
    Exclude(&'a Spanned<Exclusion>),
    Field(&'a Spanned<Field>),
    Entry(&'a Spanned<ParamEntry>),
    Peers(&'a Spanned<Peers>),
    Scale(&'a Expr),
    Total(&'a Spanned<Total>),
    Figure(&'a Spanned<Figure>),
    PolicyFor(&'a PolicyDef),
    Unless(&'a Expr),
    Message(&'a Spanned<String>),
    ScriptFn(&'a Spanned<ScriptFn>),
    Label(&'a Name),
    Section(&'a Spanned<ReportSection>),
    Shown(&'a Spanned<ReportItem>),
}

type Items<'a> = Vec<(usize, Item<'a>)>;

impl Printer<'_> {
    /// Where a clause that the tree records without its keyword starts: at the keyword.
    fn keyword_start(&self, pos: usize, keyword: &str) -> usize {
        let before = self.src.get(..pos).unwrap_or("").trim_end();
        match before.strip_suffix(keyword) {
            Some(rest) if !rest.ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_') => rest.len(),
            _ => pos,
        }
    }

    pub fn definition(&mut self, def: &Spanned<Definition>) {
        let d = &def.node;
        let name = &d.name.node;
        let close = def.span.end;
        match &d.kind {
            DefKind::Source(s) => {
                self.push(&format!("source {name} {}", self.string(&s.title)));
                let items = s.properties.iter().map(|p| (p.span.start, Item::Property(p))).collect();
                self.block(items, 0, close, false);
            }
            DefKind::Unit(UnitDef::Base { title, symbol }) => {
                self.push(&format!("unit {name} {}", self.string(title)));
                if let Some(sym) = symbol {
                    self.push(&format!(" symbol {}", self.string(sym)));
                }
            }
            DefKind::Unit(UnitDef::Alias { expr, title }) => {
                self.push(&format!("unit {name} = {}", self.unit(expr)));
                if let Some(t) = title {
                    self.push(&format!(" {}", self.string(t)));
                }
            }
            DefKind::Class(c) => {
                self.push(&format!("class {name} {}", self.string(&c.title)));
                let mut items = cites(&c.cites);
                items.extend(c.properties.iter().map(|p| (p.span.start, Item::Property(p))));
                self.block(items, 0, close, false);
            }
            DefKind::Set(s) => {
                self.push(&format!("set {name} {}", self.string(&s.title)));
                if s.alternatives {
                    self.push(" alternatives");
                }
                let mut items = cites(&s.cites);
                let last = s.members.len().saturating_sub(1);
                items.extend(s.members.iter().enumerate().map(|(i, m)| (m.span.start, Item::Member(m, i == last))));
                self.block(items, 0, close, true);
            }
            DefKind::Function(f) => {
                self.push(&format!("function {name} {}", self.string(&f.title)));
                let mut items = cites(&f.cites);
                if let Some(p) = &f.parent {
                    items.push((self.keyword_start(p.span.start, "parent"), Item::Parent(p)));
                }
                items.extend(f.activities.iter().map(|a| (a.span.start, Item::Activity(a))));
                items.extend(f.properties.iter().map(|p| (p.span.start, Item::Property(p))));
                self.block(items, 0, close, true);
            }
            DefKind::Dataset(ds) => {
                self.push(&format!("dataset {name} {}", self.string(&ds.title)));
                if ds.records {
                    self.push(" records");
                }
                if let Some(table) = &ds.classified {
                    self.push(&format!(" from classify {}", table.node));
                }
                let items = self.dataset_items(ds);
                self.block(items, 0, close, true);
            }
            DefKind::Param(p) => self.param(name, p, close),
            DefKind::Kpi(k) => self.kpi(name, k),
            DefKind::Methodology(m) => self.methodology(name, m, close),
            DefKind::Classify(c) => self.classify(name, c, close),
            DefKind::Policy(p) => self.policy(name, p, close),
            DefKind::Report(r) => self.report(name, r, close),
            DefKind::Script(s) => {
                self.push(&format!("script {name} {}", self.string(&s.path)));
                let items = s.functions.iter().map(|f| (f.span.start, Item::ScriptFn(f))).collect();
                self.block(items, 0, close, false);
            }
        }
    }

    /// A KPI: its header on one line, its formula where the author broke it, its cites.
    fn kpi(&mut self, name: &str, k: &KpiDef) {
        self.push(&format!("kpi {name}{}", indices(&k.indices)));
        if let Some(t) = &k.title {
            self.push(&format!(" {}", self.string(t)));
        }
        self.push(&format!(" : {} =", self.unit(&k.unit)));
        self.clause(k.unit.span.end, k.formula.span.start, 0);
        let base = self.current_indent();
        self.expr(&k.formula, base);
        self.trailing_cites(k.formula.span.end, &k.cites, 0);
    }

    fn methodology(&mut self, name: &str, m: &MethodologyDef, close: usize) {
        self.push(&format!("methodology {name} {}", self.string(&m.title)));
        let mut items = cites(&m.cites);
        if let Some(p) = &m.peers {
            items.push((p.span.start, Item::Peers(p)));
        }
        if let Some(s) = &m.scale {
            items.push((self.keyword_start(s.span.start, "scale"), Item::Scale(s)));
        }
        items.extend(m.totals.iter().map(|t| (t.span.start, Item::Total(t))));
        items.extend(m.figures.iter().map(|f| (f.span.start, Item::Figure(f))));
        self.block(items, 0, close, true);
    }

    fn policy(&mut self, name: &str, p: &PolicyDef, close: usize) {
        self.push(&format!("policy {name}{} {}", indices(&p.indices), self.string(&p.title)));
        if let Some(sev) = &p.severity {
            self.push(&format!(" severity {}", sev.node.as_str()));
        }
        let mut items = cites(&p.cites);
        items.push((self.keyword_start(p.var.span.start, "for"), Item::PolicyFor(p)));
        if let Some(u) = &p.unless {
            items.push((self.keyword_start(u.span.start, "unless"), Item::Unless(u)));
        }
        items.push((self.keyword_start(p.message.span.start, "message"), Item::Message(&p.message)));
        self.block(items, 0, close, true);
    }

    fn report(&mut self, name: &str, r: &ReportDef, close: usize) {
        self.push(&format!("report {name} {}", self.string(&r.title)));
        if let Some(each) = &r.each {
            self.push(&format!(" each {}", each.node));
        }
        let mut items = cites(&r.cites);
        if let Some(l) = &r.label {
            items.push((self.keyword_start(l.span.start, "label"), Item::Label(l)));
        }
        if let Some(p) = &r.peers {
            items.push((p.span.start, Item::Peers(p)));
        }
        items.extend(r.sections.iter().map(|s| (s.span.start, Item::Section(s))));
        self.block(items, 0, close, true);
    }

    /// `table a, b`, `distribution k target m.t`, ...: the keyword, then the figures.
    fn report_item(&mut self, item: &ReportItem) {
        let refs =
            |figures: &[Spanned<FigureRef>]| figures.iter().map(|f| f.node.text()).collect::<Vec<_>>().join(", ");
        let text = match item {
            ReportItem::Table(f) | ReportItem::Compare(f) => format!("{} {}", item.keyword(), refs(f)),
            ReportItem::Distribution { figure, target } => match target {
                Some(t) => format!("distribution {} target {}", figure.node.text(), t.node.text()),
                None => format!("distribution {}", figure.node.text()),
            },
            ReportItem::Trend(f) => format!("trend {}", f.node.text()),
            ReportItem::Totals(m) => format!("totals {}", names(m)),
        };
        self.push(&text);
    }

    /// A `{ ... }` block of items, one per line, sorted as written. An empty block is
    /// left out where the grammar allows, else written `{}`.
    pub fn block(&mut self, mut items: Items<'_>, indent: usize, close: usize, required: bool) {
        items.sort_by_key(|(pos, _)| *pos);
        if items.is_empty() && !self.own_line_comment_before(close) {
            if required {
                self.push(" {}");
            }
            return;
        }
        self.push(" {");
        let inner = indent.saturating_add(INDENT);
        for (pos, item) in &items {
            self.open_item(inner, *pos);
            self.item(item, inner);
        }
        self.close_block(indent, close);
    }

    /// A clause that the author may have put on a line of its own: keep it there.
    fn clause(&mut self, prev_end: usize, next_start: usize, indent: usize) {
        if self.broken(prev_end, next_start) {
            self.open_line(indent.saturating_add(INDENT), next_start);
        } else {
            self.push(" ");
        }
    }

    fn trailing_cites(&mut self, mut prev_end: usize, cites: &[Spanned<Cite>], indent: usize) {
        for c in cites {
            self.clause(prev_end, c.span.start, indent);
            self.push(&self.cite(c));
            prev_end = c.span.end;
        }
    }

    fn cite(&self, c: &Spanned<Cite>) -> String {
        match &c.node.locator {
            Some(l) => format!("cite {} {}", c.node.source.node, self.string(l)),
            None => format!("cite {}", c.node.source.node),
        }
    }

    fn item(&mut self, item: &Item<'_>, indent: usize) {
        match item {
            Item::Cite(c) => {
                let t = self.cite(c);
                self.push(&t);
            }
            Item::Property(p) => self.property(p),
            Item::Parent(p) => self.push(&format!("parent {}", p.node)),
            Item::Activity(a) => self.activity(a, indent),
            Item::Member(m, last) => self.member(m, *last),
            Item::Entity(e) => {
                let t = format!("entity {} key {}", e.node.name.node, self.string(&e.node.key_column));
                self.push(&t);
            }
            Item::Period(p) => {
                let t = format!("period {} from {}", p.node.name.node, self.string(&p.node.column));
                self.push(&t);
            }
            Item::Missing(values) => {
                let values: Vec<String> = values.iter().map(|v| self.string(v)).collect();
                self.push(&format!("missing {}", values.join(", ")));
            }
            Item::File(f) => {
                let mut t = format!("file {}", self.string(&f.node.path));
                for a in &f.node.alternatives {
                    t.push_str(&format!(" or {}", self.string(a)));
                }
                if let Some(p) = &f.node.period {
                    t.push_str(&format!(" period {}", self.string(p)));
                }
                self.push(&t);
            }
            Item::Exclude(x) => {
                let t = format!("exclude {} {}", self.string(&x.node.column), self.cell(&x.node.cell));
                self.push(&t);
            }
            Item::Field(f) => self.field(f, indent),
            Item::Entry(e) => self.entry(e),
            Item::Peers(p) => self.peers(p),
            Item::Scale(e) => {
                self.push("scale ");
                self.expr(e, indent);
            }
            Item::Total(t) => {
                let mut text = format!("total {}", t.node.figure.node);
                if !t.node.by.is_empty() {
                    text.push_str(&format!(" by {}", names(&t.node.by)));
                }
                self.push(&text);
            }
            Item::Figure(f) => self.figure(&f.node, indent),
            Item::PolicyFor(p) => {
                let by = if p.by.is_empty() { String::new() } else { format!(" by {}", names(&p.by)) };
                self.push(&format!("for {} in {}{by}: require ", p.var.node, p.over.node));
                self.expr(&p.require, indent);
            }
            Item::Unless(u) => {
                self.push("unless ");
                self.expr(u, indent);
            }
            Item::Message(m) => {
                let t = format!("message {}", self.string(m));
                self.push(&t);
            }
            Item::Label(l) => self.push(&format!("label {}", l.node)),
            Item::Section(section) => {
                self.push(&format!("section {}", self.string(&section.node.title)));
                let items = section.node.items.iter().map(|i| (i.span.start, Item::Shown(i))).collect();
                self.block(items, indent, section.span.end, true);
            }
            Item::Shown(i) => self.report_item(&i.node),
            Item::ScriptFn(f) => {
                let params: Vec<String> =
                    f.node.params.iter().map(|(n, u)| format!("{}: {}", n.node, self.unit(u))).collect();
                let t = format!("fn {}({}) : {}", f.node.name.node, params.join(", "), self.unit(&f.node.returns));
                self.push(&t);
            }
        }
    }

    /// `key value`; a number as the author wrote it when it is plain digits.
    fn property(&mut self, p: &Spanned<Property>) {
        let value = match &p.node.value.node {
            PropValue::Text(t) => self.string(&Spanned::new(t.clone(), p.node.value.span)),
            PropValue::Word(w) => w.clone(),
            PropValue::Number(n) => self
                .src
                .get(p.node.value.span.start..p.node.value.span.end)
                .filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit() || c == '.'))
                .map_or_else(|| n.to_string(), str::to_string),
        };
        self.push(&format!("{} {value}", p.node.key.node));
    }

    /// An activity, its `resolves` and cites each kept on a line of its own if written so.
    fn activity(&mut self, a: &Spanned<Activity>, indent: usize) {
        let a_node = &a.node;
        self.push(&format!("activity {} {} : {}", a_node.name.node, self.string(&a_node.title), a_node.class.node));
        let mut prev_end = a_node.class.span.end;
        if let Some(r) = &a_node.resolves {
            self.clause(prev_end, r.span.start, indent);
            let text = format!("resolves {} {}", r.node.other_class.node, self.string(&r.node.reason));
            self.push(&text);
            prev_end = r.span.end;
        }
        self.trailing_cites(prev_end, &a_node.cites, indent);
    }

    /// A set member with its title and aliases; a comma after all but the `last`.
    fn member(&mut self, m: &Spanned<SetMember>, last: bool) {
        let mut text = m.node.name.node.clone();
        if let Some(t) = &m.node.title {
            text.push(' ');
            text.push_str(&self.string(t));
        }
        for alias in &m.node.aliases {
            text.push_str(" also ");
            text.push_str(&self.string(alias));
        }
        if !last {
            text.push(',');
        }
        self.push(&text);
    }

    /// `peers all` or `peers same ...`, with the minimum as the author wrote it.
    fn peers(&mut self, p: &Spanned<Peers>) {
        let mut t = if p.node.same.is_empty() {
            "peers all".to_string()
        } else {
            format!("peers same {}", names(&p.node.same))
        };
        if let Some(m) = &p.node.minimum {
            let n = self
                .src
                .get(m.span.start..m.span.end)
                .filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()))
                .map_or_else(|| m.node.to_string(), str::to_string);
            t.push_str(&format!(" minimum {n}"));
        }
        self.push(&t);
    }

    /// A methodology's `let` figure: header, then the formula where the author broke it.
    fn figure(&mut self, fig: &Figure, indent: usize) {
        self.push(&format!("let {}{}", fig.name.node, indices(&fig.indices)));
        let mut header_end = fig.indices.last().map_or(fig.name.span.end, |i| i.span.end);
        if let Some(u) = &fig.unit {
            self.push(&format!(" : {}", self.unit(u)));
            header_end = u.span.end;
        }
        self.push(" =");
        self.clause(header_end, fig.formula.span.start, indent);
        let base = self.current_indent();
        self.expr(&fig.formula, base);
    }

    fn dataset_items<'a>(&self, ds: &'a DatasetDef) -> Items<'a> {
        let mut items = cites(&ds.cites);
        if let Some(e) = &ds.entity {
            items.push((e.span.start, Item::Entity(e)));
        }
        if let Some(p) = &ds.period {
            items.push((p.span.start, Item::Period(p)));
        }
        // `missing` lines are merged in the tree: split them again where a keyword stood.
        let mut group: Vec<&Spanned<String>> = Vec::new();
        let mut prev_end = None;
        for m in &ds.missing {
            let joined = prev_end.is_some_and(|end| {
                self.src.get(end..m.span.start).is_some_and(|between| strip_comments(between).trim() == ",")
            });
            if !joined && !group.is_empty() {
                let first = group.first().map_or(0, |s| s.span.start);
                items.push((self.keyword_start(first, "missing"), Item::Missing(std::mem::take(&mut group))));
            }
            group.push(m);
            prev_end = Some(m.span.end);
        }
        if let Some(first) = group.first().map(|s| s.span.start) {
            items.push((self.keyword_start(first, "missing"), Item::Missing(group)));
        }
        items.extend(ds.files.iter().map(|f| (f.span.start, Item::File(f))));
        items.extend(ds.exclude.iter().map(|x| (x.span.start, Item::Exclude(x))));
        items.extend(ds.fields.iter().map(|f| (f.span.start, Item::Field(f))));
        items.extend(ds.properties.iter().map(|p| (p.span.start, Item::Property(p))));
        items
    }

    /// A field; its `from`, `or`, `optional` and roll-up clauses may each start a line.
    fn field(&mut self, field: &Spanned<Field>, indent: usize) {
        let f = &field.node;
        let ty = match &f.ty.node {
            FieldType::Text => "text".to_string(),
            FieldType::Date => "date".to_string(),
            FieldType::Unit(u) => self.unit(&Spanned::new(u.clone(), f.ty.span)),
        };
        self.push(&format!("field {}{} : {ty}", f.name.node, indices(&f.indices)));
        let mut prev_end = f.ty.span.end;
        self.clause(prev_end, self.keyword_start(f.column.span.start, "from"), indent);
        self.push(&format!("from {}", self.string(&f.column)));
        prev_end = f.column.span.end;
        for alt in &f.alternatives {
            self.clause(prev_end, self.keyword_start(alt.span.start, "or"), indent);
            self.push(&format!("or {}", self.string(alt)));
            prev_end = alt.span.end;
        }
        if f.optional {
            let end = f.rollup.as_ref().map_or(field.span.end, |r| r.span.start);
            let at = self
                .src
                .get(prev_end..end)
                .and_then(|between| strip_comments(between).find("optional"))
                .map_or(prev_end, |offset| prev_end.saturating_add(offset));
            self.clause(prev_end, at, indent);
            self.push("optional");
            prev_end = at.saturating_add("optional".len());
        }
        if let Some(r) = &f.rollup {
            self.clause(prev_end, r.span.start, indent);
            self.push(match r.node {
                Rollup::Sum => "sum",
                Rollup::Same => "same",
            });
        }
    }

    fn param(&mut self, name: &str, p: &ParamDef, close: usize) {
        self.push(&format!("param {name}{} : {}", indices(&p.indices), self.unit(&p.unit)));
        let short_entry = p.entries.first().filter(|_| p.short);
        if let Some(entry) = short_entry {
            self.push(" =");
            self.clause(p.unit.span.end, entry.node.value.span.start, 0);
            let base = self.current_indent();
            self.expr(&entry.node.value, base);
            let mut end = entry.node.value.span.end;
            if let Some(since) = &entry.node.since {
                self.push(&format!(" since {}", since.node));
                end = since.span.end;
            }
            self.trailing_cites(end, &p.cites, 0);
            return;
        }
        let mut items = cites(&p.cites);
        items.extend(p.entries.iter().map(|e| (e.span.start, Item::Entry(e))));
        self.block(items, 0, close, true);
    }

    fn entry(&mut self, e: &Spanned<ParamEntry>) {
        let keys: Vec<&str> = e.node.keys.iter().map(|k| k.node.text()).collect();
        if keys.is_empty() {
            self.push("= ");
        } else {
            self.push(&format!("{} = ", keys.join(", ")));
        }
        let base = self.current_indent();
        self.expr(&e.node.value, base);
        if let Some(since) = &e.node.since {
            self.push(&format!(" since {}", since.node));
        }
    }
}

fn cites(cites: &[Spanned<Cite>]) -> Items<'_> {
    cites.iter().map(|c| (c.span.start, Item::Cite(c))).collect()
}

fn names(names: &[Name]) -> String {
    names.iter().map(|n| n.node.as_str()).collect::<Vec<_>>().join(", ")
}

fn indices(decls: &[Spanned<IndexDecl>]) -> String {
    if decls.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = decls.iter().map(|d| format!("{} in {}", d.node.var.node, d.node.set.node)).collect();
    format!("[{}]", parts.join(", "))
}

/// Text with its `#` comments blanked out, byte offsets kept (used between tokens, where
/// no string can be).
fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_comment = false;
    for c in text.chars() {
        in_comment = (in_comment || c == '#') && c != '\n';
        if in_comment {
            out.push_str(&" ".repeat(c.len_utf8()));
        } else {
            out.push(c);
        }
    }
    out
}
