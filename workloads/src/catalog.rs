//! The catalog: every family and variant the harness knows, with style and race expectation.

use crate::{Params, Workload, counter};

/// A group of variants that do the same job in different ways.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    Counter,
}

impl Family {
    pub const ALL: &'static [Family] = &[Family::Counter];

    /// The family's name as used on the command line and in results.
    pub fn name(self) -> &'static str {
        match self {
            Family::Counter => "counter",
        }
    }

    /// What one unit of throughput is.
    pub fn unit(self) -> &'static str {
        match self {
            Family::Counter => "increments",
        }
    }

    /// What "latency" means for this family, as shown in the report.
    pub fn latency_meaning(self) -> &'static str {
        match self {
            Family::Counter => {
                "time per increment, as the mean over a timed batch of 8-64 us (clock cost < 1%); \
                 tails show batches disturbed by contention or preemption"
            }
        }
    }

    /// The variants of this family, in catalog order.
    pub fn variants(self) -> impl Iterator<Item = &'static VariantInfo> {
        catalog().filter(move |v| v.family == self)
    }
}

/// How a variant shares work between threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Style {
    /// Threads touch the same memory, protected by locks or atomics (or deliberately not).
    SharedMemory,
    /// Threads own their state and communicate by sending messages.
    MessagePassing,
}

impl Style {
    pub fn name(self) -> &'static str {
        match self {
            Style::SharedMemory => "shared-memory",
            Style::MessagePassing => "message-passing",
        }
    }
}

/// One implementation of a family's job.
pub struct VariantInfo {
    /// `family/variant`, e.g. `counter/atomic`.
    pub name: &'static str,
    pub family: Family,
    pub style: Style,
    /// Whether the variant is deliberately racy (the race detector must catch it).
    pub expected_race: bool,
    /// Whether the variant only runs on explicit request (racy or deadlock-prone variants).
    pub opt_in: bool,
    /// One line saying what the variant does.
    pub about: &'static str,
    /// Builds the variant for `threads` worker threads.
    pub build: fn(&Params, usize) -> Box<dyn Workload>,
}

impl std::fmt::Debug for VariantInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VariantInfo")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl VariantInfo {
    /// The part of the name after the family, e.g. `atomic`.
    pub fn short_name(&self) -> &'static str {
        self.name.split_once('/').map_or(self.name, |(_, v)| v)
    }
}

const FAMILIES: &[&[VariantInfo]] = &[counter::VARIANTS];

/// Every variant of every family, in a stable order.
pub fn catalog() -> impl Iterator<Item = &'static VariantInfo> {
    FAMILIES.iter().flat_map(|f| f.iter())
}

/// The variant called `name` (`family/variant`), if any.
pub fn find_variant(name: &str) -> Option<&'static VariantInfo> {
    catalog().find(|v| v.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variant_names_are_unique_and_prefixed_by_their_family() {
        let mut names: Vec<_> = catalog().map(|v| v.name).collect();
        for v in catalog() {
            assert!(
                v.name.starts_with(&format!("{}/", v.family.name())),
                "{}",
                v.name
            );
        }
        let n = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), n);
    }

    #[test]
    fn racy_variants_are_opt_in() {
        for v in catalog().filter(|v| v.expected_race) {
            assert!(v.opt_in, "{} races but would run by default", v.name);
        }
    }

    #[test]
    fn every_family_has_both_styles() {
        for f in Family::ALL {
            let styles: Vec<_> = f
                .variants()
                .filter(|v| !v.opt_in)
                .map(|v| v.style)
                .collect();
            assert!(styles.contains(&Style::SharedMemory), "{f:?}");
            assert!(styles.contains(&Style::MessagePassing), "{f:?}");
        }
    }
}
