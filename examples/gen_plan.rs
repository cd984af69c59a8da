//! A SYNTHETIC consolidation plan at any size, for benchmarking `assay verify`: `plan.csv` in
//! the columns `rules/datasets.assay` declares for dataset `plan` (one row per organisation
//! and activity), like `examples/plans/compliant/plan.csv` but generated.
//!
//! ```sh
//! cargo run --release --example gen_plan -- --rows 1000000 --out /tmp/plan-1m
//! ```
//!
//! Deterministic: the same `--rows` and `--seed` give the same bytes on every platform
//! (SplitMix64 seeded per consortium, integer arithmetic only). The plan:
//! - consortia of 3 to 8 organisations, each organisation moving 10 to 40 distinct activities
//!   of Table 14 (the activities of `rules/functions/*.assay`, copied below), until `--rows`
//!   rows are written (the last organisation is cut short);
//! - each consortium has one model of `sharing_model` (co-operative, shared services company,
//!   joint venture or outsourcing); strategic activities stay in-house, operational ones are
//!   shared or kept, transactional ones go to the consortium's model;
//! - mostly compliant with the policies of `rules/policies.assay`: a few percent of rows
//!   break each one (a strategic activity moved, a co-operative under 20,000 employees,
//!   unequal shares, a `no` or a blank answer, partners agreed after 1 April 2011);
//! - blanks where the columns are optional (in-house rows fill none of the terms), and the
//!   spellings people use: a model's title or alias in any case, `Yes`/`No`, an activity's
//!   title instead of its name.

#![allow(
    clippy::arithmetic_side_effects,
    reason = "a generator of synthetic benchmark data, not the engine: its arithmetic is on the sizes and seeds of its own command line"
)]

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

/// How often a row breaks a policy on purpose (per mille), for each kind of break.
const BREAK: u64 = 30;

struct Rng(u64);

impl Rng {
    fn new(seed: u64, stream: u64) -> Rng {
        let mut r = Rng(seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03));
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

    /// Uniform in `0..n`.
    fn pick(&mut self, n: u64) -> u64 {
        ((self.next_u64() >> 32) * n) >> 32
    }

    /// Uniform in `lo..=hi`.
    fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.pick(hi - lo + 1)
    }

    /// True `per_mille` times in a thousand.
    fn chance(&mut self, per_mille: u64) -> bool {
        self.pick(1000) < per_mille
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Transactional,
    Operational,
    Strategic,
}

