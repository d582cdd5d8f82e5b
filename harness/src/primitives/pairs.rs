//! Which ordered CPU pairs the core-to-core map measures: how two CPUs are related (SMT
//! siblings, same L3, same package, across packages), and `--pairs N`'s sample, stratified by
//! that relation so that the rare near pairs (SMT siblings) are not drowned by the many far ones.

use contend_reports::compare::simulate::SplitMix64;
use contend_reports::primitives_schema::RELATIONS;
use contend_reports::schema::{CpuTopology, Machine};

/// `--pairs`: a number of ordered pairs, or every one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PairsSpec {
    Count(usize),
    All,
}

impl PairsSpec {
    /// How `--pairs` writes it.
    pub fn text(self) -> String {
        match self {
            PairsSpec::Count(n) => n.to_string(),
            PairsSpec::All => "all".into(),
        }
    }
}

/// Parses `--pairs`: `all` or a positive count.
pub fn parse_pairs(s: &str) -> Result<PairsSpec, String> {
    match s.trim() {
        "all" => Ok(PairsSpec::All),
        t => match t.parse::<usize>() {
            Ok(n) if n > 0 => Ok(PairsSpec::Count(n)),
            _ => Err(format!(
                "{s:?}: the number of CPU pairs to measure is at least 1, or `all`"
            )),
        },
    }
}

/// Up to this many CPUs the default is the full map: 240 ordered pairs, ~5 s at most (both
/// methods, ~10 ms a pair).
pub const FULL_MAP_MAX_CPUS: usize = 16;

/// On more CPUs the default samples this many pairs: the full map's count at 16 CPUs, so the
/// default costs the same on every machine, where the full map grows as n^2 (65 280 pairs, ~11
/// min at 256 CPUs).
pub const DEFAULT_SAMPLE: usize = 240;

/// What decides how two CPUs relate: their topology and the L3 caches they share.
pub struct Layout<'a> {
    pub topology: &'a [CpuTopology],
    /// CPUs sharing one L3, one list per L3 (empty when sysfs does not say).
    pub l3: &'a [Vec<usize>],
}

impl Layout<'_> {
    /// How `a` and `b` (distinct) relate: one of [`RELATIONS`]. A CPU missing from the
    /// topology is its own core in package 0, as in the placement.
    pub fn relation(&self, a: usize, b: usize) -> &'static str {
        let find = |cpu: usize| self.topology.iter().find(|t| t.cpu == cpu);
        let (pa, ca, sib) = find(a).map_or((0, a, false), |t| {
            (t.package, t.core, t.siblings.contains(&b))
        });
        let (pb, cb) = find(b).map_or((0, b), |t| (t.package, t.core));
        if sib || (pa, ca) == (pb, cb) {
            RELATIONS[0]
        } else if self.l3.iter().any(|g| g.contains(&a) && g.contains(&b)) {
            RELATIONS[1]
        } else if pa == pb {
            RELATIONS[2]
        } else {
            RELATIONS[3]
        }
    }
}

/// The L3 groups of `machine`: the CPU sets sharing each level-3 cache instance, from the
/// machine description's caches (empty when sysfs did not say).
pub fn l3_groups(machine: &Machine) -> Vec<Vec<usize>> {
    machine
        .details
        .caches
        .iter()
        .filter(|c| c.level == 3)
        .flat_map(|c| c.shared_cpus.iter().cloned())
        .collect()
}

/// The pairs to measure, and how they were chosen.
#[derive(Debug, Clone, PartialEq)]
pub struct Chosen {
    /// (initiator, responder, relation), row by row in the map's CPU order.
    pub pairs: Vec<(usize, usize, &'static str)>,
    /// Ordered pairs of distinct CPUs: n (n - 1).
    pub possible: u64,
    /// Every pair, or the sample and its strata, in words.
    pub selection: String,
}

/// Chooses the ordered pairs of distinct CPUs of `order` (the map's order) to measure: every
/// pair when `spec` asks for all or at least as many as there are (the default up to
/// [`FULL_MAP_MAX_CPUS`]), else a sample of that many ([`DEFAULT_SAMPLE`] by default) shared
/// equally among the relations present, a relation with fewer pairs than its share giving all
/// of them and the rest going to the others; within a relation, a seeded random choice.
pub fn choose(order: &[usize], layout: &Layout<'_>, spec: Option<PairsSpec>, seed: u64) -> Chosen {
    let n = order.len();
    let all: Vec<(usize, usize, &'static str)> = order
        .iter()
        .flat_map(|&a| order.iter().filter(move |&&b| b != a).map(move |&b| (a, b)))
        .map(|(a, b)| (a, b, layout.relation(a, b)))
        .collect();
    let possible = all.len() as u64;
    let want = match spec {
        Some(PairsSpec::All) => all.len(),
        Some(PairsSpec::Count(k)) => k,
        None if n <= FULL_MAP_MAX_CPUS => all.len(),
        None => DEFAULT_SAMPLE,
    };
    if want >= all.len() {
        let selection = match n {
            0 | 1 => format!("no pair: {n} CPU"),
            _ => format!("every ordered pair of the {n} CPUs ({possible})"),
        };
        return Chosen {
            pairs: all,
            possible,
            selection,
        };
    }
    let strata: Vec<Vec<(usize, usize, &'static str)>> = RELATIONS
        .iter()
        .map(|r| all.iter().copied().filter(|p| p.2 == *r).collect())
        .collect();
    let sizes: Vec<usize> = strata.iter().map(Vec::len).collect();
    let quota = quotas(&sizes, want);
    let mut pairs = Vec::with_capacity(want);
    let mut parts = Vec::new();
    for (i, (mut stratum, take)) in strata.into_iter().zip(&quota).enumerate() {
        if stratum.is_empty() {
            continue;
        }
        let mut rng = SplitMix64::new(seed ^ 0x9a12_5eed ^ (i as u64).wrapping_mul(0x1000_0001));
        for k in (1..stratum.len()).rev() {
            let j = (rng.next_u64() % (k as u64 + 1)) as usize;
            stratum.swap(k, j);
        }
        parts.push(format!("{} {take} of {}", RELATIONS[i], sizes[i]));
        pairs.extend(stratum.into_iter().take(*take));
    }
    let at = |cpu: usize| order.iter().position(|&c| c == cpu);
    pairs.sort_by_key(|p| (at(p.0), at(p.1)));
    Chosen {
        selection: format!(
            "a sample of {} of the {possible} ordered pairs of {n} CPUs, stratified by relation \
             ({}), seed {seed}",
            pairs.len(),
            parts.join(", ")
        ),
        pairs,
        possible,
    }
}

/// Shares `want` among strata of `sizes`: equal shares, capped by each stratum's size, the
/// remainder shared again among the strata that have pairs left (earlier strata first).
pub fn quotas(sizes: &[usize], want: usize) -> Vec<usize> {
    let mut q = vec![0; sizes.len()];
    let mut left = want.min(sizes.iter().sum());
    while left > 0 {
        let open: Vec<usize> = (0..sizes.len()).filter(|&i| q[i] < sizes[i]).collect();
        let share = (left / open.len()).max(1);
        for i in open {
            let take = share.min(sizes[i] - q[i]).min(left);
            q[i] += take;
            left -= take;
        }
    }
    q
}

#[cfg(test)]
#[path = "pairs_tests.rs"]
mod tests;
