//! Small descriptive statistics with numpy's conventions, which the reference numbers use, and
//! [`Summary`], the quantile summary `calogen info` prints (one type for the workspace's CLI and
//! evaluation; `calogen-models`' timing `bench::stats::Summary` is the other, see its module).

use crate::error::{invalid, need, Result};

/// Arithmetic mean; NaN for an empty slice.
pub fn mean(x: &[f64]) -> f64 {
    // Summing deviations from a first-pass mean would cost a second pass; numpy uses pairwise
    // summation, whose error a plain f64 sum matches to ~1e-13 for the sample sizes used here.
    x.iter().sum::<f64>() / x.len() as f64
}

/// Variance with `ddof` delta degrees of freedom (numpy `var(x, ddof=...)`); NaN if
/// `len <= ddof`.
pub fn variance(x: &[f64], ddof: usize) -> f64 {
    if x.len() <= ddof {
        return f64::NAN;
    }
    let m = mean(x);
    // Two-pass form: the one-pass sum-of-squares loses all precision for narrow peaks far from 0
    // (e.g. a visible-energy distribution at 50 GeV with a 2 % width).
    let ss: f64 = x.iter().map(|v| (v - m) * (v - m)).sum();
    ss / (x.len() - ddof) as f64
}

/// Standard deviation with `ddof` delta degrees of freedom.
pub fn std(x: &[f64], ddof: usize) -> f64 {
    variance(x, ddof).sqrt()
}

/// Weighted population standard deviation `sqrt(Σ w (x − m)² / Σ w)`, `m` the weighted mean.
pub fn weighted_std(x: &[f64], w: &[f64]) -> f64 {
    let s: f64 = w.iter().sum();
    let m = x.iter().zip(w).map(|(a, b)| a * b).sum::<f64>() / s;
    (x.iter()
        .zip(w)
        .map(|(a, b)| b * (a - m) * (a - m))
        .sum::<f64>()
        / s)
        .sqrt()
}

/// `num` evenly spaced values from `start` to `stop` inclusive, computed as `np.linspace` does
/// (`i * step + start`, last value set to `stop`), so that bin edges and subsample sizes derived
/// from them agree bit for bit with the Python references.
pub fn linspace(start: f64, stop: f64, num: usize) -> Vec<f64> {
    match num {
        0 => Vec::new(),
        1 => vec![start],
        _ => {
            let step = (stop - start) / (num - 1) as f64;
            let mut v: Vec<f64> = (0..num).map(|i| i as f64 * step + start).collect();
            v[num - 1] = stop;
            v
        }
    }
}

/// numpy's `_lerp`: interpolating from the nearer end keeps the result inside `[a, b]` and exact
/// at `t = 1`.
fn lerp(a: f64, b: f64, t: f64) -> f64 {
    let d = b - a;
    if t >= 0.5 {
        b - d * (1.0 - t)
    } else {
        a + d * t
    }
}

/// Quantile `q` in `[0, 1]` of already sorted data with numpy's default ("linear") method.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    let h = (n - 1) as f64 * q;
    let lo = h.floor();
    let i = (lo as usize).min(n - 1);
    let j = (i + 1).min(n - 1);
    lerp(sorted[i], sorted[j], h - lo)
}

/// Quantiles (numpy linear method) of unsorted data; rejects NaN, whose position in a sort is
/// arbitrary.
pub fn quantiles(x: &[f64], qs: &[f64]) -> Result<Vec<f64>> {
    need("quantiles: sample", 1, x.len())?;
    if x.iter().any(|v| v.is_nan()) {
        return Err(invalid("quantiles", "sample contains NaN"));
    }
    if qs.iter().any(|q| !(0.0..=1.0).contains(q)) {
        return Err(invalid("quantiles", "quantile outside [0, 1]"));
    }
    let s = sorted(x);
    Ok(qs.iter().map(|&q| quantile_sorted(&s, q)).collect())
}

/// Median (numpy convention: mean of the two middle values for even length); NaN if empty.
pub fn median(x: &[f64]) -> f64 {
    if x.is_empty() {
        return f64::NAN;
    }
    let s = sorted(x);
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        // numpy averages the two middle values, which is not always the lerp at t = 0.5.
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

/// A sorted copy; NaN sorts last (total order) so that it cannot panic.
pub fn sorted(x: &[f64]) -> Vec<f64> {
    let mut s = x.to_vec();
    s.sort_unstable_by(f64::total_cmp);
    s
}

/// Mean and spread of a metric over batches or repetitions (the protocols' `Score`).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct MeanStd {
    pub mean: f64,
    /// Population standard deviation (`np.std`, ddof = 0), as the papers report over batches.
    pub std: f64,
}

impl MeanStd {
    pub fn of(values: &[f64]) -> Self {
        Self {
            mean: mean(values),
            std: std(values, 0),
        }
    }
}

/// Mean, extremes and the 5/25/50/75/95 % quantiles (numpy's linear method) of a sample.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Summary {
    pub mean: f64,
    pub min: f64,
    pub q05: f64,
    pub q25: f64,
    pub median: f64,
    pub q75: f64,
    pub q95: f64,
    pub max: f64,
}

impl Summary {
    /// `None` for an empty sample.
    pub fn of(values: &[f64]) -> Option<Self> {
        if values.is_empty() {
            return None;
        }
        let v = sorted(values);
        let q = |p| quantile_sorted(&v, p);
        Some(Self {
            mean: mean(&v),
            min: v[0],
            q05: q(0.05),
            q25: q(0.25),
            median: q(0.5),
            q75: q(0.75),
            q95: q(0.95),
            max: v[v.len() - 1],
        })
    }

    /// The summary of a single 0 (an empty file's counts).
    pub fn zero() -> Self {
        Self::of(&[0.0]).expect("one value")
    }

    /// One line, every value with `digits` decimals.
    pub fn line(&self, digits: usize) -> String {
        let d = digits;
        format!(
            "mean {:.d$}, min {:.d$}, 5% {:.d$}, 25% {:.d$}, median {:.d$}, 75% {:.d$}, 95% {:.d$}, max {:.d$}",
            self.mean, self.min, self.q05, self.q25, self.median, self.q75, self.q95, self.max
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_quantiles_match_numpy_linear() {
        // numpy.quantile([1, 2, 3, 4, 10], [0.05, 0.25, 0.5, 0.75, 0.95]) = [1.2, 2, 3, 4, 8.8]
        let s = Summary::of(&[10.0, 1.0, 3.0, 2.0, 4.0]).unwrap();
        assert!((s.q05 - 1.2).abs() < 1e-12);
        assert_eq!((s.q25, s.median, s.q75), (2.0, 3.0, 4.0));
        assert!((s.q95 - 8.8).abs() < 1e-12);
        assert_eq!((s.min, s.max, s.mean), (1.0, 10.0, 4.0));
        assert!(Summary::of(&[]).is_none());
        assert_eq!(Summary::zero().max, 0.0);
    }

    #[test]
    fn weighted_std_is_std_for_unit_weights() {
        let x = [1.0, 2.0, 4.0, 7.0];
        assert!((weighted_std(&x, &[1.0; 4]) - std(&x, 0)).abs() < 1e-12);
        // Weight 2 on a value = the value twice.
        let w = weighted_std(&[1.0, 3.0], &[2.0, 1.0]);
        assert!((w - std(&[1.0, 1.0, 3.0], 0)).abs() < 1e-12);
    }
}
