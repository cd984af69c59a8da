//! The number reader against a reference written from the README's table of accepted
//! number formats: thousands of random cells built from digits, separators, signs,
//! brackets, currency and percent signs, spaces and exponents, in each kind of field; both
//! must agree on accepting or refusing each, and on its exact value (digits, places, sign).
//! Then the same reader through the CLI, for `classify` (`eval` is in tests/eval.rs).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::string_slice,
    reason = "test code: failing loudly is the point"
)]

mod common;

use assay::data::number::{read_number, CellUnit};
use regex::Regex;
use rust_decimal::Decimal;

/// The README's table as a reference reader, on the trimmed cell:
/// - digits: ASCII, one optional point, `.5` and `5.` allowed; the integer part plain
///   (leading zeros allowed) or grouped `1,234,567` (first group 1 to 3 digits, not
///   starting with 0; every other group exactly 3); no commas after the point;
/// - negative: one `-` or U+2212 (or `+` for positive) before the number or before the
///   field's symbol, or after the symbol; or accountants' brackets around an unsigned
///   number, the symbol inside or outside them;
/// - the field unit's symbol in front, spaces allowed after it and nowhere else inside;
/// - `%` after the number (inside the brackets) in a percentage field, dividing by 100;
/// - no exponents, no trailing minus, at most 28 places and a mantissa below 2^96.
struct Reference {
    unit: CellUnit,
    bracketed: Regex,
    signed: Regex,
}

impl Reference {
    fn new(unit: CellUnit) -> Reference {
        let num = r"(?P<int>\d+|[1-9]\d{0,2}(?:,\d{3})+)?(?:\.(?P<frac>\d*))?";
        let sym = match &unit {
            CellUnit::Symbol(s) => format!("(?:{}\\s*)", regex::escape(s)),
            _ => "(?:[^\\s\\S])".to_string(), // matches nothing: no symbol in this field
        };
        let pct = if unit == CellUnit::Percent { "(?P<pct>%)?" } else { "" };
        let bracketed =
            Regex::new(&format!(r"^(?:(?P<s1>{sym})\((?P<s2>{sym})?|\((?P<s3>{sym})?){num}{pct}\)$")).unwrap();
        let signed =
            Regex::new(&format!(r"^(?P<sign1>[-+\x{{2212}}])?(?:{sym}(?P<sign2>[-+\x{{2212}}])?)?{num}{pct}$"))
                .unwrap();
        Reference { unit, bracketed, signed }
    }

    fn read(&self, cell: &str) -> Option<Decimal> {
        reference(cell, &self.bracketed, &self.signed)
    }
}

fn reference(cell: &str, bracketed: &Regex, signed: &Regex) -> Option<Decimal> {
    let cell = cell.trim();
    let (caps, negative) = if let Some(c) = bracketed.captures(cell) {
        if c.name("s1").is_some() && c.name("s2").is_some() {
            return None; // two symbols
        }
        (c, true)
    } else if let Some(c) = signed.captures(cell) {
        if c.name("sign1").is_some() && c.name("sign2").is_some() {
            return None; // two signs
        }
        let sign = c.name("sign1").or(c.name("sign2")).map(|m| m.as_str());
        (c, matches!(sign, Some("-" | "\u{2212}")))
    } else {
        return None;
    };
    let int = caps.name("int").map_or("", |m| m.as_str()).replace(',', "");
    let frac = caps.name("frac").map_or("", |m| m.as_str());
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let scale = frac.len() + if caps.name("pct").is_some() { 2 } else { 0 };
    let digits = format!("{int}{frac}");
    let significant = digits.trim_start_matches('0');
    if scale > 28 || significant.len() > 29 {
        return None;
    }
    let mantissa: u128 = if significant.is_empty() { 0 } else { significant.parse().unwrap() };
    if mantissa >= 1u128 << 96 {
        return None;
    }
    let mut value = Decimal::from_i128_with_scale(mantissa as i128, scale as u32);
    value.set_sign_negative(negative && mantissa != 0);
    Some(value)
}

