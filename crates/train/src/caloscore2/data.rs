//! CaloChallenge voxel showers → CaloScore v2 features (paper "CaloScore v2", §IV): the layer
//! features (CaloFlow's fractions, logit, standardised) and the voxel features (each voxel over
//! its layer's energy, logit, standardised), with the scalers fitted on the training part only.
//!
//! Split: the last `eval_per_file` showers of every file are held back (default 500: with the
//! two par04 files, showers 1500..2000 of the first and 7000..7500 of the second).

use super::config::DataConfig;
use crate::engine::{Result, TrainError};
use calogen_data::{ShowerBatch, ShowerFile, ShowerFileOptions, VoxelShowers};
use calogen_geometry::{Geometry, Voxelisation};
use calogen_models::caloscore2::config::Cs2Config;
use calogen_models::caloscore2::preprocess::{
    encode_voxels, layer_fractions, logit, FeatureScaler,
};
use std::path::Path;

/// Below this a fitted feature std counts as zero (see `Cs2Data::from_showers`).

/// Showers as network features, one row per shower.
#[derive(Debug, Clone, Default)]
pub struct Features {
    /// `[n, n_layers]` standardised layer features.
    pub layer: Vec<f32>,
    /// `[n, n_voxels]` standardised voxel features.
    pub voxel: Vec<f32>,
    /// `[n]` EnergyCondition::encode(E_inc).
    pub energy: Vec<f32>,
}

impl Features {
    pub fn len(&self) -> usize {
        self.energy.len()
    }

    pub fn is_empty(&self) -> bool {
        self.energy.is_empty()
    }
}

#[derive(Debug, Clone)]
pub struct Preprocessing {
    pub layer: FeatureScaler,
    pub voxel: FeatureScaler,
}

/// The raw showers, split, with the fitted preprocessing and the features.
#[derive(Debug, Clone)]
pub struct Cs2Data {
    pub geometry: Voxelisation,
    pub train_raw: VoxelShowers,
    pub eval_raw: VoxelShowers,
    pub pre: Preprocessing,
    pub train: Features,
    pub eval: Features,
    /// Largest ΣE/E_inc of the training showers (must stay below `fraction_scale`).
    pub max_total_ratio: f64,
    pub threshold_mev: f64,
}

pub fn load_geometry(cfg: &Cs2Config) -> Result<Voxelisation> {
    match Geometry::load(&cfg.geometry) {
        Ok(Geometry::CaloChallenge(v)) => Ok(v),
        Ok(_) => Err(TrainError::Config(format!(
            "geometry `{}` is not a CaloChallenge voxelisation",
            cfg.geometry
        ))),
        Err(e) => Err(TrainError::Config(format!(
            "geometry `{}`: {e}",
            cfg.geometry
        ))),
    }
}

/// The layer of every voxel.
pub fn layer_of(g: &Voxelisation) -> Vec<usize> {
    let mut out = vec![0; g.n_voxels];
    for (l, layer) in g.layers.iter().enumerate() {
        out[layer.first_voxel..layer.first_voxel + layer.n_voxels()].fill(l);
    }
    out
}

fn read_voxels(path: &Path, n_voxels: usize) -> Result<VoxelShowers> {
    let f = ShowerFile::open(path, &ShowerFileOptions::default())?;
    match f.read(0..f.len())? {
        ShowerBatch::Voxels(v) if v.n_voxels == n_voxels => Ok(v),
        ShowerBatch::Voxels(v) => Err(TrainError::Config(format!(
            "{}: `showers` has {} voxels, the geometry {n_voxels}",
            path.display(),
            v.n_voxels
        ))),
        _ => Err(TrainError::Config(format!(
            "{}: not a CaloChallenge voxel file (`showers`, `incident_energies`)",
            path.display()
        ))),
    }
}

fn append(dst: &mut VoxelShowers, src: &VoxelShowers, range: std::ops::Range<usize>) {
    for i in range {
        dst.push(src.shower(i), src.incident_energy[i]);
    }
}

/// Reads every file and holds back the last `eval_per_file` showers of each.
pub fn split_files(
    files: &[&Path],
    n_voxels: usize,
    dc: &DataConfig,
) -> Result<(VoxelShowers, VoxelShowers)> {
    let mut train = VoxelShowers::new(n_voxels);
    let mut eval = VoxelShowers::new(n_voxels);
    for p in files {
        let v = read_voxels(p, n_voxels)?;
        if v.len() <= dc.eval_per_file {
            return Err(TrainError::Config(format!(
                "{}: {} showers, not more than the {} held back",
                p.display(),
                v.len(),
                dc.eval_per_file
            )));
        }
        let cut = v.len() - dc.eval_per_file;
        append(&mut train, &v, 0..cut);
        append(&mut eval, &v, cut..v.len());
    }
    Ok((train, eval))
}

