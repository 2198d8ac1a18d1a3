//! Energy resolution and linearity from the 90 % core of a distribution (µ90, σ90), with the
//! delta-method errors of paper 004 app. G.
//!
//! The core is the smallest interval holding 90 % of the entries (the usual calorimetry σ90,
//! insensitive to the asymmetric tails of hadronic showers); [`Core::Central`] instead cuts 5 %
//! on each side by rank, which is what the CaloHadronic plotting script does.

use crate::error::{invalid, need, Result};
use crate::metrics::stats::{mean, sorted};

/// How the 90 % core is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Core {
    /// The `⌈0.9·n⌉` consecutive sorted entries spanning the narrowest range (first on ties).
    #[default]
    Smallest,
    /// Sorted entries `⌊0.05·n⌋ .. ⌊0.95·n⌋` (CaloHadronic's `compute_core90`).
    Central,
}

/// µ90, σ90 and their errors.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Resolution {
    /// Mean of the core.
    pub mu90: f64,
    /// Standard deviation of the core (n − 1).
    pub sigma90: f64,
    /// Entries in the core.
    pub n_core: usize,
    /// σ90/√n: the error of µ90 (linearity).
    pub mu90_error: f64,
    /// Error of σ90 by the delta method (paper 004 eq. G.1).
    pub sigma90_error: f64,
    /// σ90/µ90.
    pub relative: f64,
    /// Error of σ90/µ90 by first-order propagation of the two errors above (treated as
    /// uncorrelated): √(δσ²/µ² + σ²·δµ²/µ⁴).
    pub relative_error: f64,
}

/// The 90 % core (sorted) of `x`.
pub fn core90(x: &[f64], core: Core) -> Result<Vec<f64>> {
    need("core90: sample", 2, x.len())?;
    if x.iter().any(|v| !v.is_finite()) {
        return Err(invalid("core90", "sample contains NaN or infinity"));
    }
    let s = sorted(x);
    let n = s.len();
    let (lo, hi) = match core {
        Core::Central => ((n as f64 * 0.05) as usize, (n as f64 * 0.95) as usize),
        Core::Smallest => {
            let w = (0.9 * n as f64).ceil() as usize;
            let start = (0..=n - w)
                .min_by(|&a, &b| (s[a + w - 1] - s[a]).total_cmp(&(s[b + w - 1] - s[b])))
                .expect("w <= n");
            (start, start + w)
        }
    };
    Ok(s[lo..hi].to_vec())
}

/// Standard error of the sample standard deviation by the delta method (paper 004 eq. G.1):
/// `se(s) ≈ 1/(2s) · √((µ4 − (n−3)/(n−1)·s⁴)/n)`, `µ4` the fourth central moment (1/n).
pub fn sigma_error(x: &[f64]) -> f64 {
    let n = x.len() as f64;
    let m = mean(x);
    let s = crate::metrics::stats::std(x, 1);
    let mu4 = x.iter().map(|v| (v - m).powi(4)).sum::<f64>() / n;
    1.0 / (2.0 * s) * ((mu4 - (n - 3.0) / (n - 1.0) * s.powi(4)) / n).sqrt()
}

/// µ90, σ90, σ90/µ90 and their errors for the sample `x`.
pub fn resolution90(x: &[f64], core: Core) -> Result<Resolution> {
    let c = core90(x, core)?;
    need("resolution90: core", 4, c.len())?;
    let n = c.len() as f64;
    let mu = mean(&c);
    let sigma = crate::metrics::stats::std(&c, 1);
    let mu_err = sigma / n.sqrt();
    let sigma_err = sigma_error(&c);
    Ok(Resolution {
        mu90: mu,
        sigma90: sigma,
        n_core: c.len(),
        mu90_error: mu_err,
        sigma90_error: sigma_err,
        relative: sigma / mu,
        relative_error: (sigma_err.powi(2) / mu.powi(2)
            + sigma.powi(2) * mu_err.powi(2) / mu.powi(4))
        .sqrt(),
    })
}