/// xorshift64*: a simple seeded generator, so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// A number's digits: plain or grouped (well or badly), with or without a fraction,
/// sometimes very long, sometimes with an exponent.
fn digits(r: &mut Rng) -> String {
    let run = |r: &mut Rng, n: usize| (0..n).map(|_| char::from(b'0' + r.below(10) as u8)).collect::<String>();
    let mut s = String::new();
    match r.below(6) {
        0 => {}
        1 | 2 => {
            let n = 1 + r.below(5);
            s = run(r, n);
        }
        3 | 4 => {
            let n = 1 + r.below(3);
            s = run(r, n);
            for _ in 0..1 + r.below(3) {
                s.push(',');
                let n = if r.chance(85) { 3 } else { r.below(5) };
                s.push_str(&run(r, n));
            }
        }
        _ => {
            let n = 20 + r.below(16);
            s = run(r, n);
        }
    }
    if r.chance(45) {
        s.push('.');
        let n = if r.chance(10) { 25 + r.below(8) } else { r.below(4) };
        s.push_str(&run(r, n));
        if r.chance(5) {
            s.push_str(",000");
        }
    }
    if r.chance(6) {
        s.push_str(r.pick(&["e3", "E-2", "e+1", "e"]));
    }
    s
}

/// A cell: digits wrapped in signs, symbols, brackets, percent signs and spaces, each
/// present or not, well placed or not; or a short string of the same characters at random.
fn cell(r: &mut Rng) -> String {
    if r.chance(15) {
        let alphabet = ["0", "1", "5", "9", ",", ".", "-", "+", "\u{2212}", "(", ")", "£", "$", "€", "%", " ", "e"];
        return (0..1 + r.below(8)).map(|_| r.pick(&alphabet)).collect();
    }
    let signs = ["-", "+", "\u{2212}", "--", "\u{2013}"];
    let symbols = ["£", "$", "€", "US$", "£ ", "$  "];
    let mut s = String::new();
    let space = |r: &mut Rng, s: &mut String| {
        if r.chance(4) {
            s.push(' ');
        }
    };
    if r.chance(20) {
        s.push_str(r.pick(&[" ", "\t", "\u{a0}"]));
    }
    if r.chance(25) {
        s.push_str(r.pick(&signs));
    }
    space(r, &mut s);
    if r.chance(30) {
        s.push_str(r.pick(&symbols));
    }
    if r.chance(10) {
        s.push_str(r.pick(&signs));
    }
    let bracket = r.chance(20);
    if bracket {
        s.push('(');
    }
    if r.chance(8) {
        s.push_str(r.pick(&symbols));
    }
    if r.chance(6) {
        s.push_str(r.pick(&signs));
    }
    space(r, &mut s);
    let d = digits(r);
    if r.chance(5) && d.len() > 1 {
        // A space inside the digits.
        let at = 1 + r.below(d.len() - 1);
        if d.is_char_boundary(at) {
            s.push_str(&d[..at]);
            s.push(' ');
            s.push_str(&d[at..]);
        }
    } else {
        s.push_str(&d);
    }
    space(r, &mut s);
    if r.chance(25) {
        s.push('%');
    }
    if bracket || r.chance(3) {
        s.push(')');
    }
    if r.chance(5) {
        s.push('-');
    }
    if r.chance(20) {
        s.push(' ');
    }
    s
}

