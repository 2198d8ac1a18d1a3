//! CaloScore v2 training (paper "CaloScore v2"): the layer-energy residual MLP and the voxel
//! U-Net as burn modules (`model`), trained with v-prediction on the VP cosine schedule
//! (`training`), the voxel network then distilled progressively (`distil`); data and
//! preprocessing in `data`, the model folder of the contract
//! (`calogen_models::caloscore2::config`) in `export`, whole runs in `run`.

pub mod config;
pub mod data;
pub mod distil;
pub mod export;
pub mod model;
pub mod run;
pub mod training;

pub use config::{DistilConfig, TrainConfig};
pub use model::Cs2Nets;

#[cfg(test)]
mod tests;