/// The activities of Table 14 as `rules/functions/*.assay` declares them: name, title, class.
const ACTIVITIES: [(&str, &str, Class); 68] = [
    ("cash_disbursements", "Cash disbursements", Class::Transactional),
    ("payroll_services", "Payroll services", Class::Transactional),
    ("customer_billing", "Customer billing", Class::Transactional),
    ("collections", "Collections", Class::Transactional),
    ("general_ledger_accounting", "General ledger accounting", Class::Transactional),
    ("tax_accounting", "Tax accounting, filing, reporting and planning", Class::Transactional),
    ("process_certification", "Process certification", Class::Transactional),
    ("credit", "Credit", Class::Operational),
    ("cash_application", "Cash application", Class::Operational),
    ("fixed_assets", "Fixed assets", Class::Operational),
    ("intercompany_and_cost_accounting", "Intercompany and cost accounting", Class::Operational),
    ("external_reporting", "External reporting", Class::Operational),
    ("regulatory_tax_management", "Specialised regulatory tax management", Class::Operational),
    ("treasury_management", "Treasury management", Class::Operational),
    ("regulatory_compliance_and_auditing", "Regulatory compliance and auditing", Class::Operational),
    ("business_performance_reporting", "Business performance reporting", Class::Operational),
    ("business_analysis", "Business analysis", Class::Operational),
    ("planning_and_performance_management", "Planning and performance management", Class::Operational),
    ("management_accounting", "Management accounting", Class::Strategic),
    ("strategic_financial_planning", "Strategic financial planning", Class::Strategic),
    ("benefits_administration", "Benefits administration", Class::Transactional),
    ("employee_record_keeping", "Employee record-keeping", Class::Transactional),
    ("staffing_services", "Staffing services", Class::Transactional),
    ("relocation_services", "Relocation services", Class::Transactional),
    ("employee_engagement", "Employee engagement", Class::Transactional),
    ("hr_advice", "HR advice", Class::Transactional),
    ("policy_and_procedures_enquiries", "Policy and procedures enquiries and resolution", Class::Transactional),
    ("recruitment_and_training_administration", "Recruitment and training administration", Class::Transactional),
    ("employee_relations", "Employee relations", Class::Operational),
    ("learning_management", "Learning management", Class::Operational),
    ("workforce_planning", "Workforce planning", Class::Operational),
    ("medical_staffing", "Medical staffing", Class::Operational),
    ("hr_director", "HR Director", Class::Strategic),
    ("hr_strategy", "HR Strategy", Class::Strategic),
    ("hr_policy", "HR Policy", Class::Strategic),
    ("organisational_development", "Organisational development", Class::Strategic),
    ("strategic_workforce_planning", "Strategic workforce planning and analysis", Class::Strategic),
    ("infrastructure_development_and_deployment", "Infrastructure development and deployment", Class::Transactional),
    ("application_solution_development", "Application solution development and implementation", Class::Transactional),
    ("infrastructure_and_operations_management", "Infrastructure and operations management", Class::Transactional),
    ("it_service_desk", "IT service desk", Class::Transactional),
    ("application_maintenance_and_support", "Application maintenance and support", Class::Transactional),
    ("it_financial_management", "IT financial management", Class::Transactional),
    ("it_communication", "Communication", Class::Transactional),
    ("architecture_review_and_compliance", "Architecture review and compliance management", Class::Operational),
    ("programme_management_policies", "Program management policies and procedures", Class::Operational),
    ("service_architecture_planning", "Service architecture planning and design", Class::Operational),
    ("business_relationship_management", "Business relationship management", Class::Operational),
    ("it_strategy_development", "IT strategy development", Class::Strategic),
    ("enterprise_architecture_management", "Enterprise architecture management", Class::Strategic),
    ("portfolio_and_programme_management", "Portfolio and programme management", Class::Strategic),
    (
        "service_catalogue_and_governance_design",
        "Service catalogue, SLA, service governance and reporting design",
        Class::Strategic,
    ),
    ("catalogue_management", "Catalogue management", Class::Transactional),
    ("requisition_processing", "Requisition processing", Class::Transactional),
    ("purchase_order_processing", "Purchase order processing", Class::Transactional),
    ("requisition_and_po_support", "Requisition and purchase order support", Class::Transactional),
    ("supplier_scheduling", "Supplier scheduling", Class::Transactional),
    ("receipt_processing", "Receipt processing", Class::Transactional),
    ("supplier_management", "Supplier management", Class::Transactional),
    ("supply_data_management", "Supply data management", Class::Operational),
    (
        "customer_management_product_development",
        "Customer management product development, design and support",
        Class::Operational,
    ),
    ("sourcing_execution", "Sourcing execution", Class::Operational),
    ("contract_master_management", "Contract master management", Class::Strategic),
    ("internal_compliance_management", "Internal compliance management", Class::Strategic),
    ("internal_customer_management", "Internal customer management", Class::Strategic),
    ("supplier_partnering_and_development", "Supplier management, partnering and development", Class::Strategic),
    ("sourcing_and_supply_base_strategy", "Sourcing and supply base strategy", Class::Strategic),
    ("function_strategy_and_performance_management", "Function strategy and performance management", Class::Strategic),
];

