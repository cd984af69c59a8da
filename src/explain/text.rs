//! The explanation for people: a tree from the figure down to the data, each rule shown by
//! miette with a label on every sub-expression, each data value with its line and the
//! cell underlined.

use super::graph::*;
use crate::source::SourceFile;
use crate::value::format::{exact, human};
use crate::value::Value;
use miette::{
    Diagnostic as MietteDiagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, Severity, SourceCode, SourceSpan, SpanContents,
};
use std::fmt::Write;

pub fn render(graph: &Graph, rules: &[SourceFile], colour: bool) -> String {
    let mut out = header(graph, "");
    if let Some(a) = &graph.against {
        out.push_str(&super::against::render(a));
    }
    let mut r = Renderer { graph, rules, colour, shown: vec![false; graph.nodes.len()], out: String::new() };
    r.node(graph.root, "", "");
    out.push_str(&r.out);
    out
}

/// The tree below one node of a trace, without the stamp: for a failing rule test, whose
/// nodes come from the tests' own evaluation.
pub fn tree(nodes: &[Node], root: usize, period: &str, rules: &[SourceFile]) -> String {
    let graph = Graph {
        stamp: crate::data::stamp::Stamp::new(Vec::new(), Vec::new()),
        notices: Vec::new(),
        period: period.to_string(),
        nodes: nodes.to_vec(),
        root,
        against: None,
    };
    let mut r =
        Renderer { graph: &graph, rules, colour: false, shown: vec![false; graph.nodes.len()], out: String::new() };
    r.node(graph.root, "", "");
    r.out
}

/// The stamp and notices, each line prefixed (`> ` in Markdown).
pub fn header(graph: &Graph, prefix: &str) -> String {
    let mut out = String::new();
    for n in &graph.notices {
        let _ = writeln!(out, "{prefix}NOTE: {n}");
    }
    let s = &graph.stamp;
    let _ = writeln!(
        out,
        "{prefix}{} {}: {} rule file{}; data {}",
        s.tool,
        s.version,
        s.rules.len(),
        if s.rules.len() == 1 { "" } else { "s" },
        s.data.iter().map(|d| format!("{} (sha256 {})", d.path, d.sha256)).collect::<Vec<_>>().join(", ")
    );
    out.push('\n');
    out
}

/// A node's one-line title: what it is, for whom, and its value.
pub fn title(n: &Node, period: &str) -> String {
    let whom = match (&n.entity, period.is_empty()) {
        (Some(e), false) => format!(" for {e} in {period}"),
        (Some(e), true) => format!(" for {e}"),
        (None, _) => String::new(),
    };
    let meth = n.methodology.as_deref().map_or(String::new(), |m| format!("{m}."));
    let what = match n.kind {
        Kind::Kpi => format!("KPI {}{whom}", n.name),
        Kind::Figure => format!("{meth}{}{whom}", n.name),
        Kind::Total => {
            format!("{meth}{}{}", n.name, if period.is_empty() { String::new() } else { format!(" in {period}") })
        }
        Kind::Contribution if n.scaled => format!("{} × scale{whom}", n.name),
        // No `scale`: the figure is the contribution, as it is.
        Kind::Contribution => format!("contribution {}{whom}", n.name),
        Kind::Scale => format!("{meth}scale{whom}"),
        Kind::Param => format!("parameter {}", n.name),
        Kind::Field => format!("data {}{whom}", n.name),
        Kind::Statistic => {
            let group = n.stat.as_ref().map_or(String::new(), |s| {
                if s.group.is_empty() {
                    " (no group)".to_string()
                } else {
                    format!(" (group {}, {} members)", s.group, s.size)
                }
            });
            format!("{}{group}{whom}", n.name)
        }
        Kind::Script => format!("script {}{whom}", n.name),
        Kind::Policy => format!("policy {}{whom}", n.name),
        Kind::Class => n.name.clone(),
    };
    format!("{what} = {}", shown(&n.value, n))
}

