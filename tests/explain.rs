//! `assay explain` on the shipped examples: snapshots of the tree for a saving, a KPI, a
//! peer-group target and a total; every figure `eval` produces is explained to exactly the
//! same value; the JSON graph leads from the national total to one cell of the CSV; and
//! `--against` names a data file changed since a saved run.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unreachable,
    reason = "test code: failing loudly is the point"
)]

mod common;

use assay::eval::engine::Target;
use assay::explain::{self, Request};
use common::{assay, assay_with_env, ok_json, ok_stdout, repo, stderr, stdout};
use serde_json::Value as Json;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

// ---------------------------------------------------------------------------------------
// Snapshots of the tree

#[test]
fn a_saving_is_explained_down_to_its_data_cells() {
    let out =
        ok_stdout(&assay(&["explain", "saving[finance]", "--methodology", "national_average", "--entity", "SA0001"]));
    assert!(out.contains("benchmark.csv:2:8, column `Finance cost`, raw text `3188218.64`"), "{out}");
    insta::assert_snapshot!(out);
}

#[test]
fn a_kpi_is_explained_to_its_formula_and_cells() {
    insta::assert_snapshot!(ok_stdout(&assay(&["explain", "cost_share[finance]", "--entity", "SA0002"])));
}

#[test]
fn a_peer_group_target_shows_kept_and_trimmed_members() {
    let out =
        ok_stdout(&assay(&["explain", "national_average.target[procurement]", "--entity", "SA0003", "--depth", "2"]));
    for word in ["trimmed (low)", "kept", "trimmed (high)", "◀ this entity", "rounded down"] {
        assert!(out.contains(word), "no `{word}` in:\n{out}");
    }
    insta::assert_snapshot!(out);
}

#[test]
fn a_total_lists_its_largest_contributions_first() {
    let out = ok_stdout(&assay(&[
        "explain",
        "total_saving",
        "--methodology",
        "national_average",
        "--by",
        "org_type=acute",
        "--top",
        "3",
        "--depth",
        "2",
    ]));
    // The same figure as eval's table (README: acute £135,343,631.02).
    assert!(out.contains("total saving by org_type=acute in 2009/10 = £135,343,631.02"), "{out}");
    insta::assert_snapshot!(out);
}

#[test]
fn markdown_makes_an_audit_pack() {
    let out = ok_stdout(&assay(&[
        "explain",
        "saving[finance]",
        "--methodology",
        "national_average",
        "--entity",
        "SA0001",
        "--format",
        "markdown",
    ]));
    assert!(out.starts_with("# Explanation\n"));
    assert!(out.contains("| `examples/qipp-2009-10/benchmark.csv` | 2 | 8 | Finance cost | `3188218.64` |"), "{out}");
    assert!(out.contains("| rank | entity | value | status |"));
}

