//! The matmul family: C = A x B on n x n f64 matrices, each product split into tiles of C
//! across the threads, in a shared-memory and a message-passing way plus a racy one.

mod fan_out;
mod racy;
mod schedule;
mod shared_rows;
mod tiling;

use crate::proof::mix64;
use crate::variant::{Family, Style, VariantInfo};
use crate::{Outcome, Params, SampleCheck, WorkerTally};

pub use fan_out::FanOut;
pub use racy::RacyOverlap;
pub use schedule::Schedule;
pub use shared_rows::SharedRows;
pub use tiling::Tiling;

pub const VARIANTS: &[VariantInfo] = &[
    VariantInfo {
        name: "matmul/shared-rows",
        family: Family::Matmul,
        style: Style::SharedMemory,
        expected_race: false,
        expected_deadlock: false,
        opt_in: false,
        about: "threads claim tiles of one shared C (sized from the thread count: 4 blocks of 128 rows at n = 512 and 1-2 threads) and compute them in place (matrixmultiply dgemm per tile)",
        build: |p, t| Box::new(SharedRows::new(p, t)),
    },
    VariantInfo {
        name: "matmul/fan-out",
        family: Family::Matmul,
        style: Style::MessagePassing,
        expected_race: false,
        expected_deadlock: false,
        opt_in: false,
        about: "a collector thread (extra) sends tile jobs over a channel; workers send result tiles back; the collector assembles C",
        build: |p, t| Box::new(FanOut::new(p, t)),
    },
    VariantInfo {
        name: "matmul/racy-overlap",
        family: Family::Matmul,
        style: Style::SharedMemory,
        expected_race: true,
        expected_deadlock: false,
        opt_in: true,
        about: "DELIBERATELY RACY: k-slices accumulate into all of C through a shared raw pointer without reduction (lost updates)",
        build: |p, t| Box::new(RacyOverlap::new(p, t)),
    },
];

/// Rows of B per work unit of `matmul/racy-overlap` (a k-slice; the last may be shorter).
pub const BLOCK: usize = 64;

/// The inputs and the reference product, built once per workload (outside any window).
pub struct Matrices {
    pub n: usize,
    /// Row-major n x n, entries uniform in [-1, 1) from `Params::seed`.
    pub a: Vec<f64>,
    pub b: Vec<f64>,
    /// A x B computed by [`reference_product`].
    pub reference: Vec<f64>,
}

impl Matrices {
    pub fn new(p: &Params) -> Self {
        let n = p.matrix_size.max(1);
        let random = |salt: u64| -> Vec<f64> {
            (0..(n * n) as u64)
                .map(|i| {
                    (mix64(p.seed ^ salt ^ i.wrapping_mul(0x9e37_79b9_7f4a_7c15)) >> 11) as f64
                        / (1u64 << 52) as f64
                        - 1.0
                })
                .collect()
        };
        let (a, b) = (random(0xa), random(0xb));
        let reference = reference_product(n, &a, &b);
        Matrices { n, a, b, reference }
    }
}

/// The kernel every correct variant runs per work unit: tile `t` of C, `C[rows, cols] =
/// A[rows, :] x B[:, cols]`, written to `out` whose row `r` of the tile starts at `r * stride`.
/// It is `matrixmultiply::dgemm` on the tile (packing, AVX2/FMA micro-kernels, runtime-detected),
/// the reference point; run tile by tile it loses some speed to re-packing B's columns per call,
/// which tall tiles amortise (see [`Tiling`] and the `single_thread` bench).
pub fn multiply_tile(m: &Matrices, tiling: &Tiling, t: usize, out: &mut [f64], stride: usize) {
    let (rows, cols) = (tiling.rows(t), tiling.cols(t));
    assert!(
        m.n == tiling.n
            && stride >= cols.len()
            && out.len() >= (rows.len() - 1) * stride + cols.len(),
        "tile shapes"
    );
    // SAFETY: the assertion makes every cell written lie in `out`, which is a &mut borrow.
    unsafe { multiply_tile_raw(m, tiling, t, out.as_mut_ptr(), stride) }
}

