//! Summary statistics for `info`: quantiles of per-shower counts and ranges.

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
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

/// Quantile by linear interpolation between order statistics (numpy's default).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

impl Summary {
    pub fn of(values: &[f64]) -> Option<Self> {
        if values.is_empty() {
            return None;
        }
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        Some(Self {
            mean: v.iter().sum::<f64>() / v.len() as f64,
            min: v[0],
            q05: quantile(&v, 0.05),
            q25: quantile(&v, 0.25),
            median: quantile(&v, 0.5),
            q75: quantile(&v, 0.75),
            q95: quantile(&v, 0.95),
            max: v[v.len() - 1],
        })
    }

    pub fn zero() -> Self {
        Self::of(&[0.0]).expect("one value")
    }

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
    fn quantiles_match_numpy_linear() {
        // numpy.quantile([1, 2, 3, 4, 10], [0.05, 0.25, 0.5, 0.75, 0.95]) = [1.2, 2, 3, 4, 8.8]
        let s = Summary::of(&[10.0, 1.0, 3.0, 2.0, 4.0]).unwrap();
        assert!((s.q05 - 1.2).abs() < 1e-12);
        assert_eq!((s.q25, s.median, s.q75), (2.0, 3.0, 4.0));
        assert!((s.q95 - 8.8).abs() < 1e-12);
        assert_eq!((s.min, s.max, s.mean), (1.0, 10.0, 4.0));
    }
}
