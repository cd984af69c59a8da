//! Rule tests (`assay test`): YAML cases kept beside the rules (`*.test.yaml`), each with
//! inputs, a period and expected figures or diagnostics, and the coverage they give.

mod classify;
pub mod coverage;
pub mod derivation;
mod inline;
pub mod runner;
pub mod spec;
pub mod verdicts;
mod yaml;

use crate::diagnostic::codes::Code;
use crate::diagnostic::Diagnostic;
use std::path::{Path, PathBuf};
use walkdir::WalkDir;

/// Every `*.test.yaml` file under the paths, in a stable order, and the folders that could
/// not be walked (a link loop). A path given that is not a folder is a test file, and so is
/// a test file found that is not a regular file (a FIFO): reading it says what is wrong,
/// rather than its being skipped in silence.
pub fn find_test_files(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<Diagnostic>) {
    let mut found = Vec::new();
    let mut diags = Vec::new();
    for path in paths {
        if !path.is_dir() {
            found.push(path.clone());
            continue;
        }
        for entry in WalkDir::new(path).sort_by_file_name().follow_links(true) {
            match entry {
                Ok(e) if !e.file_type().is_dir() && is_test_file(e.path()) => found.push(e.into_path()),
                Ok(_) => {}
                Err(err) => {
                    let at = crate::load::display(err.path().unwrap_or(path));
                    diags.push(
                        Diagnostic::new(Code::IoError, format!("cannot read `{at}`: {err}"))
                            .help("check the folder's links and permissions"),
                    );
                }
            }
        }
    }
    found.dedup();
    (found, diags)
}

fn is_test_file(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.ends_with(".test.yaml") || n.ends_with(".test.yml"))
}
