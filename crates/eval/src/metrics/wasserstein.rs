//! 1-Wasserstein distance between 1D empirical distributions, and the batched, standardised W1
//! scores of CaloClouds II (paper 000 §4.2), and W1 between weighted samples (CaloHadronic's
//! energy-weighted profiles, paper 004).

use crate::error::{invalid, need, same, Result};
use crate::linalg::RowMatrix;
use crate::metrics::stats::{mean, std, MeanStd};

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

/// W1 between weighted empirical distributions: ∫|F_u − F_v| with each CDF the cumulative
/// weight fraction (scipy's `wasserstein_distance(u, v, u_weights, v_weights)`).
pub fn wasserstein_1d_weighted(u: &[f64], uw: &[f64], v: &[f64], vw: &[f64]) -> Result<f64> {
    let su: f64 = uw.iter().sum();
    let sv: f64 = vw.iter().sum();
    if u.is_empty() || v.is_empty() || u.len() != uw.len() || v.len() != vw.len() {
        return Err(invalid(
            "wasserstein_1d_weighted",
            "samples must be non-empty and as long as their weights",
        ));
    }
    if !(su > 0.0 && sv > 0.0)
        || u.iter()
            .chain(v)
            .chain(uw)
            .chain(vw)
            .any(|x| !x.is_finite())
        || uw.iter().chain(vw).any(|&w| w < 0.0)
    {
        return Err(invalid(
            "wasserstein_1d_weighted",
            "values and weights must be finite, weights >= 0 with a positive sum",
        ));
    }
    let order = |x: &[f64]| {
        let mut o: Vec<usize> = (0..x.len()).collect();
        o.sort_unstable_by(|&a, &b| x[a].total_cmp(&x[b]));
        o
    };
    let (ou, ov) = (order(u), order(v));
    let (mut i, mut j) = (0usize, 0usize);
    let (mut fu, mut fv) = (0.0f64, 0.0f64);
    let mut prev = u[ou[0]].min(v[ov[0]]);
    let mut total = 0.0;
    while i < ou.len() || j < ov.len() {
        let x = match (ou.get(i), ov.get(j)) {
            (Some(&a), Some(&b)) => u[a].min(v[b]),
            (Some(&a), None) => u[a],
            (None, Some(&b)) => v[b],
            (None, None) => unreachable!(),
        };
        total += (fu - fv).abs() * (x - prev);
        while i < ou.len() && u[ou[i]] == x {
            fu += uw[ou[i]] / su;
            i += 1;
        }
        while j < ov.len() && v[ov[j]] == x {
            fv += vw[ov[j]] / sv;
            j += 1;
        }
        prev = x;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighted_w1_matches_repetition_and_unit_weights() {
        let u = [0.5, 3.0, 1.0, 7.5];
        let v = [2.0, 2.5, 9.0];
        let ones_u = [1.0; 4];
        let ones_v = [1.0; 3];
        let a = wasserstein_1d_weighted(&u, &ones_u, &v, &ones_v).unwrap();
        assert!((a - wasserstein_1d(&u, &v).unwrap()).abs() < 1e-12);
        // Integer weights = repeated values.
        let w = [2.0, 1.0, 3.0, 1.0];
        let rep: Vec<f64> = u
            .iter()
            .zip(w)
            .flat_map(|(x, k)| std::iter::repeat_n(*x, k as usize))
            .collect();
        let b = wasserstein_1d_weighted(&u, &w, &v, &ones_v).unwrap();
        assert!((b - wasserstein_1d(&rep, &v).unwrap()).abs() < 1e-12);
        // Two point masses a distance 4 apart: W1 = 4.
        assert_eq!(
            wasserstein_1d_weighted(&[1.0], &[3.0], &[5.0], &[0.5]).unwrap(),
            4.0
        );
    }
}
