//! Per-fork values: the median throughput of each fresh process, the gate's unit of replication.
//!
//! Samples of one process share that process's placement on the host, its memory layout and its
//! warm-up, so they vary far less among themselves (0.3-2% typically) than processes do (0.4-27%,
//! median ~5%, on the 2-vCPU KVM runners). Treating them as independent replicates makes
//! intervals far too narrow; the estimators therefore see one value per fork. The median, not
//! the mean, so that a stalled 50 ms window (1-10% of normal) does not move its fork's value.

use crate::schema::Sample;
use crate::stats::median;

/// One value per fork: the median throughput of each fork's samples, by ascending fork id
/// (samples of a file written before forks were recorded all count as fork 0). Empty for no
/// samples.
pub fn fork_values(samples: &[Sample]) -> Vec<f64> {
    let mut by_fork: std::collections::BTreeMap<u32, Vec<f64>> = Default::default();
    for s in samples {
        by_fork.entry(s.fork).or_default().push(s.throughput);
    }
    by_fork.values().map(|t| median(t)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(fork: u32, throughput: f64) -> Sample {
        Sample {
            fork,
            ops: 0,
            elapsed_ns: 1,
            throughput,
            evidence: None,
        }
    }

    #[test]
    fn forks_are_grouped_by_id_and_summarized_by_their_median() {
        let s = [
            sample(1, 10.0),
            sample(0, 5.0),
            sample(1, 0.1), // a stall does not move its fork's median much
            sample(0, 7.0),
            sample(1, 12.0),
            sample(0, 6.0),
        ];
        assert_eq!(fork_values(&s), vec![6.0, 10.0]);
        assert_eq!(fork_values(&[]), Vec::<f64>::new());
        // Without fork ids (old files) every sample is fork 0: one value.
        assert_eq!(fork_values(&[sample(0, 1.0), sample(0, 3.0)]), vec![2.0]);
    }
}
