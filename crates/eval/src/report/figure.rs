//! What a plot shows, independent of how it is drawn: binned Geant4-vs-generated pairs (normalised
//! distributions and mean profiles, each bin with its statistical uncertainty) and matrix
//! differences. Protocols build these from the observables they already computed.

use crate::metrics::histogram::histogram;

pub use super::polar::{PolarImages, PolarLayer};

/// Values per bin and their statistical (1σ) uncertainties; a bin without entries holds 0 ± 0.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Binned {
    pub value: Vec<f64>,
    pub error: Vec<f64>,
    /// Samples (showers, or cells for pooled distributions) behind the values: the legend's
    /// `n = …`, so a reader sees how far the statistics go.
    pub n: usize,
}

/// Geant4 and generated values on the same bins: drawn as a filled grey histogram and a line, with
/// the ratio generated / Geant4 in a panel below.
#[derive(Debug, Clone, PartialEq)]
pub struct BinnedPair {
    /// File stem of the PNG (`plots/<name>.png`): lowercase letters, digits and `_`.
    pub name: String,
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub edges: Vec<f64>,
    pub reference: Binned,
    pub generated: Binned,
    pub log_x: bool,
    pub log_y: bool,
    /// One line under the plot in the HTML report (the metric this plot belongs to, …).
    pub caption: String,
}

/// A square matrix over labelled items, drawn as a diverging heatmap with a colour bar; the
/// report uses it for ρ(generated) − ρ(Geant4) of the layer energies.
#[derive(Debug, Clone, PartialEq)]
pub struct MatrixDiff {
    pub name: String,
    pub title: String,
    pub axis_label: String,
    pub colour_label: String,
    /// One label per row/column.
    pub labels: Vec<String>,
    /// `n × n`, row-major; non-finite entries are drawn as empty cells.
    pub values: Vec<f64>,
    pub caption: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Figure {
    Binned(BinnedPair),
    Matrix(MatrixDiff),
    Polar(PolarImages),
}

impl Figure {
    pub fn name(&self) -> &str {
        match self {
            Figure::Binned(b) => &b.name,
            Figure::Matrix(m) => &m.name,
            Figure::Polar(p) => &p.name,
        }
    }

    pub fn title(&self) -> &str {
        match self {
            Figure::Binned(b) => &b.title,
            Figure::Matrix(m) => &m.title,
            Figure::Polar(p) => &p.title,
        }
    }