#[test]
fn selectors_that_name_nothing_are_usage_errors() {
    let o = assay(&["explain", "saving[finance]", "--entity", "SA0001"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("give `--methodology`"));
    let o = assay(&["explain", "cost_share[finanse]", "--entity", "SA0001"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("did you mean `finance`?"));
    let o = assay(&["explain", "cost_share[finance]", "--entity", "SA9999"]);
    assert_eq!(o.status.code(), Some(2));
    let o = assay(&["explain", "total_saving", "--methodology", "national_average", "--by", "org_type=nowhere"]);
    assert_eq!(o.status.code(), Some(2));
}

/// A group of up to 1,000 lists every member in text and Markdown alike, so the statistic
/// can be worked again by hand from either (73 acute trusts here, 60 were once shown).
#[test]
fn a_peer_group_of_73_lists_every_member_in_text_and_markdown() {
    let args = ["explain", "saving[finance]", "--methodology", "national_average", "--entity", "SA0001"];
    let text = ok_stdout(&assay(&args));
    let listed = |status: &str| text.lines().filter(|l| l.trim_end().ends_with(status)).count();
    assert_eq!((listed("trimmed (low)"), listed("trimmed (high)")), (18, 18), "{text}");
    assert_eq!(text.lines().filter(|l| l.contains("%  kept")).count(), 37, "{text}");
    assert!(!text.contains(" more"), "{text}");
    let markdown = ok_stdout(&assay(&[&args[..], &["--format", "markdown"]].concat()));
    let rows = markdown.lines().filter(|l| l.starts_with("| ") && l.contains(" | SA")).count();
    assert_eq!(rows, 73, "{markdown}");
    assert!(!markdown.contains("more members not listed"), "{markdown}");
    let json: Json = serde_json::from_slice(&assay(&[&args[..], &["--format", "json"]].concat()).stdout).unwrap();
    let stat = json["nodes"].as_array().unwrap().iter().find_map(|n| n.get("statistic")).unwrap();
    assert_eq!((stat["members"].as_array().unwrap().len(), stat["members_omitted"].as_u64()), (73, Some(0)));
}

/// Each follow-up command, pasted into a shell, explains its node: a bracketed selector is
/// quoted, so a file the brackets would glob to (`cost_sharef` for `cost_share[finance]`)
/// changes nothing. In text and Markdown alike.
#[test]
fn follow_up_commands_are_quoted_for_the_shell() {
    let args =
        ["explain", "saving[finance]", "--methodology", "national_average", "--entity", "SA0001", "--depth", "1"];
    let text = ok_stdout(&assay(&args));
    let expected = "assay explain 'cost_share[finance]' --entity SA0001 --period 2009/10";
    assert!(text.contains(&format!("↳ {expected}\n")), "{text}");
    let markdown = ok_stdout(&assay(&[&args[..], &["--format", "markdown"]].concat()));
    assert!(markdown.contains(&format!("`{expected}`")), "{markdown}");
    // Run the printed command by a shell, in a folder where the unquoted brackets would glob.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cost_sharef"), "").unwrap();
    let command = expected.replacen("assay", "\"$ASSAY\"", 1);
    let rules = repo().join("rules");
    let data = repo().join("examples/qipp-2009-10");
    let o = Command::new("sh")
        .arg("-c")
        .arg(format!("{command} --depth 0 --rules \"$RULES\" --data \"$DATA\""))
        .current_dir(dir.path())
        .env("ASSAY", env!("CARGO_BIN_EXE_assay"))
        .env("RULES", rules)
        .env("DATA", data)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(ok_stdout(&o).contains("KPI cost_share[finance] for SA0001 in 2009/10 = 1.03%"));
}

/// ERIC's methodology declares no `scale`: a total's contributions are its figure as it is,
/// not "× scale"; the shipped methodologies' are scaled and say so.
#[test]
fn contributions_say_scale_only_where_the_methodology_declares_one() {
    let eric = ok_stdout(&assay(&[
        "explain",
        "total_saving",
        "--rules",
        "examples/eric/rules",
        "--data",
        "examples/eric/data",
        "--period",
        "2013/14",
        "--top",
        "2",
        "--depth",
        "1",
    ]));
    assert!(!eric.contains("scale"), "{eric}");
    assert!(eric.contains("── contribution saving for RTD in 2013/14 = £4,439,095.37"), "{eric}");
    let qipp = ok_stdout(&assay(&["explain", "total_saving", "--methodology", "national_average", "--top", "1"]));
    assert!(qipp.contains("] × scale for "), "{qipp}");
}

// ---------------------------------------------------------------------------------------
// From the national total to one data cell, following the JSON graph only

#[test]
fn the_json_graph_leads_from_the_national_total_to_a_cell_of_the_csv() {
    let out = ok_stdout(&assay(&[
        "explain",
        "total_saving",
        "--methodology",
        "national_average",
        "--top",
        "1",
        "--format",
        "json",
    ]));
    let g: Json = serde_json::from_str(&out).unwrap();
    let nodes = g["nodes"].as_array().unwrap();
    let node = |id: &Json| &nodes[id.as_u64().unwrap() as usize];
    let root = node(&g["root"]);
    assert_eq!(root["kind"], "total");
    assert_eq!(g["stamp"]["data"][0]["path"], "examples/qipp-2009-10/benchmark.csv");
    // Edges and `inputs` agree.
    for e in g["edges"].as_array().unwrap() {
        assert!(node(&e["from"])["inputs"].as_array().unwrap().contains(&e["to"]));
    }
    // total → largest contribution → saving → cost_share → cost (a data cell).
    let contribution = node(&root["inputs"][0]);
    assert_eq!(contribution["kind"], "contribution");
    let saving = node(&contribution["inputs"][0]);
    assert_eq!(saving["kind"], "figure");
    let find = |n: &Json, kind: &str, name: &str| -> Json {
        n["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(node)
            .find(|i| i["kind"] == kind && i["name"].as_str().unwrap().starts_with(name))
            .cloned()
            .unwrap_or_else(|| panic!("no {kind} {name} among the inputs of {n}"))
    };
    let share = find(saving, "kpi", "cost_share");
    let cost = find(&share, "data", "cost");
    let cell = &cost["provenance"][0];
    // The cell named is really in the file, with that text, on that line and column.
    let text = std::fs::read_to_string(repo().join(cell["file"].as_str().unwrap())).unwrap();
    let line = text.lines().nth(cell["row"].as_u64().unwrap() as usize - 1).unwrap();
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(line.as_bytes());
    let record = reader.records().next().unwrap().unwrap();
    let column = cell["column"].as_u64().unwrap() as usize;
    assert_eq!(&record[column - 1], cell["raw"].as_str().unwrap());
    assert_eq!(record[0], *saving["entity"].as_str().unwrap());
    let header = text.lines().next().unwrap().split(',').nth(column - 1).unwrap();
    assert_eq!(header, cell["header"].as_str().unwrap());
    assert_eq!(cost["value"].as_str().unwrap(), cell["raw"].as_str().unwrap().replace(',', "").trim_end_matches('0'));
}

// ---------------------------------------------------------------------------------------
// --against a saved result

fn saved_run() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    for f in ["benchmark.csv", "NOTICE"] {
        std::fs::copy(repo().join("examples/qipp-2009-10").join(f), data.join(f)).unwrap();
    }
    let results = dir.path().join("results.json");
    let o = assay(&[
        "eval",
        "--methodology",
        "national_average",
        "--data",
        data.to_str().unwrap(),
        "--format",
        "json",
        "--output",
        results.to_str().unwrap(),
    ]);
    ok_stdout(&o);
    (dir, data, results)
}

/// `explain` of one saving against a saved result, with `more` arguments.
fn against(data: &Path, results: &Path, more: &[&str]) -> Output {
    let args = ["explain", "saving[finance]", "--methodology", "national_average", "--entity", "SA0001"];
    let rest = ["--depth", "0", "--data", data.to_str().unwrap(), "--against", results.to_str().unwrap()];
    assay(&[&args[..], &rest, more].concat())
}

#[test]
fn against_an_unchanged_saved_result_says_it_still_holds() {
    let (_dir, data, results) = saved_run();
    let out = ok_stdout(&against(&data, &results, &[]));
    assert!(out.contains("no rule or data file has changed"), "{out}");
    assert!(out.contains("the same"), "{out}");
    assert!(out.contains("the saved result still holds"), "{out}");
}

#[test]
fn against_names_a_data_file_changed_since_the_saved_run() {
    let (_dir, data, results) = saved_run();
    let csv = data.join("benchmark.csv");
    let text = std::fs::read_to_string(&csv).unwrap().replacen("3188218.64", "3188318.64", 1);
    std::fs::write(&csv, text).unwrap();
    let o = against(&data, &results, &[]);
    assert_eq!(o.status.code(), Some(1), "the saved result no longer holds");
    let out = String::from_utf8(o.stdout).unwrap();
    let changed = format!("CHANGED since the saved run: {}", assay::load::display(&csv));
    assert!(out.contains(&changed), "{out}");
    assert!(out.contains("DIFFERENT"), "{out}");
    assert!(out.contains("no longer holds"), "{out}");
    // The JSON graph says the same.
    let o = against(&data, &results, &["--format", "json"]);
    let g: Json = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(g["against"]["holds"], false);
    assert_eq!(g["against"]["changed"][0]["path"], assay::load::display(&csv));
}

// ---------------------------------------------------------------------------------------
// Every figure eval produces, explained to the same value

/// Explain every figure of an `eval --format json` output in-process (one load per
/// period), and compare each value, exactly, with eval's.
fn every_figure_agrees(rules: &str, data: &str) -> usize {
    let o = assay(&["eval", "--rules", rules, "--data", data, "--format", "json"]);
    let results: Json = ok_json(&o);
    let tree = assay::load::load(&[PathBuf::from(rules)]);
    let model = assay::eval::model::Model::new(&tree);
    let figures = results["figures"].as_array().unwrap();
    let mut periods: Vec<&str> = figures.iter().map(|f| f["period"].as_str().unwrap()).collect();
    periods.dedup();
    periods.sort();
    periods.dedup();
    let mut checked = 0;
    for period in periods {
        let records: Vec<&Json> = figures.iter().filter(|f| f["period"] == period).collect();
        let requests: Vec<Request> = records
            .iter()
            .map(|f| {
                let name = f["name"].as_str().unwrap();
                let meth = f["methodology"].as_str();
                let target = match meth {
                    Some(m) => Target::Figure(m.to_string(), name.to_string()),
                    None => Target::Kpi(name.to_string()),
                };
                let sets = index_sets(&model, &target);
                let key: Vec<&str> = sets.iter().map(|s| f["index"][s.as_str()].as_str().unwrap()).collect();
                let indexed = if key.is_empty() { name.to_string() } else { format!("{name}[{}]", key.join(",")) };
                Request {
                    data_dir: PathBuf::from(data),
                    selector: match meth {
                        Some(m) => format!("{m}.{indexed}"),
                        None => indexed,
                    },
                    entity: Some(f["entity"].as_str().unwrap().to_string()),
                    period: Some(period.to_string()),
                    depth: Some(1),
                    top: 1,
                    ..Request::default()
                }
            })
            .collect();
        let mut sources = tree.files.clone();
        let (graph, diags) = explain::explain_many(&tree, &requests, &mut sources);
        let errors: Vec<String> = diags.iter().filter(|d| d.is_error()).map(|d| d.message.clone()).collect();
        assert!(errors.is_empty(), "{errors:?}");
        let (graph, roots) = graph.unwrap();
        for (record, root) in records.iter().zip(roots) {
            let node = &graph.nodes[root.unwrap_or_else(|d| panic!("{}: {}", record, d.message))];
            let value = assay::value::format::exact(&node.value, &node.unit);
            assert_eq!(value.as_deref(), record["value"].as_str(), "{record}");
            let missing = match &node.value {
                assay::value::Value::Missing(r) => Some(r.to_string()),
                _ => None,
            };
            assert_eq!(missing.as_deref(), record["missing"].as_str(), "{record}");
            checked += 1;
        }
    }
    checked
}

fn index_sets(model: &assay::eval::model::Model<'_>, target: &Target) -> Vec<String> {
    use assay::check::symbols::Item;
    let decls = match target {
        Target::Figure(m, f) => &model.syms.figures[&(m.as_str(), f.as_str())].node.indices,
        Target::Kpi(k) => match model.syms.get(k).map(|s| s.item) {
            Some(Item::Kpi(k)) => &k.indices,
            _ => panic!("{k} is not a KPI"),
        },
        _ => unreachable!(),
    };
    decls.iter().map(|d| d.node.set.node.clone()).collect()
}

#[test]
fn every_figure_of_the_qipp_example_is_explained_to_evals_value() {
    let n = every_figure_agrees("rules", "examples/qipp-2009-10");
    assert!(n > 50_000, "only {n} figures");
}

#[test]
fn every_figure_of_the_eric_example_is_explained_to_evals_value() {
    let n = every_figure_agrees("examples/eric/rules", "examples/eric/data");
    assert!(n > 1_000, "only {n} figures");
}

#[test]
fn every_total_of_the_qipp_example_is_explained_to_evals_value() {
    let o = assay(&["eval", "--format", "json"]);
    let results: Json = ok_json(&o);
    let tree = assay::load::load(&[PathBuf::from("rules")]);
    let mut requests = Vec::new();
    let totals: Vec<&Json> = results["totals"].as_array().unwrap().iter().collect();
    for t in &totals {
        let by: Vec<(String, String)> =
            t["by"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string())).collect();
        // A grand row is explained by its own declaration's dimensions; a group by its group.
        requests.push(Request {
            data_dir: PathBuf::from("examples/qipp-2009-10"),
            selector: format!("total_{}", t["name"].as_str().unwrap()),
            methodology: Some(t["methodology"].as_str().unwrap().to_string()),
            by: if t["grand"] == true { Vec::new() } else { by },
            depth: Some(0),
            top: 1,
            ..Request::default()
        });
    }
    let mut sources = tree.files.clone();
    let (graph, diags) = explain::explain_many(&tree, &requests, &mut sources);
    assert!(!diags.iter().any(|d| d.is_error()));
    let (graph, roots) = graph.unwrap();
    let mut checked = 0;
    for (t, root) in totals.iter().zip(roots) {
        let node = &graph.nodes[root.unwrap()];
        let info = node.total.as_ref().unwrap();
        let total_by: Vec<&str> = t["total_by"].as_array().unwrap().iter().map(|b| b.as_str().unwrap()).collect();
        if t["grand"] == true && info.total_by != total_by {
            continue; // explained as another declaration's overall row
        }
        assert_eq!(assay::value::format::exact(&node.value, &node.unit).as_deref(), t["value"].as_str(), "{t}");
        checked += 1;
    }
    assert!(checked > 100, "only {checked} totals");
}

#[test]
fn a_sample_of_figures_through_the_cli_agrees_with_eval() {
    let o = assay(&["eval", "--methodology", "top_quartile", "--format", "json"]);
    let results: Json = ok_json(&o);
    let figures = results["figures"].as_array().unwrap();
    // Every 997th figure: KPIs and methodology figures, present and missing alike.
    for f in figures.iter().step_by(997) {
        let name = f["name"].as_str().unwrap();
        let index: Vec<&str> = f["index"].as_object().unwrap().values().map(|v| v.as_str().unwrap()).collect();
        let selector = if index.is_empty() { name.to_string() } else { format!("{name}[{}]", index.join(",")) };
        let mut args = vec!["explain", &selector, "--entity", f["entity"].as_str().unwrap(), "--format", "json"];
        if let Some(m) = f["methodology"].as_str() {
            args.extend(["--methodology", m]);
        }
        let g: Json = serde_json::from_str(&ok_stdout(&assay(&args))).unwrap();
        let root = &g["nodes"][g["root"].as_u64().unwrap() as usize];
        assert_eq!(root["value"], f["value"], "{f}");
        assert_eq!(root["missing"], f["missing"], "{f}");
    }
}

// ---------------------------------------------------------------------------------------
// The dataset cache

#[test]
fn the_dataset_cache_gives_the_same_explanation_and_notices_a_changed_file() {
    let (dir, data, _) = saved_run();
    let cache = dir.path().join("cache");
    let run = || {
        let args = ["explain", "saving[finance]", "--methodology", "national_average", "--entity", "SA0001"];
        let args = [&args[..], &["--data", data.to_str().unwrap(), "--format", "json"]].concat();
        ok_stdout(&assay_with_env(
            repo(),
            &args,
            &[("ASSAY_CACHE", cache.to_str().unwrap()), ("ASSAY_CACHE_MIN_BYTES", "0")],
        ))
    };
    let first = run();
    let entries: Vec<_> = std::fs::read_dir(&cache).unwrap().collect();
    assert_eq!(entries.len(), 1, "one entry for the one dataset");
    let second = run();
    assert_eq!(first, second, "the cached load explains the same");
    let csv = data.join("benchmark.csv");
    let text = std::fs::read_to_string(&csv).unwrap().replacen("3188218.64", "3188318.64", 1);
    std::fs::write(&csv, text).unwrap();
    let third = run();
    assert_ne!(first, third, "a changed file is read again");
    assert!(third.contains("3188318.64"));
    let g: Json = serde_json::from_str(&third).unwrap();
    let now = assay::data::stamp::sha256_hex(&std::fs::read(&csv).unwrap());
    assert_eq!(g["stamp"]["data"][0]["sha256"], now, "the stamp is the file's as read");
}

/// A cached entry finds an entity's peer group through its indexes: over two periods, with
/// entities in one period only and one without an organisation type, every explanation read
/// from the cache is the one read from the file.
#[test]
fn the_dataset_cache_finds_each_peer_group_as_the_file_does() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let functions = ["Finance", "HR", "IM&T", "Procurement", "Estates", "Payroll", "Governance and risk"];
    let mut csv = String::from("Code,Year,Type,Turnover,Total pay");
    for f in functions {
        csv.push_str(&format!(",{f} cost,{f} FTE,{f} shared or outsourced cost"));
    }
    csv.push('\n');
    let types = ["Acute trust", "Ambulance trust", "Mental health trust", "Not Applicable"];
    for year in ["2009/10", "2010/11"] {
        for i in 1..=90u64 {
            // Some entities have rows in one period only.
            if (year == "2009/10" && i % 11 == 0) || (year == "2010/11" && i % 13 == 0) {
                continue;
            }
            let kind = if i == 7 { types[3] } else { types[(i % 3) as usize] };
            let turnover = 1_000_000 + i * 7_919 % 500_000 + if year == "2010/11" { 3 } else { 0 };
            csv.push_str(&format!("SA{i:04},{year},{kind},{turnover}.00,{}.50", turnover / 2));
            for (k, _) in functions.iter().enumerate() {
                let cost = (i * 104_729 + k as u64 * 1_299_709) % 90_000 + 1_000;
                csv.push_str(&format!(",{cost}.{:02},{}.5,0", i % 100, k + 1));
            }
            csv.push('\n');
        }
    }
    std::fs::write(data.join("benchmark.csv"), csv).unwrap();
    let cache = dir.path().join("cache");
    let run = |args: &[&str], cached: bool| {
        let rest = ["--rules", "benches/eval/rules", "--data", data.to_str().unwrap(), "--format", "json"];
        let args = [&["explain"], args, &rest[..]].concat();
        let envs =
            [("ASSAY_CACHE", if cached { cache.to_str().unwrap() } else { "off" }), ("ASSAY_CACHE_MIN_BYTES", "0")];
        let o = assay_with_env(repo(), &args, &envs);
        (o.status.code(), stdout(&o), stderr(&o))
    };
    let saving = ["saving[finance]", "--methodology", "national_average"];
    let mut cases: Vec<Vec<&str>> = Vec::new();
    for entity in ["SA0001", "SA0002", "SA0007", "SA0011", "SA0013", "SA0090", "SA0091"] {
        for period in ["2009/10", "2010/11"] {
            let mut args = saving.to_vec();
            args.extend(["--entity", entity, "--period", period]);
            cases.push(args);
            cases.push(vec!["cost_share[human_resources]", "--entity", entity, "--period", period]);
        }
    }
    run(&cases[0], true);
    assert!(std::fs::read_dir(&cache).unwrap().count() == 1, "the entry is written");
    let mut explained = 0;
    for args in &cases {
        let direct = run(args, false);
        explained += usize::from(direct.0 == Some(0));
        assert_eq!(run(args, true), direct, "{args:?}");
    }
    // Entities absent from a period are errors; the others are explained.
    assert!(explained >= 20, "{explained} of {} explained", cases.len());
}

