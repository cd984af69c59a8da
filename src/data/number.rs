//! Reading numbers from data cells exactly, in their field's unit: a cell is accepted only
//! when it is an unambiguous number in that unit (README, "Accepted number formats"), and
//! read without going through floating point.

use rust_decimal::Decimal;

/// What a number field's cells may carry besides the number: the symbol of the field's
/// unit in front (`£5` in a `GBP` field whose unit says `symbol "£"`), or a percent sign
/// after (`5%`, read as 0.05) in a `percent` or `ratio` field. Never both.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum CellUnit {
    /// Plain numbers only: a unit with no symbol (`count`, `FTE`, `GBP / FTE`).
    #[default]
    Bare,
    /// The unit's symbol, written before the number.
    Symbol(String),
    /// A percentage or ratio: `%` after the number divides it by 100.
    Percent,
}

impl CellUnit {
    /// A unit's declared symbol as cells may write it: `None` when the symbol could be
    /// mistaken for part of a number (digits, signs, brackets, separators, `%`, spaces),
    /// so that such a unit's cells are plain numbers rather than ambiguous ones.
    pub fn symbol(symbol: &str) -> CellUnit {
        let clashes = symbol.is_empty()
            || symbol.chars().any(|c| c.is_ascii_digit() || c.is_whitespace() || "+-\u{2212}().,%".contains(c));
        if clashes {
            CellUnit::Bare
        } else {
            CellUnit::Symbol(symbol.to_string())
        }
    }
}

/// Why a cell is not a number in its field's unit, for the help line of its diagnostic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotANumber {
    /// A currency sign that is not the field's unit's symbol (`€5` in a `£` field).
    Currency,
    /// A percent sign outside a percentage or ratio field (`50%` in a `£` field).
    Percent,
    /// An exponent (`1e3`).
    Exponent,
    /// More than one sign, a sign with brackets (`(-5)`), or a sign after the number (`5-`).
    Signs,
    /// A comma that does not separate groups of three digits before the point (`1,23,4`, `0,5`).
    Separators,
    /// A space inside the number (`1 234`).
    Spaces,
    /// More digits than a 96-bit decimal holds exactly (over 28 decimal places, or a
    /// mantissa of 2^96 or more): refused rather than rounded.
    TooLong,
    /// Anything else (`abc`, `1.2.3`, `--`).
    Malformed,
}

/// Read a cell as a number in its field's unit (see [`CellUnit`] and the README's table of
/// accepted number formats): `12,345.67`, `-3.5`, `£1,185,262` and `-£3.50` or `£-3.50`
/// (in a field whose unit's symbol is `£`), `(12.00)` (negative, as accountants write it),
/// `12.5%` (0.125, in a percentage or ratio field). Surrounding white space is ignored.
/// Digits are accumulated as an integer with a scale, so the result is exact and keeps the
/// places written (`12.50` has two); a negative zero is read as zero.
pub fn read_number(text: &str, unit: &CellUnit) -> Result<Decimal, NotANumber> {
    let cell = text.trim();
    let Some((negative, body)) = shape(cell, unit) else { return Err(why_not(cell, unit)) };
    let (body, percent) = match (unit, body.strip_suffix('%')) {
        (CellUnit::Percent, Some(rest)) => (rest, true),
        _ => (body, false),
    };
    let Some((int, frac)) = digits(body) else { return Err(why_not(cell, unit)) };
    let mut mantissa: i128 = 0;
    for digit in int.chars().chain(frac.chars()).filter_map(|c| c.to_digit(10)) {
        mantissa =
            mantissa.checked_mul(10).and_then(|m| m.checked_add(i128::from(digit))).ok_or(NotANumber::TooLong)?;
    }
    let scale = u32::try_from(frac.len())
        .ok()
        .and_then(|s| s.checked_add(if percent { 2 } else { 0 }))
        .ok_or(NotANumber::TooLong)?;
    if scale > 28 {
        return Err(NotANumber::TooLong);
    }
    let mut value = Decimal::try_from_i128_with_scale(mantissa, scale).map_err(|_| NotANumber::TooLong)?;
    if negative && !value.is_zero() {
        value.set_sign_negative(true);
    }
    Ok(value)
}

/// The cell's sign and the rest (the number, with `%` if any), when the symbol, sign and
/// brackets are where the table allows: `(5)`, `£(5)`, `(£5)`; `-5`, `-£5`, `£-5`, `+5`.
/// A space may follow the symbol (`£ 5`: accountancy formats pad it), nowhere else.
fn shape<'a>(cell: &'a str, unit: &CellUnit) -> Option<(bool, &'a str)> {
    let symbol = match unit {
        CellUnit::Symbol(s) => Some(s.as_str()),
        _ => None,
    };
    let strip_symbol = |s: &'a str| symbol.and_then(|sym| s.strip_prefix(sym)).map(str::trim_start);
    let (outer_symbol, rest) = match strip_symbol(cell) {
        Some(r) => (true, r),
        None => (false, cell),
    };
    if let Some(inner) = rest.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
        // Brackets are the sign: what they hold must be unsigned, which `digits` checks.
        let inner = if outer_symbol { inner } else { strip_symbol(inner).unwrap_or(inner) };
        return Some((true, inner));
    }
    let (first, rest) = sign(cell);
    let (symbol_seen, rest) = match strip_symbol(rest) {
        Some(r) => (true, r),
        None => (false, rest),
    };
    let (second, rest) = if symbol_seen && first.is_none() { sign(rest) } else { (None, rest) };
    Some((first.or(second).unwrap_or(false), rest))
}

