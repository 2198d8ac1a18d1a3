//! Sampling: Karras schedule and the deterministic 2nd-order Heun solver (EDM Algorithm 1 without
//! churn). With 13 steps the last step is Euler, so 2·13 − 1 = 25 network evaluations.

use super::{edm, Cc2Config, PointWiseNet};
use crate::data::PointNormalisation;
use crate::engine::rng::normals;
use burn::tensor::{Device, Tensor, TensorData};
use calogen_data::PointClouds;
use rand_chacha::ChaCha8Rng;

/// Solves the probability-flow ODE from x_T = σ_max·ε to σ = 0 for one shower of `n` points.
/// Returns normalised points `[n·4]` and the number of network evaluations.
pub fn heun(
    model: &PointWiseNet,
    cfg: &Cc2Config,
    cond: &[f32],
    n: usize,
    rng: &mut ChaCha8Rng,
    device: &Device,
) -> (Vec<f32>, usize) {
    let e = &cfg.edm;
    let sigmas = edm::karras_sigmas(e.steps, e.sigma_min, e.sigma_max, e.rho);
    let cond_t = Tensor::<2>::from_data(TensorData::new(cond.to_vec(), [1, cond.len()]), device);
    let eps = normals(rng, n * 4);
    let mut x =
        Tensor::<3>::from_data(TensorData::new(eps, [1, n, 4]), device).mul_scalar(sigmas[0]);
    let mut nfe = 0;
    let denoise = |x: Tensor<3>, s: f64, nfe: &mut usize| {
        *nfe += 1;
        model.denoise(x, &[s], cond_t.clone(), e.sigma_data)
    };
    for w in sigmas.windows(2) {
        let (s, s_next) = (w[0], w[1]);
        let d = (x.clone() - denoise(x.clone(), s, &mut nfe)).div_scalar(s);
        let x_euler = x.clone() + d.clone().mul_scalar(s_next - s);
        x = if s_next > 0.0 {
            let d2 = (x_euler.clone() - denoise(x_euler, s_next, &mut nfe)).div_scalar(s_next);
            x + (d + d2).mul_scalar(0.5 * (s_next - s))
        } else {
            x_euler
        };
    }
    let v = x
        .into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .expect("f32 points");
    (v, nfe)
}

/// One-step consistency-model sampling: x₀ = f(σ_max·ε, σ_max) (SPEC §4).
pub fn one_step(
    model: &PointWiseNet,
    cfg: &Cc2Config,
    cond: &[f32],
    n: usize,
    rng: &mut ChaCha8Rng,
    device: &Device,
) -> Vec<f32> {
    let e = &cfg.edm;
    let cond_t = Tensor::<2>::from_data(TensorData::new(cond.to_vec(), [1, cond.len()]), device);
    let eps = normals(rng, n * 4);
    let x = Tensor::<3>::from_data(TensorData::new(eps, [1, n, 4]), device).mul_scalar(e.sigma_max);
    model
        .consistency(x, &[e.sigma_max], cond_t, e.sigma_data, e.sigma_min)
        .into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .expect("f32 points")
}

/// How the PointWise Net turns noise into points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sampler {
    /// EDM teacher, Heun (2·steps − 1 evaluations).
    Heun,
    /// Distilled consistency model, one evaluation.
    OneStep,
}

/// Generates showers for `(E_inc MeV, N_points)` requests with Heun and maps them back to
/// physical units.
pub fn generate(
    model: &PointWiseNet,
    cfg: &Cc2Config,
    norm: &PointNormalisation,
    n_layers: usize,
    requests: &[(f32, usize)],
    rng: &mut ChaCha8Rng,
    device: &Device,
) -> PointClouds {
    generate_with(
        Sampler::Heun,
        model,
        cfg,
        norm,
        n_layers,
        requests,
        rng,
        device,
    )
}

#[allow(clippy::too_many_arguments)]
pub fn generate_with(
    sampler: Sampler,
    model: &PointWiseNet,
    cfg: &Cc2Config,
    norm: &PointNormalisation,
    n_layers: usize,
    requests: &[(f32, usize)],
    rng: &mut ChaCha8Rng,
    device: &Device,
) -> PointClouds {
    let mut out = PointClouds::new();
    for &(e_inc, n) in requests {
        let cond = cfg.cond.fwd(e_inc, n, None);
        let v = match sampler {
            Sampler::Heun => heun(model, cfg, &cond, n, rng, device).0,
            Sampler::OneStep => one_step(model, cfg, &cond, n, rng, device),
        };
        let (mut x, mut y, mut l, mut en) = (vec![], vec![], vec![], vec![]);
        for p in v.chunks_exact(4) {
            let (px, py, pl, pe) = norm.inv([p[0], p[1], p[2], p[3]], n_layers);
            x.push(px);
            y.push(py);
            l.push(pl);
            en.push(pe);
        }
        out.push(&x, &y, &[], &l, &en, e_inc, None);
    }
    out
}
