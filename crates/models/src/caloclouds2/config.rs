//! The `inference` JSON that `calogen-train` writes into the metadata of every exported CaloClouds II
//! file: network widths, EDM constants, point and condition normalisation, flow layout.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::caloclouds3::{Cc3Config, PointNorm};
use crate::error::{Error, Result};

/// Mean and std of one point feature; network space is (v − mean)/(2·std).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Standardiser {
    pub mean: f64,
    pub std: f64,
}

impl Standardiser {
    pub fn inv(&self, v: f32) -> f64 {
        v as f64 * 2.0 * self.std + self.mean
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PointNormalisation {
    pub x: Standardiser,
    pub y: Standardiser,
    /// Continuous depth in layer units.
    pub z: Standardiser,
    /// ln(E / MeV).
    pub ln_e: Standardiser,
}

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
        if !(c.sigma_min > 0.0 && c.sigma_max > c.sigma_min && c.sigma_data > 0.0) {
            return Err(Error::format(
                source,
                "need 0 < sigma_min < sigma_max and sigma_data > 0",
            ));
        }
        Ok(c)
    }

    /// The same network family as CaloClouds3 (SPEC §2), so its loader and fused kernel apply.
    pub fn as_cc3(&self) -> Cc3Config {
        let mut widths = vec![self.features];
        widths.extend(&self.hidden);
        widths.push(self.features);
        let ctx = self.time_dim + self.cond_dim;
        let mut names = BTreeMap::new();
        names.insert(
            "time_embed.fourier.weight".to_string(),
            vec![self.time_dim / 2, 1],
        );
        names.insert(
            "time_embed.linear.weight".to_string(),
            vec![self.time_dim, self.time_dim],
        );
        names.insert("time_embed.linear.bias".to_string(), vec![self.time_dim]);
        for (i, w) in widths.windows(2).enumerate() {
            let p = format!("layers.{i}");
            names.insert(format!("{p}.layer.weight"), vec![w[1], w[0]]);
            names.insert(format!("{p}.layer.bias"), vec![w[1]]);
            names.insert(format!("{p}.hyper_gate.weight"), vec![w[1], ctx]);
            names.insert(format!("{p}.hyper_gate.bias"), vec![w[1]]);
            names.insert(format!("{p}.hyper_bias.weight"), vec![w[1], ctx]);
        }
        let n = &self.norm;
        Cc3Config {
            point_dim: self.features,
            cond_dim: self.cond_dim,
            time_dim: self.time_dim,
            fourier_features: self.time_dim / 2,
            ctx_dim: ctx,
            layer_in: widths[..widths.len() - 1].to_vec(),
            layer_out: widths[1..].to_vec(),
            residual: false,
            sigma_data: self.sigma_data,
            sigma_min: self.sigma_min,
            sigma_max: self.sigma_max,
            incident_energy_rescale_gev: self.energy_scale_mev / 1000.0,
            point_norm: PointNorm {
                x_mean: n.x.mean,
                x_std: n.x.std,
                y_mean: n.y.mean,
                y_std: n.y.std,
                z_mean: n.z.mean,
                z_std: n.z.std,
                log_e_mean: n.ln_e.mean,
                log_e_std: n.ln_e.std,
                xy_calibration: 1.0,
            },
            tensor_names: names,
            original_state_dict_keys: BTreeMap::new(),
            scale_factors: None,
        }
    }

    /// Karras schedule σ_max → σ_min over `steps` levels, then 0 (as the training crate).
    pub fn karras_sigmas(&self) -> Vec<f64> {
        let (a, b) = (
            self.sigma_max.powf(1.0 / self.rho),
            self.sigma_min.powf(1.0 / self.rho),
        );
        let n = self.steps;
        let mut s: Vec<f64> = (0..n)
            .map(|i| {
                let t = if n > 1 {
                    i as f64 / (n - 1) as f64
                } else {
                    0.0
                };
                (a + t * (b - a)).powf(self.rho)
            })
            .collect();
        s.push(0.0);
        s
    }
}

/// One coupling of the ShowerFlow: kind and feature order (first half passes unchanged).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CouplingLayout {
    pub kind: String,
    pub perm: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlowConfig {
    pub dim: usize,
    pub hidden: usize,
    pub bins: usize,
    pub tail_bound: f64,
    pub scale_bound: f64,
    /// cond = E_inc / energy_scale_mev.
    pub energy_scale_mev: f64,
    /// 1: [E]; 4: [E, p_x, p_y, p_depth] (a flow conditioned on the incident direction).
    #[serde(default = "one")]
    pub cond_dim: usize,
    pub couplings: Vec<CouplingLayout>,
    /// Feature standardisation (after ln of N and E_vis).
    pub mean: Vec<f64>,
    pub std: Vec<f64>,
}

fn one() -> usize {
    1
}

impl FlowConfig {
    pub fn from_json(text: &str, source: &str) -> Result<Self> {
        let c: FlowConfig = serde_json::from_str(text).map_err(|e| {
            Error::format(source, format!("bad ShowerFlow `inference` metadata: {e}"))
        })?;
        let ok = (c.cond_dim == 1 || c.cond_dim == 4)
            && c.dim >= 6
            && (c.dim - 4).is_multiple_of(2)
            && c.mean.len() == c.dim
            && c.std.len() == c.dim
            && c.bins >= 2
            && c.couplings.iter().all(|l| {
                let mut p = l.perm.clone();
                p.sort_unstable();
                p == (0..c.dim).collect::<Vec<_>>() && (l.kind == "affine" || l.kind == "spline")
            });
        if !ok {
            return Err(Error::format(source, "inconsistent ShowerFlow config"));
        }
        Ok(c)
    }

    pub fn n_layers(&self) -> usize {
        (self.dim - 4) / 2
    }
}
