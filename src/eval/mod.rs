//! Stage 4, evaluation: figures over all entities of a period at once, in exact decimals.

pub mod budget;
pub mod column;
pub mod coverage;
pub mod engine;
pub mod exact_sum;
pub mod frame;
pub mod missing;
pub mod model;
pub mod needs;
pub mod ops;
pub mod params;
pub mod probe;
pub mod run;
pub mod script;
pub mod select;
pub mod stats;
pub mod totals;
