//! PNG plots in the papers' style: Geant4 as a filled grey histogram, the generated sample as a
//! line, the ratio generated / Geant4 below with Geant4's statistical band around 1; matrix
//! differences as a diverging heatmap with a colour bar.
//!
//! plotters draws into an RGB buffer with the embedded DejaVu Sans (no system fonts, no
//! fontconfig) and the `png` crate encodes it. Logarithmic axes are drawn as linear axes over
//! log10 of the values, labelled with the values themselves.

use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};

use super::figure::{BinnedPair, Figure, MatrixDiff};

pub const WIDTH: u32 = 900;
pub const HEIGHT: u32 = 720;
const MATRIX_WIDTH: u32 = 900;
const MATRIX_HEIGHT: u32 = 780;

static DEJAVU_SANS: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
const FONT: &str = "sans-serif";

const G4_FILL: RGBColor = RGBColor(200, 200, 200);
const G4_EDGE: RGBColor = RGBColor(110, 110, 110);
const GEN: RGBColor = RGBColor(31, 98, 180);
const BAND: RGBColor = RGBColor(190, 190, 190);

/// Why a plot could not be drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct PlotError(pub String);

impl std::fmt::Display for PlotError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PlotError {}

fn err<E: std::fmt::Debug>(name: &str) -> impl Fn(E) -> PlotError + '_ {
    move |e| PlotError(format!("plot `{name}`: {e:?}"))
}

fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The font is compiled in, so it parses or the build is broken: the test below checks.
        let ok = register_font(FONT, FontStyle::Normal, DEJAVU_SANS).is_ok();
        debug_assert!(ok, "embedded DejaVu Sans does not parse");
    });
}

/// Pixel size of a figure's PNG.
pub fn size_of(figure: &Figure) -> (u32, u32) {
    match figure {
        Figure::Binned(_) => (WIDTH, HEIGHT),
        Figure::Matrix(_) => (MATRIX_WIDTH, MATRIX_HEIGHT),
    }
}

/// Draw a figure into an RGB8 buffer (`width × height × 3`).
pub fn render_rgb(figure: &Figure) -> Result<(Vec<u8>, u32, u32), PlotError> {
    register_fonts();
    let (w, h) = size_of(figure);
    let mut buf = vec![255u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        match figure {
            Figure::Binned(b) => draw_binned(&root, b)?,
            Figure::Matrix(m) => draw_matrix(&root, m)?,
        }
        root.present().map_err(err(figure.name()))?;
    }
    Ok((buf, w, h))
}

/// Draw a figure and encode it as PNG.
pub fn render_png(figure: &Figure) -> Result<Vec<u8>, PlotError> {
    let (buf, w, h) = render_rgb(figure)?;
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header().map_err(err(figure.name()))?;
        writer.write_image_data(&buf).map_err(err(figure.name()))?;
        writer.finish().map_err(err(figure.name()))?;
    }
    Ok(out)
}

/// A tick label on an axis spanning `span`: rounding noise next to 0 (−5.6e-17) prints as 0.
fn tick(v: f64, span: f64) -> String {
    if v.abs() <= 1e-9 * span.abs() {
        "0".into()
    } else {
        short(v)
    }
}

/// A tick label: the value with at most three significant digits, no trailing zeros.
fn short(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return "0".into();
    }
    let a = v.abs();
    if !(1e-3..1e4).contains(&a) {
        let s = format!("{v:.1e}");
        return s.replace(".0e", "e");
    }
    let decimals = (2 - a.log10().floor() as i32).max(0) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

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

