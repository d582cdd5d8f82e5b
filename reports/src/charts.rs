//! A small line-chart renderer on plotters' SVG backend: linear or log axes with chosen ticks, dashes, markers,
//! min-max error bars and a legend beside the plot (never over the data).
//!
//! Log axes are drawn by plotting `log10(value)` on a linear axis with ticks placed and labelled by this module,
//! so tick positions and labels are fully deterministic.

use plotters::backend::SVGBackend;
use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Total width of a chart, px (the SVG scales down with CSS).
const WIDTH: u32 = 980;
/// Width of the legend column at the right, px.
const LEGEND_WIDTH: u32 = 300;
/// Vertical space per legend entry, px.
const LEGEND_ROW: u32 = 22;
/// Longest legend label, chars (the SVG backend cannot measure text, so keep labels inside the column).
const LEGEND_CHARS: usize = 34;
const FONT: &str = "sans-serif";

/// Line colours for shared-memory variants (cool colours).
pub const COOL: [RGBColor; 6] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0x17, 0x9e, 0xb0),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0x39, 0x3b, 0x79),
    RGBColor(0x63, 0x79, 0x39),
];
/// Line colours for message-passing variants (warm colours).
pub const WARM: [RGBColor; 6] = [
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x8c, 0x56, 0x4b),
    RGBColor(0xe3, 0x77, 0xc2),
    RGBColor(0xb8, 0x8a, 0x00),
    RGBColor(0x84, 0x3c, 0x39),
];
/// Colour of deliberately racy variants (their numbers are not real results).
pub const RACY: RGBColor = RGBColor(0x80, 0x80, 0x80);
/// Colour of reference lines (ideal speedup).
pub const REFERENCE: RGBColor = RGBColor(0xb0, 0xb0, 0xb0);

/// Every colour a data line can have, as `#RRGGBB` (upper case, as the SVG backend writes them).
pub fn data_colours() -> Vec<String> {
    COOL.iter()
        .chain(WARM.iter())
        .chain([&RACY])
        .map(|c| format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2))
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    Linear,
    Log,
}

impl Scale {
    fn to_plot(self, v: f64) -> f64 {
        match self {
            Scale::Linear => v,
            Scale::Log => v.max(f64::MIN_POSITIVE).log10(),
        }
    }
}

/// One axis: range and ticks in data units; `format` labels a tick.
pub struct Axis {
    pub label: String,
    pub scale: Scale,
    pub min: f64,
    pub max: f64,
    pub ticks: Vec<f64>,
    pub format: fn(f64) -> String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dash {
    Solid,
    Dashed,
    Dotted,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    None,
    Circle,
    Triangle,
    Square,
    Cross,
}

/// One data point; `lo`/`hi` draw an error bar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub x: f64,
    pub y: f64,
    pub lo: Option<f64>,
    pub hi: Option<f64>,
}

impl Point {
    pub fn new(x: f64, y: f64) -> Self {
        Point {
            x,
            y,
            lo: None,
            hi: None,
        }
    }
}

pub struct Line {
    pub label: String,
    pub colour: RGBColor,
    pub dash: Dash,
    pub marker: Marker,
    pub points: Vec<Point>,
}

pub struct LineChart {
    pub title: String,
    pub x: Axis,
    pub y: Axis,
    pub lines: Vec<Line>,
}

/// Renders `chart` as a standalone `<svg>` element (no XML declaration).
pub fn render(chart: &LineChart) -> String {
    let rows = chart.lines.len() as u32;
    let height = (400).max(70 + rows * LEGEND_ROW);
    let mut buf = String::new();
    let result = draw(chart, &mut buf, height);
    match result {
        Ok(()) => buf,
        Err(e) => format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"40\"><text x=\"10\" y=\"25\">chart \
             could not be drawn: {}</text></svg>",
            crate::format::html(&e)
        ),
    }
}

