//! Metrics that compare generated calorimeter showers with Geant4 ones, as the field computes them.
//!
//! Every metric is a pure function of plain slices, checked against the reference implementation
//! the papers used (CaloChallenge `evaluate.py`, scipy, scikit-learn, jetnet, the CaloClouds II and
//! CaloHadronic evaluation code); `tools/eval_reference.py` writes the numbers the tests compare
//! with. Where those implementations make a choice (a bin that is closed on both sides, an
//! epsilon, a degree of freedom) the function follows it and says so.
//!
//! Samples of vectors are passed as [`RowMatrix`]: a row-major `&[f64]` with its row length.

pub mod classifier;
pub mod error;
pub mod linalg;
pub mod metrics;
pub mod observables;
pub mod progress;
pub mod protocols;
pub mod report;
pub mod rng;

/// Descriptive statistics live in [`metrics::stats`]; the old path stays.
pub use metrics::stats;

pub use error::{EvalError, Result};
pub use linalg::RowMatrix;
pub use rng::{IndexSampler, SeededSampler};
