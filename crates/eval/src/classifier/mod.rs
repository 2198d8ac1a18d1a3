//! Classifier tests: a dense network learns to tell generated from Geant4 showers; its AUC (and the
//! JSD estimated from its calibrated loss) says how different they are (0.5 / 0: indistinguishable).
//!
//! Hand-written rather than built on a framework: the networks are small multilayer perceptrons,
//! f32 GEMMs through `matrixmultiply` are all the work, and the evaluation crate stays free of a
//! training framework so `calogen evaluate` builds and runs anywhere.

pub mod mlp;
pub mod multiclass;
pub mod train;

pub use mlp::Mlp;
pub use multiclass::{evaluate_multiclass, MulticlassConfig, MulticlassResult};
pub use train::{train_and_score, ClassifierConfig, ClassifierScore, Selection};

use serde::Serialize;

/// The score of the CaloChallenge 3D ResNet-18 classifier (paper 003 §8.3): the `resnet` entry of
/// `metrics.json`. The network trains with autograd and so lives in `calogen-train`
/// (`resnet::resnet_score`), which returns this type; it is defined here so that the
/// calochallenge protocol holds it typed (see [`crate::protocols::VoxelClassifier`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResNetScore {
    /// ROC AUC on the test set (of the calibrated probabilities when calibrating).
    pub auc: f64,
    /// (ln 2 − BCE) / ln 2 on the test set: 0 for indistinguishable samples, 1 for separable.
    pub jsd: f64,
    pub test_accuracy: f64,
    /// Epoch (from 0) whose weights had the lowest validation loss.
    pub best_epoch: usize,
    pub n_train: usize,
    pub n_validation: usize,
    pub n_test: usize,
    pub n_parameters: usize,
    /// CPU time of the training loop (all epochs with their validation passes) on the calling
    /// thread; the backend runs single-threaded, so this is the whole cost.
    pub train_cpu_seconds: f64,
    pub seconds_per_epoch: f64,
}
