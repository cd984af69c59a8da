//! The test-file schema (`*.test.yaml`), read from the positioned YAML tree. Every mistake
//! is a `test-file-invalid` diagnostic pointing at the offending node.

use super::yaml::{Kind, Node};
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::source::Span;
use rust_decimal::Decimal;
use std::path::PathBuf;
use std::str::FromStr;

/// One test file: its cases, with the file's defaults already applied.
#[derive(Debug, Clone)]
pub struct TestFile {
    pub cases: Vec<Case>,
}

#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    pub span: Span,
    pub period: Option<String>,
    /// Figures are evaluated over these inputs; a decision-table case has none.
    pub inputs: Option<Inputs>,
    /// A decision-table case: the table and the records it is given.
    pub classify: Option<Classify>,
    pub expect: Vec<Expectation>,
    /// Diagnostic codes that must be reported (by code), with where each is written.
    pub diagnostics: Vec<(Code, Span)>,
    /// Verdicts of policies over the inputs (`verdicts:`).
    pub verdicts: Vec<super::verdicts::ExpectedVerdict>,
}

/// `classify: TABLE` with `records:`, each record a mapping of the table's input columns
/// to values and of its output columns to the expected outputs (a list under `hit
/// collect`), optionally `row: N` (the 1-based row that must match) or `row: none`.
#[derive(Debug, Clone)]
pub struct Classify {
    pub table: String,
    pub table_span: Span,
    pub records: Vec<Record>,
}

#[derive(Debug, Clone)]
pub struct Record {
    /// (column, values, where the column is named).
    pub cells: Vec<(String, Vec<String>, Span)>,
    pub span: Span,
}

/// One value of an inline entity row: its name (`turnover`, `cost[finance]`), its text,
/// and where each is written.
#[derive(Debug, Clone)]
pub struct InlineCell {
    pub name: String,
    pub value: String,
    pub name_span: Span,
    pub value_span: Span,
}

#[derive(Debug, Clone)]
pub enum Inputs {
    /// Rows of a dataset written in the test: each a list of (name, value) in the test's
    /// words (field names, `cost: {finance: 10}` for indexed fields), with where each name is.
    Entities { dataset: Option<(String, Span)>, rows: Vec<Vec<InlineCell>>, span: Span },
    /// A data folder, relative to the test file.
    Data(PathBuf, Span),
}

#[derive(Debug, Clone)]
pub struct Expectation {
    /// As written: `cost_share[finance]`, `national_average.saving[finance]`; for a total,
    /// `methodology.figure`.
    pub figure: String,
    /// The entity; empty for a total.
    pub entity: String,
    /// A methodology total (`total:` instead of `figure:`), with its `by` members:
    /// `{org_type: small}`; none for the grand total.
    pub total: Option<Vec<(String, String)>>,
    pub expected: Expected,
    pub tolerance: Option<Decimal>,
    /// A fraction: `relative: 1%` is 0.01.
    pub relative: Option<Decimal>,
    pub span: Span,
    pub figure_span: Span,
}

#[derive(Debug, Clone)]
pub enum Expected {
    /// In the unit the figure is shown in (percent figures in percent).
    Value(Decimal),
    /// A missing value whose reason contains this text (empty: any reason).
    Missing(String),
}

/// Reads a test file's YAML into cases, collecting every problem.
pub struct Reader {
    pub file: usize,
    pub diags: Vec<Diagnostic>,
}

const CASE_KEYS: &[&str] =
    &["name", "period", "dataset", "entities", "data", "expect", "diagnostics", "classify", "records", "verdicts"];
const EXPECT_KEYS: &[&str] = &["figure", "entity", "total", "by", "value", "missing", "tolerance", "relative"];

impl Reader {
    pub(super) fn span(&self, n: &Node) -> Span {
        Span::new(self.file, n.start, n.end)
    }

    pub(super) fn problem(&mut self, n: &Node, message: impl Into<String>, label: &str, help: impl Into<String>) {
        self.diags
            .push(Diagnostic::new(Code::TestFileInvalid, message).primary(self.span(n), label.to_string()).help(help));
    }

    pub(super) fn text(&mut self, n: &Node, what: &str) -> Option<String> {
        match &n.kind {
            Kind::Scalar(s) => Some(s.clone()),
            _ => {
                self.problem(n, format!("{what} must be a single value"), "not a single value", "write it on one line");
                None
            }
        }
    }

