//! Fixed-edge histograms with numpy's conventions, and the CaloChallenge's binnings.
//!
//! Bin `i` is `[e_i, e_{i+1})`, except the last, which is closed `[e_{n-1}, e_n]`; values
//! outside (and NaN) are not counted. This is `np.histogram` with explicit edges, which
//! `evaluate.py` passes to `plt.hist`, so separation powers agree with the challenge's.

use crate::error::{invalid, need, same, Result};
use crate::metrics::stats::linspace;

fn check_edges(edges: &[f64]) -> Result<()> {
    need("histogram: edges", 2, edges.len())?;
    if edges.iter().any(|e| e.is_nan()) || edges.windows(2).any(|w| w[1] < w[0]) {
        return Err(invalid(
            "histogram",
            "edges must be non-decreasing and not NaN",
        ));
    }
    Ok(())
}

/// Index of the bin holding `v`, or `None` outside the edges.
#[inline]
fn bin_of(edges: &[f64], v: f64) -> Option<usize> {
    let n = edges.len() - 1;
    let last = edges[n];
    if !(v >= edges[0] && v <= last) {
        return None;
    }
    if v == last {
        // The closed last bin; with repeated last edges numpy puts it in the final bin too.
        return Some(n - 1);
    }
    // Number of edges <= v, minus one: the half-open bin. Repeated edges give empty bins, as in
    // numpy's searchsorted-based counting.
    Some(edges.partition_point(|&e| e <= v) - 1)
}

/// Counts of `values` in the bins given by `edges` (`edges.len() - 1` bins).
pub fn histogram(values: &[f64], edges: &[f64]) -> Result<Vec<f64>> {
    check_edges(edges)?;
    let mut counts = vec![0.0; edges.len() - 1];
    for &v in values {
        if let Some(i) = bin_of(edges, v) {
            counts[i] += 1.0;
        }
    }
    Ok(counts)
}

/// Sums of `weights` of `values` per bin (`np.histogram(values, edges, weights=weights)`).
pub fn histogram_weighted(values: &[f64], weights: &[f64], edges: &[f64]) -> Result<Vec<f64>> {
    check_edges(edges)?;
    same(
        "histogram_weighted: values vs weights",
        values.len(),
        weights.len(),
    )?;
    let mut sums = vec![0.0; edges.len() - 1];
    for (&v, &w) in values.iter().zip(weights) {
        if let Some(i) = bin_of(edges, v) {
            sums[i] += w;
        }
    }
    Ok(sums)
}

/// Counts turned into probabilities summing to one; NaNs if the histogram is empty (numpy
/// divides 0 by 0 there too, and an empty histogram has no meaningful shape).
pub fn normalize(counts: &[f64]) -> Vec<f64> {
    let total: f64 = counts.iter().sum();
    counts.iter().map(|c| c / total).collect()
}

/// Probability density (`density=True`): counts / (total in range × bin width).
pub fn density(counts: &[f64], edges: &[f64]) -> Result<Vec<f64>> {
    check_edges(edges)?;
    same("density: counts vs bins", counts.len(), edges.len() - 1)?;
    let total: f64 = counts.iter().sum();
    Ok(counts
        .iter()
        .zip(edges.windows(2))
        .map(|(c, w)| c / total / (w[1] - w[0]))
        .collect())
}

/// `n_bins` equal bins from `lo` to `hi` (`np.linspace(lo, hi, n_bins + 1)`).
pub fn linspace_edges(lo: f64, hi: f64, n_bins: usize) -> Vec<f64> {
    linspace(lo, hi, n_bins + 1)
}

/// `n_bins` logarithmically equal bins from `lo` to `hi`, both > 0
/// (`np.logspace(log10(lo), log10(hi), n_bins + 1)`).
pub fn logspace_edges(lo: f64, hi: f64, n_bins: usize) -> Vec<f64> {
    linspace(lo.log10(), hi.log10(), n_bins + 1)
        .into_iter()
        .map(|e| 10f64.powf(e))
        .collect()
}

/// Edges of `n_bins` equal bins over the range of `values`, as numpy chooses them for
/// `bins=<int>` (a single-valued sample gets the range `v ± 0.5`); what `evaluate.py` uses for
/// the layer energies on a linear axis, where the reference sample fixes the edges.
pub fn auto_edges(values: &[f64], n_bins: usize) -> Result<Vec<f64>> {
    need("auto_edges: values", 1, values.len())?;
    need("auto_edges: bins", 1, n_bins)?;
    if values.iter().any(|v| !v.is_finite()) {
        // numpy refuses too: a range with an infinite end has no equal bins.
        return Err(invalid("auto_edges", "values must be finite"));
    }
    let lo = values.iter().fold(f64::INFINITY, |a, &b| a.min(b));
    let hi = values.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b));
    let (lo, hi) = if lo == hi {
        (lo - 0.5, hi + 0.5)
    } else {
        (lo, hi)
    };
    Ok(linspace_edges(lo, hi, n_bins))
}