/// Members of `sharing_model` (rules/sets.assay), each with the other spellings a plan may
/// use for it (its title and aliases).
const IN_HOUSE: usize = 0;
const CO_OPERATIVE: usize = 1;
const OUTSOURCING: usize = 4;
const MODELS: [(&str, &[&str]); 5] = [
    ("in_house", &["In-house solution", "in-house", "In-House"]),
    ("co_operative", &["Shared service co-operative", "co-operative", "Co-operative", "trading fund"]),
    ("shared_services_company", &["Shared services company", "Shared Services Company"]),
    ("joint_venture", &["Joint venture or partnership", "joint venture or partnership"]),
    ("outsourcing", &["Outsourcing", "OUTSOURCING"]),
];

/// A consortium's model, per mille: co-operative, shared services company, joint venture,
/// outsourcing.
const CONSORTIUM_MODELS: [(usize, u64); 4] = [(CO_OPERATIVE, 350), (2, 300), (3, 150), (OUTSOURCING, 200)];

const PLACE_HEADS: [&str; 24] = [
    "Aldr", "Brel", "Caxt", "Dorn", "Elv", "Fask", "Grend", "Holv", "Ibb", "Jorv", "Kelv", "Lorn", "Mav", "Nesh",
    "Orv", "Pell", "Quen", "Ryl", "Stav", "Tarv", "Ulv", "Vell", "Wexl", "Yarr",
];
const PLACE_TAILS: [&str; 10] = ["ham", "ley", "mere", "wick", "worth", "by", "combe", "ford", "stow", "ton"];
const SUFFIXES: [&str; 6] =
    ["Shared Services", "Co-operative", "Partnership", "Trading Fund", "Collaborative", "Back Office Consortium"];

pub const HEADER: &str = "Organisation,Consortium,Activity,Model,Employees served,Investment share,Savings share,\
Exit costs paid by leaving partner,New partners' unit-cost savings shared by all,\
Processes simplified and standardised first,Partners agreed";

/// The terms a consortium agrees, shared by its partners' rows.
struct Terms {
    name: String,
    model: usize,
    employees: u64,
    /// Days after 2010-06-01 (so 304 is 2011-04-01).
    agreed: u64,
}

fn place(rng: &mut Rng) -> String {
    let head = PLACE_HEADS.get(rng.pick(PLACE_HEADS.len() as u64) as usize).unwrap_or(&"Aldr");
    let tail = PLACE_TAILS.get(rng.pick(PLACE_TAILS.len() as u64) as usize).unwrap_or(&"ham");
    format!("{head}{tail}")
}

fn terms(rng: &mut Rng) -> Terms {
    let name = format!(
        "{} and {} {}",
        place(rng),
        place(rng),
        SUFFIXES.get(rng.pick(SUFFIXES.len() as u64) as usize).unwrap_or(&"Partnership")
    );
    let mut u = rng.pick(1000);
    let model = CONSORTIUM_MODELS
        .iter()
        .find(|(_, w)| {
            let hit = u < *w;
            u = u.saturating_sub(*w);
            hit
        })
        .map_or(CO_OPERATIVE, |m| m.0);
    // s7.7: a co-operative serves at least 20,000 employees; a few are smaller.
    let employees = if rng.chance(BREAK) { rng.between(6_000, 19_999) } else { rng.between(20_000, 140_000) };
    // Partners agreed June 2010 to March 2011; a few later.
    let agreed = if rng.chance(BREAK) { rng.between(305, 500) } else { rng.pick(304) };
    Terms { name, model, employees, agreed }
}

/// `2010-06-01` plus `days`.
fn date(days: u64) -> String {
    const MONTHS: [u64; 12] = [30, 31, 31, 30, 31, 30, 31, 31, 28, 31, 30, 31]; // June 2010 onwards
    let (mut year, mut month, mut d) = (2010, 6, days);
    for len in MONTHS.iter().cycle() {
        if d < *len {
            break;
        }
        d -= len;
        month += 1;
        if month == 13 {
            month = 1;
            year += 1;
        }
    }
    format!("{year}-{month:02}-{:02}", d + 1)
}

