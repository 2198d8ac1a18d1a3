//! CaloClouds II (paper 000) inference: the ShowerFlow and PointWise Net that `calogen-train`
//! trains, loaded from its safetensors exports (the `inference` metadata entry describes them),
//! sampled with the shared point network and fused CPU kernel (`crate::nn`) (one step for the distilled
//! consistency model, Heun for the EDM teacher), then post-processed (`pipeline`).

pub mod config;
pub mod family;
pub mod model;
pub mod pipeline;
pub mod sampling;

pub use crate::nn::noise::shower_rng;
pub use crate::nn::showerflow::{FlowConfig, ShowerFeatures, ShowerFlow as Cc2ShowerFlow};
pub use config::NetConfig;
pub use family::Cc2Family;
pub use model::{Cc2Network, NetKind};
pub use pipeline::{Cc2Buffers, Cc2Model};
pub use sampling::{RawPoints, Workspace};
