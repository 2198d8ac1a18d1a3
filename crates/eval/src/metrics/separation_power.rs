//! CaloChallenge separation power (paper 003 eq. 39; "triangular discrimination"):
//! `S = ½ Σ_i (h1_i − h2_i)² / (h1_i + h2_i)` on histograms normalised to unit sum, 0 for
//! identical and 1 for disjoint distributions.

use super::histogram::{histogram, normalize};
use crate::error::{same, Result};

/// `evaluate.py` adds this to every denominator, so that bins empty in both histograms count 0
/// instead of 0/0.
const DENOMINATOR_EPSILON: f64 = 1e-16;

/// Separation power of two histograms of the same binning; each is normalised to unit sum first
/// (counts, weights or densities×widths all work). NaN if either histogram is empty.
pub fn separation_power(h1: &[f64], h2: &[f64]) -> Result<f64> {
    same("separation_power: bins", h1.len(), h2.len())?;
    let (p, q) = (normalize(h1), normalize(h2));
    Ok(0.5
        * p.iter()
            .zip(&q)
            .map(|(a, b)| (a - b) * (a - b) / (a + b + DENOMINATOR_EPSILON))
            .sum::<f64>())
}

/// Separation power of two samples binned with `edges` (values outside the edges are dropped,
/// as in the challenge).
pub fn separation_power_samples(
    reference: &[f64],
    generated: &[f64],
    edges: &[f64],
) -> Result<f64> {
    separation_power(&histogram(reference, edges)?, &histogram(generated, edges)?)
}
