//! Fréchet physics distance (FPD) as jetnet computes it (Kansal et al., arXiv:2211.10295;
//! `jetnet.evaluation.fpd`), used by the CaloChallenge (paper 003 §8.4) on high-level features.
//!
//! The Fréchet distance of Gaussian fits is biased by ~1/N; jetnet measures it on subsamples of
//! several sizes N (equally spaced in 1/N), averages over batches per size, and reports the
//! intercept at 1/N → 0 of a straight-line fit, with the fit's error on the intercept.

use crate::error::{invalid, need, same, Result};
use crate::linalg::{mean_and_covariance, trace_sqrt_product, RowMatrix};
use crate::metrics::stats::linspace;
use crate::rng::{IndexSampler, SeededSampler};

/// Squared Fréchet (2-Wasserstein) distance between N(μ1, Σ1) and N(μ2, Σ2):
/// `|μ1 − μ2|² + tr Σ1 + tr Σ2 − 2 tr √(Σ1Σ2)`; covariances row-major `d×d`.
pub fn frechet_distance(mu1: &[f64], sigma1: &[f64], mu2: &[f64], sigma2: &[f64]) -> Result<f64> {
    let d = mu1.len();
    same("frechet_distance: means", d, mu2.len())?;
    same("frechet_distance: sigma1", d * d, sigma1.len())?;
    same("frechet_distance: sigma2", d * d, sigma2.len())?;
    let diff: f64 = mu1.iter().zip(mu2).map(|(a, b)| (a - b) * (a - b)).sum();
    let tr = |s: &[f64]| (0..d).map(|i| s[i * d + i]).sum::<f64>();
    Ok(diff + tr(sigma1) + tr(sigma2) - 2.0 * trace_sqrt_product(sigma1, sigma2, d))
}

/// Fréchet distance between Gaussian fits (mean, `n − 1` covariance) of two samples.
pub fn frechet_distance_samples(x: RowMatrix, y: RowMatrix) -> Result<f64> {
    same("frechet_distance_samples: features", x.cols(), y.cols())?;
    let (m1, s1) = mean_and_covariance(x)?;
    let (m2, s2) = mean_and_covariance(y)?;
    frechet_distance(&m1, &s1, &m2, &s2)
}

/// Parameters of [`fpd`]; the defaults are jetnet's.
#[derive(Debug, Clone, PartialEq)]
pub struct FpdConfig {
    /// Smallest subsample size (jetnet 20 000; the CaloChallenge used 10 000).
    pub min_samples: usize,
    /// Largest subsample size (50 000).
    pub max_samples: usize,
    /// Batches averaged per subsample size (20).
    pub num_batches: usize,
    /// Number of subsample sizes, equally spaced in 1/N (10).
    pub num_points: usize,
    /// Divide every feature by its largest |value| in the reference sample first (true).
    pub normalise: bool,
    /// Seed of the subsampling when no sampler is given.
    pub seed: u64,
}

impl Default for FpdConfig {
    fn default() -> Self {
        Self {
            min_samples: 20_000,
            max_samples: 50_000,
            num_batches: 20,
            num_points: 10,
            normalise: true,
            seed: 42,
        }
    }
}

/// An extrapolated value with the error of its fit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValueError {
    pub value: f64,
    pub error: f64,
}

/// The subsample sizes jetnet uses: `int32(1 / linspace(1/min, 1/max, num_points))`. The
/// truncation matters (1/(1/20000) may come out as 19999), so it is reproduced exactly.
pub fn fpd_batch_sizes(min_samples: usize, max_samples: usize, num_points: usize) -> Vec<usize> {
    linspace(
        1.0 / min_samples as f64,
        1.0 / max_samples as f64,
        num_points,
    )
    .into_iter()
    .map(|x| (1.0 / x) as usize)
    .collect()
}

