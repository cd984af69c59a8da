//! A SYNTHETIC 2009/10 back-office benchmarking return, calibrated to the QIPP back-office
//! review (2010): `examples/qipp-2009-10/benchmark.csv`, in the columns `rules/datasets.assay`
//! declares for dataset `benchmark`.
//!
//! ```sh
//! cargo run --release --example gen_qipp                       # the 315 organisations of the example
//! cargo run --release --example gen_qipp -- --orgs 1000000 --out /tmp/qipp-1m   # the same, scaled
//! ```
//!
//! Deterministic: the same `--orgs` and `--seed` give the same bytes on every platform. The
//! random numbers come from SplitMix64 seeded per organisation, and only IEEE-exact float
//! operations (+, −, ×, ÷, round) are used, never `exp`, `ln` or `cos` from the platform's
//! maths library. Calibration (see `examples/qipp-2009-10/README.md`):
//! - organisations per type in the proportions of Table 4's respondents;
//! - per type, turnover is scaled so that the back-office spend divided by the type's return
//!   rate is Table 5's figure (times orgs / 315), and function costs are scaled so that the
//!   type's back office is its share of turnover (3% providers, 4.6% mental health, 9% PCTs);
//! - function mix, cost per FTE and shared or outsourced spend follow s5.4, s5.5 and s5.8.
//!
//! Included by `tests/qipp_example.rs` with `#[path]`, so the test can check that the
//! committed file is exactly what this generator writes.

#![allow(
    clippy::arithmetic_side_effects,
    reason = "a generator of the examples' synthetic data, not the engine: its arithmetic is on the sizes and seeds of its own command line"
)]

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

use rayon::prelude::*;

/// The seed of the committed example.
pub const DEFAULT_SEED: u64 = 2010;
/// Organisations that responded to the 2010 benchmarking exercise (s5.1).
pub const DEFAULT_ORGS: u64 = 315;
/// Where the committed example lives, relative to the repository root.
pub const DEFAULT_OUT: &str = "examples/qipp-2009-10";
/// The period every row is for.
pub const PERIOD: &str = "2009/10";

// ---------------------------------------------------------------------------------------
// Random numbers: SplitMix64, and distributions built from + − × ÷ only.

struct Rng(u64);

impl Rng {
    /// A generator for one organisation: the seed, its type and its index within the type
    /// fix every number in its row, whatever the other rows or the number of organisations.
    fn for_org(seed: u64, type_index: usize, k: u64) -> Rng {
        let mut r = Rng(seed ^ 0x5EED_2010_u64.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        r.0 ^= r.next_u64() ^ (type_index as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03);
        r.0 ^= r.next_u64() ^ k.wrapping_mul(0x94D0_49BB_1331_11EB);
        r.next_u64();
        r
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1), 53 bits.
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / 9_007_199_254_740_992.0)
    }

    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Approximately standard normal: the sum of four uniforms (Irwin–Hall), centred and
    /// scaled to variance 1. Bounded at ±3.46, so outliers are added on purpose, not by tails.
    fn normal(&mut self) -> f64 {
        let s = self.unit() + self.unit() + self.unit() + self.unit();
        (s - 2.0) * 1.732_050_807_568_877_2
    }

    /// A positive factor with median 1 and log-spread `sigma`.
    fn spread(&mut self, sigma: f64) -> f64 {
        exp(sigma * self.normal())
    }

    fn pick(&mut self, n: usize) -> usize {
        (((self.next_u64() >> 32) * n as u64) >> 32) as usize
    }
}

/// e^x for |x| up to about 3, from + − × ÷ only (a platform's `exp` may differ in the last
/// bit, which could change a penny): a sixteenth of x, Taylor series to x⁹ (Horner), squared
/// back four times. Relative error below 1e-11, far under a penny's effect on the data.
fn exp(x: f64) -> f64 {
    // 1/n! for n = 9 down to 0.
    const COEFFICIENTS: [f64; 10] = [
        1.0 / 362_880.0,
        1.0 / 40_320.0,
        1.0 / 5_040.0,
        1.0 / 720.0,
        1.0 / 120.0,
        1.0 / 24.0,
        1.0 / 6.0,
        1.0 / 2.0,
        1.0,
        1.0,
    ];
    let y = x * 0.0625;
    let mut sum = COEFFICIENTS.iter().fold(0.0, |acc, c| acc * y + c);
    for _ in 0..4 {
        sum *= sum;
    }
    sum
}

