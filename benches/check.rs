//! How long `check` takes on a generated rule set of about 10,000 lines.
//!
//! Run with `cargo bench --bench check` (release mode). It writes the rule set to a
//! temporary folder, then loads and checks it repeatedly, as `assay check` does, and
//! prints the line count and the fastest and median times. `ASSAY_BENCH_LINES` sets
//! the target size.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "benchmark code: failing loudly is the point, and its counts are small"
)]

use assay::check::{check, CheckOptions};
use assay::load::load;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

/// Rule text of about `target` lines using every kind of definition, valid and cited.
fn generate(target: usize) -> Vec<(String, String)> {
    let mut files = Vec::new();
    let mut base = String::new();
    base.push_str("source src \"Generated source\" { document \"generated.txt\" }\n");
    base.push_str("unit GBP \"pound sterling\" symbol \"£\"\nunit FTE \"whole-time equivalent\"\n");
    base.push_str("unit GBP_per_FTE = GBP / FTE \"pounds per FTE\"\n");
    for class in ["transactional", "operational", "strategic"] {
        let _ = writeln!(base, "class {class} \"{class}\" {{ sourcing \"{class}\" cite src \"s1\" }}");
    }
    base.push_str("set org_type \"Organisation type\" {\n  cite src \"t4\"\n");
    for t in 0..7 {
        let _ = writeln!(base, "  t{t} \"Type {t}\",");
    }
    base.push_str("}\n");
    files.push(("base.assay".to_string(), base));

    let functions = (target / 400).max(7);
    let mut fns = String::new();
    for f in 0..functions {
        let _ = writeln!(fns, "function fn{f} \"Function {f}\" {{\n  cite src \"s3\"");
        for a in 0..8 {
            let class = ["transactional", "operational", "strategic"][a % 3];
            let _ = writeln!(fns, "  activity fn{f}_act{a} \"Activity {a} of {f}\" : {class}");
        }
        fns.push_str("}\n\n");
    }
    files.push(("functions.assay".to_string(), fns));

    let mut data = String::from("dataset returns \"Returns\" {\n  cite src \"s5\"\n  entity organisation key \"Code\"\n  period year from \"Year\"\n");
    data.push_str("  field org_type : org_type from \"Type\"\n  field turnover : GBP from \"Turnover\"\n");
    data.push_str("  field cost[f in function] : GBP from \"{f.title} cost\"\n  field fte[f in function] : FTE from \"{f.title} FTE\"\n}\n");
    data.push_str("dataset ledger \"Ledger\" records {\n  cite src \"s9\"\n  entity organisation key \"Org\"\n  field cost_centre : text from \"CC\"\n  field account : text from \"Account\"\n  field amount : GBP from \"Amount\"\n}\n");
    files.push(("datasets.assay".to_string(), data));

    let mut lines = files.iter().map(|(_, t)| t.lines().count()).sum::<usize>();
    let mut chunk = 0;
    while lines < target {
        let mut text = String::new();
        for p in 0..40 {
            let n = chunk * 40 + p;
            let _ = writeln!(
                text,
                "param rate{n}[t in org_type] : ratio {{\n  cite src \"t4\"\n  t0 = {}%\n  t1 = 50% since 2011-04-01\n  * = 75%\n}}\n",
                p + 1
            );
            let _ = writeln!(
                text,
                "## KPI number {n}.\nkpi share{n}[f in function] \"Share {n} of {{f.title}}\" : percent =\n  cost[f] / turnover * rate{n}[org_type]\n  cite src \"s5.5\"\n"
            );
            let _ = writeln!(
                text,
                "kpi per_fte{n}[f in function] : GBP / FTE =\n  if fte[f] > 0 then cost[f] / fte[f] else cost[f] / fte[f] * 0\n  cite src \"s5.5\"\n"
            );
        }
        let _ = writeln!(
            text,
            "methodology method{chunk} \"Method {chunk}\" {{\n  cite src \"s5.7\"\n  peers same org_type minimum 4\n  let target[f in function] : percent =\n    trimmed_mean(share{c}[f], trim: 25%, round: down, ties: key, missing: skip) over peers\n  let saving[f in function] : GBP = max(0, share{c}[f] - target[f]) * turnover\n  scale 1 / rate{c}[org_type]\n  total saving by org_type, function\n}}\n",
            c = chunk * 40
        );
        let _ = writeln!(text, "classify table{chunk} on ledger hit unique {{\n  cite src \"t14\"\n  | cost_centre | account | => activity |");
        for r in 0..30 {
            let _ = writeln!(
                text,
                "  | starts \"CC{chunk}-{r:02}\" | \"{}\"..\"{}\" | fn0_act{} |",
                1000 + r * 10,
                1009 + r * 10,
                r % 8
            );
        }
        // No catch-all: it would overlap every row under `hit unique` (one gap warning per table).
        text.push_str("}\n");
        lines += text.lines().count();
        files.push((format!("chunk{chunk:03}.assay"), text));
        chunk += 1;
    }
    files
}

fn main() {
    let target = std::env::var("ASSAY_BENCH_LINES").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let dir = std::env::temp_dir().join(format!("assay-bench-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary folder");
    let files = generate(target);
    let lines: usize = files.iter().map(|(_, t)| t.lines().count()).sum();
    for (name, text) in &files {
        std::fs::write(dir.join(name), text).expect("write rule file");
    }
    let paths = vec![dir.clone()];
    // The generated rules must be valid, or the benchmark measures error paths (the only
    // warnings are the tables' gaps).
    let report = check(&load(&paths), CheckOptions { strict: true });
    for d in report.diagnostics.iter().filter(|d| d.is_error()).take(5) {
        eprintln!("{}: {}", d.code, d.message);
    }
    assert_eq!(report.errors(), 0, "generated rules should check without errors");

    let runs = 30;
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            let report = check(&load(&paths), CheckOptions { strict: true });
            std::hint::black_box(report.definitions);
            start.elapsed()
        })
        .collect();
    times.sort();
    let mut parse_times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(load(&paths).asts.len());
            start.elapsed()
        })
        .collect();
    parse_times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "check: {lines} lines in {} files, {} definitions; fastest {:.1} ms, median {:.1} ms over {runs} runs (load + parse + check)",
        files.len(),
        report.definitions,
        ms(times[0]),
        ms(times[runs / 2])
    );
    println!(
        "  of which load + parse: fastest {:.1} ms, median {:.1} ms",
        ms(parse_times[0]),
        ms(parse_times[runs / 2])
    );
    let _ = std::fs::remove_dir_all(&dir);
}
