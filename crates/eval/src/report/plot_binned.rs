//! A binned Geant4-vs-generated pair: Geant4 filled grey, the generated sample as a line, the
//! ratio panel below with Geant4's statistical band around 1.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::figure::BinnedPair;
use super::plot_style::*;

/// Axis transform: identity or log10.
#[derive(Clone, Copy)]
struct Axis {
    log: bool,
    /// Extent of the axis in axis units, to recognise rounding noise next to 0.
    span: f64,
}

impl Axis {
    fn to(self, v: f64) -> f64 {
        if self.log {
            v.log10()
        } else {
            v
        }
    }

    fn label(self, v: f64) -> String {
        if self.log {
            short(10f64.powf(v))
        } else {
            tick(v, self.span)
        }
    }

    /// How many tick labels plotters may place over `[lo, hi]` (in axis units): on a log axis
    /// spanning two decades or more, one per decade, so the ticks fall on powers of ten.
    fn ticks(self, lo: f64, hi: f64, default: usize) -> usize {
        let span = hi - lo;
        if self.log && span >= 2.0 {
            (span.floor() as usize + 1).clamp(3, default)
        } else {
            default
        }
    }

    /// Whether `v` can be placed on this axis.
    fn ok(self, v: f64) -> bool {
        v.is_finite() && (!self.log || v > 0.0)
    }
}

/// A legend entry with its sample size: "Geant4 (n = 1000)"; the bare name when unknown.
pub fn legend_label(name: &str, n: usize) -> String {
    if n == 0 {
        name.to_string()
    } else {
        format!("{name} (n = {n})")
    }
}

/// The bins whose ratio lies beyond the panel `[r0, r1]` (which stops at 0 and 2 at most), with
/// `true` above and `false` below: drawn as triangles on the panel's edge so that a ratio of 40
/// does not pass for one of 2.
pub fn beyond_panel(ratio: &[Option<f64>], r0: f64, r1: f64) -> Vec<(usize, bool)> {
    ratio
        .iter()
        .enumerate()
        .filter_map(|(i, q)| match q {
            Some(q) if *q > r1 => Some((i, true)),
            Some(q) if *q < r0 => Some((i, false)),
            _ => None,
        })
        .collect()
}

