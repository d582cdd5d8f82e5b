//! The adaptive A/B loop's scheduling, pure: which case gets the next pair, in which order its
//! two members run, when a case stops, and what it concludes. The sampler is a closure, so tests
//! drive it with made-up throughputs and a fake budget.
//!
//! Rounds: every case still undecided gets pairs up to its next look of the [`StoppingRule`]
//! (10, 20, 40, 80 by default). Within a round, the cases whose projected need
//! ([`projected_need`]) says they will likely decide at their next look go first, taking turns one
//! pair at a time; the long shots follow one after the other, cheapest first, so a budget that runs out mid-round was spent where it decides
//! something. (Which cases get more pairs depends only on when each stops sampling; every case is
//! still judged at the rule's fixed looks, so this cannot raise its error rate.) After the round
//! each case at its look asks the rule: decided cases stop, noisy ones go on to the next look.
//! When the budget is spent, the undecided cases get the rule's final analysis
//! ([`StoppingRule::finish`]).

use contend_reports::compare::{Estimate, Outlook, Step, StoppingRule, Verdict};

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
    /// The head failed validation, deadlocked, crashed, timed out or did no work where the base
    /// ran fine: the case stops, `broken`, and fails the gate.
    Broken(String),
    /// The base could not be measured (or neither side could): the case stops, not comparable.
    NotComparable(String),
    /// Both sides measured, but for a reason that does not depend on which build is which (e.g.
    /// a member was disturbed by steal time or preemption) the pair should be measured again.
    /// After [`MAX_DISCARDS`] drops in a case, such pairs are kept as measured.
    Discard { why: String, base: S, head: S },
    /// Nothing usable was measured, for a reason that is not yet the build's fault (a first
    /// fork that did no work): the pair is measured again and the drop recorded. The sampler
    /// bounds how often it says so.
    Retry(String),
}

/// Pairs a case may drop and measure again; later ones are kept (and counted as kept).
pub const MAX_DISCARDS: usize = 5;

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
    /// The head is broken (see [`PairResult::Broken`]).
    Broken(String),
    /// The base could not be measured; never counted.
    NotComparable(String),
}

impl Outcome {
    pub fn verdict(&self) -> Verdict {
        match self {
            Outcome::Decided { verdict, .. } | Outcome::BudgetSpent { verdict, .. } => *verdict,
            Outcome::Exhausted { .. } => Verdict::Inconclusive,
            Outcome::Broken(_) => Verdict::Broken,
            Outcome::NotComparable(_) => Verdict::NotComparable,
        }
    }

    pub fn estimate(&self) -> Option<&Estimate> {
        match self {
            Outcome::Decided { estimate, .. } | Outcome::Exhausted { estimate } => Some(estimate),
            Outcome::BudgetSpent { estimate, .. } => estimate.as_ref(),
            Outcome::Broken(_) | Outcome::NotComparable(_) => None,
        }
    }
}

