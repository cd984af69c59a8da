//! A SYNTHETIC general ledger: `ledger.csv` in the columns `rules/datasets.assay` declares
//! for dataset `ledger` (Organisation, Year, Cost centre, Account, Amount, Description),
//! with cost centres and accounts under the convention of `rules/tables/ledger_activity.assay`.
//!
//! ```sh
//! cargo run --release --example gen_ledger                                  # examples/ledger
//! cargo run --release --example gen_ledger -- --rows 10000000 --orgs 500 --out target/bench-data/ledger-10m
//! ```
//!
//! Deterministic: the same `--rows`, `--orgs` and `--seed` give the same bytes on every
//! platform; every line comes from SplitMix64 seeded by its index and integer arithmetic
//! only, so lines are generated in parallel blocks and written in order. About 1% of the
//! lines have cost centres outside the convention (estates, catering, typos), and some
//! descriptions hold commas, quotes and line breaks, so CSV quoting is exercised.

#![allow(
    clippy::arithmetic_side_effects,
    reason = "a generator of the examples' synthetic data, not the engine: its arithmetic is on the sizes and seeds of its own command line"
)]

use rayon::prelude::*;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

/// Cost centres of the convention (each gets a team suffix -01 .. -04, except directors).
const CENTRES: &[&str] = &[
    "FIN-AP",
    "FIN-AR",
    "FIN-CR",
    "FIN-COL",
    "FIN-TAX-VAT",
    "FIN-TAX-REG",
    "FIN-TAX",
    "FIN-FA",
    "FIN-TRS",
    "FIN-FR",
    "FIN-AUD",
    "FIN-BI",
    "FIN-PPM",
    "FIN-MA",
    "PAY",
    "HR-BEN",
    "HR-REC",
    "HR-ADV",
    "HR-REL",
    "HR-LD",
    "HR-MED",
    "HR-WFP",
    "HR-OD",
    "IT-SD",
    "IT-HD",
    "IT-INF",
    "IT-NET",
    "IT-DC",
    "IT-APP",
    "IT-STR",
    "IT-ARC",
    "IT-PMO",
    "PRC-CAT",
    "PRC-REQ",
    "PRC-PO",
    "PRC-RCP",
    "PRC-SUP",
    "PRC-SRC",
    "PRC-CON",
];
/// Whole cost centres without a team suffix.
const WHOLE: &[&str] = &["FIN-GL", "FIN-DIR", "FIN-PAY", "FIN-PAYROLL", "HR-DIR", "HR-EXEC", "PRC-DIR"];
/// Cost centres that no row of the library's convention names.
const STRAY: &[&str] = &["EST-MAINT-01", "CAT-KITCHEN", "fin-ap-01", "MISC"];
const PERIODS: &[&str] = &["2009/10", "2010/11"];
const DESCRIPTIONS: &[&str] = &[
    "Salaries",
    "Agency staff, locum cover",
    "Software licence renewal",
    "Stationery",
    "Consultancy \"phase 2\"",
    "Training course, 2 days",
    "Travel",
    "Postage",
    "Refund, \"credit note\"",
    "Multi-line\nnote",
];

struct Rng(u64);

