//! `classify --records`: every record as a CSV line with its key, the table's inputs and
//! the amounts as read, and how it was classified: the output values, the table row(s)
//! that gave them and each row's place in the rule file; or `unclassified`, `excluded` or
//! `skipped`. Chunks render their own lines, which are written in file order, so memory
//! stays that of a few chunks.

use rust_decimal::Decimal;
use std::borrow::Cow;
use std::fmt::Write as _;

/// What a line says of a record, after the line number, key, period, inputs and sums.
const STATUS: [&str; 3] = ["status", "rows", "rules"];

/// The header: `line`, the entity and period columns, the table's inputs (those not
/// summed: a summed input is shown once, as the number summed), the summed fields,
/// `status`, `rows`, `rules`, then the table's outputs.
pub fn header(entity: &str, period: &str, inputs: &[String], sums: &[String], outputs: &[String]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let fields = ["line", entity, period]
        .into_iter()
        .chain(inputs.iter().filter(|i| !sums.contains(i)).map(String::as_str))
        .chain(sums.iter().map(String::as_str))
        .chain(STATUS)
        .chain(outputs.iter().map(String::as_str));
    let _ = w.write_record(fields);
    w.into_inner().unwrap_or_default()
}

/// What the lines say of the table, made once for the run: each row's number (from 1)
/// and place in the rule file (`rules/tables/t.assay:12`), and each output tuple's values
/// as a spreadsheet must be given them.
pub struct TableText {
    numbers: Vec<String>,
    places: Vec<String>,
    outputs: Vec<Vec<String>>,
    /// How many amounts and outputs a line has.
    sums: usize,
    width: usize,
}

impl TableText {
    pub fn new(places: Vec<String>, groups: &[Vec<String>], (sums, width): (usize, usize)) -> TableText {
        let guard = |o: &String| crate::value::format::spreadsheet_safe(o).into_owned();
        TableText {
            numbers: (1..=places.len()).map(|n| n.to_string()).collect(),
            places,
            outputs: groups.iter().map(|g| g.iter().map(guard).collect()).collect(),
            sums,
            width,
        }
    }
}

/// One chunk's lines, rendered as its records are classified.
pub struct Lines<'t> {
    out: csv::Writer<Vec<u8>>,
    table: &'t TableText,
    /// Numbers written for the current line.
    number: String,
}

/// One record as the lines show it: where it is, its key and period, the cells of the
/// table's inputs and its summed amounts.
pub struct Shown<'r> {
    pub line: usize,
    pub entity: &'r [u8],
    pub period: &'r [u8],
    pub inputs: &'r [Cow<'r, [u8]>],
    /// The amounts summed, and which were blank in the data (written blank, though they
    /// add nothing); none for a record left out of the sums.
    pub sums: Option<(&'r [Decimal], &'r [bool])>,
}

impl<'t> Lines<'t> {
    /// Lines for a chunk of `bytes` bytes of records: sized for them at once (a line is
    /// about two and a half times its record), rather than grown by doubling, which held
    /// up to twice their size per chunk in flight.
    pub fn new(table: &'t TableText, bytes: usize) -> Lines<'t> {
        let buffer = Vec::with_capacity(bytes.saturating_mul(3));
        Lines { out: csv::WriterBuilder::new().has_headers(false).from_writer(buffer), table, number: String::new() }
    }

    /// A record left out of the sums (`excluded`, `skipped`), or one no row matched
    /// (`unclassified`, summed): one line, its outputs blank.
    pub fn unmatched(&mut self, record: &Shown<'_>, status: &str) {
        self.start(record);
        for f in [status, "", ""] {
            let _ = self.out.write_field(f);
        }
        for _ in 0..self.table.width {
            let _ = self.out.write_field("");
        }
        let _ = self.out.write_record(None::<&[u8]>);
    }

    /// A record the table classified: a line for the output tuple `group` it fell in, with
    /// the rows that gave it (in table order).
    pub fn classified(&mut self, record: &Shown<'_>, group: usize, rows: &[u32]) {
        self.start(record);
        let _ = self.out.write_field("classified");
        let table = self.table;
        let pick = |texts: &'t [String], r: &u32| texts.get(*r as usize).map_or("", String::as_str);
        match rows {
            [one] => {
                let _ = self.out.write_field(pick(&table.numbers, one));
                let _ = self.out.write_field(pick(&table.places, one));
            }
            _ => {
                let numbers: Vec<&str> = rows.iter().map(|r| pick(&table.numbers, r)).collect();
                let places: Vec<&str> = rows.iter().map(|r| pick(&table.places, r)).collect();
                let _ = self.out.write_field(numbers.join(" "));
                let _ = self.out.write_field(places.join(" "));
            }
        }
        for o in table.outputs.get(group).map_or(&[][..], Vec::as_slice) {
            let _ = self.out.write_field(o);
        }
        let _ = self.out.write_record(None::<&[u8]>);
    }

    /// The fields every line of a record starts with; text from the data guarded so that
    /// a spreadsheet shows it as text, amounts as the exact numbers read.
    fn start(&mut self, record: &Shown<'_>) {
        self.number.clear();
        let _ = write!(self.number, "{}", record.line);
        let _ = self.out.write_field(&self.number);
        for text in [record.entity, record.period].into_iter().chain(record.inputs.iter().map(|c| &**c)) {
            let _ = self.out.write_field(guard(text));
        }
        match record.sums {
            Some((sums, blank)) => {
                for (sum, blank) in sums.iter().zip(blank) {
                    self.number.clear();
                    if !blank {
                        let _ = write!(self.number, "{sum}");
                    }
                    let _ = self.out.write_field(&self.number);
                }
            }
            None => {
                for _ in 0..self.table.sums {
                    let _ = self.out.write_field("");
                }
            }
        }
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.out.into_inner().unwrap_or_default()
    }
}

/// Text from the data, as a spreadsheet must be given it (see
/// [`crate::value::format::spreadsheet_safe`]); bytes that are not UTF-8 are kept as read.
fn guard(text: &[u8]) -> Cow<'_, [u8]> {
    match std::str::from_utf8(text) {
        Ok(t) => match crate::value::format::spreadsheet_safe(t) {
            Cow::Borrowed(_) => Cow::Borrowed(text),
            Cow::Owned(o) => Cow::Owned(o.into_bytes()),
        },
        Err(_) => Cow::Borrowed(text),
    }
}
