//! CaloClouds II PointWise Net (paper 000): an EDM diffusion model generating each point of a
//! shower independently, conditioned on the incident energy and the number of points.
//!
//! Exported weights (`save_weights`, f32, PyTorch `[out, in]`, y = x·Wᵀ + b):
//! * `time_embed.fourier.weight` `[32, 1]`, `time_embed.linear.{weight [64,64], bias [64]}`
//! * for i = 0..5: `layers.{i}.layer.{weight [out,in], bias [out]}`,
//!   `layers.{i}.hyper_gate.{weight [out,66], bias [out]}`, `layers.{i}.hyper_bias.weight [out,66]`
//! * context = [time embedding (64), E_inc/100 GeV, N/5000]; LeakyReLU(0.01) after layers 0–4.
//! * metadata: `config` (TOML of [`Cc2Config`]), `normalisation` (TOML of the point
//!   standardisation), the same layout as the CaloClouds3 export in SPEC §6.

pub mod config;
pub mod distil;
pub mod edm;
pub mod model;
pub mod run;
pub mod sampling;
pub mod training;

pub use config::Cc2Config;
pub use model::PointWiseNet;
