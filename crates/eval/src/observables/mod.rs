//! Shower observables: the per-shower numbers the papers compare between Geant4 and a model.
//!
//! `cells` computes the CaloClouds II set at cell level (paper 000 §4.2–4.3 and appendix A);
//! `calochallenge` the challenge's high-level features per layer (paper 003 §8);
//! `shape` the CaloHadronic / CaloClouds3 shower-shape observables (start layer, ECAL/HCAL split, PCA axis).

pub mod calochallenge;
pub mod cells;
pub mod shape;

pub use calochallenge::{high_level_features, high_level_features_with, HighLevelFeatures, Sums};
pub use cells::{cell_observables, CellObservables, ProfileEdges};