    pub(super) fn unknown_keys(&mut self, map: &Node, known: &[&str], what: &str) {
        for (k, _) in map.entries() {
            let key = k.text().unwrap_or("");
            if !known.contains(&key) {
                let help = crate::check::suggest::help_for(
                    key,
                    known.iter().copied(),
                    &format!("{what} takes {}", known.join(", ")),
                );
                self.problem(k, format!("unknown key `{key}` in {what}"), "not a known key", help);
            }
        }
    }

    /// The whole file: `cases:` with optional file-wide defaults (`period`, `dataset`,
    /// `entities`, `data`) that each case may override.
    pub fn file(&mut self, root: &Node) -> TestFile {
        if !matches!(root.kind, Kind::Map(_)) {
            self.problem(root, "a test file is a mapping with `cases:`", "not a mapping", EXAMPLE);
            return TestFile { cases: Vec::new() };
        }
        let mut known = CASE_KEYS.to_vec();
        known.retain(|k| !matches!(*k, "name" | "expect" | "diagnostics" | "classify" | "records"));
        known.push("cases");
        self.unknown_keys(root, &known, "a test file");
        let Some(cases) = root.get("cases") else {
            self.problem(root, "the test file has no `cases:`", "no cases", EXAMPLE);
            return TestFile { cases: Vec::new() };
        };
        if !matches!(cases.kind, Kind::Seq(_)) {
            self.problem(cases, "`cases` must be a list", "not a list", EXAMPLE);
            return TestFile { cases: Vec::new() };
        }
        let cases = cases.items().iter().filter_map(|c| self.case(c, root)).collect();
        TestFile { cases }
    }

    fn case(&mut self, n: &Node, defaults: &Node) -> Option<Case> {
        if !matches!(n.kind, Kind::Map(_)) {
            self.problem(n, "a case is a mapping", "not a mapping", EXAMPLE);
            return None;
        }
        self.unknown_keys(n, CASE_KEYS, "a case");
        let name = match n.get("name") {
            Some(v) => self.text(v, "`name`")?,
            None => {
                self.problem(
                    n,
                    "a case has no `name`",
                    "this case",
                    "give each case a `name:` that says what it shows",
                );
                return None;
            }
        };
        if let Some(table) = n.get("classify") {
            let classify = self.classify(n, table)?;
            return Some(Case {
                name,
                span: self.span(n),
                period: None,
                inputs: None,
                classify: Some(classify),
                expect: Vec::new(),
                diagnostics: Vec::new(),
                verdicts: Vec::new(),
            });
        }
        let pick = |key: &str| n.get(key).or_else(|| defaults.get(key));
        let period = match pick("period") {
            Some(p) => Some(self.text(p, "`period`")?),
            None => None,
        };
        let inputs = self.inputs(n, defaults, &name)?;
        let mut expect = Vec::new();
        // Expectations written, read or not: one that could not be read has its own error,
        // and must not also make the case "expect nothing".
        let mut written = 0usize;
        if let Some(list) = n.get("expect") {
            if !matches!(list.kind, Kind::Seq(_)) {
                self.problem(list, "`expect` must be a list", "not a list", EXAMPLE);
                return None;
            }
            for e in list.items() {
                written = written.saturating_add(1);
                expect.extend(self.expectation(e));
            }
        }
        let diagnostics = n.get("diagnostics").map(|list| self.diagnostic_codes(list)).unwrap_or_default();
        let verdicts = match n.get("verdicts") {
            Some(list) => {
                written = written.saturating_add(list.items().len());
                self.verdicts(list)?
            }
            None => Vec::new(),
        };
        if written == 0 && diagnostics.is_empty() {
            self.problem(
                n,
                format!("case `{name}` expects nothing"),
                "this case",
                "add `expect:` (figures and their values), `verdicts:` (policies' verdicts) or `diagnostics:` (codes that must be reported)",
            );
            return None;
        }
        if expect.is_empty() && diagnostics.is_empty() && verdicts.is_empty() {
            // Every expectation was unreadable and reported: nothing is left to run.
            return None;
        }
        Some(Case {
            name,
            span: self.span(n),
            period,
            inputs: Some(inputs),
            classify: None,
            expect,
            diagnostics,
            verdicts,
        })
    }

