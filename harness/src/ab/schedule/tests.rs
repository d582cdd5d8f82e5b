//! The A/B loop's scheduling on made-up throughputs: looks, order, budget, broken heads, drops.

use super::*;
use contend_reports::compare::simulate::SplitMix64;

/// A fake sampler: case `i` has head/base ratio `ratios[i]` and lognormal noise `cvs[i]`.
fn fake(
    ratios: Vec<f64>,
    cvs: Vec<f64>,
    log: &mut Vec<(usize, usize, Order)>,
) -> impl FnMut(usize, usize, Order) -> Result<PairResult<f64>, String> + '_ {
    let mut rng = SplitMix64::new(42);
    move |case, pair, order| {
        log.push((case, pair, order));
        let cv = cvs[case];
        Ok(PairResult::Pair {
            base: rng.lognormal(1e6, cv),
            head: rng.lognormal(1e6 * ratios[case], cv),
        })
    }
}

#[test]
fn quiet_cases_stop_at_the_first_look_and_noisy_ones_get_more_pairs() {
    let mut log = Vec::new();
    let runs = run(
        &StoppingRule::default(),
        &[0.05, 0.05, 0.05],
        fake(vec![1.0, 0.8, 1.0], vec![0.005, 0.005, 0.08], &mut log),
        || true,
        |_| {},
    )
    .unwrap();
    assert_eq!(runs[0].pairs.len(), 10);
    assert_eq!(runs[0].outcome.verdict(), Verdict::Unchanged);
    assert_eq!(runs[1].pairs.len(), 10);
    assert_eq!(runs[1].outcome.verdict(), Verdict::Regressed);
    assert!(runs[2].pairs.len() > 10, "{}", runs[2].pairs.len());
    assert!([20, 40, 80].contains(&runs[2].pairs.len()));
    assert_eq!(log.len(), runs.iter().map(|r| r.pairs.len()).sum::<usize>());
}

#[test]
fn pairs_alternate_their_order_and_cases_take_turns() {
    let mut log = Vec::new();
    run(
        &StoppingRule::default(),
        &[0.05, 0.05],
        fake(vec![1.0, 1.0], vec![0.005, 0.005], &mut log),
        || true,
        |_| {},
    )
    .unwrap();
    assert_eq!(
        &log[..4],
        &[
            (0, 0, Order::BaseFirst),
            (1, 0, Order::BaseFirst),
            (0, 1, Order::HeadFirst),
            (1, 1, Order::HeadFirst)
        ]
    );
}

#[test]
fn a_spent_budget_stops_every_case_with_the_final_analysis() {
    let mut log = Vec::new();
    let mut left = 25;
    let runs = run(
        &StoppingRule::default(),
        &[0.05, 0.05],
        fake(vec![1.0, 1.0], vec![0.3, 0.3], &mut log),
        || {
            left -= 1;
            left >= 0
        },
        |_| {},
    )
    .unwrap();
    assert_eq!(log.len(), 25);
    for r in &runs {
        assert!(matches!(r.outcome, Outcome::BudgetSpent { .. }));
        assert_eq!(r.outcome.verdict(), Verdict::Inconclusive);
        assert!(r.outcome.estimate().unwrap().mdc > 0.05);
    }
    assert_eq!(runs[0].pairs.len() + runs[1].pairs.len(), 25);
}

#[test]
fn no_budget_at_all_is_inconclusive_without_an_estimate() {
    let mut log = Vec::new();
    let runs = run(
        &StoppingRule::default(),
        &[0.05],
        fake(vec![1.0], vec![0.01], &mut log),
        || false,
        |_| {},
    )
    .unwrap();
    assert!(log.is_empty());
    assert_eq!(
        runs[0].outcome,
        Outcome::BudgetSpent {
            verdict: Verdict::Inconclusive,
            estimate: None
        }
    );
}

#[test]
fn a_case_that_cannot_be_compared_stops_and_the_others_go_on() {
    let mut calls = 0;
    let runs = run(
        &StoppingRule::default(),
        &[0.05, 0.05],
        |case, _, _| {
            calls += 1;
            Ok::<_, String>(if case == 0 && calls > 3 {
                PairResult::NotComparable("base: failed validation".into())
            } else {
                PairResult::Pair {
                    base: 100.0,
                    head: 100.0 + calls as f64 * 1e-3,
                }
            })
        },
        || true,
        |_| {},
    )
    .unwrap();
    assert_eq!(
        runs[0].outcome,
        Outcome::NotComparable("base: failed validation".into())
    );
    assert_eq!(runs[1].pairs.len(), 10);
}

