//! Quantile-binned KL divergence as CaloHadronic computes it (paper 004 app. F, `kld` in the
//! CaloHadronic evaluation code): bins are `n_quantiles` equiprobable quantiles of the reference
//! (numpy's linear quantiles, outer edges at ±∞, so every value falls in a bin), and the score
//! is `KL(reference ‖ generated)` of the bin fractions in nats (`scipy.stats.entropy`).
//!
//! A bin that is empty in the generated sample but not in the reference makes the divergence
//! infinite; the batched score skips such batches, as the reference code does. CaloHadronic
//! uses 25 quantiles and five batches of 10 000 showers.

use super::histogram::histogram;
use super::jsd::rel_entr;
use crate::error::{invalid, need, Result};
use crate::metrics::stats::{linspace, quantile_sorted, sorted, MeanStd};

/// The bin edges: quantiles `0, 1/n, …, 1` of the reference with the outer two replaced by ±∞.
pub fn quantile_edges(reference: &[f64], n_quantiles: usize) -> Result<Vec<f64>> {
    need("quantile_kl: reference", 1, reference.len())?;
    need("quantile_kl: quantiles", 1, n_quantiles)?;
    if reference.iter().any(|v| v.is_nan()) {
        return Err(invalid("quantile_kl", "reference contains NaN"));
    }
    let s = sorted(reference);
    let mut edges: Vec<f64> = linspace(0.0, 1.0, n_quantiles + 1)
        .into_iter()
        .map(|q| quantile_sorted(&s, q))
        .collect();
    edges[0] = f64::NEG_INFINITY;
    edges[n_quantiles] = f64::INFINITY;
    Ok(edges)
}

/// `KL(p‖q)` of two histograms, each normalised to unit sum, in nats.
pub fn kl_divergence(p: &[f64], q: &[f64]) -> f64 {
    let (sp, sq) = (p.iter().sum::<f64>(), q.iter().sum::<f64>());
    p.iter().zip(q).map(|(a, b)| rel_entr(a / sp, b / sq)).sum()
}

/// Quantile-binned KL divergence of `generated` from `reference` (may be +∞).
pub fn quantile_kl(reference: &[f64], generated: &[f64], n_quantiles: usize) -> Result<f64> {
    need("quantile_kl: generated", 1, generated.len())?;
    let edges = quantile_edges(reference, n_quantiles)?;
    Ok(kl_divergence(
        &histogram(reference, &edges)?,
        &histogram(generated, &edges)?,
    ))
}

/// Quantile KL over `n_batches` consecutive batches of `batch_size` entries of both samples
/// (edges from each reference batch); mean and population std over the batches whose
/// divergence is finite. NaN mean if none is.
pub fn quantile_kl_batches(
    reference: &[f64],
    generated: &[f64],
    n_quantiles: usize,
    n_batches: usize,
    batch_size: usize,
) -> Result<MeanStd> {
    need("quantile_kl_batches: batches", 1, n_batches)?;
    need("quantile_kl_batches: batch size", 1, batch_size)?;
    need(
        "quantile_kl_batches: reference",
        n_batches * batch_size,
        reference.len(),
    )?;
    need(
        "quantile_kl_batches: generated",
        n_batches * batch_size,
        generated.len(),
    )?;
    let mut kl = Vec::with_capacity(n_batches);
    for b in 0..n_batches {
        let r = b * batch_size..(b + 1) * batch_size;
        let v = quantile_kl(&reference[r.clone()], &generated[r], n_quantiles)?;
        if v.is_finite() {
            kl.push(v);
        }
    }
    Ok(MeanStd::of(&kl))
}

/// Edges at the weighted quantiles `1/n … (n−1)/n` of the reference (smallest value whose
/// cumulative weight reaches the level), outer edges ±∞.
pub fn weighted_quantile_edges(values: &[f64], weights: &[f64], n: usize) -> Vec<f64> {
    let mut o: Vec<usize> = (0..values.len()).collect();
    o.sort_unstable_by(|&a, &b| values[a].total_cmp(&values[b]));
    let total: f64 = weights.iter().sum();
    let mut edges = vec![f64::NEG_INFINITY];
    let (mut cum, mut k) = (0.0, 0usize);
    for q in 1..n {
        let level = q as f64 / n as f64 * total;
        while k < o.len() && cum + weights[o[k]] < level {
            cum += weights[o[k]];
            k += 1;
        }
        edges.push(values[o[k.min(o.len() - 1)]]);
    }
    edges.push(f64::INFINITY);
    edges
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighted_quantile_edges_split_the_weight() {
        // Values 0..9 with weight = value + 1 (total 55): the median level 27.5 is reached at 6
        // (cumulative 1+…+7 = 28 ≥ 27.5, 1+…+6 = 21 < 27.5).
        let v: Vec<f64> = (0..10).map(|i| i as f64).collect();
        let w: Vec<f64> = (1..=10).map(|i| i as f64).collect();
        let e = weighted_quantile_edges(&v, &w, 2);
        assert_eq!(e, vec![f64::NEG_INFINITY, 6.0, f64::INFINITY]);
    }
}
