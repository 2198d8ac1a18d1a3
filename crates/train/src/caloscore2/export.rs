//! The model folder of the contract (`calogen_models::caloscore2::config`): `family.json` and
//! `caloscore2.safetensors` with every tensor of `parameter_shapes` under its contract name and
//! shape (PyTorch layouts), the `pre.*` preprocessing tensors and the config JSON as metadata.
//!
//! burn's module paths are the contract names except `layer.input` (`layer.in`: a Rust keyword),
//! and dataset 1's convolution kernels, held as `[out, in, 3, 1, 1]`, are written `[out, in, 3]`.

use super::data::Preprocessing;
use super::model::{Cs2Nets, LayerNet, VoxelNet};
use crate::engine::params;
use crate::engine::st::StFile;
use crate::engine::{Result, TrainError};
use burn::module::Module;
use burn::tensor::Device;
use calogen_models::caloscore2::config::{
    parameter_shapes, Cs2Config, Grid, CONFIG_KEY, WEIGHTS_FILE,
};
use calogen_models::caloscore2::preprocess::FeatureScaler;
use std::collections::HashMap;
use std::path::Path;

pub const FAMILY_FILE: &str = "family.json";

/// A module path (under `layer.` or `voxel.`) as its contract name.
pub fn contract_name(path: &str) -> String {
    match path.strip_prefix("layer.input.") {
        Some(rest) => format!("layer.in.{rest}"),
        None => path.to_string(),
    }
}

/// (contract name, contract shape, values).
pub type NamedTensor = (String, Vec<usize>, Vec<f32>);

/// Every parameter of both networks as (contract name, contract shape, values).
pub fn contract_tensors(
    nets_layer: &LayerNet,
    nets_voxel: &VoxelNet,
    cfg: &Cs2Config,
    n_layers: usize,
    grid: &Grid,
) -> Result<Vec<NamedTensor>> {
    let want: HashMap<String, Vec<usize>> =
        parameter_shapes(cfg, n_layers, grid).into_iter().collect();
    let mut out = Vec::new();
    for (prefix, ps) in [
        ("layer", params::collect(nets_layer)),
        ("voxel", params::collect(nets_voxel)),
    ] {
        for p in ps {
            let name = contract_name(&format!("{prefix}.{}", p.path));
            let shape = want.get(&name).ok_or_else(|| {
                TrainError::Config(format!(
                    "tensor `{name}` is not in the CaloScore v2 contract"
                ))
            })?;
            if shape.iter().product::<usize>() != p.values.len() {
                return Err(TrainError::Config(format!(
                    "tensor `{name}`: {:?} has {} values, the contract's {shape:?} {}",
                    p.shape,
                    p.values.len(),
                    shape.iter().product::<usize>()
                )));
            }
            out.push((name, shape.clone(), p.values));
        }
    }
    Ok(out)
}

/// Writes the model folder `dir` (created if needed).
pub fn save_model(
    dir: &Path,
    layer: &LayerNet,
    voxel: &VoxelNet,
    cfg: &Cs2Config,
    pre: &Preprocessing,
    grid: &Grid,
) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let n_layers = pre.layer.mean.len();
    let mut f = StFile::default();
    for (name, shape, values) in contract_tensors(layer, voxel, cfg, n_layers, grid)? {
        f.put_f32(&name, shape, &values);
    }
    let v32 = |v: &[f64]| v.iter().map(|&x| x as f32).collect::<Vec<f32>>();
    for (name, v) in [
        ("pre.layer_mean", &pre.layer.mean),
        ("pre.layer_std", &pre.layer.std),
        ("pre.voxel_mean", &pre.voxel.mean),
        ("pre.voxel_std", &pre.voxel.std),
    ] {
        f.put_f32(name, vec![v.len()], &v32(v));
    }
    f.metadata.insert(
        CONFIG_KEY.into(),
        serde_json::to_string(cfg).expect("config serialises"),
    );
    f.save(&dir.join(WEIGHTS_FILE))?;
    calogen_data::atomic::write(dir.join(FAMILY_FILE), "{\"family\": \"caloscore2\"}\n")?;
    Ok(())
}

/// A model folder read back into burn modules on `device`.
pub struct LoadedModel {
    pub cfg: Cs2Config,
    pub pre: Preprocessing,
    pub nets: Cs2Nets,
}

/// Reads a model folder written by [`save_model`] (or any file of the contract).
pub fn load_model(dir: &Path, grid: &Grid, device: &Device) -> Result<LoadedModel> {
    let path = dir.join(WEIGHTS_FILE);
    let f = StFile::load(&path)?;
    let bad = |m: String| TrainError::Checkpoint {
        path: path.display().to_string(),
        msg: m,
    };
    let json = f
        .metadata
        .get(CONFIG_KEY)
        .ok_or_else(|| bad(format!("metadata `{CONFIG_KEY}` missing")))?;
    let cfg =
        Cs2Config::from_json(json, &path.display().to_string()).map_err(|e| bad(e.to_string()))?;
    let vec64 = |name: &str| -> Result<Vec<f64>> {
        let (_, v) = f
            .f32(name)
            .ok_or_else(|| bad(format!("tensor `{name}` missing")))?;
        Ok(v.into_iter().map(f64::from).collect())
    };
    let pre = Preprocessing {
        layer: FeatureScaler {
            mean: vec64("pre.layer_mean")?,
            std: vec64("pre.layer_std")?,
        },
        voxel: FeatureScaler {
            mean: vec64("pre.voxel_mean")?,
            std: vec64("pre.voxel_std")?,
        },
    };
    let n_layers = pre.layer.mean.len();
    let mut rng = crate::engine::rng::stream(0, "init");
    let nets = Cs2Nets::new(&cfg, n_layers, grid, &mut rng, device);
    let by_path = |p: &str| {
        let (_, v) = f.f32(&contract_name(p))?;
        Some(v)
    };
    let nets = load_values(nets, &by_path).map_err(|m| bad(format!("tensors missing: {m:?}")))?;
    Ok(LoadedModel { cfg, pre, nets })
}

/// Fills every parameter of `m` with the values `by_path` gives for its module path (shapes may
/// differ by singleton axes: only the element count must match).
pub fn load_values<M: Module>(
    m: M,
    by_path: &dyn Fn(&str) -> Option<Vec<f32>>,
) -> std::result::Result<M, Vec<String>> {
    let shapes: HashMap<String, Vec<usize>> = params::collect(&m)
        .into_iter()
        .map(|p| (p.path, p.shape))
        .collect();
    let (m, missing) = params::load(m, &|p| {
        let v = by_path(p)?;
        let shape = shapes.get(p)?.clone();
        (v.len() == shape.iter().product::<usize>()).then_some((None, shape, v))
    });
    if missing.is_empty() {
        Ok(m)
    } else {
        Err(missing)
    }
}