/// A leading `-`, `+` or Unicode minus (U+2212): whether it is negative, and the rest.
fn sign(s: &str) -> (Option<bool>, &str) {
    if let Some(r) = s.strip_prefix('-').or_else(|| s.strip_prefix('\u{2212}')) {
        (Some(true), r)
    } else if let Some(r) = s.strip_prefix('+') {
        (Some(false), r)
    } else {
        (None, s)
    }
}

/// The integer and fraction digits of an unsigned number: ASCII digits with at most one
/// point (`12`, `12.5`, `.5`, `12.`), the integer part plain (leading zeros allowed) or in
/// groups of three separated by commas after a first group of one to three digits that does
/// not start with 0 (`1,234`; `0,5` and `1234,567` are other conventions). None otherwise.
fn digits(body: &str) -> Option<(&str, &str)> {
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let int_ok = if int.contains(',') {
        let mut groups = int.split(',');
        let first = groups.next().unwrap_or_default();
        (1..=3).contains(&first.len())
            && !first.starts_with('0')
            && all_digits(first)
            && groups.all(|g| g.len() == 3 && all_digits(g))
    } else {
        all_digits(int)
    };
    (int_ok && all_digits(frac) && !(int.is_empty() && frac.is_empty())).then_some((int, frac))
}

/// The reason a cell that does not have the shape of a number is refused, for the help.
fn why_not(cell: &str, unit: &CellUnit) -> NotANumber {
    let rest = match unit {
        CellUnit::Symbol(s) => cell.replace(s.as_str(), ""),
        _ => cell.to_string(),
    };
    let signs = rest.chars().filter(|c| matches!(c, '-' | '+' | '\u{2212}')).count();
    let chars: Vec<char> = rest.chars().collect();
    let exponent = chars.windows(3).any(|w| match w {
        [a, e, b] => a.is_ascii_digit() && matches!(e, 'e' | 'E') && (b.is_ascii_digit() || "+-".contains(*b)),
        _ => false,
    });
    if rest.chars().any(is_currency_sign) {
        NotANumber::Currency
    } else if rest.contains('%') && *unit != CellUnit::Percent {
        NotANumber::Percent
    } else if exponent {
        NotANumber::Exponent
    } else if signs > 1
        || (signs == 1 && (rest.contains('(') || rest.contains(')')))
        || rest.ends_with(['-', '\u{2212}', '+']) && rest.len() > 1
    {
        NotANumber::Signs
    } else if rest.contains(',') {
        NotANumber::Separators
    } else if rest.chars().any(char::is_whitespace) {
        NotANumber::Spaces
    } else {
        NotANumber::Malformed
    }
}

/// Currency signs (Unicode's currency symbols, and the common ones outside that block).
fn is_currency_sign(c: char) -> bool {
    matches!(
        c,
        '$' | '¢' | '£' | '¤' | '¥' | '\u{20A0}'
            ..='\u{20CF}' | '\u{FE69}' | '\u{FF04}' | '\u{FFE0}' | '\u{FFE1}' | '\u{FFE5}' | '\u{FFE6}'
    )
}

