//! A machine's identity for matching runs: the fields the gate compares, and a stable short hash
//! of them that the history uses to tie runs and baselines to a machine.

use crate::schema::Machine;

/// What makes two results "the same machine" for the gate: CPU model and the CPUs it had.
/// (Kernel, OS and compiler differences are reported, but do not make another machine.)
pub fn identity(m: &Machine) -> [(&'static str, String); 5] {
    [
        ("cpu", m.cpu_model.clone()),
        ("logical cpus", m.logical_cpus.to_string()),
        ("physical cores", m.physical_cores.to_string()),
        ("packages", m.packages.to_string()),
        ("available cpus", m.available_cpus.len().to_string()),
    ]
}

/// 16 hex digits: [`fnv1a64`] over [`identity`]; stable across builds and platforms.
pub fn fingerprint_hash(m: &Machine) -> String {
    let mut bytes = Vec::new();
    for (name, value) in identity(m) {
        for part in [name.as_bytes(), b"\0", value.as_bytes(), b"\0"] {
            bytes.extend_from_slice(part);
        }
    }
    format!("{:016x}", fnv1a64(&bytes))
}

/// FNV-1a, 64 bit: a stable, non-cryptographic digest (identities and duplicate detection, not
/// security).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_matches_its_published_test_vectors() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }
}