/// Unstandardised features of one shower: layer features (logit fractions) and voxel features.
/// Voxels below `threshold` count as empty.
#[allow(clippy::too_many_arguments)]
fn raw_features(
    voxels: &[f32],
    e0: f64,
    threshold: f64,
    layer_of: &[usize],
    n_layers: usize,
    f: f64,
    layer: &mut Vec<f64>,
    voxel: &mut Vec<f64>,
) -> std::result::Result<f64, String> {
    let v: Vec<f64> = voxels
        .iter()
        .map(|&e| {
            if (e as f64) < threshold {
                0.0
            } else {
                e as f64
            }
        })
        .collect();
    let mut el = vec![0.0; n_layers];
    for (e, &l) in v.iter().zip(layer_of) {
        el[l] += e;
    }
    let mut u = Vec::new();
    layer_fractions(&el, e0, f, &mut u).map_err(|e| e.to_string())?;
    layer.clear();
    layer.extend(u.iter().map(|&x| logit(x)));
    encode_voxels(&v, layer_of, &el, voxel);
    Ok(el.iter().sum::<f64>() / e0)
}

impl Cs2Data {
    /// Reads `files`, splits, fits the scalers on the training showers and builds both feature
    /// sets.
    /// `pre`: a model's stored preprocessing (distillation), else fitted here.
    pub fn open(
        files: &[&Path],
        cfg: &Cs2Config,
        dc: &DataConfig,
        pre: Option<Preprocessing>,
    ) -> Result<Self> {
        let geometry = load_geometry(cfg)?;
        let (train_raw, eval_raw) = split_files(files, geometry.n_voxels, dc)?;
        Self::from_showers(geometry, train_raw, eval_raw, cfg, dc, pre)
    }

    pub fn from_showers(
        geometry: Voxelisation,
        train_raw: VoxelShowers,
        eval_raw: VoxelShowers,
        cfg: &Cs2Config,
        dc: &DataConfig,
        pre: Option<Preprocessing>,
    ) -> Result<Self> {
        let threshold = dc.threshold_mev.unwrap_or(geometry.threshold_mev);
        let lo = layer_of(&geometry);
        let nl = geometry.layers.len();
        let f = cfg.fraction_scale;
        let mut max_ratio = 0f64;
        let raw = |set: &VoxelShowers, max_ratio: &mut f64| -> Result<(Vec<f64>, Vec<f64>)> {
            let (mut lr, mut vr) = (Vec::new(), Vec::new());
            let (mut l, mut v) = (Vec::new(), Vec::new());
            for i in 0..set.len() {
                let e0 = set.incident_energy[i] as f64;
                let r = raw_features(set.shower(i), e0, threshold, &lo, nl, f, &mut l, &mut v)
                    .map_err(|m| TrainError::Config(format!("shower {i}: {m}")))?;
                *max_ratio = max_ratio.max(r);
                lr.extend(&l);
                vr.extend(&v);
            }
            Ok((lr, vr))
        };
        let (tl, tv) = raw(&train_raw, &mut max_ratio)?;
        if max_ratio > f {
            return Err(TrainError::Config(format!(
                "a training shower deposits {max_ratio:.3} × E_inc, above fraction_scale = {f}"
            )));
        }
        let fit = |rows: &[f64], n: usize| {
            // Never-hit voxels (a std of float rounding) get std 1: `FeatureScaler::fit`.
            let s = FeatureScaler::fit(rows, n).map_err(|e| TrainError::Config(e.to_string()))?;
            Ok::<_, TrainError>(s)
        };
        let pre = match pre {
            Some(p) if p.layer.mean.len() == nl && p.voxel.mean.len() == geometry.n_voxels => p,
            Some(_) => {
                return Err(TrainError::Config(format!(
                    "the model's preprocessing does not fit geometry `{}`",
                    cfg.geometry
                )))
            }
            None => Preprocessing {
                layer: fit(&tl, nl)?,
                voxel: fit(&tv, geometry.n_voxels)?,
            },
        };
        let (el, ev) = raw(&eval_raw, &mut 0.0)?;
        let feats = |l: Vec<f64>, v: Vec<f64>, set: &VoxelShowers| Features {
            layer: standardise(l, &pre.layer),
            voxel: standardise(v, &pre.voxel),
            energy: set
                .incident_energy
                .iter()
                .map(|&e| cfg.energy.encode(e as f64) as f32)
                .collect(),
        };
        let train = feats(tl, tv, &train_raw);
        let eval = feats(el, ev, &eval_raw);
        Ok(Self {
            geometry,
            train_raw,
            eval_raw,
            pre,
            train,
            eval,
            max_total_ratio: max_ratio,
            threshold_mev: threshold,
        })
    }
}

fn standardise(mut rows: Vec<f64>, s: &FeatureScaler) -> Vec<f32> {
    let n = s.mean.len();
    for r in rows.chunks_exact_mut(n) {
        s.forward(r);
    }
    rows.into_iter().map(|x| x as f32).collect()
}
