//! Decision tables: every column padded to its widest cell so the pipes line up, and
//! cells written as the author spelt their literals (`£0`, `25%`, escapes kept).

use super::expr::{is_string, quote};
use super::printer::{Printer, INDENT};
use crate::ast::{Cell, Cite, ClassifyDef, Literal};
use crate::source::Spanned;

enum TableItem<'a> {
    Cite(&'a Spanned<Cite>),
    Header,
    Row(usize),
}

impl Printer<'_> {
    pub fn classify(&mut self, name: &str, c: &ClassifyDef, close: usize) {
        self.push(&format!("classify {name}"));
        if let Some(t) = &c.title {
            self.push(&format!(" {}", self.string(t)));
        }
        self.push(&format!(" on {} hit {} {{", c.dataset.node, c.hit.node.as_str()));

        let header: Vec<String> = c
            .columns
            .iter()
            .map(|col| format!("{}{}", if col.node.output { "=> " } else { "" }, col.node.name.node))
            .collect();
        let rows: Vec<Vec<String>> =
            c.rows.iter().map(|r| r.node.cells.iter().map(|x| self.cell(x)).collect()).collect();
        let mut widths: Vec<usize> = Vec::new();
        for line in std::iter::once(&header).chain(rows.iter()) {
            for (i, cell) in line.iter().enumerate() {
                let w = cell.chars().count();
                match widths.get_mut(i) {
                    Some(existing) => *existing = (*existing).max(w),
                    None => widths.push(w),
                }
            }
        }

        let mut items: Vec<(usize, TableItem<'_>)> =
            c.cites.iter().map(|x| (x.span.start, TableItem::Cite(x))).collect();
        if let Some(first) = c.columns.first() {
            items.push((self.pipe_before(first.span.start), TableItem::Header));
        }
        items.extend(c.rows.iter().enumerate().map(|(i, r)| (r.span.start, TableItem::Row(i))));
        items.sort_by_key(|(pos, _)| *pos);

        let inner = INDENT;
        for (pos, item) in &items {
            self.open_item(inner, *pos);
            match item {
                TableItem::Cite(x) => {
                    let text = match &x.node.locator {
                        Some(l) => format!("cite {} {}", x.node.source.node, self.string(l)),
                        None => format!("cite {}", x.node.source.node),
                    };
                    self.push(&text);
                }
                TableItem::Header => self.push(&table_line(&header, &widths)),
                TableItem::Row(i) => {
                    let row = rows.get(*i).map_or_else(String::new, |cells| table_line(cells, &widths));
                    self.push(&row);
                }
            }
        }
        self.close_block(0, close);
    }

    /// The `|` that opens the header row, found back from its first cell.
    fn pipe_before(&self, pos: usize) -> usize {
        let before = self.src.get(..pos).unwrap_or("").trim_end();
        if before.ends_with('|') {
            before.len().saturating_sub(1)
        } else {
            pos
        }
    }

    /// A cell in its canonical spacing, literals as written where they can be read back.
    pub fn cell(&self, cell: &Spanned<Cell>) -> String {
        let source = self.src.get(cell.span.start..cell.span.end).unwrap_or("");
        let tokens = cell_tokens(source);
        let lits = tokens.as_ref().map(|t| t.iter().filter(|x| is_literal_token(x)).cloned().collect::<Vec<_>>());
        let lit = |i: usize, fallback: &Literal| -> String {
            lits.as_ref().and_then(|l| l.get(i).cloned()).unwrap_or_else(|| literal(fallback))
        };
        let counts_match = |n: usize| lits.as_ref().is_some_and(|l| l.len() == n);
        match &cell.node {
            Cell::Any => "*".to_string(),
            Cell::Starts(s) => {
                format!("starts {}", if counts_match(1) { lit(0, &Literal::Text(s.clone())) } else { quote(s) })
            }
            Cell::Regex(s) => {
                format!("matches {}", if counts_match(1) { lit(0, &Literal::Text(s.clone())) } else { quote(s) })
            }
            Cell::Range(a, b) => {
                if counts_match(2) {
                    format!("{}..{}", lit(0, a), lit(1, b))
                } else {
                    format!("{}..{}", literal(a), literal(b))
                }
            }
            Cell::Compare(op, v) => {
                format!("{} {}", op.as_str(), if counts_match(1) { lit(0, v) } else { literal(v) })
            }
            Cell::Set(values) => {
                let ok = counts_match(values.len());
                let parts: Vec<String> =
                    values.iter().enumerate().map(|(i, v)| if ok { lit(i, v) } else { literal(v) }).collect();
                format!("{{{}}}", parts.join(", "))
            }
            Cell::Exact(v) => {
                if counts_match(1) {
                    lit(0, v)
                } else {
                    literal(v)
                }
            }
        }
    }
}

fn table_line(cells: &[String], widths: &[usize]) -> String {
    let mut out = String::from("|");
    for (i, cell) in cells.iter().enumerate() {
        let width = widths.get(i).copied().unwrap_or(0);
        let pad = width.saturating_sub(cell.chars().count());
        out.push(' ');
        out.push_str(cell);
        out.push_str(&" ".repeat(pad));
        out.push_str(" |");
    }
    out
}

/// A literal from its value, when its spelling cannot be recovered.
fn literal(l: &Literal) -> String {
    match l {
        Literal::Text(t) => quote(t),
        Literal::Word(w) => w.clone(),
        Literal::Number(n) => n.to_string(),
        Literal::Date(d) => d.to_string(),
    }
}

const KEYWORDS: &[&str] = &["starts", "matches", "*", "..", "{", "}", ",", "<", "<=", ">", ">="];

fn is_literal_token(t: &str) -> bool {
    !KEYWORDS.contains(&t)
}

/// The tokens of a cell's text, or `None` when it holds something unexpected (a comment).
fn cell_tokens(text: &str) -> Option<Vec<String>> {
    let mut tokens = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        if rest.starts_with('#') {
            return None;
        }
        let len = if rest.starts_with('"') {
            let mut escaped = false;
            let mut end = None;
            for (i, c) in rest.char_indices().skip(1) {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == '"' {
                    end = Some(i.saturating_add(1));
                    break;
                }
            }
            end?
        } else if rest.starts_with("..") || rest.starts_with("<=") || rest.starts_with(">=") {
            2
        } else if rest.starts_with(['{', '}', ',', '<', '>', '*']) {
            1
        } else {
            rest.find(|c: char| c.is_whitespace() || "{},\"#".contains(c) || c == '<' || c == '>')
                .map_or(rest.len(), |end| rest.get(..end).and_then(|w| w.find("..")).unwrap_or(end))
                .max(1)
        };
        let (token, tail) = rest.split_at_checked(len)?;
        if token.starts_with('"') && !is_string(token) {
            return None;
        }
        tokens.push(token.to_string());
        rest = tail.trim_start();
    }
    Some(tokens)
}
