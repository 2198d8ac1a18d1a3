//! v-prediction training of both networks (paper "CaloScore v2", §II–III): per shower t ~ U(0, 1)
//! (one for each network), x_t = α_t·x + σ_t·ε on the cosine schedule and the MSE of the
//! predicted velocity against v = α_t·ε − σ_t·x (`calogen_models::nn::vp`). The layer network
//! sees the layer features conditioned on [temb(t), e]; the voxel network the voxel features
//! conditioned on [temb(t), e, the TRUE layer features] (at sampling: the generated ones).

use super::data::Features;
use super::model::{t2, time_embedding, Cs2Nets};
use crate::engine::rng::normals;
use crate::engine::TrainTask;
use burn::tensor::{Device, Tensor};
use calogen_models::nn::vp::{noisy, velocity, VpTime};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// One batch's inputs and targets for one network, flat row-major.
pub struct NetBatch {
    pub x_t: Vec<f32>,
    pub cond: Vec<f32>,
    pub target: Vec<f32>,
    pub b: usize,
}

/// The drawn randomness of one step: shower indices, times and noise of both networks.
pub struct Draw {
    pub idx: Vec<usize>,
    pub t_layer: Vec<f64>,
    pub t_voxel: Vec<f64>,
    pub eps_layer: Vec<f32>,
    pub eps_voxel: Vec<f32>,
}

/// Draws a step's randomness (everything from `rng`, in a fixed order).
pub fn draw(
    feats: &Features,
    b: usize,
    n_layers: usize,
    n_voxels: usize,
    rng: &mut ChaCha8Rng,
) -> Draw {
    let idx = (0..b).map(|_| rng.random_range(0..feats.len())).collect();
    let t_layer = (0..b).map(|_| rng.random::<f64>()).collect();
    let t_voxel = (0..b).map(|_| rng.random::<f64>()).collect();
    let eps_layer = normals(rng, b * n_layers);
    let eps_voxel = normals(rng, b * n_voxels);
    Draw {
        idx,
        t_layer,
        t_voxel,
        eps_layer,
        eps_voxel,
    }
}

/// The condition row [temb(t), e] or [temb(t), e, layer features].
pub fn cond_row(t: f64, e: f32, layer: Option<&[f32]>, time_dim: usize, out: &mut Vec<f32>) {
    time_embedding(t, time_dim, out);
    out.push(e);
    if let Some(l) = layer {
        out.extend_from_slice(l);
    }
}

/// Noisy inputs and velocity targets of both networks for a draw.
pub fn batches(feats: &Features, d: &Draw, time_dim: usize) -> (NetBatch, NetBatch) {
    let b = d.idx.len();
    let nl = feats.layer.len() / feats.len();
    let nv = feats.voxel.len() / feats.len();
    let mut lb = NetBatch {
        x_t: Vec::with_capacity(b * nl),
        cond: Vec::new(),
        target: Vec::with_capacity(b * nl),
        b,
    };
    let mut vb = NetBatch {
        x_t: Vec::with_capacity(b * nv),
        cond: Vec::new(),
        target: Vec::with_capacity(b * nv),
        b,
    };
    let (mut xt, mut v) = (Vec::new(), Vec::new());
    for (k, &i) in d.idx.iter().enumerate() {
        let layer = &feats.layer[i * nl..(i + 1) * nl];
        let vox = &feats.voxel[i * nv..(i + 1) * nv];
        let e = feats.energy[i];
        let at = VpTime::at(d.t_layer[k]);
        let eps = &d.eps_layer[k * nl..(k + 1) * nl];
        noisy(layer, eps, at, &mut xt);
        velocity(layer, eps, at, &mut v);
        lb.x_t.extend(&xt);
        lb.target.extend(&v);
        cond_row(at.t, e, None, time_dim, &mut lb.cond);
        let at = VpTime::at(d.t_voxel[k]);
        let eps = &d.eps_voxel[k * nv..(k + 1) * nv];
        noisy(vox, eps, at, &mut xt);
        velocity(vox, eps, at, &mut v);
        vb.x_t.extend(&xt);
        vb.target.extend(&v);
        cond_row(at.t, e, Some(layer), time_dim, &mut vb.cond);
    }
    (lb, vb)
}

/// Mean squared velocity errors (layer network, voxel network) as graph tensors.
pub fn losses(
    nets: &Cs2Nets,
    lb: NetBatch,
    vb: NetBatch,
    device: &Device,
) -> (Tensor<1>, Tensor<1>) {
    let (b, bv) = (lb.b, vb.b);
    let l = nets
        .layer
        .forward(t2(lb.x_t, b, device), t2(lb.cond, b, device));
    let l = (l - t2(lb.target, b, device)).square().mean();
    let v = nets
        .voxel
        .forward(t2(vb.x_t, bv, device), t2(vb.cond, bv, device));
    let v = (v - t2(vb.target, bv, device)).square().mean();
    (l, v)
}

pub struct VTask<'a> {
    pub feats: &'a Features,
    pub batch: usize,
    pub time_dim: usize,
    pub device: Device,
}

impl TrainTask for VTask<'_> {
    type Model = Cs2Nets;

    /// The sum of both networks' losses (their parameters are disjoint, so each network gets
    /// exactly its own gradient).
    fn loss(&self, nets: &Cs2Nets, rng: &mut ChaCha8Rng) -> Tensor<1> {
        let nl = self.feats.layer.len() / self.feats.len();
        let nv = self.feats.voxel.len() / self.feats.len();
        let d = draw(self.feats, self.batch, nl, nv, rng);
        let (lb, vb) = batches(self.feats, &d, self.time_dim);
        let (l, v) = losses(nets, lb, vb, &self.device);
        l + v
    }
}

/// Held-out losses (layer, voxel) of `nets` over `batches` batches drawn from a fixed stream, so
/// values are comparable across a run.
pub fn eval_losses(
    nets: &Cs2Nets,
    feats: &Features,
    batch: usize,
    batches_n: usize,
    time_dim: usize,
    seed: u64,
) -> (f64, f64) {
    let mut rng = crate::engine::rng::stream(seed, "eval");
    let device = crate::infer_device();
    let nl = feats.layer.len() / feats.len();
    let nv = feats.voxel.len() / feats.len();
    let (mut sl, mut sv) = (0.0, 0.0);
    for _ in 0..batches_n {
        let d = draw(feats, batch, nl, nv, &mut rng);
        let (lb, vb) = batches(feats, &d, time_dim);
        let (l, v) = losses(nets, lb, vb, &device);
        sl += l.into_scalar::<f64>();
        sv += v.into_scalar::<f64>();
    }
    (sl / batches_n as f64, sv / batches_n as f64)
}
