//! Classifier-based scores: ROC AUC, isotonic calibration of the classifier output, and the
//! Jensen–Shannon divergence estimated from the binary cross-entropy (CaloChallenge
//! `evaluate.py`, paper 003 §8.3; CaloHadronic app. F.1).

use crate::error::{invalid, need, same, Result};
use std::f64::consts::LN_2;

/// Area under the ROC curve of `scores` for `labels` (true = positive class, e.g. Geant4).
/// Tied scores count one half (the trapezoid of `sklearn.metrics.roc_auc_score`), computed as
/// the Mann–Whitney statistic with mid-ranks in O(n log n).
pub fn roc_auc(scores: &[f64], labels: &[bool]) -> Result<f64> {
    same("roc_auc: scores vs labels", scores.len(), labels.len())?;
    if scores.iter().any(|s| s.is_nan()) {
        return Err(invalid("roc_auc", "scores contain NaN"));
    }
    let n_pos = labels.iter().filter(|&&l| l).count();
    let n_neg = labels.len() - n_pos;
    if n_pos == 0 || n_neg == 0 {
        return Err(invalid("roc_auc", "needs both classes"));
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_unstable_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    // Sum of the (1-based, mid-) ranks of the positives.
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        let mid = (i + j) as f64 / 2.0 + 1.0;
        let pos_in_tie = order[i..=j].iter().filter(|&&k| labels[k]).count();
        rank_sum += mid * pos_in_tie as f64;
        i = j + 1;
    }
    let (p, q) = (n_pos as f64, n_neg as f64);
    Ok((rank_sum - p * (p + 1.0) / 2.0) / (p * q))
}

/// Mean binary cross-entropy in nats of probabilities `probs` for `labels`, with each log
/// clamped at −100 as `torch.nn.BCELoss` does (the CaloChallenge computes it that way), so a
/// confidently wrong prediction costs 100 instead of ∞.
pub fn binary_cross_entropy(probs: &[f64], labels: &[bool]) -> Result<f64> {
    same(
        "binary_cross_entropy: probs vs labels",
        probs.len(),
        labels.len(),
    )?;
    need("binary_cross_entropy: samples", 1, probs.len())?;
    if probs.iter().any(|p| !(0.0..=1.0).contains(p)) {
        return Err(invalid(
            "binary_cross_entropy",
            "probability outside [0, 1]",
        ));
    }
    let total: f64 = probs
        .iter()
        .zip(labels)
        .map(|(&p, &l)| {
            if l {
                -p.ln().max(-100.0)
            } else {
                -(1.0 - p).ln().max(-100.0)
            }
        })
        .sum();
    Ok(total / probs.len() as f64)
}

/// JS divergence (in bits, 0 … 1) between the two classes estimated from the cross-entropy of a
/// classifier on a balanced test set: `(ln 2 − BCE) / ln 2`. An optimal classifier's BCE is
/// `ln 2 − JSD` (nats), so this is a lower bound that tightens as the classifier improves.
pub fn jsd_from_bce(bce: f64) -> f64 {
    (LN_2 - bce) / LN_2
}

/// [`jsd_from_bce`] of the classifier output `probs` for `labels`.
pub fn classifier_jsd(probs: &[f64], labels: &[bool]) -> Result<f64> {
    Ok(jsd_from_bce(binary_cross_entropy(probs, labels)?))
}

/// A fitted monotonically increasing calibration map (`sklearn.isotonic.IsotonicRegression` with
/// `out_of_bounds='clip'`): piecewise linear through the fitted points, constant beyond them.
#[derive(Debug, Clone, PartialEq)]
pub struct IsotonicRegression {
    x: Vec<f64>,
    y: Vec<f64>,
}

/// sklearn merges inputs closer than float64 resolution into one point before fitting.
const X_RESOLUTION: f64 = 1e-15;

