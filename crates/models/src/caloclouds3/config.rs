//! `cc3_cm_config.json`: widths, constants and normalisation of the CaloClouds3 consistency model.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::nn::PointwiseShape;
use crate::postprocess::Cc3ScaleFactors;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cc3Config {
    /// (x, y, z, log-energy).
    pub point_dim: usize,
    /// [E/127, p_x, p_y, p_z].
    pub cond_dim: usize,
    pub time_dim: usize,
    pub fourier_features: usize,
    /// time_dim + cond_dim, time embedding first.
    pub ctx_dim: usize,
    pub layer_in: Vec<usize>,
    pub layer_out: Vec<usize>,
    pub residual: bool,
    pub sigma_data: f64,
    pub sigma_min: f64,
    pub sigma_max: f64,
    #[serde(rename = "incident_energy_rescale_GeV")]
    pub incident_energy_rescale_gev: f64,
    pub point_norm: PointNorm,
    /// Export name → shape, for checking a checkpoint before building the net.
    pub tensor_names: BTreeMap<String, Vec<usize>>,
    /// PyTorch state-dict key (in `others['model_ema']`) → export name.
    pub original_state_dict_keys: BTreeMap<String, String>,
    /// The fixed occupancy/energy/xy factors fitted for this network (`calogen calibrate --model
    /// caloclouds3 --net`); absent in the official config, whose factors are the deployment
    /// notebook's ([`Cc3ScaleFactors::default`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_factors: Option<Cc3ScaleFactors>,
}

/// Per-feature affine normalisation of the points (SPEC §5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointNorm {
    pub x_mean: f64,
    pub x_std: f64,
    pub y_mean: f64,
    pub y_std: f64,
    pub z_mean: f64,
    pub z_std: f64,
    #[serde(rename = "logE_mean")]
    pub log_e_mean: f64,
    #[serde(rename = "logE_std")]
    pub log_e_std: f64,
    /// Extra x/y std factor the deployment notebook applies (1.04).
    #[serde(rename = "post_calibration_xy_scale_in_inference_notebook")]
    pub xy_calibration: f64,
}

impl Cc3Config {
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Self::from_json(&text, &path.display().to_string())
    }

    /// Parses and checks the config; `source` names it in errors.
    pub fn from_json(text: &str, source: &str) -> Result<Self> {
        let cfg: Cc3Config = serde_json::from_str(text)
            .map_err(|e| Error::format(source, format!("bad CaloClouds3 config: {e}")))?;
        cfg.validate()
            .map_err(|msg| Error::format(source, format!("inconsistent config: {msg}")))?;
        Ok(cfg)
    }

    fn validate(&self) -> std::result::Result<(), String> {
        let n = self.layer_in.len();
        if n == 0 || self.layer_out.len() != n {
            return Err("layer_in and layer_out must be non-empty and of equal length".into());
        }
        if self.layer_in[0] != self.point_dim || self.layer_out[n - 1] != self.point_dim {
            return Err("the first layer must take and the last give point_dim features".into());
        }
        if self.layer_in[1..] != self.layer_out[..n - 1] {
            return Err("layer widths do not chain".into());
        }
        // Checked: both widths come from the file.
        if self.time_dim.checked_add(self.cond_dim) != Some(self.ctx_dim) {
            return Err("ctx_dim must be time_dim + cond_dim".into());
        }
        if self.residual {
            return Err(
                "residual PointwiseNet is not supported (the CM checkpoint has none)".into(),
            );
        }
        if let Some(f) = &self.scale_factors {
            let ok = |v: f64| v.is_finite() && v > 0.0 && v <= 100.0;
            if !(ok(f.occupancy) && ok(f.energy) && ok(f.xy)) {
                return Err(format!("scale factors must be in (0, 100], got {f:?}"));
            }
        }
        if !(self.sigma_min > 0.0 && self.sigma_max > self.sigma_min && self.sigma_data > 0.0) {
            return Err("need 0 < sigma_min < sigma_max and sigma_data > 0".into());
        }
        Ok(())
    }

    /// The point network's widths and tensor names.
    pub fn shape(&self) -> PointwiseShape {
        PointwiseShape {
            point_dim: self.point_dim,
            cond_dim: self.cond_dim,
            time_dim: self.time_dim,
            fourier_features: self.fourier_features,
            ctx_dim: self.ctx_dim,
            layer_in: self.layer_in.clone(),
            layer_out: self.layer_out.clone(),
            tensor_names: self.tensor_names.clone(),
        }
    }

    pub fn num_layers(&self) -> usize {
        self.layer_in.len()
    }
}
