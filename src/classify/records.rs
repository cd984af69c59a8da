//! `classify --records`: every record as a CSV line with its key, the table's inputs and
//! the amounts as read, and how it was classified: the output values, the table row(s)
//! that gave them and each row's place in the rule file; or `unclassified`. Chunks render
//! their own lines, which are written in file order, so memory stays that of a chunk.

use rust_decimal::Decimal;
use std::borrow::Cow;

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

/// One chunk's lines, rendered as its records are classified.
pub struct Lines<'p> {
    out: csv::Writer<Vec<u8>>,
    /// Each table row's place in the rule file (`rules/tables/t.assay:12`).
    places: &'p [String],
}

/// One record as the lines show it: where it is, its key and period, the cells of the
/// table's inputs and its summed amounts.
pub struct Shown<'r> {
    pub line: usize,
    pub entity: &'r [u8],
    pub period: &'r [u8],
    pub inputs: Vec<Cow<'r, [u8]>>,
    pub sums: &'r [Decimal],
    /// Which amounts were blank in the data (written blank, though they add nothing).
    pub blank: &'r [bool],
}

impl<'p> Lines<'p> {
    pub fn new(places: &'p [String]) -> Lines<'p> {
        Lines { out: csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new()), places }
    }

    /// A record left out of the sums (`excluded`, `skipped`): one line, its amounts and
    /// outputs blank.
    pub fn left_out(&mut self, record: &Shown<'_>, status: &str, sums: usize, outputs: usize) {
        let mut fields = start(record);
        fields.extend((0..sums).map(|_| Cow::Borrowed(&b""[..])));
        fields.extend([Cow::Borrowed(status.as_bytes()), Cow::Borrowed(&b""[..]), Cow::Borrowed(&b""[..])]);
        fields.extend((0..outputs).map(|_| Cow::Borrowed(&b""[..])));
        let _ = self.out.write_record(&fields);
    }

    /// A record no row matched: one line, its outputs blank.
    pub fn unclassified(&mut self, record: &Shown<'_>, outputs: usize) {
        let mut fields = start(record);
        fields.extend([Cow::Borrowed(&b"unclassified"[..]), Cow::Borrowed(&b""[..]), Cow::Borrowed(&b""[..])]);
        fields.extend((0..outputs).map(|_| Cow::Borrowed(&b""[..])));
        let _ = self.out.write_record(&fields);
    }

    /// A record the table classified: a line per output tuple it fell in (`group`), with
    /// the rows that gave it (row numbers from 1, in table order) and their places.
    pub fn classified(&mut self, record: &Shown<'_>, group: &[String], rows: &[u32]) {
        let mut fields = start(record);
        let numbers: Vec<String> = rows.iter().map(|r| r.saturating_add(1).to_string()).collect();
        let places: Vec<&str> = rows.iter().filter_map(|r| self.places.get(*r as usize)).map(String::as_str).collect();
        fields.push(Cow::Borrowed(&b"classified"[..]));
        fields.push(Cow::Owned(numbers.join(" ").into_bytes()));
        fields.push(Cow::Owned(places.join(" ").into_bytes()));
        // Output values are the table's own text; still, one that a spreadsheet would
        // read as a formula is written as text.
        fields.extend(group.iter().map(|o| Cow::Owned(guard(o.as_bytes()).into_owned())));
        let _ = self.out.write_record(&fields);
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.out.into_inner().unwrap_or_default()
    }
}

/// The fields every line of a record starts with; text from the data guarded so that a
/// spreadsheet shows it as text, amounts as the exact numbers read.
fn start<'r>(record: &'r Shown<'_>) -> Vec<Cow<'r, [u8]>> {
    let mut fields = Vec::with_capacity(record.inputs.len().saturating_add(record.sums.len()).saturating_add(9));
    fields.push(Cow::Owned(record.line.to_string().into_bytes()));
    fields.push(guard(record.entity));
    fields.push(guard(record.period));
    fields.extend(record.inputs.iter().map(|c| guard(c)));
    fields.extend(record.sums.iter().zip(record.blank).map(|(s, blank)| match blank {
        true => Cow::Borrowed(&b""[..]),
        false => Cow::Owned(s.to_string().into_bytes()),
    }));
    fields
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
