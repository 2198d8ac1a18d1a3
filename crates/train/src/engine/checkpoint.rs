//! Training checkpoints in one safetensors file:
//!
//! | tensor | content |
//! |---|---|
//! | `model.<path>` | online weights, f32 |
//! | `ema.<path>` | EMA weights, f32 (the sampling weights) |
//! | `optimizer.burnpack` | u8: burn's Adam state (moments, step counts) in burn's own burnpack format |
//!
//! Metadata: `format`, `step`, `rng` (ChaCha8 seed:stream:word position), `param_ids`
//! (`path=id;…`: Adam's state is keyed by parameter id, so a resumed model gets the same ids),
//! plus any caller entries (config, normalisation).

use super::params::{self, NamedParam};
use super::st::StFile;
use super::{Result, RngState, TrainError};
use burn::module::{Module, ParamId};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

pub const FORMAT: &str = "calogen-train-checkpoint/1";

/// What a checkpoint holds besides the modules.
#[derive(Debug, Clone)]
pub struct Checkpoint {
    pub step: u64,
    pub rng: RngState,
    pub optimizer: Vec<u8>,
    pub extra: BTreeMap<String, String>,
}

fn put_params(f: &mut StFile, prefix: &str, ps: &[NamedParam]) {
    for p in ps {
        f.put_f32(&format!("{prefix}.{}", p.path), p.shape.clone(), &p.values);
    }
}

fn bad(path: &Path, msg: impl Into<String>) -> TrainError {
    TrainError::Checkpoint {
        path: path.display().to_string(),
        msg: msg.into(),
    }
}

impl Checkpoint {
    pub fn save<M: Module, E: Module>(&self, path: &Path, model: &M, ema: &E) -> Result<()> {
        let mut f = StFile::default();
        let online = params::collect(model);
        put_params(&mut f, "model", &online);
        put_params(&mut f, "ema", &params::collect(ema));
        f.put_bytes("optimizer.burnpack", self.optimizer.clone());
        f.metadata = self.extra.clone();
        f.metadata.insert("format".into(), FORMAT.into());
        f.metadata.insert("step".into(), self.step.to_string());
        f.metadata.insert("rng".into(), self.rng.encode());
        let ids: Vec<String> = online
            .iter()
            .map(|p| format!("{}={}", p.path, p.id.val()))
            .collect();
        f.metadata.insert("param_ids".into(), ids.join(";"));
        f.save(path)
    }

    /// Loads a checkpoint into freshly built `model` and `ema` (same architecture); the model gets
    /// the saved parameter ids so the optimizer state applies to it.
    pub fn load<M: Module, E: Module>(path: &Path, model: M, ema: E) -> Result<(Self, M, E)> {
        let f = StFile::load(path)?;
        if f.metadata.get("format").map(String::as_str) != Some(FORMAT) {
            return Err(bad(path, format!("not a {FORMAT} file")));
        }
        let meta = |k: &str| {
            f.metadata
                .get(k)
                .ok_or_else(|| bad(path, format!("metadata `{k}` missing")))
        };
        let step = meta("step")?.parse().map_err(|_| bad(path, "bad `step`"))?;
        let rng = RngState::decode(meta("rng")?).ok_or_else(|| bad(path, "bad `rng`"))?;
        let ids: HashMap<String, u64> = meta("param_ids")?
            .split(';')
            .filter_map(|kv| {
                let (k, v) = kv.rsplit_once('=')?;
                Some((k.to_string(), v.parse().ok()?))
            })
            .collect();
        let (model, missing) = params::load(model, &|p| {
            let (s, v) = f.f32(&format!("model.{p}"))?;
            Some((ids.get(p).map(|&i| ParamId::from(i)), s, v))
        });
        if !missing.is_empty() {
            return Err(bad(path, format!("model tensors missing: {missing:?}")));
        }
        let (ema, missing) = params::load(ema, &|p| {
            let (s, v) = f.f32(&format!("ema.{p}"))?;
            Some((None, s, v))
        });
        if !missing.is_empty() {
            return Err(bad(path, format!("EMA tensors missing: {missing:?}")));
        }
        let optimizer = f
            .bytes("optimizer.burnpack")
            .ok_or_else(|| bad(path, "`optimizer.burnpack` missing"))?
            .to_vec();
        let mut extra = f.metadata.clone();
        for k in ["format", "step", "rng", "param_ids"] {
            extra.remove(k);
        }
        Ok((
            Self {
                step,
                rng,
                optimizer,
                extra,
            },
            model,
            ema,
        ))
    }
}

/// Writes inference weights: tensor names are the module paths (`layers.0.layer.weight`, …),
/// f32, PyTorch `[out, in]` layout; `metadata` documents config and normalisation.
pub fn save_weights<M: Module>(
    path: &Path,
    module: &M,
    metadata: BTreeMap<String, String>,
) -> Result<()> {
    let mut f = StFile::default();
    for p in params::collect(module) {
        f.put_f32(&p.path, p.shape.clone(), &p.values);
    }
    f.metadata = metadata;
    f.save(path)
}

/// Loads weights written by [`save_weights`] into a freshly built module.
pub fn load_weights<M: Module>(path: &Path, module: M) -> Result<(M, BTreeMap<String, String>)> {
    let f = StFile::load(path)?;
    let (m, missing) = params::load(module, &|p| {
        let (s, v) = f.f32(p)?;
        Some((None, s, v))
    });
    if !missing.is_empty() {
        return Err(bad(path, format!("tensors missing: {missing:?}")));
    }
    Ok((m, f.metadata))
}