// ---------------------------------------------------------------------------------------
// What the generator is calibrated to.

/// Functions in the order of the dataset's columns: their titles (`rules/sets.assay`,
/// set `qipp_function`), cost per FTE (Figure 7: £40–50k, governance highest, payroll
/// lowest) and the mean share of their cost that is shared or outsourced (s5.4: 13% in all,
/// mostly IM&T and finance).
const FUNCTIONS: [(&str, f64, f64); 7] = [
    ("Finance", 45_500.0, 0.160),
    ("HR", 44_000.0, 0.050),
    ("IM&T", 46_500.0, 0.270),
    ("Procurement", 43_500.0, 0.070),
    ("Estates", 42_000.0, 0.050),
    ("Payroll", 38_500.0, 0.200),
    ("Governance and risk", 48_500.0, 0.020),
];

/// Function mix of a provider's back office: the s5.8 example acute foundation trust
/// (Finance 1.10%, HR 0.79%, IT 0.90%, Procurement 0.28%, Estates 0.15%, Payroll 0.06%,
/// Governance 0.18% of turnover), as shares of its 3.46%.
const PROVIDER_MIX: [f64; 7] = [1.10, 0.79, 0.90, 0.28, 0.15, 0.06, 0.18];
/// Mental health: close to the providers' mix (Figure 5 shows similar shapes at a higher level).
const MENTAL_HEALTH_MIX: [f64; 7] = [1.10, 0.85, 0.95, 0.24, 0.20, 0.07, 0.22];
/// Ambulance trusts: more HR and IM&T (control rooms), less estates.
const AMBULANCE_MIX: [f64; 7] = [1.00, 0.95, 1.10, 0.25, 0.12, 0.07, 0.18];
/// PCTs: IM&T the largest (s5 key messages), finance next, more governance (s5.5:
/// governance highest for PCT providers).
const PCT_MIX: [f64; 7] = [2.50, 1.40, 2.80, 0.65, 0.70, 0.20, 0.75];
const PCT_COMMISSIONER_MIX: [f64; 7] = [2.80, 1.30, 2.90, 0.75, 0.50, 0.15, 0.60];
const PCT_PROVIDER_MIX: [f64; 7] = [2.00, 1.60, 2.40, 0.55, 0.90, 0.25, 1.30];

/// One organisation type (a member of set `org_type` in `rules/sets.assay`).
struct OrgType {
    /// As the `Type` column writes it (the set member's title).
    title: &'static str,
    /// Organisation codes: `S` (synthetic) and this letter, then a number.
    letter: char,
    /// Name: an invented place, then this.
    suffix: &'static str,
    /// Organisations that returned the template, and those eligible (see the README):
    /// respondents / eligible rounds to Table 4's return rate.
    respondents: u64,
    eligible: u64,
    /// Table 4's return rate, in percent.
    return_rate: u64,
    /// In-sample back-office spend of the default 315 respondents, in £m: Table 5's figure
    /// for the type × its return rate (the three kinds of PCT share Table 5's PCT figure).
    spend_m: f64,
    /// Back office as a share of turnover (s1, s5.3).
    share: f64,
    mix: [f64; 7],
    /// Log-spread of each function's cost share between organisations, and of the whole
    /// back office (an organisation's overall efficiency).
    sigma_function: f64,
    sigma_org: f64,
    /// Total pay as a share of turnover.
    pay_share: f64,
    /// Cost per FTE relative to `FUNCTIONS` (s5.5: PCTs' is higher).
    per_fte: f64,
    /// Shared or outsourced share relative to `FUNCTIONS` (s5.4: PCTs share more).
    shared: f64,
    /// Business miles a year per employee (all types together: about 130m miles, the
    /// NHS lease fleet's, s7.6, so a penny a mile is about £1.3m).
    miles: f64,
    /// Whether the teaching sub-group (Figure 15) applies.
    hospital: bool,
    /// Whether patient-care funding (Model Hospital, trusts only) applies.
    trust: bool,
}

