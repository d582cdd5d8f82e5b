//! Measures the harness's own cost: `counter/atomic` at one thread through the runner against a
//! bare loop of the same operation on the same CPU, samples interleaved (bare, harness, bare).

use std::time::{Duration, Instant};

use contend_reports::schema::{Overhead, Validation};
use contend_reports::stats::median;
use contend_workloads::counter::Atomic;
use contend_workloads::{Params, find_variant};

use crate::runner::{CaseRequest, Timing, run_case};
use crate::topology::Placement;

/// Throughput (ops/s) of `samples` bare-loop windows of about `duration` each, pinned to `cpu`.
fn bare_loop(cpu: Option<usize>, samples: u32, duration: Duration) -> Vec<f64> {
    std::thread::scope(|s| {
        s.spawn(|| {
            if let Some(id) = cpu {
                core_affinity::set_for_current(core_affinity::CoreId { id });
            }
            let counter = Atomic::new(&Params::default());
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

/// Runs the comparison; `cpu_order` as for cases (the first CPU is used).
pub fn measure(
    cpu_order: &[usize],
    available_cpus: usize,
    samples: u32,
    duration: Duration,
) -> Option<Overhead> {
    let variant = find_variant("counter/atomic")?;
    let cpu = cpu_order.first().copied();
    let params = Params::default();
    let timing = Timing {
        warmup: duration,
        samples,
        duration,
        stall_timeout: Duration::from_secs(5),
    };
    let mut bare = bare_loop(cpu, samples, duration);
    let req = CaseRequest {
        variant,
        threads: 1,
        placement: if cpu.is_some() {
            Placement::Compact
        } else {
            Placement::None
        },
        cpu_order: &cpu_order[..cpu_order.len().min(1)],
        available_cpus,
        params: &params,
        timing: &timing,
    };
    let case = run_case(&req, &mut |_, _| {});
    bare.extend(bare_loop(cpu, samples, duration));
    if !matches!(case.validation, Validation::Passed { .. }) || bare.is_empty() {
        return None;
    }
    let harness: Vec<f64> = case.samples.iter().map(|s| s.throughput).collect();
    let (bare_ops, harness_ops) = (median(&bare), median(&harness));
    Some(Overhead {
        bare_ops_per_sec: bare_ops,
        harness_ops_per_sec: harness_ops,
        ratio: harness_ops / bare_ops,
        samples,
    })
}
