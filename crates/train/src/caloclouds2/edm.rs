//! EDM preconditioning (Karras et al. 2022, Table 1) and the consistency-model variant (SPEC §4).
//!
//! Note: paper 000's Eq. 4 text swaps c_in and c_out; these are the EDM definitions the
//! CaloClouds code uses (and SPEC §4 confirms for the consistency model).

/// The scalings of D(x; σ) = c_skip·x + c_out·F(c_in·x, c_noise).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scalings {
    pub c_skip: f64,
    pub c_out: f64,
    pub c_in: f64,
    pub c_noise: f64,
}

pub fn edm(sigma: f64, sigma_data: f64) -> Scalings {
    let s2 = sigma * sigma + sigma_data * sigma_data;
    Scalings {
        c_skip: sigma_data * sigma_data / s2,
        c_out: sigma * sigma_data / s2.sqrt(),
        c_in: 1.0 / s2.sqrt(),
        c_noise: sigma.ln() / 4.0,
    }
}

/// Consistency-model scalings: D(x; σ_min) = x exactly (boundary condition).
pub fn consistency(sigma: f64, sigma_data: f64, sigma_min: f64) -> Scalings {
    let d = sigma - sigma_min;
    let sd2 = sigma_data * sigma_data;
    let s2 = sigma * sigma + sd2;
    Scalings {
        c_skip: sd2 / (d * d + sd2),
        c_out: d * sigma_data / s2.sqrt(),
        c_in: 1.0 / s2.sqrt(),
        c_noise: sigma.ln() / 4.0,
    }
}

/// EDM loss weight λ(σ) = (σ² + σ_data²)/(σ·σ_data)²; λ·c_out² = 1, which is why training
/// regresses F on (x₀ − c_skip·x)/c_out with unit weight.
pub fn loss_weight(sigma: f64, sigma_data: f64) -> f64 {
    (sigma * sigma + sigma_data * sigma_data) / (sigma * sigma_data).powi(2)
}

/// Karras schedule: `n` levels from σ_max down to σ_min with exponent ρ, then a final 0 (the one
/// implementation, shared with inference).
pub use calogen_models::nn::karras_sigmas;

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * (1.0 + b.abs())
    }

    #[test]
    fn edm_closed_forms() {
        let sd = 0.5;
        for &s in &[0.002, 0.1, 0.5, 1.0, 80.0] {
            let c = edm(s, sd);
            assert!(close(c.c_skip, sd * sd / (s * s + sd * sd)));
            assert!(close(c.c_out, s * sd / (s * s + sd * sd).sqrt()));
            assert!(close(c.c_in, 1.0 / (s * s + sd * sd).sqrt()));
            assert!(close(c.c_noise, s.ln() / 4.0));
            // Unit variance of the network input and of its target for unit-variance data.
            assert!(close(c.c_in * c.c_in * (sd * sd + s * s), 1.0));
            // Unit variance of the training target (x₀ − c_skip·x)/c_out.
            let var_t =
                ((1.0 - c.c_skip).powi(2) * sd * sd + c.c_skip.powi(2) * s * s) / c.c_out.powi(2);
            assert!((var_t - 1.0).abs() < 1e-9);
            assert!(close(loss_weight(s, sd) * c.c_out * c.c_out, 1.0));
        }
        let c = edm(0.5, 0.5);
        assert!(close(c.c_skip, 0.5));
    }

    #[test]
    fn consistency_values_of_spec() {
        // SPEC §4 at σ = 80.
        let c = consistency(80.0, 0.5, 0.002);
        assert!((c.c_in - 0.0124998).abs() < 1e-7);
        assert!((c.c_skip - 3.90629e-5).abs() < 1e-10);
        assert!((c.c_out - 0.499978).abs() < 1e-6);
        // Boundary condition: identity at σ_min.
        let b = consistency(0.002, 0.5, 0.002);
        assert!(close(b.c_skip, 1.0) && b.c_out == 0.0);
    }

    #[test]
    fn karras_endpoints() {
        let s = karras_sigmas(13, 0.002, 80.0, 7.0);
        assert_eq!(s.len(), 14);
        assert!(close(s[0], 80.0));
        assert!(close(s[12], 0.002));
        assert_eq!(s[13], 0.0);
        assert!(s.windows(2).all(|w| w[0] > w[1]));
    }
}