/// Table 5's PCT spend, £958.6m, at 92%, split between the kinds by respondents and size.
const PCT_SPEND_M: f64 = 958.6 * 0.92;
const PCT_WEIGHTS: f64 = 47.0 * 1.2 + 47.0 * 1.0 + 46.0 * 0.8;

const TYPES: [OrgType; 9] = [
    OrgType {
        title: "Acute trust",
        letter: 'A',
        suffix: "Hospitals NHS Trust",
        respondents: 73,
        eligible: 84,
        return_rate: 87,
        spend_m: 738.2 * 0.87,
        share: 0.030,
        mix: PROVIDER_MIX,
        sigma_function: 0.26,
        sigma_org: 0.10,
        pay_share: 0.62,
        per_fte: 1.0,
        shared: 0.80,
        miles: 67.0,
        hospital: true,
        trust: true,
    },
    OrgType {
        title: "Acute foundation trust",
        letter: 'F',
        suffix: "Hospitals NHS Foundation Trust",
        respondents: 51,
        eligible: 88,
        return_rate: 58,
        spend_m: 700.0 * 0.58,
        share: 0.031,
        mix: PROVIDER_MIX,
        sigma_function: 0.30,
        sigma_org: 0.10,
        pay_share: 0.61,
        per_fte: 1.0,
        shared: 0.80,
        miles: 67.0,
        hospital: true,
        trust: true,
    },
    OrgType {
        title: "PCT – undifferentiated",
        letter: 'P',
        suffix: "Primary Care Trust",
        respondents: 47,
        eligible: 51,
        return_rate: 92,
        spend_m: PCT_SPEND_M * 47.0 * 1.2 / PCT_WEIGHTS,
        share: 0.090,
        mix: PCT_MIX,
        sigma_function: 0.62,
        sigma_org: 0.18,
        pay_share: 0.30,
        per_fte: 1.05,
        shared: 1.40,
        miles: 160.0,
        hospital: false,
        trust: false,
    },
    OrgType {
        title: "PCT – commissioner",
        letter: 'C',
        suffix: "PCT (commissioner)",
        respondents: 47,
        eligible: 51,
        return_rate: 92,
        spend_m: PCT_SPEND_M * 47.0 * 1.0 / PCT_WEIGHTS,
        share: 0.090,
        mix: PCT_COMMISSIONER_MIX,
        sigma_function: 0.62,
        sigma_org: 0.18,
        pay_share: 0.20,
        per_fte: 1.06,
        shared: 1.50,
        miles: 55.0,
        hospital: false,
        trust: false,
    },
    OrgType {
        title: "PCT – provider",
        letter: 'V',
        suffix: "PCT (provider services)",
        respondents: 46,
        eligible: 50,
        return_rate: 92,
        spend_m: PCT_SPEND_M * 46.0 * 0.8 / PCT_WEIGHTS,
        share: 0.090,
        mix: PCT_PROVIDER_MIX,
        sigma_function: 0.62,
        sigma_org: 0.18,
        pay_share: 0.68,
        per_fte: 1.04,
        shared: 1.30,
        miles: 320.0,
        hospital: false,
        trust: false,
    },
    OrgType {
        title: "Mental health trust",
        letter: 'M',
        suffix: "Mental Health NHS Trust",
        respondents: 12,
        eligible: 12,
        return_rate: 100,
        spend_m: 113.6,
        share: 0.046,
        mix: MENTAL_HEALTH_MIX,
        sigma_function: 0.48,
        sigma_org: 0.12,
        pay_share: 0.72,
        per_fte: 1.0,
        shared: 0.90,
        miles: 233.0,
        hospital: false,
        trust: true,
    },
    OrgType {
        title: "Mental health foundation trust",
        letter: 'N',
        suffix: "Partnership NHS Foundation Trust",
        respondents: 28,
        eligible: 53,
        return_rate: 53,
        spend_m: 222.0 * 0.53,
        share: 0.046,
        mix: MENTAL_HEALTH_MIX,
        sigma_function: 0.32,
        sigma_org: 0.12,
        pay_share: 0.71,
        per_fte: 1.0,
        shared: 0.90,
        miles: 233.0,
        hospital: false,
        trust: true,
    },
    OrgType {
        title: "Ambulance trust",
        letter: 'B',
        suffix: "Ambulance Service NHS Trust",
        respondents: 9,
        eligible: 11,
        return_rate: 82,
        spend_m: 74.4 * 0.82,
        share: 0.030,
        mix: AMBULANCE_MIX,
        sigma_function: 0.30,
        sigma_org: 0.10,
        pay_share: 0.70,
        per_fte: 1.0,
        shared: 0.70,
        miles: 37.0,
        hospital: false,
        trust: true,
    },
    OrgType {
        title: "Community trust",
        letter: 'T',
        suffix: "Community Health Services NHS Trust",
        respondents: 2,
        eligible: 2,
        return_rate: 100,
        spend_m: 9.9,
        share: 0.030,
        mix: PROVIDER_MIX,
        sigma_function: 0.35,
        sigma_org: 0.10,
        pay_share: 0.70,
        per_fte: 1.0,
        shared: 0.80,
        miles: 368.0,
        hospital: false,
        trust: true,
    },
];