fn draw(chart: &LineChart, buf: &mut String, height: u32) -> Result<(), String> {
    let err = |e: &dyn std::fmt::Display| e.to_string();
    let root = SVGBackend::with_string(buf, (WIDTH, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let (plot, legend) = root.split_horizontally(WIDTH - LEGEND_WIDTH);
    let (x, y) = (&chart.x, &chart.y);
    let xt: Vec<f64> = x.ticks.iter().map(|&v| x.scale.to_plot(v)).collect();
    let yt: Vec<f64> = y.ticks.iter().map(|&v| y.scale.to_plot(v)).collect();
    let (x0, x1) = (x.scale.to_plot(x.min), x.scale.to_plot(x.max));
    let (y0, y1) = (y.scale.to_plot(y.min), y.scale.to_plot(y.max));
    let mut ctx = ChartBuilder::on(&plot)
        .caption(&chart.title, (FONT, 20))
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(78)
        .build_cartesian_2d(
            Ticked {
                lo: x0,
                hi: x1,
                ticks: xt,
            },
            Ticked {
                lo: y0,
                hi: y1,
                ticks: yt,
            },
        )
        .map_err(|e| err(&e))?;
    let (xs, ys, xf, yf) = (x.scale, y.scale, x.format, y.format);
    let x_label = move |v: &f64| xf(if xs == Scale::Log { 10f64.powf(*v) } else { *v });
    let y_label = move |v: &f64| yf(if ys == Scale::Log { 10f64.powf(*v) } else { *v });
    ctx.configure_mesh()
        .x_desc(&x.label)
        .y_desc(&y.label)
        .x_label_formatter(&x_label)
        .y_label_formatter(&y_label)
        .label_style((FONT, 15))
        .axis_desc_style((FONT, 16))
        .bold_line_style(RGBColor(0xe4, 0xe4, 0xe4))
        .light_line_style(TRANSPARENT)
        .draw()
        .map_err(|e| err(&e))?;

    for line in &chart.lines {
        let style = ShapeStyle::from(&line.colour).stroke_width(2);
        let pts: Vec<(f64, f64)> = line
            .points
            .iter()
            .map(|p| (xs.to_plot(p.x), ys.to_plot(p.y)))
            .collect();
        for p in &line.points {
            if let (Some(lo), Some(hi)) = (p.lo, p.hi) {
                let (px, lo, hi) = (xs.to_plot(p.x), ys.to_plot(lo), ys.to_plot(hi));
                let thin = ShapeStyle::from(&line.colour).stroke_width(1);
                ctx.draw_series([
                    PathElement::new(vec![(px, lo), (px, hi)], thin),
                    PathElement::new(vec![(px, lo), (px, lo)], thin),
                ])
                .map_err(|e| err(&e))?;
                for end in [lo, hi] {
                    ctx.plotting_area()
                        .draw(
                            &(EmptyElement::at((px, end))
                                + PathElement::new(vec![(-5, 0), (5, 0)], thin)),
                        )
                        .map_err(|e| err(&e))?;
                }
            }
        }
        match line.dash {
            Dash::Solid => ctx
                .draw_series(LineSeries::new(pts.clone(), style))
                .map(|_| ()),
            Dash::Dashed => ctx
                .draw_series(DashedLineSeries::new(pts.clone(), 9, 6, style))
                .map(|_| ()),
            Dash::Dotted => ctx
                .draw_series(DashedLineSeries::new(pts.clone(), 2, 5, style))
                .map(|_| ()),
        }
        .map_err(|e| err(&e))?;
        for &p in &pts {
            ctx.plotting_area()
                .draw(&marker(p, line.marker, line.colour))
                .map_err(|e| err(&e))?;
        }
    }
    draw_legend(&legend, &chart.lines).map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))?;
    Ok(())
}

/// A linear f64 axis whose ticks are exactly the given values (plotters' own choice is not controllable enough).
#[derive(Clone)]
struct Ticked {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
}

impl Ranged for Ticked {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let r = if self.hi > self.lo {
            (v - self.lo) / (self.hi - self.lo)
        } else {
            0.5
        };
        limit.0 + (r * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        // Only bold (labelled) grid lines: light ones would duplicate them.
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

fn marker<'b, DB: DrawingBackend + 'b, C: Clone + 'b>(
    at: C,
    kind: Marker,
    colour: RGBColor,
) -> DynElement<'b, DB, C> {
    let filled = colour.filled();
    let base = EmptyElement::at(at);
    match kind {
        Marker::None => base.into_dyn(),
        Marker::Circle => (base + Circle::new((0, 0), 4, filled)).into_dyn(),
        Marker::Triangle => (base + TriangleMarker::new((0, 0), 6, filled)).into_dyn(),
        Marker::Square => (base + Rectangle::new([(-4, -4), (4, 4)], filled)).into_dyn(),
        Marker::Cross => (base + Cross::new((0, 0), 4, colour.stroke_width(2))).into_dyn(),
    }
}

