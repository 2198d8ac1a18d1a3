//! The ShowerFlow trained by `calogen-train` (CaloClouds II; with a direction condition, the layer
//! profiles of CaloClouds3-style chains) (affine couplings with tanh-bounded
//! log-scales and rational-quadratic spline couplings over a random feature split), in plain
//! Rust: sampling needs only the inverse, one shower at a time, a few hundred thousand
//! multiply-adds. Same formulas as the burn implementation (`crates/train/src/showerflow`).

use std::path::Path;

use rand::Rng;

use serde::{Deserialize, Serialize};

use super::noise::standard_normal;
use crate::error::{Error, Result};
use crate::io;
use crate::io::safetensors::{meta_entry, read_metadata};
use crate::nn::activation::LEAKY_SLOPE;
use crate::nn::Linear;

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

/// Most spline bins a ShowerFlow config may have (ours use 8).
pub const MAX_BINS: usize = 1 << 16;

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
            // `3 * bins - 1` spline parameters per feature: bounded so that cannot overflow.
            && (2..=MAX_BINS).contains(&c.bins)
            && c.couplings.iter().all(|l| {
                let mut p = l.perm.clone();
                p.sort_unstable();
                p == (0..c.dim).collect::<Vec<_>>() && (l.kind == "affine" || l.kind == "spline")
            });
        if !ok {
            return Err(Error::format(
                source,
                format!("inconsistent ShowerFlow config (dim, cond_dim, mean/std lengths, bins in 2..={MAX_BINS} or couplings)"),
            ));
        }
        Ok(c)
    }

    pub fn n_layers(&self) -> usize {
        (self.dim - 4) / 2
    }
}

const MIN_BIN: f64 = 1e-3;
const MIN_DERIV: f64 = 1e-3;

#[derive(Debug, Clone)]
struct Coupling {
    spline: bool,
    perm: Vec<usize>,
    d_a: usize,
    l0: Linear,
    l1: Linear,
    out: Linear,
}

/// One shower's generated conditioning and calibration targets.
#[derive(Debug, Clone, PartialEq)]
pub struct ShowerFeatures {
    pub n_points: usize,
    pub e_vis_mev: f64,
    pub cog: [f64; 2],
    /// Per layer, non-negative, sums to 1.
    pub point_fraction: Vec<f64>,
    pub energy_fraction: Vec<f64>,
}

#[derive(Debug, Clone)]
pub struct ShowerFlow {
    pub config: FlowConfig,
    couplings: Vec<Coupling>,
}

fn leaky(v: &mut [f32]) {
    for x in v {
        if *x < 0.0 {
            *x *= LEAKY_SLOPE;
        }
    }
}

fn softplus(x: f64) -> f64 {
    if x > 20.0 {
        x
    } else {
        x.exp().ln_1p()
    }
}

/// Knots (left edges and sizes) of K bins on [−B, B] from unconstrained `raw`.
fn bins(raw: &[f32], bound: f64) -> (Vec<f64>, Vec<f64>) {
    let k = raw.len();
    let m = raw.iter().fold(f32::MIN, |a, &b| a.max(b)) as f64;
    let e: Vec<f64> = raw.iter().map(|&r| (r as f64 - m).exp()).collect();
    let s: f64 = e.iter().sum();
    let w: Vec<f64> = e
        .iter()
        .map(|v| v / s * (1.0 - MIN_BIN * k as f64) + MIN_BIN)
        .collect();
    let mut left = Vec::with_capacity(k);
    let mut acc = 0.0;
    for (i, wi) in w.iter().enumerate() {
        left.push(if i == 0 {
            -bound
        } else {
            acc * 2.0 * bound - bound
        });
        acc += wi;
    }
    (left, w.iter().map(|v| v * 2.0 * bound).collect())
}

/// x = g⁻¹(y) of the monotone rational-quadratic spline with parameters `raw` (3K − 1 values);
/// identity outside (−B, B).
fn spline_inverse(y: f64, raw: &[f32], k: usize, bound: f64) -> f64 {
    if !(y > -bound && y < bound) {
        return y;
    }
    let (xl, w) = bins(&raw[..k], bound);
    let (yl, h) = bins(&raw[k..2 * k], bound);
    let inner: Vec<f64> = raw[2 * k..3 * k - 1]
        .iter()
        .map(|&r| softplus(r as f64) + MIN_DERIV)
        .collect();
    // The bin: the number of interior knots at or below y (the burn code's one-hot).
    let b = (1..k).filter(|&j| y >= yl[j]).count();
    let dk = if b == 0 { 1.0 } else { inner[b - 1] };
    let dk1 = if b == k - 1 { 1.0 } else { inner[b] };
    let s = h[b] / w[b];
    let dy = y - yl[b];
    let sum_d = dk1 + dk - 2.0 * s;
    let a = h[b] * (s - dk) + dy * sum_d;
    let bq = h[b] * dk - dy * sum_d;
    let c = -s * dy;
    let disc = (bq * bq - 4.0 * a * c).max(0.0);
    let th = (2.0 * c / (-bq - disc.sqrt())).clamp(0.0, 1.0);
    th * w[b] + xl[b]
}

