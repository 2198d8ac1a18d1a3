//! What every plot shares: sizes, the font family, the colours, the error type and tick labels.

use plotters::style::RGBColor;

pub const WIDTH: u32 = 900;
pub const HEIGHT: u32 = 720;
pub const MATRIX_WIDTH: u32 = 900;
pub const MATRIX_HEIGHT: u32 = 780;

pub const FONT: &str = "sans-serif";

pub const G4_FILL: RGBColor = RGBColor(200, 200, 200);
pub const G4_EDGE: RGBColor = RGBColor(110, 110, 110);
pub const GEN: RGBColor = RGBColor(31, 98, 180);
pub const BAND: RGBColor = RGBColor(190, 190, 190);

/// Why a plot could not be drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct PlotError(pub String);

impl std::fmt::Display for PlotError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PlotError {}

pub fn err<E: std::fmt::Debug>(name: &str) -> impl Fn(E) -> PlotError + '_ {
    move |e| PlotError(format!("plot `{name}`: {e:?}"))
}

/// A tick label on an axis spanning `span`: rounding noise next to 0 (−5.6e-17) prints as 0.
pub fn tick(v: f64, span: f64) -> String {
    if v.abs() <= 1e-9 * span.abs() {
        "0".into()
    } else {
        short(v)
    }
}

/// A tick label: the value with at most three significant digits, no trailing zeros.
pub fn short(v: f64) -> String {
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
