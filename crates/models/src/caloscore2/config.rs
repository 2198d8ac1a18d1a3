//! CaloScore v2's configuration and the contract between training (`calogen-train`, burn) and
//! inference (this crate): the networks' exact definition and their tensor names and shapes
//! ([`parameter_shapes`]). Both sides test against this one list.
//!
//! # The two networks (paper "CaloScore v2", §III)
//! Both predict the velocity v (v-prediction on the VP cosine schedule, `nn::vp`) of their features
//! at time t ∈ [0, 1]. Activation: swish (SiLU), x·sigmoid(x). Linear layers are `W x + b` with
//! PyTorch layouts (`weight [out, in]`); convolutions `weight [out, in, k…]`, `bias [out]`.
//!
//! **Time embedding** (no parameters), width D = `time_embedding`: for k < D/2,
//! w_k = exp(−ln(10⁴)·k/(D/2)); temb(t) = [sin(1000·t·w_k) for k < D/2, cos(1000·t·w_k) for k < D/2].
//!
//! **Condition embedding** of a network, prefix P (`layer.` or `voxel.`), width E = `embedding`:
//! emb = swish(P`cond.1`(swish(P`cond.0`(c)))), with c = [temb(t), e] for the layer network and
//! c = [temb(t), e, layer features (n_layers, the standardised logit fractions)] for the voxel
//! network; e = `EnergyCondition::encode(E_inc)`.
//!
//! **Layer-energy network** (`layer.`, a residual MLP, n = n_layers features, H = `hidden`):
//! h = `in`(x); for each block k: h = h + `block.k.b`(swish(`block.k.a`(swish(h)) +
//! `block.k.emb`(emb))); v = `out`(swish(h)).
//!
//! **Voxel network** (`voxel.`, a U-Net, channels c_0…c_{L−1}), on a grid of shape
//! [1, dims…]: 3-D (layer, α, r) for a geometry whose layers all share one (α, r) binning
//! (datasets 2 and 3), else 1-D over the flat voxel index (dataset 1). Every convolution has
//! kernel 3 and padding 1 on each side of each axis: zeros along layer and r (and the 1-D axis),
//! **circular along α** (the α bins close on themselves; the paper's old Cartesian mapping
//! approximated this and is abandoned in v2). A conv *unit* U is y = swish(U`conv`(x) +
//! U`emb`(emb)) (the embedding's output broadcast over positions). Stride-2 units give
//! ceil(n/2) positions per axis.
//! - `down.i.a`: unit c_{i−1} → c_i (c_{−1} = 1, the noisy voxels), stride 1; its output is
//!   skip_i. With attention `all_low` and i ≥ 1, then `down.i.attn`.
//! - `down.i.b`: unit c_i → c_i, stride 2 (downsampling by 2 along every axis).
//! - `mid.a`: unit c_{L−1} → c_{L−1}; `mid.attn`; `mid.b`: unit c_{L−1} → c_{L−1}.
//! - for i = L−1 down to 0: h = nearest-neighbour upsampling ×2 of h along every axis, cropped
//!   (keeping the first entries) to skip_i's shape; h = concat([h, skip_i], channels);
//!   `up.i`: unit (c_{i+1} or c_{L−1} for i = L−1) + c_i → c_i, stride 1; with `all_low` and
//!   i ≥ 1, then `up.i.attn`.
//! - v = `out`(h): a plain convolution c_0 → 1 (no embedding, no activation).
//!
//! An attention block A on h [c, positions] with `heads` heads: tokens are the positions (no
//! positional encoding, so a rotation in α commutes with it), q, k, v = split of A`qkv`(token)
//! into three c-wide parts (q first), per head softmax(q·kᵀ/√(c/heads))·v, heads concatenated,
//! h = h + A`proj`(that).
//!
//! # Files
//! A model folder holds `family.json` (`{"family": "caloscore2"}`) and [`WEIGHTS_FILE`]: every
//! tensor of [`parameter_shapes`] (f32) plus the preprocessing as tensors [`PREPROCESS_TENSORS`],
//! with this config as JSON under the metadata key [`CONFIG_KEY`].

use serde::{Deserialize, Serialize};

use super::preprocess::EnergyCondition;
use crate::error::{Error, Result};

pub const WEIGHTS_FILE: &str = "caloscore2.safetensors";
pub const CONFIG_KEY: &str = "caloscore2";

/// The preprocessing as tensors: mean and std of the standardised layer features (n_layers) and
/// of the voxel features (n_voxels).
pub const PREPROCESS_TENSORS: [&str; 4] = [
    "pre.layer_mean",
    "pre.layer_std",
    "pre.voxel_mean",
    "pre.voxel_std",
];