/// [`multiply_tile`] into a raw pointer.
///
/// # Safety
/// `out` must be valid for writes at `r * stride + c` for every row `r` and column `c` of the
/// tile (relative to its corner), and nothing else may read or write those cells meanwhile.
pub unsafe fn multiply_tile_raw(
    m: &Matrices,
    tiling: &Tiling,
    t: usize,
    out: *mut f64,
    stride: usize,
) {
    let (rows, cols, n) = (tiling.rows(t), tiling.cols(t), m.n);
    // SAFETY: A's rows `rows` (row stride n) and B's columns `cols` (row stride n) lie inside the
    // n x n inputs; the caller vouches for `out`.
    unsafe {
        matrixmultiply::dgemm(
            rows.len(),
            n,
            cols.len(),
            1.0,
            m.a.as_ptr().add(rows.start * n),
            n as isize,
            1,
            m.b.as_ptr().add(cols.start),
            n as isize,
            1,
            0.0,
            out,
            stride as isize,
            1,
        );
    }
}

/// Columns of B and C per panel of [`reference_product`] (a 512-row panel of B is 512 KiB).
const REF_COLUMNS: usize = 128;
/// Rows of B per block of a panel (a 128 x 128 block of B is 128 KiB: it stays in L2).
const REF_ROWS: usize = 128;

/// An independent reference: the plain i-k-j loop (no dgemm), run once per workload, in panels
/// of C's columns and blocks of B's rows so that B's block stays in cache while the rows of A
/// pass over it, on up to [`REF_THREADS`] threads (bands of C's rows) before any window opens.
/// Each cell still sums its n products in the order k = 0, 1, ..., n-1, so the result is bit
/// for bit the plain loop's (test). At n = 512 a matmul fork with 1 ms windows took 66 ms with
/// the plain loop on one thread and 43 ms with this (2 CPUs): every `contend ab` fork pays it.
pub fn reference_product(n: usize, a: &[f64], b: &[f64]) -> Vec<f64> {
    let mut c = vec![0.0; n * n];
    let threads = std::thread::available_parallelism()
        .map_or(1, |p| p.get())
        .clamp(1, REF_THREADS);
    let band = n.div_ceil(threads).max(1);
    std::thread::scope(|s| {
        for (c_band, a_band) in c.chunks_mut(band * n).zip(a.chunks(band * n)) {
            s.spawn(move || reference_band(n, a_band, b, c_band));
        }
    });
    c
}

/// At most this many threads compute the reference product.
const REF_THREADS: usize = 8;

/// Rows `a_band` of A times B into `c_band` (the same rows of C), blocked as described above.
fn reference_band(n: usize, a_band: &[f64], b: &[f64], c_band: &mut [f64]) {
    for j0 in (0..n).step_by(REF_COLUMNS) {
        let cols = j0..(j0 + REF_COLUMNS).min(n);
        for k0 in (0..n).step_by(REF_ROWS) {
            let ks = k0..(k0 + REF_ROWS).min(n);
            for (c_row, a_row) in c_band.chunks_exact_mut(n).zip(a_band.chunks_exact(n)) {
                let c_part = &mut c_row[cols.clone()];
                let b_part = |k: usize| &b[k * n + cols.start..k * n + cols.end];
                // Four rows of B per pass over C's row (C loaded and stored once per four
                // products instead of once per product), still added in order of k.
                let mut k = ks.start;
                while k + 4 <= ks.end {
                    let (a0, a1, a2, a3) = (a_row[k], a_row[k + 1], a_row[k + 2], a_row[k + 3]);
                    let (b0, b1, b2, b3) = (b_part(k), b_part(k + 1), b_part(k + 2), b_part(k + 3));
                    for (j, cij) in c_part.iter_mut().enumerate() {
                        *cij = *cij + a0 * b0[j] + a1 * b1[j] + a2 * b2[j] + a3 * b3[j];
                    }
                    k += 4;
                }
                for (k, &aik) in a_row.iter().enumerate().take(ks.end).skip(k) {
                    for (cij, &bkj) in c_part.iter_mut().zip(b_part(k)) {
                        *cij += aik * bkj;
                    }
                }
            }
        }
    }
}