#[test]
fn disturbed_pairs_are_measured_again_as_pairs_then_kept() {
    let mut calls = 0;
    let runs = run(
        &StoppingRule::default(),
        &[0.05, 0.05],
        |case, _, _| {
            calls += 1;
            Ok::<_, String>(match (case, calls) {
                (0, 1) => PairResult::Discard {
                    why: "head: disturbed (steal)".into(),
                    base: 100.0,
                    head: 50.0,
                },
                (1, _) => PairResult::Discard {
                    why: "base: disturbed (preempted)".into(),
                    base: 100.0,
                    head: 100.0,
                },
                _ => PairResult::Pair {
                    base: 100.0,
                    head: 100.0,
                },
            })
        },
        || true,
        |_| {},
    )
    .unwrap();
    assert_eq!(runs[0].pairs.len(), 10);
    assert_eq!(runs[0].dropped, ["head: disturbed (steal)"]);
    assert!(
        runs[0].pairs.iter().all(|&(b, h)| b == h),
        "the dropped pair is not in the data"
    );
    assert_eq!(runs[0].outcome.verdict(), Verdict::Unchanged);
    assert_eq!(runs[1].dropped.len(), MAX_DISCARDS);
    assert_eq!(
        runs[1].kept_disturbed, 10,
        "after its drops a case keeps what it measures"
    );
    assert_eq!(runs[1].pairs.len(), 10);
}

#[test]
fn a_broken_head_stops_its_case_as_broken() {
    let runs = run(
        &StoppingRule::default(),
        &[0.05, 0.05],
        |case, pair, _| {
            Ok::<_, String>(match (case, pair) {
                (0, 3) => PairResult::Broken("head: failed validation: count is 41".into()),
                _ => PairResult::Pair {
                    base: 100.0,
                    head: 100.0,
                },
            })
        },
        || true,
        |_| {},
    )
    .unwrap();
    assert_eq!(runs[0].outcome.verdict(), Verdict::Broken);
    assert_eq!(
        runs[0].outcome,
        Outcome::Broken("head: failed validation: count is 41".into())
    );
    assert_eq!(runs[0].pairs.len(), 3);
    assert_eq!(runs[1].outcome.verdict(), Verdict::Unchanged);
}

#[test]
fn a_sampler_error_aborts_the_run() {
    let r = run(
        &StoppingRule::default(),
        &[0.05],
        |_, _, _| Err::<PairResult<f64>, _>("base does not run"),
        || true,
        |_| {},
    );
    assert_eq!(r.unwrap_err(), "base does not run");
}

#[test]
fn undecided_cases_end_inconclusive_at_the_last_look() {
    let mut log = Vec::new();
    let runs = run(
        &StoppingRule::default(),
        &[0.05],
        fake(vec![1.0], vec![0.4], &mut log),
        || true,
        |_| {},
    )
    .unwrap();
    assert_eq!(runs[0].pairs.len(), 80);
    assert!(matches!(runs[0].outcome, Outcome::Exhausted { .. }));
}

#[test]
fn projected_need_follows_the_margin_to_the_nearest_decision() {
    let rule = StoppingRule::default();
    let mut rng = SplitMix64::new(9);
    let pairs = |rng: &mut SplitMix64, ratio: f64, cv: f64| {
        let base: Vec<f64> = (0..20).map(|_| rng.lognormal(1e6, cv)).collect();
        let head: Vec<f64> = base
            .iter()
            .map(|b| b * ratio * rng.lognormal(1.0, cv))
            .collect();
        (base, head)
    };
    let (b, h) = pairs(&mut rng, 1.0, 0.02);
    let quiet = projected_need(&rule, &b, &h, 0.05);
    let (b, h) = pairs(&mut rng, 1.0, 0.08);
    let noisy = projected_need(&rule, &b, &h, 0.05);
    assert!(
        quiet <= 20.0,
        "a quiet A/A decides at the current look: {quiet}"
    );
    assert!(noisy > quiet, "noise needs more pairs: {noisy} vs {quiet}");
    let (b, h) = pairs(&mut rng, 0.95, 0.01);
    let on_threshold = projected_need(&rule, &b, &h, 0.05);
    assert!(
        on_threshold <= 20.0,
        "a quiet change at the threshold regresses at the current look: {on_threshold}"
    );
    // About -3%, where "regressed" (interval below -1%) and "unchanged" (above -5%) both have
    // the least room, needs more pairs than -10% with the same noise.
    let (b, h) = pairs(&mut rng, 0.97, 0.06);
    let hardest = projected_need(&rule, &b, &h, 0.05);
    let (b, h) = pairs(&mut rng, 0.90, 0.06);
    let clear = projected_need(&rule, &b, &h, 0.05);
    assert!(hardest > clear, "{hardest} vs {clear}");
    assert_eq!(
        projected_need(&rule, &b[..2], &h[..2], 0.05),
        2.0,
        "no interval yet"
    );
}

#[test]
fn promising_cases_are_sampled_before_long_shots() {
    // Case 0 is hopeless at 5% (cv 30%); case 1 needs a second look but will likely decide there.
    let mut log = Vec::new();
    let runs = run(
        &StoppingRule::default(),
        &[0.05, 0.05],
        fake(vec![1.0, 1.0], vec![0.30, 0.05], &mut log),
        || true,
        |_| {},
    )
    .unwrap();
    assert!(
        runs[1].pairs.len() > 10,
        "case 1 needed a second look: {runs:?}"
    );
    let second_round: Vec<usize> = log[20..].iter().map(|&(case, _, _)| case).collect();
    let first_long_shot = second_round.iter().position(|&c| c == 0).unwrap();
    assert!(
        second_round[..first_long_shot].iter().all(|&c| c == 1) && first_long_shot >= 10,
        "the promising case's pairs come first: {second_round:?}"
    );
}