fn draw_binned(root: &DrawingArea<BitMapBackend, Shift>, f: &BinnedPair) -> Result<(), PlotError> {
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
        .label("Geant4")
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
            a.label("generated")
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

/// Diverging colour: blue for negative, white at 0, red for positive; `t` in [−1, 1].
fn diverging(t: f64) -> RGBColor {
    let t = if t.is_finite() {
        t.clamp(-1.0, 1.0)
    } else {
        0.0
    };
    let (end, s) = if t < 0.0 {
        ((33.0, 102.0, 172.0), -t)
    } else {
        ((178.0, 24.0, 43.0), t)
    };
    let mix = |c: f64| (255.0 + (c - 255.0) * s).round() as u8;
    RGBColor(mix(end.0), mix(end.1), mix(end.2))
}

/// A colour-bar limit: the largest |value| rounded up to 1, 2 or 5 × 10^k.
fn nice_limit(m: f64) -> f64 {
    if !(m.is_finite() && m > 0.0) {
        return 1.0;
    }
    let p = 10f64.powf(m.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|k| k * p)
        .find(|&v| v >= m * (1.0 - 1e-12))
        .unwrap_or(10.0 * p)
}

fn draw_matrix(root: &DrawingArea<BitMapBackend, Shift>, m: &MatrixDiff) -> Result<(), PlotError> {
    let e = err(&m.name);
    root.fill(&WHITE).map_err(&e)?;
    let n = m.labels.len();
    if n == 0 || m.values.len() != n * n {
        return Err(PlotError(format!(
            "plot `{}`: {} labels but {} values",
            m.name,
            n,
            m.values.len()
        )));
    }
    let vmax = nice_limit(
        m.values
            .iter()
            .filter(|v| v.is_finite())
            .fold(0.0_f64, |a, v| a.max(v.abs())),
    );
    let (main, bar) = root.split_horizontally(MATRIX_WIDTH - 150);
    let label_font = (FONT, 18).into_font();
    let desc_font = (FONT, 21).into_font();
    let lim = n as f64 - 0.5;
    // Row i sits at y = −i, so row 0 is at the top, as a matrix is read, and the ticks plotters
    // picks (multiples of 5 …) fall on round row numbers.
    let mut chart = ChartBuilder::on(&main)
        .caption(&m.title, (FONT, 26).into_font())
        .margin(14)
        .x_label_area_size(60)
        .y_label_area_size(70)
        .build_cartesian_2d(-0.5..lim, -lim..0.5)
        .map_err(&e)?;
    let label_at = |v: f64| -> String {
        let k = v.round();
        if (v - k).abs() > 1e-6 || k < 0.0 || k >= n as f64 {
            return String::new();
        }
        m.labels[k as usize].clone()
    };
    let xl = |v: &f64| label_at(*v);
    let yl = |v: &f64| label_at(-*v);
    let ticks = n.min(12);
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(ticks)
        .y_labels(ticks)
        .x_label_formatter(&xl)
        .y_label_formatter(&yl)
        .x_desc(&m.axis_label)
        .y_desc(&m.axis_label)
        .label_style(label_font.clone())
        .axis_desc_style(desc_font.clone())
        .draw()
        .map_err(&e)?;
    chart
        .draw_series((0..n * n).map(|k| {
            let (i, j) = (k / n, k % n);
            let v = m.values[k];
            let y = -(i as f64);
            let colour = if v.is_finite() {
                diverging(v / vmax)
            } else {
                RGBColor(255, 255, 255)
            };
            Rectangle::new(
                [(j as f64 - 0.5, y - 0.5), (j as f64 + 0.5, y + 0.5)],
                colour.filled(),
            )
        }))
        .map_err(&e)?;

    let mut cb = ChartBuilder::on(&bar)
        .margin_top(60)
        .margin_bottom(74)
        .margin_right(8)
        .set_label_area_size(LabelAreaPosition::Right, 90)
        .build_cartesian_2d(0.0..1.0, -vmax..vmax)
        .map_err(&e)?;
    let cl = |v: &f64| tick(*v, 2.0 * vmax);
    cb.configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_labels(5)
        .y_label_formatter(&cl)
        .y_desc(&m.colour_label)
        .label_style(label_font)
        .axis_desc_style(desc_font)
        .draw()
        .map_err(&e)?;
    let steps = 100;
    cb.draw_series((0..steps).map(|k| {
        let a = -vmax + 2.0 * vmax * k as f64 / steps as f64;
        let b = -vmax + 2.0 * vmax * (k + 1) as f64 / steps as f64;
        Rectangle::new(
            [(0.0, a), (1.0, b)],
            diverging(0.5 * (a + b) / vmax).filled(),
        )
    }))
    .map_err(&e)?;
    cb.draw_series(std::iter::once(Rectangle::new(
        [(0.0, -vmax), (1.0, vmax)],
        BLACK.stroke_width(1),
    )))
    .map_err(&e)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::figure::{BinnedPair, MatrixDiff};
    use std::collections::HashSet;

    /// Set CALOGEN_PLOT_DUMP=DIR to look at the test plots.
    fn dump(name: &str, png_bytes: &[u8]) {
        if let Some(dir) = std::env::var_os("CALOGEN_PLOT_DUMP") {
            std::fs::write(std::path::Path::new(&dir).join(name), png_bytes).unwrap();
        }
    }

    fn decode(png_bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let dec = png::Decoder::new(std::io::Cursor::new(png_bytes));
        let mut reader = dec.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!(info.color_type, png::ColorType::Rgb);
        buf.truncate(info.buffer_size());
        (info.width, info.height, buf)
    }

    fn colours(rgb: &[u8]) -> usize {
        rgb.chunks(3)
            .map(|p| (p[0], p[1], p[2]))
            .collect::<HashSet<_>>()
            .len()
    }

    /// Pixels of exactly this colour.
    fn count(rgb: &[u8], c: RGBColor) -> usize {
        rgb.chunks(3)
            .filter(|p| p[0] == c.0 && p[1] == c.1 && p[2] == c.2)
            .count()
    }

    fn gauss(n: usize, mu: f64, sigma: f64) -> Vec<f64> {
        // Deterministic quantiles of a normal through the logistic approximation: enough shape.
        (0..n)
            .map(|i| {
                let p = (i as f64 + 0.5) / n as f64;
                mu + sigma * (p / (1.0 - p)).ln() / 1.702
            })
            .collect()
    }

    #[test]
    fn font_is_embedded_and_parses() {
        assert!(register_font("calogen-test", FontStyle::Normal, DEJAVU_SANS).is_ok());
    }

    #[test]
    fn distribution_pair_renders() {
        let r = gauss(2000, 0.0, 1.0);
        let g = gauss(1500, 0.2, 1.1);
        let edges = crate::report::figure::plot_edges(&r, &g, 40);
        let fig = Figure::Binned(BinnedPair::distribution(
            "test_dist",
            "Test distribution",
            "x [mm]",
            &r,
            &g,
            edges,
        ));
        let png = render_png(&fig).unwrap();
        dump("dist.png", &png);
        let (w, h, rgb) = decode(&png);
        assert_eq!((w, h), (WIDTH, HEIGHT));
        // Antialiased text and lines give many colours; the fill and the line are there.
        assert!(colours(&rgb) > 20, "{}", colours(&rgb));
        assert!(count(&rgb, G4_FILL) > 5000, "Geant4 fill");
        assert!(count(&rgb, GEN) > 500, "generated line");
        let white = count(&rgb, RGBColor(255, 255, 255));
        assert!(white < rgb.len() / 3 * 95 / 100, "mostly blank");
    }

    #[test]
    fn log_log_distribution_and_profile_render() {
        let r: Vec<f64> = (1..3000).map(|i| 0.1 * 1.002f64.powi(i)).collect();
        let g: Vec<f64> = (1..2500).map(|i| 0.12 * 1.0024f64.powi(i)).collect();
        let edges = crate::report::figure::log_plot_edges(0.1, &r, &g, 30);
        let fig = Figure::Binned(
            BinnedPair::distribution("t_log", "Cell energy", "E [MeV]", &r, &g, edges)
                .log_x()
                .log_y(),
        );
        let png = render_png(&fig).unwrap();
        dump("loglog.png", &png);
        let (w, h, rgb) = decode(&png);
        assert_eq!((w, h), (WIDTH, HEIGHT));
        assert!(count(&rgb, GEN) > 300);

        // A profile with an empty bin on a log axis, and 3 showers.
        let edges: Vec<f64> = (0..=5).map(|i| i as f64 - 0.5).collect();
        let rows = [
            1.0, 10.0, 100.0, 10.0, 0.0, 2.0, 12.0, 90.0, 8.0, 0.0, 1.5, 11.0, 95.0, 9.0, 0.0,
        ];
        let fig = Figure::Binned(
            BinnedPair::profile("t_prof", "Profile", "layer", "E [MeV]", edges, &rows, &rows)
                .log_y(),
        );
        let png = render_png(&fig).unwrap();
        dump("profile.png", &png);
        let (_, _, rgb) = decode(&png);
        assert!(count(&rgb, G4_FILL) > 3000);
        assert!(count(&rgb, GEN) > 200);
    }

    #[test]
    fn matrix_difference_renders_with_colour_bar() {
        let n = 12;
        let values: Vec<f64> = (0..n * n)
            .map(|k| ((k / n) as f64 - (k % n) as f64) * 0.1 / (n - 1) as f64)
            .collect();
        let fig = Figure::Matrix(MatrixDiff {
            name: "t_corr".into(),
            title: "Layer-energy correlations".into(),
            axis_label: "layer".into(),
            colour_label: "Δρ".into(),
            labels: (0..n).map(|i| i.to_string()).collect(),
            values,
            caption: String::new(),
        });
        let png = render_png(&fig).unwrap();
        dump("matrix.png", &png);
        let (w, h, rgb) = decode(&png);
        assert_eq!((w, h), (MATRIX_WIDTH, MATRIX_HEIGHT));
        // Both ends of the colour map appear (the matrix corners and the bar ends).
        assert!(count(&rgb, diverging(1.0)) > 1000);
        assert!(count(&rgb, diverging(-1.0)) > 1000);
        assert!(colours(&rgb) > 100);
    }

    #[test]
    fn bad_shapes_are_errors_not_panics() {
        let mut b = BinnedPair::distribution("bad", "t", "x", &[1.0], &[1.0], vec![0.0, 2.0]);
        b.generated.value.clear();
        assert!(render_png(&Figure::Binned(b)).is_err());
        let m = MatrixDiff {
            name: "bad".into(),
            title: "t".into(),
            axis_label: "l".into(),
            colour_label: "c".into(),
            labels: vec!["a".into(), "b".into()],
            values: vec![0.0; 3],
            caption: String::new(),
        };
        assert!(render_png(&Figure::Matrix(m)).is_err());
    }

    #[test]
    fn tick_labels_are_short() {
        assert_eq!(short(0.5), "0.5");
        assert_eq!(short(1.0), "1");
        assert_eq!(short(123.456), "123");
        assert_eq!(short(0.01234), "0.0123");
        assert_eq!(short(2.0e6), "2e6");
        assert_eq!(short(-0.25), "-0.25");
        assert_eq!(nice_limit(0.13), 0.2);
        assert_eq!(nice_limit(0.05), 0.05);
        assert_eq!(tick(-5.6e-17, 0.2), "0");
        assert_eq!(tick(0.05, 0.2), "0.05");
    }
}