    /// A case's inputs: its own win over the file's (`defaults`), entities over a data folder.
    fn inputs(&mut self, n: &Node, defaults: &Node, name: &str) -> Option<Inputs> {
        let pick = |key: &str| n.get(key).or_else(|| defaults.get(key));
        let chosen = [n, defaults]
            .into_iter()
            .find_map(|m| m.get("entities").map(|e| (true, e)).or_else(|| m.get("data").map(|d| (false, d))));
        match chosen {
            Some((true, rows)) => {
                let dataset = match pick("dataset") {
                    Some(d) => Some((self.text(d, "`dataset`")?, self.span(d))),
                    None => None,
                };
                Some(Inputs::Entities { dataset, rows: self.rows(rows)?, span: self.span(rows) })
            }
            Some((false, d)) => Some(Inputs::Data(PathBuf::from(self.text(d, "`data`")?), self.span(d))),
            None => {
                self.problem(
                    n,
                    format!("case `{name}` has no inputs"),
                    "this case",
                    "give `entities:` (rows written in the test) or `data:` (a data folder, relative to the test file)",
                );
                None
            }
        }
    }

    /// The codes a case's `diagnostics:` (one, or a list) expects; an unknown code is a problem.
    fn diagnostic_codes(&mut self, list: &Node) -> Vec<(Code, Span)> {
        let mut diagnostics = Vec::new();
        let items: Vec<&Node> = match &list.kind {
            Kind::Seq(items) => items.iter().collect(),
            _ => vec![list],
        };
        for item in items {
            let code = item.text().unwrap_or("");
            match Code::parse(code) {
                Some(c) => diagnostics.push((c, self.span(item))),
                None => {
                    let help = crate::check::suggest::help_for(
                        code,
                        Code::ALL.iter().map(|c| c.as_str()),
                        "`assay explain-code --list` shows every code",
                    );
                    self.problem(item, format!("`{code}` is not a diagnostic code"), "unknown code", help);
                }
            }
        }
        diagnostics
    }

    fn classify(&mut self, case: &Node, table: &Node) -> Option<Classify> {
        let name = self.text(table, "`classify`")?;
        let Some(records) = case.get("records").filter(|r| !r.items().is_empty()) else {
            self.problem(
                case,
                format!("the case of `{name}` has no `records`"),
                "this case",
                "give `records:`, each a mapping of input columns to values and output columns to what they should give",
            );
            return None;
        };
        let mut out = Vec::new();
        for r in records.items() {
            if !matches!(r.kind, Kind::Map(_)) {
                self.problem(
                    r,
                    "a record is a mapping",
                    "not a mapping",
                    "such as `{account: \"5100\", spend_type: pay}`",
                );
                return None;
            }
            let mut cells = Vec::new();
            for (k, v) in r.entries() {
                let values = match &v.kind {
                    Kind::Seq(items) => items.iter().filter_map(|i| i.text().map(str::to_string)).collect(),
                    Kind::Null => Vec::new(),
                    _ => vec![self.text(v, "a value")?],
                };
                cells.push((k.text().unwrap_or("").to_string(), values, self.span(k)));
            }
            out.push(Record { cells, span: self.span(r) });
        }
        Some(Classify { table: name, table_span: self.span(table), records: out })
    }

    /// Entity rows: a list of mappings; a mapping value under a field name gives an indexed
    /// field member by member (`cost: {finance: 10}` is `cost[finance]`).
    fn rows(&mut self, n: &Node) -> Option<Vec<Vec<InlineCell>>> {
        if !matches!(n.kind, Kind::Seq(_)) || n.items().is_empty() {
            self.problem(n, "`entities` must be a list of rows", "not a list of rows", EXAMPLE);
            return None;
        }
        let mut rows = Vec::new();
        for row in n.items() {
            if !matches!(row.kind, Kind::Map(_)) {
                self.problem(row, "an entity row is a mapping", "not a mapping", EXAMPLE);
                return None;
            }
            let mut cells = Vec::new();
            for (k, v) in row.entries() {
                let key = k.text().unwrap_or("").to_string();
                match &v.kind {
                    Kind::Map(members) => {
                        for (m, value) in members {
                            let member = m.text().unwrap_or("");
                            let text = self.text(value, &format!("`{key}[{member}]`"))?;
                            cells.push(InlineCell {
                                name: format!("{key}[{member}]"),
                                value: text,
                                name_span: self.span(m),
                                value_span: self.span(value),
                            });
                        }
                    }
                    Kind::Null => cells.push(InlineCell {
                        name: key,
                        value: String::new(),
                        name_span: self.span(k),
                        value_span: self.span(v),
                    }),
                    _ => {
                        let text = self.text(v, &format!("`{key}`"))?;
                        cells.push(InlineCell {
                            name: key,
                            value: text,
                            name_span: self.span(k),
                            value_span: self.span(v),
                        });
                    }
                }
            }
            rows.push(cells);
        }
        Some(rows)
    }

