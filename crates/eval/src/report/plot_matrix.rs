//! A matrix difference as a diverging heat map with a colour bar.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::figure::MatrixDiff;
use super::plot_style::*;

/// Diverging colour: blue for negative, white at 0, red for positive; `t` in [−1, 1].
pub fn diverging(t: f64) -> RGBColor {
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
pub fn nice_limit(m: f64) -> f64 {
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

/// Width of the row-label area for tick labels `widest_px` wide: the labels, the tick marks and the
/// vertical axis description (21 px font) beside them. A fixed 70 px cut observable names such as
/// `start_layer` in the CaloHadronic Pearson map.
pub fn label_area(widest_px: u32) -> u32 {
    (widest_px + 56).max(70)
}

pub fn draw_matrix(
    root: &DrawingArea<BitMapBackend, Shift>,
    m: &MatrixDiff,
) -> Result<(), PlotError> {
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
    let tick_style = TextStyle::from(label_font.clone());
    // A failed estimate is a missing font: an error, not a silently narrow label area.
    let mut widest = 0;
    for l in &m.labels {
        widest = widest.max(main.estimate_text_size(l, &tick_style).map_err(&e)?.0);
    }
    // Row i sits at y = −i, so row 0 is at the top, as a matrix is read, and the ticks plotters
    // picks (multiples of 5 …) fall on round row numbers.
    let mut chart = ChartBuilder::on(&main)
        .caption(&m.title, (FONT, 26).into_font())
        .margin(14)
        .x_label_area_size(60)
        .y_label_area_size(label_area(widest))
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

    /// `start_layer` at the tick font must fit with the axis description beside it.
    #[test]
    fn the_label_area_holds_the_longest_label() {
        crate::report::plots::register_fonts();
        let mut buf = vec![0u8; 3 * 400 * 100];
        let root = BitMapBackend::with_buffer(&mut buf, (400, 100)).into_drawing_area();
        let font = TextStyle::from((FONT, 18).into_font());
        let (w, _) = root.estimate_text_size("start_layer", &font).unwrap();
        assert!(w > 70, "the old fixed area was {w} px of text wide at most");
        // 21 px of axis description and 20 px of ticks and gaps beside the text.
        assert!(label_area(w) >= w + 21 + 20, "{} for {w}", label_area(w));
        assert_eq!(label_area(10), 70);
    }
}
