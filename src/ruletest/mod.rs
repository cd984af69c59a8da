//! Rule tests (`assay test`): YAML cases kept beside the rules (`*.test.yaml`), each with
//! inputs, a period and expected figures or diagnostics, and the coverage they give.

mod classify;
pub mod coverage;
pub mod derivation;
mod inline;
pub mod runner;
pub mod spec;
mod yaml;

use std::path::{Path, PathBuf};
use walkdir::WalkDir;

/// Every `*.test.yaml` file under the paths, in a stable order.
pub fn find_test_files(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for path in paths {
        if path.is_file() {
            found.push(path.clone());
            continue;
        }
        for entry in WalkDir::new(path).sort_by_file_name().into_iter().flatten() {
            if entry.file_type().is_file() && is_test_file(entry.path()) {
                found.push(entry.into_path());
            }
        }
    }
    found.dedup();
    found
}

fn is_test_file(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.ends_with(".test.yaml") || n.ends_with(".test.yml"))
}
