//! The 3D ResNet-18 classifier of the CaloChallenge (paper 003 §8.3) inside `calogen evaluate
//! --protocol calochallenge --resnet-epochs N`: trained with burn, so only with the `train`
//! feature. Dataset 2 costs about 10 CPU seconds per 1 000 showers and epoch on one core (the
//! paper trains 48 epochs: 2.7 CPU-hours for 10 000 vs 10 000), hence off by default.

use anyhow::Result;
use calogen_data::VoxelShowers;
use calogen_eval::classifier::ResNetScore;
use calogen_eval::protocols::VoxelClassifier;
use calogen_geometry::Voxelisation;

/// The ResNet as the calochallenge protocol's [`VoxelClassifier`].
pub struct ResNet {
    pub epochs: usize,
    pub seed: u64,
}

impl VoxelClassifier for ResNet {
    fn score(
        &self,
        reference: &VoxelShowers,
        generated: &VoxelShowers,
        geometry: &Voxelisation,
    ) -> std::result::Result<ResNetScore, String> {
        score(reference, generated, geometry, self.epochs, self.seed).map_err(|e| format!("{e:#}"))
    }
}

/// The classifier's score (the `resnet` entry of metrics.json).
#[cfg(feature = "train")]
pub fn score(
    reference: &VoxelShowers,
    generated: &VoxelShowers,
    geometry: &Voxelisation,
    epochs: usize,
    seed: u64,
) -> Result<ResNetScore> {
    use anyhow::{bail, Context};
    use calogen_train::resnet::{resnet_score, ResNetConfig};
    // The network sees each layer as an α × r image: every layer must have the same grid.
    let first = geometry
        .layers
        .first()
        .context("the voxelisation has no layers")?;
    let (n_alpha, n_r) = (first.n_alpha, first.n_r());
    if geometry
        .layers
        .iter()
        .any(|l| l.n_alpha != n_alpha || l.n_r() != n_r)
    {
        bail!(
            "--resnet-epochs: `{}` has layers with different α × r grids; the ResNet needs one grid \
             for all layers (datasets 2 and 3)",
            geometry.name
        );
    }
    let shape = [geometry.layers.len(), n_alpha, n_r];
    // Paper 003: dataset 3's larger images train with a larger learning rate.
    let mut cfg = if n_alpha * n_r > 16 * 9 {
        ResNetConfig::ds3()
    } else {
        ResNetConfig::ds2()
    }
    .with_seed(seed);
    cfg.epochs = epochs;
    let s = resnet_score(
        &reference.energy,
        &generated.energy,
        &reference.incident_energy,
        &generated.incident_energy,
        shape,
        &cfg,
        std::env::var_os("CI").is_none(),
    )?;
    Ok(s)
}

#[cfg(not(feature = "train"))]
pub fn score(
    _: &VoxelShowers,
    _: &VoxelShowers,
    _: &Voxelisation,
    _: usize,
    _: u64,
) -> Result<ResNetScore> {
    anyhow::bail!("--resnet-epochs needs calogen built with the `train` feature (burn)")
}