/// Least-squares line `y = a + b·x` with `a, b ≥ 0` (jetnet fits with `curve_fit` and these
/// bounds), and the error of `a` from the covariance `s²·(JᵀJ)⁻¹`, `s² = SSR / (n − 2)`, which is
/// what `curve_fit` reports (its Jacobian does not depend on the bounds for a line).
pub fn fit_intercept_nonneg(x: &[f64], y: &[f64]) -> Result<ValueError> {
    same("fit_intercept_nonneg: points", x.len(), y.len())?;
    need("fit_intercept_nonneg: points", 3, x.len())?;
    let n = x.len() as f64;
    let sx: f64 = x.iter().sum();
    let sy: f64 = y.iter().sum();
    let sxx: f64 = x.iter().map(|v| v * v).sum();
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| a * b).sum();
    let det = n * sxx - sx * sx;
    if det.is_nan() || det <= 0.0 {
        return Err(invalid(
            "fit_intercept_nonneg",
            "needs at least two distinct x (subsample sizes)",
        ));
    }
    let ssr = |a: f64, b: f64| -> f64 {
        x.iter()
            .zip(y)
            .map(|(xi, yi)| (yi - a - b * xi).powi(2))
            .sum()
    };
    // Two parameters, two bounds: the constrained optimum is the free one if feasible, else the
    // best of the fits with one parameter pinned at zero (the problem is convex).
    let b_free = (n * sxy - sx * sy) / det;
    let a_free = (sy - b_free * sx) / n;
    let (a, b) = if a_free >= 0.0 && b_free >= 0.0 {
        (a_free, b_free)
    } else {
        let cands = [
            (0.0, (sxy / sxx).max(0.0)),
            ((sy / n).max(0.0), 0.0),
            (0.0, 0.0),
        ];
        cands
            .into_iter()
            .min_by(|p, q| ssr(p.0, p.1).total_cmp(&ssr(q.0, q.1)))
            .expect("non-empty")
    };
    let s2 = ssr(a, b) / (n - 2.0);
    // (JᵀJ)⁻¹[0][0] = Σx² / det for J = [1, x].
    Ok(ValueError {
        value: a,
        error: (s2 * sxx / det).sqrt(),
    })
}

/// Per-feature divisor of jetnet's `_normalise_features`: the largest |value| of the reference,
/// 1 for all-zero features.
pub(crate) fn max_abs_scale(x: RowMatrix) -> Vec<f64> {
    let mut m = vec![0.0f64; x.cols()];
    for i in 0..x.rows() {
        for (acc, v) in m.iter_mut().zip(x.row(i)) {
            *acc = acc.max(v.abs());
        }
    }
    m.iter().map(|&v| if v == 0.0 { 1.0 } else { v }).collect()
}

pub(crate) fn scaled(x: RowMatrix, scale: &[f64]) -> Vec<f64> {
    let mut out = x.data().to_vec();
    for row in out.chunks_exact_mut(scale.len()) {
        for (v, s) in row.iter_mut().zip(scale) {
            *v /= s;
        }
    }
    out
}

/// FPD of `generated` against `real` with jetnet's procedure; subsamples drawn with a
/// [`SeededSampler`] seeded by `config.seed`.
pub fn fpd(real: RowMatrix, generated: RowMatrix, config: &FpdConfig) -> Result<ValueError> {
    fpd_with_sampler(
        real,
        generated,
        config,
        &mut SeededSampler::new(config.seed),
    )
}

/// FPD with the subsample indices drawn by `sampler`, in jetnet's order: for each size, for each
/// batch, the real rows then the generated rows.
pub fn fpd_with_sampler(
    real: RowMatrix,
    generated: RowMatrix,
    config: &FpdConfig,
    sampler: &mut dyn IndexSampler,
) -> Result<ValueError> {
    same("fpd: features", real.cols(), generated.cols())?;
    need("fpd: real", 2, real.rows())?;
    need("fpd: generated", 2, generated.rows())?;
    need("fpd: num_points", 3, config.num_points)?;
    need("fpd: num_batches", 1, config.num_batches)?;
    need(
        "fpd: min_samples",
        2,
        config.min_samples.min(config.max_samples),
    )?;
    let d = real.cols();
    let (xs, ys);
    let (x, y) = if config.normalise {
        let scale = max_abs_scale(real);
        xs = scaled(real, &scale);
        ys = scaled(generated, &scale);
        (RowMatrix::new(&xs, d)?, RowMatrix::new(&ys, d)?)
    } else {
        (real, generated)
    };
    let sizes = fpd_batch_sizes(config.min_samples, config.max_samples, config.num_points);
    let mut inv_n = Vec::with_capacity(sizes.len());
    let mut vals = Vec::with_capacity(sizes.len());
    for &n in &sizes {
        let mut sum = 0.0;
        for _ in 0..config.num_batches {
            let sx = x.gather(&sampler.sample(x.rows(), n));
            let sy = y.gather(&sampler.sample(y.rows(), n));
            sum += frechet_distance_samples(RowMatrix::new(&sx, d)?, RowMatrix::new(&sy, d)?)?;
        }
        inv_n.push(1.0 / n as f64);
        vals.push(sum / config.num_batches as f64);
    }
    fit_intercept_nonneg(&inv_n, &vals)
}
