//! From sampled features to showers (the inverse of `preprocess`, paper "CaloScore v2", §IV):
//! layer features → inverse standardisation → inverse logit → layer energies from CaloFlow's
//! fractions; voxel features → inverse standardisation → inverse logit → each layer's voxel
//! fractions renormalised to sum 1 → × that layer's energy. Energies in MeV, ≥ 0, never NaN.

use super::model::Cs2Model;
use super::preprocess::{inverse_logit, layer_energies_from_fractions};
use super::sampling::sample_features;
use crate::error::{Error, Result};

/// One shower's voxel energies (MeV) from its features.
pub fn decode(
    model: &Cs2Model,
    e0_mev: f64,
    layer_feats: &[f32],
    voxel_feats: &[f32],
    out: &mut Vec<f32>,
) -> Result<()> {
    let pre = &model.pre;
    if let Some(i) = layer_feats
        .iter()
        .chain(voxel_feats)
        .position(|v| v.is_nan())
    {
        return Err(Error::Invalid(format!(
            "CaloScore v2: the networks produced NaN (feature {i}) for a shower of {e0_mev} MeV"
        )));
    }
    let fractions: Vec<f64> = layer_feats
        .iter()
        .zip(pre.layer_mean.iter().zip(&pre.layer_std))
        .map(|(&u, (m, s))| inverse_logit(u as f64 * s + m))
        .collect();
    let mut layer_energy = Vec::with_capacity(fractions.len());
    layer_energies_from_fractions(
        &fractions,
        e0_mev,
        model.config.fraction_scale,
        &mut layer_energy,
    );
    let shares: Vec<f64> = voxel_feats
        .iter()
        .zip(pre.voxel_mean.iter().zip(&pre.voxel_std))
        .map(|(&u, (m, s))| inverse_logit(u as f64 * s + m))
        .collect();
    let mut sums = vec![0f64; layer_energy.len()];
    for (&f, &l) in shares.iter().zip(&model.layer_of) {
        sums[l] += f;
    }
    out.clear();
    // A layer whose voxel shares all decode to 0 gets no energy (nowhere to put it).
    out.extend(shares.iter().zip(&model.layer_of).map(|(&f, &l)| {
        if sums[l] > 0.0 {
            (f / sums[l] * layer_energy[l]) as f32
        } else {
            0.0
        }
    }));
    Ok(())
}

/// Showers `[B, n_voxels]` (MeV) for the incident energies `e0_mev`; shower i from the stream
/// `first + i` of `seed`.
pub fn generate(model: &Cs2Model, e0_mev: &[f32], seed: u64, first: u64) -> Result<Vec<f32>> {
    let e: Vec<f32> = e0_mev
        .iter()
        .map(|&x| model.config.energy.encode(x as f64) as f32)
        .collect();
    let (layers, voxels) = sample_features(model, &e, seed, first);
    let (nl, nv) = (model.n_layers(), model.n_voxels());
    let mut out = Vec::with_capacity(e0_mev.len() * nv);
    let mut one = Vec::with_capacity(nv);
    for (i, &e0) in e0_mev.iter().enumerate() {
        decode(
            model,
            e0 as f64,
            &layers[i * nl..(i + 1) * nl],
            &voxels[i * nv..(i + 1) * nv],
            &mut one,
        )?;
        out.extend_from_slice(&one);
    }
    Ok(out)
}
