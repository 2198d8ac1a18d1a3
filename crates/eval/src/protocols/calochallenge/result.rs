//! The CaloChallenge protocol's settings and result: `metrics.json`'s `calochallenge` entry and,
//! when the 3D ResNet ran, its `resnet` entry.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::classifier::{ClassifierScore, ResNetScore};
pub use crate::metrics::fpd_kpd::FpdKpdSizes;
use crate::observables::Sums;
use crate::report::Figure;

#[derive(Debug, Clone, Serialize)]
pub struct CaloChallengeConfig {
    /// Voxel threshold, MeV (ds1: 1 MeV; ds2/3: 15.15 keV).
    pub threshold_mev: f64,
    /// Epochs of the DNN classifiers (the challenge: up to 50); 0 skips them.
    pub classifier_epochs: usize,
    /// Showers per side for PRDC (its cost is quadratic); 0 skips it.
    pub prdc_showers: usize,
    /// Subsample sizes of FPD and KPD.
    pub fpd_kpd: FpdKpdSizes,
    /// Energy sums in float32 as numpy makes them (the challenge's numbers) or in float64.
    pub sums: Sums,
    pub seed: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ValueWithError {
    pub value: f64,
    pub error: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct CaloChallengeResult {
    pub dataset: String,
    pub n_reference: usize,
    pub n_generated: usize,
    pub threshold_mev: f64,
    /// Separation power per feature: `etot_einc`, `voxel_energy`, and per layer
    /// `e_layer_{l}`, `ec_eta_{l}`, `ec_phi_{l}`, `width_eta_{l}`, `width_phi_{l}` (layers binned in
    /// alpha), `ec_r_{l}`, `width_r_{l}`, `sparsity_{l}` (the empty fraction, as the challenge).
    pub separation_power: BTreeMap<String, f64>,
    /// Mean separation power per feature family over layers.
    pub separation_power_mean: BTreeMap<String, f64>,
    /// max and mean |ρ_ref − ρ_gen| over the layer-energy correlation matrix.
    pub correlation_max_abs_diff: f64,
    pub correlation_mean_abs_diff: f64,
    pub fpd: Option<ValueWithError>,
    pub kpd: Option<ValueWithError>,
    pub prdc: Option<BTreeMap<String, f64>>,
    pub classifier_low_level: Option<ClassifierScore>,
    pub classifier_high_level: Option<ClassifierScore>,
    /// The report's plots (not part of metrics.json).
    #[serde(skip)]
    pub figures: Vec<Figure>,
}

/// The protocol's entries of `metrics.json`.
#[derive(Debug, Clone, Serialize)]
pub struct CaloChallengeOutput {
    pub calochallenge: CaloChallengeResult,
    /// The 3D ResNet-18 classifier (`--resnet-epochs`), beside the protocol's entry as before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resnet: Option<ResNetScore>,
}
