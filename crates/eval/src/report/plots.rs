//! PNG plots in the papers' style: Geant4 as a filled grey histogram, the generated sample as a
//! line, the ratio generated / Geant4 below with Geant4's statistical band around 1; matrix
//! differences as a diverging heatmap with a colour bar.
//!
//! plotters draws into an RGB buffer with the embedded DejaVu Sans (no system fonts, no
//! fontconfig) and the `png` crate encodes it. Logarithmic axes are drawn as linear axes over
//! log10 of the values, labelled with the values themselves. This file renders and encodes; the
//! drawing is in `plot_binned.rs` and `plot_matrix.rs`, what they share in `plot_style.rs`.

use std::sync::Once;

use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};

use super::figure::Figure;
use super::plot_binned::draw_binned;
use super::plot_matrix::draw_matrix;
#[cfg(test)]
use super::plot_matrix::{diverging, nice_limit};
use super::plot_style::{err, FONT, MATRIX_HEIGHT, MATRIX_WIDTH};
#[cfg(test)]
use super::plot_style::{short, tick, G4_FILL, GEN};
pub use super::plot_style::{PlotError, HEIGHT, WIDTH};
use super::polar::{draw_polar, polar_size};

static DEJAVU_SANS: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

pub(super) fn register_fonts() {
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
        Figure::Polar(p) => polar_size(p),
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
            Figure::Polar(p) => draw_polar(&root, p)?,
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
