//! One cell: its text turned into a typed value, or a problem with a diagnostic that
//! underlines the cell in its file.

use super::number::{read_number, CellUnit, NotANumber};
use super::{CellLocator, DatasetSpec, FieldKind, FieldSpec, FilePart, LoadContext, RowProblem};
use crate::ast::Date;
use crate::check::suggest;
use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::source::Span;
use crate::value::Value;

#[derive(Debug, Clone, PartialEq)]
pub enum CellProblem {
    NotANumber {
        text: String,
        header: String,
        /// What the column's cells may carry, and why this one was refused.
        unit: CellUnit,
        why: NotANumber,
    },
    /// A YAML value that is a mapping or a list where one value (a scalar) belongs.
    NotAScalar {
        shape: &'static str,
        header: String,
    },
    NotInSet {
        text: String,
        header: String,
        set: String,
        suggestion: Option<String>,
    },
    BadDate {
        text: String,
        header: String,
    },
    MissingKey {
        header: String,
    },
    /// A row with another number of fields than the header.
    RowShape {
        fields: usize,
        header_fields: usize,
    },
}

impl CellProblem {
    pub fn code(&self) -> Code {
        match self {
            CellProblem::NotANumber { .. } => Code::DataNotANumber,
            CellProblem::NotAScalar { .. } => Code::DataNotAValue,
            CellProblem::NotInSet { .. } => Code::DataNotInSet,
            CellProblem::BadDate { .. } => Code::DataBadDate,
            CellProblem::MissingKey { .. } => Code::DataMissingKey,
            CellProblem::RowShape { .. } => Code::DataUnreadable,
        }
    }
}

/// A problem in a few words, for summaries.
pub fn describe(p: &CellProblem) -> String {
    match p {
        CellProblem::NotANumber { text, header, .. } => {
            format!("`{q}` in column `{header}` is not a number", q = crate::diagnostic::quote(text))
        }
        CellProblem::NotAScalar { shape, header } => format!("column `{header}` holds {shape}, not a value"),
        CellProblem::NotInSet { text, header, set, .. } => {
            format!("`{q}` in column `{header}` is not a member of `{set}`", q = crate::diagnostic::quote(text))
        }
        CellProblem::BadDate { text, header } => {
            format!("`{q}` in column `{header}` is not a date", q = crate::diagnostic::quote(text))
        }
        CellProblem::MissingKey { header } => format!("the key column `{header}` is blank"),
        CellProblem::RowShape { fields, header_fields } => {
            format!("a row has {fields} fields where the header has {header_fields}")
        }
    }
}

/// Reasons shared by every missing cell of a load, so no cell allocates its own.
#[derive(Debug, Clone)]
pub struct MissingValues {
    pub blank: Value,
    pub markers: Vec<(String, Value)>,
    pub no_column: Value,
    /// Whether a marker is itself a plain number (`missing "999"`), so that a plain
    /// number cell must be checked against the markers before it is read.
    pub plain_marker: bool,
}

impl MissingValues {
    pub fn new(spec: &DatasetSpec) -> MissingValues {
        MissingValues {
            blank: Value::missing("blank in data"),
            markers: spec.missing.iter().map(|m| (m.clone(), Value::missing(format!("\"{m}\" in data")))).collect(),
            no_column: Value::missing("column not in file"),
            plain_marker: spec.missing.iter().any(|m| super::number::plain(m.trim().as_bytes()).is_some()),
        }
    }

    /// The missing value this text stands for, if it is blank or a declared marker.
    pub fn of(&self, text: &str) -> Option<&Value> {
        let t = text.trim();
        if t.is_empty() {
            return Some(&self.blank);
        }
        self.markers.iter().find(|(m, _)| m.eq_ignore_ascii_case(t)).map(|(_, v)| v)
    }
}

/// Convert a cell's text to a value of the field's kind (a number in the field's unit).
pub fn convert(field: &FieldSpec, text: &str, header: &str, missing: &MissingValues) -> Result<Value, CellProblem> {
    if let Some(m) = missing.of(text) {
        return Ok(m.clone());
    }
    let kind = &field.kind;
    match kind {
        FieldKind::Number => match read_number(text, &field.unit) {
            Ok(d) => Ok(Value::Num(d)),
            Err(why) => Err(CellProblem::NotANumber {
                text: text.trim().to_string(),
                header: header.to_string(),
                unit: field.unit.clone(),
                why,
            }),
        },
        FieldKind::Text => Ok(Value::Text(text.trim().into())),
        FieldKind::Date => parse_date(text.trim())
            .map(Value::Date)
            .ok_or_else(|| CellProblem::BadDate { text: text.trim().to_string(), header: header.to_string() }),
        FieldKind::Member { set, lookup, spellings, .. } => {
            let t = text.trim();
            match kind.member(t) {
                Some(name) => Ok(Value::Member(name.clone())),
                None => Err(CellProblem::NotInSet {
                    text: t.to_string(),
                    header: header.to_string(),
                    set: set.clone(),
                    // Suggest a spelling as the rules write it, not lowercased.
                    suggestion: suggest::did_you_mean(&t.to_lowercase(), lookup.keys().map(String::as_str))
                        .map(|s| spellings.get(s).cloned().unwrap_or_else(|| s.to_string())),
                }),
            }
        }
    }
}

