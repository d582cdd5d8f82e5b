//! The latency mode's sweep: after a queue case's saturated samples, one window per offered rate
//! with producers on an open-loop schedule, each window proven like a sample.

use std::time::Duration;

use contend_reports::schema::{CaseStatus, LoadSweep};
use contend_workloads::Load;

use super::load::{Rates, load_point, short_window, stamp_cost_ns, stamp_every};
use super::shared::Shared;
use super::window::{WindowSpec, run_checked};
use crate::proof::Proof;

/// What a sweep needs to know of its case.
pub(super) struct SweepSpec<'a> {
    pub rates: &'a Rates,
    /// The case's sample window (each point gets a quarter of it, see [`short_window`]).
    pub sample_window: Duration,
    pub window: &'a WindowSpec,
}

/// Runs the sweep of `spec.rates` against `saturation_per_s` (the samples' median), windows
/// numbered after `last_window`. `Ok(None)`: the case has no open-loop mode (one thread, or a
/// family without one). `Err`: the case's status when a window stalled or a thread panicked; a
/// wrong result fails the proof and ends the sweep.
pub(super) fn run_sweep(
    shared: &Shared,
    spec: &SweepSpec,
    last_window: u64,
    saturation_per_s: f64,
    proof: &mut Proof,
    cpus_observed: &mut [Vec<usize>],
) -> Result<Option<LoadSweep>, CaseStatus> {
    let window = short_window(spec.sample_window);
    let mut points = Vec::new();
    for (i, rate) in spec.rates.resolve(saturation_per_s).into_iter().enumerate() {
        if crate::interrupt::requested() {
            break;
        }
        // One item in N timed, N sized (as the saturated stamps are) so that the receiver's
        // clock costs at most 1% of an item's time at this rate.
        let stamp_every = stamp_every(rate.0, stamp_cost_ns());
        if !shared.workload.set_load(Load::Offered {
            per_s: rate.0,
            stamp_every,
        }) {
            if i == 0 {
                return Ok(None);
            }
            break;
        }
        let n = last_window + 1 + i as u64;
        let (run, check) = run_checked(shared, n, window, spec.window, proof, cpus_observed)?;
        if check.outcome != contend_workloads::Outcome::Valid {
            break;
        }
        points.push(load_point(
            rate,
            stamp_every,
            check.ops,
            run.elapsed_ns,
            &run.histogram,
        ));
    }
    Ok((!points.is_empty()).then_some(LoadSweep {
        fork: 0,
        saturation_per_s,
        window_ms: window.as_secs_f64() * 1e3,
        points,
    }))
}