/// Points of a step line over bins; `None` values break the line.
fn steps(xs: &[f64], ys: &[Option<f64>]) -> Vec<Vec<(f64, f64)>> {
    let mut out = Vec::new();
    let mut cur: Vec<(f64, f64)> = Vec::new();
    for (i, y) in ys.iter().enumerate() {
        match y {
            Some(y) => {
                cur.push((xs[i], *y));
                cur.push((xs[i + 1], *y));
            }
            None => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

pub fn draw_binned(
    root: &DrawingArea<BitMapBackend, Shift>,
    f: &BinnedPair,
) -> Result<(), PlotError> {
    let e = err(&f.name);
    root.fill(&WHITE).map_err(&e)?;
    let nb = f.edges.len().saturating_sub(1);
    if nb == 0 || f.reference.value.len() != nb || f.generated.value.len() != nb {
        return Err(PlotError(format!(
            "plot `{}`: {} edges but {} and {} values",
            f.name,
            f.edges.len(),
            f.reference.value.len(),
            f.generated.value.len()
        )));
    }
    let mut xa = Axis {
        log: f.log_x,
        span: 0.0,
    };
    let mut ya = Axis {
        log: f.log_y,
        span: 0.0,
    };
    let xs: Vec<f64> = f
        .edges
        .iter()
        .map(|&x| if xa.ok(x) { xa.to(x) } else { f64::NAN })
        .collect();
    // Bins whose edges cannot be placed (x ≤ 0 on a log axis) are left out.
    let bin_ok = |i: usize| xs[i].is_finite() && xs[i + 1].is_finite();
    let first = (0..nb).find(|&i| bin_ok(i));
    let Some(first) = first else {
        return Err(PlotError(format!(
            "plot `{}`: no bin fits the axis",
            f.name
        )));
    };
    let last = (0..nb).rev().find(|&i| bin_ok(i)).unwrap_or(first);
    let (x0, x1) = (xs[first], xs[last + 1]);
    xa.span = x1 - x0;

    let vals = f
        .reference
        .value
        .iter()
        .chain(&f.generated.value)
        .copied()
        .filter(|&v| ya.ok(v) && v != 0.0);
    let (lo, hi) = vals.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    let (y0, y1) = if !lo.is_finite() {
        if f.log_y {
            (-1.0, 1.0)
        } else {
            (0.0, 1.0)
        }
    } else if f.log_y {
        // Room above for the legend.
        let (l, h) = (lo.log10(), hi.log10());
        (l - 0.15 * (h - l).max(1.0), h + 0.35 * (h - l).max(1.0))
    } else {
        (0.0_f64.min(lo), hi * 1.3)
    };
    ya.span = y1 - y0;
    let y_at = |v: f64| -> Option<f64> {
        if ya.ok(v) && !(f.log_y && v == 0.0) {
            Some(ya.to(v).clamp(y0, y1))
        } else if v == 0.0 || f.log_y && v.is_finite() {
            // A 0 on a log axis (an empty bin) drops to the bottom of the plot, as in matplotlib.
            Some(y0)
        } else {
            None
        }
    };

    let (top, bottom) = root.split_vertically((HEIGHT as f64 * 0.68) as u32);
    let label_font = (FONT, 20).into_font();
    let desc_font = (FONT, 21).into_font();
    let y_area = 110;
    let mut chart = ChartBuilder::on(&top)
        .caption(&f.title, (FONT, 26).into_font())
        .margin_top(10)
        .margin_left(12)
        .margin_right(28)
        .margin_bottom(4)
        .x_label_area_size(8)
        .y_label_area_size(y_area)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(&e)?;
    let ylab = |v: &f64| ya.label(*v);
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(xa.ticks(x0, x1, 8))
        .x_label_formatter(&|_| String::new())
        .y_labels(ya.ticks(y0, y1, 7))
        .y_label_formatter(&ylab)
        .y_desc(&f.y_label)
        .label_style(label_font.clone())
        .axis_desc_style(desc_font.clone())
        .draw()
        .map_err(&e)?;

    // Geant4: filled bins, then the outline.
    let ref_y: Vec<Option<f64>> = (0..nb)
        .map(|i| {
            if bin_ok(i) {
                y_at(f.reference.value[i])
            } else {
                None
            }
        })
        .collect();
    chart
        .draw_series((0..nb).filter_map(|i| {
            let y = ref_y[i]?;
            (y > y0).then(|| Rectangle::new([(xs[i], y0), (xs[i + 1], y)], G4_FILL.filled()))
        }))
        .map_err(&e)?
        .label(legend_label("Geant4", f.reference.n))
        .legend(|(x, y)| Rectangle::new([(x, y - 7), (x + 24, y + 7)], G4_FILL.filled()));
    for seg in steps(&xs, &ref_y) {
        chart
            .draw_series(std::iter::once(PathElement::new(
                seg,
                G4_EDGE.stroke_width(1),
            )))
            .map_err(&e)?;
    }
    let gen_y: Vec<Option<f64>> = (0..nb)
        .map(|i| {
            if bin_ok(i) {
                y_at(f.generated.value[i])
            } else {
                None
            }
        })
        .collect();
    let mut first_seg = true;
    for seg in steps(&xs, &gen_y) {
        let a = chart
            .draw_series(std::iter::once(PathElement::new(seg, GEN.stroke_width(2))))
            .map_err(&e)?;
        if first_seg {
            a.label(legend_label("generated", f.generated.n))
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], GEN.stroke_width(2)));
            first_seg = false;
        }
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .margin(12)
        .label_font(label_font.clone())
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(&e)?;

    // Ratio panel: Geant4's relative statistical error as a band around 1, the generated sample's
    // ratio as a step line with its own statistical error bars.
    let mut band = Vec::new();
    let mut ratio: Vec<Option<f64>> = vec![None; nb];
    let mut bars = Vec::new();
    // Deviation that sets the ratio scale: over bins with a well-known Geant4 value, or over
    // all bins when there are none (small samples).
    let (mut dev, mut dev_all): (f64, f64) = (0.0, 0.0);
    #[allow(clippy::needless_range_loop)] // i indexes four parallel arrays
    for i in 0..nb {
        let r = f.reference.value[i];
        if !(bin_ok(i) && r > 0.0 && r.is_finite()) {
            continue;
        }
        let rel = f.reference.error[i] / r;
        let g = f.generated.value[i];
        if rel.is_finite() {
            band.push((i, rel));
        }
        if g.is_finite() {
            let q = g / r;
            let eq = f.generated.error[i] / r;
            ratio[i] = Some(q);
            bars.push((i, q, if eq.is_finite() { eq } else { 0.0 }));
            if rel < 0.3 {
                dev = dev.max((q - 1.0).abs());
            }
            dev_all = dev_all.max((q - 1.0).abs());
        }
    }
    if dev == 0.0 {
        dev = dev_all;
    }
    let half = [0.25, 0.5, 1.0]
        .into_iter()
        .find(|&h| dev * 1.1 <= h)
        .unwrap_or(1.0);
    let (r0, r1) = (1.0 - half, 1.0 + half);
    let mut rc = ChartBuilder::on(&bottom)
        .margin_left(12)
        .margin_right(28)
        .margin_bottom(8)
        .x_label_area_size(68)
        .y_label_area_size(y_area)
        .build_cartesian_2d(x0..x1, r0..r1)
        .map_err(&e)?;
    let xlab = |v: &f64| xa.label(*v);
    let rlab = |v: &f64| tick(*v, r1 - r0);
    rc.configure_mesh()
        .disable_mesh()
        .x_labels(xa.ticks(x0, x1, 8))
        .x_label_formatter(&xlab)
        .y_labels(5)
        .y_label_formatter(&rlab)
        .x_desc(&f.x_label)
        .y_desc("generated / G4")
        .label_style(label_font)
        .axis_desc_style(desc_font)
        .draw()
        .map_err(&e)?;
    rc.draw_series(band.iter().map(|&(i, rel)| {
        Rectangle::new(
            [
                (xs[i], (1.0 - rel).max(r0)),
                (xs[i + 1], (1.0 + rel).min(r1)),
            ],
            BAND.mix(0.7).filled(),
        )
    }))
    .map_err(&e)?;
    rc.draw_series(std::iter::once(PathElement::new(
        vec![(x0, 1.0), (x1, 1.0)],
        BLACK.stroke_width(1),
    )))
    .map_err(&e)?;
    let clipped: Vec<Option<f64>> = ratio.iter().map(|r| r.map(|q| q.clamp(r0, r1))).collect();
    // Ratios beyond the panel: a triangle on its edge pointing the way out, and a count.
    let out = beyond_panel(&ratio, r0, r1);
    let h = 0.12 * (r1 - r0);
    rc.draw_series(out.iter().map(|&(i, above)| {
        let (a, b) = (xs[i], xs[i + 1]);
        let (l, m, r) = (a + 0.2 * (b - a), 0.5 * (a + b), b - 0.2 * (b - a));
        let (tip, base) = if above { (r1, r1 - h) } else { (r0, r0 + h) };
        Polygon::new(vec![(l, base), (m, tip), (r, base)], GEN.filled())
    }))
    .map_err(&e)?;
    if !out.is_empty() {
        let note = format!(
            "{} bin(s) beyond {:.1}–{:.1} (triangles)",
            out.len(),
            r0,
            r1
        );
        rc.draw_series(std::iter::once(Text::new(
            note,
            (x0 + 0.02 * (x1 - x0), r1 - 0.25 * (r1 - r0)),
            (FONT, 18).into_font(),
        )))
        .map_err(&e)?;
    }
    for seg in steps(&xs, &clipped) {
        rc.draw_series(std::iter::once(PathElement::new(seg, GEN.stroke_width(2))))
            .map_err(&e)?;
    }
    rc.draw_series(bars.iter().filter(|b| b.2 > 0.0).map(|&(i, q, eq)| {
        let xc = 0.5 * (xs[i] + xs[i + 1]);
        PathElement::new(
            vec![(xc, (q - eq).clamp(r0, r1)), (xc, (q + eq).clamp(r0, r1))],
            GEN.stroke_width(1),
        )
    }))
    .map_err(&e)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_beyond_the_panel_are_marked_and_legends_carry_n() {
        let ratio = [
            Some(40.0),
            Some(1.5),
            None,
            Some(-0.2),
            Some(2.0),
            Some(0.0),
        ];
        // The panel [0, 2]: 40 above, −0.2 below; its edges themselves are inside.
        assert_eq!(beyond_panel(&ratio, 0.0, 2.0), vec![(0, true), (3, false)]);
        assert_eq!(legend_label("Geant4", 1000), "Geant4 (n = 1000)");
        assert_eq!(legend_label("generated", 0), "generated");
    }
}