/// The ten strategic health authorities (s5.6), weighted roughly by population.
const REGIONS: [(&str, u64); 10] = [
    ("North East", 5),
    ("North West", 13),
    ("Yorkshire and the Humber", 10),
    ("East Midlands", 8),
    ("West Midlands", 10),
    ("East of England", 11),
    ("London", 15),
    ("South East Coast", 8),
    ("South Central", 8),
    ("South West", 10),
];

/// Invented place names: two parts, neither meant to name a real place.
const PLACE_HEADS: [&str; 24] = [
    "Aldr", "Brel", "Caxt", "Dorn", "Elv", "Fask", "Grend", "Holv", "Ibb", "Jorv", "Kelv", "Lorn", "Mav", "Nesh",
    "Orv", "Pell", "Quen", "Ryl", "Stav", "Tarv", "Ulv", "Vell", "Wexl", "Yarr",
];
const PLACE_TAILS: [&str; 10] = ["ham", "ley", "mere", "wick", "worth", "by", "combe", "ford", "stow", "ton"];

/// Optional cells that are sometimes left as `Not Applicable`, as returns do.
const NOT_APPLICABLE: &str = "Not Applicable";

// ---------------------------------------------------------------------------------------
// Generation.

/// How many organisations of each type `orgs` organisations hold: Table 4's respondents,
/// scaled, by largest remainder (exact for 315).
pub fn type_counts(orgs: u64) -> Vec<u64> {
    let total: u64 = TYPES.iter().map(|t| t.respondents).sum();
    let exact: Vec<(u64, u64)> =
        TYPES.iter().map(|t| (orgs * t.respondents / total, orgs * t.respondents % total)).collect();
    let mut counts: Vec<u64> = exact.iter().map(|(q, _)| *q).collect();
    let short = orgs - counts.iter().sum::<u64>();
    let mut order: Vec<usize> = (0..TYPES.len()).collect();
    // Largest remainder first; ties to the earlier type, so the order is fixed.
    order.sort_by_key(|&i| (std::cmp::Reverse(exact.get(i).map_or(0, |e| e.1)), i));
    for &i in order.iter().take(short as usize) {
        if let Some(c) = counts.get_mut(i) {
            *c += 1;
        }
    }
    counts
}

/// The part of an organisation's row that calibration scales: turnover and the seven
/// function costs, before scaling.
struct Raw {
    turnover: f64,
    cost: [f64; 7],
}

