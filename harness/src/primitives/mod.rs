//! The `primitives` family: the machine's primitive costs beside the workload numbers, for
//! hardware comparisons. Core-to-core cache-line latency per ordered CPU pair (the heat map),
//! thread spawn + join, wake-up latency, context switch, uncontended atomics and `Instant::now`,
//! each a figure with its method, validated, or an error. Measured once, in the parent process
//! (never in a fork); not part of the default suite. One module per primitive; this one chooses
//! the CPUs and runs the selected ones in order.

pub mod atomics;
pub mod catalog;
pub mod clock;
pub mod core_to_core;
pub mod pairs;
pub mod pinned;
pub mod spawn;
pub mod spread;
pub mod summary;
pub mod switch;
pub mod wake;

use std::time::Instant;

use contend_reports::primitives_schema::{Cost, Measured, Primitives};
use contend_reports::schema::{CpuTopology, Machine};

use crate::error::UsageError;
use catalog::PrimitiveInfo;
use pairs::{Layout, PairsSpec};
use spread::measured;

/// What `--workloads primitives...`, `--pairs` and `--cpus` asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct PrimitivesPlan {
    pub selected: Vec<&'static PrimitiveInfo>,
    /// `--pairs` (None: the default, see [`pairs::choose`]).
    pub pairs: Option<PairsSpec>,
    /// `--cpus` (None: every CPU this process may use).
    pub cpus: Option<Vec<usize>>,
}

impl PrimitivesPlan {
    fn has(&self, name: &str) -> bool {
        self.selected.iter().any(|p| p.name == name)
    }

    /// The CPUs to measure, in topology order (package, core, SMT sibling): `--cpus`, every one
    /// of which must be in `available` (the affinity mask), or every available CPU.
    pub fn cpus(
        &self,
        topology: &[CpuTopology],
        available: &[usize],
    ) -> Result<Vec<usize>, UsageError> {
        let wanted = self.cpus.clone().unwrap_or_else(|| available.to_vec());
        if let Some(bad) = wanted.iter().find(|c| !available.contains(c)) {
            return Err(UsageError::new(format!(
                "--cpus: CPU {bad} is not one this process may use ({})",
                contend_reports::format::cpu_list(available)
            )));
        }
        Ok(crate::topology::cpu_order(
            topology,
            &wanted,
            crate::topology::Placement::SiblingsFirst,
        ))
    }
}

/// The CPU the cross-CPU figures pair with `cpus[0]`: the first on another physical core, else
/// any other CPU (an SMT sibling), else none.
pub fn partner(cpus: &[usize], topology: &[CpuTopology]) -> Option<usize> {
    let core = |cpu: usize| {
        topology
            .iter()
            .find(|t| t.cpu == cpu)
            .map_or((0, cpu), |t| (t.package, t.core))
    };
    let first = *cpus.first()?;
    let others = || cpus.iter().copied().filter(move |&c| c != first);
    others()
        .find(|&c| core(c) != core(first))
        .or_else(|| others().next())
}

/// The result of a cross-CPU figure on a machine (or `--cpus`) with one CPU.
fn needs_two() -> Measured {
    Measured::Skipped {
        reason: "needs two CPUs; this run may use one".into(),
    }
}

