//! `assay fmt`: a fixed point that keeps the syntax tree and every comment, over every
//! rule file and fixture; a snapshot of a messy file; and the command line as users run it.

#![allow(clippy::unwrap_used, clippy::panic, clippy::string_slice, reason = "test code: failing loudly is the point")]

mod common;

use assay::ast::File;
use assay::source::SourceFile;
use common::fs::{files_with_extension, temp_folder_with};
use common::rng::Rng;
use common::{assay, assay_in, repo, stderr, stdout};

/// The file's tree when it parses without any diagnostic (the formatter refuses the rest).
fn parse_clean(name: &str, text: &str) -> Option<File> {
    let (ast, diags) = assay::parse::parse_file(0, &SourceFile::new(name, text));
    ast.filter(|_| diags.is_empty())
}

fn format(name: &str, text: &str) -> String {
    assay::fmt::format_source(&SourceFile::new(name, text)).unwrap_or_else(|d| {
        panic!("{name}: formatting refused: {:?}", d.iter().map(|d| &d.message).collect::<Vec<_>>())
    })
}

fn every_well_formed_file() -> Vec<(String, String)> {
    let mut files = Vec::new();
    for dir in ["rules", "examples", "tests"] {
        for path in files_with_extension(&repo().join(dir), "assay") {
            let Ok(text) = std::fs::read_to_string(&path) else { continue };
            let name = path.strip_prefix(repo()).unwrap().to_string_lossy().into_owned();
            if parse_clean(&name, &text).is_some() {
                files.push((name, text));
            }
        }
    }
    assert!(files.len() > 100, "expected the rules, examples and fixtures, found {}", files.len());
    files
}

#[test]
fn formatting_is_a_fixed_point_that_keeps_the_tree() {
    for (name, text) in every_well_formed_file() {
        let once = format(&name, &text);
        let twice = format(&name, &once);
        assert_eq!(once, twice, "{name}: formatting the formatted text changed it");
        let before = parse_clean(&name, &text).unwrap();
        let after = parse_clean(&name, &once).unwrap_or_else(|| panic!("{name}: the result does not parse"));
        assert!(before.definitions == after.definitions, "{name}: the tree changed");
    }
}

#[test]
fn every_comment_survives_in_order() {
    for (name, text) in every_well_formed_file() {
        let comments = |t: &str| -> Vec<(bool, String)> {
            parse_clean(&name, t).unwrap().comments.into_iter().map(|c| (c.node.doc, c.node.text)).collect()
        };
        let formatted = format(&name, &text);
        assert_eq!(comments(&text), comments(&formatted), "{name}");
        // And as text, in the same order.
        let mut rest = formatted.as_str();
        for (_, comment) in comments(&text) {
            let at = rest.find(comment.as_str()).unwrap_or_else(|| panic!("{name}: `{comment}` lost or moved"));
            rest = &rest[at + comment.len()..];
        }
    }
}

#[test]
fn doc_comments_stay_attached() {
    for (name, text) in every_well_formed_file() {
        let docs = |f: File| f.definitions.into_iter().map(|d| d.node.doc).collect::<Vec<_>>();
        let formatted = format(&name, &text);
        assert_eq!(docs(parse_clean(&name, &text).unwrap()), docs(parse_clean(&name, &formatted).unwrap()), "{name}");
    }
}

#[test]
fn shipped_rules_and_examples_are_formatted() {
    for dir in ["rules", "examples"] {
        for path in files_with_extension(&repo().join(dir), "assay") {
            let text = std::fs::read_to_string(&path).unwrap();
            let name = path.display().to_string();
            assert!(format(&name, &text) == text, "{name} is not formatted: run `cargo run -- fmt {dir}`");
        }
    }
}

const MESSY: &str = "tests/fixtures/fmt/messy.assay";

#[test]
fn messy_input_is_laid_out_canonically() {
    let text = std::fs::read_to_string(repo().join(MESSY)).unwrap();
    insta::assert_snapshot!("messy", format(MESSY, &text));
}

// ---------------------------------------------------------------- the command line

