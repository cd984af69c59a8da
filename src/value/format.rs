//! How values are written: exactly for machines (every digit kept), rounded for people
//! (money to the penny with separators), and percentages, which are stored as ratios and
//! shown ×100 by moving the decimal point in the text, so no size of value can overflow.

use super::{approx, Value};
use rust_decimal::Decimal;

/// How a unit is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitOut {
    /// As declared: `GBP`, `percent`, `GBP / FTE`.
    pub name: String,
    /// As read: `£`, `%`, `£ / FTE`.
    pub symbol: String,
    pub percent: bool,
    pub money: bool,
}

/// A value exactly, in its unit's terms: percentages as percent (1.23 for 1.23%), all
/// digits kept, trailing zeros dropped. `None` for a missing value.
///
/// An approximate number is written to its certain places (the true value lies within one
/// unit of the last digit written); say so beside it, as [`is_exact`] tells. One whose
/// units are not even certain is `None`, like a missing value: see [`uncertain_reason`].
pub fn exact(v: &Value, unit: &UnitOut) -> Option<String> {
    match v {
        Value::Num(d) if unit.percent => Some(percent_exact(*d)),
        Value::Num(d) => Some(d.normalize().to_string()),
        Value::Approx(d, b) => {
            let c = approx::certain(*d, *b)?;
            Some(if unit.percent { percent_exact(c) } else { c.normalize().to_string() })
        }
        Value::Missing(_) => None,
        other => Some(other.to_string()),
    }
}

/// Whether [`exact`] writes the value exactly (`false` for an approximate number).
pub fn is_exact(v: &Value) -> bool {
    !v.is_approx()
}

/// Why [`exact`] writes nothing for a number: rounding on the way left no digit certain.
pub const UNCERTAIN: &str = "not even the units are certain after rounding";

/// The number a person is shown, rounded to at most `places`, fewer when fewer are
/// certain; `None` when not even the units are.
fn shown(v: &Value, places: u32) -> Option<(Decimal, u32)> {
    match v {
        Value::Num(d) => Some((d.round_dp(places), places)),
        Value::Approx(d, b) => {
            let p = approx::certain_places(*b)?.min(places);
            Some((d.round_dp(p), p))
        }
        _ => None,
    }
}

