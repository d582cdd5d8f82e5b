//! The code under test: one [`Workload`] trait, the catalog of families and variants, and the
//! per-worker context through which every variant reports operations and latencies.
//!
//! This crate has no CLI, no files and no clock of its own beyond what [`WorkerCtx`] offers:
//! the harness owns threads, pinning, timing windows and results.

pub mod catalog;
pub mod counter;
pub mod ctx;
pub mod deadlock;
pub mod matmul;
pub mod open_loop;
pub mod params;
pub mod pool;
pub mod proof;
pub mod queue;
pub mod spin;
pub mod sync;
pub mod testing;
pub mod variant;
mod workload;

pub use catalog::{Family, Style, VariantInfo, catalog, find_variant};
pub use ctx::WorkerCtx;
pub use params::Params;
pub use workload::{Load, LoadModes, Outcome, SampleCheck, WorkerTally, Workload};