/// The binnings of the CaloChallenge evaluation (`code/evaluate_plotting_helper.py`), so that
/// separation powers are comparable with the challenge paper's tables.
pub mod challenge {
    use super::{linspace_edges, logspace_edges};

    /// The challenge's datasets, whose binnings and thresholds differ.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Dataset {
        Ds1Photons,
        Ds1Pions,
        Ds2,
        Ds3,
    }

    impl Dataset {
        /// Dataset 1 (photons or pions), whose incident energies are discrete.
        pub fn is_ds1(self) -> bool {
            matches!(self, Dataset::Ds1Photons | Dataset::Ds1Pions)
        }
    }

    /// Voxel readout threshold in MeV below which `evaluate.py` zeroes voxels, and the lower
    /// end of its logarithmic energy binnings (ds1: 1 MeV; ds2/3: 0.5 keV / 0.033 sampling
    /// fraction).
    pub fn min_energy(ds: Dataset) -> f64 {
        if ds.is_ds1() {
            1.0
        } else {
            0.5e-3 / 0.033
        }
    }

    /// E_dep / E_inc over all incident energies: 100 bins on [0.5, 1.5].
    pub fn etot_einc() -> Vec<f64> {
        linspace_edges(0.5, 1.5, 100)
    }

    /// E_dep / E_inc per discrete incident energy of ds1 (`energy_index` 0 for 256 MeV up to 14
    /// for 4 TeV): 20 bins on [0.4, 1.4], narrowed to [0.9, 1.1] for photons above index 3.
    pub fn etot_einc_discrete(ds: Dataset, energy_index: usize) -> Vec<f64> {
        if energy_index > 3 && ds == Dataset::Ds1Photons {
            linspace_edges(0.9, 1.1, 20)
        } else {
            linspace_edges(0.4, 1.4, 20)
        }
    }

    /// Layer energies (log axis): 39 bins from `min_energy` to the reference's largest layer
    /// energy (`np.logspace(..., 40)`).
    pub fn layer_energy(ds: Dataset, reference_max: f64) -> Vec<f64> {
        logspace_edges(min_energy(ds), reference_max, 39)
    }

    /// Voxel energies (log axis): 49 bins from `min_energy` to the reference's largest voxel.
    pub fn voxel_energy(ds: Dataset, reference_max: f64) -> Vec<f64> {
        logspace_edges(min_energy(ds), reference_max, 49)
    }

    /// Centre of energy in η or φ for `layer`: 100 bins on ±30 (ds2/3), ±500 (ds1 layers 12
    /// and 13), ±100 otherwise.
    pub fn centre_eta_phi(ds: Dataset, layer: usize) -> Vec<f64> {
        let lim = if !ds.is_ds1() {
            30.0
        } else if matches!(layer, 12 | 13) {
            500.0
        } else {
            100.0
        };
        linspace_edges(-lim, lim, 100)
    }

    /// Width of the centre of energy in η or φ: 100 bins on [0, 30] (ds2/3), [0, 400] (ds1
    /// layers 12 and 13), [0, 100] otherwise.
    pub fn width_eta_phi(ds: Dataset, layer: usize) -> Vec<f64> {
        let hi = if !ds.is_ds1() {
            30.0
        } else if matches!(layer, 12 | 13) {
            400.0
        } else {
            100.0
        };
        linspace_edges(0.0, hi, 100)
    }

    /// Centre of energy in r: 100 bins on [0, 42] (ds2/3), [0, 1500] (ds1 layers 12–14),
    /// [0, 500] otherwise.
    pub fn centre_r(ds: Dataset, layer: usize) -> Vec<f64> {
        let hi = if !ds.is_ds1() {
            42.0
        } else if matches!(layer, 12..=14) {
            1500.0
        } else {
            500.0
        };
        linspace_edges(0.0, hi, 100)
    }

    /// Width in r: 100 bins on [0, 20] (ds2/3), [0, 1500] (ds1 layers 12–14), [0, 500]
    /// otherwise.
    pub fn width_r(ds: Dataset, layer: usize) -> Vec<f64> {
        let hi = if !ds.is_ds1() {
            20.0
        } else if matches!(layer, 12..=14) {
            1500.0
        } else {
            500.0
        };
        linspace_edges(0.0, hi, 100)
    }

    /// Sparsity per layer: 20 bins on [0, 1].
    pub fn sparsity() -> Vec<f64> {
        linspace_edges(0.0, 1.0, 20)
    }
}