// ---------------------------------------------------------------------------------------
// The README's walk is real output

/// Each README block that starts `$ assay explain ...` shows that command's output (after
/// the notice and stamp lines, which the README leaves out).
#[test]
fn the_readme_walk_shows_real_output() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let mut checked = 0;
    for block in readme.split("```\n$ assay explain ").skip(1) {
        let block = block.split("\n```").next().unwrap();
        let (command, shown) = block.split_once('\n').unwrap();
        let mut args = vec!["explain".to_string()];
        // Arguments as a shell would split them (single quotes only).
        let mut rest = command.trim();
        while !rest.is_empty() {
            let (arg, tail) = match rest.strip_prefix('\'') {
                Some(q) => q.split_once('\'').unwrap(),
                None => rest.split_once(' ').unwrap_or((rest, "")),
            };
            args.push(arg.to_string());
            rest = tail.trim_start();
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = ok_stdout(&assay(&args));
        let body: Vec<&str> = out.lines().skip_while(|l| !l.is_empty()).skip(1).collect();
        assert_eq!(body.join("\n").trim_end(), shown.trim_end(), "README block for `{command}`");
        checked += 1;
    }
    assert_eq!(checked, 3);
}

/// ERIC's files end lines with CRLF and sum several site rows per trust: each cell named is
/// on the line given, in the column given, with the text given.
#[test]
fn rolled_up_values_name_every_row_they_were_summed_from() {
    let out = ok_stdout(&assay(&[
        "explain",
        "energy_per_m2",
        "--rules",
        "examples/eric/rules",
        "--data",
        "examples/eric/data",
        "--entity",
        "RR8",
        "--period",
        "2016/17",
        "--format",
        "json",
    ]));
    let g: Json = serde_json::from_str(&out).unwrap();
    let energy = g["nodes"].as_array().unwrap().iter().find(|n| n["name"] == "energy").unwrap();
    let cells = energy["provenance"].as_array().unwrap();
    assert_eq!(cells.len(), 5);
    let text = std::fs::read_to_string(repo().join(cells[0]["file"].as_str().unwrap())).unwrap();
    let mut sum = 0i64;
    for c in cells {
        let line = text.split('\n').nth(c["row"].as_u64().unwrap() as usize - 1).unwrap().trim_end_matches('\r');
        assert!(line.starts_with("RR8,"), "row {} is `{line}`", c["row"]);
        let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(line.as_bytes());
        let record = reader.records().next().unwrap().unwrap();
        let raw = c["raw"].as_str().unwrap();
        assert_eq!(&record[c["column"].as_u64().unwrap() as usize - 1], raw);
        sum += raw.parse::<i64>().unwrap();
    }
    assert_eq!(energy["value"].as_str().unwrap(), sum.to_string());
}

