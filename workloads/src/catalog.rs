//! The catalog: every family and variant the harness knows, with style and race expectation.

use crate::{counter, deadlock, matmul, pool, queue};

pub use crate::variant::{Family, Style, VariantInfo};

impl Family {
    /// The variants of this family, in catalog order.
    pub fn variants(self) -> impl Iterator<Item = &'static VariantInfo> {
        catalog().filter(move |v| v.family == self)
    }
}

const FAMILIES: &[&[VariantInfo]] = &[
    counter::VARIANTS,
    queue::VARIANTS,
    pool::VARIANTS,
    matmul::VARIANTS,
    deadlock::VARIANTS,
];

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
    use crate::Params;

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
    fn every_family_has_variants_and_racy_ones_are_named_so() {
        for f in Family::ALL {
            assert!(f.variants().count() > 0, "{f:?}");
        }
        for v in catalog().filter(|v| v.expected_race) {
            assert!(v.short_name().starts_with("racy"), "{}", v.name);
        }
    }

    #[test]
    fn matmul_reports_its_flop_per_product() {
        let p = Params {
            matrix_size: 512,
            ..Params::default()
        };
        assert_eq!(
            Family::Matmul.unit_factors(&p),
            vec![("flop_per_unit", 2.0 * 512f64.powi(3))]
        );
        assert!(Family::Counter.unit_factors(&p).is_empty());
    }

    #[test]
    fn every_compared_family_has_both_styles() {
        // The deadlock family is about lock ordering, a shared-memory concern only.
        for f in Family::ALL.iter().filter(|f| **f != Family::Deadlock) {
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
