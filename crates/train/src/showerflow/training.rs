//! Maximum-likelihood training of the ShowerFlow on standardised features.

use super::ShowerFlow;
use crate::data::features::{shower_features, N_TOTALS};
use crate::engine::TrainTask;
use burn::tensor::{Device, Tensor, TensorData};
use calogen_data::PointClouds;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// E_inc enters the flow divided by this (100 GeV in MeV), as for the PointWise Net.
pub const ENERGY_SCALE_MEV: f64 = 100_000.0;

/// Per-feature standardisation after taking logs of N and E_vis (they span an order of
/// magnitude over 10–90 GeV; logs make them near-Gaussian for the base distribution).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureNormalisation {
    pub mean: Vec<f64>,
    pub std: Vec<f64>,
}

fn logs(mut raw: Vec<f64>) -> Vec<f64> {
    raw[0] = raw[0].max(1.0).ln();
    raw[1] = raw[1].max(1e-6).ln();
    raw
}

impl FeatureNormalisation {
    pub fn fit(rows: &[Vec<f64>]) -> Self {
        let d = rows[0].len();
        let n = rows.len() as f64;
        let mut mean = vec![0.0; d];
        let mut var = vec![0.0; d];
        for r in rows {
            for (m, v) in mean.iter_mut().zip(r) {
                *m += v / n;
            }
        }
        for r in rows {
            for ((s, v), m) in var.iter_mut().zip(r).zip(&mean) {
                *s += (v - m).powi(2) / n;
            }
        }
        // A floor keeps always-empty layers (fraction ≡ 0) finite.
        let std = var.into_iter().map(|v| v.sqrt().max(1e-3)).collect();
        Self { mean, std }
    }

    /// Physical features → flow space.
    pub fn fwd(&self, raw: Vec<f64>) -> Vec<f32> {
        logs(raw)
            .iter()
            .zip(self.mean.iter().zip(&self.std))
            .map(|(v, (m, s))| ((v - m) / s) as f32)
            .collect()
    }

    /// Flow space → physical features (N and E_vis exponentiated back).
    pub fn inv(&self, v: &[f32]) -> Vec<f64> {
        let mut r: Vec<f64> = v
            .iter()
            .zip(self.mean.iter().zip(&self.std))
            .map(|(&v, (m, s))| v as f64 * s + m)
            .collect();
        r[0] = r[0].exp();
        r[1] = r[1].exp();
        r
    }
}

/// Features and conditions of a set of showers, in flow space.
#[derive(Debug, Clone)]
pub struct FlowData {
    pub x: Vec<f32>,
    /// `n × cond_dim`, row-major.
    pub cond: Vec<f32>,
    pub n: usize,
    pub dim: usize,
    pub cond_dim: usize,
}

/// Computes features of all showers; fits the normalisation unless one is given (evaluation data
/// must use the training one). With `direction` the condition is [E/scale, p_x, p_y, p_depth]
/// (showers without a stored direction count as perpendicular).
pub fn prepare(
    pc: &PointClouds,
    n_layers: usize,
    norm: Option<&FeatureNormalisation>,
    direction: bool,
) -> (FlowData, FeatureNormalisation) {
    let rows: Vec<Vec<f64>> = (0..pc.len())
        .map(|i| shower_features(pc, i, n_layers))
        .collect();
    let norm = match norm {
        Some(n) => n.clone(),
        None => FeatureNormalisation::fit(&rows.iter().cloned().map(logs).collect::<Vec<_>>()),
    };
    let dim = rows[0].len();
    let x = rows.into_iter().flat_map(|r| norm.fwd(r)).collect();
    let cond_dim = if direction { 4 } else { 1 };
    let mut cond = Vec::with_capacity(pc.len() * cond_dim);
    for (i, &e) in pc.incident_energy.iter().enumerate() {
        cond.push((e as f64 / ENERGY_SCALE_MEV) as f32);
        if direction {
            let d = pc.direction.as_ref().map_or([0.0, 0.0, 1.0], |d| d[i]);
            cond.extend_from_slice(&d);
        }
    }
    (
        FlowData {
            x,
            cond,
            n: pc.len(),
            dim,
            cond_dim,
        },
        norm,
    )
}

impl FlowData {
    pub fn tensors(&self, rows: &[usize], device: &Device) -> (Tensor<2>, Tensor<2>) {
        let mut x = Vec::with_capacity(rows.len() * self.dim);
        for &r in rows {
            x.extend_from_slice(&self.x[r * self.dim..(r + 1) * self.dim]);
        }
        let k = self.cond_dim;
        let c: Vec<f32> = rows
            .iter()
            .flat_map(|&r| self.cond[r * k..(r + 1) * k].iter().copied())
            .collect();
        (
            Tensor::from_data(TensorData::new(x, [rows.len(), self.dim]), device),
            Tensor::from_data(TensorData::new(c, [rows.len(), k]), device),
        )
    }

    /// Mean negative log-likelihood per feature (nats) of the given rows.
    pub fn nll(&self, flow: &ShowerFlow, rows: &[usize], device: &Device) -> Tensor<1> {
        let (x, c) = self.tensors(rows, device);
        flow.log_prob(x, c).mean().neg().div_scalar(self.dim as f64)
    }
}

pub struct FlowTask<'a> {
    pub data: &'a FlowData,
    pub batch: usize,
    /// Std of the Gaussian noise added to the standardised features (see `FlowConfig::noise`).
    pub noise: f64,
    /// Its std on the four shower totals (`FlowConfig::totals_noise`).
    pub totals_noise: f64,
    pub device: Device,
}

impl TrainTask for FlowTask<'_> {
    type Model = ShowerFlow;

    fn loss(&self, model: &ShowerFlow, rng: &mut ChaCha8Rng) -> Tensor<1> {
        let rows: Vec<usize> = (0..self.batch)
            .map(|_| rng.random_range(0..self.data.n))
            .collect();
        let (x, c) = self.data.tensors(&rows, &self.device);
        let x = if self.noise > 0.0 || self.totals_noise > 0.0 {
            let mut eps = crate::engine::rng::normals(rng, rows.len() * self.data.dim);
            for row in eps.chunks_mut(self.data.dim) {
                for (j, e) in row.iter_mut().enumerate() {
                    *e *= if j < N_TOTALS {
                        self.totals_noise
                    } else {
                        self.noise
                    } as f32;
                }
            }
            let eps = Tensor::<2>::from_data(
                TensorData::new(eps, [rows.len(), self.data.dim]),
                &self.device,
            );
            x + eps
        } else {
            x
        };
        model
            .log_prob(x, c)
            .mean()
            .neg()
            .div_scalar(self.data.dim as f64)
    }
}
