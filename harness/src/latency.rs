//! Latency percentiles and the encoded histogram stored in the results.

use base64::Engine;
use contend_reports::schema::Latency;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::{Serializer, V2Serializer};

/// Percentiles (ns) and the base64 V2 encoding of `h`.
pub fn latency_summary(h: &Histogram<u64>) -> Latency {
    let mut bytes = Vec::new();
    V2Serializer::new()
        .serialize(h, &mut bytes)
        .expect("serializing to memory cannot fail");
    let q = |q: f64| {
        if h.is_empty() {
            0
        } else {
            h.value_at_quantile(q)
        }
    };
    Latency {
        count: h.len(),
        p50: q(0.5),
        p90: q(0.9),
        p99: q(0.99),
        p999: q(0.999),
        max: if h.is_empty() { 0 } else { h.max() },
        histogram: base64::engine::general_purpose::STANDARD.encode(bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hdrhistogram::serialization::Deserializer;

    #[test]
    fn the_encoded_histogram_round_trips() {
        let mut h = contend_workloads::ctx::new_histogram();
        for v in 1..=1000u64 {
            h.record(v * 10).unwrap();
        }
        let l = latency_summary(&h);
        assert_eq!(l.count, 1000);
        assert!((4990..=5010).contains(&l.p50), "{}", l.p50);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&l.histogram)
            .unwrap();
        let back: Histogram<u64> = Deserializer::new()
            .deserialize(&mut bytes.as_slice())
            .unwrap();
        assert_eq!(back.len(), 1000);
        assert_eq!(back.value_at_quantile(0.99), h.value_at_quantile(0.99));
    }

    #[test]
    fn an_empty_histogram_has_zero_percentiles() {
        let l = latency_summary(&contend_workloads::ctx::new_histogram());
        assert_eq!((l.count, l.p50, l.max), (0, 0, 0));
    }
}
