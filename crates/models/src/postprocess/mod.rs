//! Generation post-processing shared by CaloClouds II and CaloClouds3: what turns the raw points of a
//! diffusion / consistency model into a shower with the right longitudinal and calibration
//! features (CaloClouds II §3, CaloClouds3 §2.2 and §3.3, CaloClouds3 SPEC §5).
//!
//! Every function works on one shower given as column slices (`x`, `y`, `z`, `layer`, `energy`, the
//! columns of [`calogen_data::PointClouds`]); a `PointClouds` batch gives them for shower `i` as
//! `offsets[i]..offsets[i + 1]`. Nothing here allocates per call once its reusable state
//! ([`LayerAssigner`], the `scratch` vectors) has grown to the shower size.
//!
//! The order used at generation time:
//! 1. [`LayerAssigner::assign`]: sort the raw points by their generated depth coordinate and give
//!    the first `counts[0]` to layer 0, the next `counts[1]` to layer 1, … (counts from the flow;
//!    [`fit_counts_to_total`] makes rounded counts add up to the number of points generated).
//! 2. [`rescale_layer_energies`]: each layer's energy is scaled to the flow's layer energy.
//! 3. CaloClouds II only: [`shift_to_cog`] moves the shower to the flow's centre of gravity.
//! 4. CaloClouds3 only: [`TiltShift::restore`] puts back the per-layer lateral shift that the
//!    training data's preprocessing removed ([`TiltShift::remove`]).
//!
//! Occupancy calibration: [`OccupancyCalibration`] (CaloClouds II: number of points chosen from
//! cubic fits of cells per point) and [`Cc3ScaleFactors`] (CaloClouds3: fixed factors).

mod cog;
mod energy;
mod layers;
mod occupancy;
mod tilt;

pub use cog::{centre_of_gravity, shift_to_cog};
pub use energy::{layer_energies, rescale_layer_energies, RescaleReport};
pub use layers::{fit_counts_to_total, LayerAssigner};
pub use occupancy::{Cc3ScaleFactors, OccupancyCalibration, Polynomial};
pub use tilt::{TiltShift, PLANAR_GUN_DEPTH_MM};
