//! The CaloClouds II PointWise Net for inference: the weights `calogen-train` exports, run through
//! the shared point network (`nn::pointwise`) and its fused per-point kernel (same ConcatSquashLinear family,
//! other widths and a 2-value condition [E_inc, N]).

use std::path::Path;

use super::config::NetConfig;
use crate::error::{Error, Result};
use crate::io;
use crate::io::safetensors::{meta_entry, read_metadata};
use crate::nn::Scalings;
use crate::nn::{PointwiseNet, TimePart};

/// Which preconditioning the weights were trained for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetKind {
    /// EDM teacher: sampled with Heun.
    Edm,
    /// Distilled consistency model: one step.
    Consistency,
}

#[derive(Debug, Clone)]
pub struct Cc2Network {
    pub config: NetConfig,
    pub kind: NetKind,
    pub(crate) net: PointwiseNet,
    /// The σ-only modulation at every level the samplers use (σ_max first).
    pub(crate) times: Vec<TimePart>,
}

impl Cc2Network {
    pub fn load(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Self::from_bytes(&bytes, &path.display().to_string())
    }

    /// From the bytes of an exported file; `source` names it in errors.
    pub fn from_bytes(bytes: &[u8], source: &str) -> Result<Self> {
        let meta = read_metadata(bytes, source)?;
        let kind = match meta_entry(&meta, "model", source)? {
            "caloclouds2-pointwise-net" => NetKind::Edm,
            "caloclouds2-consistency" => NetKind::Consistency,
            other => {
                return Err(Error::format(
                    source,
                    format!("metadata `model` is `{other}`, not a CaloClouds II PointWise Net"),
                ))
            }
        };
        let config = NetConfig::from_json(meta_entry(&meta, "inference", source)?, source)?;
        let tensors = io::read_safetensors(bytes, source)?;
        let net = PointwiseNet::from_tensors(&config.shape(), &tensors)?;
        let sigmas: Vec<f64> = match kind {
            NetKind::Consistency => vec![config.sigma_max],
            NetKind::Edm => config
                .karras_sigmas()
                .into_iter()
                .filter(|&s| s > 0.0)
                .collect(),
        };
        let times = sigmas
            .iter()
            .map(|&s| net.time_part(s as f32))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            config,
            kind,
            net,
            times,
        })
    }

    pub fn network(&self) -> &PointwiseNet {
        &self.net
    }

    /// The scalings of this network's preconditioning at σ.
    pub fn scalings(&self, sigma: f64) -> Scalings {
        let c = &self.config;
        match self.kind {
            NetKind::Edm => Scalings::edm(sigma, c.sigma_data),
            NetKind::Consistency => Scalings::consistency(sigma, c.sigma_data, c.sigma_min),
        }
    }

    /// [E_inc / scale, N / scale].
    pub fn cond(&self, e_inc_mev: f32, n_points: usize) -> [f32; 2] {
        [
            (e_inc_mev as f64 / self.config.energy_scale_mev) as f32,
            (n_points as f64 / self.config.points_scale) as f32,
        ]
    }

    /// Multiply-adds per point and network evaluation.
    pub fn macs_per_point(&self) -> usize {
        self.net.macs_per_point()
    }
}
