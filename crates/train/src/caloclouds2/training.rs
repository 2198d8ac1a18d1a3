//! EDM training of the PointWise Net (paper 000, Sec. 3.1): ln σ ~ N(P_mean, P_std²) per shower,
//! x = x₀ + σ·ε, loss λ(σ)‖D(x; σ) − x₀‖², written as the unit-weight regression of F on
//! (x₀ − c_skip·x)/c_out (identical because λ·c_out² = 1, and better conditioned).

use super::{edm, Cc2Config, PointWiseNet};
use crate::data::{CondNormalisation, PointNormalisation};
use crate::engine::rng::normal;
use crate::engine::TrainTask;
use burn::tensor::{Device, Tensor, TensorData};
use calogen_data::PointClouds;
use rand::seq::index::sample;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

pub struct EdmTask<'a> {
    pub showers: &'a PointClouds,
    pub norm: PointNormalisation,
    pub cfg: &'a Cc2Config,
    pub device: Device,
}

/// One batch in network space: points `[b, n, 4]` and conditions `[b, cond_dim]`, flattened.
pub struct Batch {
    pub x0: Vec<f32>,
    pub cond: Vec<f32>,
    pub b: usize,
    pub n: usize,
}

impl Batch {
    /// The conditions as a `[b, cond_dim]` tensor.
    pub fn cond_tensor(&self, device: &Device) -> Tensor<2> {
        let dim = self.cond.len() / self.b;
        Tensor::from_data(TensorData::new(self.cond.clone(), [self.b, dim]), device)
    }
}

/// Draws `b` showers and `n` points of each; all randomness from `rng`.
pub fn draw_batch(
    showers: &PointClouds,
    norm: &PointNormalisation,
    cond_norm: &CondNormalisation,
    b: usize,
    n: usize,
    rng: &mut ChaCha8Rng,
) -> Batch {
    let mut x0 = Vec::with_capacity(b * n * 4);
    let mut cond = Vec::with_capacity(b * cond_norm.dim());
    for _ in 0..b {
        let s = showers.shower(rng.random_range(0..showers.len()));
        let len = s.len();
        let picks: Vec<usize> = if len >= n {
            sample(rng, len, n).into_vec()
        } else {
            (0..n).map(|_| rng.random_range(0..len)).collect()
        };
        for k in picks {
            let jitter: f32 = rng.random();
            x0.extend(norm.fwd(s.x[k], s.y[k], s.layer[k], s.energy[k], jitter));
        }
        cond_norm.push(s.incident_energy, len, s.direction, &mut cond);
    }
    Batch { x0, cond, b, n }
}

impl TrainTask for EdmTask<'_> {
    type Model = PointWiseNet;

    fn loss(&self, model: &PointWiseNet, rng: &mut ChaCha8Rng) -> Tensor<1> {
        let (b, n) = (self.cfg.batch.showers, self.cfg.batch.points_per_shower);
        let e = &self.cfg.edm;
        let batch = draw_batch(self.showers, &self.norm, &self.cfg.cond, b, n, rng);
        let sigma: Vec<f64> = (0..b)
            .map(|_| (e.p_mean + e.p_std * normal(rng) as f64).exp())
            .collect();
        let eps = crate::engine::rng::normals(rng, b * n * 4);
        edm_loss(model, &batch, &sigma, &eps, e.sigma_data, &self.device)
    }
}

/// The loss for given noise levels and noise (separate so tests can fix them).
pub fn edm_loss(
    model: &PointWiseNet,
    batch: &Batch,
    sigma: &[f64],
    eps: &[f32],
    sigma_data: f64,
    device: &Device,
) -> Tensor<1> {
    let (b, n) = (batch.b, batch.n);
    let mut x_in = Vec::with_capacity(b * n * 4);
    let mut target = Vec::with_capacity(b * n * 4);
    for (i, &s) in sigma.iter().enumerate() {
        let c = edm::edm(s, sigma_data);
        let range = i * n * 4..(i + 1) * n * 4;
        for (&x0, &e) in batch.x0[range.clone()].iter().zip(&eps[range]) {
            let x = x0 as f64 + s * e as f64;
            x_in.push((c.c_in * x) as f32);
            target.push(((x0 as f64 - c.c_skip * x) / c.c_out) as f32);
        }
    }
    let t3 = |v: Vec<f32>| Tensor::<3>::from_data(TensorData::new(v, [b, n, 4]), device);
    let s: Vec<f32> = sigma.iter().map(|&s| s as f32).collect();
    let sigma_t = Tensor::<1>::from_data(TensorData::new(s, [b]), device);
    let f = model.forward(t3(x_in), sigma_t, batch.cond_tensor(device));
    (f - t3(target)).square().mean()
}