fn draw_legend(
    area: &Area<'_>,
    lines: &[Line],
) -> Result<(), DrawingAreaErrorKind<std::io::Error>> {
    let text = TextStyle::from((FONT, 15).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
    for (i, line) in lines.iter().enumerate() {
        let y = 46 + (i as i32) * LEGEND_ROW as i32;
        let style = ShapeStyle::from(&line.colour).stroke_width(2);
        let seg = vec![(6, y), (46, y)];
        match line.dash {
            Dash::Solid => area.draw(&PathElement::new(seg, style))?,
            Dash::Dashed => area.draw(&DashedPathElement::new(seg, 9, 6, style))?,
            Dash::Dotted => area.draw(&DashedPathElement::new(seg, 2, 5, style))?,
        }
        area.draw(&marker((26, y), line.marker, line.colour))?;
        area.draw(&Text::new(shorten(&line.label), (54, y), text.clone()))?;
    }
    Ok(())
}

/// `label` cut to [`LEGEND_CHARS`] characters with an ellipsis.
fn shorten(label: &str) -> String {
    if label.chars().count() <= LEGEND_CHARS {
        return label.to_string();
    }
    let mut s: String = label.chars().take(LEGEND_CHARS - 1).collect();
    s.push('…');
    s
}

/// About five "nice" ticks (1, 2, 2.5, 5 x 10^k) covering [min, max].
pub fn linear_ticks(min: f64, max: f64) -> Vec<f64> {
    if max.partial_cmp(&min) != Some(std::cmp::Ordering::Greater) {
        return vec![min];
    }
    let raw = (max - min) / 6.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let first = (min / step).ceil() as i64;
    let last = (max / step + 1e-9).floor() as i64;
    (first..=last).map(|i| i as f64 * step).collect()
}

/// Ticks at 1, 2, 5 x 10^k inside [min, max] (only powers of ten when the range spans more than three decades).
pub fn log_ticks(min: f64, max: f64) -> Vec<f64> {
    let (lo, hi) = (
        min.max(f64::MIN_POSITIVE).log10().floor() as i32,
        max.log10().ceil() as i32,
    );
    let mantissas: &[f64] = if hi - lo > 3 {
        &[1.0]
    } else {
        &[1.0, 2.0, 5.0]
    };
    let mut out = Vec::new();
    for e in lo..=hi {
        for m in mantissas {
            let v = m * 10f64.powi(e);
            if v >= min * (1.0 - 1e-9) && v <= max * (1.0 + 1e-9) {
                out.push(v);
            }
        }
    }
    out
}

/// Thread-count ticks: every count when there are few, else powers of two.
pub fn thread_ticks(threads: &[usize]) -> Vec<f64> {
    let mut t: Vec<usize> = threads.to_vec();
    t.sort_unstable();
    t.dedup();
    if t.len() > 10 {
        let max = t.last().copied().unwrap_or(1);
        t = (0..)
            .map(|i| 1usize << i)
            .take_while(|&p| p <= max)
            .collect();
    }
    t.into_iter().map(|v| v as f64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_ticks_are_round() {
        assert_eq!(linear_ticks(0.0, 10.0), vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        assert_eq!(linear_ticks(0.0, 550e6).len(), 6);
    }

    #[test]
    fn log_ticks_use_1_2_5() {
        assert_eq!(
            log_ticks(10.0, 1000.0),
            vec![10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0]
        );
        assert_eq!(
            log_ticks(1.0, 1e6),
            vec![1.0, 10.0, 100.0, 1e3, 1e4, 1e5, 1e6]
        );
    }

    #[test]
    fn a_chart_renders_its_lines_and_legend() {
        let chart = LineChart {
            title: "t".into(),
            x: Axis {
                label: "threads".into(),
                scale: Scale::Linear,
                min: 0.5,
                max: 2.5,
                ticks: vec![1.0, 2.0],
                format: |v| format!("{v:.0}"),
            },
            y: Axis {
                label: "ops/s".into(),
                scale: Scale::Log,
                min: 1.0,
                max: 100.0,
                ticks: log_ticks(1.0, 100.0),
                format: |v| format!("{v}"),
            },
            lines: vec![Line {
                label: "counter/atomic".into(),
                colour: COOL[0],
                dash: Dash::Dashed,
                marker: Marker::Square,
                points: vec![
                    Point {
                        x: 1.0,
                        y: 10.0,
                        lo: Some(8.0),
                        hi: Some(12.0),
                    },
                    Point::new(2.0, 20.0),
                ],
            }],
        };
        let svg = render(&chart);
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(
            svg.contains("counter/atomic") && svg.contains("#1F77B4"),
            "{svg}"
        );
        assert_eq!(svg, render(&chart), "deterministic");
    }
}