/// Cells of `c` that differ from the reference by more than `4 n^2 eps`: a bound on the
/// rounding difference of two summation orders of n products of entries in [-1, 1)
/// (sum of |a||b| <= n). NaN (never written) is wrong.
pub fn wrong_cells(m: &Matrices, c: &[f64]) -> usize {
    let tol = 4.0 * (m.n * m.n) as f64 * f64::EPSILON;
    c.iter()
        .zip(&m.reference)
        .filter(|&(&x, &r)| (x - r).abs().is_nan() || (x - r).abs() > tol)
        .count()
}

/// Proves a correct sample: the last product (index `last`, completed after the close) wrote
/// every block, every cell of C equals the reference, every unit ran exactly once per product,
/// and the products counted are exactly the `last + 1` completed.
fn proof(
    m: &Matrices,
    c: &[f64],
    stamps: &[u64],
    last: u64,
    tallies: &[WorkerTally],
    units: u64,
) -> SampleCheck {
    let counted: u64 = tallies.iter().map(|t| t.ops).sum();
    let ran: u64 = tallies.iter().map(|t| t.items).sum();
    let stale = stamps.iter().filter(|&&s| s != last + 1).count();
    let wrong = wrong_cells(m, c);
    let outcome = if stale > 0 {
        Outcome::Invalid(format!(
            "{stale} of {} blocks were not written by the last product",
            stamps.len()
        ))
    } else if wrong > 0 {
        Outcome::Invalid(format!(
            "{wrong} of {} cells of C differ from the reference product",
            c.len()
        ))
    } else if ran != (last + 1) * units {
        Outcome::Invalid(format!(
            "{ran} blocks computed for {} products of {units} blocks",
            last + 1
        ))
    } else if counted != last + 1 {
        Outcome::Invalid(format!(
            "{counted} products counted, {} completed",
            last + 1
        ))
    } else {
        Outcome::Valid
    };
    SampleCheck {
        ops: counted,
        outcome,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{TRIES_TO_SEE_DAMAGE, run_sample, sample_until_damage};

    /// Tiles per product of `m` at one thread.
    fn units(m: &Matrices) -> usize {
        Tiling::for_threads(m.n, 1).count()
    }

    fn small() -> Params {
        Params {
            matrix_size: 136,
            ..Params::default()
        } // tiles whose last row and column are short
    }

    #[test]
    fn every_correct_matmul_equals_the_reference_product() {
        for v in VARIANTS.iter().filter(|v| !v.expected_race) {
            for threads in [1, 2, 3] {
                let w = (v.build)(&small(), threads);
                // Two samples on the same workload: samples do not leak into each other.
                for sample in 0..2 {
                    let check = run_sample(w.as_ref(), threads, 10);
                    assert_eq!(
                        check.outcome,
                        Outcome::Valid,
                        "{} at {threads} threads, sample {sample}",
                        v.name
                    );
                }
            }
        }
    }

    #[test]
    fn think_work_does_not_break_validation() {
        let p = Params {
            think_work: 50,
            ..small()
        };
        crate::testing::assert_correct_variants_validate(VARIANTS, &p);
    }

    #[test]
    fn think_work_is_spent_once_per_row_of_every_unit_run() {
        let p = Params {
            think_work: 3,
            ..small()
        };
        for threads in [1, 2] {
            let (shared, fan_out) = (SharedRows::new(&p, threads), FanOut::new(&p, threads));
            let racy = RacyOverlap::new(&p, threads);
            let cases: [(&str, &dyn crate::Workload, &crate::spin::Think); 3] = [
                ("matmul/shared-rows", &shared, &shared.schedule.think),
                ("matmul/fan-out", &fan_out, &fan_out.think),
                ("matmul/racy-overlap", &racy, &racy.schedule.think),
            ];
            for (name, w, think) in cases {
                // `ops` products counted (the one completed after the close included): n rows each.
                let check = run_sample(w, threads, 10);
                let rows = check.ops * p.matrix_size as u64;
                assert_eq!(think.thought(), rows, "{name} at {threads} threads");
            }
        }
    }

    #[test]
    fn the_kernel_matches_the_reference_tile_by_tile() {
        let m = Matrices::new(&small());
        for threads in [1, 3, 64] {
            let tiling = Tiling::for_threads(m.n, threads);
            let mut c = vec![f64::NAN; m.n * m.n];
            for t in 0..tiling.count() {
                let (r, col) = (tiling.rows(t), tiling.cols(t));
                multiply_tile(&m, &tiling, t, &mut c[r.start * m.n + col.start..], m.n);
            }
            assert_eq!(wrong_cells(&m, &c), 0, "{tiling:?}");
        }
    }

    #[test]
    fn the_blocked_reference_is_bit_for_bit_the_plain_loop() {
        // The plain i-k-j loop, as the reference was before it was blocked.
        fn plain(n: usize, a: &[f64], b: &[f64]) -> Vec<f64> {
            let mut c = vec![0.0; n * n];
            for (c_row, a_row) in c.chunks_exact_mut(n).zip(a.chunks_exact(n)) {
                for (&aik, b_row) in a_row.iter().zip(b.chunks_exact(n)) {
                    for (cij, &bkj) in c_row.iter_mut().zip(b_row) {
                        *cij += aik * bkj;
                    }
                }
            }
            c
        }
        // Sizes below, at and across the panel and block edges.
        for n in [1, 7, 128, 129, 300] {
            let m = Matrices::new(&Params {
                matrix_size: n,
                ..Params::default()
            });
            let same = reference_product(n, &m.a, &m.b)
                .iter()
                .zip(&plain(n, &m.a, &m.b))
                .all(|(x, y)| x.to_bits() == y.to_bits());
            assert!(same, "n = {n}");
        }
    }

    #[test]
    fn a_wrong_cell_is_caught() {
        let m = Matrices::new(&small());
        let mut c = m.reference.clone();
        let stamps = vec![3; units(&m)];
        let tallies = [WorkerTally {
            ops: 3,
            items: 3 * units(&m) as u64,
            checksum: 0,
        }];
        assert_eq!(
            proof(&m, &c, &stamps, 2, &tallies, units(&m) as u64).outcome,
            Outcome::Valid
        );
        c[m.n + 5] += 1e-6;
        assert!(matches!(
            proof(&m, &c, &stamps, 2, &tallies, units(&m) as u64).outcome,
            Outcome::Invalid(_)
        ));
    }

    #[test]
    fn a_block_left_from_an_earlier_product_is_caught() {
        let m = Matrices::new(&small());
        let mut stamps = vec![3; units(&m)];
        stamps[1] = 2;
        let tallies = [WorkerTally {
            ops: 3,
            items: 3 * units(&m) as u64,
            checksum: 0,
        }];
        let check = proof(&m, &m.reference, &stamps, 2, &tallies, units(&m) as u64);
        assert!(matches!(check.outcome, Outcome::Invalid(_)), "{check:?}");
    }

    #[test]
    fn racy_overlap_reports_damage_never_failure_and_does_not_hang() {
        let p = Params {
            matrix_size: 160,
            ..Params::default()
        };
        let w = RacyOverlap::new(&p, 2);
        let outcomes = sample_until_damage(&w, 2, 20, TRIES_TO_SEE_DAMAGE);
        assert!(
            outcomes
                .iter()
                .all(|o| matches!(o, Outcome::RaceDamage { .. } | Outcome::RaceUnobserved)),
            "{outcomes:?}"
        );
        assert!(
            outcomes
                .iter()
                .any(|o| matches!(o, Outcome::RaceDamage { damage, .. } if *damage > 0)),
            "{outcomes:?}"
        );
        assert_eq!(
            run_sample(&RacyOverlap::new(&small(), 1), 1, 5).outcome,
            Outcome::RaceUnobserved
        );
    }

    #[test]
    fn a_product_slower_than_the_window_still_completes_and_counts() {
        // The window closes long before the first product ends: it completes, is validated,
        // and counts, so a window shorter than one product still measures a throughput (no
        // window bias: the sample's time runs until the product is done). n = 512 takes
        // milliseconds, longer than the test driver's 1 ms look for the first unit of work.
        let w = SharedRows::new(
            &Params {
                matrix_size: 512,
                ..Params::default()
            },
            2,
        );
        let check = run_sample(&w, 2, 0);
        assert_eq!(check.outcome, Outcome::Valid);
        // At least the product in flight when the window closed (more only if the test thread
        // was descheduled for a whole product on a loaded machine).
        assert!(check.ops >= 1, "{check:?}");
    }
}