/// A peer group too large to list whole (1,000 members or more): the members listed are
/// the ends of the group, each side of both cuts and the entity itself, with the ranks,
/// values and statuses a full sort of the group by value, then key, gives. Many values
/// tie, so ties are decided by key; the figures are computed here from the CSV with the
/// same exact decimal division.
#[test]
fn a_large_peer_group_lists_its_ends_and_cuts_as_a_full_sort_ranks_them() {
    use rust_decimal::Decimal;
    use std::str::FromStr;
    let dir = tempfile::tempdir().unwrap();
    let functions = ["Finance", "HR", "IM&T", "Procurement", "Estates", "Payroll", "Governance and risk"];
    let mut csv = String::from("Code,Year,Type,Turnover,Total pay");
    for f in functions {
        csv.push_str(&format!(",{f} cost,{f} FTE,{f} shared or outsourced cost"));
    }
    csv.push('\n');
    let mut shares: Vec<(Decimal, String)> = Vec::new();
    for i in 1..=1_500u64 {
        let key = format!("SA{:04}", (i * 7_919) % 1_511);
        // Few distinct shares (ties), at two scales of turnover.
        let turnover = if i % 2 == 0 { 2_000_000u64 } else { 4_000_000 };
        let cost = (i * 104_729 % 37 + 1) * turnover / 200;
        csv.push_str(&format!("{key},2009/10,Acute trust,{turnover}.00,{}.00", turnover / 2));
        for k in 0..functions.len() {
            csv.push_str(&format!(",{}.00,{}.5,0", if k == 0 { cost } else { 1_000 + k as u64 }, k + 1));
        }
        csv.push('\n');
        let share =
            Decimal::from_str(&format!("{cost}.00")).unwrap() / Decimal::from_str(&format!("{turnover}.00")).unwrap();
        shares.push((share, key));
    }
    std::fs::write(dir.path().join("benchmark.csv"), csv).unwrap();
    shares.sort();
    let n = shares.len();
    let k = n / 4;
    let entity = shares[n / 3].1.clone();
    let explain = |format: &str, more: &[&str]| {
        let args = ["explain", "saving[finance]", "--methodology", "national_average", "--entity", &entity];
        let rest = ["--rules", "benches/eval/rules", "--data", dir.path().to_str().unwrap(), "--format", format];
        ok_stdout(&assay_with_env(repo(), &[&args[..], &rest, more].concat(), &[("ASSAY_CACHE", "off")]))
    };
    let graph: serde_json::Value = serde_json::from_str(&explain("json", &[])).unwrap();
    let stat = graph["nodes"].as_array().unwrap().iter().find_map(|n| n.get("statistic")).unwrap();
    assert_eq!((stat["size"].as_u64(), stat["kept"].as_u64()), (Some(n as u64), Some((n - 2 * k) as u64)));
    let listed: Vec<(u64, String, String, bool)> = stat["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let entity = m["entity"].as_str().unwrap().to_string();
            (m["rank"].as_u64().unwrap(), entity, m["status"].as_str().unwrap().to_string(), m["this"] == true)
        })
        .collect();
    let shown = |rank: usize| {
        rank < 10 || rank + 10 >= n || [k, n - k].iter().any(|&c| rank + 10 >= c && rank < c + 10) || rank == n / 3
    };
    let expected: Vec<(u64, String, String, bool)> = shares
        .iter()
        .enumerate()
        .filter(|(rank, _)| shown(*rank))
        .map(|(rank, (_, key))| {
            let status = if rank < k {
                "trimmed_low"
            } else if rank >= n - k {
                "trimmed_high"
            } else {
                "kept"
            };
            (rank as u64 + 1, key.clone(), status.to_string(), *key == entity)
        })
        .collect();
    assert_eq!(listed, expected);
    assert_eq!(stat["members_omitted"].as_u64(), Some((n - expected.len()) as u64));
    // With `--all-members`, every member in the full sort's order; the text lists them all.
    let all = |format: &str| explain(format, &["--all-members"]);
    let graph: serde_json::Value = serde_json::from_str(&all("json")).unwrap();
    let stat = graph["nodes"].as_array().unwrap().iter().find_map(|n| n.get("statistic")).unwrap();
    let listed: Vec<(u64, &str)> = stat["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["rank"].as_u64().unwrap(), m["entity"].as_str().unwrap()))
        .collect();
    let expected: Vec<(u64, &str)> =
        shares.iter().enumerate().map(|(r, (_, key))| (r as u64 + 1, key.as_str())).collect();
    assert_eq!(listed, expected);
    assert_eq!(stat["members_omitted"].as_u64(), Some(0));
    let text = all("text");
    assert_eq!(text.lines().filter(|l| l.contains("  kept") || l.contains("  trimmed (")).count(), n);
    assert!(!text.contains(" more"));
}
