//! Preconditioning of a denoiser D(x, σ) = c_skip·x + c_out·F(c_in·x, σ).

/// The three scalars for one noise level σ.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scalings {
    pub c_skip: f32,
    pub c_out: f32,
    pub c_in: f32,
}

impl Scalings {
    /// Consistency-model ("boundary condition") scalings, SPEC §4:
    /// c_skip = σ_d² / ((σ−σ_min)² + σ_d²), c_out = (σ−σ_min)·σ_d / √(σ²+σ_d²),
    /// c_in = 1/√(σ²+σ_d²). They make D(x, σ_min) = x exactly, which is the consistency
    /// boundary condition; note the σ² (not (σ−σ_min)²) under the root of c_out, as in the source.
    pub fn consistency(sigma: f64, sigma_data: f64, sigma_min: f64) -> Self {
        let sd2 = sigma_data * sigma_data;
        let root = (sigma * sigma + sd2).sqrt();
        let ds = sigma - sigma_min;
        Scalings {
            c_skip: (sd2 / (ds * ds + sd2)) as f32,
            c_out: (ds * sigma_data / root) as f32,
            c_in: (1.0 / root) as f32,
        }
    }

    /// EDM (Karras et al. 2022) scalings of the teacher models: c_skip = σ_d²/(σ²+σ_d²),
    /// c_out = σ·σ_d/√(σ²+σ_d²), c_in = 1/√(σ²+σ_d²).
    pub fn edm(sigma: f64, sigma_data: f64) -> Self {
        let sd2 = sigma_data * sigma_data;
        let root = (sigma * sigma + sd2).sqrt();
        Scalings {
            c_skip: (sd2 / (sigma * sigma + sd2)) as f32,
            c_out: (sigma * sigma_data / root) as f32,
            c_in: (1.0 / root) as f32,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_values_at_sigma_max() {
        let s = Scalings::consistency(80.0, 0.5, 0.002);
        assert!((s.c_in - 0.0124998).abs() < 1e-7);
        assert!((s.c_skip - 3.90629e-5).abs() < 1e-10);
        assert!((s.c_out - 0.499978).abs() < 1e-6);
        let b = Scalings::consistency(0.002, 0.5, 0.002);
        assert_eq!((b.c_skip, b.c_out), (1.0, 0.0));
    }
}
