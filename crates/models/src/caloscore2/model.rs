//! A CaloScore v2 model as loaded from its folder (config.rs, "Files"): the config from the
//! safetensors metadata, the geometry it names, both networks and the preprocessing tensors, every
//! tensor checked against `parameter_shapes` (a missing, misshapen or unexpected tensor is an
//! error naming the file and the tensor).

use std::collections::BTreeSet;
use std::path::Path;

use calogen_geometry::{Geometry, Voxelisation};

use super::config::{
    parameter_shapes, Cs2Config, Grid, CONFIG_KEY, PREPROCESS_TENSORS, WEIGHTS_FILE,
};
use super::layer_net::LayerNet;
use super::unet::VoxelNet;
use crate::error::{Error, Result};
use crate::io::safetensors::{meta_entry, read_metadata, read_safetensors};
use crate::tensor::TensorMap;

/// The standardisation of both feature sets (`pre.*`), f64 as `preprocess::FeatureScaler`.
#[derive(Debug, Clone)]
pub struct Standardisation {
    pub layer_mean: Vec<f64>,
    pub layer_std: Vec<f64>,
    pub voxel_mean: Vec<f64>,
    pub voxel_std: Vec<f64>,
}

#[derive(Debug, Clone)]
pub struct Cs2Model {
    pub config: Cs2Config,
    pub geometry: Voxelisation,
    pub grid: Grid,
    /// The layer of every voxel (CaloChallenge order).
    pub layer_of: Vec<usize>,
    pub layer_net: LayerNet,
    pub voxel_net: VoxelNet,
    pub pre: Standardisation,
}

/// The CaloChallenge voxelisation a config names.
pub fn voxelisation(cfg: &Cs2Config, source: &str) -> Result<Voxelisation> {
    match Geometry::load(&cfg.geometry) {
        Ok(Geometry::CaloChallenge(v)) => Ok(v),
        Ok(_) => Err(Error::format(
            source,
            format!(
                "geometry `{}` is not a CaloChallenge voxelisation",
                cfg.geometry
            ),
        )),
        Err(e) => Err(Error::format(
            source,
            format!("geometry `{}`: {e}", cfg.geometry),
        )),
    }
}

/// Every tensor name and shape a model of `cfg` on `geometry` holds: the networks' then `pre.*`.
pub fn expected_tensors(cfg: &Cs2Config, geometry: &Voxelisation) -> Vec<(String, Vec<usize>)> {
    let (n_layers, grid) = (geometry.n_layers(), Grid::of(geometry));
    let mut all = parameter_shapes(cfg, n_layers, &grid);
    for (name, n) in
        PREPROCESS_TENSORS
            .iter()
            .zip([n_layers, n_layers, grid.n_voxels(), grid.n_voxels()])
    {
        all.push((name.to_string(), vec![n]));
    }
    all
}

impl Cs2Model {
    /// `dir`/caloscore2.safetensors.
    pub fn from_dir(dir: &Path) -> Result<Self> {
        let path = dir.join(WEIGHTS_FILE);
        let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
        Self::from_bytes(&bytes, &path.display().to_string())
    }

    /// From the bytes of a weights file; `source` names it in errors.
    pub fn from_bytes(bytes: &[u8], source: &str) -> Result<Self> {
        let meta = read_metadata(bytes, source)?;
        let config = Cs2Config::from_json(meta_entry(&meta, CONFIG_KEY, source)?, source)?;
        let tensors = read_safetensors(bytes, source)?;
        Self::from_tensors(config, &tensors)
    }

    pub fn from_tensors(config: Cs2Config, tensors: &TensorMap) -> Result<Self> {
        let source = tensors.source();
        let geometry = voxelisation(&config, source)?;
        let expected = expected_tensors(&config, &geometry);
        for (name, shape) in &expected {
            tensors.get(name, shape)?;
        }
        let known: BTreeSet<&str> = expected.iter().map(|(n, _)| n.as_str()).collect();
        if let Some(extra) = tensors.names().find(|n| !known.contains(n)) {
            return Err(Error::format(
                source,
                format!("tensor '{extra}' is not part of a CaloScore v2 model of this config"),
            ));
        }
        let n_layers = geometry.n_layers();
        let grid = Grid::of(&geometry);
        let layer_of = geometry
            .layers
            .iter()
            .enumerate()
            .flat_map(|(l, layer)| std::iter::repeat_n(l, layer.n_voxels()))
            .collect();
        let f64s = |name: &str, n: usize| -> Result<Vec<f64>> {
            Ok(tensors
                .get(name, &[n])?
                .data
                .iter()
                .map(|&v| v as f64)
                .collect())
        };
        let pre = Standardisation {
            layer_mean: f64s("pre.layer_mean", n_layers)?,
            layer_std: f64s("pre.layer_std", n_layers)?,
            voxel_mean: f64s("pre.voxel_mean", grid.n_voxels())?,
            voxel_std: f64s("pre.voxel_std", grid.n_voxels())?,
        };
        for (name, v) in [
            ("pre.layer_mean", &pre.layer_mean),
            ("pre.layer_std", &pre.layer_std),
            ("pre.voxel_mean", &pre.voxel_mean),
            ("pre.voxel_std", &pre.voxel_std),
        ] {
            if let Some(i) = v
                .iter()
                .position(|x| !x.is_finite() || (name.ends_with("std") && *x <= 0.0))
            {
                return Err(Error::format(
                    source,
                    format!(
                        "tensor '{name}' entry {i} is {} (finite, and > 0 for a std)",
                        v[i]
                    ),
                ));
            }
        }
        Ok(Self {
            layer_net: LayerNet::from_map(tensors, &config, n_layers)?,
            voxel_net: VoxelNet::from_map(tensors, &config, n_layers, &grid)?,
            config,
            geometry,
            grid,
            layer_of,
            pre,
        })
    }

    pub fn n_layers(&self) -> usize {
        self.geometry.n_layers()
    }

    pub fn n_voxels(&self) -> usize {
        self.grid.n_voxels()
    }
}
