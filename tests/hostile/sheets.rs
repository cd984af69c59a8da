//! Hostile spreadsheets: empty, junk and truncated files named `.xlsx`, `.xls` or `.ods`,
//! zips that are not workbooks, and small workbooks (written here, uncompressed) with odd
//! cells, cell references out of range and a cell at the far corner of the sheet.

use crate::case::Case;
use crate::data::RULES;

/// `assay eval` over a dataset read from `returns.EXT` holding these bytes.
fn sheet(name: &str, ext: &str, bytes: impl AsRef<[u8]>) -> Case {
    let file = format!("returns.{ext}");
    Case::new(format!("sheets: {name}"))
        .file("main.assay", RULES.replace("returns.csv", &file))
        .file(&format!("data/{file}"), bytes)
        .run(&["eval", "--rules", "main.assay", "--data", "data", "--format", "csv"])
}

const HEADER: &str = r#"<row r="1"><c r="A1" t="inlineStr"><is><t>Code</t></is></c><c r="B1" t="inlineStr"><is><t>Year</t></is></c><c r="C1" t="inlineStr"><is><t>Turnover</t></is></c><c r="D1" t="inlineStr"><is><t>Cost</t></is></c></row>"#;

/// A row 2 of `Code`, `Year`, then the XML of the turnover cell, then a cost of 10.
fn row(turnover: &str) -> String {
    format!(
        r#"<row r="2"><c r="A2" t="inlineStr"><is><t>A1</t></is></c><c r="B2" t="inlineStr"><is><t>2009/10</t></is></c>{turnover}<c r="D2"><v>10</v></c></row>"#
    )
}