/// A cell of plain digits with at most one point (`1234.5`, `.5`, `12.`), as most numbers in
/// data files are: read without the checks `read_number` makes for signs, separators and
/// spacing, and with the same result. None for anything else, or more than 18 digits.
#[allow(
    clippy::arithmetic_side_effects,
    reason = "at most 18 digits (the guard below): the mantissa stays below 10^18 < i64::MAX, the scale below 19; the hot path of reading numbers"
)]
pub fn plain(bytes: &[u8]) -> Option<Decimal> {
    if bytes.len() > 19 {
        return None;
    }
    let (mut mantissa, mut scale, mut digits, mut point) = (0i64, 0u32, 0, false);
    for &b in bytes {
        match b {
            b'0'..=b'9' if digits < 18 => {
                mantissa = mantissa * 10 + i64::from(b - b'0');
                digits += 1;
                scale += u32::from(point);
            }
            b'.' if !point => point = true,
            _ => return None,
        }
    }
    if digits == 0 {
        return None;
    }
    Decimal::try_new(mantissa, scale).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn num(s: &str) -> Result<Decimal, NotANumber> {
        Ok(Decimal::from_str(s).unwrap())
    }

    fn pounds() -> CellUnit {
        CellUnit::symbol("£")
    }

    #[test]
    fn reads_the_forms_data_files_use() {
        let (bare, gbp, pct) = (CellUnit::Bare, pounds(), CellUnit::Percent);
        assert_eq!(read_number("12345.67", &bare), num("12345.67"));
        assert_eq!(read_number(" 8,524,748 ", &bare), num("8524748"));
        assert_eq!(read_number("£1,185,262", &gbp), num("1185262"));
        assert_eq!(read_number("£ 1,185,262", &gbp), num("1185262"));
        assert_eq!(read_number("-£3.50", &gbp), num("-3.50"));
        assert_eq!(read_number("£-3.50", &gbp), num("-3.50"));
        assert_eq!(read_number("(£12.00)", &gbp), num("-12.00"));
        assert_eq!(read_number("£(12.00)", &gbp), num("-12.00"));
        assert_eq!(read_number("(12.00)", &bare), num("-12.00"));
        assert_eq!(read_number("\u{2212}7", &bare), num("-7"));
        assert_eq!(read_number("+7", &bare), num("7"));
        assert_eq!(read_number("12.5%", &pct), num("0.125"));
        assert_eq!(read_number("(5%)", &pct), num("-0.05"));
        assert_eq!(read_number("0", &bare), num("0"));
        assert_eq!(read_number(".5", &bare), num("0.5"));
        assert_eq!(read_number("5.", &bare), num("5"));
        let zero = read_number("-0.00", &bare).unwrap();
        assert!(!zero.is_sign_negative(), "no negative zero");
    }

    #[test]
    fn refuses_numbers_in_another_unit_or_of_two_readings() {
        let (bare, gbp, pct) = (CellUnit::Bare, pounds(), CellUnit::Percent);
        for (cell, unit, why) in [
            ("€5", &gbp, NotANumber::Currency),
            ("$5", &gbp, NotANumber::Currency),
            ("£5", &bare, NotANumber::Currency),
            ("£5", &pct, NotANumber::Currency),
            ("50%", &gbp, NotANumber::Percent),
            ("£5%", &gbp, NotANumber::Percent),
            ("50%", &bare, NotANumber::Percent),
            ("(-5)", &bare, NotANumber::Signs),
            ("-(5)", &bare, NotANumber::Signs),
            ("(£-5)", &gbp, NotANumber::Signs),
            ("--1", &bare, NotANumber::Signs),
            ("-£-1", &gbp, NotANumber::Signs),
            ("5-", &bare, NotANumber::Signs),
            ("1e3", &bare, NotANumber::Exponent),
            ("1,23,4", &bare, NotANumber::Separators),
            ("1234,567", &bare, NotANumber::Separators),
            ("0,5", &bare, NotANumber::Separators),
            ("1,234.5,0", &bare, NotANumber::Separators),
            ("1 234", &bare, NotANumber::Spaces),
            ("- 5", &bare, NotANumber::Spaces),
            ("5 %", &pct, NotANumber::Spaces),
            ("", &bare, NotANumber::Malformed),
            (".", &bare, NotANumber::Malformed),
            ("1.2.3", &bare, NotANumber::Malformed),
            ("abc", &bare, NotANumber::Malformed),
            ("NaN", &bare, NotANumber::Malformed),
            ("£", &gbp, NotANumber::Malformed),
        ] {
            assert_eq!(read_number(cell, unit), Err(why), "{cell} in {unit:?}");
        }
    }

    #[test]
    fn a_symbol_that_could_be_part_of_a_number_is_not_read_as_one() {
        assert_eq!(CellUnit::symbol("m"), CellUnit::Symbol("m".into()));
        for s in ["", "-", "1", "%", "(", ",", "k m"] {
            assert_eq!(CellUnit::symbol(s), CellUnit::Bare, "{s:?}");
        }
    }

    #[test]
    fn plain_numbers_read_as_the_full_parser_reads_them() {
        for text in ["0", "12", "12345.67", ".5", "12.", "007.250", "999999999999999999", "0.00000000000000001"] {
            let full = read_number(text, &CellUnit::Bare).unwrap();
            // The same digits and scale, not only the same value: `12.50` is shown as written.
            let quick = plain(text.as_bytes()).map(|d| (d.mantissa(), d.scale()));
            assert_eq!(quick, Some((full.mantissa(), full.scale())), "{text}");
        }
        for text in [
            "",
            ".",
            "1.2.3",
            "-1",
            "+1",
            " 1",
            "1 ",
            "1,000",
            "£1",
            "1%",
            "(1)",
            "1e9",
            "9999999999999999999",
            "0.000000000000000001",
        ] {
            assert_eq!(plain(text.as_bytes()), None, "{text}");
        }
    }

    #[test]
    fn huge_and_overprecise_numbers_are_refused_not_rounded() {
        assert_eq!(read_number(&"9".repeat(40), &CellUnit::Bare), Err(NotANumber::TooLong));
        assert_eq!(read_number(&format!("0.{}", "1".repeat(30)), &CellUnit::Bare), Err(NotANumber::TooLong));
        assert_eq!(read_number("0.0000000000000000000000000001%", &CellUnit::Percent), Err(NotANumber::TooLong));
    }
}
