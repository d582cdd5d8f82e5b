//! The matmul family (in progress).
pub const VARIANTS: &[crate::VariantInfo] = &[];
