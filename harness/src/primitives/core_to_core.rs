//! The core-to-core map: one-way cache-line latency for each chosen ordered pair of CPUs, by the
//! store/load and the compare-and-swap ping-pong of the fork's cache-line probe.

use std::time::Duration;

use contend_reports::primitives_schema::{CoreToCore, Measured, PairLatency};

use super::pairs::Chosen;
use super::spread::measured;
use crate::evidence::pingpong::{Method, ProbeConfig, probe_with, respond};

/// The probe's settings per pair and method: 3 ms of batches of 64 round trips after 500 untimed
/// (~5 ms a method and pair with the threads' start, so 240 pairs take ~2.4 s for both methods).
pub fn config(method: Method) -> ProbeConfig {
    ProbeConfig {
        method,
        warmup_round_trips: 500,
        batch: 64,
        max_batches: 2000,
        budget: Duration::from_millis(3),
        partner_timeout: Duration::from_millis(100),
    }
}

pub const STORE_LOAD_METHOD: &str = "two threads pinned to the pair's CPUs bounce a sequence \
    number through one cache line: the initiator (row) stores 2k+1 and spins on loads until the \
    responder (column), spinning on loads, stores 2k+2. One way = round trip / 2, timed in batches \
    of 64 round trips for 3 ms after 500 untimed; median and spread over batches. Validated on \
    both sides: a waiting thread may only see its own last value or the one it waits for, and the \
    responder must have answered every round trip, else the pair is an error";

pub const CAS_METHOD: &str = "as store/load, but each thread waits and answers in one \
    compare_exchange (AcqRel) from the value it awaits to its answer, spinning on failures, as a \
    spinlock hand-off does; one way = round trip / 2; validated the same way";

fn probe(cpus: [usize; 2], method: Method) -> Measured {
    let result = probe_with(cpus, &config(method), respond);
    let ops = result.as_ref().map_or(0, |m| m.round_trips);
    measured(result.map(|m| m.batches), ops)
}

/// Measures every pair of `chosen`, row by row, both methods; `progress(done, total)` after
/// each pair. Stops early (keeping what it measured) when Ctrl-C was pressed.
pub fn measure(
    order: &[usize],
    chosen: Chosen,
    progress: &mut dyn FnMut(usize, usize),
) -> CoreToCore {
    let total = chosen.pairs.len();
    let mut pairs = Vec::with_capacity(total);
    for (i, (from, to, relation)) in chosen.pairs.into_iter().enumerate() {
        if crate::interrupt::requested() {
            break;
        }
        pairs.push(PairLatency {
            from,
            to,
            relation: relation.into(),
            store_load: probe([from, to], Method::StoreLoad),
            cas: probe([from, to], Method::Cas),
        });
        progress(i + 1, total);
    }
    CoreToCore {
        cpus: order.to_vec(),
        pairs_possible: chosen.possible,
        selection: chosen.selection,
        store_load_method: STORE_LOAD_METHOD.into(),
        cas_method: CAS_METHOD.into(),
        pairs,
    }
}
