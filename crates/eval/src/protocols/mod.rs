//! Evaluation protocols: which observables, metrics, report text and plots a paper reports, in one
//! shape. A protocol is a type implementing [`Protocol`] in its own folder:
//!
//! - `mod.rs`: the protocol type and its `impl Protocol` (and re-exports);
//! - `result.rs`: its config and typed result (its entry of `metrics.json`);
//! - `compute.rs`: from two shower samples to the result (observable glue, metric calls);
//! - `report.rs`: its Markdown (`report.md`);
//! - `plots.rs`: its figures (`plots/*.png`, `report.html`);
//! - anything else it needs (the paper's own numbers: `caloclouds/paper000.rs`).
//!
//! Imports run one way: `mod.rs` → `compute.rs` → `plots.rs` → `result.rs`, and `report.rs` →
//! `result.rs`; every file may use [`protocol`] (the trait and its inputs) and [`crate::metrics`].
//!
//! [`registry`] lists the protocols by name; `calogen evaluate --protocol NAME` looks the name up
//! there and runs it through the object-safe [`registry::DynProtocol`], so adding a protocol is a
//! folder and one line in [`registry::PROTOCOLS`]. Statistics shared between protocols live in
//! [`crate::metrics`], never in a protocol folder.

pub mod calochallenge;
pub mod caloclouds;
pub mod calohadronic;
pub mod checks;
pub mod protocol;
pub mod registry;

pub use calochallenge::{evaluate_calochallenge, CaloChallengeConfig, CaloChallengeResult};
pub use caloclouds::paper000;
pub use caloclouds::{evaluate_caloclouds, CaloCloudsConfig, CaloCloudsResult};
pub use calohadronic::{evaluate_calohadronic, CaloHadronicConfig, CaloHadronicResult};
pub use protocol::{Input, Loaded, Options, Protocol, Run, Samples, Score, VoxelClassifier};
pub use registry::{by_name, names, DynProtocol, Evaluation, PROTOCOLS};