fn raw(rng: &mut Rng, t: &OrgType) -> Raw {
    // Size: a long right tail (a few large teaching trusts, many small ones).
    let turnover = rng.spread(0.45);
    let org = rng.spread(t.sigma_org);
    let total_mix: f64 = t.mix.iter().sum();
    let mut cost = [0.0; 7];
    for (c, m) in cost.iter_mut().zip(t.mix) {
        let mut share = t.share * m / total_mix * org * rng.spread(t.sigma_function);
        // A few outliers either way, as the trimmed mean of s5.7 expects.
        let u = rng.unit();
        if u < 0.02 {
            share *= rng.uniform(2.0, 3.5);
        } else if u < 0.03 {
            share *= rng.uniform(0.25, 0.5);
        }
        *c = share * turnover;
    }
    Raw { turnover, cost }
}

/// Scale factors per type: turnover so that the spend is the target, and costs so that the
/// back office is the type's share of turnover.
struct Scale {
    turnover: f64,
    cost: f64,
}

fn scales(seed: u64, counts: &[u64]) -> Vec<Scale> {
    TYPES
        .iter()
        .zip(counts)
        .enumerate()
        .map(|(ti, (t, &n))| {
            // Summed chunk by chunk in parallel, then the chunks in order: the same sums
            // whatever the number of threads.
            let starts: Vec<u64> = (0..n).step_by(CHUNK as usize).collect();
            let sums: Vec<(f64, f64)> = starts
                .par_iter()
                .map(|&start| {
                    let (mut turnover, mut cost) = (0.0, 0.0);
                    for k in start..(start + CHUNK).min(n) {
                        let r = raw(&mut Rng::for_org(seed, ti, k), t);
                        turnover += r.turnover;
                        cost += r.cost.iter().sum::<f64>();
                    }
                    (turnover, cost)
                })
                .collect();
            let (turnover, cost) = sums.iter().fold((0.0, 0.0), |(a, b), (c, d)| (a + c, b + d));
            if n == 0 {
                return Scale { turnover: 1.0, cost: 1.0 };
            }
            let cost_scale = t.share * turnover / cost;
            // Spend per organisation as in the 315, so a scaled file keeps the distributions.
            let spend = t.spend_m * 1e6 * n as f64 / t.respondents as f64;
            Scale { turnover: spend / (t.share * turnover), cost: cost_scale }
        })
        .collect()
}

/// Pennies from pounds.
fn pennies(x: f64) -> i64 {
    (x * 100.0).round() as i64
}