/// Does an `exclude` rule leave out a row whose cell in its column reads `text`? The cell is
/// read as the rule compares it: as a number in the unit of the field that reads that
/// column (plain otherwise) when the rule compares with a number, as a date when with a
/// date, else as text. A blank or missing marker matches only `*`. A cell that is not a
/// value of that kind is refused, as a bad cell of the row, never compared as text (where
/// `30/09/2016` would sort after 2016-10-01 and `1,500` match no number).
pub fn excludes(
    spec: &DatasetSpec,
    rule: &super::spec::Exclusion,
    text: &str,
    missing: &MissingValues,
) -> Result<bool, CellProblem> {
    use crate::ast::{Cell, Literal};
    use crate::table::Value as Cell_;
    let (header, cell, regex) = rule;
    let literal = match cell {
        Cell::Exact(l) | Cell::Range(l, _) | Cell::Compare(_, l) => Some(l),
        Cell::Set(ls) => ls.first(),
        Cell::Any | Cell::Starts(_) | Cell::Regex(_) => None,
    };
    let t = text.trim();
    let value = match literal {
        Some(_) if missing.of(t).is_some() => Cell_::Missing,
        Some(Literal::Number(_)) => {
            let unit = spec
                .fields
                .iter()
                .find(|f| &f.column == header || f.alternatives.contains(header))
                .map_or(CellUnit::Bare, |f| f.unit.clone());
            match read_number(t, &unit) {
                Ok(d) => Cell_::Number(d),
                Err(why) => {
                    return Err(CellProblem::NotANumber { text: t.to_string(), header: header.clone(), unit, why })
                }
            }
        }
        Some(Literal::Date(_)) => match parse_date(t) {
            Some(d) => Cell_::Date(d),
            None => return Err(CellProblem::BadDate { text: t.to_string(), header: header.clone() }),
        },
        _ => Cell_::Text(t.to_string()),
    };
    Ok(crate::table::matches(cell, regex.as_ref(), &value))
}

