//! The `inference` JSON that `calogen-train` writes into the metadata of every exported CaloClouds II
//! file: network widths, EDM constants, point and condition normalisation, flow layout.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::nn::{karras_sigmas, PointwiseShape};

pub use crate::nn::norm::{PointNormalisation, Standardiser};

/// Most Heun steps a config may ask for (each is two network evaluations per point).
pub const MAX_STEPS: usize = 10_000;

/// The PointWise Net: 4 → hidden… → 4 ConcatSquashLinear, context [time (time_dim), E, N].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetConfig {
    pub features: usize,
    pub hidden: Vec<usize>,
    pub time_dim: usize,
    pub cond_dim: usize,
    pub sigma_data: f64,
    pub sigma_min: f64,
    pub sigma_max: f64,
    pub rho: f64,
    /// Heun steps (2·steps − 1 network evaluations).
    pub steps: usize,
    /// cond = [E_inc / energy_scale_mev, N / points_scale].
    pub energy_scale_mev: f64,
    pub points_scale: f64,
    pub n_layers: usize,
    pub norm: PointNormalisation,
}

impl NetConfig {
    pub fn from_json(text: &str, source: &str) -> Result<Self> {
        let c: NetConfig = serde_json::from_str(text).map_err(|e| {
            Error::format(
                source,
                format!("bad CaloClouds II `inference` metadata: {e}"),
            )
        })?;
        if c.features == 0
            || c.hidden.is_empty()
            || !c.time_dim.is_multiple_of(2)
            || c.n_layers == 0
        {
            return Err(Error::format(
                source,
                "inconsistent CaloClouds II network config",
            ));
        }
        // Sizes from a file: the context width is a sum the network shape computes, and `steps`
        // sizes the Karras schedule (the trained nets use 13; 10^12 would ask for 8 TB).
        if c.time_dim.checked_add(c.cond_dim).is_none() {
            return Err(Error::format(source, "time_dim + cond_dim overflows"));
        }
        if c.steps > MAX_STEPS {
            return Err(Error::format(
                source,
                format!("steps = {} is more than {MAX_STEPS}", c.steps),
            ));
        }
        if !(c.sigma_min > 0.0 && c.sigma_max > c.sigma_min && c.sigma_data > 0.0) {
            return Err(Error::format(
                source,
                "need 0 < sigma_min < sigma_max and sigma_data > 0",
            ));
        }
        Ok(c)
    }

    /// The point network's widths and tensor names.
    pub fn shape(&self) -> PointwiseShape {
        PointwiseShape::chain(self.features, &self.hidden, self.time_dim, self.cond_dim)
    }

    /// Karras schedule σ_max → σ_min over `steps` levels, then 0 (as the training crate).
    pub fn karras_sigmas(&self) -> Vec<f64> {
        karras_sigmas(self.steps, self.sigma_min, self.sigma_max, self.rho)
    }
}
