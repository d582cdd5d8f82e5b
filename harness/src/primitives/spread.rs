//! Median and spread of repeated measurements, as stored in the results (`Spread`), and the
//! figure-or-error every primitive returns.

use contend_reports::primitives_schema::{Measured, Spread};
use contend_reports::stats::quantile;

/// The spread of `values` (ns per operation, one per repetition); `None` for no values.
pub fn spread(values: &[f64]) -> Option<Spread> {
    if values.is_empty() {
        return None;
    }
    let q = |p| quantile(values, p);
    Some(Spread {
        median: q(0.5),
        p10: q(0.1),
        p90: q(0.9),
        min: q(0.0),
        max: q(1.0),
        repetitions: values.len() as u32,
    })
}

/// A validated figure from `values` (one per repetition) over `ops` timed operations, or the
/// error that stopped it. No values, or a value that is not positive, is an error: a primitive
/// always costs something, so zero means the clock did not see it.
pub fn measured(values: Result<Vec<f64>, String>, ops: u64) -> Measured {
    match values {
        Err(message) => Measured::Error { message },
        Ok(v) if v.iter().any(|x| !x.is_finite() || *x <= 0.0) => Measured::Error {
            message: "a repetition measured no time (the clock did not see the operation)".into(),
        },
        Ok(v) => match spread(&v) {
            Some(ns) => Measured::Ok { ns, ops },
            None => Measured::Error {
                message: "nothing was timed".into(),
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spread_has_ordered_quantiles() {
        let v: Vec<f64> = (1..=11).map(f64::from).collect();
        let s = spread(&v).unwrap();
        assert_eq!(
            (s.min, s.p10, s.median, s.p90, s.max),
            (1.0, 2.0, 6.0, 10.0, 11.0)
        );
        assert_eq!(s.repetitions, 11);
        assert!(spread(&[]).is_none());
    }

    #[test]
    fn no_time_or_no_values_is_an_error_not_a_figure() {
        assert!(matches!(measured(Ok(vec![]), 0), Measured::Error { .. }));
        assert!(matches!(
            measured(Ok(vec![3.0, 0.0]), 2),
            Measured::Error { .. }
        ));
        assert!(matches!(
            measured(Err("lost".into()), 0),
            Measured::Error { message } if message == "lost"
        ));
        assert!(matches!(
            measured(Ok(vec![2.0]), 1),
            Measured::Ok { ops: 1, .. }
        ));
    }
}
