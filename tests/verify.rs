//! `assay verify` on the example consolidation plans (examples/plans): the failing plan
//! breaks every policy over `plan` on the rows built for it (and on no other), each
//! diagnostic pointing at its cells and at the policy's requirement; the compliant plan
//! passes; snapshots of every output format; `--deny warnings`; bad selections, periods,
//! output paths and cells each refused with a coded diagnostic and nothing written; and an
//! `unless` waiver over a dataset declared in a throwaway rules folder.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unreachable,
    reason = "test code: failing loudly is the point"
)]

mod common;

use common::fs::temp_folder_with;
use common::{assay, assay_in, ok_json, ok_stdout, repo, stderr, stdout};
use serde_json::Value as Json;
use std::collections::BTreeSet;
use std::process::Output;

const FAILING: &str = "examples/plans/failing";
const COMPLIANT: &str = "examples/plans/compliant";
const FAILING_PLAN: &str = "examples/plans/failing/plan.csv";

/// The (policy, organisation, line, status, severity) built into the failing plan; the
/// table in examples/plans/README.md says why each row breaks its policy.
const BUILT_IN: &[(&str, &str, u64, &str, &str)] = &[
    ("strategic_in_house", "RX101", 3, "failed", "error"),
    ("co_operative_equitable_shares", "RX102", 5, "failed", "warning"),
    ("co_operative_exit_costs", "RX103", 7, "failed", "error"),
    ("co_operative_new_partner_savings", "RX104", 8, "failed", "warning"),
    ("co_operative_exit_costs", "RX104", 9, "undecided", "error"),
    ("transactional_candidates", "RX201", 11, "failed", "warning"),
    ("align_before_sharing", "RX202", 12, "failed", "warning"),
    ("partners_by_april_2011", "RX301", 15, "failed", "warning"),
    ("operational_not_outsourced", "RX302", 18, "failed", "warning"),
    ("co_operative_scale", "RX401", 19, "failed", "warning"),
    ("co_operative_scale", "RX402", 20, "failed", "warning"),
    // Grouped policies report a group (consortium, activity or consortium) at its first row.
    ("co_operative_investment_whole", "Northern Fells Co-operative, general_ledger_accounting", 9, "failed", "error"),
    ("priority_areas_covered", "Vale and Downs Shared Services", 10, "failed", "warning"),
    ("priority_areas_covered", "Estuary Partnership", 15, "failed", "warning"),
    ("priority_areas_covered", "Northern Fells Co-operative", 2, "waived", "warning"),
];

/// Run `assay verify` from the repository root.
fn verify(args: &[&str]) -> Output {
    let mut all = vec!["verify"];
    all.extend_from_slice(args);
    assay(&all)
}

/// Standard output of a run that must exit with `code`; the panic shows standard error.
fn stdout_with_exit(o: &Output, code: i32) -> String {
    assert_eq!(o.status.code(), Some(code), "exit {:?}\n{}\n{}", o.status.code(), stdout(o), stderr(o));
    stdout(o)
}

/// The policies of rules/policies.assay whose `for` ranges over `plan` (row by row, or
/// grouped with `by`), read from the rule text itself so that a policy added there must be
/// broken by the failing example too. An indexed policy (`policy p[a in set]`) is named `p`.
fn plan_policies() -> BTreeSet<String> {
    let text = std::fs::read_to_string(repo().join("rules/policies.assay")).unwrap();
    let over_plan = regex::Regex::new(r"\bfor \w+ in plan( by [\w, ]+)?:").unwrap();
    let mut current = None;
    let mut out = BTreeSet::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("policy ") {
            current = rest.split(|c: char| c.is_whitespace() || c == '[').next().map(str::to_owned);
        }
        if over_plan.is_match(line) {
            out.insert(current.clone().unwrap());
        }
    }
    assert!(out.len() >= 11, "expected the plan policies in rules/policies.assay, found {out:?}");
    assert!(out.contains("co_operative_investment_whole") && out.contains("priority_areas_covered"), "{out:?}");
    out
}

