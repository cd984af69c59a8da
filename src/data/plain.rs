//! The quick path for a piece of plain CSV: one record per line, quotes only around whole
//! fields, every cell valid. Such a piece is split by simd-csv, which finds delimiters a
//! vector at a time and hands out fields without copying them (three times faster than
//! the csv crate on the benchmark's 49-column rows). On anything else the piece is left to
//! the csv crate, whose reading (and diagnostics) define what a CSV file means here.

use super::csv::{Chunk, Fields, Interned, Rows};
use crate::value::Value;
use std::borrow::Cow;

impl Fields for simd_csv::ZeroCopyByteRecord<'_> {
    fn field(&self, i: usize) -> Option<Cow<'_, [u8]>> {
        self.unescape(i)
    }
}

impl Rows<'_> {
    /// Parse a piece the quick way, or None (with whatever it wrote to `out` to be
    /// overwritten) if it is not plain. `lines` is the number of line feeds in the piece,
    /// which must have no lone CR (the csv crate ends a record there, simd-csv does not).
    pub(super) fn plain_piece(
        &self,
        bytes: &[u8],
        offset: usize,
        first_line: usize,
        lines: usize,
        out: &mut [&mut [Value]],
    ) -> Option<Chunk> {
        // simd-csv drops a byte-order mark at its start (the csv crate keeps it in the key).
        if bytes.starts_with(b"\xef\xbb\xbf") {
            return None;
        }
        let Rows { spec, delimiter, columns, headers, missing } = *self;
        let expected = lines.saturating_add(usize::from(bytes.last().is_some_and(|b| *b != b'\n')));
        let mut chunk = Chunk::with_capacity(expected);
        let mut interned = Interned::default();
        let mut reader = simd_csv::ZeroCopyReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(bytes);
        let mut records = 0usize;
        loop {
            let start = usize::try_from(reader.position()).ok()?;
            let Ok(Some(record)) = reader.read_byte_record() else { break };
            // A CRLF record ends at its CR: the LF left over belongs to the line before.
            let start = if bytes.get(start) == Some(&b'\n') { start.saturating_add(1) } else { start };
            if record.len() != headers.len() || !quotes_are_plain(record.as_slice(), delimiter) {
                return None;
            }
            let line = first_line.saturating_add(records);
            records = records.saturating_add(1);
            // A cell an `exclude` rule cannot read is reported by the general reader.
            match super::csv::excluded(spec, columns, &record, missing) {
                Ok(true) => {
                    chunk.excluded = chunk.excluded.saturating_add(1);
                    continue;
                }
                Ok(false) => {}
                Err(_) => return None,
            }
            let row = chunk.keys.len();
            if out.first().is_some_and(|c| row >= c.len()) {
                return None;
            }
            chunk.origins.push(super::RowOrigin { file: 0, line, offset: offset.saturating_add(start) });
            self.row(&record, row, &mut chunk, out, &mut interned);
            if !chunk.problems.is_empty() {
                return None;
            }
        }
        // Fewer records than lines: a blank line or a line break inside quotes, which the
        // line numbers above did not count.
        (records == expected).then_some(chunk)
    }
}

/// Is every quote in this record where strict CSV puts it: opening a field, doubled inside
/// it, or closing it just before a delimiter or the record's end? Then simd-csv and the csv
/// crate split the record alike (they differ on a stray quote inside a field).
fn quotes_are_plain(record: &[u8], delimiter: u8) -> bool {
    let mut quotes = memchr::memchr_iter(b'"', record);
    while let Some(open) = quotes.next() {
        if open.checked_sub(1).is_some_and(|before| record.get(before) != Some(&delimiter)) {
            return false;
        }
        loop {
            let Some(quote) = quotes.next() else { return false };
            match record.get(quote.saturating_add(1)) {
                Some(b'"') => {
                    quotes.next();
                }
                Some(b) if *b == delimiter => break,
                None => break,
                Some(_) => return false,
            }
        }
    }
    true
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, reason = "test code: small generated sizes, and failing loudly is the point")]
mod tests {
    use super::quotes_are_plain;
    use crate::data::cells::MissingValues;
    use crate::data::csv::{Chunk, Columns, Rows};
    use crate::data::{BadRowPolicy, DatasetSpec, FieldKey, FieldKind, FieldSpec};
    use crate::source::{Span, Spanned};
    use crate::value::Value;

    fn spec() -> DatasetSpec {
        let span = Span::new(0, 0, 0);
        let field = |name: &str, column: &str, kind: FieldKind| FieldSpec {
            key: FieldKey { field: name.into(), index: Vec::new() },
            column: column.into(),
            alternatives: Vec::new(),
            rollup: None,
            kind,
            unit: crate::data::number::CellUnit::Bare,
            optional: false,
            span,
        };
        DatasetSpec {
            name: "d".into(),
            span,
            records: false,
            classified: None,
            files: Vec::new(),
            alternatives: Vec::new(),
            exclude: Vec::new(),
            first_of_repeated: false,
            rolls_up: false,
            sheet: None,
            header_row: 1,
            delimiter: b',',
            policy: BadRowPolicy::Reject,
            key_column: Spanned::new("Code".into(), span),
            period_column: Some(Spanned::new("Year".into(), span)),
            missing: vec!["n/a".into()],
            fields: vec![field("name", "Name", FieldKind::Text), field("amount", "Amount", FieldKind::Number)],
            period_start: None,
        }
    }

    /// A piece's rows and its two value columns.
    type Read = (Chunk, Vec<Vec<Value>>);

