//! Any bytes as a dataset's YAML file, read by the data loader under one of a few fixed
//! declarations (the input's first byte picks it). Nothing may panic, every diagnostic
//! must render and point into its file, and a table's rows must line up.
#![no_main]

use assay_fuzz::{assert_rows_line_up, data_rules, on_big_stack, show, DataDir};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&choice, yaml)) = data.split_first() else { return };
    on_big_stack(|| {
        let dir = DataDir::new("data.yaml", yaml);
        let read = dir.load(&data_rules(choice, "yaml"));
        show(&read.diagnostics, &read.sources, choice >> 2);
        if let Some(table) = &read.table {
            assert_rows_line_up(table);
        }
    });
});
