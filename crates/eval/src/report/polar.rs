//! Average shower images per layer on a cylindrical voxelisation (the CaloChallenge's
//! `evaluate.py` draws them as polar plots, one panel per layer): the data ([`PolarImages`]) and
//! their drawing, one disc per layer, wedges coloured by log10 of the mean voxel energy on one
//! colour scale shared by all layers and both samples.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::plot_style::*;

/// One sample's mean voxel energies, layer by layer, on a cylindrical voxelisation.
#[derive(Debug, Clone, PartialEq)]
pub struct PolarImages {
    /// File stem of the PNG.
    pub name: String,
    pub title: String,
    pub caption: String,
    pub layers: Vec<PolarLayer>,
    /// The colour scale, MeV (log): shared with the other sample's figure so they compare.
    pub range_mev: (f64, f64),
}

#[derive(Debug, Clone, PartialEq)]
pub struct PolarLayer {
    pub label: String,
    /// Radial bin edges, mm.
    pub r_edges: Vec<f64>,
    pub n_alpha: usize,
    /// Mean energy per voxel (MeV), CaloChallenge order within a layer: α-major, `α·n_r + r`.
    pub mean_mev: Vec<f64>,
}

pub const POLAR_COLUMNS: u32 = 9;
const PANEL: u32 = 150;
const HEADER: u32 = 60;
const BAR: u32 = 70;

/// Pixel size: panels of 150 px in rows of nine, a title above and a colour bar below.
pub fn polar_size(p: &PolarImages) -> (u32, u32) {
    let n = p.layers.len().max(1) as u32;
    let cols = n.min(POLAR_COLUMNS);
    let rows = n.div_ceil(POLAR_COLUMNS);
    ((cols * PANEL).max(600), HEADER + rows * PANEL + BAR)
}

/// A perceptual sequential colour (viridis' end points and middle), `t` in [0, 1].
pub fn sequential(t: f64) -> RGBColor {
    let stops = [
        (68.0, 1.0, 84.0),
        (59.0, 82.0, 139.0),
        (33.0, 145.0, 140.0),
        (94.0, 201.0, 98.0),
        (253.0, 231.0, 37.0),
    ];
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let x = t * (stops.len() - 1) as f64;
    let i = (x.floor() as usize).min(stops.len() - 2);
    let f = x - i as f64;
    let (a, b) = (stops[i], stops[i + 1]);
    let mix = |p: f64, q: f64| (p + (q - p) * f).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Where `v` (MeV) falls on the log colour scale; `None`: empty (drawn white).
fn scale(v: f64, (lo, hi): (f64, f64)) -> Option<f64> {
    (v > 0.0 && v.is_finite()).then(|| (v.log10() - lo.log10()) / (hi.log10() - lo.log10()))
}

pub fn draw_polar(
    root: &DrawingArea<BitMapBackend, Shift>,
    p: &PolarImages,
) -> Result<(), PlotError> {
    let e = err(&p.name);
    root.fill(&WHITE).map_err(&e)?;
    let (lo, hi) = p.range_mev;
    if !(lo > 0.0 && hi > lo && hi.is_finite()) {
        return Err(PlotError(format!(
            "plot `{}`: colour range {lo} .. {hi} MeV is not 0 < lo < hi",
            p.name
        )));
    }
    let (w, _) = root.dim_in_pixel();
    root.draw(&Text::new(
        p.title.clone(),
        (10, 15),
        (FONT, 22).into_font().color(&BLACK),
    ))
    .map_err(&e)?;
    for (k, layer) in p.layers.iter().enumerate() {
        let (col, row) = (k as u32 % POLAR_COLUMNS, k as u32 / POLAR_COLUMNS);
        let cx = (col * PANEL + PANEL / 2) as f64;
        let cy = (HEADER + row * PANEL + PANEL / 2 + 8) as f64;
        let n_r = layer.r_edges.len().saturating_sub(1);
        let r_max = layer.r_edges.last().copied().unwrap_or(1.0).max(1e-9);
        let px = (PANEL as f64 / 2.0 - 14.0) / r_max;
        for a in 0..layer.n_alpha {
            // α bins from −π, as the challenge's α = atan2(y, x) binning.
            let a0 =
                -std::f64::consts::PI + a as f64 * std::f64::consts::TAU / layer.n_alpha as f64;
            let a1 = a0 + std::f64::consts::TAU / layer.n_alpha as f64;
            for r in 0..n_r {
                let Some(v) = layer.mean_mev.get(a * n_r + r) else {
                    continue;
                };
                let Some(t) = scale(*v, p.range_mev) else {
                    continue;
                };
                let (r0, r1) = (layer.r_edges[r] * px, layer.r_edges[r + 1] * px);
                let steps = 6;
                let mut poly = Vec::with_capacity(2 * steps + 2);
                for s in 0..=steps {
                    let th = a0 + (a1 - a0) * s as f64 / steps as f64;
                    poly.push(((cx + r1 * th.cos()) as i32, (cy - r1 * th.sin()) as i32));
                }
                for s in (0..=steps).rev() {
                    let th = a0 + (a1 - a0) * s as f64 / steps as f64;
                    poly.push(((cx + r0 * th.cos()) as i32, (cy - r0 * th.sin()) as i32));
                }
                root.draw(&Polygon::new(poly, sequential(t).filled()))
                    .map_err(&e)?;
            }
        }
        root.draw(&Circle::new(
            (cx as i32, cy as i32),
            (r_max * px) as i32,
            G4_EDGE.stroke_width(1),
        ))
        .map_err(&e)?;
        root.draw(&Text::new(
            layer.label.clone(),
            (
                (cx - PANEL as f64 / 2.0 + 6.0) as i32,
                (cy - PANEL as f64 / 2.0 - 6.0) as i32,
            ),
            (FONT, 15).into_font().color(&BLACK),
        ))
        .map_err(&e)?;
    }
    // Colour bar: log10 of the mean voxel energy.
    let (_, h) = root.dim_in_pixel();
    let (x0, x1, y0) = (40i32, w as i32 - 40, h as i32 - BAR as i32 + 12);
    let n = (x1 - x0).max(1);
    for i in 0..n {
        root.draw(&Rectangle::new(
            [(x0 + i, y0), (x0 + i + 1, y0 + 16)],
            sequential(i as f64 / n as f64).filled(),
        ))
        .map_err(&e)?;
    }
    for (x, v) in [(x0, lo), (x1, hi)] {
        root.draw(&Text::new(
            format!("{} MeV", short(v)),
            (x - 20, y0 + 22),
            (FONT, 15).into_font().color(&BLACK),
        ))
        .map_err(&e)?;
    }
    root.draw(&Text::new(
        "mean voxel energy (log scale; white: empty)".to_string(),
        (w as i32 / 2 - 150, y0 + 22),
        (FONT, 15).into_font().color(&BLACK),
    ))
    .map_err(&e)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequential_runs_from_dark_to_light() {
        let lum = |c: RGBColor| 0.3 * c.0 as f64 + 0.59 * c.1 as f64 + 0.11 * c.2 as f64;
        let mut last = -1.0;
        for k in 0..=20 {
            let l = lum(sequential(k as f64 / 20.0));
            assert!(l > last, "step {k}");
            last = l;
        }
        assert_eq!(scale(0.0, (1e-3, 1.0)), None);
        assert!((scale(1e-3, (1e-3, 1.0)).unwrap()).abs() < 1e-12);
    }
}
