//! CaloScore v2's sampler: deterministic DDIM (`nn::vp`) from pure noise at t = 1 to t = 0 in
//! equal steps, first for the layer features, then for the voxel features conditioned on them
//! (paper "CaloScore v2", §II–III). Shower i of a call draws from `nn::shower_rng(seed, first + i)`:
//! n_layers standard normals for the layer network, then n_voxels for the voxel network.

use super::model::Cs2Model;
use crate::nn::vp::{ddim_step, uniform_times, VpTime};
use crate::nn::{shower_rng, standard_normal};

/// The starting noise of a batch: `[B, n_layers]` and `[B, n_voxels]`.
pub fn draw_noise(
    seed: u64,
    first: u64,
    batch: usize,
    n_layers: usize,
    n_voxels: usize,
) -> (Vec<f32>, Vec<f32>) {
    let (mut layers, mut voxels) = (
        Vec::with_capacity(batch * n_layers),
        Vec::with_capacity(batch * n_voxels),
    );
    for i in 0..batch {
        let mut rng = shower_rng(seed, first + i as u64);
        layers.extend(standard_normal(&mut rng, n_layers));
        voxels.extend(standard_normal(&mut rng, n_voxels));
    }
    (layers, voxels)
}

/// DDIM in `steps` equal steps of the velocity `v(x, t)` (the whole batch at one t), in place.
pub fn ddim(
    x: &mut [f32],
    batch: usize,
    steps: usize,
    mut v: impl FnMut(&[f32], &[f64]) -> Vec<f32>,
) {
    for w in uniform_times(steps).windows(2) {
        let (t, s) = (VpTime::at(w[0]), VpTime::at(w[1]));
        let vel = v(x, &vec![w[0]; batch]);
        ddim_step(x, &vel, t, s);
    }
}

/// Both stages for a batch: standardised layer features `[B, n_layers]` and voxel features
/// `[B, n_voxels]` (before decoding), from the encoded energies `e` (one per shower).
pub fn sample_features(model: &Cs2Model, e: &[f32], seed: u64, first: u64) -> (Vec<f32>, Vec<f32>) {
    let batch = e.len();
    let (mut layers, mut voxels) =
        draw_noise(seed, first, batch, model.n_layers(), model.n_voxels());
    let cfg = &model.config;
    ddim(&mut layers, batch, cfg.layer_steps, |x, t| {
        model.layer_net.forward(x, t, e)
    });
    ddim(&mut voxels, batch, cfg.voxel_steps, |x, t| {
        model.voxel_net.forward(x, t, e, &layers)
    });
    (layers, voxels)
}
