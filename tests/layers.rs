//! The pipeline's layering, checked: a module of `src/` may use the modules below it in
//! [`STAGES`], never one above it (nor one beside it on the same stage), so the code can be
//! read from the ground floor up and no cycle between modules can form.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::arithmetic_side_effects,
    clippy::string_slice,
    reason = "test code: failing loudly is the point"
)]

mod common;

use std::collections::BTreeSet;
use std::path::Path;

/// The stages, lowest first, and the top-level modules on each. A module may use those on
/// lower stages only. The README's "Architecture" section describes the same order.
const STAGES: &[&[&str]] = &[
    &["source", "value", "timing", "discard"],
    &["diagnostic"],
    &["ast"],
    &["table", "parse"],
    &["load"],
    &["check"],
    &["data"],
    &["classify"],
    &["eval"],
    &["policy"],
    &["explain"],
    &["report"],
    &["fmt", "ruletest"],
    &["diff"],
    &["cli"],
];

fn stage(module: &str) -> Option<usize> {
    STAGES.iter().position(|s| s.contains(&module))
}

/// The top-level module a file belongs to (`src/eval/run.rs` → `eval`).
fn module_of(path: &Path, src: &Path) -> Option<String> {
    let rel = path.strip_prefix(src).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?;
    Some(first.trim_end_matches(".rs").to_string())
}

/// Every `crate::NAME` a file refers to.
fn uses(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        if !name.is_empty() {
            out.insert(name);
        }
    }
    out
}

#[test]
fn imports_only_point_down_the_pipeline() {
    let src = common::repo().join("src");
    let files = common::fs::files_with_extension(&src, "rs");
    let mut wrong = Vec::new();
    let mut unknown = BTreeSet::new();
    for file in &files {
        let Some(module) = module_of(file, &src) else { continue };
        if module == "lib" || module == "main" {
            continue;
        }
        let Some(own) = stage(&module) else {
            unknown.insert(module);
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap();
        for used in uses(&text) {
            if used == module {
                continue;
            }
            match stage(&used) {
                Some(s) if s < own => {}
                Some(_) => {
                    wrong.push(format!("{} uses `crate::{used}`, which is not below `{module}`", file.display()))
                }
                None => {
                    unknown.insert(used);
                }
            }
        }
    }
    assert!(unknown.is_empty(), "modules missing from STAGES (place them in the pipeline): {unknown:?}");
    assert!(wrong.is_empty(), "imports that point up the pipeline or sideways:\n{}", wrong.join("\n"));
}

#[test]
fn every_module_of_src_is_placed_on_a_stage() {
    let lib = std::fs::read_to_string(common::repo().join("src/lib.rs")).unwrap();
    let declared: Vec<&str> =
        lib.lines().filter_map(|l| l.trim().strip_prefix("pub mod ")).map(|m| m.trim_end_matches(';')).collect();
    assert!(declared.len() > 10, "{declared:?}");
    for m in declared {
        assert!(stage(m).is_some(), "`{m}` is declared in lib.rs but not placed in STAGES");
    }
}

#[test]
fn the_checker_sees_an_upward_import() {
    // The check itself must be able to fail: `data` using `eval` is caught.
    let used = uses("use crate::eval::column::Column;\nfn f() { crate::value::Value::missing(\"x\"); }");
    assert_eq!(used, BTreeSet::from(["eval".to_string(), "value".to_string()]));
    assert!(stage("eval") > stage("data"));
}
