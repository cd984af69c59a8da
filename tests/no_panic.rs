//! No input makes parsing or checking panic: at least 10,000 mutations of the
//! fixture and rule files (truncations, byte flips, deleted and duplicated lines,
//! deep nesting, huge numbers, invalid UTF-8) go through load and check, and each
//! must return normally with its diagnostics.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "test code: failing loudly is the point"
)]

mod common;

use assay::check::{check, CheckOptions};
use assay::load::load_bytes;
use common::fs::files_with_extension;
use common::repo;
use common::rng::Rng;

fn seed_files() -> Vec<Vec<u8>> {
    let mut paths = Vec::new();
    for dir in ["rules", "tests/fixtures"] {
        paths.extend(files_with_extension(&repo().join(dir), "assay"));
    }
    paths.sort();
    let seeds: Vec<Vec<u8>> = paths.iter().map(|p| std::fs::read(p).unwrap()).collect();
    assert!(seeds.len() >= 5, "expected rule files and fixtures to mutate");
    seeds
}

const TOKENS: &[&str] = &[
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "|",
    "=>",
    "..",
    ":",
    "=",
    ",",
    "\"",
    "#",
    "##",
    "%",
    "£",
    "kpi",
    "param",
    "methodology",
    "classify",
    "if",
    "then",
    "else",
    "over",
    "peers",
    "cite",
    "since",
    "let",
    "total",
    "*",
    "-",
    "not",
    "9999-99-99",
    "2011-02-29",
    "£1,2",
    "1e9",
    "\\",
    "\u{0}",
    "é",
    "\u{202e}",
];

fn lines(bytes: &[u8]) -> Vec<Vec<u8>> {
    bytes.split_inclusive(|b| *b == b'\n').map(<[u8]>::to_vec).collect()
}

fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut b = seed.to_vec();
    let at = rng.below(b.len() + 1);
    match rng.below(12) {
        0 => b.truncate(at),
        1 => {
            for _ in 0..1 + rng.below(4) {
                let i = rng.below(b.len());
                if let Some(x) = b.get_mut(i) {
                    *x = rng.next() as u8;
                }
            }
        }
        2 | 3 => {
            let mut ls = lines(&b);
            if !ls.is_empty() {
                let i = rng.below(ls.len());
                if rng.below(2) == 0 {
                    ls.remove(i);
                } else {
                    let dup = ls[i].clone();
                    ls.insert(rng.below(ls.len() + 1), dup);
                }
            }
            b = ls.concat();
        }
        4 => {
            let depth = 10 + rng.below(200);
            let open: Vec<u8> = std::iter::repeat_n(b"(["[rng.below(2)], depth).collect();
            b.splice(at..at, open);
        }
        5 => {
            let n: String = (0..1 + rng.below(60)).map(|_| char::from(b'0' + rng.below(10) as u8)).collect();
            let decorated = match rng.below(4) {
                0 => format!(" {n} "),
                1 => format!(" £{n}m "),
                2 => format!(" {n}% "),
                _ => format!(" {n}.{n} "),
            };
            b.splice(at..at, decorated.into_bytes());
        }
        6 => {
            let bad: &[u8] = [&[0xFFu8][..], &[0xC3], &[0xE2, 0x82], &[0xF0, 0x9F, 0x98]][rng.below(4)];
            b.splice(at..at, bad.iter().copied());
        }
        7 => {
            let token = TOKENS[rng.below(TOKENS.len())];
            b.splice(at..at, format!(" {token} ").into_bytes());
        }
        8 => {
            let n = 50 + rng.below(400);
            let chain = match rng.below(3) {
                0 => "1 + ".repeat(n) + "1",
                1 => format!("{}1{}", "if x then ".repeat(n.min(150)), " else 2".repeat(n.min(150))),
                _ => "- not ".repeat(n / 10) + "x",
            };
            b.splice(at..at, format!(" {chain} ").into_bytes());
        }
        9 => {
            let mut ls = lines(&b);
            if ls.len() > 1 {
                let (i, j) = (rng.below(ls.len()), rng.below(ls.len()));
                ls.swap(i, j);
            }
            b = ls.concat();
        }
        10 => {
            let from = rng.below(b.len() + 1);
            let to = (from + rng.below(40)).min(b.len());
            b.drain(from..to);
        }
        _ => {
            let other = b.clone();
            let cut = rng.below(other.len() + 1);
            b.splice(at..at, other[..cut].iter().copied());
        }
    }
    b
}

#[test]
fn ten_thousand_mutations_never_panic() {
    // The binary runs on a 64 MiB stack; so does this test.
    let worker = std::thread::Builder::new()
        .stack_size(64 * 1024 * 1024)
        .spawn(|| {
            let seeds = seed_files();
            let mut rng = Rng(0x5EED_A55A);
            let mut diagnostics = 0usize;
            let mut parsed = 0usize;
            for case in 0..10_000 {
                let seed = &seeds[case % seeds.len()];
                let input = mutate(&mut rng, seed);
                let result = std::panic::catch_unwind(|| {
                    let tree = load_bytes("mutant.assay", input.clone());
                    (check(&tree, CheckOptions { strict: true }).diagnostics.len(), tree.has_errors())
                });
                match result {
                    Ok((n, syntax_errors)) => {
                        diagnostics += n;
                        parsed += usize::from(!syntax_errors);
                    }
                    Err(_) => panic!("case {case} panicked on input:\n{}", String::from_utf8_lossy(&input)),
                }
            }
            (diagnostics, parsed)
        })
        .unwrap();
    let (diagnostics, parsed) = worker.join().unwrap();
    // Enough mutants must parse for the checker itself to be exercised, not only the parser.
    assert!(parsed > 2_000, "only {parsed} of 10,000 mutants parsed");
    // Most mutants are broken: the run must have produced diagnostics, not silently passed.
    assert!(diagnostics > 5_000, "only {diagnostics} diagnostics from 10,000 mutants");
}
