//! The core-to-core heat map: CPU x CPU one-way cache-line latency as square cells on one colour
//! scale (a legend with ticks beside the maps), CPUs in the order the results give (topology
//! order: package, core, SMT sibling), lines between packages, and the cells without a figure
//! marked apart: the diagonal (same CPU), pairs not sampled, and pairs whose validation failed.
//!
//! Several panels (two methods, or several machines) share one scale and one legend, so a colour
//! means the same latency in every panel. Drawn with plotters' SVG backend at fixed pixel
//! positions: the same input gives the same bytes.

use plotters::backend::SVGBackend;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::charts::linear_ticks;
use crate::format;
use crate::primitives_schema::{CoreToCore, Measured, PairLatency};

const FONT: &str = "sans-serif";
/// Side of a map, px, before rounding to whole cells.
const MAP_PX: u32 = 448;
/// Largest cell, px (a 2-CPU map is 2 x 2 of these).
const MAX_CELL: u32 = 96;
/// Room left of a map (row labels) and above it (title, column labels), px.
const LEFT: u32 = 52;
const TOP: u32 = 58;
/// Gap between panels, and room below the maps, px.
const GAP: u32 = 36;
const BOTTOM: u32 = 24;
/// Width of the legend column, px.
const LEGEND: u32 = 170;
/// Colour steps of the legend's bar, and the height of each, px.
const STEPS: i32 = 80;
const STEP_PX: i32 = 2;

/// The diagonal: a CPU with itself (not measured).
pub const SAME_CPU: RGBColor = RGBColor(0xBD, 0xBD, 0xBD);
/// A pair the sample left out.
pub const NOT_SAMPLED: RGBColor = RGBColor(0xF2, 0xF2, 0xF2);
/// A pair whose measurement failed its validation (no figure).
pub const ERROR: RGBColor = RGBColor(0xE4, 0x00, 0x2B);

/// The viridis palette's stops, fast (light) to slow (dark).
const PALETTE: [(u8, u8, u8); 9] = [
    (0xFD, 0xE7, 0x25),
    (0xB5, 0xDE, 0x2B),
    (0x6E, 0xCE, 0x58),
    (0x35, 0xB7, 0x79),
    (0x1F, 0x9E, 0x89),
    (0x26, 0x82, 0x8E),
    (0x31, 0x68, 0x8E),
    (0x3E, 0x49, 0x89),
    (0x44, 0x01, 0x54),
];

/// One cell of a map.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// The figure, ns.
    Value(f64),
    SameCpu,
    NotSampled,
    Error,
}

/// One map: a title, its CPUs (rows = initiator, columns = responder) and n x n cells, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    pub title: String,
    pub cpus: Vec<usize>,
    /// Each CPU's package (lines are drawn where it changes).
    pub packages: Vec<usize>,
    pub cells: Vec<Cell>,
}

impl Panel {
    /// The map of `map`'s `pick`ed method; `package_of` gives a CPU's package.
    pub fn from_map(
        title: &str,
        map: &CoreToCore,
        pick: fn(&PairLatency) -> &Measured,
        package_of: impl Fn(usize) -> usize,
    ) -> Panel {
        let cells = map
            .cpus
            .iter()
            .flat_map(|&from| map.cpus.iter().map(move |&to| (from, to)))
            .map(|(from, to)| match map.pair(from, to).map(pick) {
                _ if from == to => Cell::SameCpu,
                None => Cell::NotSampled,
                Some(m) => m.spread().map_or(Cell::Error, |s| Cell::Value(s.median)),
            })
            .collect();
        Panel {
            title: title.into(),
            cpus: map.cpus.clone(),
            packages: map.cpus.iter().map(|&c| package_of(c)).collect(),
            cells,
        }
    }

    fn values(&self) -> impl Iterator<Item = f64> + '_ {
        self.cells.iter().filter_map(|c| match c {
            Cell::Value(v) => Some(*v),
            _ => None,
        })
    }

    /// Side of one cell, px.
    pub fn cell_px(&self) -> u32 {
        (MAP_PX / self.cpus.len().max(1) as u32).clamp(2, MAX_CELL)
    }

    fn side_px(&self) -> u32 {
        self.cell_px() * self.cpus.len().max(1) as u32
    }
}

/// A linear colour scale from `min` (lightest) to `max` (darkest), ns, with labelled ticks.
#[derive(Debug, Clone, PartialEq)]
pub struct ColourScale {
    pub min: f64,
    pub max: f64,
    pub ticks: Vec<f64>,
}