    pub fn caption(&self) -> &str {
        match self {
            Figure::Binned(b) => &b.caption,
            Figure::Matrix(m) => &m.caption,
            Figure::Polar(p) => &p.caption,
        }
    }
}

/// A probability density per bin (entries / (entries in range × width)) with its Poisson error.
/// Non-finite samples are not counted.
pub fn density_with_errors(samples: &[f64], edges: &[f64]) -> Binned {
    let finite: Vec<f64> = samples.iter().copied().filter(|v| v.is_finite()).collect();
    let counts = histogram(&finite, edges).unwrap_or_else(|_| vec![0.0; edges.len() - 1]);
    let total: f64 = counts.iter().sum();
    let mut out = Binned {
        n: finite.len(),
        ..Binned::default()
    };
    for (i, &c) in counts.iter().enumerate() {
        let norm = total * (edges[i + 1] - edges[i]);
        let (v, e) = if norm > 0.0 {
            (c / norm, c.sqrt() / norm)
        } else {
            (0.0, 0.0)
        };
        out.value.push(v);
        out.error.push(e);
    }
    out
}

/// Mean over rows of an `n × width` row-major block, with the standard error of each mean.
pub fn mean_with_errors(rows: &[f64], width: usize) -> Binned {
    let n = rows.len().checked_div(width).unwrap_or(0);
    let mut out = Binned {
        value: vec![0.0; width],
        error: vec![0.0; width],
        n,
    };
    if n == 0 {
        return out;
    }
    for j in 0..width {
        let col = rows.iter().skip(j).step_by(width).take(n);
        let (mut s, mut s2) = (0.0, 0.0);
        for &v in col {
            if v.is_finite() {
                s += v;
                s2 += v * v;
            }
        }
        let m = s / n as f64;
        let var = if n > 1 {
            ((s2 - n as f64 * m * m) / (n - 1) as f64).max(0.0)
        } else {
            0.0
        };
        out.value[j] = m;
        out.error[j] = (var / n as f64).sqrt();
    }
    out
}

/// Y label of a mean profile of [`per_incident_gev`] rows.
pub const PER_GEV_LABEL: &str = "mean energy / E_inc [MeV/GeV]";

/// The rows of an `n × width` block (a profile per shower, MeV), each divided by its shower's
/// incident energy in GeV; showers without a positive incident energy are left out. A mean
/// profile of raw energies weighs a 90 GeV shower nine times a 10 GeV one, so two files with
/// different energy spectra differ there for no fault of the model.
pub fn per_incident_gev(rows: &[f64], width: usize, e_inc_mev: &[f64]) -> Vec<f64> {
    if width == 0 {
        return Vec::new();
    }
    rows.chunks(width)
        .zip(e_inc_mev)
        .filter(|(_, &e)| e > 0.0 && e.is_finite())
        .flat_map(|(row, &e)| row.iter().map(move |v| v / (e / 1e3)))
        .collect()
}

impl BinnedPair {
    /// Normalised distributions of two samples on the same bins.
    pub fn distribution(
        name: &str,
        title: &str,
        x_label: &str,
        reference: &[f64],
        generated: &[f64],
        edges: Vec<f64>,
    ) -> Self {
        Self {
            name: name.to_string(),
            title: title.to_string(),
            x_label: x_label.to_string(),
            y_label: "normalised entries".to_string(),
            reference: density_with_errors(reference, &edges),
            generated: density_with_errors(generated, &edges),
            edges,
            log_x: false,
            log_y: false,
            caption: String::new(),
        }
    }

    /// Mean profiles: `reference` and `generated` are `n × (edges.len() − 1)` row-major blocks
    /// (a value per shower and bin), averaged over showers.
    pub fn profile(
        name: &str,
        title: &str,
        x_label: &str,
        y_label: &str,
        edges: Vec<f64>,
        reference: &[f64],
        generated: &[f64],
    ) -> Self {
        let w = edges.len().saturating_sub(1);
        Self {
            name: name.to_string(),
            title: title.to_string(),
            x_label: x_label.to_string(),
            y_label: y_label.to_string(),
            reference: mean_with_errors(reference, w),
            generated: mean_with_errors(generated, w),
            edges,
            log_x: false,
            log_y: false,
            caption: String::new(),
        }
    }

    pub fn log_x(mut self) -> Self {
        self.log_x = true;
        self
    }

    pub fn log_y(mut self) -> Self {
        self.log_y = true;
        self
    }

