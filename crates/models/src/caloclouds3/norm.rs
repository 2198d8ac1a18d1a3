//! Normalised ↔ physical point features (SPEC §5): v_n = (v − mean)/(2·std) for x, y, z and
//! e_n = (ln(e + 1e−12) − μ_E)/(2·σ_E) for the energy.

use super::config::PointNorm;

impl PointNorm {
    /// Inverse normalisation of `n` points `[x, y, z, e_n]`: x, y in mm (local frame), z in layer
    /// units, e = exp(2σ_E·e_n + μ_E). `xy_scale` multiplies the x/y std (1 = exact inverse,
    /// [`PointNorm::xy_calibration`] = the deployment calibration).
    pub fn denormalise(&self, normalised: &[f32], xy_scale: f64) -> Vec<f32> {
        assert_eq!(normalised.len() % 4, 0, "points are [x, y, z, e]");
        normalised
            .chunks_exact(4)
            .flat_map(|p| {
                [
                    (2.0 * self.x_std * xy_scale * p[0] as f64 + self.x_mean) as f32,
                    (2.0 * self.y_std * xy_scale * p[1] as f64 + self.y_mean) as f32,
                    (2.0 * self.z_std * p[2] as f64 + self.z_mean) as f32,
                    (2.0 * self.log_e_std * p[3] as f64 + self.log_e_mean).exp() as f32,
                ]
            })
            .collect()
    }

    /// Forward normalisation (training direction), the inverse of [`PointNorm::denormalise`] with
    /// `xy_scale = 1`.
    pub fn normalise(&self, points: &[f32]) -> Vec<f32> {
        assert_eq!(points.len() % 4, 0, "points are [x, y, z, e]");
        points
            .chunks_exact(4)
            .flat_map(|p| {
                [
                    ((p[0] as f64 - self.x_mean) / (2.0 * self.x_std)) as f32,
                    ((p[1] as f64 - self.y_mean) / (2.0 * self.y_std)) as f32,
                    ((p[2] as f64 - self.z_mean) / (2.0 * self.z_std)) as f32,
                    (((p[3] as f64 + 1e-12).ln() - self.log_e_mean) / (2.0 * self.log_e_std))
                        as f32,
                ]
            })
            .collect()
    }
}
