//! Tests of the heat map: one cell per CPU pair in the results' CPU order, the diagonal, sampled
//! and failed pairs marked apart, and one colour scale across panels (machines).

use super::*;
use crate::primitives_schema::Spread;

fn ok(v: f64) -> Measured {
    Measured::Ok {
        ns: Spread {
            median: v,
            p10: v,
            p90: v,
            min: v,
            max: v,
            repetitions: 1,
        },
        ops: 64,
    }
}

/// A map of `cpus` whose pair (a, b) measures `f(a, b)` (None: not sampled).
fn map(cpus: &[usize], f: impl Fn(usize, usize) -> Option<Measured>) -> CoreToCore {
    let pairs = cpus
        .iter()
        .flat_map(|&a| cpus.iter().map(move |&b| (a, b)))
        .filter(|(a, b)| a != b)
        .filter_map(|(a, b)| {
            let m = f(a, b)?;
            Some(PairLatency {
                from: a,
                to: b,
                relation: "same-package".into(),
                store_load: m.clone(),
                cas: m,
            })
        })
        .collect();
    CoreToCore {
        cpus: cpus.to_vec(),
        pairs_possible: (cpus.len() * cpus.len().saturating_sub(1)) as u64,
        selection: "test".into(),
        store_load_method: String::new(),
        cas_method: String::new(),
        pairs,
    }
}

fn panel(m: &CoreToCore) -> Panel {
    Panel::from_map("t", m, |p| &p.store_load, |cpu| usize::from(cpu >= 2))
}

/// The texts of `svg` drawn with `anchor` (`start`, `middle`, `end`), in drawing order.
fn texts(svg: &str, anchor: &str) -> Vec<String> {
    svg.split("<text ")
        .skip(1)
        .filter(|t| t.contains(&format!("text-anchor=\"{anchor}\"")))
        .filter_map(|t| {
            Some(
                t.split_once(">\n")?
                    .1
                    .split_once("\n</text>")?
                    .0
                    .to_string(),
            )
        })
        .collect()
}

/// Cells drawn in `svg`: square rects of the panel's cell size.
fn cells(svg: &str, cell: u32) -> usize {
    svg.matches(&format!("width=\"{cell}\" height=\"{cell}\""))
        .count()
}

#[test]
fn a_two_cpu_map_has_four_cells_and_a_marked_diagonal() {
    let m = map(&[0, 1], |a, b| Some(ok(if a < b { 60.0 } else { 66.0 })));
    let p = panel(&m);
    assert_eq!(
        p.cells,
        vec![
            Cell::SameCpu,
            Cell::Value(60.0),
            Cell::Value(66.0),
            Cell::SameCpu
        ]
    );
    let scale = ColourScale::spanning(std::slice::from_ref(&p)).unwrap();
    let (svg, width) = render(std::slice::from_ref(&p), Some(&scale));
    assert!(svg.starts_with("<svg") && width > 0);
    assert_eq!(cells(&svg, p.cell_px()), 4, "{svg}");
    assert!(svg.contains(&hex(SAME_CPU)) && svg.contains('–'));
    let middle = texts(&svg, "middle");
    assert!(
        middle.contains(&"60.0".into()) && middle.contains(&"66.0".into()),
        "{middle:?}"
    );
    assert_eq!(
        svg,
        render(std::slice::from_ref(&p), Some(&scale)).0,
        "deterministic"
    );
}

#[test]
fn cells_follow_the_cpu_order_of_the_results() {
    // Topology order with SMT siblings adjacent: 0, 2 on one core, 1, 3 on another package.
    let order = [0, 2, 1, 3];
    let m = map(&order, |a, b| Some(ok((10 * a + b) as f64 + 1.0)));
    let p = panel(&m);
    assert_eq!(p.cells.len(), 16);
    // Row 0 is CPU 0; its column 1 is CPU 2: the pair 0 -> 2.
    assert_eq!(p.cells[1], Cell::Value(3.0));
    // Row 2 is CPU 1, column 3 is CPU 3.
    assert_eq!(p.cells[2 * 4 + 3], Cell::Value(14.0));
    for i in 0..4 {
        assert_eq!(p.cells[i * 4 + i], Cell::SameCpu);
    }
    let (svg, _) = render(
        std::slice::from_ref(&p),
        ColourScale::spanning(std::slice::from_ref(&p)).as_ref(),
    );
    assert_eq!(cells(&svg, p.cell_px()), 16);
    // Row labels (right-aligned) in the results' order.
    assert_eq!(texts(&svg, "end"), ["0", "2", "1", "3"]);
    // A line between the packages (after the second CPU).
    assert!(svg.contains("stroke-width=\"2\""), "{svg}");
}