    pub fn caption(mut self, caption: impl Into<String>) -> Self {
        self.caption = caption.into();
        self
    }
}

/// Edges for a distribution plot: `n_bins` equal bins over the 0.1–99.9 % range of both samples
/// together (so a model's tails show, and a single outlier does not squeeze the plot). Samples
/// of whole numbers get whole-number-wide bins centred on the integers, so no bin is empty by
/// aliasing.
pub fn plot_edges(reference: &[f64], generated: &[f64], n_bins: usize) -> Vec<f64> {
    let mut all: Vec<f64> = reference
        .iter()
        .chain(generated)
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    if all.is_empty() {
        return (0..=n_bins).map(|i| i as f64).collect();
    }
    all.sort_by(f64::total_cmp);
    let q = |p: f64| all[((all.len() - 1) as f64 * p).round() as usize];
    let (mut lo, mut hi) = (q(0.001), q(0.999));
    if all.iter().all(|v| v.fract() == 0.0) {
        let width = ((hi - lo + 1.0) / n_bins as f64).ceil().max(1.0);
        let n = ((hi - lo + 1.0) / width).ceil() as usize;
        return (0..=n).map(|i| lo - 0.5 + i as f64 * width).collect();
    }
    if hi <= lo {
        let pad = if lo == 0.0 { 0.5 } else { 0.05 * lo.abs() };
        (lo, hi) = (lo - pad, hi + pad);
    } else {
        let pad = 0.02 * (hi - lo);
        (lo, hi) = (lo - pad, hi + pad);
    }
    (0..=n_bins)
        .map(|i| lo + (hi - lo) * i as f64 / n_bins as f64)
        .collect()
}

/// `n_bins` logarithmic bins from `lo` to the largest finite sample (both > 0).
pub fn log_plot_edges(lo: f64, reference: &[f64], generated: &[f64], n_bins: usize) -> Vec<f64> {
    let lo = if lo > 0.0 { lo } else { 1e-3 };
    let hi = reference
        .iter()
        .chain(generated)
        .copied()
        .filter(|v| v.is_finite())
        .fold(lo * 10.0, f64::max);
    crate::metrics::histogram::logspace_edges(lo, hi * 1.0001, n_bins)
}

/// Bins of a distribution plot: about twice the square root of the sample size, 10 to 40, so a
/// small test sample does not scatter into single-entry bins.
pub fn bins_for(n: usize) -> usize {
    ((2.0 * (n as f64).sqrt()).round() as usize).clamp(10, 40)
}

impl From<BinnedPair> for Figure {
    fn from(b: BinnedPair) -> Self {
        Figure::Binned(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn density_integrates_to_one_and_errors_are_poisson() {
        let edges = [0.0, 1.0, 3.0];
        let b = density_with_errors(&[0.5, 1.5, 2.5, 2.0, f64::NAN, 7.0], &edges);
        // 1 entry in [0,1), 3 in [1,3]: 4 in range.
        assert_eq!(b.value, vec![0.25, 3.0 / 8.0]);
        assert_eq!(b.error, vec![0.25, 3f64.sqrt() / 8.0]);
        let integral: f64 = b.value[0] * 1.0 + b.value[1] * 2.0;
        assert!((integral - 1.0).abs() < 1e-12);
        // The legend's n counts the finite samples, in range or not.
        assert_eq!(b.n, 5);
    }

    #[test]
    fn mean_profile_and_standard_error() {
        // Two rows of width 2: column means 2 and 3, sample std sqrt(2) and 0.
        let b = mean_with_errors(&[1.0, 3.0, 3.0, 3.0], 2);
        assert_eq!(b.value, vec![2.0, 3.0]);
        assert!((b.error[0] - 1.0).abs() < 1e-12);
        assert_eq!(b.error[1], 0.0);
        assert_eq!(b.n, 2);
    }

    #[test]
    fn profiles_per_incident_gev() {
        // 10 and 90 GeV showers with 1/10 of their energy in each of two bins: per GeV the rows
        // agree; the shower without an incident energy is dropped.
        let rows = [1000.0, 1000.0, 9000.0, 9000.0, 5.0, 5.0];
        let per = per_incident_gev(&rows, 2, &[10_000.0, 90_000.0, 0.0]);
        assert_eq!(per, vec![100.0, 100.0, 100.0, 100.0]);
    }

    #[test]
    fn integer_samples_get_integer_centred_bins() {
        let e = plot_edges(&[3.0, 4.0, 10.0], &[5.0], 40);
        assert_eq!(e[0], 2.5);
        assert!(e.windows(2).all(|w| w[1] - w[0] == 1.0));
        assert!(*e.last().unwrap() >= 10.5);
        let e = plot_edges(&[0.1, 0.2], &[0.3], 10);
        assert_eq!(e.len(), 11);
        assert!(e[0] < 0.1 && e[10] > 0.3);
    }
}
