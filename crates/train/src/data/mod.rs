//! Training data: showers from a calogen point file held in memory (the CaloClouds II photon file
//! is a few tens of MB), a train/evaluation split, and the CaloClouds II normalisations.

pub mod features;
pub mod normalise;
pub mod showers;

pub use features::{shower_features, N_FEATURES};
pub use normalise::{CondNormalisation, PointNormalisation, Standardiser};
pub use showers::ShowerSet;
