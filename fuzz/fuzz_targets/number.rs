//! The data cell reader (`read_number`) in every kind of number field: plain, with a unit's
//! symbol (the fuzzed first line, as a `unit ... symbol` would declare it), and percentage.
//! It must not panic, and what it accepts must read back: the value's own text gives the
//! same digits and places, with the field's symbol or as a percentage the same value, and
//! a plain number is read alike in every field and by the quick reader of plain cells.
#![no_main]

use assay::data::number::{plain, read_number, CellUnit, NotANumber};
use libfuzzer_sys::fuzz_target;
use rust_decimal::Decimal;

/// The same number written the same way: digits and places, not only the value.
fn same(a: Decimal, b: Decimal) -> bool {
    a == b && a.scale() == b.scale()
}

fn read_back(cell: &str, value: Decimal, unit: &CellUnit) {
    let again = |text: &str, unit: &CellUnit| read_number(text, unit);
    // White space around a cell is not part of it.
    assert_eq!(again(&format!(" \t{cell} "), unit), Ok(value), "{cell:?} padded, in {unit:?}");
    // The value's own text is a plain number, accepted in every field.
    let canonical = value.to_string();
    for u in [&CellUnit::Bare, &CellUnit::Percent, unit] {
        let back = again(&canonical, u);
        assert!(
            back.is_ok_and(|b| same(b, value)),
            "{cell:?} in {unit:?} is {value}; {canonical:?} in {u:?} is {back:?}"
        );
    }
    match unit {
        CellUnit::Symbol(symbol) => {
            let written = format!("{symbol}{canonical}");
            let back = again(&written, unit);
            assert!(back.is_ok_and(|b| same(b, value)), "{cell:?}: {written:?} in {unit:?} is {back:?}");
            if value.is_sign_negative() {
                let bracketed = format!("({symbol}{})", value.abs());
                let back = again(&bracketed, unit);
                assert!(back.is_ok_and(|b| same(b, value)), "{cell:?}: {bracketed:?} in {unit:?} is {back:?}");
            }
        }
        CellUnit::Percent => {
            // As a percentage: the same value (the places differ: `12.5%` has three).
            if let Some(hundredfold) = value.checked_mul(Decimal::ONE_HUNDRED) {
                let written = format!("{}%", hundredfold.normalize());
                match again(&written, unit) {
                    Ok(back) => assert_eq!(back, value, "{cell:?}: {written:?} in {unit:?}"),
                    // Two more places than the value: may be more than a decimal holds.
                    Err(NotANumber::TooLong) => {}
                    Err(why) => panic!("{cell:?} in {unit:?} is {value}, but {written:?} is {why:?}"),
                }
            }
        }
        CellUnit::Bare => {}
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    // The first line is a unit's symbol, the rest the cell; a single line is a cell in `£`.
    let (symbol, cell) = text.split_once('\n').unwrap_or(("£", text));
    let units = [CellUnit::Bare, CellUnit::Percent, CellUnit::symbol(symbol), CellUnit::symbol("£")];
    let bare = read_number(cell, &CellUnit::Bare);
    for unit in &units {
        match read_number(cell, unit) {
            Ok(value) => read_back(cell, value, unit),
            Err(why) => assert!(bare.is_err(), "{cell:?} is {bare:?} plain, but {why:?} in {unit:?}"),
        }
    }
    if let Some(quick) = plain(cell.as_bytes()) {
        assert!(bare.is_ok_and(|b| same(b, quick)), "{cell:?}: plain reads {quick}, read_number {bare:?}");
    }
});