    fn expectation(&mut self, n: &Node) -> Option<Expectation> {
        if !matches!(n.kind, Kind::Map(_)) {
            self.problem(n, "an expectation is a mapping", "not a mapping", EXAMPLE);
            return None;
        }
        self.unknown_keys(n, EXPECT_KEYS, "an expectation");
        let (fig, total) = match (n.get("figure"), n.get("total")) {
            (Some(f), None) => (f, None),
            (None, Some(t)) => (t, Some(self.total_by(n)?)),
            _ => {
                self.problem(
                    n,
                    "an expectation names one `figure` or one `total`",
                    "here",
                    "name a KPI or `methodology.figure` with its index (`cost_share[finance]`) and an `entity`, or a total as `total: methodology.figure` with `by: {set: member}`",
                );
                return None;
            }
        };
        let figure = self.text(fig, "`figure`")?;
        let entity = match (n.get("entity"), &total) {
            (Some(e), _) => self.text(e, "`entity`")?,
            (None, Some(_)) => String::new(),
            (None, None) => {
                self.problem(
                    n,
                    format!("the expectation of `{figure}` names no `entity`"),
                    "here",
                    "add `entity: CODE`",
                );
                return None;
            }
        };
        let expected = match (n.get("value"), n.get("missing")) {
            (Some(v), None) => Expected::Value(self.number(v, false)?),
            (None, Some(m)) => Expected::Missing(match &m.kind {
                Kind::Scalar(s) if s == "true" => String::new(),
                Kind::Scalar(s) => s.clone(),
                _ => String::new(),
            }),
            _ => {
                self.problem(
                    n,
                    format!("the expectation of `{figure}` needs one of `value` and `missing`"),
                    "here",
                    "`value: 12.5` (in the figure's unit; percentages in percent), or `missing: \"reason text\"`",
                );
                return None;
            }
        };
        let tolerance = match n.get("tolerance") {
            Some(t) => Some(self.number(t, false)?.abs()),
            None => None,
        };
        let relative = match n.get("relative") {
            Some(t) => Some(self.number(t, true)?.abs()),
            None => None,
        };
        Some(Expectation {
            figure,
            entity,
            total,
            expected,
            tolerance,
            relative,
            span: self.span(n),
            figure_span: self.span(fig),
        })
    }

    /// A total expectation's group, `by: {set: member}` (none: the overall total).
    fn total_by(&mut self, n: &Node) -> Option<Vec<(String, String)>> {
        let mut by = Vec::new();
        if let Some(b) = n.get("by") {
            if !matches!(b.kind, Kind::Map(_)) {
                self.problem(b, "`by` is a mapping", "not a mapping", "such as `by: {org_type: small}`");
                return None;
            }
            for (k, v) in b.entries() {
                by.push((k.text().unwrap_or("").to_string(), self.text(v, "a member")?));
            }
        }
        Some(by)
    }

    /// An exact decimal; `12%` is 12 (or 0.12 when `fraction`), thousands separators and
    /// currency signs allowed.
    fn number(&mut self, n: &Node, fraction: bool) -> Option<Decimal> {
        let text = self.text(n, "a number")?;
        let cleaned: String = text.chars().filter(|c| !matches!(c, ',' | '£' | '$' | '€' | ' ' | '_')).collect();
        let (digits, percent) = match cleaned.strip_suffix('%') {
            Some(d) => (d, true),
            None => (cleaned.as_str(), false),
        };
        match Decimal::from_str(digits).or_else(|_| Decimal::from_scientific(digits)) {
            Ok(d) if percent && fraction => Some(crate::value::format::from_percent(d)),
            Ok(d) => Some(d),
            Err(_) => {
                self.problem(
                    n,
                    format!("`{q}` is not a number", q = crate::diagnostic::quote(&text)),
                    "not a number",
                    "write a decimal such as `12.5`, `1,234.56` or `12%`",
                );
                None
            }
        }
    }
}

pub const EXAMPLE: &str = "a test file looks like:\n\
cases:\n  - name: saving above the average\n    period: 2009/10\n    entities:\n      - {organisation: A1, org_type: small, turnover: 1000, cost: {finance: 30}}\n    expect:\n      - {figure: cost_share[finance], entity: A1, value: 3}";
