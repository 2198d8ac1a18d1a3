//! ShowerFlow (paper 000, Sec. 3): a conditional normalising flow over per-shower features
//! (N_points, E_vis, the two transverse centres of gravity, 30 point fractions, 30 energy
//! fractions) conditioned on E_inc. It supplies the PointWise Net's N_points and the calibration
//! targets.
//!
//! Exported weights: `couplings.{i}.net.{l0,l1,out}.{weight,bias}` (PyTorch layout); the random
//! split of every coupling and its kind are in the `config`/`layout` metadata.

pub mod config;
pub mod coupling;
pub mod model;
pub mod run;
pub mod sampling;
pub mod spline;
pub mod training;

pub use config::FlowConfig;
pub use model::ShowerFlow;