#[test]
fn check_shows_a_diff_then_fmt_rewrites_then_check_passes() {
    let messy = std::fs::read_to_string(repo().join(MESSY)).unwrap();
    let dir = temp_folder_with(&[("messy.assay", &messy)]);
    let file = dir.path().join("messy.assay");

    let check = assay_in(dir.path(), &["fmt", "--check", "messy.assay"]);
    assert_eq!(check.status.code(), Some(1), "{}", stdout(&check));
    let diff = stdout(&check);
    assert!(diff.contains("--- messy.assay\n+++ messy.assay\n@@ "), "{diff}");
    assert!(diff.contains("\n-source   src \"A source\"{document \"doc.txt\"   year 2010}"), "{diff}");
    assert!(diff.contains("\n+source src \"A source\" {\n"), "{diff}");
    assert!(diff.contains("1 of 1 file would be reformatted"), "{diff}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), messy, "--check must not write");

    let fmt = assay_in(dir.path(), &["fmt", "messy.assay"]);
    assert_eq!(fmt.status.code(), Some(0), "{}", stdout(&fmt));
    assert!(stdout(&fmt).contains("formatted messy.assay"), "{}", stdout(&fmt));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), format(MESSY, &messy));
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers.len(), 1, "no temporary file is left behind: {leftovers:?}");

    let again = assay_in(dir.path(), &["fmt", "--check", "messy.assay"]);
    assert_eq!(again.status.code(), Some(0), "{}", stdout(&again));
    assert_eq!(stdout(&again), "1 file already formatted\n");
}

