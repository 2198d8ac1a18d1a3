//! Evaluation protocols: which observables and metrics a paper reports, computed in one call and
//! returned as a serialisable result (`metrics.json`).

pub mod calochallenge;
pub mod caloclouds;
pub mod calohadronic;
pub mod paper000;

pub use calochallenge::{evaluate_calochallenge, CaloChallengeConfig, CaloChallengeResult};
pub use caloclouds::{evaluate_caloclouds, CaloCloudsConfig, CaloCloudsResult};
pub use calohadronic::{evaluate_calohadronic, CaloHadronicConfig, CaloHadronicResult};

use serde::Serialize;

use crate::stats::MeanStd;

/// Mean ± standard deviation over repetitions, serialisable.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Score {
    pub mean: f64,
    pub std: f64,
}

impl From<MeanStd> for Score {
    fn from(m: MeanStd) -> Self {
        Self {
            mean: m.mean,
            std: m.std,
        }
    }
}

impl Score {
    pub fn of(values: &[f64]) -> Self {
        MeanStd::of(values).into()
    }
}
