//! The CaloClouds II protocol's settings and result: `metrics.json`'s `caloclouds` entry.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::observables::ProfileEdges;
use crate::protocols::protocol::Score;
use crate::report::Figure;

#[derive(Debug, Clone, Serialize)]
pub struct CaloCloudsConfig {
    /// Cell threshold (half a MIP: 0.07 MeV for 0.5 mm silicon), MeV.
    pub threshold_mev: f64,
    pub n_batches: usize,
    /// Trainings of the classifier (each with its own split); 0 skips the classifier.
    pub classifier_repeats: usize,
    pub seed: u64,
}

impl CaloCloudsConfig {
    pub fn new(threshold_mev: f64, seed: u64) -> Self {
        Self {
            threshold_mev,
            n_batches: 10,
            classifier_repeats: 10,
            seed,
        }
    }
}

/// One W1 row of table 1: the model and the Geant4-vs-Geant4 baseline.
#[derive(Debug, Clone, Serialize)]
pub struct W1Pair {
    pub model: Score,
    pub baseline: Score,
}

#[derive(Debug, Clone, Serialize)]
pub struct CaloCloudsResult {
    pub n_reference: usize,
    pub n_generated: usize,
    pub batch_size: usize,
    pub threshold_mev: f64,
    pub edges: ProfileEdges,
    /// Standardised W1 per observable group (`n_hits`, `e_vis_over_e_inc`, `e_cell`, `e_long`,
    /// `e_radial`, `cog_x`, `cog_y`, `cog_z`); `e_long`/`e_radial` average their ten bins.
    pub w1: BTreeMap<String, W1Pair>,
    /// AUC of the 25-observable classifier (model vs reference half A; baseline B vs A).
    pub classifier_auc: Option<W1Pair>,
    /// Means of the headline observables, reference vs generated.
    pub means: BTreeMap<String, [f64; 2]>,
    /// The report's plots (not part of metrics.json).
    #[serde(skip)]
    pub figures: Vec<Figure>,
}

/// The protocol's entries of `metrics.json`.
#[derive(Debug, Clone, Serialize)]
pub struct CaloCloudsOutput {
    pub caloclouds: CaloCloudsResult,
}
