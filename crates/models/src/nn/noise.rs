//! Noise shared by the diffusion families: Gaussian draws, the per-shower random streams and the
//! Karras noise schedule (EDM sampling here and in `calogen-train`).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

/// `n` values from N(0, 1).
pub fn standard_normal<R: Rng + ?Sized>(rng: &mut R, n: usize) -> Vec<f32> {
    (0..n)
        .map(|_| rng.sample::<f32, _>(StandardNormal))
        .collect()
}

/// The random stream of shower `index` under `seed`: a shower's content depends on the seed and its
/// position only, so generating in parallel or in chunks gives the same showers.
pub fn shower_rng(seed: u64, index: u64) -> ChaCha8Rng {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    r.set_stream(index);
    r
}

/// Karras schedule: `n` levels from σ_max down to σ_min with exponent ρ, then a final 0.
pub fn karras_sigmas(n: usize, sigma_min: f64, sigma_max: f64, rho: f64) -> Vec<f64> {
    let (a, b) = (sigma_max.powf(1.0 / rho), sigma_min.powf(1.0 / rho));
    let mut s: Vec<f64> = (0..n)
        .map(|i| {
            let t = if n > 1 {
                i as f64 / (n - 1) as f64
            } else {
                0.0
            };
            (a + t * (b - a)).powf(rho)
        })
        .collect();
    s.push(0.0);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn karras_endpoints_and_streams() {
        let s = karras_sigmas(13, 0.002, 80.0, 7.0);
        assert_eq!(s.len(), 14);
        assert!((s[0] - 80.0).abs() < 1e-9 && (s[12] - 0.002).abs() < 1e-12 && s[13] == 0.0);
        let a = standard_normal(&mut shower_rng(1, 2), 4);
        assert_eq!(a, standard_normal(&mut shower_rng(1, 2), 4));
        assert_ne!(a, standard_normal(&mut shower_rng(1, 3), 4));
    }
}
