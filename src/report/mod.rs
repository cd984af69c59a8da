//! Stage 5, reporting: results as a human table, JSON, CSV or Markdown.

mod json;
mod table;

use crate::eval::run::{Results, UnitOut};
use crate::eval::value::Value;
use rust_decimal::Decimal;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Tables for people: methodology totals side by side, selected figures by entity.
    Table,
    /// Every figure as a record, with the stamp of rules and data (documented in the README).
    Json,
    /// Every figure and total as a CSV row.
    Csv,
    /// The tables as Markdown, for reports and pull requests.
    Markdown,
}

pub fn render(results: &Results, format: Format) -> String {
    match format {
        Format::Table => table::render(results, false),
        Format::Markdown => table::render(results, true),
        Format::Json => json::render(results),
        Format::Csv => json::render_csv(results),
    }
}

/// A value exactly, in its unit's terms: percentages as percent (1.23 for 1.23%), all
/// digits kept, trailing zeros dropped. `None` for a missing value.
pub fn exact(v: &Value, unit: &UnitOut) -> Option<String> {
    match v {
        Value::Num(d) => {
            let shown = if unit.percent { d.checked_mul(Decimal::ONE_HUNDRED).unwrap_or(*d) } else { *d };
            Some(shown.normalize().to_string())
        }
        Value::Missing(_) => None,
        other => Some(other.to_string()),
    }
}

/// A value for people: money to the penny with separators, percentages to two places,
/// other numbers to four; missing values with their reason.
pub fn human(v: &Value, unit: &UnitOut) -> String {
    match v {
        Value::Num(d) if unit.money => format!("{}{}", money_sign(unit), grouped(&d.round_dp(2), 2)),
        Value::Num(d) if unit.percent => format!("{}%", grouped(&(d * Decimal::ONE_HUNDRED).round_dp(2), 2)),
        Value::Num(d) => {
            let r = d.round_dp(4).normalize();
            let places = r.scale();
            let s = grouped(&r, places);
            if unit.symbol == "ratio" || unit.symbol.is_empty() {
                s
            } else {
                format!("{s} {}", unit.symbol)
            }
        }
        Value::Missing(r) => format!("missing ({r})"),
        other => other.to_string(),
    }
}

fn money_sign(unit: &UnitOut) -> &str {
    &unit.symbol
}

/// `1234567.5` with 2 places → `1,234,567.50`.
fn grouped(d: &Decimal, places: u32) -> String {
    let s = format!("{:.*}", places as usize, d);
    let (sign, digits) = s.strip_prefix('-').map_or(("", s.as_str()), |r| ("-", r));
    let (int, frac) = digits.split_once('.').map_or((digits, None), |(i, f)| (i, Some(f)));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{out}.{f}"),
        None => format!("{sign}{out}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn unit(percent: bool, money: bool, symbol: &str) -> UnitOut {
        UnitOut { name: String::new(), symbol: symbol.into(), percent, money }
    }

    #[test]
    fn values_for_people_and_for_machines() {
        let d = |s: &str| Value::Num(Decimal::from_str(s).unwrap());
        assert_eq!(human(&d("1234567.555"), &unit(false, true, "£")), "£1,234,567.56");
        assert_eq!(human(&d("-1234.5"), &unit(false, true, "£")), "£-1,234.50");
        assert_eq!(human(&d("0.012345"), &unit(true, false, "%")), "1.23%");
        assert_eq!(human(&d("45123.4567"), &unit(false, false, "£ / FTE")), "45,123.4567 £ / FTE");
        assert_eq!(exact(&d("0.012300"), &unit(true, false, "%")), Some("1.23".into()));
        assert_eq!(exact(&d("100.50"), &unit(false, true, "£")), Some("100.5".into()));
        assert_eq!(exact(&Value::missing("x"), &unit(false, true, "£")), None);
    }
}