impl Rng {
    fn for_line(seed: u64, i: u64) -> Rng {
        let mut r = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ i.wrapping_mul(0xD1B5_4A32_D192_ED03));
        r.next();
        r
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Who the lines belong to: organisation codes (generated, or read from a file) and periods.
pub struct Owners {
    pub codes: Vec<String>,
    pub periods: Vec<String>,
}

impl Owners {
    /// `ORG00001` .. and the two periods 2009/10 and 2010/11.
    pub fn synthetic(orgs: u64) -> Owners {
        Owners {
            codes: (1..=orgs.max(1)).map(|o| format!("ORG{o:05}")).collect(),
            periods: PERIODS.iter().map(|p| p.to_string()).collect(),
        }
    }
}

/// One line (with its line break) of the ledger.
fn line(out: &mut Vec<u8>, seed: u64, i: u64, rows: u64, owners: &Owners) {
    let mut r = Rng::for_line(seed, i);
    // Ledgers come organisation by organisation, each year in turn.
    let (orgs, periods) = (owners.codes.len() as u64, owners.periods.len().max(1) as u64);
    let slot = i * orgs * periods / rows.max(1);
    let org = owners.codes.get((slot / periods) as usize).map_or("ORG", String::as_str);
    let period = owners.periods.get((slot % periods) as usize).map_or("2009/10", String::as_str);
    let roll = r.below(1000);
    let centre = if roll < 10 {
        STRAY.get(r.below(STRAY.len() as u64) as usize).copied().unwrap_or("MISC").to_string()
    } else if roll < 60 {
        WHOLE.get(r.below(WHOLE.len() as u64) as usize).copied().unwrap_or("FIN-GL").to_string()
    } else {
        let c = CENTRES.get(r.below(CENTRES.len() as u64) as usize).copied().unwrap_or("FIN-AP");
        format!("{c}-{:02}", 1 + r.below(4))
    };
    let account = if centre.starts_with("IT-APP") && r.below(2) == 0 {
        6400 + r.below(100)
    } else if r.below(10) < 4 {
        5000 + r.below(1000)
    } else {
        6000 + r.below(3000)
    };
    let negative = r.below(20) == 0;
    let pennies = 100 + r.below(5_000_000);
    let description = DESCRIPTIONS.get(r.below(DESCRIPTIONS.len() as u64) as usize).copied().unwrap_or("");
    let _ = write!(
        out,
        "{org},{period},{centre},{account},{}{}.{:02},",
        if negative { "-" } else { "" },
        pennies / 100,
        pennies % 100
    );
    if description.contains([',', '"', '\n']) {
        out.push(b'"');
        out.extend_from_slice(description.replace('"', "\"\"").as_bytes());
        out.push(b'"');
    } else {
        out.extend_from_slice(description.as_bytes());
    }
    out.push(b'\n');
}

pub fn generate(rows: u64, owners: &Owners, seed: u64, out: &mut impl Write) -> io::Result<()> {
    out.write_all(b"Organisation,Year,Cost centre,Account,Amount,Description\n")?;
    const BLOCK: u64 = 1 << 16;
    let blocks: Vec<u64> = (0..rows.div_ceil(BLOCK)).collect();
    for group in blocks.chunks(64) {
        let texts: Vec<Vec<u8>> = group
            .par_iter()
            .map(|b| {
                let mut buf = Vec::with_capacity((BLOCK * 64) as usize);
                for i in b * BLOCK..((b + 1) * BLOCK).min(rows) {
                    line(&mut buf, seed, i, rows, owners);
                }
                buf
            })
            .collect();
        for t in texts {
            out.write_all(&t)?;
        }
    }
    Ok(())
}

fn main() {
    let mut rows: u64 = 12_600;
    let mut orgs: u64 = 8;
    let mut seed: u64 = 2010;
    let mut dir = PathBuf::from("examples/qipp-2009-10");
    let mut codes: Option<PathBuf> = Some(PathBuf::from("examples/qipp-2009-10/benchmark.csv"));
    let mut period: Option<String> = Some("2009/10".to_string());
    let mut synthetic_orgs = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().unwrap_or_default();
        match a.as_str() {
            "--rows" => rows = value().parse().unwrap_or(rows),
            "--orgs" => {
                orgs = value().parse().unwrap_or(orgs);
                synthetic_orgs = true;
            }
            "--codes" => codes = Some(PathBuf::from(value())),
            "--period" => period = Some(value()),
            "--seed" => seed = value().parse().unwrap_or(seed),
            "--out" => dir = PathBuf::from(value()),
            _ => {
                eprintln!(
                    "usage: gen_ledger [--rows N] [--orgs M | --codes FILE.csv [--period P]] [--seed S] [--out DIR]"
                );
                std::process::exit(2);
            }
        }
    }
    let result = (|| {
        let owners = match (&codes, synthetic_orgs) {
            (Some(file), false) => Owners {
                // The first column of each line after the header: the organisations' codes.
                codes: std::fs::read_to_string(file)?
                    .lines()
                    .skip(1)
                    .filter_map(|l| l.split(',').next())
                    .filter(|c| !c.is_empty())
                    .map(str::to_string)
                    .collect(),
                periods: period.iter().cloned().collect(),
            },
            _ => Owners::synthetic(orgs),
        };
        std::fs::create_dir_all(&dir)?;
        let mut f = BufWriter::with_capacity(1 << 20, std::fs::File::create(dir.join("ledger.csv"))?);
        generate(rows, &owners, seed, &mut f)?;
        f.flush()?;
        // A folder of its own says it is synthetic; an existing NOTICE (the QIPP example's) stays.
        if !dir.join("NOTICE").exists() {
            std::fs::write(
                dir.join("NOTICE"),
                format!("SYNTHETIC DATA: generated by examples/gen_ledger.rs (--rows {rows} --orgs {orgs} --seed {seed}); not real NHS ledgers.\n"),
            )?;
        }
        Ok::<(), io::Error>(())
    })();
    if let Err(e) = result {
        eprintln!("gen_ledger: {e}");
        std::process::exit(1);
    }
}
