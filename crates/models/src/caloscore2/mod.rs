//! CaloScore v2 (paper "CaloScore v2"): voxel showers from two diffusion models — one for the
//! energy per layer, one for the voxels normalised by their layer's energy — on the VP cosine
//! schedule with v-prediction and the DDIM sampler (`nn::vp`), distilled progressively.
//!
//! State (issue 13, in progress): the preprocessing and its exact inverse (`preprocess`) and the
//! diffusion arithmetic (`nn::vp`) exist and are tested; the networks, sampling, training and the
//! family's registration do not yet, so `--model caloscore2` is not available.

pub mod config;
pub mod preprocess;
