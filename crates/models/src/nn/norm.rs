//! The point normalisation of the CaloClouds families (CaloClouds3 SPEC §5): each feature
//! standardised as v_n = (v − mean)/(2·std), energy via ln(E/MeV), depth continuous in layer units
//! (layer + U(0, 1) when training). One implementation for training (`calogen-train` fits and
//! applies it) and inference (the CaloClouds II family inverts it).

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
