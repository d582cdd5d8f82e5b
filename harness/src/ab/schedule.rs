//! The adaptive A/B loop's scheduling, pure: which case gets the next pair, in which order its
//! two members run, when a case stops, and what it concludes. The sampler is a closure, so tests
//! drive it with made-up throughputs and a fake budget.
//!
//! Rounds: every case still undecided gets pairs up to its next look of the [`StoppingRule`]
//! (10, 20, 40, 80 by default), round-robin one pair at a time, so a budget that runs out
//! mid-round leaves the cases with similar pair counts. After the round each case at its look
//! asks the rule: decided cases stop, noisy ones go on to the next look. When the budget is spent,
//! the cases still undecided get the rule's final analysis ([`StoppingRule::finish`]).

use contend_reports::compare::{Estimate, Step, StoppingRule, Verdict};

/// Something with a throughput (units/s): one measured sample of one side.
pub trait Throughput {
    fn throughput(&self) -> f64;
}

impl Throughput for f64 {
    fn throughput(&self) -> f64 {
        *self
    }
}

/// Which member of a pair runs first. Alternating cancels order effects (cache, frequency).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    BaseFirst,
    HeadFirst,
}

impl Order {
    /// Pair `index` (0-based) of a case: even pairs run base first, odd pairs head first.
    pub fn for_pair(index: usize) -> Order {
        if index.is_multiple_of(2) {
            Order::BaseFirst
        } else {
            Order::HeadFirst
        }
    }
}

/// What the sampler got for one pair.
#[derive(Debug, Clone, PartialEq)]
pub enum PairResult<S> {
    /// Both sides measured and validated.
    Pair { base: S, head: S },
    /// A side failed validation, timed out or crashed: the case stops and is not comparable.
    NotComparable(String),
    /// A side's sample is unusable but not wrong (e.g. no work in the window): the pair is
    /// dropped and measured again, up to [`MAX_DISCARDS`] times per case.
    Discard(String),
}

/// Dropped pairs a case may have before it is not comparable.
pub const MAX_DISCARDS: usize = 3;

/// How a case's sampling ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A look's interval decided (regressed, improved or unchanged).
    Decided {
        verdict: Verdict,
        estimate: Estimate,
    },
    /// The last look did not decide: inconclusive.
    Exhausted { estimate: Estimate },
    /// The time budget ran out first: the final analysis of the pairs so far (`None` when
    /// there were too few pairs to analyse).
    BudgetSpent {
        verdict: Verdict,
        estimate: Option<Estimate>,
    },
    /// A side could not be trusted; never counted.
    NotComparable(String),
}

impl Outcome {
    pub fn verdict(&self) -> Verdict {
        match self {
            Outcome::Decided { verdict, .. } | Outcome::BudgetSpent { verdict, .. } => *verdict,
            Outcome::Exhausted { .. } => Verdict::Inconclusive,
            Outcome::NotComparable(_) => Verdict::NotComparable,
        }
    }

    pub fn estimate(&self) -> Option<&Estimate> {
        match self {
            Outcome::Decided { estimate, .. } | Outcome::Exhausted { estimate } => Some(estimate),
            Outcome::BudgetSpent { estimate, .. } => estimate.as_ref(),
            Outcome::NotComparable(_) => None,
        }
    }
}

/// One case's pairs and how its sampling ended.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseRun<S> {
    /// `(base, head)` in the order measured.
    pub pairs: Vec<(S, S)>,
    pub outcome: Outcome,
}

/// What happened, for progress output.
#[derive(Debug, Clone, PartialEq)]
pub enum Event<'a> {
    /// A round begins: `undecided` cases, the largest look it samples up to.
    Round { undecided: usize, look: usize },
    /// Case `case` now has `pairs` pairs (of `target` this round).
    Pair {
        case: usize,
        pairs: usize,
        target: usize,
    },
    /// Case `case` stopped with `outcome` after `pairs` pairs.
    Done {
        case: usize,
        pairs: usize,
        outcome: &'a Outcome,
    },
}

enum State<S> {
    Sampling {
        pairs: Vec<(S, S)>,
        target: usize,
        discards: Vec<String>,
    },
    Done(CaseRun<S>),
}

