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
