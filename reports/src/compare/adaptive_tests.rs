//! Unit tests of the stopping rule (its end-to-end error rates are measured in `coverage`).

use super::*;
use crate::compare::simulate::SplitMix64;

#[test]
fn schedule_doubles_and_spends_what_bonferroni_leaves_at_the_last_look() {
    let rule = StoppingRule::default();
    assert_eq!(rule.looks(), vec![10, 20, 40, 80]);
    let c = rule.look_confidences();
    assert_eq!(c.len(), 4);
    assert!(c[..3].iter().all(|&c| (c - 0.9975).abs() < 1e-12), "{c:?}");
    // Cut 28 of 80: 1 - 2 P(Binomial(80, 1/2) <= 27) = 0.99513.
    assert!((c[3] - 0.995132).abs() < 1e-5, "{c:?}");
    assert_eq!(rule.per_look_confidence(), c[3]);
    let old = StoppingRule {
        spending: Spending::Bonferroni,
        ..rule
    };
    assert!((old.per_look_confidence() - 0.9975).abs() < 1e-12);
    let odd = StoppingRule {
        first_look: 5,
        max_pairs: 30,
        ..rule
    };
    // 5 pairs cannot give a 99.75% sign interval (nor 9 one at 99.67%): the first look moves
    // to the first count that can.
    assert_eq!(odd.looks(), vec![10, 20, 30]);
}

#[test]
fn the_change_route_looks_from_where_the_familys_error_allows_an_interval() {
    let one = StoppingRule::default();
    assert_eq!(one.change_looks(), one.looks());
    let suite = StoppingRule { family: 34, ..one };
    // 1% / 34 over 4 looks is 0.0074% per look: 15 pairs are the fewest whose [min, max]
    // interval reaches it (2 / 2^15 = 0.0061%).
    assert_eq!(suite.change_looks(), vec![15, 30, 60, 80]);
    assert_eq!(suite.looks(), vec![10, 20, 40, 80]);
    // At 10 pairs only `unchanged` may decide; a clear slowdown waits for the change look.
    let base = vec![100.0; 10];
    let slow: Vec<f64> = (0..10).map(|i| 80.0 + f64::from(i) * 0.01).collect();
    assert_eq!(
        suite.step(&base, &slow, 0.05).unwrap(),
        Step::NeedMore { until: 15 }
    );
    let base = vec![100.0; 15];
    let slow: Vec<f64> = (0..15).map(|i| 80.0 + f64::from(i) * 0.01).collect();
    assert!(matches!(
        suite.step(&base, &slow, 0.05).unwrap(),
        Step::Decided {
            verdict: Verdict::Regressed,
            ..
        }
    ));
}

#[test]
fn between_looks_it_asks_for_the_next_look() {
    let rule = StoppingRule::default();
    let v = vec![1.0; 7];
    assert_eq!(
        rule.step(&v, &v, 0.05).unwrap(),
        Step::NeedMore { until: 10 }
    );
    let v = vec![1.0; 13];
    assert_eq!(
        rule.step(&v, &v, 0.05).unwrap(),
        Step::NeedMore { until: 20 }
    );
    assert!(rule.step(&v, &v[1..], 0.05).is_err());
}

/// Pairs whose log ratios are `centre + spread * normal`.
fn pairs(seed: u64, n: usize, centre: f64, spread: f64) -> (Vec<f64>, Vec<f64>) {
    let mut rng = SplitMix64::new(seed);
    (0..n)
        .map(|_| (1e6, 1e6 * (centre + spread * rng.normal()).exp()))
        .unzip()
}

