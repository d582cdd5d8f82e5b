//! Measures the harness's own cost: `counter/atomic` at one thread through the runner against a
//! bare loop of the same operation on the same CPU, in interleaved pairs (bare, harness, bare, ...).

use std::time::{Duration, Instant};

use contend_reports::schema::{Overhead, Validation};
use contend_reports::stats::median;
use contend_workloads::counter::Atomic;
use contend_workloads::{Params, find_variant};

use crate::runner::load::LoadPlan;
use crate::runner::{CaseRequest, Timing, run_case};
use crate::topology::Placement;

/// Throughput (ops/s) of `samples` bare-loop windows of about `duration` each, pinned to `cpu`.
fn bare_loop(cpu: Option<usize>, samples: u32, duration: Duration) -> Vec<f64> {
    std::thread::scope(|s| {
        s.spawn(|| {
            if let Some(id) = cpu {
                crate::pin::pin_current(id);
            }
            let owned = Atomic::new(&Params::default());
            // Opaque to the optimizer, as the runner's `&dyn Workload` is: otherwise the bare loop
            // could constant-fold the knobs (think_work = 0) and measure a different operation.
            let counter = std::hint::black_box(&owned);
            let run = |n: u64| {
                let start = Instant::now();
                for _ in 0..n {
                    counter.increment();
                }
                start.elapsed()
            };
            // Calibrate the count to the window, then measure.
            let probe = 1_000_000;
            let per_op = run(probe).as_secs_f64() / probe as f64;
            let n = ((duration.as_secs_f64() / per_op.max(1e-12)) as u64).max(probe);
            (0..samples)
                .map(|_| n as f64 / run(n).as_secs_f64())
                .collect()
        })
        .join()
        .unwrap_or_default()
    })
}

/// Runs the comparison in `pairs` back-to-back pairs (bare window, then a one-sample harness case,
/// both pinned to the first CPU of `cpu_order`), so machine drift cancels; the ratio is the median
/// of the per-pair ratios.
pub fn measure(
    cpu_order: &[usize],
    available_cpus: usize,
    pairs: u32,
    duration: Duration,
) -> Option<Overhead> {
    let variant = find_variant("counter/atomic")?;
    let cpu = cpu_order.first().copied();
    let params = Params::default();
    let timing = Timing {
        warmup: duration / 4,
        samples: 1,
        duration,
        stall_timeout: Duration::from_secs(5),
    };
    let req = CaseRequest {
        variant,
        threads: 1,
        placement: if cpu.is_some() {
            Placement::CoresFirst
        } else {
            Placement::None
        },
        cpu_order: &cpu_order[..cpu_order.len().min(1)],
        available_cpus,
        params: &params,
        timing: &timing,
        load: &LoadPlan::default(),
    };
    let (mut bare, mut harness, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..pairs {
        let b = *bare_loop(cpu, 1, duration).first()?;
        let case = run_case(&req, &mut |_, _| {});
        if !matches!(case.validation, Validation::Passed { .. }) {
            return None;
        }
        let h = case.samples.first()?.throughput;
        bare.push(b);
        harness.push(h);
        ratios.push(h / b);
    }
    Some(Overhead {
        bare_ops_per_sec: median(&bare),
        harness_ops_per_sec: median(&harness),
        ratio: median(&ratios),
        samples: pairs,
    })
}