pub fn cases() -> Vec<Case> {
    let good = xlsx(&format!("{HEADER}{}", row(r#"<c r="C2"><v>100</v></c>"#)));
    vec![
        sheet("a valid workbook", "xlsx", &good).ok(),
        sheet("an empty .xlsx", "xlsx", "").fails(1, &["data-unreadable"]),
        sheet("an empty .ods", "ods", "").fails(1, &["data-unreadable"]),
        sheet("an empty .xls", "xls", "").fails(1, &["data-unreadable"]),
        sheet("junk named .xlsx", "xlsx", junk()).fails(1, &["data-unreadable"]),
        sheet("junk named .ods", "ods", junk()).fails(1, &["data-unreadable"]),
        sheet("junk named .xls", "xls", junk()).fails(1, &["data-unreadable"]),
        sheet("junk named .xlsb", "xlsb", junk()).fails(1, &["data-unreadable"]),
        sheet("a CSV named .xlsx", "xlsx", "Code,Year,Turnover,Cost\nA1,2009/10,100,10\n")
            .fails(1, &["data-unreadable"]),
        sheet("an empty zip", "xlsx", zip(&[])).fails(1, &["data-unreadable"]),
        sheet("a zip of junk XML", "xlsx", zip(&[("xl/workbook.xml", b"<junk"), ("[Content_Types].xml", b"\0\xFF")]))
            .fails(1, &["data-unreadable"]),
        sheet(
            "an .ods zip of junk XML",
            "ods",
            zip(&[("mimetype", b"application/vnd.oasis.opendocument.spreadsheet"), ("content.xml", b"<junk")]),
        )
        .fails(1, &["data-unreadable"]),
        sheet("a workbook cut in half", "xlsx", &good[..good.len() / 2]).fails(1, &["data-unreadable"]),
        sheet("a sheet with a header alone", "xlsx", xlsx(HEADER)).fails(1, &["data-empty"]),
        sheet("a sheet with no cells", "xlsx", xlsx("")).fails(1, &["data-empty"]),
        sheet("an error cell", "xlsx", xlsx(&format!("{HEADER}{}", row(r#"<c r="C2" t="e"><v>#DIV/0!</v></c>"#))))
            .fails(1, &["data-not-a-number"]),
        sheet("a true/false cell", "xlsx", xlsx(&format!("{HEADER}{}", row(r#"<c r="C2" t="b"><v>1</v></c>"#))))
            .fails(1, &["data-not-a-number"]),
        sheet("a number of 1e308", "xlsx", xlsx(&format!("{HEADER}{}", row(r#"<c r="C2"><v>1e308</v></c>"#))))
            .fails(1, &["data-not-a-number"]),
        sheet(
            "a number cell that is not a number",
            "xlsx",
            xlsx(&format!("{HEADER}{}", row(r#"<c r="C2"><v>abc</v></c>"#))),
        )
        .fails(1, &["data-not-a-number"]),
        sheet(
            "a cell reference out of range",
            "xlsx",
            xlsx(r#"<row r="1"><c r="ZZZZZZZZ99999999999" t="inlineStr"><is><t>Code</t></is></c></row>"#),
        )
        .fails(1, &["data-unreadable"]),
        sheet(
            "a row number out of range",
            "xlsx",
            xlsx(r#"<row r="99999999999999999999"><c t="inlineStr"><is><t>Code</t></is></c></row>"#),
        )
        .fails(1, &["data-unreadable"]),
        sheet(
            "a cell at the far corner of the sheet",
            "xlsx",
            xlsx(&format!(
                "{HEADER}{}<row r=\"1048576\"><c r=\"XFD1048576\"><v>1</v></c></row>",
                row(r#"<c r="C2"><v>100</v></c>"#)
            )),
        )
        .fails(1, &["data-unreadable"]),
        sheet(
            "a dimension claiming the whole sheet",
            "xlsx",
            xlsx_with(
                r#"<dimension ref="A1:XFD1048576"/>"#,
                &format!("{HEADER}{}", row(r#"<c r="C2"><v>100</v></c>"#)),
            ),
        )
        .ok(),
    ]
}

fn junk() -> Vec<u8> {
    (0..=255u8).cycle().take(100_000).collect()
}

/// A workbook of one sheet, `Sheet1`, whose `<sheetData>` holds `rows`.
fn xlsx(rows: &str) -> Vec<u8> {
    xlsx_with("", rows)
}

fn xlsx_with(before_data: &str, rows: &str) -> Vec<u8> {
    const RELS: &str = "http://schemas.openxmlformats.org/package/2006/relationships";
    const DOC: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    const MAIN: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    let types = r#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#;
    let rels = format!(
        r#"<?xml version="1.0"?><Relationships xmlns="{RELS}"><Relationship Id="rId1" Type="{DOC}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
    );
    let book = format!(
        r#"<?xml version="1.0"?><workbook xmlns="{MAIN}" xmlns:r="{DOC}"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#
    );
    let book_rels = format!(
        r#"<?xml version="1.0"?><Relationships xmlns="{RELS}"><Relationship Id="rId1" Type="{DOC}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#
    );
    let sheet = format!(
        r#"<?xml version="1.0"?><worksheet xmlns="{MAIN}">{before_data}<sheetData>{rows}</sheetData></worksheet>"#
    );
    zip(&[
        ("[Content_Types].xml", types.as_bytes()),
        ("_rels/.rels", rels.as_bytes()),
        ("xl/workbook.xml", book.as_bytes()),
        ("xl/_rels/workbook.xml.rels", book_rels.as_bytes()),
        ("xl/worksheets/sheet1.xml", sheet.as_bytes()),
    ])
}

/// A zip archive of these files, stored without compression.
fn zip(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in files {
        let offset = out.len() as u32;
        let (crc, len, name_len) = (crc32(data), data.len() as u32, name.len() as u16);
        // Local header: signature, version 2.0, no flags, stored, no time or date.
        out.extend(0x0403_4b50u32.to_le_bytes());
        out.extend([20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        out.extend(crc.to_le_bytes());
        out.extend(len.to_le_bytes());
        out.extend(len.to_le_bytes());
        out.extend(name_len.to_le_bytes());
        out.extend([0, 0]);
        out.extend(name.as_bytes());
        out.extend(*data);
        central.extend(0x0201_4b50u32.to_le_bytes());
        central.extend([20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        central.extend(crc.to_le_bytes());
        central.extend(len.to_le_bytes());
        central.extend(len.to_le_bytes());
        central.extend(name_len.to_le_bytes());
        central.extend([0; 12]);
        central.extend(offset.to_le_bytes());
        central.extend(name.as_bytes());
    }
    let (at, size, n) = (out.len() as u32, central.len() as u32, files.len() as u16);
    out.extend(central);
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend([0, 0, 0, 0]);
    out.extend(n.to_le_bytes());
    out.extend(n.to_le_bytes());
    out.extend(size.to_le_bytes());
    out.extend(at.to_le_bytes());
    out.extend([0, 0]);
    out
}

/// CRC-32 (IEEE), bit by bit: the files here are small.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}