impl ColourScale {
    /// The scale spanning every figure of every panel: one scale for all of them, from 0 (so a
    /// colour is a latency, not a rank: 61 and 69 ns look alike, 11 and 130 ns do not) up to
    /// the first round tick at or above the slowest figure. None when no panel has a figure.
    pub fn spanning(panels: &[Panel]) -> Option<ColourScale> {
        let hi = panels
            .iter()
            .flat_map(Panel::values)
            .fold(f64::NEG_INFINITY, f64::max);
        if !hi.is_finite() || hi <= 0.0 {
            return None;
        }
        let rough = linear_ticks(0.0, hi);
        let step = rough.get(1).map_or(hi, |s| *s);
        let max = (hi / step).ceil() * step;
        Some(ColourScale {
            min: 0.0,
            max,
            ticks: linear_ticks(0.0, max),
        })
    }

    /// The colour of `v` ns: the palette interpolated, clamped to the ends.
    pub fn colour(&self, v: f64) -> RGBColor {
        let t = ((v - self.min) / (self.max - self.min)).clamp(0.0, 1.0);
        let pos = t * (PALETTE.len() - 1) as f64;
        let i = (pos.floor() as usize).min(PALETTE.len() - 2);
        let f = pos - i as f64;
        let mix = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * f).round() as u8;
        let (a, b) = (PALETTE[i], PALETTE[i + 1]);
        RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
    }
}

/// `#RRGGBB` as the SVG backend writes a colour (tests look for them).
#[cfg(test)]
pub(crate) fn hex(c: RGBColor) -> String {
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

/// Renders `panels` side by side with one legend for `scale` (none when no panel has a figure)
/// as a standalone `<svg>`; its width in px is returned too.
pub fn render(panels: &[Panel], scale: Option<&ColourScale>) -> (String, u32) {
    let maps: u32 = panels.iter().map(|p| LEFT + p.side_px() + GAP).sum();
    let width = maps + LEGEND;
    let tallest = panels.iter().map(Panel::side_px).max().unwrap_or(0);
    let height = TOP + tallest.max(250) + BOTTOM;
    let mut buf = String::new();
    let drawn = draw(&mut buf, panels, scale, (width, height));
    match drawn {
        Ok(()) => (buf, width),
        Err(e) => (
            format!(
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"40\"><text x=\"10\" \
                 y=\"25\">heat map could not be drawn: {}</text></svg>",
                format::html(&e)
            ),
            width,
        ),
    }
}

type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;

fn text(size: u32, h: HPos, v: VPos) -> TextStyle<'static> {
    TextStyle::from((FONT, size).into_font()).pos(Pos::new(h, v))
}

fn draw(
    buf: &mut String,
    panels: &[Panel],
    scale: Option<&ColourScale>,
    size: (u32, u32),
) -> Result<(), String> {
    let err = |e: &dyn std::fmt::Display| e.to_string();
    let root = SVGBackend::with_string(buf, size).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let mut x = 0;
    for p in panels {
        draw_panel(&root, p, scale, x).map_err(|e| err(&e))?;
        x += LEFT + p.side_px() + GAP;
    }
    draw_legend(&root, scale, x as i32).map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))?;
    Ok(())
}

type DrawResult = Result<(), DrawingAreaErrorKind<std::io::Error>>;