#[test]
fn the_last_look_is_narrower_than_bonferroni_and_a_budget_cut_spends_the_rest() {
    let rule = StoppingRule::default();
    let old = StoppingRule {
        spending: Spending::Bonferroni,
        ..rule
    };
    let (b, h) = pairs(1, 80, 0.0, 0.05);
    let (Step::Decided { estimate: new, .. } | Step::Exhausted { estimate: new }) =
        rule.step(&b, &h, 0.05).unwrap()
    else {
        panic!("the last look decides or is exhausted")
    };
    let (Step::Decided { estimate: was, .. } | Step::Exhausted { estimate: was }) =
        old.step(&b, &h, 0.05).unwrap()
    else {
        panic!("the last look decides or is exhausted")
    };
    assert!(new.mdc < was.mdc, "{new:?} vs {was:?}");
    // Stopped by the budget at 30 pairs: after looks at 10 and 20, the rest of the 1% is spent
    // at 30 (more than a 99.75% interval would use).
    let (b, h) = pairs(2, 30, 0.0, 0.05);
    let (_, e) = rule.finish(&b, &h, 0.05).unwrap();
    assert!(e.confidence < 0.9975 && e.confidence >= 0.99, "{e:?}");
    let (_, e) = old.finish(&b, &h, 0.05).unwrap();
    assert!((e.confidence - 0.9975).abs() < 1e-12);
    // Stopped before any interval is possible: says so, at the overall confidence.
    let (b, h) = pairs(2, 5, 0.0, 0.05);
    let (verdict, e) = rule.finish(&b, &h, 0.05).unwrap();
    assert_eq!(
        (verdict, e.judge(0.05).1.unwrap()),
        (
            Verdict::Inconclusive,
            "too few pairs for a 99% interval (at least 8)".to_string()
        )
    );
}

#[test]
fn quiet_cases_decide_at_the_first_look_and_clear_regressions_too() {
    let rule = StoppingRule::default();
    let (b, h) = pairs(3, 10, 0.0, 0.01);
    assert!(matches!(
        rule.step(&b, &h, 0.05).unwrap(),
        Step::Decided {
            verdict: Verdict::Unchanged,
            ..
        }
    ));
    // A 50% slowdown on a noisy case: every pair below -5%, so the first look's [min, max]
    // interval lies wholly below the threshold, however wide: regressed.
    let (b, h) = pairs(4, 10, (0.5f64).ln(), 0.15);
    match rule.step(&b, &h, 0.05).unwrap() {
        Step::Decided {
            verdict: Verdict::Regressed,
            estimate,
        } => assert!(estimate.mdc > 0.05, "{estimate:?}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn pairs_to_decide_grows_with_noise_and_closeness_to_the_threshold() {
    let rule = StoppingRule::default();
    // Ten pairs whose log ratios sit symmetrically about `centre`: median `centre`, spread
    // (1.4826 x MAD) `spread`, so the outlook depends on nothing random.
    let needs = |centre: f64, spread: f64| {
        let z = [-1.6, -1.0, -0.674, -0.4, -0.15, 0.15, 0.4, 0.674, 1.0, 1.6];
        let scale = spread / (1.4826 * 0.537);
        let head: Vec<f64> = z.iter().map(|z| (centre + scale * z).exp()).collect();
        match rule.pairs_to_decide(&[1.0; 10], &head, 0.05).unwrap() {
            Outlook::Needs { pairs, more } => {
                assert_eq!(pairs, more + 10);
                pairs
            }
            other => panic!("{other:?}"),
        }
    };
    // Quiet and unchanged: decidable now (10); noisier: more; at -2.5% (half the threshold,
    // where "unchanged" and "regressed" both have the least room): more again.
    assert_eq!(needs(0.0, 0.005), 10);
    let noisy = needs(0.0, 0.04);
    assert!([20, 40, 80].contains(&noisy), "a look of the rule: {noisy}");
    let near = needs((0.975f64).ln(), 0.04);
    assert!(near > noisy, "{near} vs {noisy}");
    // -10% with the same noise: "regressed" has four times the room.
    assert!(needs((0.9f64).ln(), 0.04) < near);
    // A 30% slowdown with 10% noise: already beyond the threshold by far.
    assert!(needs((0.7f64).ln(), 0.10) < 40);
    let v = [1.0, 1.0];
    assert_eq!(
        rule.pairs_to_decide(&v, &v, 0.05).unwrap(),
        Outlook::Unknown
    );
    // Every ratio exactly at -5%: regressed now. With no threshold at all, nothing decides it.
    let (b, h) = (vec![1.0; 10], vec![0.95; 10]);
    assert!(matches!(
        rule.pairs_to_decide(&b, &h, 0.05).unwrap(),
        Outlook::Needs { pairs: 10, .. }
    ));
    assert_eq!(rule.pairs_to_decide(&b, &b, 0.0).unwrap(), Outlook::Never);
    assert!(rule.pairs_to_decide(&b, &h[1..], 0.05).is_err());
}