fn push_int(line: &mut Vec<u8>, mut v: u64) {
    let mut digits = [0u8; 20];
    let mut n = 0;
    loop {
        if let Some(d) = digits.get_mut(n) {
            *d = b'0' + (v % 10) as u8;
        }
        n += 1;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    line.extend(digits.iter().take(n).rev());
}

/// `1234567.89`, or `"1,234,567.89"` with thousands separators.
fn push_money(line: &mut Vec<u8>, p: i64, thousands: bool) {
    let p = p.max(0) as u64;
    let (pounds, pence) = (p / 100, p % 100);
    if thousands {
        let mut plain = Vec::with_capacity(20);
        push_int(&mut plain, pounds);
        line.push(b'"');
        let first = plain.len() % 3;
        for (i, d) in plain.iter().enumerate() {
            if i > 0 && (i + 3 - first) % 3 == 0 {
                line.push(b',');
            }
            line.push(*d);
        }
    } else {
        push_int(line, pounds);
    }
    line.push(b'.');
    push_two(line, pence);
    if thousands {
        line.push(b'"');
    }
}

/// Two digits, zero-padded.
fn push_two(line: &mut Vec<u8>, v: u64) {
    line.push(b'0' + (v / 10 % 10) as u8);
    line.push(b'0' + (v % 10) as u8);
}

fn push_str(line: &mut Vec<u8>, s: &str) {
    line.extend_from_slice(s.as_bytes());
}

/// The optional columns written (a selection of those `rules/datasets.assay` declares; the
/// 2010 return did not collect them, s5.5, so their values are only plausible).
const OPTIONAL: [&str; 21] = [
    "Teaching",
    "Submitted",
    "Running costs",
    "Total FTE",
    "Employees",
    "Payslips",
    "FTE paid",
    "Payroll errors",
    "Non-pay spend",
    "AP invoices processed",
    "AP invoices paid within PSPP target",
    "Accounts payable cost",
    "Debtor days",
    "Creditor days",
    "Workstations",
    "Helpdesk calls",
    "Helpdesk cost",
    "Floor area",
    "Energy cost",
    "Business miles",
    "Patient care funding",
];

fn header() -> String {
    let mut cols: Vec<String> =
        ["Code", "Year", "Name", "Type", "Region", "Turnover", "Total pay"].iter().map(|s| s.to_string()).collect();
    for (f, _, _) in FUNCTIONS {
        cols.push(format!("{f} cost"));
        cols.push(format!("{f} FTE"));
        cols.push(format!("{f} shared or outsourced cost"));
    }
    cols.extend(OPTIONAL.iter().map(|s| s.to_string()));
    cols.join(",")
}

/// Write `orgs` organisations' rows, with a header, as CSV. Rows are made in parallel,
/// a chunk at a time, and written in order.
pub fn generate(orgs: u64, seed: u64, out: &mut impl Write) -> io::Result<()> {
    let counts = type_counts(orgs);
    let scales = scales(seed, &counts);
    writeln!(out, "{}", header())?;
    let width = counts.iter().max().map_or(1, |m| m.to_string().len()).max(4);
    for (ti, ((t, &n), s)) in TYPES.iter().zip(&counts).zip(&scales).enumerate() {
        let starts: Vec<u64> = (0..n).step_by(CHUNK as usize).collect();
        for batch in starts.chunks(BATCH) {
            let buffers: Vec<Vec<u8>> = batch
                .par_iter()
                .map(|&start| {
                    let mut buffer = Vec::with_capacity(CHUNK as usize * 512);
                    for k in start..(start + CHUNK).min(n) {
                        row(&mut buffer, seed, ti, k, t, s, width);
                    }
                    buffer
                })
                .collect();
            for b in &buffers {
                out.write_all(b)?;
            }
        }
    }
    out.flush()
}

/// Organisations per chunk made by one thread, and chunks made at once.
const CHUNK: u64 = 4096;
const BATCH: usize = 16;

/// One organisation's row: the `k`th of type `t` (number `ti`), with the type's scales.
fn row(line: &mut Vec<u8>, seed: u64, ti: usize, k: u64, t: &OrgType, s: &Scale, width: usize) {
    let region_weight: u64 = REGIONS.iter().map(|r| r.1).sum();
    let mut rng = Rng::for_org(seed, ti, k);
    let r = raw(&mut rng, t);
    let turnover = pennies(r.turnover * s.turnover);
    let turnover_f = turnover as f64 / 100.0;

    // Who: code, year, name, type, region.
    line.push(b'S');
    line.push(t.letter as u8);
    let number = (k + 1).to_string();
    line.extend(std::iter::repeat_n(b'0', width.saturating_sub(number.len())));
    push_str(line, &number);
    line.push(b',');
    push_str(line, PERIOD);
    line.push(b',');
    push_str(line, PLACE_HEADS.get(rng.pick(PLACE_HEADS.len())).unwrap_or(&""));
    push_str(line, PLACE_TAILS.get(rng.pick(PLACE_TAILS.len())).unwrap_or(&""));
    line.push(b' ');
    push_str(line, t.suffix);
    line.push(b',');
    push_str(line, t.title);
    line.push(b',');
    let mut w = ((rng.next_u64() >> 32) * region_weight) >> 32;
    let region = REGIONS.iter().find(|r| {
        let hit = w < r.1;
        w = w.saturating_sub(r.1);
        hit
    });
    push_str(line, region.map_or("London", |r| r.0));

    // Turnover and pay, with thousands separators (quoted), as returns often have them.
    line.push(b',');
    push_money(line, turnover, true);
    let pay = turnover_f * t.pay_share * rng.uniform(0.93, 1.07);
    line.push(b',');
    push_money(line, pennies(pay), true);

    // Per function: cost, FTE, shared or outsourced cost.
    for (c, (_, per_fte, shared)) in r.cost.iter().zip(FUNCTIONS) {
        let cost = pennies(c * s.cost * s.turnover);
        let cost_f = cost as f64 / 100.0;
        line.push(b',');
        push_money(line, cost, false);
        let fte = cost_f / (per_fte * t.per_fte * rng.spread(0.07));
        line.push(b',');
        push_money(line, pennies(fte), false);
        // A third of organisations share or outsource nothing in a function.
        let fraction =
            if rng.chance(1.0 / 3.0) { 0.0 } else { (shared * t.shared * 1.32 * rng.uniform(0.3, 1.7)).min(0.9) };
        line.push(b',');
        push_money(line, pennies(cost_f * fraction), false);
    }

    // Optional columns.
    let total_fte = pay / rng.uniform(36_000.0, 42_000.0);
    let employees = total_fte * rng.uniform(1.12, 1.25);
    let payslips = employees * 12.0 * rng.uniform(1.0, 1.08);
    let non_pay = (turnover_f - pay).max(0.0) * rng.uniform(0.75, 0.92);
    let ap_invoices = non_pay / rng.uniform(900.0, 2_500.0);
    let workstations = employees * rng.uniform(0.5, 0.9);
    let finance_cost = r.cost.first().map_or(0.0, |c| c * s.cost * s.turnover);
    let it_cost = r.cost.get(2).map_or(0.0, |c| c * s.cost * s.turnover);
    let floor_area = turnover_f / rng.uniform(2_200.0, 4_000.0);
    // Teaching status (Figure 15): hospitals only.
    line.push(b',');
    if t.hospital {
        push_str(line, if rng.chance(0.2) { "Teaching hospital" } else { "Not a teaching hospital" });
    } else {
        push_str(line, NOT_APPLICABLE);
    }
    // Submitted: June to September 2010.
    let day = rng.pick(122) as u64;
    let (month, dom) = match day {
        0..=29 => (6, day + 1),
        30..=60 => (7, day - 29),
        61..=91 => (8, day - 60),
        _ => (9, day - 91),
    };
    push_str(line, ",2010-");
    push_two(line, month);
    line.push(b'-');
    push_two(line, dom);
    // (value, written as money with pennies rather than a whole number)
    let values: [(f64, bool); 18] = [
        (turnover_f * rng.uniform(0.97, 1.02), true),
        (total_fte, true),
        (employees, false),
        (payslips, false),
        (total_fte * rng.uniform(0.97, 1.0), true),
        (payslips * rng.uniform(0.001, 0.012), false),
        (non_pay, true),
        (ap_invoices, false),
        (ap_invoices * rng.uniform(0.78, 0.98), false),
        (finance_cost * rng.uniform(0.08, 0.16), true),
        (rng.uniform(12.0, 60.0), false),
        (rng.uniform(18.0, 55.0), false),
        (workstations, false),
        (workstations * rng.uniform(2.5, 8.0), false),
        (it_cost * rng.uniform(0.05, 0.12), true),
        (floor_area, false),
        (floor_area * rng.uniform(14.0, 30.0), true),
        (employees * t.miles * rng.uniform(0.6, 1.4), false),
    ];
    for (v, money) in values {
        line.push(b',');
        if rng.chance(0.015) {
            push_str(line, NOT_APPLICABLE);
        } else if money {
            push_money(line, pennies(v), false);
        } else {
            push_int(line, v.round().max(0.0) as u64);
        }
    }
    // Patient-care funding: trusts only (Model Hospital, 002).
    line.push(b',');
    if t.trust {
        push_money(line, pennies(turnover_f * rng.uniform(0.86, 0.94)), false);
    } else {
        push_str(line, NOT_APPLICABLE);
    }
    line.push(b'\n');
}

/// Table 4 as the generator reads it: per organisation type (the `Type` column), the
/// respondents of the default 315, the eligible organisations assumed, and the return rate
/// in percent.
pub fn respondents() -> Vec<(&'static str, u64, u64, u64)> {
    TYPES.iter().map(|t| (t.title, t.respondents, t.eligible, t.return_rate)).collect()
}

/// The NOTICE line that heads every report made from the generated data.
pub fn notice(orgs: u64, seed: u64) -> String {
    if orgs == DEFAULT_ORGS {
        format!(
            "SYNTHETIC DATA: generated by examples/gen_qipp.rs (seed {seed}), calibrated to the QIPP 2010 review; \
             not real NHS figures."
        )
    } else {
        format!(
            "SYNTHETIC DATA: generated by examples/gen_qipp.rs (seed {seed}, {orgs} organisations, scaled from the \
             315 calibrated to the QIPP 2010 review); not real NHS figures."
        )
    }
}

// ---------------------------------------------------------------------------------------
// Command line.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub orgs: u64,
    pub seed: u64,
    pub out: PathBuf,
}

