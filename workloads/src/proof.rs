//! Proof helpers shared by the message families: a 64-bit mixer and the exactly-once check.

use crate::{Outcome, SampleCheck, WorkerTally};

/// A bijective 64-bit mixer (splitmix64's finalizer): distinct ids give distinct, well-spread
/// values, so a lost item plus a duplicated one cannot cancel in a wrapping sum by accident
/// (except with probability ~2^-64).
#[inline]
pub fn mix64(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Proves "every item delivered exactly once" from tallies that follow one convention:
/// a sender reports `items` = items sent and `checksum` = +wrapping sum of their check values;
/// a receiver reports `ops` = items received and `checksum` = -wrapping sum of what it received
/// (a thread that does both adds both). Then received == sent and the checksums cancel to 0.
pub(crate) fn check_delivery(tallies: &[WorkerTally], what: &str) -> SampleCheck {
    let sent: u64 = tallies.iter().map(|t| t.items).sum();
    let received: u64 = tallies.iter().map(|t| t.ops).sum();
    let residue = tallies.iter().fold(0u64, |s, t| s.wrapping_add(t.checksum));
    let outcome = if sent != received {
        Outcome::Invalid(format!(
            "{received} {what} received, {sent} sent ({} missing)",
            sent as i128 - received as i128
        ))
    } else if residue != 0 {
        Outcome::Invalid(format!(
            "{sent} {what} sent and received, but their checksums differ (a {what} lost and another duplicated or corrupted)"
        ))
    } else {
        Outcome::Valid
    };
    SampleCheck {
        ops: received,
        outcome,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sender(ids: &[u64]) -> WorkerTally {
        WorkerTally {
            ops: 0,
            items: ids.len() as u64,
            checksum: ids.iter().fold(0, |s, &i| s.wrapping_add(mix64(i))),
        }
    }
    fn receiver(ids: &[u64]) -> WorkerTally {
        WorkerTally {
            ops: ids.len() as u64,
            items: 0,
            checksum: 0u64.wrapping_sub(ids.iter().fold(0, |s, &i| s.wrapping_add(mix64(i)))),
        }
    }

    #[test]
    fn exact_delivery_is_valid() {
        let check = check_delivery(
            &[sender(&[1, 2, 3]), receiver(&[3, 1]), receiver(&[2])],
            "messages",
        );
        assert_eq!(check.outcome, Outcome::Valid);
        assert_eq!(check.ops, 3);
    }

    #[test]
    fn a_missing_message_is_caught() {
        let check = check_delivery(&[sender(&[1, 2, 3]), receiver(&[3, 1])], "messages");
        assert!(matches!(check.outcome, Outcome::Invalid(_)), "{check:?}");
    }

    #[test]
    fn a_duplicate_replacing_a_lost_message_is_caught() {
        let check = check_delivery(&[sender(&[1, 2, 3]), receiver(&[1, 1, 3])], "messages");
        assert!(matches!(check.outcome, Outcome::Invalid(_)), "{check:?}");
    }
}
