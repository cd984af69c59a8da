//! The HTML report: self-contained pages with inline SVG charts.

pub mod chart;
pub mod escape;
