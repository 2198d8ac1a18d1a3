//! CaloClouds II (paper 000) inference: the ShowerFlow and PointWise Net that `calogen-train`
//! trains, loaded from its safetensors exports (the `inference` metadata entry describes them),
//! sampled with the fused CPU kernel of the CaloClouds3 family (one step for the distilled
//! consistency model, Heun for the EDM teacher), then post-processed (`pipeline`).

pub mod config;
pub mod model;
pub mod pipeline;
pub mod sampling;
pub mod showerflow;

pub use config::{FlowConfig, NetConfig};
pub use model::{Cc2Network, NetKind};
pub use pipeline::{shower_rng, Cc2Buffers, Cc2Model};
pub use sampling::{RawPoints, Workspace};
pub use showerflow::{Cc2ShowerFlow, ShowerFeatures};
