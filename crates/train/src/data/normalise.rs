//! CaloClouds normalisations.
//!
//! Points: paper 000 makes depth continuous (passive material removed) and scales positions; we
//! jitter the layer index uniformly inside the layer (z = layer + U(0,1)) and standardise each
//! feature as CaloClouds3 does (SPEC §5): v_n = (v − mean)/(2·std), energy via ln(E/MeV). Every
//! feature then has standard deviation 0.5 = σ_data, which the EDM preconditioning assumes.
//! (The paper's wording "[−1, 1]" and raw MeV energies are an older preprocessing; this one is
//! what the CaloClouds code base trains with and the `calogen-models` inference expects.)

use calogen_data::PointClouds;
use serde::{Deserialize, Serialize};

/// Mean and standard deviation of one feature.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Standardiser {
    pub mean: f64,
    pub std: f64,
}

impl Standardiser {
    pub fn fit(values: impl Iterator<Item = f64>) -> Self {
        let (mut n, mut s, mut s2) = (0.0f64, 0.0f64, 0.0f64);
        for v in values {
            n += 1.0;
            s += v;
            s2 += v * v;
        }
        let mean = s / n.max(1.0);
        let var = (s2 / n.max(1.0) - mean * mean).max(0.0);
        Self {
            mean,
            std: var.sqrt().max(1e-6),
        }
    }

    /// To the 0.5-std scale of SPEC §5.
    pub fn fwd(&self, v: f64) -> f32 {
        ((v - self.mean) / (2.0 * self.std)) as f32
    }

    pub fn inv(&self, v: f32) -> f64 {
        v as f64 * 2.0 * self.std + self.mean
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PointNormalisation {
    pub x: Standardiser,
    pub y: Standardiser,
    /// Continuous depth in layer units (layer + jitter).
    pub z: Standardiser,
    /// ln(E / MeV)
    pub ln_e: Standardiser,
}

/// Energy floor before the logarithm; the readers reject E ≤ 0 but a guard costs nothing.
const E_FLOOR_MEV: f64 = 1e-6;

impl PointNormalisation {
    pub fn fit(pc: &PointClouds) -> Self {
        let n = pc.n_points();
        Self {
            x: Standardiser::fit(pc.x.iter().map(|&v| v as f64)),
            y: Standardiser::fit(pc.y.iter().map(|&v| v as f64)),
            z: Standardiser::fit((0..n).map(|i| pc.layer[i] as f64 + 0.5)),
            ln_e: Standardiser::fit(pc.energy.iter().map(|&e| (e as f64).max(E_FLOOR_MEV).ln())),
        }
    }

    /// One point to network space; `jitter` ∈ [0, 1) places it inside its layer.
    pub fn fwd(&self, x: f32, y: f32, layer: u16, e_mev: f32, jitter: f32) -> [f32; 4] {
        [
            self.x.fwd(x as f64),
            self.y.fwd(y as f64),
            self.z.fwd(layer as f64 + jitter as f64),
            self.ln_e.fwd((e_mev as f64).max(E_FLOOR_MEV).ln()),
        ]
    }

    /// Network space to (x mm, y mm, layer, E MeV); the layer is the floor of the continuous
    /// depth, clamped to the detector.
    pub fn inv(&self, p: [f32; 4], n_layers: usize) -> (f32, f32, u16, f32) {
        let z = self.z.inv(p[2]).floor().clamp(0.0, (n_layers - 1) as f64);
        (
            self.x.inv(p[0]) as f32,
            self.y.inv(p[1]) as f32,
            z as u16,
            self.ln_e.inv(p[3]).exp() as f32,
        )
    }
}

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
