//! Jensen–Shannon distance between discrete distributions, as `scipy.spatial.distance
//! .jensenshannon`: the square root of the JS divergence, natural logarithm unless a base is
//! given (base 2 bounds it by 1).

use super::histogram::{auto_edges, histogram, histogram_weighted};
use crate::error::{invalid, need, same, Result};

/// `x·ln(x/y)` with the limits scipy's `rel_entr` uses: 0 for x = 0, ∞ for x > 0 = y.
pub(crate) fn rel_entr(x: f64, y: f64) -> f64 {
    if x > 0.0 && y > 0.0 {
        x * (x / y).ln()
    } else if x == 0.0 && y >= 0.0 {
        0.0
    } else {
        f64::INFINITY
    }
}

fn check(p: &[f64], q: &[f64]) -> Result<()> {
    same("jensen_shannon: bins", p.len(), q.len())?;
    need("jensen_shannon: bins", 1, p.len())?;
    if p.iter().chain(q).any(|v| !(v.is_finite() && *v >= 0.0)) {
        return Err(invalid("jensen_shannon", "weights must be finite and >= 0"));
    }
    Ok(())
}

/// JS divergence `½ KL(p‖m) + ½ KL(q‖m)`, `m = (p + q)/2`, after normalising `p` and `q` to unit
/// sum; divided by `ln(base)` if a base is given.
pub fn jensen_shannon_divergence(p: &[f64], q: &[f64], base: Option<f64>) -> Result<f64> {
    check(p, q)?;
    let (sp, sq) = (p.iter().sum::<f64>(), q.iter().sum::<f64>());
    let mut js = 0.0;
    for (a, b) in p.iter().zip(q) {
        let (a, b) = (a / sp, b / sq);
        let m = 0.5 * (a + b);
        js += rel_entr(a, m) + rel_entr(b, m);
    }
    js /= 2.0;
    if let Some(b) = base {
        js /= b.ln();
    }
    Ok(js)
}

/// JS distance: the square root of [`jensen_shannon_divergence`] (the value scipy returns).
pub fn jensen_shannon_distance(p: &[f64], q: &[f64], base: Option<f64>) -> Result<f64> {
    // Rounding can leave the divergence a hair below 0 for identical inputs.
    Ok(jensen_shannon_divergence(p, q, base)?.max(0.0).sqrt())
}

/// JS distance (natural log) of the histograms of two samples over `bins` equal bins spanning
/// both samples together.
pub fn jensen_shannon_samples(reference: &[f64], generated: &[f64], bins: usize) -> Result<f64> {
    let both: Vec<f64> = reference.iter().chain(generated).copied().collect();
    let edges = auto_edges(&both, bins)?;
    jensen_shannon_distance(
        &histogram(reference, &edges)?,
        &histogram(generated, &edges)?,
        None,
    )
}

/// JS distance (natural log) of the weighted histograms of two samples, `(values, weights)`
/// each, over `edges`.
pub fn jensen_shannon_weighted(
    reference: (&[f64], &[f64]),
    generated: (&[f64], &[f64]),
    edges: &[f64],
) -> Result<f64> {
    jensen_shannon_distance(
        &histogram_weighted(reference.0, reference.1, edges)?,
        &histogram_weighted(generated.0, generated.1, edges)?,
        None,
    )
}
