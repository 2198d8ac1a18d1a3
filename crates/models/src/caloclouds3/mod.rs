//! CaloClouds3 (Buss et al.): the one-step consistency model that turns Gaussian noise into the
//! points of a shower, given its incident energy and direction. The number of points per shower
//! comes from ShowerFlow upstream (`showerflow`); the layer assignment and calibrations downstream
//! (SPEC §5, `crate::postprocess`) and the projection into the ILD barrel are chained in `pipeline`.

mod config;
pub mod family;
#[cfg(test)]
mod family_tests;
mod norm;
pub mod pipeline;
mod profile;
mod sampling;
pub mod showerflow;
pub mod stand_in;
mod timing;

use std::path::Path;

pub use crate::nn::pointwise::{Context, LayerOutputs, PointwiseNet as Cc3Network, TimePart};
pub use crate::nn::standard_normal;
pub use config::{Cc3Config, PointNorm};
pub use family::Cc3Family;
pub use pipeline::{Cc3Buffers, Cc3Pipeline, EmpiricalProfiles, LayerProfile, LayerProfileSampler};
pub use sampling::{Condition, Workspace};
pub use showerflow::{Cc3ShowerFlow, ShowerFlowConfig};
pub use stand_in::StandInFlow;

use crate::error::{Error, Result};
use crate::io;
use crate::tensor::TensorMap;

/// The official weights (`others['model_ema']` of the CaloClouds-3 repo's `example_cm_model.pt`,
/// exported to safetensors), with the config; Apache-2.0, see `LICENSE` and `NOTICE` beside them.
const EMBEDDED_WEIGHTS: &[u8] = include_bytes!("../../assets/caloclouds3/cc3_cm_ema.safetensors");
const EMBEDDED_CONFIG: &str = include_str!("../../assets/caloclouds3/cc3_cm_config.json");
/// The licence and notice that redistributing the embedded weights requires.
pub const EMBEDDED_LICENSE: &str = include_str!("../../assets/caloclouds3/LICENSE-CaloClouds3");
pub const EMBEDDED_NOTICE: &str = include_str!("../../assets/caloclouds3/NOTICE");

/// The config's file name beside a CaloClouds3-style weights file (`calogen train distil` of a
/// net conditioned on the direction writes it; `calogen generate --model caloclouds3 --net` reads it).
pub const CONFIG_FILE: &str = "cc3_cm_config.json";

/// The key path of the sampling weights in the original checkpoint (SPEC §1).
pub const PT_WEIGHTS_KEY: [&str; 2] = ["others", "model_ema"];

/// Config plus network: everything needed to sample.
#[derive(Debug, Clone)]
pub struct Cc3Model {
    config: Cc3Config,
    network: Cc3Network,
    /// The σ_max part of the modulation, shared by every one-step sample (≈45 µs to compute).
    time_at_sigma_max: TimePart,
}

impl Cc3Model {
    /// The official weights compiled into the binary.
    pub fn embedded() -> Result<Self> {
        let config = Cc3Config::from_json(EMBEDDED_CONFIG, "embedded:cc3_cm_config.json")?;
        let tensors = io::read_safetensors(EMBEDDED_WEIGHTS, "embedded:cc3_cm_ema.safetensors")?;
        Self::from_tensors(config, &tensors)
    }

    pub fn from_safetensors(weights: &Path, config: &Path) -> Result<Self> {
        let config = Cc3Config::from_file(config)?;
        Self::from_tensors(config, &io::load_safetensors(weights)?)
    }

    /// Reads `others['model_ema']` of an original CaloClouds3 `.pt` checkpoint.
    pub fn from_pt(checkpoint: &Path, config: &Path) -> Result<Self> {
        let config = Cc3Config::from_file(config)?;
        let tensors = pt_weights(checkpoint, &config)?;
        Self::from_tensors(config, &tensors)
    }

    /// From tensors under the export names listed in `config.tensor_names`.
    pub fn from_tensors(config: Cc3Config, tensors: &TensorMap) -> Result<Self> {
        let network = Cc3Network::from_tensors(&config.shape(), tensors)?;
        let time_at_sigma_max = network.time_part(config.sigma_max as f32)?;
        Ok(Cc3Model {
            config,
            network,
            time_at_sigma_max,
        })
    }

    pub fn config(&self) -> &Cc3Config {
        &self.config
    }

    pub fn network(&self) -> &Cc3Network {
        &self.network
    }

    pub(crate) fn time_at_sigma_max(&self) -> &TimePart {
        &self.time_at_sigma_max
    }
}

/// The sampling weights of a `.pt` checkpoint, renamed from the PyTorch state-dict keys
/// (`diffusion.inner_model.layers.0._layer.weight`) to the export names (`layers.0.layer.weight`).
pub fn pt_weights(checkpoint: &Path, config: &Cc3Config) -> Result<TensorMap> {
    let mut original = io::load_pt(checkpoint, &PT_WEIGHTS_KEY)?;
    let mut renamed = TensorMap::new(original.source().to_string());
    for (key, name) in &config.original_state_dict_keys {
        let t = original.take(key).ok_or_else(|| Error::MissingTensor {
            file: original.source().to_string(),
            name: format!("['{}']['{key}']", PT_WEIGHTS_KEY.join("']['")),
        })?;
        renamed.insert(name.clone(), t);
    }
    Ok(renamed)
}