/// One case's pairs and how its sampling ended.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseRun<S> {
    /// `(base, head)` in the order measured.
    pub pairs: Vec<(S, S)>,
    pub outcome: Outcome,
    /// Why pairs were dropped and measured again (symmetric reasons only), in order.
    pub dropped: Vec<String>,
    /// Pairs kept although a member was disturbed, because the case had used its drops.
    pub kept_disturbed: usize,
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
        /// Projected pairs this case needs to decide (see [`projected_need`]).
        need: f64,
        dropped: Vec<String>,
        kept_disturbed: usize,
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
            need: first as f64,
            dropped: Vec::new(),
            kept_disturbed: 0,
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
        let upto = sampling
            .iter()
            .map(|&i| match &states[i] {
                State::Sampling { target, .. } => *target,
                State::Done(_) => 0,
            })
            .max()
            .unwrap_or(first);
        event(Event::Round {
            undecided: sampling.len(),
            look: upto,
        });
        // Cases likely to decide at their next look go first (most promising first), the long
        // shots after them: a budget that runs out mid-round is spent where it decides something.
        let need = |i: usize| match &states[i] {
            State::Sampling { need, target, .. } => (*need, *target as f64),
            State::Done(_) => (f64::INFINITY, 0.0),
        };
        let mut order = sampling.clone();
        order.sort_by(|&a, &b| need(a).0.total_cmp(&need(b).0));
        let (likely, long_shots): (Vec<usize>, Vec<usize>) =
            order.into_iter().partition(|&i| need(i).0 <= need(i).1);
        // The likely cases take turns, one pair at a time, until each reached its target; then the
        // long shots, one case after the other, cheapest first.
        // A case asks the rule as soon as it reaches its look, and if undecided waits for the
        // next round (and its new priority) for more.
        let round_target: Vec<usize> = (0..states.len()).map(|i| need(i).1 as usize).collect();
        let tiers = std::iter::once(likely).chain(long_shots.into_iter().map(|i| vec![i]));
        for tier in tiers {
            loop {
                let mut progressed = false;
                for &i in &tier {
                    let State::Sampling { pairs, .. } = &states[i] else {
                        continue;
                    };
                    let (n, target) = (pairs.len(), round_target[i]);
                    if n >= target {
                        continue;
                    }
                    if !budget_left() {
                        out_of_time = true;
                        break 'rounds;
                    }
                    progressed = true;
                    let kept = match sample(i, n, Order::for_pair(n))? {
                        PairResult::Pair { base, head } => Some((base, head)),
                        PairResult::Broken(why) => {
                            finish(&mut states, i, Outcome::Broken(why), &mut event);
                            None
                        }
                        PairResult::NotComparable(why) => {
                            finish(&mut states, i, Outcome::NotComparable(why), &mut event);
                            None
                        }
                        PairResult::Retry(why) => {
                            if let State::Sampling { dropped, .. } = &mut states[i] {
                                dropped.push(why);
                            }
                            None
                        }
                        PairResult::Discard { why, base, head } => match &mut states[i] {
                            State::Sampling { dropped, .. } if dropped.len() < MAX_DISCARDS => {
                                dropped.push(why);
                                None
                            }
                            State::Sampling { kept_disturbed, .. } => {
                                *kept_disturbed += 1;
                                Some((base, head))
                            }
                            State::Done(_) => None,
                        },
                    };
                    if let (Some(pair), State::Sampling { pairs, .. }) = (kept, &mut states[i]) {
                        pairs.push(pair);
                        event(Event::Pair {
                            case: i,
                            pairs: n + 1,
                            target,
                        });
                        if n + 1 >= target {
                            look(rule, thresholds[i], &mut states, i, &mut event);
                        }
                    }
                }
                if !progressed {
                    break;
                }
            }
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

/// Case `i` is at its look: the rule decides it, or sets its next look and projected need.
fn look<S: Throughput>(
    rule: &StoppingRule,
    threshold: f64,
    states: &mut [State<S>],
    i: usize,
    event: &mut dyn FnMut(Event<'_>),
) {
    let State::Sampling {
        pairs,
        target,
        need,
        ..
    } = &mut states[i]
    else {
        return;
    };
    let (base, head) = throughputs(pairs);
    let outcome = match rule.step(&base, &head, threshold) {
        Ok(Step::NeedMore { until }) => {
            *target = until.max(pairs.len() + 1);
            *need = projected_need(rule, &base, &head, threshold);
            return;
        }
        Ok(Step::Decided { verdict, estimate }) => Outcome::Decided { verdict, estimate },
        Ok(Step::Exhausted { estimate }) => Outcome::Exhausted { estimate },
        Err(e) => Outcome::NotComparable(e.to_string()),
    };
    finish(states, i, outcome, event);
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
        dropped: Vec::new(),
        kept_disturbed: 0,
    });
    let State::Sampling {
        pairs,
        dropped,
        kept_disturbed,
        ..
    } = std::mem::replace(&mut states[i], placeholder)
    else {
        unreachable!("only sampling cases finish")
    };
    event(Event::Done {
        case: i,
        pairs: pairs.len(),
        outcome: &outcome,
    });
    states[i] = State::Done(CaseRun {
        pairs,
        outcome,
        dropped,
        kept_disturbed,
    });
}

/// Pairs a case would need to decide if its spread and centre stay as they are now
/// ([`StoppingRule::pairs_to_decide`]): infinite when its centre sits on a threshold, the current
/// count when too few pairs say anything (nothing is known, so nothing is postponed).
pub fn projected_need(rule: &StoppingRule, base: &[f64], head: &[f64], threshold: f64) -> f64 {
    match rule.pairs_to_decide(base, head, threshold) {
        Ok(Outlook::Needs { pairs, .. }) => pairs as f64,
        Ok(Outlook::Never) => f64::INFINITY,
        Ok(Outlook::Unknown) | Err(_) => base.len() as f64,
    }
}

fn throughputs<S: Throughput>(pairs: &[(S, S)]) -> (Vec<f64>, Vec<f64>) {
    pairs
        .iter()
        .map(|(b, h)| (b.throughput(), h.throughput()))
        .unzip()
}

#[cfg(test)]
mod tests;
