//! The command line as a user meets it: exit codes, help, explain-code, JSON output,
//! suggestions, and `--strict`. Rule files are written to temporary folders.

#![allow(clippy::panic, clippy::string_slice, reason = "test code: failing loudly is the point")]

mod common;

use common::fs::{copy_tree, temp_folder_with};
use common::{assay, assay_in, repo, stderr, stdout};
use std::path::Path;

const PRELUDE: &str = r#"source src "A source" { document "doc.txt" }
unit GBP "pound sterling" symbol "£"
unit FTE "whole-time equivalent"
function finance "Finance" { cite src "s3" }
dataset returns "Returns" {
  cite src "s5"
  entity organisation key "Code"
  field turnover : GBP from "Turnover"
  field cost[f in function] : GBP from "{f.title} cost"
  field fte[f in function] : FTE from "{f.title} FTE"
}
"#;

fn with_rules(extra: &str) -> (tempfile::TempDir, String) {
    let text = format!("{PRELUDE}{extra}");
    (temp_folder_with(&[("rules.assay", &text)]), text)
}

fn json_check(dir: &Path, extra_args: &[&str]) -> serde_json::Value {
    let mut args = vec!["check", "--error-format", "json", "rules.assay"];
    args.extend_from_slice(extra_args);
    let out = assay_in(dir, &args);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(&out)))
}

