//! Noise-level embedding of k-diffusion's `FourierFeatures` followed by Linear + LeakyReLU
//! (`timestep_embed` of CaloClouds' PointwiseNet_kDiffusion).

use super::activation::{leaky_relu_inplace, LEAKY_SLOPE};
use super::linear::Linear;
use crate::error::{Error, Result};
use crate::tensor::TensorMap;

#[derive(Debug, Clone)]
pub struct FourierTimeEmbedding {
    /// The fixed random frequencies w (a [n,1] buffer in PyTorch, drawn with std 16 at init).
    freqs: Vec<f32>,
    linear: Linear,
}

/// Every stage of the embedding, for checks against reference intermediates.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeEmbedding {
    pub c_noise: f32,
    /// φ = [cos f, sin f] with f = 2π·c_noise·w.
    pub features: Vec<f32>,
    /// LeakyReLU(A φ + a).
    pub embedding: Vec<f32>,
}

impl FourierTimeEmbedding {
    pub fn new(freqs: Vec<f32>, linear: Linear) -> Result<Self> {
        if linear.in_features() != 2 * freqs.len() {
            return Err(Error::Invalid(format!(
                "time embedding: {} frequencies give {} features, the linear layer takes {}",
                freqs.len(),
                2 * freqs.len(),
                linear.in_features()
            )));
        }
        Ok(FourierTimeEmbedding { freqs, linear })
    }

    /// `{fourier}.weight` [n,1] and `{linear}.{weight,bias}` [dim, 2n].
    pub fn from_map(
        map: &TensorMap,
        fourier: &str,
        linear: &str,
        n_freqs: usize,
        dim: usize,
    ) -> Result<Self> {
        let freqs = map
            .get(&format!("{fourier}.weight"), &[n_freqs, 1])?
            .data
            .clone();
        let linear = Linear::from_map(map, linear, 2 * n_freqs, dim, true)?;
        FourierTimeEmbedding::new(freqs, linear)
    }

    pub fn dim(&self) -> usize {
        self.linear.out_features()
    }

    /// c_noise = ln(σ)/4 (SPEC §2), the noise conditioning of EDM.
    pub fn c_noise(sigma: f32) -> f32 {
        sigma.ln() / 4.0
    }

    /// φ = [cos f (n), sin f (n)], f = 2π·c_noise·w.
    pub fn features(&self, c_noise: f32) -> Vec<f32> {
        // k-diffusion computes `2 * math.pi * input @ weight.T` in f32: round 2π·c first, then the
        // product with w. |f| reaches a few hundred, so keeping torch's rounding order matters at
        // the 1e-5 level; cos/sin themselves are evaluated in f64 and rounded once.
        let scaled = (2.0 * std::f32::consts::PI) * c_noise;
        let f: Vec<f64> = self.freqs.iter().map(|&w| (scaled * w) as f64).collect();
        f.iter()
            .map(|v| v.cos() as f32)
            .chain(f.iter().map(|v| v.sin() as f32))
            .collect()
    }

    pub fn forward(&self, sigma: f32) -> TimeEmbedding {
        let c_noise = Self::c_noise(sigma);
        let features = self.features(c_noise);
        let mut embedding = self.linear.apply(&features);
        leaky_relu_inplace(&mut embedding, LEAKY_SLOPE);
        TimeEmbedding {
            c_noise,
            features,
            embedding,
        }
    }
}
