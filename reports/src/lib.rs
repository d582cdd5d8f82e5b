//! Pure functions from contend's results JSON to comparisons, HTML, SVG, Markdown and CSV.
//! The results schema (the contract between measuring and rendering) lives here too.

pub mod analysis;
pub mod changepoint;
pub mod charts;
pub mod compare;
pub mod csv;
mod evidence_schema;
pub mod evidence_summary;
pub mod figures;
mod figures_heatmap;
mod figures_load;
pub mod fingerprint;
pub mod format;
pub mod histogram;
pub mod html;
mod html_compare;
mod html_evidence;
mod html_family;
mod html_load;
mod html_machine;
mod html_parts;
mod html_primitives;
mod html_races;
mod html_trends;
pub mod load_schema;
mod machine_schema;
mod machine_text;
pub mod markdown;
pub mod modes;
pub mod primitives_relations;
pub mod primitives_schema;
mod race_schema;
pub mod schema;
pub mod stats;
pub mod trend;
pub mod usl;
pub mod warnings;

pub use csv::render_csv;
pub use html::render_html;
pub use html_trends::render_trends_html;
pub use markdown::render_markdown;