/// A value for people: money to the penny with separators, percentages to two places,
/// other numbers to four; missing values with their reason.
pub fn human(v: &Value, unit: &UnitOut) -> String {
    if v.is_approx() && shown(v, 0).is_none() {
        return format!("missing ({UNCERTAIN})");
    }
    match v {
        Value::Num(_) | Value::Approx(..) if unit.money => {
            let (d, p) = shown(v, 2).unwrap_or_default();
            format!("{}{}", unit.symbol, grouped(&d, p))
        }
        Value::Num(_) | Value::Approx(..) if unit.percent => {
            let (d, p) = shown(v, 4).unwrap_or_default();
            format!("{}%", group_digits(&percent_fixed(d, p.saturating_sub(2).min(2))))
        }
        Value::Num(_) | Value::Approx(..) => {
            let (d, _) = shown(v, 4).unwrap_or_default();
            let r = d.normalize();
            let s = grouped(&r, r.scale());
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

/// A ratio as a percentage (0.0123 → 1.23), or `None` when ×100 does not fit a decimal.
/// For arithmetic in percent; to show a percentage use [`percent_exact`] or
/// [`percent_fixed`], which cannot fail.
pub fn to_percent(ratio: Decimal) -> Option<Decimal> {
    ratio.checked_mul(Decimal::ONE_HUNDRED)
}

/// A percentage as a ratio (1.23 → 0.0123): dividing by 100 shrinks a value, so unlike
/// [`to_percent`] it cannot overflow (the last digits of a value at the finest scale are
/// rounded off).
pub fn from_percent(percent: Decimal) -> Decimal {
    percent.checked_div(Decimal::ONE_HUNDRED).unwrap_or_default()
}

/// A ratio written as a percentage with every digit (0.012300 → `1.23`), trailing zeros
/// dropped.
pub fn percent_exact(ratio: Decimal) -> String {
    let (sign, int, frac) = shifted(&ratio.normalize().to_string());
    let frac = frac.trim_end_matches('0');
    if frac.is_empty() {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int}.{frac}")
    }
}

/// A ratio written as a percentage rounded to `places` decimals (0.012345, 2 → `1.23`).
/// Rounding is the decimal type's (half to even), as for every other figure.
pub fn percent_fixed(ratio: Decimal, places: u32) -> String {
    let rounded = ratio.round_dp(places.saturating_add(2).min(28));
    let (sign, int, frac) = shifted(&rounded.to_string());
    let mut frac: String = frac.chars().take(places as usize).collect();
    while frac.len() < places as usize {
        frac.push('0');
    }
    let sign = if int == "0" && frac.bytes().all(|b| b == b'0') { "" } else { sign };
    if frac.is_empty() {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int}.{frac}")
    }
}

/// A decimal's text with the point moved two places right: (sign, whole part without
/// leading zeros, fraction).
fn shifted(text: &str) -> (&'static str, String, String) {
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let mut frac: Vec<char> = frac.chars().collect();
    while frac.len() < 2 {
        frac.push('0');
    }
    let moved: String = frac.iter().take(2).collect();
    let rest: String = frac.iter().skip(2).collect();
    let whole = format!("{int}{moved}");
    let whole = whole.trim_start_matches('0');
    let whole = if whole.is_empty() { "0".to_string() } else { whole.to_string() };
    (sign, whole, rest)
}

/// `1234567.5` with 2 places → `1,234,567.50`.
pub fn grouped(d: &Decimal, places: u32) -> String {
    group_digits(&format!("{:.*}", places as usize, d))
}

/// Thousands separators in the whole part of a written number: `-1234.5` → `-1,234.5`.
pub fn group_digits(text: &str) -> String {
    let (sign, digits) = text.strip_prefix('-').map_or(("", text), |r| ("-", r));
    let (int, frac) = digits.split_once('.').map_or((digits, None), |(i, f)| (i, Some(f)));
    let mut out = String::new();
    // Each digit with the count of digits from it to the end of the whole part.
    for (left, c) in (1..=int.len()).rev().zip(int.chars()) {
        if left < int.len() && left % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{out}.{f}"),
        None => format!("{sign}{out}"),
    }
}

/// Text from the data as a spreadsheet must be given it in a CSV cell: one a spreadsheet
/// would run as a formula (`=`, `+`, `-`, `@`, a tab or a carriage return first) gets a
/// leading `'`, which spreadsheets show as text. Every CSV the tool writes passes the
/// text of data (keys, periods, messages) through this.
pub fn spreadsheet_safe(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{text}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// The plural ending of a count's noun: "1 row", "2 rows".
pub fn plural<N: PartialEq + From<u8>>(n: N) -> &'static str {
    if n == N::from(1) {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn unit(percent: bool, money: bool, symbol: &str) -> UnitOut {
        UnitOut { name: String::new(), symbol: symbol.into(), percent, money }
    }

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn values_for_people_and_for_machines() {
        let n = |s: &str| Value::Num(d(s));
        assert_eq!(human(&n("1234567.555"), &unit(false, true, "£")), "£1,234,567.56");
        assert_eq!(human(&n("-1234.5"), &unit(false, true, "£")), "£-1,234.50");
        assert_eq!(human(&n("0.012345"), &unit(true, false, "%")), "1.23%");
        assert_eq!(human(&n("45123.4567"), &unit(false, false, "£ / FTE")), "45,123.4567 £ / FTE");
        assert_eq!(exact(&n("0.012300"), &unit(true, false, "%")), Some("1.23".into()));
        assert_eq!(exact(&n("100.50"), &unit(false, true, "£")), Some("100.5".into()));
        assert_eq!(exact(&Value::missing("x"), &unit(false, true, "£")), None);
    }

    #[test]
    fn percentages_are_the_ratio_times_a_hundred_exactly() {
        for (ratio, exact) in [
            ("0.0123", "1.23"),
            ("1", "100"),
            ("-0.5", "-50"),
            ("0.001", "0.1"),
            ("-0.00001", "-0.001"),
            ("12.3456789", "1234.56789"),
            ("0", "0"),
        ] {
            assert_eq!(percent_exact(d(ratio)), exact, "{ratio}");
            assert_eq!(d(&percent_exact(d(ratio))), d(ratio) * Decimal::ONE_HUNDRED);
        }
        assert_eq!(percent_fixed(d("0.012345"), 2), "1.23");
        assert_eq!(percent_fixed(d("0.5"), 4), "50.0000");
        assert_eq!(percent_fixed(d("-0.000001"), 2), "0.00");
        assert_eq!(percent_fixed(d("-0.12"), 0), "-12");
    }

    #[test]
    fn a_percentage_too_large_to_multiply_is_still_written_exactly() {
        // 1e27 × 100 does not fit a decimal: the text is shifted instead.
        let huge = Decimal::from_str("1000000000000000000000000000").unwrap();
        assert!(to_percent(huge).is_none());
        assert_eq!(percent_exact(huge), "100000000000000000000000000000");
        assert_eq!(human(&Value::Num(huge), &unit(true, false, "%")), "100,000,000,000,000,000,000,000,000,000.00%");
        assert_eq!(percent_exact(Decimal::MIN), "-7922816251426433759354395033500");
        assert_eq!(
            human(&Value::Num(Decimal::MAX), &unit(true, false, "%")),
            "7,922,816,251,426,433,759,354,395,033,500.00%"
        );
    }

    #[test]
    fn formulas_are_written_as_text() {
        use super::spreadsheet_safe;
        assert_eq!(spreadsheet_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(spreadsheet_safe("-1+2"), "'-1+2");
        assert_eq!(spreadsheet_safe("\tx"), "'\tx");
        assert_eq!(spreadsheet_safe("RX1"), "RX1");
    }
}
