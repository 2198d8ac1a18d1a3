//! Progressive distillation of the voxel network (Salimans & Ho 2022, Algorithm 2, as in
//! "CaloScore v2" §II.B): a student of N DDIM steps, initialised from its teacher of 2N steps,
//! learns to do in one step what the teacher does in two. Per shower i ~ U{1..N}, t = i/N,
//! x_t = α_t·x + σ_t·ε; the teacher goes t → t − 1/(2N) → t − 1/N with two DDIM steps and the
//! student regresses `nn::vp::distillation_velocity` of (x_t, x_{t−1/N}).
//!
//! Only the voxel network is distilled: the layer network is a small MLP on 45 features whose
//! sampling costs nothing next to one U-Net evaluation, so its steps stay as trained and
//! distilling it would only add error.

use super::data::Features;
use super::model::{t2, vec2, VoxelNet};
use super::training::cond_row;
use crate::engine::rng::normals;
use crate::engine::TrainTask;
use burn::tensor::{Device, Tensor};
use calogen_models::nn::vp::{ddim_step, distillation_velocity, noisy, VpTime};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// The student's input, condition and target for a batch.
pub struct DistilBatch {
    pub x_t: Vec<f32>,
    pub cond: Vec<f32>,
    pub target: Vec<f32>,
    pub b: usize,
}

/// The teacher's two DDIM steps from `x_t` (`[b, n_voxels]`, one time per shower `t`, step `h`)
/// on the plain device: returns x_{t−2h}.
pub fn teacher_two_steps(
    teacher: &VoxelNet,
    x_t: &[f32],
    t: &[f64],
    h: f64,
    energy: &[f32],
    layer: &[f32],
    time_dim: usize,
) -> Vec<f32> {
    let b = t.len();
    let nv = x_t.len() / b;
    let nl = layer.len() / b;
    let dev = crate::infer_device();
    let mut x = x_t.to_vec();
    for s in 0..2 {
        let mut cond = Vec::new();
        for k in 0..b {
            let tk = t[k] - s as f64 * h;
            cond_row(
                tk,
                energy[k],
                Some(&layer[k * nl..(k + 1) * nl]),
                time_dim,
                &mut cond,
            );
        }
        let v = vec2(teacher.forward(t2(x.clone(), b, &dev), t2(cond, b, &dev)));
        for (k, &tk) in t.iter().enumerate() {
            let tk = tk - s as f64 * h;
            let r = k * nv..(k + 1) * nv;
            ddim_step(&mut x[r.clone()], &v[r], VpTime::at(tk), VpTime::at(tk - h));
        }
    }
    x
}

/// Draws showers, student times t = i/N and noise, runs the teacher and forms the targets.
pub fn distil_batch(
    teacher: &VoxelNet,
    feats: &Features,
    student_steps: usize,
    b: usize,
    time_dim: usize,
    rng: &mut ChaCha8Rng,
) -> DistilBatch {
    let nl = feats.layer.len() / feats.len();
    let nv = feats.voxel.len() / feats.len();
    let idx: Vec<usize> = (0..b).map(|_| rng.random_range(0..feats.len())).collect();
    let n = student_steps as f64;
    let t: Vec<f64> = (0..b)
        .map(|_| rng.random_range(1..=student_steps) as f64 / n)
        .collect();
    let eps = normals(rng, b * nv);
    let (mut x_t, mut energy, mut layer, mut cond) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut xt = Vec::new();
    for (k, &i) in idx.iter().enumerate() {
        noisy(
            &feats.voxel[i * nv..(i + 1) * nv],
            &eps[k * nv..(k + 1) * nv],
            VpTime::at(t[k]),
            &mut xt,
        );
        x_t.extend(&xt);
        energy.push(feats.energy[i]);
        let l = &feats.layer[i * nl..(i + 1) * nl];
        layer.extend_from_slice(l);
        cond_row(t[k], feats.energy[i], Some(l), time_dim, &mut cond);
    }
    let x_u = teacher_two_steps(teacher, &x_t, &t, 0.5 / n, &energy, &layer, time_dim);
    let mut target = Vec::with_capacity(b * nv);
    let mut v = Vec::new();
    for (k, &tk) in t.iter().enumerate() {
        let r = k * nv..(k + 1) * nv;
        distillation_velocity(
            &x_t[r.clone()],
            &x_u[r],
            VpTime::at(tk),
            VpTime::at(tk - 1.0 / n),
            &mut v,
        );
        target.extend(&v);
    }
    DistilBatch {
        x_t,
        cond,
        target,
        b,
    }
}

pub fn distil_loss(student: &VoxelNet, batch: DistilBatch, device: &Device) -> Tensor<1> {
    let b = batch.b;
    let y = student.forward(t2(batch.x_t, b, device), t2(batch.cond, b, device));
    (y - t2(batch.target, b, device)).square().mean()
}

pub struct DistilTask<'a> {
    pub teacher: &'a VoxelNet,
    pub feats: &'a Features,
    pub student_steps: usize,
    pub batch: usize,
    pub time_dim: usize,
    pub device: Device,
}

impl TrainTask for DistilTask<'_> {
    type Model = VoxelNet;

    fn loss(&self, student: &VoxelNet, rng: &mut ChaCha8Rng) -> Tensor<1> {
        let b = distil_batch(
            self.teacher,
            self.feats,
            self.student_steps,
            self.batch,
            self.time_dim,
            rng,
        );
        distil_loss(student, b, &self.device)
    }
}

/// Held-out distillation loss of `student` (plain device) over a fixed stream.
pub fn eval_distil(task: &DistilTask, student: &VoxelNet, batches_n: usize, seed: u64) -> f64 {
    let mut rng = crate::engine::rng::stream(seed, "eval");
    let dev = crate::infer_device();
    let mut s = 0.0;
    for _ in 0..batches_n {
        let b = distil_batch(
            task.teacher,
            task.feats,
            task.student_steps,
            task.batch,
            task.time_dim,
            &mut rng,
        );
        s += distil_loss(student, b, &dev).into_scalar::<f64>();
    }
    s / batches_n as f64
}
