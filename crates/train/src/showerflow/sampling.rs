//! Sampling shower features for given incident energies.

use super::training::{FeatureNormalisation, ENERGY_SCALE_MEV};
use super::ShowerFlow;
use crate::engine::rng::normals;
use burn::tensor::{Device, Tensor, TensorData};
use rand_chacha::ChaCha8Rng;

/// One shower's generated conditioning and calibration targets.
#[derive(Debug, Clone, PartialEq)]
pub struct ShowerFeatures {
    pub n_points: usize,
    pub e_vis_mev: f64,
    pub cog: [f64; 2],
    /// Per layer, non-negative, sums to 1.
    pub point_fraction: Vec<f64>,
    pub energy_fraction: Vec<f64>,
}

fn simplex(v: &[f64]) -> Vec<f64> {
    let c: Vec<f64> = v.iter().map(|x| x.max(0.0)).collect();
    let s: f64 = c.iter().sum();
    if s > 0.0 {
        c.iter().map(|x| x / s).collect()
    } else {
        vec![1.0 / v.len() as f64; v.len()]
    }
}

pub fn sample(
    flow: &ShowerFlow,
    norm: &FeatureNormalisation,
    energies_mev: &[f32],
    rng: &mut ChaCha8Rng,
    device: &Device,
) -> Vec<ShowerFeatures> {
    let (n, d) = (energies_mev.len(), norm.mean.len());
    let z = Tensor::<2>::from_data(TensorData::new(normals(rng, n * d), [n, d]), device);
    let c: Vec<f32> = energies_mev
        .iter()
        .map(|&e| (e as f64 / ENERGY_SCALE_MEV) as f32)
        .collect();
    let cond = Tensor::<2>::from_data(TensorData::new(c, [n, 1]), device);
    let x = flow.inverse(z, cond);
    let v = x
        .into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .expect("f32");
    let layers = (d - 4) / 2;
    v.chunks_exact(d)
        .map(|row| {
            let r = norm.inv(row);
            ShowerFeatures {
                n_points: r[0].round().max(1.0) as usize,
                e_vis_mev: r[1],
                cog: [r[2], r[3]],
                point_fraction: simplex(&r[4..4 + layers]),
                energy_fraction: simplex(&r[4 + layers..]),
            }
        })
        .collect()
}