fn draw_panel(root: &Area<'_>, p: &Panel, scale: Option<&ColourScale>, x0: u32) -> DrawResult {
    let n = p.cpus.len();
    let cell = p.cell_px() as i32;
    let (left, top) = ((x0 + LEFT) as i32, TOP as i32);
    let side = cell * n as i32;
    root.draw(&Text::new(
        p.title.clone(),
        (x0 as i32 + 4, 4),
        text(16, HPos::Left, VPos::Top),
    ))?;
    root.draw(&Text::new(
        "responder CPU →",
        (left, 24),
        text(12, HPos::Left, VPos::Top),
    ))?;
    if p.cells.contains(&Cell::NotSampled) {
        root.draw(&Rectangle::new(
            [(left, top), (left + side, top + side)],
            NOT_SAMPLED.filled(),
        ))?;
    }
    for (i, c) in p.cells.iter().enumerate() {
        let (row, col) = ((i / n) as i32, (i % n) as i32);
        let (cx, cy) = (left + col * cell, top + row * cell);
        let (fill, label) = match c {
            Cell::Value(v) => (scale.map_or(SAME_CPU, |s| s.colour(*v)), format::sig3(*v)),
            Cell::SameCpu => (SAME_CPU, "–".into()),
            Cell::Error => (ERROR, "×".into()),
            Cell::NotSampled => continue,
        };
        root.draw(&Rectangle::new(
            [(cx, cy), (cx + cell, cy + cell)],
            fill.filled(),
        ))?;
        let fits = cell >= 40 || (cell >= 12 && !matches!(c, Cell::Value(_)));
        if fits {
            let dark =
                f64::from(fill.0) * 0.299 + f64::from(fill.1) * 0.587 + f64::from(fill.2) * 0.114
                    < 140.0;
            let colour = if dark { WHITE } else { BLACK };
            let size = (cell as u32 / 4).clamp(9, 15);
            let style = text(size, HPos::Center, VPos::Center).color(&colour);
            root.draw(&Text::new(label, (cx + cell / 2, cy + cell / 2), style))?;
        }
    }
    // Labels: every CPU when they fit, else every k-th.
    let every = (14 / cell).max(1) as usize + usize::from(cell < 14);
    let label_size = (cell as u32 * 3 / 5).clamp(8, 13);
    for (i, cpu) in p.cpus.iter().enumerate().filter(|(i, _)| i % every == 0) {
        let mid = i as i32 * cell + cell / 2;
        root.draw(&Text::new(
            cpu.to_string(),
            (left - 4, top + mid),
            text(label_size, HPos::Right, VPos::Center),
        ))?;
        root.draw(&Text::new(
            cpu.to_string(),
            (left + mid, top - 4),
            text(label_size, HPos::Center, VPos::Bottom),
        ))?;
    }
    root.draw(&Text::new(
        "↑ initiator CPU (rows)",
        (x0 as i32 + 4, top + side + 6),
        text(12, HPos::Left, VPos::Top),
    ))?;
    // Lines between packages.
    let line = ShapeStyle::from(&BLACK).stroke_width(2);
    for i in 1..n {
        if p.packages[i] != p.packages[i - 1] {
            let at = i as i32 * cell;
            root.draw(&PathElement::new(
                vec![(left + at, top), (left + at, top + side)],
                line,
            ))?;
            root.draw(&PathElement::new(
                vec![(left, top + at), (left + side, top + at)],
                line,
            ))?;
        }
    }
    Ok(())
}

fn draw_legend(root: &Area<'_>, scale: Option<&ColourScale>, x: i32) -> DrawResult {
    let top = TOP as i32;
    let mut y = top;
    if let Some(s) = scale {
        root.draw(&Text::new(
            "one way, ns",
            (x, top - 22),
            text(13, HPos::Left, VPos::Top),
        ))?;
        let (bar_h, step) = (STEPS * STEP_PX, STEP_PX);
        // Fast (light) at the top, as the maps' near pairs.
        for k in 0..STEPS {
            let v = s.min + (s.max - s.min) * (f64::from(k) + 0.5) / f64::from(STEPS);
            root.draw(&Rectangle::new(
                [(x, top + k * step), (x + 18, top + (k + 1) * step)],
                s.colour(v).filled(),
            ))?;
        }
        for t in &s.ticks {
            let ty = top + ((t - s.min) / (s.max - s.min) * f64::from(bar_h)).round() as i32;
            root.draw(&PathElement::new(
                vec![(x + 18, ty), (x + 24, ty)],
                ShapeStyle::from(&BLACK).stroke_width(1),
            ))?;
            root.draw(&Text::new(
                format::tick(*t),
                (x + 28, ty),
                text(12, HPos::Left, VPos::Center),
            ))?;
        }
        y = top + bar_h + 16;
    }
    for (colour, what) in [
        (SAME_CPU, "same CPU"),
        (NOT_SAMPLED, "not sampled"),
        (ERROR, "error (no figure)"),
    ] {
        root.draw(&Rectangle::new([(x, y), (x + 20, y + 12)], colour.filled()))?;
        root.draw(&Text::new(
            what,
            (x + 26, y + 6),
            text(12, HPos::Left, VPos::Center),
        ))?;
        y += 20;
    }
    Ok(())
}

#[cfg(test)]
#[path = "figures_heatmap_tests.rs"]
mod tests;
