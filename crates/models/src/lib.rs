//! Generative shower models for calogen: checkpoint loaders (`io`), shared network blocks, noise,
//! ShowerFlow and a fused CPU inference kernel (`nn`), the model-family API (`family`: the trait
//! every family implements and the registry that finds one by name or folder), and one folder per
//! model family.
//!
//! ```
//! use calogen_models::caloclouds3::{Cc3Model, Condition};
//!
//! // The official CaloClouds3 consistency-model weights are compiled in.
//! let model = Cc3Model::embedded()?;
//! let incident = Condition::from_local_angles(50.0, 30.0, 45.0); // GeV, θ, φ in degrees
//! let showers = model.sample(&[incident], &[1500], 42)?;
//! assert_eq!(showers[0].len(), 1500 * 4); // [x mm, y mm, z layer, E] per point
//! # Ok::<(), calogen_models::Error>(())
//! ```

pub mod bench;
pub mod caloclouds2;
pub mod caloclouds3;
pub mod caloscore2;
mod error;
pub mod family;
pub mod io;
pub mod nn;
pub mod postprocess;
mod tensor;

pub use error::{Error, Result};
pub use family::{Incident, LoadOptions, ModelFamily, Registry};
pub use tensor::{Tensor, TensorMap};
