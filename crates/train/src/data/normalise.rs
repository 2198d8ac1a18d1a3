//! CaloClouds normalisations.
//!
//! Points: paper 000 makes depth continuous (passive material removed) and scales positions; we
//! jitter the layer index uniformly inside the layer (z = layer + U(0,1)) and standardise each
//! feature as CaloClouds3 does (SPEC §5): v_n = (v − mean)/(2·std), energy via ln(E/MeV). Every
//! feature then has standard deviation 0.5 = σ_data, which the EDM preconditioning assumes.
//! (The paper's wording "[−1, 1]" and raw MeV energies are an older preprocessing; this one is
//! what the CaloClouds code base trains with and the `calogen-models` inference expects.)

use serde::{Deserialize, Serialize};

pub use calogen_models::nn::norm::{PointNormalisation, Standardiser};

/// Shower-level conditioning of the PointWise Net, scaled to O(1): [E_inc, N_points] (CaloClouds
/// II), or with `direction` [E_inc, p_x, p_y, p_depth] (CaloClouds3: the unit incident direction in
/// the local frame instead of the number of points).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CondNormalisation {
    /// E_inc is divided by this (MeV); 100 GeV puts the 10–90 GeV photons in [0.1, 0.9]
    /// (CaloClouds3: 127 GeV).
    pub energy_scale_mev: f64,
    /// N_points is divided by this; CaloClouds II generates up to ~6000 points.
    pub points_scale: f64,
    /// Condition on the incident direction instead of the number of points.
    pub direction: bool,
}

impl Default for CondNormalisation {
    fn default() -> Self {
        Self {
            energy_scale_mev: 100_000.0,
            points_scale: 5000.0,
            direction: false,
        }
    }
}

/// The direction of a shower without one: perpendicular incidence.
pub const PERPENDICULAR: [f32; 3] = [0.0, 0.0, 1.0];

impl CondNormalisation {
    /// Width of the condition vector.
    pub fn dim(&self) -> usize {
        if self.direction {
            4
        } else {
            2
        }
    }

    /// Appends one shower's condition to `out` (`dim()` values); a shower without a stored
    /// direction counts as perpendicular.
    pub fn push(
        &self,
        e_inc_mev: f32,
        n_points: usize,
        direction: Option<[f32; 3]>,
        out: &mut Vec<f32>,
    ) {
        out.push((e_inc_mev as f64 / self.energy_scale_mev) as f32);
        if self.direction {
            out.extend(direction.unwrap_or(PERPENDICULAR));
        } else {
            out.push((n_points as f64 / self.points_scale) as f32);
        }
    }

    /// One shower's condition as a vector.
    pub fn fwd(&self, e_inc_mev: f32, n_points: usize, direction: Option<[f32; 3]>) -> Vec<f32> {
        let mut v = Vec::with_capacity(self.dim());
        self.push(e_inc_mev, n_points, direction, &mut v);
        v
    }
}
