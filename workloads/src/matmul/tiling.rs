//! How one product is cut into work units: rectangular tiles of C, sized from the thread count.

use std::ops::Range;

/// Tile heights tried, tallest first (dgemm packs the tile's columns of B once per call, so taller
/// tiles amortise that better), and the shortest a tile may get.
const HEIGHTS: [usize; 6] = [256, 128, 64, 32, 16, 8];
/// Narrowest tile width once rows alone no longer give enough tiles.
const MIN_WIDTH: usize = 64;

/// Tiles of an `n x n` C, `height x width` (the last row and column of tiles may be smaller),
/// numbered row of tiles by row of tiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tiling {
    pub n: usize,
    pub height: usize,
    pub width: usize,
}

impl Tiling {
    /// The largest tiles that still give every one of `threads` threads work: at least
    /// `max(4, 2 x threads)` tiles where n allows, heights from 256 down to 8 rows, widths from n
    /// halving down to 64. Among tilings of equal tile area the squarer wins: one dgemm call per
    /// tile packs the tile's rows of A and columns of B, so a product packs about
    /// `n^3 (1 / height + 1 / width)` values, least for square tiles. At n = 512: 1 or 2 threads
    /// get 4 tiles of 256 x 256, 4 threads 8 of 128 x 256, 64 threads 128 of 32 x 64.
    pub fn for_threads(n: usize, threads: usize) -> Tiling {
        let n = n.max(1);
        let target = (2 * threads).max(4);
        let mut widths = vec![n];
        let mut w = n;
        while w / 2 >= MIN_WIDTH {
            w = w.div_ceil(2);
            widths.push(w);
        }
        let mut best = None;
        for &width in &widths {
            for &height in HEIGHTS.iter().filter(|&&h| h <= n) {
                let t = Tiling { n, height, width };
                if t.count() >= target {
                    // Prefer the largest tile area, then the squarer tile (dgemm's micro-kernels
                    // want both dimensions).
                    let key = (height * width, height.min(width));
                    if best.is_none_or(|(k, _)| key > k) {
                        best = Some((key, t));
                    }
                    break; // shorter tiles of this width only get smaller
                }
            }
        }
        best.map(|(_, t)| t).unwrap_or(Tiling {
            n,
            height: HEIGHTS[HEIGHTS.len() - 1].min(n),
            width: widths[widths.len() - 1],
        })
    }

    fn tiles_down(&self) -> usize {
        self.n.div_ceil(self.height)
    }

    fn tiles_across(&self) -> usize {
        self.n.div_ceil(self.width)
    }

    /// Tiles per product.
    pub fn count(&self) -> usize {
        self.tiles_down() * self.tiles_across()
    }

    /// Rows of C of tile `t`.
    pub fn rows(&self, t: usize) -> Range<usize> {
        let r = t / self.tiles_across() * self.height;
        r..(r + self.height).min(self.n)
    }

    /// Columns of C of tile `t`.
    pub fn cols(&self, t: usize) -> Range<usize> {
        let c = t % self.tiles_across() * self.width;
        c..(c + self.width).min(self.n)
    }

    /// Rows of C that tile `t` thinks for (`--think-work` is per row of C, n x N per product):
    /// its rows when it is in the first column of tiles, else 0.
    pub fn think_rows(&self, t: usize) -> u32 {
        if self.cols(t).start == 0 {
            // A tile has at most n rows, and n is at most 4096 (`--matrix-size`): fits.
            self.rows(t).len() as u32
        } else {
            0
        }
    }

    /// Cells of tile `t`.
    pub fn cells(&self, t: usize) -> usize {
        self.rows(t).len() * self.cols(t).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_thread_gets_work_and_tiles_cover_c_exactly_once() {
        for (n, threads) in [
            (512, 1),
            (512, 2),
            (512, 64),
            (512, 256),
            (136, 3),
            (8, 4),
            (1, 1),
        ] {
            let t = Tiling::for_threads(n, threads);
            if n >= 512 {
                assert!(t.count() >= 2 * threads.min(128), "{n} {threads}: {t:?}");
            }
            let mut seen = vec![0u8; n * n];
            for i in 0..t.count() {
                for r in t.rows(i) {
                    for c in t.cols(i) {
                        seen[r * n + c] += 1;
                    }
                }
            }
            assert!(seen.iter().all(|&s| s == 1), "{n} {threads}: {t:?}");
        }
    }

    #[test]
    fn tiles_are_as_large_as_the_thread_count_allows() {
        assert_eq!(
            Tiling::for_threads(512, 1),
            Tiling {
                n: 512,
                height: 256,
                width: 256
            }
        );
        assert_eq!(
            Tiling::for_threads(512, 4),
            Tiling {
                n: 512,
                height: 128,
                width: 256
            }
        );
        let wide = Tiling::for_threads(512, 64);
        assert_eq!(wide.count(), 128, "{wide:?}");
        assert_eq!((wide.height, wide.width), (32, 64), "{wide:?}");
    }
}