/// Most DDIM steps a config may ask for.
pub const MAX_STEPS: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Attention {
    /// Only at the lowest resolution (datasets 2 and 3).
    Lowest,
    /// At every resolution below the input's (dataset 1).
    AllLow,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LayerNetConfig {
    pub hidden: usize,
    pub blocks: usize,
    pub embedding: usize,
}

impl Default for LayerNetConfig {
    /// Smaller than the paper's 1024 (datasets 2, 3) so that it trains on one CPU core.
    fn default() -> Self {
        Self {
            hidden: 256,
            blocks: 3,
            embedding: 64,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VoxelNetConfig {
    pub channels: Vec<usize>,
    pub embedding: usize,
    pub heads: usize,
    pub attention: Attention,
}

impl Default for VoxelNetConfig {
    /// A quarter of the paper's widths (32/64/96) so that it trains on one CPU core in hours.
    fn default() -> Self {
        Self {
            channels: vec![8, 16, 24],
            embedding: 64,
            heads: 2,
            attention: Attention::Lowest,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Cs2Config {
    /// A built-in CaloChallenge geometry (`calochallenge-ds2`) or a TOML path.
    pub geometry: String,
    /// The incident-energy condition; also the trained range.
    pub energy: EnergyCondition,
    /// f of `preprocess::layer_fractions` (ΣE ≤ f·E_inc in the training data).
    pub fraction_scale: f64,
    pub time_embedding: usize,
    pub layer_net: LayerNetConfig,
    pub voxel_net: VoxelNetConfig,
    /// DDIM steps the layer network's weights are made for (halved by each distillation).
    pub layer_steps: usize,
    /// DDIM steps the voxel network's weights are made for.
    pub voxel_steps: usize,
}

impl Default for Cs2Config {
    fn default() -> Self {
        Self {
            geometry: "calochallenge-ds2".into(),
            energy: EnergyCondition {
                e_min_mev: 1_000.0,
                e_max_mev: 1_000_000.0,
            },
            fraction_scale: 2.0,
            time_embedding: 32,
            layer_net: LayerNetConfig::default(),
            voxel_net: VoxelNetConfig::default(),
            layer_steps: 64,
            voxel_steps: 64,
        }
    }
}

/// The voxel network's grid: its spatial shape and which axes are periodic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grid {
    pub dims: Vec<usize>,
    pub circular: Vec<bool>,
}

impl Grid {
    /// (layers, α, r) when every layer has the same α and r binning (datasets 2, 3; the
    /// CaloChallenge voxel index is then (layer·n_α + α)·n_r + r, row-major in this shape), else
    /// the flat voxel index (dataset 1).
    pub fn of(v: &calogen_geometry::Voxelisation) -> Self {
        let first = &v.layers[0];
        let regular = v
            .layers
            .iter()
            .all(|l| l.n_alpha == first.n_alpha && l.n_r() == first.n_r())
            && first.n_alpha > 1;
        if regular {
            Grid {
                dims: vec![v.layers.len(), first.n_alpha, first.n_r()],
                circular: vec![false, true, false],
            }
        } else {
            Grid {
                dims: vec![v.n_voxels],
                circular: vec![false],
            }
        }
    }

    pub fn n_voxels(&self) -> usize {
        self.dims.iter().product()
    }

    /// The grid after one stride-2 convolution.
    pub fn halved(&self) -> Self {
        Grid {
            dims: self.dims.iter().map(|d| d.div_ceil(2)).collect(),
            circular: self.circular.clone(),
        }
    }
}

impl Cs2Config {
    /// Parses JSON (the safetensors metadata) or TOML (a training config) and checks it.
    pub fn from_json(text: &str, source: &str) -> Result<Self> {
        let c: Self = serde_json::from_str(text)
            .map_err(|e| Error::format(source, format!("bad CaloScore v2 config: {e}")))?;
        c.check(source)?;
        Ok(c)
    }

    pub fn from_toml(text: &str, source: &str) -> Result<Self> {
        let c: Self = toml::from_str(text)
            .map_err(|e| Error::format(source, format!("bad CaloScore v2 config: {e}")))?;
        c.check(source)?;
        Ok(c)
    }

    /// Sizes come from files: bound them before anything is allocated.
    pub fn check(&self, source: &str) -> Result<()> {
        let bad = |m: String| Err(Error::format(source, m));
        let l = &self.layer_net;
        let v = &self.voxel_net;
        if self.time_embedding == 0 || !self.time_embedding.is_multiple_of(2) {
            return bad(format!(
                "time_embedding = {} must be even and > 0",
                self.time_embedding
            ));
        }
        for (name, x) in [
            ("layer_net.hidden", l.hidden),
            ("layer_net.embedding", l.embedding),
            ("voxel_net.embedding", v.embedding),
            ("time_embedding", self.time_embedding),
        ] {
            if x == 0 || x > 8192 {
                return bad(format!("{name} = {x} is outside 1..=8192"));
            }
        }
        if l.blocks == 0 || l.blocks > 64 {
            return bad(format!("layer_net.blocks = {} is outside 1..=64", l.blocks));
        }
        if v.channels.is_empty() || v.channels.len() > 8 {
            return bad(format!(
                "voxel_net.channels has {} levels (1..=8)",
                v.channels.len()
            ));
        }
        if v.channels.iter().any(|&c| c == 0 || c > 1024) {
            return bad(format!(
                "voxel_net.channels {:?}: each in 1..=1024",
                v.channels
            ));
        }
        if v.heads == 0 || v.channels.iter().any(|c| !c.is_multiple_of(v.heads)) {
            return bad(format!(
                "voxel_net.heads = {} must divide every channel count {:?}",
                v.heads, v.channels
            ));
        }
        for (name, s) in [
            ("layer_steps", self.layer_steps),
            ("voxel_steps", self.voxel_steps),
        ] {
            if s == 0 || s > MAX_STEPS {
                return bad(format!("{name} = {s} is outside 1..={MAX_STEPS}"));
            }
        }
        let e = &self.energy;
        if !(e.e_min_mev > 0.0 && e.e_max_mev > e.e_min_mev && e.e_max_mev.is_finite()) {
            return bad(format!(
                "energy range {} .. {} MeV is not 0 < min < max",
                e.e_min_mev, e.e_max_mev
            ));
        }
        if !(self.fraction_scale > 0.0 && self.fraction_scale.is_finite()) {
            return bad(format!(
                "fraction_scale = {} must be > 0",
                self.fraction_scale
            ));
        }
        Ok(())
    }
}

fn linear(out: &mut Vec<(String, Vec<usize>)>, name: &str, n_in: usize, n_out: usize) {
    out.push((format!("{name}.weight"), vec![n_out, n_in]));
    out.push((format!("{name}.bias"), vec![n_out]));
}

fn conv(out: &mut Vec<(String, Vec<usize>)>, name: &str, rank: usize, c_in: usize, c_out: usize) {
    let mut w = vec![c_out, c_in];
    w.extend(std::iter::repeat_n(3, rank));
    out.push((format!("{name}.weight"), w));
    out.push((format!("{name}.bias"), vec![c_out]));
}

fn unit(
    out: &mut Vec<(String, Vec<usize>)>,
    name: &str,
    rank: usize,
    c_in: usize,
    c_out: usize,
    emb: usize,
) {
    conv(out, &format!("{name}.conv"), rank, c_in, c_out);
    linear(out, &format!("{name}.emb"), emb, c_out);
}

fn attention(out: &mut Vec<(String, Vec<usize>)>, name: &str, c: usize) {
    linear(out, &format!("{name}.qkv"), c, 3 * c);
    linear(out, &format!("{name}.proj"), c, c);
}

/// Every trainable tensor of both networks, in a fixed order, with its shape: the contract the
/// exporter and the loader both test against. `n_layers` is the geometry's layer count; `grid`
/// the voxel network's grid ([`Grid::of`]).
pub fn parameter_shapes(
    cfg: &Cs2Config,
    n_layers: usize,
    grid: &Grid,
) -> Vec<(String, Vec<usize>)> {
    let mut out = Vec::new();
    let t = cfg.time_embedding;
    // Layer-energy network.
    let l = &cfg.layer_net;
    linear(&mut out, "layer.cond.0", t + 1, l.embedding);
    linear(&mut out, "layer.cond.1", l.embedding, l.embedding);
    linear(&mut out, "layer.in", n_layers, l.hidden);
    for k in 0..l.blocks {
        linear(&mut out, &format!("layer.block.{k}.a"), l.hidden, l.hidden);
        linear(
            &mut out,
            &format!("layer.block.{k}.emb"),
            l.embedding,
            l.hidden,
        );
        linear(&mut out, &format!("layer.block.{k}.b"), l.hidden, l.hidden);
    }
    linear(&mut out, "layer.out", l.hidden, n_layers);
    // Voxel network.
    let v = &cfg.voxel_net;
    let (e, rank, c) = (v.embedding, grid.dims.len(), &v.channels);
    let all_low = v.attention == Attention::AllLow;
    linear(&mut out, "voxel.cond.0", t + 1 + n_layers, e);
    linear(&mut out, "voxel.cond.1", e, e);
    for i in 0..c.len() {
        let c_in = if i == 0 { 1 } else { c[i - 1] };
        unit(&mut out, &format!("voxel.down.{i}.a"), rank, c_in, c[i], e);
        if all_low && i >= 1 {
            attention(&mut out, &format!("voxel.down.{i}.attn"), c[i]);
        }
        unit(&mut out, &format!("voxel.down.{i}.b"), rank, c[i], c[i], e);
    }
    let last = *c.last().expect("checked: at least one level");
    unit(&mut out, "voxel.mid.a", rank, last, last, e);
    attention(&mut out, "voxel.mid.attn", last);
    unit(&mut out, "voxel.mid.b", rank, last, last, e);
    for i in (0..c.len()).rev() {
        let below = if i + 1 == c.len() { last } else { c[i + 1] };
        unit(
            &mut out,
            &format!("voxel.up.{i}"),
            rank,
            below + c[i],
            c[i],
            e,
        );
        if all_low && i >= 1 {
            attention(&mut out, &format!("voxel.up.{i}.attn"), c[i]);
        }
    }
    conv(&mut out, "voxel.out", rank, c[0], 1);
    out
}

/// Parameters of the layer network and of the voxel network.
pub fn parameter_counts(cfg: &Cs2Config, n_layers: usize, grid: &Grid) -> (u64, u64) {
    let mut counts = (0u64, 0u64);
    for (name, shape) in parameter_shapes(cfg, n_layers, grid) {
        let n = shape.iter().product::<usize>() as u64;
        if name.starts_with("layer.") {
            counts.0 += n;
        } else {
            counts.1 += n;
        }
    }
    counts
}

/// The paper's sizes for datasets 2 and 3 (U-Net 32/64/96, residual MLP 3 × 1024), for the
/// parameter count beside ours.
pub fn paper_config_ds23() -> Cs2Config {
    Cs2Config {
        layer_net: LayerNetConfig {
            hidden: 1024,
            blocks: 3,
            embedding: 128,
        },
        voxel_net: VoxelNetConfig {
            channels: vec![32, 64, 96],
            embedding: 128,
            heads: 4,
            attention: Attention::Lowest,
        },
        ..Cs2Config::default()
    }
}

/// The paper's sizes for dataset 1 (1-D U-Net 16/32/64/96 with attention at every lower
/// resolution, residual MLP 3 × 128).
pub fn paper_config_ds1(geometry: &str) -> Cs2Config {
    Cs2Config {
        geometry: geometry.into(),
        layer_net: LayerNetConfig {
            hidden: 128,
            blocks: 3,
            embedding: 64,
        },
        voxel_net: VoxelNetConfig {
            channels: vec![16, 32, 64, 96],
            embedding: 64,
            heads: 4,
            attention: Attention::AllLow,
        },
        ..Cs2Config::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid_ds2() -> Grid {
        Grid {
            dims: vec![45, 16, 9],
            circular: vec![false, true, false],
        }
    }

    #[test]
    fn grid_halves_by_ceiling() {
        let g = grid_ds2().halved().halved().halved();
        assert_eq!(g.dims, vec![6, 2, 2]);
    }

    #[test]
    fn shapes_are_unique_and_follow_the_unet_channels() {
        let cfg = Cs2Config::default();
        let shapes = parameter_shapes(&cfg, 45, &grid_ds2());
        let mut names: Vec<_> = shapes.iter().map(|(n, _)| n.clone()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), shapes.len());
        let get = |n: &str| shapes.iter().find(|(k, _)| k == n).unwrap().1.clone();
        assert_eq!(get("voxel.down.0.a.conv.weight"), vec![8, 1, 3, 3, 3]);
        assert_eq!(get("voxel.up.2.conv.weight"), vec![24, 48, 3, 3, 3]);
        assert_eq!(get("voxel.up.0.conv.weight"), vec![8, 24, 3, 3, 3]);
        assert_eq!(get("voxel.cond.0.weight"), vec![64, 32 + 1 + 45]);
        assert_eq!(get("layer.out.weight"), vec![45, 256]);
        assert_eq!(get("voxel.mid.attn.qkv.weight"), vec![72, 24]);
    }

    #[test]
    fn config_refuses_sizes_from_a_bad_file() {
        let mut c = Cs2Config::default();
        c.voxel_net.channels = vec![8, 1 << 20];
        assert!(c.check("x").is_err());
        let c = Cs2Config {
            voxel_steps: 1 << 40,
            ..Cs2Config::default()
        };
        assert!(c.check("x").is_err());
        let mut c = Cs2Config::default();
        c.voxel_net.heads = 3;
        assert!(c.check("x").is_err());
        assert!(Cs2Config::default().check("x").is_ok());
    }
}