#[test]
fn failed_and_unsampled_pairs_are_marked_apart_from_figures() {
    let m = map(&[0, 1, 2], |a, b| match (a, b) {
        (0, 1) => Some(Measured::Error {
            message: "held 7".into(),
        }),
        (1, 0) => Some(ok(50.0)),
        _ => None,
    });
    let p = panel(&m);
    assert_eq!(p.cells[1], Cell::Error);
    assert_eq!(p.cells[3], Cell::Value(50.0));
    assert_eq!(p.cells[2], Cell::NotSampled);
    let (svg, _) = render(
        std::slice::from_ref(&p),
        ColourScale::spanning(std::slice::from_ref(&p)).as_ref(),
    );
    // Drawn: 3 diagonal, 1 error, 1 figure; the unsampled ones are the map's background.
    assert_eq!(cells(&svg, p.cell_px()), 5);
    assert!(svg.contains(&hex(ERROR)) && svg.contains('×'));
    assert!(svg.contains(&hex(NOT_SAMPLED)));
}

#[test]
fn the_scale_runs_light_to_dark_from_zero_and_spans_every_panel() {
    let fast = map(&[0, 1], |_, _| Some(ok(10.0)));
    let slow = map(&[0, 1, 2, 3], |a, b| {
        Some(ok(if a < b { 50.0 } else { 95.0 }))
    });
    let panels = [panel(&fast), panel(&slow)];
    let scale = ColourScale::spanning(&panels).unwrap();
    assert_eq!(
        (scale.min, scale.max),
        (0.0, 100.0),
        "0 to a round tick above 95"
    );
    assert_eq!(scale.ticks.first(), Some(&0.0));
    assert_eq!(scale.ticks.last(), Some(&100.0));
    assert_eq!(
        scale.colour(0.0),
        RGBColor(0xFD, 0xE7, 0x25),
        "fastest is lightest"
    );
    assert_eq!(
        scale.colour(100.0),
        RGBColor(0x44, 0x01, 0x54),
        "slowest is darkest"
    );
    assert_eq!(scale.colour(1e6), scale.colour(100.0), "clamped");
    let luminance =
        |c: RGBColor| 0.299 * f64::from(c.0) + 0.587 * f64::from(c.1) + 0.114 * f64::from(c.2);
    let steps: Vec<f64> = (0..=20)
        .map(|i| luminance(scale.colour(5.0 * f64::from(i))))
        .collect();
    assert!(steps.windows(2).all(|w| w[0] >= w[1]), "{steps:?}");
    let (svg, _) = render(&panels, Some(&scale));
    assert_eq!(
        panels[0].cell_px(),
        panels[1].cell_px(),
        "both at the largest cell"
    );
    assert_eq!(cells(&svg, panels[0].cell_px()), 4 + 16);
    // The fast machine's cells are light on the shared scale; alone, its own scale would end at
    // its 10 ns and paint them dark.
    let fast_shared = format!("fill=\"{}\"", hex(scale.colour(10.0)));
    assert!(svg.contains(&fast_shared));
    let alone = ColourScale::spanning(std::slice::from_ref(&panels[0])).unwrap();
    assert_eq!(alone.max, 10.0);
    assert_ne!(alone.colour(10.0), scale.colour(10.0));
    assert!(svg.contains(&format!("fill=\"{}\"", hex(scale.colour(95.0)))));
    assert!(
        texts(&svg, "start").contains(&"100".into()),
        "a tick at the top of the shared scale"
    );
}

#[test]
fn a_map_without_figures_has_no_scale_but_still_draws() {
    let one = map(&[0], |_, _| None);
    let p = panel(&one);
    assert_eq!(p.cells, vec![Cell::SameCpu]);
    assert!(ColourScale::spanning(std::slice::from_ref(&p)).is_none());
    let (svg, _) = render(std::slice::from_ref(&p), None);
    assert_eq!(cells(&svg, p.cell_px()), 1);
    let same = map(&[0, 1], |_, _| Some(ok(30.0)));
    let s = ColourScale::spanning(&[panel(&same)]).unwrap();
    assert!(s.min == 0.0 && s.max >= 30.0, "{s:?}");
}