/// Runs the adaptive loop over cases with `thresholds[i]` (fractions).
///
/// `sample(case, pair_index, order)` measures one pair; an `Err` aborts the whole run (bad
/// input, e.g. a base binary that does not run). `budget_left()` is asked before every pair.
pub fn run<S, E>(
    rule: &StoppingRule,
    thresholds: &[f64],
    mut sample: impl FnMut(usize, usize, Order) -> Result<PairResult<S>, E>,
    mut budget_left: impl FnMut() -> bool,
    mut event: impl FnMut(Event<'_>),
) -> Result<Vec<CaseRun<S>>, E>
where
    S: Throughput,
{
    let first = rule.looks()[0];
    let mut states: Vec<State<S>> = thresholds
        .iter()
        .map(|_| State::Sampling {
            pairs: Vec::new(),
            target: first,
            discards: Vec::new(),
        })
        .collect();
    let mut out_of_time = false;
    'rounds: loop {
        let sampling: Vec<usize> = (0..states.len())
            .filter(|&i| matches!(states[i], State::Sampling { .. }))
            .collect();
        if sampling.is_empty() {
            break;
        }
        let look = sampling
            .iter()
            .map(|&i| match &states[i] {
                State::Sampling { target, .. } => *target,
                State::Done(_) => 0,
            })
            .max()
            .unwrap_or(first);
        event(Event::Round {
            undecided: sampling.len(),
            look,
        });
        // Round-robin, one pair at a time, until every case in the round reached its target.
        loop {
            let mut progressed = false;
            for &i in &sampling {
                let State::Sampling { pairs, target, .. } = &states[i] else {
                    continue;
                };
                let (n, target) = (pairs.len(), *target);
                if n >= target {
                    continue;
                }
                if !budget_left() {
                    out_of_time = true;
                    break 'rounds;
                }
                progressed = true;
                match sample(i, n, Order::for_pair(n))? {
                    PairResult::Pair { base, head } => {
                        if let State::Sampling { pairs, .. } = &mut states[i] {
                            pairs.push((base, head));
                        }
                        event(Event::Pair {
                            case: i,
                            pairs: n + 1,
                            target,
                        });
                    }
                    PairResult::NotComparable(why) => {
                        finish(&mut states, i, Outcome::NotComparable(why), &mut event);
                    }
                    PairResult::Discard(why) => {
                        let State::Sampling { discards, .. } = &mut states[i] else {
                            continue;
                        };
                        discards.push(why);
                        if discards.len() > MAX_DISCARDS {
                            let why = format!(
                                "{} unusable samples: {}",
                                discards.len(),
                                discards.join("; ")
                            );
                            finish(&mut states, i, Outcome::NotComparable(why), &mut event);
                        }
                    }
                }
            }
            if !progressed {
                break;
            }
        }
        // Each case at its look asks the rule.
        for &i in &sampling {
            let State::Sampling { pairs, target, .. } = &mut states[i] else {
                continue;
            };
            let (base, head) = throughputs(pairs);
            let outcome = match rule.step(&base, &head, thresholds[i]) {
                Ok(Step::NeedMore { until }) => {
                    *target = until.max(pairs.len() + 1);
                    continue;
                }
                Ok(Step::Decided { verdict, estimate }) => Outcome::Decided { verdict, estimate },
                Ok(Step::Exhausted { estimate }) => Outcome::Exhausted { estimate },
                Err(e) => Outcome::NotComparable(e.to_string()),
            };
            finish(&mut states, i, outcome, &mut event);
        }
    }
    if out_of_time {
        for i in 0..states.len() {
            let State::Sampling { pairs, .. } = &states[i] else {
                continue;
            };
            let (base, head) = throughputs(pairs);
            let outcome = match rule.finish(&base, &head, thresholds[i]) {
                Ok((verdict, estimate)) => Outcome::BudgetSpent {
                    verdict,
                    estimate: Some(estimate),
                },
                Err(_) => Outcome::BudgetSpent {
                    verdict: Verdict::Inconclusive,
                    estimate: None,
                },
            };
            finish(&mut states, i, outcome, &mut event);
        }
    }
    Ok(states
        .into_iter()
        .map(|s| match s {
            State::Done(run) => run,
            State::Sampling { .. } => unreachable!("every case finishes"),
        })
        .collect())
}

/// Moves case `i` from sampling to done with `outcome`, and says so.
fn finish<S>(
    states: &mut [State<S>],
    i: usize,
    outcome: Outcome,
    event: &mut dyn FnMut(Event<'_>),
) {
    let placeholder = State::Done(CaseRun {
        pairs: Vec::new(),
        outcome: Outcome::NotComparable(String::new()),
    });
    let State::Sampling { pairs, .. } = std::mem::replace(&mut states[i], placeholder) else {
        unreachable!("only sampling cases finish")
    };
    event(Event::Done {
        case: i,
        pairs: pairs.len(),
        outcome: &outcome,
    });
    states[i] = State::Done(CaseRun { pairs, outcome });
}

fn throughputs<S: Throughput>(pairs: &[(S, S)]) -> (Vec<f64>, Vec<f64>) {
    pairs
        .iter()
        .map(|(b, h)| (b.throughput(), h.throughput()))
        .unzip()
}

#[cfg(test)]
mod tests {
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
    fn unusable_pairs_are_measured_again_a_few_times() {
        let mut calls = 0;
        let runs = run(
            &StoppingRule::default(),
            &[0.05, 0.05],
            |case, _, _| {
                calls += 1;
                Ok::<_, String>(match (case, calls) {
                    (0, 1) => PairResult::Discard("head: no work in the window".into()),
                    (1, _) => PairResult::Discard("base: no work in the window".into()),
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
        assert_eq!(runs[0].outcome.verdict(), Verdict::Unchanged);
        assert!(runs[1].pairs.is_empty());
        assert!(
            matches!(&runs[1].outcome, Outcome::NotComparable(why) if why.starts_with("4 unusable"))
        );
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
}
