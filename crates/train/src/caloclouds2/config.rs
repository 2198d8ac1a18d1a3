//! PointWise Net configuration (TOML), with paper 000's values as defaults.

use crate::data::CondNormalisation;
use crate::engine::{Result, TrainError, TrainerConfig};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NetConfig {
    /// Point features: x, y, depth, energy.
    pub features: usize,
    /// ConcatSquashLinear widths between input and output (4→128→256→512→256→128→4).
    pub hidden: Vec<usize>,
    /// Fourier time-embedding width (32 frequencies → 64).
    pub time_dim: usize,
    /// Shower conditions after the time embedding: E_inc, N_points (CaloClouds II) or E_inc and
    /// the direction (CaloClouds3, 4); must match `cond`.
    pub cond_dim: usize,
}

impl Default for NetConfig {
    fn default() -> Self {
        Self {
            features: 4,
            hidden: vec![128, 256, 512, 256, 128],
            time_dim: 64,
            cond_dim: 2,
        }
    }
}

impl NetConfig {
    pub fn ctx_dim(&self) -> usize {
        self.time_dim + self.cond_dim
    }
}

/// EDM (Karras et al. 2022) constants used by CaloClouds II.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EdmConfig {
    pub sigma_data: f64,
    pub p_mean: f64,
    pub p_std: f64,
    pub sigma_min: f64,
    pub sigma_max: f64,
    pub rho: f64,
    /// Heun steps: 13 steps = 25 network evaluations (paper 000, Sec. 3.3).
    pub steps: usize,
}

impl Default for EdmConfig {
    fn default() -> Self {
        Self {
            sigma_data: 0.5,
            p_mean: -1.2,
            p_std: 1.2,
            sigma_min: 0.002,
            sigma_max: 80.0,
            rho: 7.0,
            steps: 13,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BatchConfig {
    /// Showers per step (paper: 128, on a GPU).
    pub showers: usize,
    /// Points drawn per shower (without replacement when the shower has enough). The network is
    /// pointwise, so subsampling only changes the variance; the condition keeps the full N.
    pub points_per_shower: usize,
}

impl Default for BatchConfig {
    fn default() -> Self {
        Self {
            showers: 128,
            points_per_shower: 256,
        }
    }
}

/// Preprocessing of the training showers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct DataConfig {
    /// CaloClouds3 tilt shift (paper 001 §2.2): move each layer's points back by the drift of the
    /// shower axis at that layer, using the layer depths of this planar geometry (name or file)
    /// with the gun 1 mm in front of it, so the net learns upright showers. `calogen generate
    /// --model caloclouds3` puts the drift back.
    pub tilt_geometry: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Cc2Config {
    pub net: NetConfig,
    pub edm: EdmConfig,
    pub batch: BatchConfig,
    pub cond: CondNormalisation,
    pub data: DataConfig,
    pub trainer: TrainerConfig,
}

impl Cc2Config {
    /// Paper defaults: 2M iterations, batch 128, Adam 1e-4 constant, EMA of the weights.
    pub fn paper() -> Self {
        let mut c = Self::default();
        c.trainer.steps = 2_000_000;
        c
    }

    pub fn from_toml(s: &str) -> Result<Self> {
        let c: Self = toml::from_str(s).map_err(|e| TrainError::Config(e.to_string()))?;
        if c.net.cond_dim != c.cond.dim() {
            return Err(TrainError::Config(format!(
                "net.cond_dim = {} but the condition ({}) has {} values",
                c.net.cond_dim,
                if c.cond.direction {
                    "cond.direction = true: E, p_x, p_y, p_depth"
                } else {
                    "E, N_points"
                },
                c.cond.dim()
            )));
        }
        Ok(c)
    }

    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("config serialises")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_roundtrip_and_partial_files() {
        let c = Cc2Config::paper();
        assert_eq!(Cc2Config::from_toml(&c.to_toml()).unwrap(), c);
        let p = Cc2Config::from_toml("[batch]\nshowers = 8\n").unwrap();
        assert_eq!(p.batch.showers, 8);
        assert_eq!(p.net.hidden, vec![128, 256, 512, 256, 128]);
        assert!(Cc2Config::from_toml("[net]\nwidth = 3\n").is_err());
        let e = Cc2Config::from_toml("[cond]\ndirection = true\n").unwrap_err();
        assert!(e.to_string().contains("cond_dim"), "{e}");
        let d = Cc2Config::from_toml("[net]\ncond_dim = 4\n[cond]\ndirection = true\n").unwrap();
        assert_eq!(d.cond.dim(), 4);
    }
}
