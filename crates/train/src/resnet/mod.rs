//! The CaloChallenge CNN ResNet binary classifier (paper 003 §8.3): a 3D ResNet-18 learns to tell
//! generated showers from Geant4 ones on the voxel images (energies / E_inc) and log10 E_inc. Its
//! test AUC, and the JSD from its calibrated loss, say how different the two samples are
//! (0.5 / 0: indistinguishable). The protocol (stratified 60/20/20 split, best epoch on the
//! validation loss, isotonic calibration on the validation set) is that of the DNN classifier in
//! `calogen_eval::classifier`, so both scores can sit side by side.

pub mod config;
pub mod model;
pub mod training;

pub use config::ResNetConfig;
pub use model::{forward_flops, ResNet3d};
pub use training::{resnet_score, ResNetScore};

/// Errors of the ResNet classifier.
#[derive(Debug, thiserror::Error)]
pub enum ResNetError {
    #[error("resnet classifier: {0}")]
    Invalid(String),
    #[error(transparent)]
    Eval(#[from] calogen_eval::EvalError),
}

pub type Result<T> = std::result::Result<T, ResNetError>;