fn model_cell(rng: &mut Rng, model: usize) -> &'static str {
    let (name, others) = MODELS.get(model).copied().unwrap_or(MODELS[0]);
    if rng.chance(60) {
        others.get(rng.pick(others.len() as u64) as usize).copied().unwrap_or(name)
    } else {
        name
    }
}

/// An answer that should be yes: mostly `yes`, sometimes `Yes`, a few `no`, `No` or blank.
fn answer(rng: &mut Rng) -> &'static str {
    let u = rng.pick(1000);
    if u < BREAK / 2 {
        if rng.chance(500) {
            "no"
        } else {
            "No"
        }
    } else if u < BREAK {
        ""
    } else if u < 100 {
        "Yes"
    } else {
        "yes"
    }
}

fn push_field(line: &mut String, s: &str) {
    line.push(',');
    if s.contains(',') || s.contains('"') {
        line.push('"');
        line.push_str(&s.replace('"', "\"\""));
        line.push('"');
    } else {
        line.push_str(s);
    }
}

/// Write one consortium's rows (at most `left`); returns how many were written.
fn consortium(out: &mut impl Write, seed: u64, c: u64, next_org: &mut u64, left: u64) -> io::Result<u64> {
    let mut rng = Rng::new(seed, c);
    let t = terms(&mut rng);
    let partners = rng.between(3, 8);
    // Investment shares in whole percent, summing to 100.
    let weights: Vec<u64> = (0..partners).map(|_| rng.between(5, 40)).collect();
    let total: u64 = weights.iter().sum();
    let mut shares: Vec<u64> = weights.iter().map(|w| w * 100 / total).collect();
    let short = 100 - shares.iter().sum::<u64>();
    if let Some(first) = shares.first_mut() {
        *first += short;
    }
    let mut written = 0;
    let mut line = String::with_capacity(256);
    for share in shares {
        let org = format!("P{:06}", *next_org);
        *next_org += 1;
        // This partner's activities: 10 to 40 distinct ones (a partial shuffle).
        let n = rng.between(10, 40);
        let mut order: Vec<usize> = (0..ACTIVITIES.len()).collect();
        for i in 0..n as usize {
            let j = i + rng.pick((ACTIVITIES.len() - i) as u64) as usize;
            order.swap(i, j);
        }
        // A partner whose savings share differs from its investment share (s11.1).
        let unequal = rng.chance(BREAK);
        for &a in order.iter().take(n as usize) {
            if written == left {
                return Ok(written);
            }
            let (name, title, class) = ACTIVITIES.get(a).copied().unwrap_or(ACTIVITIES[0]);
            let broken = rng.chance(BREAK);
            let model = match class {
                // Strategic: in-house; a few moved to the consortium.
                Class::Strategic if broken => t.model,
                Class::Strategic => IN_HOUSE,
                // Operational: outsourced in a few plans, otherwise half kept, half shared
                // (never through an outsourcing consortium).
                Class::Operational if broken => OUTSOURCING,
                Class::Operational if t.model == OUTSOURCING || rng.chance(500) => IN_HOUSE,
                Class::Operational => t.model,
                // Transactional: to the consortium's model; a few kept in-house.
                Class::Transactional if broken => IN_HOUSE,
                Class::Transactional => t.model,
            };
            line.clear();
            line.push_str(&org);
            push_field(&mut line, &t.name);
            push_field(&mut line, if rng.chance(30) { title } else { name });
            push_field(&mut line, model_cell(&mut rng, model));
            if model == IN_HOUSE {
                line.push_str(",,,,,,,");
            } else {
                if model == CO_OPERATIVE {
                    push_field(&mut line, &if rng.chance(10) { String::new() } else { t.employees.to_string() });
                    let investment = if rng.chance(10) { String::new() } else { format!("{share}%") };
                    let savings = if unequal {
                        format!("{}%", share.saturating_sub(rng.between(1, 5)))
                    } else if rng.chance(10) {
                        String::new()
                    } else if rng.chance(100) {
                        format!("{share}.0%")
                    } else {
                        format!("{share}%")
                    };
                    push_field(&mut line, &investment);
                    push_field(&mut line, &savings);
                    push_field(&mut line, answer(&mut rng));
                    push_field(&mut line, answer(&mut rng));
                } else {
                    line.push_str(",,,,,");
                }
                push_field(&mut line, answer(&mut rng));
                push_field(&mut line, &if rng.chance(10) { String::new() } else { date(t.agreed) });
            }
            line.push('\n');
            out.write_all(line.as_bytes())?;
            written += 1;
        }
    }
    Ok(written)
}