    /// Both readers' rows for a piece at byte 100 of a file, line 7 on: the quick one's
    /// (None if it declines the piece) and the csv crate's.
    fn both(piece: &str) -> (Option<Read>, Read) {
        let spec = spec();
        let headers: Vec<String> = ["Code", "Year", "Name", "Amount", "Extra"].map(String::from).to_vec();
        let columns = Columns::find(&spec, &headers).expect("every column");
        let missing = MissingValues::new(&spec);
        let rows = Rows { spec: &spec, delimiter: b',', columns: &columns, headers: &headers, missing: &missing };
        let bytes = piece.as_bytes();
        let lines = memchr::memchr_iter(b'\n', bytes).count();
        let read = |quick: bool| {
            let mut values = vec![vec![Value::Bool(false); lines + 1]; 2];
            let mut out: Vec<&mut [Value]> = values.iter_mut().map(Vec::as_mut_slice).collect();
            let chunk = if quick {
                // As `Rows::parse` does: a piece with a lone CR is the csv crate's.
                let lone = crate::data::csv::lone_returns(bytes);
                if lone == 0 {
                    rows.plain_piece(bytes, 100, 7, lines, &mut out)
                } else {
                    None
                }
            } else {
                Some(rows.chunk(bytes, 100, 7, lines + 1, &mut out))
            };
            chunk.map(|c| {
                values.iter_mut().for_each(|v| v.truncate(c.keys.len()));
                (c, values)
            })
        };
        (read(true), read(false).expect("the csv crate reads every piece"))
    }

    #[test]
    fn a_plain_piece_reads_as_the_csv_crate_reads_it() {
        let pieces = [
            "A,2020,x,1,e\nB,2020,\"y, \"\"z\"\"\",\"1,234.50\",e\n",
            "A,2020,x,1,e\r\nB,2021,y,n/a,e\r\nC,2021,,\"\",\"\"\r\n",
            "A,2020,x,1,e\nB,2021,y,2,e",
            " A ,2020, x ,  3 ,\n",
        ];
        for piece in pieces {
            let (quick, csv) = both(piece);
            let (quick, quick_values) = quick.unwrap_or_else(|| panic!("declined a plain piece: {piece:?}"));
            let (csv, csv_values) = csv;
            assert!(csv.problems.is_empty(), "{piece:?}: {:?}", csv.problems);
            assert_eq!(quick.keys, csv.keys, "{piece:?}");
            assert_eq!(quick.periods, csv.periods, "{piece:?}");
            assert_eq!(quick.origins, csv.origins, "{piece:?}");
            assert_eq!(quick_values, csv_values, "{piece:?}");
        }
    }

    /// A row reuses the last row's key and values where its cells' bytes are the same:
    /// what it reads must be what it would read alone, and a bad cell is refused on
    /// every row it is on, however often it repeats.
    #[test]
    fn repeated_cells_read_as_they_would_alone() {
        let (_, (csv, values)) = both("A,2020,x,\"1,000\",e\nA,2020,x,\"1,000\",e\nA ,2020, x ,n/a,e\nB,2020,x,1,e\n");
        assert!(csv.problems.is_empty(), "{:?}", csv.problems);
        assert_eq!(csv.keys.iter().map(|k| &**k).collect::<Vec<_>>(), ["A", "A", "A", "B"]);
        let each: Vec<Vec<Value>> = ["A,2020,x,\"1,000\",e\n", "A ,2020, x ,n/a,e\n", "B,2020,x,1,e\n"]
            .iter()
            .map(|row| both(row).1 .1.iter().map(|c| c[0].clone()).collect())
            .collect();
        let rows: Vec<Vec<Value>> = (0..4).map(|r| values.iter().map(|c| c[r].clone()).collect()).collect();
        assert_eq!(rows, [each[0].clone(), each[0].clone(), each[1].clone(), each[2].clone()]);
        let (_, (bad, _)) = both("A,2020,x,12x,e\nB,2020,x,12x,e\nC,2020,x,12x,e\n");
        assert_eq!(bad.problems.iter().map(|p| p.row).collect::<Vec<_>>(), [0, 1, 2]);
    }

    #[test]
    fn anything_else_is_left_to_the_csv_crate() {
        for piece in [
            "A,2020,x,1,e\rB,2020,y,2,e\n",
            "A,2020,x,1,e\n\nB,2020,y,2,e\n",
            "A,2020,\"x\ny\",1,e\nB,2020,y,2,e\n",
            "A,2020,x\"y,1,e\n",
            "A,2020,\"x\"y,1,e\n",
            "A,2020,x,1\n",
            "A,2020,x,12x,e\n",
            ",2020,x,1,e\n",
            "\u{feff}A,2020,x,1,e\n",
            "   \nA,2020,x,1,e\n",
        ] {
            assert!(both(piece).0.is_none(), "took {piece:?}");
        }
    }

    #[test]
    fn only_quotes_around_whole_fields_are_plain() {
        let plain = |r: &str| quotes_are_plain(r.as_bytes(), b',');
        assert!(plain("a,b,c"));
        assert!(plain("\"a\",\"1,234\",c"));
        assert!(plain("a,\"say \"\"hi\"\"\",\"\""));
        assert!(plain("a,\"\"\"\"\"\",c"), "a field holding two quotes");
        assert!(!plain("a,b\"c,d"), "a quote inside an unquoted field");
        assert!(!plain("a,\"b\"c,d"), "text after a closing quote");
        assert!(!plain("a,\"b,c"), "a quote never closed");
        assert!(plain("a,\"b\"\"\""), "an escaped quote, then the closing one");
        assert!(!plain("a,\"b\"\""), "only an escaped quote, never closed");
    }
}
