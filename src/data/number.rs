//! Reading numbers from data cells exactly: thousands separators, currency signs,
//! quotes and percentages, without going through floating point.

use rust_decimal::Decimal;

/// What a cell's text says as a number.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    Number(Decimal),
    /// Not a number: the caller reports it.
    Invalid,
}

/// A cell of plain digits with at most one point (`1234.5`, `.5`, `12.`), as most numbers in
/// data files are: read without the checks `parse_decimal` makes for signs, separators and
/// spacing, and with the same result. None for anything else, or more than 18 digits.
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

/// Parse a decimal such as `12,345.67`, `£1,185,262`, `-3.5`, `(12.00)` (negative, as
/// accountants write it) or `12.5%` (0.125). Digits are accumulated as an integer with a
/// scale, so no precision is lost and no float is involved.
pub fn parse_decimal(text: &str) -> Parsed {
    let mut s = text.trim();
    let mut negative = false;
    if let Some(inner) = s.strip_prefix('(').and_then(|x| x.strip_suffix(')')) {
        negative = true;
        s = inner.trim();
    }
    if let Some(rest) = s.strip_prefix('-') {
        negative = !negative;
        s = rest.trim_start();
    } else if let Some(rest) = s.strip_prefix('+') {
        s = rest.trim_start();
    }
    let mut currency = false;
    for sign in ["£", "$", "€"] {
        if let Some(rest) = s.strip_prefix(sign) {
            s = rest.trim_start();
            currency = true;
        }
    }
    // `£-3.50`: a minus after the currency sign (only there, and only once).
    if let (true, false, Some(rest)) = (currency, negative, s.strip_prefix('-')) {
        negative = true;
        s = rest;
    }
    let (s, percent) = match s.strip_suffix('%') {
        Some(rest) => (rest.trim_end(), true),
        None => (s, false),
    };
    let mut mantissa: i128 = 0;
    let mut scale: u32 = 0;
    let mut seen_digit = false;
    let mut seen_point = false;
    let mut digits_since_comma: Option<u32> = None;
    for b in s.bytes() {
        match b {
            b'0'..=b'9' => {
                if mantissa > (i128::MAX - 9) / 10 {
                    return Parsed::Invalid;
                }
                mantissa = mantissa * 10 + i128::from(b - b'0');
                seen_digit = true;
                if seen_point {
                    scale += 1;
                }
                if let Some(n) = digits_since_comma.as_mut() {
                    *n += 1;
                }
            }
            // A thousands separator: only between groups of three digits before the point.
            b',' if seen_digit && !seen_point && digits_since_comma.is_none_or(|n| n == 3) => {
                digits_since_comma = Some(0);
            }
            b'.' if !seen_point && digits_since_comma.is_none_or(|n| n == 3) => {
                seen_point = true;
                digits_since_comma = None;
            }
            _ => return Parsed::Invalid,
        }
    }
    if !seen_digit || digits_since_comma.is_some_and(|n| n != 3) {
        return Parsed::Invalid;
    }
    if percent {
        scale += 2;
    }
    if scale > 28 {
        return Parsed::Invalid;
    }
    let Ok(mut value) = Decimal::try_from_i128_with_scale(mantissa, scale) else {
        return Parsed::Invalid;
    };
    if negative {
        value.set_sign_negative(true);
    }
    Parsed::Number(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn num(s: &str) -> Parsed {
        Parsed::Number(Decimal::from_str(s).unwrap())
    }

    #[test]
    fn reads_the_forms_data_files_use() {
        assert_eq!(parse_decimal("12345.67"), num("12345.67"));
        assert_eq!(parse_decimal(" 8,524,748 "), num("8524748"));
        assert_eq!(parse_decimal("£1,185,262"), num("1185262"));
        assert_eq!(parse_decimal("-£3.50"), num("-3.50"));
        assert_eq!(parse_decimal("£-3.50"), num("-3.50"));
        assert_eq!(parse_decimal("(12.00)"), num("-12.00"));
        assert_eq!(parse_decimal("12.5%"), num("0.125"));
        assert_eq!(parse_decimal("0"), num("0"));
        assert_eq!(parse_decimal(".5"), num("0.5"));
    }

    #[test]
    fn plain_numbers_read_as_the_full_parser_reads_them() {
        for text in ["0", "12", "12345.67", ".5", "12.", "007.250", "999999999999999999", "0.00000000000000001"] {
            let Parsed::Number(full) = parse_decimal(text) else { panic!("{text} is a number") };
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
    fn refuses_what_is_not_a_number() {
        for bad in ["", "12,3x4", "12,34", "1,2345", "1.2.3", "abc", "£", "12 34", "1,000.5,0", "--1", "1e9", "NaN"] {
            assert_eq!(parse_decimal(bad), Parsed::Invalid, "{bad}");
        }
    }

    #[test]
    fn huge_and_overprecise_numbers_are_refused_not_rounded() {
        assert_eq!(parse_decimal(&"9".repeat(40)), Parsed::Invalid);
        assert_eq!(parse_decimal(&format!("0.{}", "1".repeat(30))), Parsed::Invalid);
    }
}
