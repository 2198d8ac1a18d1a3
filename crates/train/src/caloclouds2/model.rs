//! PointWise Net F (SPEC §2 with CaloClouds II widths): ConcatSquashLinear stack with a shared
//! per-shower context [time embedding, E_inc, N_points]; no interaction between points.

use super::config::NetConfig;
use super::edm;
use crate::nn::fourier::LEAKY_SLOPE;
use crate::nn::{ConcatSquashLinear, TimeEmbedding};
use burn::module::Module;
use burn::tensor::activation::leaky_relu;
use burn::tensor::{Device, Tensor, TensorData};
use rand_chacha::ChaCha8Rng;

#[derive(Module, Debug)]
pub struct PointWiseNet {
    pub time_embed: TimeEmbedding,
    pub layers: Vec<ConcatSquashLinear>,
}

impl PointWiseNet {
    pub fn new(cfg: &NetConfig, rng: &mut ChaCha8Rng, device: &Device) -> Self {
        let time_embed = TimeEmbedding::new(cfg.time_dim, rng, device);
        let mut widths = vec![cfg.features];
        widths.extend(&cfg.hidden);
        widths.push(cfg.features);
        let layers = widths
            .windows(2)
            .map(|w| ConcatSquashLinear::new(w[0], w[1], cfg.ctx_dim(), rng, device))
            .collect();
        Self { time_embed, layers }
    }

    /// F(x_in, σ, cond): `x_in` `[b, n, 4]` (already c_in-scaled), `sigma` `[b]`, `cond` `[b, 2]`.
    pub fn forward(&self, x_in: Tensor<3>, sigma: Tensor<1>, cond: Tensor<2>) -> Tensor<3> {
        let ctx = Tensor::cat(vec![self.time_embed.forward(sigma), cond], 1);
        let last = self.layers.len() - 1;
        let mut h = x_in;
        for (i, l) in self.layers.iter().enumerate() {
            h = l.forward(h, ctx.clone());
            if i < last {
                h = leaky_relu(h, LEAKY_SLOPE);
            }
        }
        h
    }

    /// The EDM denoiser D(x; σ) = c_skip·x + c_out·F(c_in·x, σ) with one σ per shower.
    pub fn denoise(
        &self,
        x: Tensor<3>,
        sigma: &[f64],
        cond: Tensor<2>,
        sigma_data: f64,
    ) -> Tensor<3> {
        self.denoise_with(x, sigma, cond, &|s| edm::edm(s, sigma_data))
    }

    /// The consistency function f(x, σ) = c_skip·x + c_out·F(c_in·x, σ) with the boundary
    /// scalings (f(x, σ_min) = x exactly).
    pub fn consistency(
        &self,
        x: Tensor<3>,
        sigma: &[f64],
        cond: Tensor<2>,
        sigma_data: f64,
        sigma_min: f64,
    ) -> Tensor<3> {
        self.denoise_with(x, sigma, cond, &|s| {
            edm::consistency(s, sigma_data, sigma_min)
        })
    }

    /// c_skip·x + c_out·F(c_in·x, σ) for the given preconditioning, one σ per shower.
    pub fn denoise_with(
        &self,
        x: Tensor<3>,
        sigma: &[f64],
        cond: Tensor<2>,
        scalings: &dyn Fn(f64) -> edm::Scalings,
    ) -> Tensor<3> {
        let device = x.device();
        let b = sigma.len();
        let col = |f: &dyn Fn(&edm::Scalings) -> f64| {
            let v: Vec<f32> = sigma.iter().map(|&s| f(&scalings(s)) as f32).collect();
            Tensor::<3>::from_data(TensorData::new(v, [b, 1, 1]), &device)
        };
        let (c_skip, c_out, c_in) = (col(&|c| c.c_skip), col(&|c| c.c_out), col(&|c| c.c_in));
        let s: Vec<f32> = sigma.iter().map(|&s| s as f32).collect();
        let sigma_t = Tensor::<1>::from_data(TensorData::new(s, [b]), &device);
        let f = self.forward(x.clone() * c_in, sigma_t, cond);
        x * c_skip + f * c_out
    }
}