/// Measures the selected primitives on `cpus` (in topology order, at least one); `l3` are the
/// L3 groups ([`pairs::read_l3_groups`]); `status` is told what runs now.
pub fn measure(
    plan: &PrimitivesPlan,
    cpus: &[usize],
    topology: &[CpuTopology],
    l3: &[Vec<usize>],
    seed: u64,
    status: &mut dyn FnMut(String),
) -> Primitives {
    let started = Instant::now();
    let first = cpus[0];
    let other = partner(cpus, topology);
    let mut out = Primitives {
        elapsed_ms: 0,
        core_to_core: None,
        costs: Vec::new(),
    };
    if plan.has(catalog::CORE_TO_CORE) {
        let layout = Layout { topology, l3 };
        let chosen = pairs::choose(cpus, &layout, plan.pairs, seed);
        out.core_to_core = Some(core_to_core::measure(cpus, chosen, &mut |done, total| {
            status(format!("primitives: core-to-core pair {done}/{total}"))
        }));
    }
    let mut cost = |name: &str, label: &str, cpus: Vec<usize>, method: &str, result| {
        out.costs.push(Cost {
            name: name.into(),
            label: label.into(),
            cpus,
            method: method.into(),
            result,
        })
    };
    if plan.has(catalog::SPAWN) && !crate::interrupt::requested() {
        status("primitives: thread spawn".into());
        let r = measured(spawn::measure(first), spawn::ROUNDS);
        cost(
            "thread_spawn_join",
            "thread spawn + join",
            vec![first],
            spawn::METHOD,
            r,
        );
    }
    let pairs_of = |same: &'static str, cross: &'static str| {
        [
            (same, Some([first, first])),
            (cross, other.map(|o| [first, o])),
        ]
    };
    if plan.has(catalog::WAKE) && !crate::interrupt::requested() {
        status("primitives: wake-up".into());
        for (name, on) in pairs_of("wake_same_cpu", "wake_cross_cpu") {
            let label = where_label("wake-up (unpark to running)", name);
            match on {
                Some(c) => {
                    let r = measured(wake::measure(c), wake::ROUNDS);
                    cost(name, &label, c.to_vec(), wake::METHOD, r);
                }
                None => cost(name, &label, Vec::new(), wake::METHOD, needs_two()),
            }
        }
    }
    if plan.has(catalog::SWITCH) && !crate::interrupt::requested() {
        status("primitives: context switch".into());
        for (name, on) in pairs_of("switch_same_cpu", "switch_cross_cpu") {
            let label = where_label("context switch (park/unpark hand-off)", name);
            match on {
                Some(c) => {
                    let r = switch::measure(c);
                    let ops = r.as_ref().map_or(0, |(_, rt)| rt * 2);
                    let r = measured(r.map(|(v, _)| v), ops);
                    cost(name, &label, c.to_vec(), switch::METHOD, r);
                }
                None => cost(name, &label, Vec::new(), switch::METHOD, needs_two()),
            }
        }
    }
    if plan.has(catalog::ATOMICS) {
        for (which, (name, label, method)) in atomics::OPERATIONS.iter().enumerate() {
            if crate::interrupt::requested() {
                break;
            }
            status(format!("primitives: {label}"));
            let ops = u64::from(atomics::BATCHES) * atomics::OPS;
            let r = measured(atomics::measure(first, which), ops);
            let method = format!("{method}, {}", atomics::METHOD_TAIL);
            cost(name, label, vec![first], &method, r);
        }
    }
    if plan.has(catalog::CLOCK) && !crate::interrupt::requested() {
        status("primitives: Instant::now".into());
        let ops = u64::from(atomics::BATCHES) * atomics::OPS;
        let r = measured(clock::measure(first), ops);
        cost(
            "instant_now",
            "Instant::now()",
            vec![first],
            clock::METHOD,
            r,
        );
    }
    out.elapsed_ms = started.elapsed().as_millis() as u64;
    out
}

/// The family as `contend run` measures it: on `cpus` (from [`PrimitivesPlan::cpus`]), with the
/// machine's topology and L3 caches, telling `bar` what runs.
pub fn measure_in_run(
    plan: &PrimitivesPlan,
    cpus: &[usize],
    machine: &Machine,
    seed: u64,
    bar: &indicatif::ProgressBar,
) -> Primitives {
    let l3 = pairs::l3_groups(machine);
    measure(plan, cpus, &machine.topology, &l3, seed, &mut |m| {
        bar.set_message(m)
    })
}

/// `what` on one CPU or across two, by the cost's name.
fn where_label(what: &str, name: &str) -> String {
    if name.ends_with("same_cpu") {
        format!("{what}, same CPU")
    } else {
        format!("{what}, cross CPU")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topo(cpu: usize, core: usize) -> CpuTopology {
        CpuTopology {
            cpu,
            package: 0,
            core,
            siblings: vec![cpu],
        }
    }

    #[test]
    fn the_cross_cpu_partner_is_on_another_core_when_there_is_one() {
        // CPUs 0 and 1 are SMT siblings (one core), 2 is another core.
        let t = [topo(0, 0), topo(1, 0), topo(2, 1)];
        assert_eq!(partner(&[0, 1, 2], &t), Some(2));
        assert_eq!(partner(&[0, 1], &t), Some(1), "a sibling when that is all");
        assert_eq!(partner(&[0], &t), None);
    }

    #[test]
    fn cpus_outside_the_affinity_mask_are_refused() {
        let plan = PrimitivesPlan {
            selected: catalog::VARIANTS.iter().collect(),
            pairs: None,
            cpus: Some(vec![0, 5]),
        };
        let t = [topo(0, 0), topo(1, 1)];
        let e = plan.cpus(&t, &[0, 1]).unwrap_err();
        assert!(e.to_string().contains("CPU 5"), "{e}");
        let all = PrimitivesPlan { cpus: None, ..plan };
        assert_eq!(all.cpus(&t, &[1, 0]).unwrap(), vec![0, 1]);
    }
}
