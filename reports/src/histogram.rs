//! Decodes the base64 V2 HdrHistograms stored in results and turns them into percentile distributions.

use base64::Engine as _;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::Deserializer;

/// Why a stored histogram could not be decoded.
#[derive(Debug, thiserror::Error)]
pub enum HistogramError {
    #[error("histogram is not valid base64: {0}")]
    Base64(#[from] base64::DecodeError),
    #[error("histogram is not a V2 HdrHistogram: {0:?}")]
    Decode(hdrhistogram::serialization::DeserializeError),
}

/// Decodes `latency.histogram` (base64, standard alphabet, of the V2 serialization).
pub fn decode(encoded: &str) -> Result<Histogram<u64>, HistogramError> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(encoded.trim())?;
    Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .map_err(HistogramError::Decode)
}

/// One point of a percentile distribution.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PercentilePoint {
    /// Quantile in [0, 1).
    pub quantile: f64,
    /// `1 / (1 - quantile)`: the x position on an HdrHistogram-style log axis (1 = 0%, 10 = 90%, 100 = 99%).
    pub inverse_tail: f64,
    /// Latency at that quantile, ns (the histogram's unit).
    pub value: u64,
}

/// Points per decade of `1/(1-p)` in [`distribution`].
const POINTS_PER_DECADE: u32 = 10;

/// The percentile distribution of `h`: log-spaced in `1/(1-p)` from the median up to the last value that has at
/// least one recorded sample beyond it, then the maximum. Empty for an empty histogram.
pub fn distribution(h: &Histogram<u64>) -> Vec<PercentilePoint> {
    let count = h.len();
    if count == 0 {
        return Vec::new();
    }
    // Beyond 1/(1-p) = count the tail holds less than one sample: that is the maximum.
    let limit = (count as f64).max(2.0);
    let mut points = Vec::new();
    let mut k = 0u32;
    loop {
        // Start at 50% (x = 2).
        let x = 2.0 * 10f64.powf(f64::from(k) / f64::from(POINTS_PER_DECADE));
        if x >= limit {
            break;
        }
        let quantile = 1.0 - 1.0 / x;
        points.push(PercentilePoint {
            quantile,
            inverse_tail: x,
            value: h.value_at_quantile(quantile),
        });
        k += 1;
    }
    points.push(PercentilePoint {
        quantile: 1.0 - 1.0 / limit,
        inverse_tail: limit,
        value: h.max(),
    });
    points
}

#[cfg(test)]
mod tests {
    use super::*;
    use hdrhistogram::serialization::{Serializer as _, V2Serializer};

    fn encode(h: &Histogram<u64>) -> String {
        let mut buf = Vec::new();
        V2Serializer::new().serialize(h, &mut buf).unwrap();
        base64::engine::general_purpose::STANDARD.encode(buf)
    }

    #[test]
    fn round_trips_a_v2_histogram() {
        let mut h = Histogram::<u64>::new(3).unwrap();
        for v in 1..=1000u64 {
            h.record(v * 10).unwrap();
        }
        let back = decode(&encode(&h)).unwrap();
        assert_eq!(back.len(), 1000);
        assert_eq!(back.value_at_quantile(0.5), h.value_at_quantile(0.5));
    }

    #[test]
    fn distribution_is_monotone_and_ends_at_the_maximum() {
        let mut h = Histogram::<u64>::new(3).unwrap();
        for v in 1..=10_000u64 {
            h.record(v).unwrap();
        }
        let d = distribution(&h);
        assert!(
            d.windows(2)
                .all(|w| w[0].value <= w[1].value && w[0].inverse_tail < w[1].inverse_tail)
        );
        assert_eq!(d.last().unwrap().value, h.max());
        assert!((d[0].quantile - 0.5).abs() < 1e-12);
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(decode("not base64!").is_err());
        assert!(decode("AAAA").is_err());
    }
}