/// A group member's value with enough digits to see why it sorts where it does.
pub fn precise(v: &Value, unit: &crate::eval::run::UnitOut) -> String {
    match v {
        Value::Num(d) if unit.percent => format!("{}%", crate::value::format::percent_fixed(*d, 4)),
        Value::Approx(..) if unit.percent => format!("{}%", crate::value::format::percent_fixed(shown_places(v, 6), 4)),
        Value::Num(_) | Value::Approx(..) if !unit.money => {
            let r = shown_places(v, 6).normalize();
            if unit.symbol == "ratio" || unit.symbol.is_empty() {
                r.to_string()
            } else {
                format!("{r} {}", unit.symbol)
            }
        }
        Value::Missing(r) => format!("missing ({r})"),
        v => human(v, unit),
    }
}

/// A number rounded to `places`, or to fewer when fewer are certain.
fn shown_places(v: &Value, places: u32) -> rust_decimal::Decimal {
    match v {
        Value::Approx(d, b) => d.round_dp(crate::value::approx::certain_places(*b).unwrap_or(0).min(places)),
        v => v.as_num().unwrap_or_default().round_dp(places),
    }
}

fn shown(v: &Value, n: &Node) -> String {
    human(v, &n.unit)
}

/// The value exactly, when the shown value is rounded, as "exactly 1.23"; for a number
/// rounded on the way, to its certain digits, always, and saying so.
pub fn exactly(n: &Node) -> Option<String> {
    let e = exact(&n.value, &n.unit)?;
    if n.value.is_approx() {
        return Some(format!("≈ {e}{} ({APPROX_NOTE})", unit_suffix(n)));
    }
    let digits: String =
        human(&n.value, &n.unit).chars().filter(|c| c.is_ascii_digit() || *c == '.' || *c == '-').collect();
    let same = match (digits.parse::<rust_decimal::Decimal>(), e.parse::<rust_decimal::Decimal>()) {
        (Ok(a), Ok(b)) => a == b,
        _ => true,
    };
    if same {
        return None;
    }
    Some(format!("exactly {e}{}", unit_suffix(n)))
}

/// What an approximate value's line says of it.
pub const APPROX_NOTE: &str = "rounded on the way: the true value is within one unit of the last digit";

fn unit_suffix(n: &Node) -> String {
    match n.unit.name.as_str() {
        _ if n.unit.percent => "%".to_string(),
        "ratio" | "" => String::new(),
        name => format!(" {name}"),
    }
}

struct Renderer<'g> {
    graph: &'g Graph,
    rules: &'g [SourceFile],
    colour: bool,
    shown: Vec<bool>,
    out: String,
}

