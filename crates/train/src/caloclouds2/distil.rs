//! Consistency distillation (paper 000, Sec. 3.2; Song et al. 2023, Algorithm 2) of the EDM
//! PointWise Net into a one-step consistency model.
//!
//! N boundaries σ_min = t_1 < … < t_N = σ_max on the Karras grid. Per shower a boundary index n is
//! drawn, x_{t_{n+1}} = x₀ + t_{n+1}·ε, the teacher takes one Heun step of the probability-flow
//! ODE to x̂_{t_n}, and the student f_θ(x_{t_{n+1}}, t_{n+1}) is regressed (squared error) on the
//! target f_θ⁻(x̂_{t_n}, t_n). θ⁻ is the EMA (μ = 0.95) of θ, which is also what is exported for
//! sampling. The student starts from the teacher weights; f uses the boundary scalings of
//! [`super::edm::consistency`], so f(x, σ_min) = x holds for any weights.

use super::training::{draw_batch, Batch};
use super::{edm, Cc2Config, PointWiseNet};
use crate::data::PointNormalisation;
use crate::engine::rng::normals;
use crate::engine::{Result, TrainError, TrainTask, TrainerConfig};
use burn::tensor::{Device, Tensor, TensorData};
use calogen_data::PointClouds;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DistilConfig {
    /// N boundaries of the discretised ODE (paper 000: 18).
    pub boundaries: usize,
    /// EMA decay of the target network θ⁻ (paper 000: 0.95).
    pub target_ema: f64,
    pub showers: usize,
    pub points_per_shower: usize,
    /// `ema_decay` is ignored: the target EMA is `target_ema`.
    pub trainer: TrainerConfig,
}

impl Default for DistilConfig {
    /// Paper 000: Adam, constant 1e-4, batch 256, 1M iterations.
    fn default() -> Self {
        Self {
            boundaries: 18,
            target_ema: 0.95,
            showers: 256,
            points_per_shower: 128,
            trainer: TrainerConfig::default(),
        }
    }
}

impl DistilConfig {
    pub fn from_toml(s: &str) -> Result<Self> {
        toml::from_str(s).map_err(|e| TrainError::Config(e.to_string()))
    }

    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("config serialises")
    }

    /// The trainer settings actually used (EMA decay = target EMA).
    pub fn trainer(&self) -> TrainerConfig {
        TrainerConfig {
            ema_decay: self.target_ema,
            ..self.trainer.clone()
        }
    }
}

/// t_1 = σ_min < … < t_N = σ_max: the Karras grid of the teacher, ascending.
pub fn boundaries(cfg: &Cc2Config, n: usize) -> Vec<f64> {
    let e = &cfg.edm;
    let mut t = edm::karras_sigmas(n, e.sigma_min, e.sigma_max, e.rho);
    t.pop();
    t.reverse();
    t
}

pub struct DistilTask<'a> {
    pub showers: &'a PointClouds,
    pub norm: PointNormalisation,
    /// The teacher's config (scalings, schedule, condition scaling).
    pub cfg: &'a Cc2Config,
    pub distil: &'a DistilConfig,
    /// The EDM teacher on the plain device.
    pub teacher: &'a PointWiseNet,
    pub device: Device,
}

fn t3(v: Vec<f32>, b: usize, n: usize, device: &Device) -> Tensor<3> {
    Tensor::from_data(TensorData::new(v, [b, n, 4]), device)
}

fn vec3(t: Tensor<3>) -> Vec<f32> {
    t.into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .expect("f32 tensor")
}

/// One teacher Heun step per shower from `hi[i]` to `lo[i]` (both > 0), on the plain device.
pub fn teacher_heun_step(
    teacher: &PointWiseNet,
    x: Tensor<3>,
    hi: &[f64],
    lo: &[f64],
    cond: Tensor<2>,
    sigma_data: f64,
) -> Tensor<3> {
    let device = x.device();
    let b = hi.len();
    let col = |v: Vec<f64>| {
        let v: Vec<f32> = v.into_iter().map(|s| s as f32).collect();
        Tensor::<3>::from_data(TensorData::new(v, [b, 1, 1]), &device)
    };
    let inv_hi = col(hi.iter().map(|s| 1.0 / s).collect());
    let inv_lo = col(lo.iter().map(|s| 1.0 / s).collect());
    let dt = col(hi.iter().zip(lo).map(|(h, l)| l - h).collect());
    let d = (x.clone() - teacher.denoise(x.clone(), hi, cond.clone(), sigma_data)) * inv_hi;
    let x_euler = x.clone() + d.clone() * dt.clone();
    let d2 = (x_euler.clone() - teacher.denoise(x_euler, lo, cond, sigma_data)) * inv_lo;
    x + (d + d2) * dt.mul_scalar(0.5)
}

