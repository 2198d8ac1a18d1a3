//! CaloScore v2 (paper "CaloScore v2"): voxel showers from two diffusion models — one for the
//! energy per layer, one for the voxels normalised by their layer's energy — on the VP cosine
//! schedule with v-prediction and the DDIM sampler (`nn::vp`), distilled progressively.
//!
//! Inference, one job per file: `config` (the contract with training: both networks operation by
//! operation, every tensor's name and shape), `preprocess` (the features and their exact
//! inverse), `condition` (the condition embedding), `layer_net` (residual MLP), `unet` (the voxel
//! U-Net on `nn::conv` and `nn::attention`, circular in α), `model` (loading a model folder with
//! every tensor checked), `sampling` (DDIM, per-shower noise streams), `pipeline` (features →
//! MeV), `export` (writing a model folder; seeded random weights for tests) and `family` (the
//! `ModelFamily`: `--model DIR`). No trained weights are embedded yet, so the built-in name
//! `--model caloscore2` says how to get a model folder; training is `calogen-train`'s
//! `caloscore2/` (issue 13).

pub mod condition;
pub mod config;
pub mod export;
pub mod family;
pub mod layer_net;
pub mod model;
pub mod pipeline;
pub mod preprocess;
pub mod sampling;
pub mod unet;

pub use config::Cs2Config;
pub use model::Cs2Model;

#[cfg(test)]
mod family_tests;
#[cfg(test)]
mod sampling_tests;
#[cfg(test)]
mod unet_tests;
