//! Provenance stamps: the tool version and the SHA-256 of every rule and data file read.

use sha2::{Digest, Sha256};
use std::fmt::Write;

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// A digest as lowercase hexadecimal.
pub fn hex(digest: &[u8]) -> String {
    let mut out = String::with_capacity(digest.len().saturating_mul(2));
    for b in digest {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// One file behind a result.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileStamp {
    pub path: String,
    pub sha256: String,
}

/// What a result was computed from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Stamp {
    pub tool: String,
    pub version: String,
    pub rules: Vec<FileStamp>,
    pub data: Vec<FileStamp>,
}

impl Stamp {
    pub fn new(rules: Vec<FileStamp>, data: Vec<FileStamp>) -> Stamp {
        Stamp { tool: "assay".to_string(), version: env!("CARGO_PKG_VERSION").to_string(), rules, data }
    }

    /// The stamp of a run over these rule files and these loaded data tables.
    pub fn of(rules: &[crate::source::SourceFile], tables: &[crate::data::Table]) -> Stamp {
        let data = tables
            .iter()
            .flat_map(|t| &t.files)
            .map(|f| FileStamp { path: f.display.clone(), sha256: f.sha256.clone() })
            .collect();
        Stamp::new(rule_stamps(rules), data)
    }
}

/// Each rule file's path and SHA-256.
pub fn rule_stamps(rules: &[crate::source::SourceFile]) -> Vec<FileStamp> {
    rules.iter().map(|f| FileStamp { path: f.name.clone(), sha256: sha256_hex(f.text.as_bytes()) }).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn sha256_of_known_input() {
        assert_eq!(super::sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