/// Write a plan of `rows` rows, with a header.
pub fn generate(rows: u64, seed: u64, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "{HEADER}")?;
    let (mut written, mut c, mut next_org) = (0, 0, 1);
    while written < rows {
        written += consortium(out, seed, c, &mut next_org, rows - written)?;
        c += 1;
    }
    out.flush()
}

pub const DEFAULT_SEED: u64 = 2010;

pub const USAGE: &str = "usage: gen_plan --rows N [--seed S] --out DIR

Writes DIR/plan.csv (a SYNTHETIC consolidation plan, dataset `plan`) and DIR/NOTICE.
  --rows N   rows (organisation and activity pairs)
  --seed S   random seed (default 2010)
  --out DIR  output folder";

struct Options {
    rows: u64,
    seed: u64,
    out: PathBuf,
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Option<Options>, String> {
    let (mut rows, mut seed, mut out) = (None, DEFAULT_SEED, None);
    let mut args = args.into_iter();
    while let Some(a) = args.next() {
        let (name, inline) = match a.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (a.clone(), None),
        };
        if name == "--help" || name == "-h" {
            return Ok(None);
        }
        let value = inline.or_else(|| args.next()).ok_or_else(|| format!("{name} needs a value"))?;
        let number = || value.replace('_', "").parse::<u64>().map_err(|_| format!("{name}: `{value}` is not a number"));
        match name.as_str() {
            "--rows" => rows = Some(number()?),
            "--seed" => seed = number()?,
            "--out" => out = Some(PathBuf::from(&value)),
            _ => return Err(format!("unknown option `{name}`")),
        }
    }
    match (rows, out) {
        (Some(0), _) => Err("--rows must be at least 1".to_string()),
        (Some(rows), Some(out)) => Ok(Some(Options { rows, seed, out })),
        _ => Err("--rows and --out are needed".to_string()),
    }
}

fn run(o: &Options) -> io::Result<()> {
    std::fs::create_dir_all(&o.out)?;
    let file = std::fs::File::create(o.out.join("plan.csv"))?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    generate(o.rows, o.seed, &mut w)?;
    w.into_inner().map_err(|e| e.into_error())?;
    std::fs::write(
        o.out.join("NOTICE"),
        format!(
            "SYNTHETIC DATA: generated by examples/gen_plan.rs (seed {}, {} rows); not a real consolidation plan.\n",
            o.seed, o.rows
        ),
    )
}

fn main() -> std::process::ExitCode {
    match parse_args(std::env::args().skip(1)) {
        Ok(None) => {
            println!("{USAGE}");
            std::process::ExitCode::SUCCESS
        }
        Ok(Some(o)) => match run(&o) {
            Ok(()) => {
                eprintln!("wrote {} rows to {}", o.rows, o.out.join("plan.csv").display());
                std::process::ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("gen_plan: {e}");
                std::process::ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("gen_plan: {e}\n{USAGE}");
            std::process::ExitCode::from(2)
        }
    }
}