impl DistilTask<'_> {
    /// The loss for a given batch, boundary indices (0-based n, n + 1 < N) and noise.
    pub fn loss_for(
        &self,
        model: &PointWiseNet,
        target: &PointWiseNet,
        batch: &Batch,
        n_idx: &[usize],
        eps: &[f32],
    ) -> Tensor<1> {
        let (b, n) = (batch.b, batch.n);
        let e = &self.cfg.edm;
        let t = boundaries(self.cfg, self.distil.boundaries);
        let hi: Vec<f64> = n_idx.iter().map(|&i| t[i + 1]).collect();
        let lo: Vec<f64> = n_idx.iter().map(|&i| t[i]).collect();
        let mut x_hi = Vec::with_capacity(b * n * 4);
        for (i, &s) in hi.iter().enumerate() {
            let r = i * n * 4..(i + 1) * n * 4;
            for (&x0, &z) in batch.x0[r.clone()].iter().zip(&eps[r]) {
                x_hi.push(x0 + (s as f32) * z);
            }
        }
        let plain = crate::infer_device();
        let cond_plain = batch.cond_tensor(&plain);
        let x_lo = teacher_heun_step(
            self.teacher,
            t3(x_hi.clone(), b, n, &plain),
            &hi,
            &lo,
            cond_plain.clone(),
            e.sigma_data,
        );
        let y = target.consistency(x_lo, &lo, cond_plain, e.sigma_data, e.sigma_min);
        let y = t3(vec3(y), b, n, &self.device);
        let cond = batch.cond_tensor(&self.device);
        let f = model.consistency(
            t3(x_hi, b, n, &self.device),
            &hi,
            cond,
            e.sigma_data,
            e.sigma_min,
        );
        (f - y).square().mean()
    }

    /// Draws batch, boundary indices and noise from `rng`.
    pub fn draw(&self, rng: &mut ChaCha8Rng) -> (Batch, Vec<usize>, Vec<f32>) {
        let (b, n) = (self.distil.showers, self.distil.points_per_shower);
        let batch = draw_batch(self.showers, &self.norm, &self.cfg.cond, b, n, rng);
        let n_idx = (0..b)
            .map(|_| rng.random_range(0..self.distil.boundaries - 1))
            .collect();
        let eps = normals(rng, b * n * 4);
        (batch, n_idx, eps)
    }
}

impl TrainTask for DistilTask<'_> {
    type Model = PointWiseNet;

    fn loss(&self, _model: &PointWiseNet, _rng: &mut ChaCha8Rng) -> Tensor<1> {
        unreachable!("consistency distillation needs the target network: loss_with_ema")
    }

    fn loss_with_ema(
        &self,
        model: &PointWiseNet,
        ema: &PointWiseNet,
        rng: &mut ChaCha8Rng,
    ) -> Tensor<1> {
        let (batch, n_idx, eps) = self.draw(rng);
        self.loss_for(model, ema, &batch, &n_idx, &eps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::stream;

    #[test]
    fn eighteen_boundaries_from_sigma_min_to_sigma_max() {
        let cfg = Cc2Config::default();
        let t = boundaries(&cfg, 18);
        assert_eq!(t.len(), 18);
        assert!((t[0] - 0.002).abs() < 1e-12 && (t[17] - 80.0).abs() < 1e-9);
        assert!(t.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn consistency_function_is_the_identity_at_sigma_min_for_any_weights() {
        let mut cfg = Cc2Config::default();
        cfg.net.hidden = vec![8, 8];
        cfg.net.time_dim = 8;
        let dev = crate::infer_device();
        let net = PointWiseNet::new(&cfg.net, &mut stream(5, "init"), &dev);
        let x = normals(&mut stream(6, "x"), 2 * 5 * 4);
        let cond =
            Tensor::<2>::from_data(TensorData::new(vec![0.2f32, 0.3, 0.7, 0.1], [2, 2]), &dev);
        let y = net.consistency(
            t3(x.clone(), 2, 5, &dev),
            &[0.002, 0.002],
            cond.clone(),
            0.5,
            0.002,
        );
        assert_eq!(vec3(y), x);
        // Away from the boundary the network does contribute.
        let y = net.consistency(t3(x.clone(), 2, 5, &dev), &[1.0, 1.0], cond, 0.5, 0.002);
        assert!(vec3(y).iter().zip(&x).any(|(a, b)| (a - b).abs() > 1e-3));
    }
}