#[test]
fn the_reader_agrees_with_the_readmes_table_on_random_cells() {
    let units =
        [CellUnit::Bare, CellUnit::symbol("£"), CellUnit::symbol("$"), CellUnit::symbol("US$"), CellUnit::Percent]
            .map(Reference::new);
    let mut r = Rng(0x5eed_0023);
    let (mut accepted, mut refused) = (0, 0);
    for case in 0..60_000 {
        let text = cell(&mut r);
        let reference = &units[case % units.len()];
        let (unit, expected) = (&reference.unit, reference.read(&text));
        let got = read_number(&text, unit).ok();
        let same = match (&got, &expected) {
            (Some(g), Some(e)) => g == e && g.scale() == e.scale() && g.is_sign_negative() == e.is_sign_negative(),
            (None, None) => true,
            _ => false,
        };
        assert!(same, "case {case}: {text:?} in {unit:?}: reader {got:?}, table {expected:?}");
        if got.is_some() {
            accepted += 1;
        } else {
            refused += 1;
        }
    }
    // Both outcomes are well exercised, not one of them by accident.
    assert!(accepted > 10_000 && refused > 10_000, "{accepted} accepted, {refused} refused");
}

/// The table's own rows, as the README writes them.
#[test]
fn the_readmes_examples_read_as_it_says() {
    let (bare, gbp, pct) = (CellUnit::Bare, CellUnit::symbol("£"), CellUnit::Percent);
    let ok = |cell: &str, unit: &CellUnit, value: &str| {
        assert_eq!(read_number(cell, unit).ok().map(|d| d.to_string()), Some(value.to_string()), "{cell}");
    };
    ok("1,234,567.89", &bare, "1234567.89");
    ok("1234567.89", &bare, "1234567.89");
    ok("£1,234", &gbp, "1234");
    ok("£ 1,234", &gbp, "1234");
    ok("(1,234)", &bare, "-1234");
    ok("(£1,234)", &gbp, "-1234");
    ok("£(1,234)", &gbp, "-1234");
    ok("-£5", &gbp, "-5");
    ok("£-5", &gbp, "-5");
    ok("\u{2212}5", &bare, "-5");
    ok("+5", &bare, "5");
    ok("12.5%", &pct, "0.125");
    ok("0.125", &pct, "0.125");
    ok(".5", &bare, "0.5");
    ok("5.", &bare, "5");
    ok("007", &bare, "7");
    ok(" 5 ", &bare, "5");
    for (cell, unit) in [
        ("€5", &gbp),
        ("$5", &gbp),
        ("£5", &bare),
        ("50%", &gbp),
        ("£5%", &gbp),
        ("(-5)", &bare),
        ("-(5)", &bare),
        ("--5", &bare),
        ("5-", &bare),
        ("\u{2013}5", &bare),
        ("1,23,4", &bare),
        ("1234,567", &bare),
        ("0,5", &bare),
        ("1.234,5", &bare),
        ("1 234", &bare),
        ("- 5", &bare),
        ("5 %", &pct),
        ("1e3", &bare),
        ("GBP 5", &gbp),
        ("5£", &gbp),
        ("(+5)", &bare),
        (".", &bare),
        ("-", &bare),
        ("NaN", &bare),
        ("inf", &bare),
    ] {
        assert!(read_number(cell, unit).is_err(), "{cell} in {unit:?} is refused");
    }
}

/// `classify` reads its summed and input cells with the same reader: `€24,000.00` in a `£`
/// field is a bad row, not £24,000.
#[test]
fn classify_refuses_a_cell_in_another_currency() {
    let fixture = common::repo().join("tests/fixtures/classify/staff_records_collect");
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixture.join("main.assay"), dir.path().join("main.assay")).unwrap();
    std::fs::create_dir(dir.path().join("data")).unwrap();
    let csv = std::fs::read_to_string(fixture.join("data/staff.csv")).unwrap();
    assert!(csv.contains("\"£24,000.00\""));
    std::fs::write(dir.path().join("data/staff.csv"), csv.replacen("\"£24,000.00\"", "\"€24,000.00\"", 1)).unwrap();
    let args = ["classify", "--rules", "main.assay", "--data", "data", "--table", "staff_pools", "--format", "json"];
    let out = common::assay_in(dir.path(), &args);
    let err = common::stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("data-not-a-number") && err.contains("`€24,000.00`"), "{err}");
    assert!(err.contains("staff.csv:2"), "the cell's line: {err}");
}