impl IsotonicRegression {
    /// Fits the least-squares non-decreasing function of `x` to `y` (optionally weighted), by
    /// pool-adjacent-violators, and clips the fitted values to `[y_min, y_max]`. The challenge
    /// calibrates with `y_min = 1e-6`, `y_max = 1 − 1e-6`, which keeps the BCE finite.
    pub fn fit(
        x: &[f64],
        y: &[f64],
        weights: Option<&[f64]>,
        y_min: f64,
        y_max: f64,
    ) -> Result<Self> {
        same("isotonic: x vs y", x.len(), y.len())?;
        need("isotonic: samples", 1, x.len())?;
        if let Some(w) = weights {
            same("isotonic: x vs weights", x.len(), w.len())?;
        }
        if x.iter().chain(y).any(|v| !v.is_finite()) {
            return Err(invalid("isotonic", "inputs must be finite"));
        }
        let w = |i: usize| weights.map_or(1.0, |w| w[i]);
        let mut order: Vec<usize> = (0..x.len()).collect();
        order.sort_unstable_by(|&a, &b| x[a].total_cmp(&x[b]).then(y[a].total_cmp(&y[b])));

        // Unique x (within resolution) with weighted mean y.
        let (mut ux, mut uy, mut uw) = (Vec::new(), Vec::new(), Vec::new());
        let (mut cur_x, mut swy, mut sw) = (x[order[0]], 0.0, 0.0);
        for &i in &order {
            if x[i] - cur_x >= X_RESOLUTION {
                ux.push(cur_x);
                uy.push(swy / sw);
                uw.push(sw);
                (cur_x, swy, sw) = (x[i], 0.0, 0.0);
            }
            swy += w(i) * y[i];
            sw += w(i);
        }
        ux.push(cur_x);
        uy.push(swy / sw);
        uw.push(sw);

        // Pool adjacent violators over a stack of blocks (weighted sum, weight, length).
        let mut blocks: Vec<(f64, f64, usize)> = Vec::with_capacity(ux.len());
        for (&v, &wt) in uy.iter().zip(&uw) {
            blocks.push((v * wt, wt, 1));
            while blocks.len() > 1 {
                let (b, a) = (blocks[blocks.len() - 1], blocks[blocks.len() - 2]);
                if a.0 / a.1 < b.0 / b.1 {
                    break;
                }
                blocks.pop();
                *blocks.last_mut().expect("len > 1") = (a.0 + b.0, a.1 + b.1, a.2 + b.2);
            }
        }
        let fitted: Vec<f64> = blocks
            .iter()
            .flat_map(|&(s, wt, len)| std::iter::repeat_n((s / wt).clamp(y_min, y_max), len))
            .collect();

        // Interior points equal to both neighbours add nothing to the interpolation.
        let n = ux.len();
        let keep = |i: usize| {
            i == 0 || i + 1 == n || fitted[i - 1] != fitted[i] || fitted[i] != fitted[i + 1]
        };
        let (x, y) = (0..n)
            .filter(|&i| keep(i))
            .map(|i| (ux[i], fitted[i]))
            .unzip();
        Ok(Self { x, y })
    }

    /// The calibrated value at `t` (clipped to the fitted range of x first).
    pub fn predict(&self, t: f64) -> f64 {
        let n = self.x.len();
        if n == 1 {
            return self.y[0];
        }
        let t = t.clamp(self.x[0], self.x[n - 1]);
        // scipy interp1d: segment from searchsorted(left), clipped to [1, n − 1].
        let hi = self.x.partition_point(|&v| v < t).clamp(1, n - 1);
        let lo = hi - 1;
        let slope = (self.y[hi] - self.y[lo]) / (self.x[hi] - self.x[lo]);
        slope * (t - self.x[lo]) + self.y[lo]
    }

    /// [`Self::predict`] for every element.
    pub fn predict_all(&self, t: &[f64]) -> Vec<f64> {
        t.iter().map(|&v| self.predict(v)).collect()
    }
}