#[test]
fn a_file_with_syntax_errors_is_left_untouched() {
    let broken = "kpi   good : ratio = a/b\nkpi bad : ratio = a +\n";
    let dir = temp_folder_with(&[("broken.assay", broken)]);
    let file = dir.path().join("broken.assay");
    for args in [&["fmt", "broken.assay"][..], &["fmt", "--check", "broken.assay"]] {
        let out = assay_in(dir.path(), args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = stderr(&out);
        assert!(err.contains("syntax-error"), "{err}");
        assert!(stdout(&out).contains("left alone because of errors"), "{}", stdout(&out));
        assert_eq!(std::fs::read_to_string(&file).unwrap(), broken);
    }
}

#[test]
fn a_keyword_run_into_a_name_is_a_syntax_error_not_a_formatter_bug() {
    // Found by fuzzing (fuzz/corpus/fmt/glued_keyword.assay): `kpiayslip` read as
    // `kpi ayslip`, and fmt refused the file as unsafe to format, calling it a bug of its own.
    let text = "kpi a \"A\" : ratio = x / y\n\nkpiayslip \"B\" : ratio =\n  x / z\n";
    let dir = temp_folder_with(&[("glued.assay", text)]);
    let out = assay_in(dir.path(), &["fmt", "glued.assay"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("syntax-error") && err.contains("`kpiayslip` runs two words together"), "{err}");
    assert!(!err.contains("format-unsafe"), "{err}");
    assert_eq!(std::fs::read_to_string(dir.path().join("glued.assay")).unwrap(), text);
}

#[test]
fn a_value_lowering_would_lose_is_not_formatted() {
    // An impossible date is reported and the entry kept undated; printing that tree would
    // drop `since 2011-02-30`, so the file is refused like one with a syntax error.
    let text = "param p : ratio {   = 5% since 2011-02-30 }\n";
    let dir = temp_folder_with(&[("p.assay", text)]);
    let out = assay_in(dir.path(), &["fmt", "p.assay"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("invalid-date"), "{err}");
    assert_eq!(std::fs::read_to_string(dir.path().join("p.assay")).unwrap(), text);
}

#[test]
fn directories_are_walked_and_rules_is_the_default() {
    let dir = temp_folder_with(&[
        ("rules/a.assay", "unit GBP \"pound\"\n"),
        ("rules/sub/b.assay", "unit   FTE   \"whole-time\"\n"),
        ("rules/notes.txt", "unit   x\n"),
    ]);
    let out = assay_in(dir.path(), &["fmt"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(stdout(&out), "formatted rules/sub/b.assay\n1 of 2 files reformatted\n");
    assert_eq!(std::fs::read_to_string(dir.path().join("rules/sub/b.assay")).unwrap(), "unit FTE \"whole-time\"\n");
    assert_eq!(std::fs::read_to_string(dir.path().join("rules/notes.txt")).unwrap(), "unit   x\n");

    // A path that does not exist is a usage error, not "0 of 0 files reformatted".
    let missing = assay_in(dir.path(), &["fmt", "nowhere"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("usage-error"), "{missing:?}");
    assert_eq!(stdout(&missing), "");
}

#[test]
fn help_explains_check_and_exit_codes() {
    let out = assay(&["fmt", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = stdout(&out);
    for needle in ["--check", "unified diff", "atomically", "Exit status", "comment"] {
        assert!(help.contains(needle), "{needle}: {help}");
    }
}

// ---------------------------------------------------------------- mutations

/// Layout changes a user might make (comments anywhere, line breaks, spaces, moved
/// lines): whenever the result still parses cleanly, formatting must succeed, keep the
/// tree and be a fixed point. This is where the safety net would otherwise have to act.
/// `FMT_SEED` and `FMT_CASES` run other or more cases.
#[test]
fn thousands_of_relaid_files_format_safely() {
    let seeds = every_well_formed_file();
    let mut rng = Rng(std::env::var("FMT_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0xF0_4D_A7));
    let mut formatted = 0;
    for case in 0..std::env::var("FMT_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(2_000) {
        let (name, seed) = &seeds[case % seeds.len()];
        let mut text = seed.clone();
        for _ in 0..1 + rng.below(3) {
            // Between tokens, where a user could have typed the same.
            let start = rng.below(text.len() + 1);
            let at = text.get(start..).and_then(|r| r.find(char::is_whitespace)).map_or(text.len(), |i| start + i);
            let insert = match rng.below(9) {
                // Brackets or a minus around the next word (where it is a value, it parses).
                7 | 8 => {
                    let word_start = at + text[at..].len() - text[at..].trim_start().len();
                    let word_len = text[word_start..].find(|c: char| !c.is_alphanumeric() && c != '_').unwrap_or(0);
                    if word_len > 0 {
                        let word = text[word_start..word_start + word_len].to_string();
                        let wrapped = if rng.below(2) == 0 { format!("({word})") } else { format!("-{word}") };
                        text.replace_range(word_start..word_start + word_len, &wrapped);
                    }
                    continue;
                }
                0 => " # an inserted comment\n",
                1 => "\n",
                2 => "   ",
                3 => "\n## an inserted doc comment\n",
                4 => "\n\n",
                5 => " #\n",
                _ => {
                    let lines: Vec<&str> = text.split_inclusive('\n').collect();
                    let mut moved = lines.clone();
                    if lines.len() > 1 {
                        let (i, j) = (rng.below(lines.len()), rng.below(lines.len()));
                        moved.swap(i, j);
                    }
                    text = moved.concat();
                    continue;
                }
            };
            text.insert_str(at, insert);
        }
        let Some(before) = parse_clean(name, &text) else { continue };
        let once = assay::fmt::format_source(&SourceFile::new(name.as_str(), text.as_str())).unwrap_or_else(|d| {
            panic!("case {case} ({name}): {:?}\n{text}", d.iter().map(|d| &d.message).collect::<Vec<_>>())
        });
        let after = parse_clean(name, &once).unwrap();
        assert!(before.definitions == after.definitions, "case {case} ({name}): the tree changed\n{text}");
        assert_eq!(format(name, &once), once, "case {case} ({name}): not a fixed point\n{text}");
        formatted += 1;
    }
    assert!(formatted > 700, "only {formatted} mutants parsed");
}

#[cfg(unix)]
#[test]
fn rewriting_keeps_permissions_and_symbolic_links() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real.assay");
    std::fs::write(&real, "unit   X \"x\"\n").unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
    std::os::unix::fs::symlink("real.assay", dir.path().join("link.assay")).unwrap();
    let out = assay_in(dir.path(), &["fmt", "link.assay"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(std::fs::read_to_string(&real).unwrap(), "unit X \"x\"\n");
    assert!(std::fs::symlink_metadata(dir.path().join("link.assay")).unwrap().file_type().is_symlink());
    assert_eq!(std::fs::metadata(&real).unwrap().permissions().mode() & 0o777, 0o640);
}
