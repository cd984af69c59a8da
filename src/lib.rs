//! Assay: a declarative rules and policy engine whose every figure can be explained.
//!
//! The pipeline, one module per stage: [`parse`] (rule text to [`ast`]), [`load`]
//! (a rules tree from disk), [`check`] (names, units, indices, tables, cycles), with
//! [`diagnostic`]s carrying stable [`codes`] throughout.

pub mod ast;
pub mod check;
pub mod classify;
pub mod cli;
pub mod data;
pub mod diagnostic;
pub mod diff;
pub mod discard;
pub mod eval;
pub mod explain;
pub mod fmt;
pub mod load;
pub mod parse;
pub mod policy;
pub mod report;
pub mod ruletest;
pub mod source;
pub mod table;
pub mod timing;
pub mod value;
