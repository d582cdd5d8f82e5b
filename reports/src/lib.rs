//! Pure functions from contend's results JSON to comparisons, HTML, SVG, Markdown and CSV.
//! The results schema (the contract between measuring and rendering) lives here too.

pub mod compare;
pub mod schema;
pub mod stats;
