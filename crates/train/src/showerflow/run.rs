//! A whole ShowerFlow training run: features, resumable loop, held-out likelihood, exported EMA
//! weights with the feature normalisation in the metadata.

use super::training::{prepare, FeatureNormalisation, FlowTask};
use super::{FlowConfig, ShowerFlow};
use crate::data::ShowerSet;
use crate::engine::checkpoint::{load_weights, save_weights};
use crate::engine::rng::stream;
use crate::engine::st::ExportMeta;
use crate::engine::{LossHistory, Result, TrainError, Trainer};
use crate::{infer_device, train_device};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub struct RunSummary {
    pub steps: u64,
    pub history: LossHistory,
    /// Held-out NLL per feature (nats) of the EMA weights, at start and end of this invocation.
    pub eval_before: f64,
    pub eval_after: f64,
    pub weights: PathBuf,
}

pub fn train(cfg: &FlowConfig, data: &Path, out_dir: &Path) -> Result<RunSummary> {
    std::fs::create_dir_all(out_dir)?;
    let set = ShowerSet::open(data, crate::data::showers::N_EVAL)?;
    if cfg.direction && set.train.direction.is_none() {
        return Err(TrainError::Config(format!(
            "{}: `p_norm_local`: direction = true needs showers with incident directions",
            data.display()
        )));
    }
    let (train, norm) = prepare(&set.train, set.n_layers, None, cfg.direction);
    let (eval, _) = prepare(&set.eval, set.n_layers, Some(&norm), cfg.direction);
    let device = train_device();
    let ckpt = out_dir.join("showerflow_checkpoint.safetensors");
    let dim = train.dim;
    let mut t = Trainer::resume_or_new(
        cfg.trainer.clone(),
        |r| ShowerFlow::new(cfg, dim, cfg.cond_dim(), true, r, &device),
        &ckpt,
    )?;
    let meta = BTreeMap::from([
        ("model".to_string(), "caloclouds2-showerflow".to_string()),
        ("config".to_string(), cfg.to_toml()),
        ("normalisation".to_string(), norm_toml(&norm)),
        ("layout".to_string(), layout(&t.model)),
        (
            "inference".to_string(),
            inference_json(cfg, &norm, &t.model),
        ),
    ]);
    t.extra = meta.clone();
    let rows: Vec<usize> = (0..eval.n).collect();
    let eval_nll = |m: &ShowerFlow| eval.nll(m, &rows, &infer_device()).into_scalar::<f64>();
    let eval_before = eval_nll(&t.ema.model);
    let task = FlowTask {
        data: &train,
        batch: cfg.batch,
        noise: cfg.noise,
        totals_noise: cfg.totals_noise.unwrap_or(cfg.noise),
        device: device.clone(),
    };
    // Early stopping on the held-out showers: the exported weights are the EMA with the lowest
    // held-out NLL seen at any checkpoint (its value is kept in the file, so resuming continues
    // the comparison).
    let weights = out_dir.join("showerflow_ema.safetensors");
    let mut best = crate::engine::st::StFile::load(&weights)
        .ok()
        .and_then(|f| f.metadata.get("heldout_nll")?.parse::<f64>().ok())
        .unwrap_or(f64::INFINITY);
    let every = cfg.trainer.checkpoint_every.max(1);
    loop {
        let stop = (t.step / every + 1) * every;
        t.run(&task, Some(&ckpt), stop)?;
        let nll = eval_nll(&t.ema.model);
        eprintln!("step {}: held-out NLL per feature {nll:.4}", t.step);
        if nll < best {
            best = nll;
            let mut m = meta.clone();
            m.insert("heldout_nll".into(), nll.to_string());
            m.insert("step".into(), t.step.to_string());
            save_weights(&weights, &t.ema.model, m)?;
        }
        if t.step >= cfg.trainer.steps {
            break;
        }
    }
    let eval_after = best;
    Ok(RunSummary {
        steps: t.step,
        history: t.history.clone(),
        eval_before,
        eval_after,
        weights,
    })
}

/// TOML of the normalisation vectors (metadata values must be strings).
fn norm_toml(norm: &FeatureNormalisation) -> String {
    toml::to_string(norm).expect("serialises")
}

/// Per coupling: kind and the random feature order (first half = identity part).
pub fn layout(flow: &ShowerFlow) -> String {
    flow.couplings
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{i}:{:?}:{:?}", c.kind, c.perm))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Loads exported ShowerFlow weights: the flow (rebuilt from the config's seed, so the random
/// splits are those of training; checked against the `layout` metadata), the feature
/// normalisation and the config.
pub fn load(path: &Path) -> Result<(ShowerFlow, FeatureNormalisation, FlowConfig)> {
    let meta = ExportMeta::load(path)?;
    let cfg = FlowConfig::from_toml(meta.get("config")?)?;
    let norm: FeatureNormalisation = meta.toml("normalisation")?;
    let device = infer_device();
    let flow = ShowerFlow::new(
        &cfg,
        norm.mean.len(),
        cfg.cond_dim(),
        true,
        &mut stream(cfg.trainer.seed, "init"),
        &device,
    );
    if layout(&flow) != meta.get("layout")? {
        return Err(meta.bad("coupling layout differs from the config's seed"));
    }
    let (flow, _) = load_weights(path, flow)?;
    Ok((flow, norm, cfg))
}

/// What the plain-Rust flow in `calogen-models` needs, as JSON: sizes, per-coupling kind and
/// feature order, and the feature normalisation.
pub fn inference_json(cfg: &FlowConfig, norm: &FeatureNormalisation, flow: &ShowerFlow) -> String {
    let couplings: Vec<_> = flow
        .couplings
        .iter()
        .map(
            |c| serde_json::json!({"kind": format!("{:?}", c.kind).to_lowercase(), "perm": c.perm}),
        )
        .collect();
    serde_json::json!({
        "dim": norm.mean.len(),
        "hidden": cfg.hidden,
        "bins": cfg.bins,
        "tail_bound": cfg.tail_bound,
        "scale_bound": cfg.scale_bound,
        "energy_scale_mev": super::training::ENERGY_SCALE_MEV,
        "cond_dim": cfg.cond_dim(),
        "couplings": couplings,
        "mean": norm.mean,
        "std": norm.std,
    })
    .to_string()
}

/// Rewrites exported flow weights with the current metadata (keeps `heldout_nll` and `step`).
pub fn reexport(src: &Path, dst: &Path) -> Result<()> {
    let old = crate::engine::st::StFile::load(src)?.metadata;
    let (flow, norm, cfg) = load(src)?;
    let mut m = old.clone();
    m.insert("config".into(), cfg.to_toml());
    m.insert("layout".into(), layout(&flow));
    m.insert("inference".into(), inference_json(&cfg, &norm, &flow));
    save_weights(dst, &flow, m)
}