#[test]
fn shipped_rules_check_clean_by_default_and_strictly() {
    let out = assay(&["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("0 errors, 0 warnings"), "{}", stdout(&out));
    let strict = assay(&["check", "--strict", "rules/"]);
    assert_eq!(strict.status.code(), Some(0), "{}", stdout(&strict));
}

#[test]
fn usage_errors_exit_2_and_help_explains_exit_codes() {
    let out = assay(&["check", "--no-such-flag"]);
    assert_eq!(out.status.code(), Some(2));
    let out = assay(&["check", "--error-format", "yaml"]);
    assert_eq!(out.status.code(), Some(2));
    let help = assay(&["--help"]);
    assert_eq!(help.status.code(), Some(0));
    assert!(stdout(&help).contains("Exit codes"));
    let check_help = assay(&["check", "--help"]);
    assert!(stdout(&check_help).contains("--strict") && stdout(&check_help).contains("--error-format"));
}

#[test]
fn json_diagnostics_carry_code_message_and_byte_offsets() {
    let (dir, text) = with_rules("kpi muddle : GBP = cost[finance] + fte[finance] cite src \"x\"\n");
    let v = json_check(dir.path(), &[]);
    let diags = v["diagnostics"].as_array().unwrap();
    assert_eq!(diags.len(), 1, "{v}");
    let d = &diags[0];
    assert_eq!(d["code"], "unit-mismatch");
    assert_eq!(d["message"], "cannot add £ and FTE");
    let labels = d["labels"].as_array().unwrap();
    let pointed: Vec<(String, String)> = labels
        .iter()
        .map(|l| {
            let off = l["span"]["offset"].as_u64().unwrap() as usize;
            let len = l["span"]["length"].as_u64().unwrap() as usize;
            (text[off..off + len].to_string(), l["label"].as_str().unwrap().to_string())
        })
        .collect();
    assert_eq!(
        pointed,
        vec![
            ("cost[finance]".to_string(), "this is £".to_string()),
            ("fte[finance]".to_string(), "this is FTE".to_string())
        ]
    );
    assert_eq!(v["summary"]["errors"], 1);
    assert_eq!(v["summary"]["ok"], false);
}

#[test]
fn misspelt_kpi_gets_a_suggestion_and_unrelated_names_none() {
    let (dir, _) = with_rules(
        "kpi cost_share : percent = cost[finance] / turnover cite src \"x\"\n\
         kpi doubled : percent = cost_shre * 2 cite src \"x\"\n\
         kpi other : percent = headcount_growth * 2 cite src \"x\"\n",
    );
    let v = json_check(dir.path(), &[]);
    let diags = v["diagnostics"].as_array().unwrap();
    assert_eq!(diags.len(), 2, "{v}");
    assert_eq!(diags[0]["code"], "unknown-name");
    assert_eq!(diags[0]["message"], "unknown name `cost_shre`");
    assert_eq!(diags[0]["help"], "did you mean `cost_share`?");
    assert_eq!(diags[1]["message"], "unknown name `headcount_growth`");
    assert!(!diags[1]["help"].as_str().unwrap().contains("did you mean"), "{}", diags[1]["help"]);
}

#[test]
fn strict_reports_uncited_definitions_and_fails_on_warnings() {
    let (dir, _) = with_rules("kpi share : percent = cost[finance] / turnover\n");
    let lenient = assay_in(dir.path(), &["check", "rules.assay"]);
    assert_eq!(lenient.status.code(), Some(0), "{}", stdout(&lenient));
    let strict = assay_in(dir.path(), &["check", "--strict", "rules.assay"]);
    assert_eq!(strict.status.code(), Some(1));
    assert!(stdout(&strict).contains("uncited"), "{}", stdout(&strict));
    assert!(stdout(&strict).contains("kpi `share` cites no source"), "{}", stdout(&strict));
}

#[test]
fn every_code_is_documented_through_explain_code() {
    let list = assay(&["explain-code", "--list"]);
    assert_eq!(list.status.code(), Some(0));
    let codes: Vec<String> = stdout(&list).lines().map(|l| l.split_whitespace().next().unwrap().to_string()).collect();
    assert!(codes.len() >= 30, "{codes:?}");
    for code in &codes {
        let out = assay(&["explain-code", code]);
        assert_eq!(out.status.code(), Some(0), "{code}");
        let text = stdout(&out);
        assert!(text.starts_with(code.as_str()) && text.contains("Why: ") && text.contains("Example:"), "{text}");
    }
    let wrong = assay(&["explain-code", "unit-mismach"]);
    assert_eq!(wrong.status.code(), Some(2));
    assert!(stderr(&wrong).contains("did you mean `unit-mismatch`?"));
}

#[test]
fn plain_format_narrates_without_drawing() {
    let (dir, _) = with_rules("kpi k : GBP = cost[finance] + fte[finance] cite src \"x\"\n");
    let out = assay_in(dir.path(), &["check", "--error-format", "plain", "rules.assay"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("cannot add £ and FTE") && text.contains("unit-mismatch"), "{text}");
    assert!(!text.contains('╭'), "{text}");
}

/// A path that does not exist is the same usage error (exit 2, `usage-error`) in every
/// command, printed as a diagnostic in the format asked for, and nothing runs.
#[test]
fn a_missing_path_is_the_same_usage_error_in_every_command() {
    let commands: [&[&str]; 8] = [
        &["check", "no/such/dir"],
        &["fmt", "no/such/dir"],
        &["fmt", "--check", "no/such/dir"],
        &["test", "no/such/dir"],
        &["eval", "--rules", "no/such/dir"],
        &["eval", "--data", "no/such/dir"],
        &["explain", "cost_share[finance]", "--entity", "SA0001", "--rules", "no/such/dir"],
        &["classify", "--table", "ledger_activity", "--data", "no/such/dir"],
    ];
    for args in commands {
        let out = assay(args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("usage-error") && err.contains("`no/such/dir` does not exist"), "{args:?}: {err}");
        assert!(!stdout(&out).contains("0 of 0"), "{args:?}: {}", stdout(&out));
        let mut json = args.to_vec();
        json.extend_from_slice(&["--error-format", "json"]);
        let out = assay(&json);
        let err = stderr(&out);
        let doc: serde_json::Value = serde_json::from_str(&err).unwrap_or_else(|e| panic!("{args:?}: {e}: {err}"));
        assert_eq!(doc[0]["code"], "usage-error", "{args:?}: {err}");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
}

/// An `--output` into a folder that does not exist is refused the same way by every command
/// that writes one, before the run's work (`ASSAY_TIMINGS` shows no phase after the rules'),
/// and nothing is created.
#[test]
fn an_output_into_a_missing_folder_is_refused_before_the_work_in_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("missing-folder").join("out.txt");
    let out_arg = target.to_str().unwrap();
    let commands: [&[&str]; 5] = [
        &["eval"],
        &["explain", "cost_share[finance]", "--entity", "SA0001"],
        &["classify", "--table", "ledger_activity"],
        &["verify", "--data", "examples/plans/failing"],
        &["report", "national"],
    ];
    for args in commands {
        let out = assay(&[args, &["--output", out_arg]].concat());
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains("output-error") && err.contains("the folder") && err.contains("does not exist"),
            "{args:?}: {err}"
        );
        assert!(!err.contains("policies over") && !err.contains("classified "), "{args:?} ran first: {err}");
        assert!(!dir.path().join("missing-folder").exists(), "{args:?}");
    }
}

/// Usage mistakes that are not paths are coded diagnostics too, honouring
/// `--error-format`: never hand-written `error[usage]` lines.
#[test]
fn usage_mistakes_are_coded_diagnostics_in_the_format_asked_for() {
    // Rules without a `DEFAULT_DATA` file beside them, for "no data folder".
    let (dir, _) = with_rules("");
    let cases: [(&Path, &[&str]); 4] = [
        (repo(), &["test", "--threshold", "120"]),
        (repo(), &["explain-code", "unit-mismach"]),
        (repo(), &["explain", "total_saving", "--methodology", "national_average", "--by", "acute"]),
        (dir.path(), &["eval", "--rules", "rules.assay"]),
    ];
    for (at, args) in cases {
        let mut json = args.to_vec();
        json.extend_from_slice(&["--error-format", "json"]);
        let out = assay_in(at, &json);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        let doc: serde_json::Value = serde_json::from_str(&err).unwrap_or_else(|e| panic!("{args:?}: {e}: {err}"));
        assert_eq!(doc[0]["code"], "usage-error", "{args:?}: {err}");
        assert!(!doc[0]["help"].as_str().unwrap_or_default().is_empty(), "{args:?}: {err}");
    }
    // Even a command line clap cannot read gives JSON when JSON was asked for.
    let out = assay(&["eval", "--no-such-flag", "--error-format", "json"]);
    let err = String::from_utf8_lossy(&out.stderr);
    let doc: serde_json::Value = serde_json::from_str(&err).unwrap_or_else(|e| panic!("{e}: {err}"));
    assert_eq!((doc[0]["code"].as_str(), out.status.code()), (Some("usage-error"), Some(2)), "{err}");
    assert!(doc[0]["message"].as_str().unwrap_or_default().contains("--no-such-flag"), "{err}");
}

/// `explain-code` needs a code or `--list`, and its usage line says so.
#[test]
fn explain_code_shows_its_code_as_required() {
    let help = stdout(&assay(&["explain-code", "--help"]));
    assert!(help.contains("Usage: assay explain-code [OPTIONS] <CODE|--list>"), "{help}");
    assert!(!help.contains("in brackets"), "{help}");
    assert_eq!(assay(&["explain-code"]).status.code(), Some(2));
}

/// One KPI of the shipped rules declared in the wrong unit is one error, at the KPI: the
/// methodologies in other files that use it as a percentage are not reported again.
#[test]
fn a_kpi_declared_in_the_wrong_unit_is_one_error_not_one_per_use() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&repo().join("rules"), dir.path());
    let kpis = dir.path().join("kpis/headline.assay");
    let text = std::fs::read_to_string(&kpis).unwrap();
    let declared = "kpi cost_share[f in qipp_function] \"Cost of {f.title} as % of turnover\" : percent =";
    assert!(text.contains(declared), "the shipped rules changed: {text}");
    std::fs::write(&kpis, text.replace(declared, &declared.replace(": percent =", ": GBP ="))).unwrap();
    let out = assay_in(dir.path(), &["check", "--error-format", "plain", "."]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert_eq!(text.matches("diagnostic code:").count(), 1, "{text}");
    for line in [
        "this KPI is declared in £, but its formula gives ratio",
        "Begin snippet for kpis/headline.assay starting at line 5, column 1",
        "label at line 6, columns 75 to 77: declared £",
        "label at line 7, columns 3 to 20: this is ratio",
        "diagnostic help: fix the formula, or declare the unit it computes",
        "diagnostic code: declared-unit-mismatch",
        ": 1 error, 0 warnings",
    ] {
        assert!(text.contains(line), "missing `{line}` in:\n{text}");
    }
}

/// A reader that goes away (`| head -1`) ends a command quietly with exit 0, as cargo and
/// ripgrep do; a full disk on standard output is an `output-error` (exit 1).
#[test]
fn a_closed_pipe_ends_quietly_and_a_full_disk_is_an_output_error() {
    let bin = env!("CARGO_BIN_EXE_assay");
    for command in ["explain-code --list", "test", "eval --select cost_share", "check --error-format json rules"] {
        let script = format!("'{bin}' {command} | head -c 1 >/dev/null; echo \"${{PIPESTATUS[0]}}\"");
        let out = std::process::Command::new("bash").arg("-c").arg(&script).current_dir(repo()).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked") && !err.contains("Broken pipe"), "{command}: {err}");
        assert_eq!(stdout(&out).trim(), "0", "{command}: {err}");
    }
    if Path::new("/dev/full").exists() {
        let script = format!("'{bin}' explain-code --list > /dev/full");
        let out = std::process::Command::new("bash").arg("-c").arg(&script).current_dir(repo()).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains("output-error") && err.contains("No space left"), "{err}");
    }
}