/// The groups a grouped policy counts in `plan.csv` of `folder`: its distinct
/// (consortium, activity) pairs, and its consortia times the priority areas of
/// rules/sets.assay.
fn plan_groups(folder: &str) -> (usize, usize) {
    let plan = std::fs::read_to_string(repo().join(folder).join("plan.csv")).unwrap();
    let mut services = BTreeSet::new();
    let mut consortia = BTreeSet::new();
    for line in plan.lines().skip(1) {
        let cells: Vec<&str> = line.splitn(4, ',').collect();
        services.insert((cells[1].to_owned(), cells[2].to_owned()));
        consortia.insert(cells[1].to_owned());
    }
    let sets = std::fs::read_to_string(repo().join("rules/sets.assay")).unwrap();
    let body = sets.split("set priority_area ").nth(1).unwrap().split('}').next().unwrap();
    let areas = body
        .lines()
        .filter(|l| l.trim_start().starts_with(|c: char| c.is_ascii_lowercase()))
        .filter(|l| !l.trim_start().starts_with("cite "))
        .count();
    assert_eq!(areas, 24, "{body}");
    (services.len(), consortia.len() * areas)
}

// ---------------------------------------------------------------------------------------
// The failing plan

#[test]
fn failing_plan_breaks_every_plan_policy_on_the_rows_built_for_it() {
    let out = verify(&["--data", FAILING, "--format", "json"]);
    let json: Json = serde_json::from_str(&stdout_with_exit(&out, 1)).unwrap();
    let violations = json["violations"].as_array().unwrap();

    let found: BTreeSet<(String, String, u64, String, String)> = violations
        .iter()
        .map(|v| {
            (
                v["policy"].as_str().unwrap().to_owned(),
                v["entity"].as_str().unwrap().to_owned(),
                v["line"].as_u64().unwrap(),
                v["status"].as_str().unwrap().to_owned(),
                v["severity"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected: BTreeSet<(String, String, u64, String, String)> = BUILT_IN
        .iter()
        .map(|(p, e, l, s, sev)| ((*p).to_owned(), (*e).to_owned(), *l, (*s).to_owned(), (*sev).to_owned()))
        .collect();
    assert_eq!(found, expected);
    assert_eq!(violations.len(), BUILT_IN.len(), "a violation reported twice");

    // Every policy over `plan` is broken at least once.
    let broken: BTreeSet<String> = BUILT_IN.iter().map(|(p, ..)| (*p).to_owned()).collect();
    assert_eq!(broken, plan_policies());

    // Each violation names the cells it read: on its own row of the plan, or for a grouped
    // policy, on rows of its group (whose consortium the entity names first).
    let plan = std::fs::read_to_string(repo().join(FAILING_PLAN)).unwrap();
    let consortium_at =
        |line: u64| plan.lines().nth(usize::try_from(line).unwrap() - 1).unwrap().split(',').nth(1).unwrap();
    for v in violations {
        let cells = v["cells"].as_array().unwrap();
        assert!(!cells.is_empty(), "no cells: {v}");
        let grouped = !v["entity"].as_str().unwrap().starts_with("RX");
        for c in cells {
            assert_eq!(c["file"], FAILING_PLAN, "{v}");
            if grouped {
                let group = v["entity"].as_str().unwrap().split(", ").next().unwrap();
                assert_eq!(consortium_at(c["line"].as_u64().unwrap()), group, "{v}");
            } else {
                assert_eq!(c["line"], v["line"], "{v}");
            }
            assert!(c["column"].as_u64().unwrap() >= 1, "{v}");
            assert!(c["text"].is_string(), "{v}");
        }
        // And the cell the policy turns on holds what the README says.
        let texts: Vec<&str> = cells.iter().map(|c| c["text"].as_str().unwrap()).collect();
        let expect = match (v["policy"].as_str().unwrap(), v["entity"].as_str().unwrap()) {
            ("strategic_in_house", _) => "management_accounting",
            ("co_operative_equitable_shares", _) => "15%",
            ("co_operative_exit_costs", "RX103") => "no",
            ("co_operative_exit_costs", "RX104") => "",
            ("co_operative_new_partner_savings", _) => "no",
            ("transactional_candidates", _) => "in_house",
            ("align_before_sharing", _) => "no",
            ("partners_by_april_2011", _) => "2011-09-30",
            ("operational_not_outsourced", _) => "workforce_planning",
            ("co_operative_scale", _) => "14500",
            // RX104's share, alone in its group.
            ("co_operative_investment_whole", _) => "18%",
            // Vale and Downs has no internal-audit row at all (its first rows are shown);
            // Estuary's estates row is in-house with no reason; Northern Fells' gives one.
            ("priority_areas_covered", "Vale and Downs Shared Services") => {
                assert!(!texts.contains(&"internal_audit"), "{texts:?}");
                "support_desk"
            }
            // No row decides an area nobody consolidates: the group's first rows are shown.
            ("priority_areas_covered", "Estuary Partnership") => "payroll_area",
            // The row that waives it is shown, with its reason.
            ("priority_areas_covered", "Northern Fells Co-operative") => {
                assert!(texts.iter().any(|t| t.len() > 20), "no reason among {texts:?}");
                "legal_services_area"
            }
            other => panic!("unexpected violation {other:?}"),
        };
        assert!(texts.contains(&expect), "{}: {texts:?} lacks `{expect}`", v["policy"]);
    }

    // An indexed policy names the member each verdict is for.
    let areas: Vec<(&str, &str)> = violations
        .iter()
        .filter(|v| v["policy"] == "priority_areas_covered")
        .map(|v| (v["entity"].as_str().unwrap(), v["index"]["priority_area"].as_str().unwrap()))
        .collect();
    assert_eq!(
        areas,
        [
            ("Vale and Downs Shared Services", "internal_audit"),
            ("Estuary Partnership", "estates_and_facilities"),
            ("Northern Fells Co-operative", "legal_services_area")
        ]
    );

    // Three errors failed, one undecided (counted against its severity), ten warnings
    // failed, one waived (not counted as a warning).
    assert_eq!(json["summary"]["errors"], 4);
    assert_eq!(json["summary"]["warnings"], 10);
    assert_eq!(json["summary"]["waived"], 1);
    let skipped: Vec<&str> = json["skipped"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert!(skipped.contains(&"no_suspense_postings"), "{skipped:?}");

    // The summary counts each row of the plan once, however many policies read it.
    let rows = std::fs::read_to_string(repo().join(FAILING_PLAN)).unwrap().lines().count() - 1;
    assert_eq!(json["summary"]["rows"], serde_json::json!([{"dataset": "plan", "rows": rows}]));
    assert!(json["summary"]["text"].as_str().unwrap().starts_with(&format!("11 policies over {rows} rows of `plan`:")));
}

#[test]
fn each_human_diagnostic_shows_the_cells_and_the_requirement() {
    let out = stdout_with_exit(&verify(&["--data", FAILING]), 1);
    // One diagnostic per violation, each starting with its code on a line of its own.
    let code = regex::Regex::new(r"(?m)^policy-[a-z]+$").unwrap();
    let blocks: Vec<&str> = code.split(&out).skip(1).collect();
    assert_eq!(blocks.len(), BUILT_IN.len(), "{out}");
    let plan = std::fs::read_to_string(repo().join(FAILING_PLAN)).unwrap();
    for (policy, org, line, _, _) in BUILT_IN {
        // The output follows the policies' order, not the rows': find this one's block.
        let block = blocks
            .iter()
            .find(|b| {
                // A group's diagnostic opens at the row that decided it, which need not be
                // its first: find it by its help line instead.
                let grouped = org.contains(' ');
                (b.contains(&format!(" {policy}: ")) || b.contains(&format!(" {policy}[")))
                    && (b.contains(&format!("╭─[{FAILING_PLAN}:{line}:"))
                        || (grouped && b.contains(&format!("help: {org}"))))
            })
            .unwrap_or_else(|| panic!("no diagnostic for {policy} at line {line}:\n{out}"));
        assert!(block.contains(&format!("help: {org}")), "{policy} {org}:\n{block}");
        // The data excerpt: the plan row, with its cells underlined and labelled.
        // (A group's is the row that decided it, when one did.)
        if !org.contains(' ') || block.contains(&format!("╭─[{FAILING_PLAN}:{line}:")) {
            let row = plan.lines().nth(usize::try_from(*line).unwrap() - 1).unwrap();
            assert!(block.contains(&format!(" {line} │ {row}\n")), "row {line} not shown:\n{block}");
        }
        assert!(block.contains("─┬") || block.contains('▲'), "no underline:\n{block}");
        assert!(block.contains("` is `"), "no cell label:\n{block}");
        // The rule excerpt: the policy's requirement, labelled.
        assert!(block.contains("╭─[rules/policies.assay:"), "{block}");
        assert!(block.contains("required here"), "{block}");
    }
    assert!(out.contains("not run: `no_suspense_postings` (no file of `ledger` in the data folder)"), "{out}");
    assert!(out.contains(": 4 errors, 10 warnings, 1 waived"), "{out}");
}

/// Hashes of the rule and data files in the stamp change with any edit to `rules/`, and
/// assay's version with every release: neither is what these snapshots are about. (SARIF's
/// own `"version": "2.1.0"` is kept.)
fn stable(text: &str) -> String {
    let hash = regex::Regex::new("[0-9a-f]{64}").unwrap();
    let ours = format!(r#""version": "{}""#, env!("CARGO_PKG_VERSION"));
    hash.replace_all(text, "[sha256]").replace(&ours, r#""version": "[version]""#)
}

#[test]
fn failing_plan_outputs_in_every_format() {
    for format in ["human", "json", "csv", "sarif", "junit"] {
        let out = stdout_with_exit(&verify(&["--data", FAILING, "--format", format]), 1);
        assert!(out.contains("RX401"), "{format}: {out}");
        insta::assert_snapshot!(format!("failing_plan_{format}"), stable(&out));
    }
}

#[test]
fn snapshots_filter_only_hashes_and_the_version() {
    // The filter must leave the paths in: they are relative, so the same on every machine.
    let out = stdout_with_exit(&verify(&["--data", FAILING, "--format", "json"]), 1);
    let json: Json = serde_json::from_str(&out).unwrap();
    assert_eq!(json["stamp"]["data"][0]["path"], FAILING_PLAN);
    assert!(!out.contains(repo().to_str().unwrap()), "an absolute path in the output");
    let filtered = stable(&out);
    assert!(filtered.contains("\"sha256\": \"[sha256]\""), "{filtered}");
    assert!(!filtered.contains(json["stamp"]["data"][0]["sha256"].as_str().unwrap()));
}

// ---------------------------------------------------------------------------------------
// The compliant plan, and warnings

#[test]
fn compliant_plan_passes_every_policy() {
    let out = ok_stdout(&verify(&["--data", COMPLIANT]));
    assert!(out.contains(": 0 errors, 0 warnings, 3 waived"), "{out}");
    assert!(out.contains("not run: `no_suspense_postings`"), "{out}");
    let json = ok_json(&verify(&["--data", COMPLIANT, "--format", "json"]));
    // Only the three areas Northern Fells keeps in-house, each with its reason, are listed.
    let waived: Vec<(&str, &str, &str)> = json["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["status"].as_str().unwrap(),
                v["entity"].as_str().unwrap(),
                v["index"]["priority_area"].as_str().unwrap(),
            )
        })
        .collect();
    let nf = "Northern Fells Co-operative";
    assert_eq!(
        waived,
        [
            ("waived", nf, "occupational_health"),
            ("waived", nf, "estates_and_facilities"),
            ("waived", nf, "legal_services_area")
        ]
    );
    let policies = json["policies"].as_array().unwrap();
    let names: BTreeSet<String> = policies.iter().map(|p| p["name"].as_str().unwrap().to_owned()).collect();
    assert_eq!(names, plan_policies());
    // A row-by-row policy counts the plan's rows; a grouped one its groups.
    let rows = std::fs::read_to_string(repo().join(COMPLIANT).join("plan.csv")).unwrap().lines().count() - 1;
    let (services, consortium_areas) = plan_groups(COMPLIANT);
    for p in policies {
        let (counted, waived) = match p["name"].as_str().unwrap() {
            "co_operative_investment_whole" => (services, 0),
            "priority_areas_covered" => (consortium_areas, 3),
            _ => (rows, 0),
        };
        assert_eq!(p["rows"], counted, "{p}");
        assert_eq!(p["passed"], counted - waived, "{p}");
        assert_eq!(p["waived"], waived, "{p}");
    }
}

const HEADER: &str = "Organisation,Consortium,Activity,Model,Employees served,Investment share,Savings share,\
Exit costs paid by leaving partner,New partners' unit-cost savings shared by all,\
Processes simplified and standardised first,Partners agreed\n";

/// A plan whose only fault is a warning: a transactional activity kept in-house.
fn warnings_only_plan() -> tempfile::TempDir {
    let plan = format!(
        "{HEADER}RX201,Vale and Downs Shared Services,it_service_desk,shared_services_company,,,,,,yes,2011-02-28\n\
         RX201,Vale and Downs Shared Services,purchase_order_processing,in_house,,,,,,,\n"
    );
    temp_folder_with(&[("plan.csv", &plan)])
}

#[test]
fn deny_warnings_fails_a_plan_with_only_warnings() {
    let dir = warnings_only_plan();
    let data = dir.path().to_str().unwrap();
    // Only this policy: a two-row consortium leaves most priority areas uncovered.
    let one = ["--policy", "transactional_candidates"];
    let out = ok_stdout(&verify(&[&["--data", data][..], &one].concat()));
    assert!(out.contains(": 0 errors, 1 warning"), "{out}");
    assert!(out.contains("transactional_candidates"), "{out}");
    let denied = stdout_with_exit(&verify(&[&["--data", data, "--deny", "warnings"][..], &one].concat()), 1);
    assert!(denied.contains("transactional_candidates"), "{denied}");
}

// ---------------------------------------------------------------------------------------
// Bad input: a coded diagnostic, the right exit status, nothing written

/// A run that must fail with `code` and diagnostic `name`, writing nothing to stdout;
/// returns its standard error.
fn refused(o: &Output, code: i32, name: &str) -> String {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(code), "exit {:?}\n{err}", o.status.code());
    assert!(err.starts_with(name), "expected `{name}`:\n{err}");
    assert_eq!(stdout(o), "", "something was written on a refused run");
    err
}

#[test]
fn an_unknown_policy_is_a_usage_error() {
    let err = refused(&verify(&["--data", FAILING, "--policy", "nope"]), 2, "unknown-selection");
    assert!(err.contains("no policy `nope`"), "{err}");
    // Nothing is close to `nope`: every policy is listed instead.
    // (rules/data_quality.assay's policies come first, in file order.)
    let listed = err.split("the policies are: ").nth(1).unwrap().split_whitespace().collect::<String>();
    assert!(listed.contains(",strategic_in_house,"), "{err}");
    assert!(listed.contains(",co_operative_investment_whole,priority_areas_covered,"), "{err}");
    let err = refused(&verify(&["--data", FAILING, "--policy", "strategic_in_hous"]), 2, "unknown-selection");
    assert!(err.contains("did you mean `strategic_in_house`?"), "{err}");
}

#[test]
fn a_selected_policy_runs_alone() {
    let json: Json = serde_json::from_str(&stdout_with_exit(
        &verify(&["--data", FAILING, "--policy", "co_operative_scale", "--format", "json"]),
        0,
    ))
    .unwrap();
    let policies: Vec<&str> =
        json["violations"].as_array().unwrap().iter().map(|v| v["entity"].as_str().unwrap()).collect();
    assert_eq!(policies, ["RX401", "RX402"]);
    assert_eq!(json["policies"].as_array().unwrap().len(), 1);
}

#[test]
fn a_period_the_plan_does_not_have_is_refused() {
    let err = refused(&verify(&["--data", FAILING, "--period", "2031/32"]), 1, "no-entities");
    assert!(err.contains("no data for period `2031/32`"), "{err}");
    assert!(err.contains("nothing was written"), "{err}");
}

#[test]
fn an_output_into_a_missing_folder_is_refused_and_not_created() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("missing-folder").join("out.json");
    let err = refused(
        &verify(&["--data", FAILING, "--format", "json", "--output", target.to_str().unwrap()]),
        1,
        "output-error",
    );
    assert!(err.contains("missing-folder"), "{err}");
    assert!(!target.exists());
    assert!(!dir.path().join("missing-folder").exists());
}

#[test]
fn an_unknown_activity_is_refused_at_its_cell_with_a_suggestion() {
    let plan = std::fs::read_to_string(repo().join(FAILING_PLAN)).unwrap();
    let bad =
        plan.replacen("RX302,Estuary Partnership,payroll_services", "RX302,Estuary Partnership,payrol_services", 1);
    assert_ne!(bad, plan);
    let dir = temp_folder_with(&[("plan.csv", &bad)]);
    let err = refused(&verify(&["--data", dir.path().to_str().unwrap()]), 1, "data-not-in-set");
    assert!(err.contains("`payrol_services` is not a member of `activity`"), "{err}");
    assert!(err.contains("plan.csv:17:3)"), "{err}");
    assert!(err.contains("column `Activity` holds members of `activity`"), "{err}");
    assert!(err.contains("did you mean `payroll_services`?"), "{err}");
    assert!(err.contains("nothing was written"), "{err}");
}

// ---------------------------------------------------------------------------------------
// `unless`: a waived row is listed, and does not fail the run

const WAIVER_RULES: &str = r#"## Spend lines.
dataset spend "Spend lines" records {
  file "spend.csv"
  on_bad_row reject
  entity organisation key "Organisation"
  missing ""
  field amount : count from "Amount"
  field justification : text from "Justification" optional
}

## Small amounts only, unless justified.
policy small_amounts "Amounts stay small" severity error {
  for s in spend: require s.amount <= 10
  unless not is_missing(s.justification)
  message "{s.amount} is too large"
}
"#;

#[test]
fn unless_waives_a_justified_row_only() {
    let dir = temp_folder_with(&[
        ("rules/waiver.assay", WAIVER_RULES),
        ("data/spend.csv", "Organisation,Amount,Justification\nA1,5,\nA2,50,agreed by the board\nA3,70,\n"),
    ]);
    let run = |args: &[&str]| {
        let mut all = vec!["verify", "--rules", "rules", "--data", "data"];
        all.extend_from_slice(args);
        assay_in(dir.path(), &all)
    };
    let json: Json = serde_json::from_str(&stdout_with_exit(&run(&["--format", "json"]), 1)).unwrap();
    let got: Vec<(&str, &str)> = json["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["entity"].as_str().unwrap(), v["status"].as_str().unwrap()))
        .collect();
    assert_eq!(got, [("A2", "waived"), ("A3", "failed")]);
    assert_eq!(json["summary"]["waived"], 1);
    assert_eq!(json["summary"]["errors"], 1);
    let human = stdout_with_exit(&run(&[]), 1);
    assert!(human.contains("waived by this exception"), "{human}");

    // Without the unjustified row, the waived one alone does not fail the run.
    std::fs::write(dir.path().join("data/spend.csv"), "Organisation,Amount,Justification\nA2,50,agreed by the board\n")
        .unwrap();
    let out = stdout_with_exit(&run(&[]), 0);
    assert!(out.contains("0 errors, 0 warnings, 1 waived"), "{out}");
    // And without the justification, it does.
    std::fs::write(dir.path().join("data/spend.csv"), "Organisation,Amount,Justification\nA2,50,\n").unwrap();
    stdout_with_exit(&run(&[]), 1);
}

/// The violations of a run as (policy, entity, status, cells' field and text), without files.
fn verdict_keys(doc: &Json) -> Vec<String> {
    doc["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let cells: Vec<String> = v["cells"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| format!("{}={}", c["field"].as_str().unwrap(), c["text"].as_str().unwrap_or("")))
                .collect();
            format!("{} {} {} {} [{}]", v["policy"], v["index"], v["entity"], v["status"], cells.join(" "))
        })
        .collect()
}

#[test]
fn yaml_plans_give_the_csv_plans_verdicts_with_their_lines() {
    for (csv, yaml) in [(FAILING, "examples/plans/failing-yaml"), (COMPLIANT, "examples/plans/compliant-yaml")] {
        let a: Json = serde_json::from_str(&stdout(&verify(&["--data", csv, "--format", "json"]))).unwrap();
        let b: Json = serde_json::from_str(&stdout(&verify(&["--data", yaml, "--format", "json"]))).unwrap();
        assert_eq!(verdict_keys(&a), verdict_keys(&b), "{csv} and {yaml}");
        assert_eq!(a["summary"]["text"], b["summary"]["text"]);
        // Each YAML cell is placed on its own line of the YAML file.
        for v in b["violations"].as_array().unwrap() {
            // A blank cell is a key left out of its record: it has no text to find.
            for c in v["cells"].as_array().unwrap().iter().filter(|c| c["text"].is_string()) {
                let line = c["line"].as_u64().unwrap() as usize;
                let text = std::fs::read_to_string(repo().join(yaml).join("plan.yaml")).unwrap();
                let shown = text.lines().nth(line - 1).unwrap();
                assert!(shown.contains(c["text"].as_str().unwrap()), "{shown} {c}");
            }
        }
    }
}

#[test]
fn a_folder_with_both_names_of_the_plan_is_refused() {
    let dir = temp_folder_with(&[]);
    for (from, to) in [("failing/plan.csv", "plan.csv"), ("failing-yaml/plan.yaml", "plan.yaml")] {
        std::fs::copy(repo().join("examples/plans").join(from), dir.path().join(to)).unwrap();
    }
    let rules = repo().join("rules");
    let out = assay(&["verify", "--rules", rules.to_str().unwrap(), "--data", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("ambiguous-data-file"), "{}", stderr(&out));
    assert!(stdout(&out).is_empty());
}

#[test]
fn a_verdict_on_a_summed_row_shows_the_records_it_was_summed_from() {
    // ERIC's trusts are sums of their sites' rows: a verdict on a trust has no one line,
    // and its cells are the sites' cells.
    let out = assay(&["verify", "--rules", "examples/eric/rules", "--data", "examples/eric/data", "--format", "json"]);
    let json: Json = serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| panic!("{e}\n{}", stderr(&out)));
    let v = json["violations"].as_array().unwrap().iter().find(|v| v["policy"] == "energy_year_on_year").unwrap();
    assert!(v["line"].is_null() && v["file"].is_null(), "{v}");
    let cells = v["cells"].as_array().unwrap();
    assert!(cells.len() > 1, "{v}");
    for c in cells {
        let path = repo().join(c["file"].as_str().unwrap());
        let text = std::fs::read_to_string(path).unwrap();
        let line = text.lines().nth(c["line"].as_u64().unwrap() as usize - 1).unwrap();
        assert!(line.starts_with(v["entity"].as_str().unwrap()), "{line} is not a row of {}", v["entity"]);
        assert!(line.contains(c["text"].as_str().unwrap()), "{line} {c}");
    }
}

#[test]
fn explaining_a_verdict_shows_the_activity_class_and_where_it_is_given() {
    let out = assay(&["explain", "strategic_in_house", "--entity", "RX101", "--row", "3", "--data", FAILING]);
    let text = ok_stdout(&out);
    assert!(text.contains("policy strategic_in_house for RX101 = false"), "{text}");
    assert!(text.contains("class of `management_accounting` = strategic"), "{text}");
    assert!(text.contains("☞ defined at rules/functions/finance.assay:"), "{text}");
    assert!(text.contains("read from examples/plans/failing/plan.csv:3:4, column `Model`"), "{text}");
}
