//! The formatter as `assay fmt` runs it, on any rule text that parses cleanly: the result
//! must be accepted by the formatter's own check (it parses to the same rules, comments
//! and words: a `format-unsafe` refusal is a bug in the formatter), and formatting it
//! again must change nothing.
#![no_main]

use assay::diagnostic::codes::Code;
use assay::diagnostic::Diagnostic;
use assay::load::load_bytes;
use libfuzzer_sys::fuzz_target;

/// Format bytes as `assay fmt` does (src/cli/fmt.rs): refused when reading them reported anything.
fn format(bytes: &[u8]) -> Option<Result<String, Vec<Diagnostic>>> {
    let tree = load_bytes("fuzz.assay", bytes.to_vec());
    match (tree.files.first(), tree.asts.first()) {
        (Some(source), Some(ast)) if tree.diagnostics.is_empty() => Some(assay::fmt::format_parsed(ast, source)),
        _ => None,
    }
}

fuzz_target!(|data: &[u8]| {
    assay_fuzz::on_big_stack(|| {
        let once = match format(data) {
            None => return,
            Some(Ok(text)) => text,
            Some(Err(diags)) => {
                let unsafe_ = diags.iter().find(|d| d.code == Code::FormatUnsafe);
                assert!(unsafe_.is_none(), "{unsafe_:?}\n--- input:\n{}", String::from_utf8_lossy(data));
                return;
            }
        };
        let twice = match format(once.as_bytes()) {
            Some(Ok(text)) => text,
            other => panic!("the formatted text does not format: {other:?}\n--- formatted:\n{once}"),
        };
        assert!(once == twice, "formatting twice changes the text\n--- once:\n{once}\n--- twice:\n{twice}");
    });
});
