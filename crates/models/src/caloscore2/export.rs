//! Writing a CaloScore v2 model folder (config.rs, "Files"): `family.json` and
//! `caloscore2.safetensors` with every tensor and the config under the metadata key. Training
//! exports through its own writer (`calogen-train`); this one serves tests and tools, with seeded
//! random weights ([`random_tensors`]) where no trained model is needed.

use std::collections::HashMap;
use std::path::Path;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use safetensors::tensor::{Dtype, TensorView};

use super::config::{Cs2Config, CONFIG_KEY, WEIGHTS_FILE};
use super::model::{expected_tensors, voxelisation};
use crate::error::{Error, Result};
use crate::family::FAMILY_FILE;
use crate::tensor::{Tensor, TensorMap};

/// Writes `family.json` and the weights file into `dir` (created if missing), atomically each.
pub fn write_model(dir: &Path, cfg: &Cs2Config, tensors: &TensorMap) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let data_err = |e: calogen_data::DataError| Error::Invalid(e.to_string());
    let bytes: Vec<(String, Vec<usize>, Vec<u8>)> = tensors
        .iter()
        .map(|(n, t)| {
            (
                n.to_string(),
                t.shape.clone(),
                t.data.iter().flat_map(|v| v.to_le_bytes()).collect(),
            )
        })
        .collect();
    let views = bytes
        .iter()
        .map(|(n, shape, b)| {
            TensorView::new(Dtype::F32, shape.clone(), b)
                .map(|v| (n.clone(), v))
                .map_err(|e| Error::Invalid(format!("tensor '{n}': {e}")))
        })
        .collect::<Result<Vec<_>>>()?;
    let json =
        serde_json::to_string(cfg).map_err(|e| Error::Invalid(format!("config to JSON: {e}")))?;
    let meta = HashMap::from([(CONFIG_KEY.to_string(), json)]);
    let st = safetensors::tensor::serialize(views, Some(meta))
        .map_err(|e| Error::Invalid(format!("{WEIGHTS_FILE}: {e}")))?;
    calogen_data::atomic::write(dir.join(WEIGHTS_FILE), st).map_err(data_err)?;
    calogen_data::atomic::write(dir.join(FAMILY_FILE), br#"{"family": "caloscore2"}"#)
        .map_err(data_err)
}

/// Every tensor of a model of `cfg`, seeded: weights uniform in ±`scale`/√fan_in (PyTorch's
/// default initialisation for `scale` = 1), biases likewise, the standardisation means in ±1 and
/// stds in [0.5, 1.5].
pub fn random_tensors(cfg: &Cs2Config, seed: u64, scale: f32) -> Result<TensorMap> {
    let geometry = voxelisation(cfg, "random CaloScore v2 weights")?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut map = TensorMap::new(format!("random CaloScore v2 weights (seed {seed})"));
    let mut fan_in = 1usize;
    for (name, shape) in expected_tensors(cfg, &geometry) {
        let n: usize = shape.iter().product();
        let data: Vec<f32> = if name.ends_with(".weight") {
            fan_in = shape[1..].iter().product();
            let b = scale / (fan_in as f32).sqrt();
            (0..n).map(|_| rng.random_range(-b..b)).collect()
        } else if name.ends_with(".bias") {
            // The weight of the same layer comes just before its bias in the list.
            let b = scale / (fan_in as f32).sqrt();
            (0..n).map(|_| rng.random_range(-b..b)).collect()
        } else if name.ends_with("_std") {
            (0..n).map(|_| rng.random_range(0.5..1.5)).collect()
        } else {
            (0..n).map(|_| rng.random_range(-1.0..1.0)).collect()
        };
        map.insert(name, Tensor::new(shape, data)?);
    }
    Ok(map)
}
