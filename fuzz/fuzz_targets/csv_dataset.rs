//! Any bytes as a dataset's CSV file, read by the data loader under one of a few fixed
//! declarations (the input's first byte picks it: bad-row policies, delimiters, a header
//! below the first line, a period per file, records rolled up). Nothing may panic, every
//! diagnostic must render, a table's rows must line up, and the reader that streams large
//! files in chunks (made to take this file by a tiny `ASSAY_CHUNK_BYTES`) must read it
//! exactly as the whole-file reader does, as must the column cache once it holds the file.
#![no_main]

use assay_fuzz::{assert_rows_line_up, data_rules, on_big_stack, show, table_summary, DataDir, Read};
use libfuzzer_sys::fuzz_target;

/// The whole reading: the table, or the diagnostics as a user would see them.
fn outcome(read: &Read) -> String {
    match &read.table {
        Some(table) => table_summary(table),
        None => show(&read.diagnostics, &read.sources, 1),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&choice, csv)) = data.split_first() else { return };
    on_big_stack(|| {
        let rules = data_rules(choice, "csv");
        let dir = DataDir::new("data.csv", csv);
        std::env::remove_var("ASSAY_CHUNK_BYTES");
        let whole = dir.load(&rules);
        show(&whole.diagnostics, &whole.sources, choice >> 2);
        if let Some(table) = &whole.table {
            assert_rows_line_up(table);
        }
        std::env::set_var("ASSAY_CHUNK_BYTES", "1");
        let chunked = dir.load(&rules);
        std::env::remove_var("ASSAY_CHUNK_BYTES");
        let (a, b) = (outcome(&whole), outcome(&chunked));
        assert!(a == b, "read whole:\n{a}\nread in chunks:\n{b}");
        // A clean load is cached: read back from the cache, it is the same table.
        if whole.table.is_some() && whole.diagnostics.is_empty() {
            let cache = dir.path().join("cache");
            let written = outcome(&dir.load_cached(&rules, &cache));
            assert!(a == written, "read whole:\n{a}\nread while writing the cache:\n{written}");
            let cached = outcome(&dir.load_cached(&rules, &cache));
            assert!(a == cached, "read whole:\n{a}\nread from the cache:\n{cached}");
        }
    });
});
