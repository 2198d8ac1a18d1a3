//! Floating-point operations of the CaloClouds3 one-step denoiser, counted from its config.
//!
//! Counted as the fused kernel executes them (so a GFLOP/s figure never credits work that is not
//! done), without the padding of the output widths to the micro-tile:
//! * per point, each ConcatSquashLinear layer y = (W h + b) ⊙ gate + H ctx: 2·in·out for W h, then
//!   one FMA per output channel (2 flops), because b ⊙ gate + H ctx is folded into one shift per
//!   shower; LeakyReLU 1 flop per channel after every layer but the last;
//! * per point, the preconditioning: c_in·x (1 per feature) and c_out·F + c_skip·x (3 per feature);
//! * per shower, the condition's share of the hypernetworks: G and H times the cond_dim condition
//!   columns (2·cond_dim·out each) and the fold of bias and shift (2 per channel). The sigmoid is
//!   not counted (a transcendental);
//! * per σ, the time embedding and its share of G and H. For one-step sampling σ = σ_max is fixed,
//!   so this is computed once per model load and not part of any shower's time.

use crate::caloclouds3::Cc3Config;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cc3Flops {
    /// Per point: the dense products W h.
    pub matmul: u64,
    /// Per point: per-channel scale and shift (the gate and the hypernetwork bias).
    pub modulation: u64,
    /// Per point: LeakyReLU.
    pub activation: u64,
    /// Per point: c_in, c_out and c_skip.
    pub preconditioning: u64,
    /// Per shower (independent of the number of points).
    pub per_shower: u64,
    /// Per noise level σ (shared by all showers; cached for one-step sampling).
    pub per_sigma: u64,
}

impl Cc3Flops {
    pub fn of(cfg: &Cc3Config) -> Self {
        let d = cfg.point_dim as u64;
        let n_layers = cfg.layer_in.len();
        let layers = || {
            cfg.layer_in
                .iter()
                .zip(&cfg.layer_out)
                .map(|(&i, &o)| (i as u64, o as u64))
        };
        let matmul = layers().map(|(i, o)| 2 * i * o).sum();
        let modulation = layers().map(|(_, o)| 2 * o).sum();
        let activation = layers().take(n_layers - 1).map(|(_, o)| o).sum();
        let (cond, time, fourier) = (
            cfg.cond_dim as u64,
            cfg.time_dim as u64,
            cfg.fourier_features as u64,
        );
        let per_shower = layers().map(|(_, o)| 2 * 2 * cond * o + 2 * o).sum();
        // c_noise = ln σ / 4 (1), f = 2π·c_noise·w (2 per feature), A φ + a over [cos f, sin f],
        // LeakyReLU, then the time columns of G (with its bias) and H.
        let embedding = 1 + 2 * fourier + 2 * (2 * fourier) * time + time + time;
        let per_sigma = embedding + layers().map(|(_, o)| 2 * 2 * time * o + o).sum::<u64>();
        Cc3Flops {
            matmul,
            modulation,
            activation,
            preconditioning: d + 3 * d,
            per_shower,
            per_sigma,
        }
    }

    pub fn per_point(&self) -> u64 {
        self.matmul + self.modulation + self.activation + self.preconditioning
    }

    /// One denoiser call on one shower of `n` points (σ-only work excluded, see the module doc).
    pub fn shower(&self, n: usize) -> u64 {
        self.per_point() * n as u64 + self.per_shower
    }

    /// `b` showers of `n` points.
    pub fn batch(&self, b: usize, n: usize) -> u64 {
        b as u64 * self.shower(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::caloclouds3::{Cc3Model, PointNorm};

    fn tiny() -> Cc3Config {
        Cc3Config {
            point_dim: 2,
            cond_dim: 1,
            time_dim: 2,
            fourier_features: 1,
            ctx_dim: 3,
            layer_in: vec![2, 3],
            layer_out: vec![3, 2],
            residual: false,
            sigma_data: 0.5,
            sigma_min: 0.002,
            sigma_max: 80.0,
            incident_energy_rescale_gev: 127.0,
            point_norm: PointNorm {
                x_mean: 0.0,
                x_std: 1.0,
                y_mean: 0.0,
                y_std: 1.0,
                z_mean: 0.0,
                z_std: 1.0,
                log_e_mean: 0.0,
                log_e_std: 1.0,
                xy_calibration: 1.0,
            },
            tensor_names: Default::default(),
            original_state_dict_keys: Default::default(),
            scale_factors: None,
        }
    }

    #[test]
    fn tiny_config_matches_hand_count() {
        // Layers 2→3 (LeakyReLU) and 3→2; cond 1, time 2, one Fourier feature.
        let f = Cc3Flops::of(&tiny());
        assert_eq!(f.matmul, 2 * (2 * 3 + 3 * 2)); // 24
        assert_eq!(f.modulation, 2 * (3 + 2)); // 10
        assert_eq!(f.activation, 3);
        assert_eq!(f.preconditioning, 2 + 3 * 2); // 8
        assert_eq!(f.per_point(), 45);
        // Layer 0: G and H cond columns 2·2·1·3 = 12, fold 6; layer 1: 8 + 4.
        assert_eq!(f.per_shower, 18 + 12);
        // Embedding 1 + 2 + 2·2·2 + 2 + 2 = 15; layer 0: 2·2·2·3 + 3 = 27; layer 1: 16 + 2 = 18.
        assert_eq!(f.per_sigma, 15 + 27 + 18);
        assert_eq!(f.shower(10), 450 + 30);
        assert_eq!(f.batch(3, 10), 3 * 480);
    }

    #[test]
    fn official_network() {
        let model = Cc3Model::embedded().unwrap();
        let f = Cc3Flops::of(model.config());
        // 4→32→64→128→64→32→4: Σ in·out = 128 + 2048 + 8192 + 8192 + 2048 + 128 = 20736.
        assert_eq!(f.matmul, 2 * 20736);
        assert_eq!(f.matmul, 2 * model.network().macs_per_point() as u64);
        // Σ out = 324, of which 320 before a LeakyReLU.
        assert_eq!(f.modulation, 648);
        assert_eq!(f.activation, 320);
        assert_eq!(f.per_point(), 41472 + 648 + 320 + 16);
    }
}