impl ShowerFlow {
    pub fn load(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Self::from_bytes(&bytes, &path.display().to_string())
    }

    pub fn from_bytes(bytes: &[u8], source: &str) -> Result<Self> {
        let meta = read_metadata(bytes, source)?;
        let model = meta_entry(&meta, "model", source)?;
        if model != "caloclouds2-showerflow" {
            return Err(Error::format(
                source,
                format!("metadata `model` is `{model}`, not a CaloClouds II ShowerFlow"),
            ));
        }
        let config = FlowConfig::from_json(meta_entry(&meta, "inference", source)?, source)?;
        let map = io::read_safetensors(bytes, source)?;
        let dim = config.dim;
        let couplings = config
            .couplings
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let spline = l.kind == "spline";
                let d_a = dim / 2;
                let per = if spline { 3 * config.bins - 1 } else { 2 };
                let p = format!("couplings.{i}.net");
                let h = config.hidden;
                Ok(Coupling {
                    spline,
                    perm: l.perm.clone(),
                    d_a,
                    l0: Linear::from_map(&map, &format!("{p}.l0"), d_a + config.cond_dim, h, true)?,
                    l1: Linear::from_map(&map, &format!("{p}.l1"), h, h, true)?,
                    out: Linear::from_map(&map, &format!("{p}.out"), h, (dim - d_a) * per, true)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self { config, couplings })
    }

    /// Flow space x = f⁻¹(z) for one shower; `cond` = [E_inc / energy scale] or, for a flow
    /// conditioned on the direction, [E_inc / energy scale, p_x, p_y, p_depth].
    pub fn inverse(&self, z: &[f32], cond: &[f32]) -> Vec<f32> {
        let cfg = &self.config;
        let mut x = z.to_vec();
        let mut xp = vec![0f32; x.len()];
        for c in self.couplings.iter().rev() {
            for (j, &p) in c.perm.iter().enumerate() {
                xp[j] = x[p];
            }
            let mut inp = xp[..c.d_a].to_vec();
            inp.extend_from_slice(cond);
            let mut h = c.l0.apply(&inp);
            leaky(&mut h);
            let mut h = c.l1.apply(&h);
            leaky(&mut h);
            let raw = c.out.apply(&h);
            let d_b = xp.len() - c.d_a;
            for (j, xv) in xp[c.d_a..].iter_mut().enumerate() {
                let v = *xv;
                *xv = if c.spline {
                    let per = 3 * cfg.bins - 1;
                    spline_inverse(
                        v as f64,
                        &raw[j * per..(j + 1) * per],
                        cfg.bins,
                        cfg.tail_bound,
                    ) as f32
                } else {
                    let b = cfg.scale_bound as f32;
                    let log_s = b * (raw[j] / b).tanh();
                    (v - raw[d_b + j]) * (-log_s).exp()
                };
            }
            for (j, &p) in c.perm.iter().enumerate() {
                x[p] = xp[j];
            }
        }
        x
    }

    /// Physical features from flow space: N and E_vis exponentiated, fractions made a simplex.
    pub fn features(&self, v: &[f32]) -> ShowerFeatures {
        let cfg = &self.config;
        let r: Vec<f64> = v
            .iter()
            .zip(cfg.mean.iter().zip(&cfg.std))
            .map(|(&v, (m, s))| v as f64 * s + m)
            .collect();
        let l = cfg.n_layers();
        let simplex = |v: &[f64]| {
            let c: Vec<f64> = v.iter().map(|x| x.max(0.0)).collect();
            let s: f64 = c.iter().sum();
            if s > 0.0 {
                c.iter().map(|x| x / s).collect()
            } else {
                vec![1.0 / v.len() as f64; v.len()]
            }
        };
        let n = r[0].exp();
        ShowerFeatures {
            n_points: if n.is_finite() {
                n.round().max(1.0) as usize
            } else {
                1
            },
            e_vis_mev: r[1].exp().min(f64::MAX),
            cog: [r[2], r[3]],
            point_fraction: simplex(&r[4..4 + l]),
            energy_fraction: simplex(&r[4 + l..4 + 2 * l]),
        }
    }

    /// Samples one shower's features for incident energy `e_inc_mev` (perpendicular incidence
    /// for a flow conditioned on the direction).
    pub fn sample<R: Rng + ?Sized>(&self, e_inc_mev: f32, rng: &mut R) -> ShowerFeatures {
        self.sample_at(e_inc_mev, [0.0, 0.0, 1.0], rng)
    }

    /// Samples one shower's features for incident energy `e_inc_mev` and unit direction
    /// (transverse x, transverse y, along depth); a flow conditioned on E alone ignores it.
    pub fn sample_at<R: Rng + ?Sized>(
        &self,
        e_inc_mev: f32,
        direction: [f32; 3],
        rng: &mut R,
    ) -> ShowerFeatures {
        let z = standard_normal(rng, self.config.dim);
        let e = (e_inc_mev as f64 / self.config.energy_scale_mev) as f32;
        let cond = [e, direction[0], direction[1], direction[2]];
        self.features(&self.inverse(&z, &cond[..self.config.cond_dim]))
    }
}
