//! 1-Wasserstein distance between 1D empirical distributions, and the batched, standardised W1
//! scores of CaloClouds II (paper 000 §4.2).

use crate::error::{invalid, need, same, Result};
use crate::linalg::RowMatrix;
use crate::stats::{mean, std, MeanStd};

/// Exact W1 between the empirical distributions of `u` and `v` (`scipy.stats.wasserstein_distance`):
/// the integral of |F_u − F_v| over the merged support, evaluated with one merge of the sorted
/// samples. Errors on empty or NaN input.
pub fn wasserstein_1d(u: &[f64], v: &[f64]) -> Result<f64> {
    need("wasserstein_1d: u", 1, u.len())?;
    need("wasserstein_1d: v", 1, v.len())?;
    if u.iter().chain(v).any(|x| x.is_nan()) {
        return Err(invalid("wasserstein_1d", "sample contains NaN"));
    }
    let mut a = u.to_vec();
    let mut b = v.to_vec();
    a.sort_unstable_by(f64::total_cmp);
    b.sort_unstable_by(f64::total_cmp);
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let (mut i, mut j) = (0usize, 0usize);
    let mut prev = a[0].min(b[0]);
    let mut total = 0.0;
    // Walk the merged support; between consecutive support points both CDFs are constant.
    while i < a.len() || j < b.len() {
        let x = match (a.get(i), b.get(j)) {
            (Some(&x), Some(&y)) => x.min(y),
            (Some(&x), None) => x,
            (None, Some(&y)) => y,
            (None, None) => unreachable!(),
        };
        total += (i as f64 / na - j as f64 / nb).abs() * (x - prev);
        while i < a.len() && a[i] == x {
            i += 1;
        }
        while j < b.len() && b[j] == x {
            j += 1;
        }
        prev = x;
    }
    Ok(total)
}

/// W1 over consecutive batches, as CaloClouds II's `calc_wdist`: batch `b` compares rows
/// `b·batch_size .. (b+1)·batch_size` of both samples (shuffle beforehand if the order
/// matters). Returns mean and population std over the batches.
pub fn wasserstein_batches(
    reference: &[f64],
    generated: &[f64],
    n_batches: usize,
    batch_size: usize,
) -> Result<MeanStd> {
    need("wasserstein_batches: batches", 1, n_batches)?;
    need("wasserstein_batches: batch size", 1, batch_size)?;
    need(
        "wasserstein_batches: reference",
        n_batches * batch_size,
        reference.len(),
    )?;
    need(
        "wasserstein_batches: generated",
        n_batches * batch_size,
        generated.len(),
    )?;
    let w = (0..n_batches)
        .map(|b| {
            let r = b * batch_size..(b + 1) * batch_size;
            wasserstein_1d(&reference[r.clone()], &generated[r])
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(MeanStd::of(&w))
}

/// Standardised W1 score per observable (one column each), as in CaloClouds II's table 1: both
/// samples are standardised with the mean and population std of the whole reference column,
/// then W1 is averaged over `n_batches` consecutive batches of `batch_size` rows.
pub fn standardized_wasserstein(
    reference: RowMatrix,
    generated: RowMatrix,
    n_batches: usize,
    batch_size: usize,
) -> Result<Vec<MeanStd>> {
    same(
        "standardized_wasserstein: observables",
        reference.cols(),
        generated.cols(),
    )?;
    (0..reference.cols())
        .map(|j| {
            let r = reference.column(j);
            let (m, s) = (mean(&r), std(&r, 0));
            if s.is_nan() || s == 0.0 {
                return Err(invalid(
                    "standardized_wasserstein",
                    format!("reference observable {j} has zero spread"),
                ));
            }
            let r: Vec<f64> = r.iter().map(|x| (x - m) / s).collect();
            let g: Vec<f64> = generated.column(j).iter().map(|x| (x - m) / s).collect();
            wasserstein_batches(&r, &g, n_batches, batch_size)
        })
        .collect()
}

/// CaloClouds II's `combine_scores`: several observables (e.g. the ten longitudinal bins) into
/// one score — the mean of the means, and the errors added in quadrature.
pub fn combine_scores(scores: &[MeanStd]) -> MeanStd {
    MeanStd {
        mean: scores.iter().map(|s| s.mean).sum::<f64>() / scores.len() as f64,
        std: scores.iter().map(|s| s.std * s.std).sum::<f64>().sqrt(),
    }
}