impl Default for Options {
    fn default() -> Options {
        Options { orgs: DEFAULT_ORGS, seed: DEFAULT_SEED, out: PathBuf::from(DEFAULT_OUT) }
    }
}

pub const USAGE: &str = "usage: gen_qipp [--orgs N] [--seed S] [--out DIR]

Writes DIR/benchmark.csv (a SYNTHETIC 2009/10 back-office benchmarking return) and DIR/NOTICE.
  --orgs N   organisations (default 315, the calibrated example; larger N scales it)
  --seed S   random seed (default 2010)
  --out DIR  output folder (default examples/qipp-2009-10)";

/// Options from the arguments after the program name; `Ok(None)` for `--help`.
pub fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Option<Options>, String> {
    let mut o = Options::default();
    let mut args = args.into_iter();
    while let Some(a) = args.next() {
        let (name, inline) = match a.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (a.clone(), None),
        };
        if name == "--help" || name == "-h" {
            return Ok(None);
        }
        let value = match inline.or_else(|| args.next()) {
            Some(v) => v,
            None => return Err(format!("{name} needs a value")),
        };
        let number = || value.replace('_', "").parse::<u64>().map_err(|_| format!("{name}: `{value}` is not a number"));
        match name.as_str() {
            "--orgs" => o.orgs = number()?,
            "--seed" => o.seed = number()?,
            "--out" => o.out = PathBuf::from(&value),
            _ => return Err(format!("unknown option `{name}`")),
        }
    }
    if o.orgs == 0 {
        return Err("--orgs must be at least 1".to_string());
    }
    Ok(Some(o))
}

/// Write the files `o` asks for.
pub fn run(o: &Options) -> io::Result<()> {
    std::fs::create_dir_all(&o.out)?;
    let file = std::fs::File::create(o.out.join("benchmark.csv"))?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    generate(o.orgs, o.seed, &mut w)?;
    w.into_inner().map_err(|e| e.into_error())?;
    std::fs::write(o.out.join("NOTICE"), format!("{}\n", notice(o.orgs, o.seed)))
}

#[allow(dead_code, reason = "unused where tests/qipp_example.rs includes this file as a module")]
fn main() -> std::process::ExitCode {
    match parse_args(std::env::args().skip(1)) {
        Ok(None) => {
            println!("{USAGE}");
            std::process::ExitCode::SUCCESS
        }
        Ok(Some(o)) => match run(&o) {
            Ok(()) => {
                eprintln!("wrote {} organisations to {}", o.orgs, o.out.join("benchmark.csv").display());
                std::process::ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("gen_qipp: {e}\n{USAGE}");
                std::process::ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("gen_qipp: {e}\n{USAGE}");
            std::process::ExitCode::from(2)
        }
    }
}