impl Renderer<'_> {
    fn node(&mut self, id: usize, lead: &str, rest: &str) {
        let Some(n) = self.graph.nodes.get(id) else { return };
        let _ = writeln!(self.out, "{lead}{}", title(n, &self.graph.period));
        if self.shown.get(id).copied().unwrap_or(false) {
            self.line(&format!("{rest}    "), "(explained above)");
            return;
        }
        if let Some(s) = self.shown.get_mut(id) {
            *s = true;
        }
        let pipe = if n.inputs.is_empty() { "    " } else { "│   " };
        self.body(n, &format!("{rest}{pipe}"));
        let count = n.inputs.len();
        for (i, input) in n.inputs.iter().enumerate() {
            let (branch, cont) =
                if i.saturating_add(1) == count { ("└── ", "    ") } else { ("├── ", "│   ") };
            self.node(*input, &format!("{rest}{branch}"), &format!("{rest}{cont}"));
        }
    }

    fn line(&mut self, prefix: &str, text: &str) {
        for l in text.lines() {
            let _ = writeln!(self.out, "{}", format!("{prefix}{l}").trim_end());
        }
    }

    fn body(&mut self, n: &Node, prefix: &str) {
        if let Some(e) = exactly(n) {
            self.line(prefix, &e);
        }
        if let Value::Missing(r) = &n.value {
            self.line(prefix, &format!("missing: {r}"));
        }
        if let Some(p) = &n.param {
            let since = p.since.map_or("undated".to_string(), |d| format!("in force since {d}"));
            let on = p.on.map_or(String::new(), |d| format!(", chosen for {d}"));
            let cites = if p.cites.is_empty() { String::new() } else { format!("; cite {}", p.cites.join("; ")) };
            self.line(prefix, &format!("{since}{on}{cites}"));
        }
        if let Some(t) = &n.total {
            let scaled = if t.scaled { ", each scaled by the methodology's `scale`" } else { "" };
            self.line(prefix, &format!("sum of {} values{scaled}; {} missing left out", t.count, t.missing));
            if t.nonzero > 0 {
                self.line(
                    prefix,
                    &format!("the {} largest of {} non-zero contributions, largest first:", t.shown, t.nonzero),
                );
            }
        }
        if let Some(rule) = &n.rule {
            let block = self.rule_block(rule, n);
            self.line(prefix, &block);
        }
        if let Some(s) = &n.script {
            let args: Vec<String> = s.arguments.iter().map(Value::to_string).collect();
            self.line(prefix, &format!("{}({}) = {}", s.function, args.join(", "), n.value));
        }
        if let Some(s) = &n.stat {
            self.stat(s, n, prefix);
        }
        if n.cells.len() > 1 {
            self.line(
                prefix,
                &format!("from {} rows of the data (rolled up by the dataset's `sum` or `same`):", n.cells.len()),
            );
        }
        for c in &n.cells {
            // One cell is the value; several are its parts, each shown as written.
            let shown = match (&c.raw, n.cells.len()) {
                (Some(raw), 2..) => raw.clone(),
                _ => n.value.to_string(),
            };
            let block = cell_block(c, &shown, self.colour);
            self.line(prefix, &block);
        }
        if n.kind == Kind::Field && n.cells.is_empty() {
            self.line(prefix, "(no data row for this entity)");
        }
        if n.kind == Kind::Contribution || (n.truncated && n.kind != Kind::Total) {
            if let Some(command) = n.command() {
                self.line(prefix, &format!("↳ {command}"));
            }
        }
        if n.truncated && n.kind != Kind::Contribution {
            self.line(prefix, "(inputs not shown: --depth reached)");
        }
    }

    fn stat(&mut self, s: &StatInfo, n: &Node, prefix: &str) {
        if let Some(t) = &s.trimming {
            self.line(prefix, t);
        }
        let [kept, low, high, out] = s.counts;
        if low > 0 || high > 0 {
            self.line(
                prefix,
                &format!("{kept} kept, {low} trimmed low, {high} trimmed high, {out} left out (missing)"),
            );
        } else if out > 0 {
            self.line(prefix, &format!("{out} left out (missing)"));
        }
        let stored = s.members.len();
        let width = s.members.iter().map(|m| m.entity.chars().count()).max().unwrap_or(0);
        // Every member the explanation kept (a group of up to 1,000: all of them), so the
        // statistic can be worked again from the text; the gaps of a larger group counted.
        let mut previous = 0;
        for m in &s.members {
            if m.rank.saturating_sub(previous) > 1 {
                self.line(prefix, &format!("  … {} more", m.rank.saturating_sub(previous).saturating_sub(1)));
            }
            previous = m.rank;
            let v = precise(&m.value, &n.unit);
            let this = if m.this { "  ◀ this entity" } else { "" };
            self.line(prefix, &format!("  {:width$}  {v:>14}  {}{this}", m.entity, m.status.as_str()));
        }
        let total = s.members.last().map_or(0, |m| m.rank).max(stored.saturating_add(s.omitted));
        if total > previous {
            self.line(prefix, &format!("  … {} more", total.saturating_sub(previous)));
        }
        if s.omitted > 0 {
            self.line(prefix, &format!("  ({} members not listed: `--all-members` lists every one)", s.omitted));
        }
    }

    fn rule_block(&self, rule: &Rule, n: &Node) -> String {
        let Some(file) = self.rules.get(rule.span.file) else { return rule.text.clone() };
        let mut labels: Vec<LabeledSpan> = if rule.terms.len() > MAX_LABELS {
            Vec::new()
        } else {
            rule.terms
                .iter()
                .map(|t| LabeledSpan::new(Some(human(&t.value, &t.unit)), t.span.start, t.span.len()))
                .collect()
        };
        if labels.is_empty() {
            let mut label = human(&n.value, &n.unit);
            if rule.terms.len() > MAX_LABELS {
                label.push_str(&format!(
                    " ({} sub-expressions, too many to label here: `--format json` or `markdown` lists each)",
                    crate::value::format::group_digits(&rule.terms.len().to_string())
                ));
            }
            labels.push(LabeledSpan::new(Some(label), rule.span.start, rule.span.len()));
        }
        let block = Block {
            message: format!("defined at {}:{}:{}", rule.file, rule.line, rule.column),
            source: Box::new(file.named_source()),
            labels,
        };
        miette_text(&block, self.colour)
    }
}

