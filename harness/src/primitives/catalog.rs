//! The `primitives` family's variants, and how `--workloads` names select them: the family is
//! not a workload (it has no threads sweep, no throughput), so it lives beside the catalog.

/// The family's name on the command line.
pub const FAMILY: &str = "primitives";

/// One primitive the family can measure.
#[derive(Debug, PartialEq, Eq)]
pub struct PrimitiveInfo {
    /// `primitives/<name>`.
    pub name: &'static str,
    /// One line saying what it measures.
    pub about: &'static str,
}

pub const CORE_TO_CORE: &str = "primitives/core-to-core";
pub const SPAWN: &str = "primitives/spawn";
pub const WAKE: &str = "primitives/wake";
pub const SWITCH: &str = "primitives/switch";
pub const ATOMICS: &str = "primitives/atomics";
pub const CLOCK: &str = "primitives/clock";

/// Every primitive, in measuring order.
pub const VARIANTS: &[PrimitiveInfo] = &[
    PrimitiveInfo {
        name: CORE_TO_CORE,
        about: "one-way cache-line latency for every ordered pair of CPUs (or a stratified \
                sample, --pairs): store/load and CAS ping-pong, the heat map",
    },
    PrimitiveInfo {
        name: SPAWN,
        about: "std::thread::spawn + join of an empty thread",
    },
    PrimitiveInfo {
        name: WAKE,
        about: "wake-up latency: one thread unparks a parked one, which notes when it runs; \
                same CPU and cross CPU",
    },
    PrimitiveInfo {
        name: SWITCH,
        about: "context switch: two threads hand a token back and forth with park/unpark, on one \
                CPU and on two",
    },
    PrimitiveInfo {
        name: ATOMICS,
        about: "uncontended atomic load, store, compare_exchange and fetch_add, one thread",
    },
    PrimitiveInfo {
        name: CLOCK,
        about: "the cost of one Instant::now()",
    },
];

/// Splits `--workloads` names into the primitives they select (the family, or variants by
/// name, in measuring order) and every other name, untouched and in order.
pub fn split(names: &[String]) -> (Vec<&'static PrimitiveInfo>, Vec<String>) {
    let mut rest = Vec::new();
    let mut chosen: Vec<&str> = Vec::new();
    for name in names {
        let n = name.trim();
        if n == FAMILY {
            chosen.extend(VARIANTS.iter().map(|v| v.name));
        } else if let Some(v) = VARIANTS.iter().find(|v| v.name == n) {
            chosen.push(v.name);
        } else {
            rest.push(name.clone());
        }
    }
    let selected = VARIANTS
        .iter()
        .filter(|v| chosen.contains(&v.name))
        .collect();
    (selected, rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[String]) -> (Vec<&'static str>, Vec<String>) {
        let (p, rest) = split(v);
        (p.iter().map(|p| p.name).collect(), rest)
    }

    #[test]
    fn the_family_selects_every_primitive_and_leaves_other_names() {
        let (p, rest) = names(&["counter".into(), "primitives".into()]);
        assert_eq!(p.len(), VARIANTS.len());
        assert_eq!(rest, vec!["counter".to_string()]);
    }

    #[test]
    fn variants_are_selected_by_name_once_in_measuring_order() {
        let (p, rest) = names(&[
            "primitives/clock".into(),
            "primitives/core-to-core".into(),
            "primitives/clock".into(),
        ]);
        assert_eq!(p, vec![CORE_TO_CORE, CLOCK]);
        assert!(rest.is_empty());
    }

    #[test]
    fn every_variant_is_named_after_the_family() {
        for v in VARIANTS {
            assert!(v.name.starts_with("primitives/"), "{}", v.name);
        }
    }
}