/// `2010-03-31` or `31/03/2010`.
pub fn parse_date(text: &str) -> Option<Date> {
    let parts: Vec<&str> = text.split(['-', '/']).collect();
    let (y, m, d) = match parts.as_slice() {
        [y, m, d] if y.len() == 4 => (*y, *m, *d),
        [d, m, y] if y.len() == 4 => (*y, *m, *d),
        _ => return None,
    };
    Date::new(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

/// The diagnostic for a bad cell: the row shown, the cell underlined, `file:row:column`.
pub fn diagnostic(p: &RowProblem, part: &FilePart, spec: &DatasetSpec, ctx: &mut LoadContext<'_>) -> Diagnostic {
    let origin = part.origins.get(p.row).copied();
    let file = &part.file;
    let column_number = p.column.map_or(0, |c| c.saturating_add(1));
    // A YAML value is placed by its own line and column: a record spans several lines,
    // and its keys have no column numbers.
    let value_at = match (&part.locate, p.column, file.source) {
        (CellLocator::Spans(spans), Some(c), Some(source)) => spans.get(&(p.row, c)).and_then(|(start, _)| {
            let text = ctx.sources.get(source)?.text.clone();
            let before = text.get(..*start)?;
            let line_start = before.rfind('\n').map_or(0, |n| n.saturating_add(1));
            Some((
                before.matches('\n').count().saturating_add(1),
                before.get(line_start..)?.chars().count().saturating_add(1),
            ))
        }),
        _ => None,
    };
    let place = match (origin, &file.sheet, p.column, value_at) {
        (Some(_), None, Some(_), Some((line, column))) => format!("{}:{line}:{column}", file.display),
        (Some(o), Some(sheet), Some(_), _) => {
            format!("{} [{sheet}] row {}, column {}", file.display, o.line, column_letters(column_number))
        }
        (Some(o), Some(sheet), None, _) => format!("{} [{sheet}] row {}", file.display, o.line),
        (Some(o), None, Some(_), _) => format!("{}:{}:{}", file.display, o.line, column_number),
        (Some(o), None, None, _) => format!("{}:{}", file.display, o.line),
        (None, _, _, _) => file.display.clone(),
    };
    let (message, label, help) = match &p.problem {
        CellProblem::NotANumber { text, header, unit, why } => (
            format!("`{q}` is not a number ({place})", q = crate::diagnostic::quote(text)),
            match unit {
                CellUnit::Bare => format!("column `{header}` holds numbers"),
                CellUnit::Symbol(s) => format!("column `{header}` holds amounts in `{s}`"),
                CellUnit::Percent => format!("column `{header}` holds percentages or ratios"),
            },
            number_help(unit, *why),
        ),
        CellProblem::NotAScalar { shape, header } => (
            format!("column `{header}` holds {shape}, not a value ({place})"),
            format!("{shape} where one value belongs"),
            "write the value itself (`Turnover: 1000`), or leave it blank for a missing value".to_string(),
        ),
        CellProblem::NotInSet { text, header, set, suggestion } => (
            format!("`{q}` is not a member of `{set}` ({place})", q = crate::diagnostic::quote(text)),
            format!("column `{header}` holds members of `{set}`"),
            match suggestion {
                Some(s) => format!(
                    "did you mean `{s}`? Or add the spelling to the set with `also \"{q}\"`",
                    q = crate::diagnostic::quote(text)
                ),
                None => format!(
                    "add it to `set {set}`, or as another spelling of a member with `also \"{q}\"`",
                    q = crate::diagnostic::quote(text)
                ),
            },
        ),
        CellProblem::BadDate { text, header } => (
            format!("`{q}` is not a date ({place})", q = crate::diagnostic::quote(text)),
            format!("column `{header}` holds dates"),
            "write real dates as YYYY-MM-DD or DD/MM/YYYY (31/02/2010, for one, does not exist)".to_string(),
        ),
        CellProblem::MissingKey { header } => (
            format!("a row without a key ({place})"),
            format!("key column `{header}` is blank"),
            format!("every row of dataset `{}` needs its entity key", spec.name),
        ),
        CellProblem::RowShape { fields, header_fields } => (
            format!("a row has {fields} fields where the header has {header_fields} ({place})"),
            "this row".to_string(),
            "check for a missing or extra delimiter, or an unquoted delimiter inside a value".to_string(),
        ),
    };
    let mut d = Diagnostic::new(p.problem.code(), message).help(help);
    if let (Some(o), Some(source), None) = (origin, file.source, p.column) {
        let text = ctx.sources.get(source).map(|s| s.text.clone()).unwrap_or_default();
        let end = text.get(o.offset..).and_then(|r| r.find('\n')).map_or(text.len(), |n| o.offset.saturating_add(n));
        d = d.primary(Span::new(source, o.offset, end.max(o.offset)), label.clone());
    }
    if let (Some(o), Some(source)) = (origin, file.source) {
        let span = p.column.and_then(|c| match &part.locate {
            CellLocator::Delimited(delim) => {
                let text = ctx.sources.get(source)?.text.clone();
                super::delimited_field(&text, o.offset, c, *delim)
            }
            CellLocator::Spans(spans) => spans.get(&(p.row, c)).copied(),
        });
        if let Some((s, e)) = span {
            d = d.primary(Span::new(source, s, e.max(s)), label);
        }
    }
    d
}

/// What to write instead of a cell refused as a number, by the reason it was refused.
fn number_help(unit: &CellUnit, why: NotANumber) -> String {
    match (why, unit) {
        (NotANumber::Currency, CellUnit::Symbol(s)) => {
            format!("only amounts in `{s}` are read here: convert other currencies before loading")
        }
        (NotANumber::Currency, _) => "this column's unit has no currency symbol: write the number alone".to_string(),
        (NotANumber::Percent, _) => {
            "a percent sign is read only in a `percent` or `ratio` field: write the amount itself".to_string()
        }
        (NotANumber::Exponent, _) => "exponents (`1e3`) are not read: write the number out in full".to_string(),
        (NotANumber::Signs, _) => {
            "write a negative number with one sign in front (`-5`) or in brackets without a sign (`(5)`)".to_string()
        }
        (NotANumber::Separators, _) => {
            "commas separate thousands in groups of three before the point (`1,234.5`); the decimal point is `.`"
                .to_string()
        }
        (NotANumber::Spaces, _) => {
            "spaces may surround the cell or follow the currency symbol, not split the number".to_string()
        }
        (NotANumber::TooLong, _) => {
            "numbers are read exactly, to 28 decimal places and 28 significant digits; longer ones are refused rather than rounded".to_string()
        }
        (NotANumber::Malformed, _) => {
            "numbers may use thousands separators (`1,234.5`), a sign or brackets for negatives, the unit's symbol and, for percentages, `%`; declare markers such as `missing \"n/a\"` for cells that mean no value".to_string()
        }
    }
}

/// Spreadsheet column letters: 1 → A, 27 → AA.
pub fn column_letters(mut n: usize) -> String {
    let mut out = Vec::new();
    // Bijective base 26: n - 1 picks the last letter, (n - 1) / 26 the letters before it.
    while let Some(m) = n.checked_sub(1) {
        if let Some(letter) = (b'A'..=b'Z').nth(m % 26) {
            out.push(char::from(letter));
        }
        n = m / 26;
    }
    out.iter().rev().collect()
}