/// The most sub-expressions a rule block labels one by one. Past it, a generated formula
/// of thousands of terms would be unreadable, and miette, which finds each label's line
/// from the start of the file, would take the square of their number.
const MAX_LABELS: usize = 100;

/// One data line with the cell underlined and labelled with the value read.
fn cell_block(c: &Cell, value: &str, colour: bool) -> String {
    if c.row == 0 {
        // A dataset built `from classify` has no cell: its values are sums over records.
        return format!(
            "summed over the records of {} by a decision table (no single cell; `assay classify` lists the groups)",
            c.file
        );
    }
    let column = c.column.map_or(String::new(), |col| format!(":{col}"));
    let sheet = c.sheet.as_ref().map_or(String::new(), |s| format!(" [{s}]"));
    let header = c.header.as_ref().map_or(String::new(), |h| format!(", column `{h}`"));
    let raw = c.raw.as_ref().map_or(String::new(), |r| format!(", raw text `{r}`"));
    let place = format!("{}{sheet}:{}{column}{header}{raw}", c.file, c.row);
    match (&c.line_text, c.range) {
        (Some(line), Some((s, e))) => {
            let (text, s, e) = window(line, s, e);
            let block = Block {
                message: format!("read from {place}"),
                source: Box::new(LineSource { name: c.file.clone(), text, line: c.row }),
                labels: vec![LabeledSpan::new(
                    Some(format!("{} = {value}", c.header.as_deref().unwrap_or("cell"))),
                    s,
                    e.saturating_sub(s),
                )],
            };
            miette_text(&block, colour)
        }
        _ => format!("read from {place}"),
    }
}

/// Characters of a long data line shown before the cell (after the line's first field).
const BEFORE_CELL: usize = 40;

/// A long line cut to its first field (the key, usually) and the stretch before the cell,
/// with `…` where text is left out; the cell's range moved to match.
fn window(line: &str, s: usize, e: usize) -> (String, usize, usize) {
    if line.len() <= 100 {
        return (line.to_string(), s, e);
    }
    let first_end = line.find(',').filter(|f| *f < 24 && *f < s).unwrap_or(0);
    let mut from = s.saturating_sub(BEFORE_CELL).max(first_end);
    while !line.is_char_boundary(from) {
        from = from.saturating_add(1);
    }
    let head = line.get(..first_end).unwrap_or("");
    let gap = if from > first_end { " … " } else { "" };
    let middle = line.get(from..e).unwrap_or("");
    let tail = if e < line.len() { " …" } else { "" };
    let text = format!("{head}{gap}{middle}{tail}");
    let shift = head.len().saturating_add(gap.len());
    (text, s.saturating_sub(from).saturating_add(shift), e.saturating_sub(from).saturating_add(shift))
}

fn miette_text(block: &Block, colour: bool) -> String {
    let theme = if colour { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let mut out = String::new();
    if GraphicalReportHandler::new_themed(theme).with_width(110).render_report(&mut out, block).is_err() {
        return block.message.clone();
    }
    out.trim_end().to_string()
}

/// A rule or a data line, with labels, in the shape miette renders.
struct Block {
    message: String,
    source: Box<dyn SourceCode>,
    labels: Vec<LabeledSpan>,
}

impl std::fmt::Debug for Block {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::fmt::Display for Block {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Block {}

impl MietteDiagnostic for Block {
    fn severity(&self) -> Option<Severity> {
        Some(Severity::Advice)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(self.source.as_ref())
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }
}

/// One line of a data file, numbered as in the file, without reading the rest of it.
struct LineSource {
    name: String,
    text: String,
    /// 1-based.
    line: usize,
}

impl SourceCode for LineSource {
    fn read_span<'a>(
        &'a self,
        _span: &SourceSpan,
        _before: usize,
        _after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            self.text.as_bytes(),
            SourceSpan::new(0.into(), self.text.len()),
            self.line.saturating_sub(1),
            0,
            1,
        )))
    }
}
