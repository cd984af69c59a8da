//! Any bytes as a rule file: read as `assay check` reads a file (a byte-order mark, UTF-8,
//! the parser and its error recovery), checked whether or not it parsed, with every
//! diagnostic rendered. Nothing may panic, and every label must point into its file.
#![no_main]

use assay::check::{check, CheckOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    assay_fuzz::on_big_stack(|| {
        let tree = assay::load::load_bytes("fuzz.assay", data.to_vec());
        let strict = data.len() % 2 == 1;
        let report = check(&tree, CheckOptions { strict });
        let pick = data.first().copied().unwrap_or(0);
        assay_fuzz::show(&report.diagnostics, &tree.files, pick);
        // The semantic diff's view of a tree: what each definition depends on.
        if !tree.has_errors() {
            assay::check::dependencies(&tree);
        }
    });
});
