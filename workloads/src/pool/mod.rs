//! The pool family (in progress).
pub const VARIANTS: &[crate::VariantInfo] = &[];
