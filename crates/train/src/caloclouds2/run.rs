//! A whole PointWise Net training run: data, normalisation, resumable loop, evaluation on the
//! held-out showers, and the exported EMA weights. This is what `calogen train` should call.

use super::distil::{DistilConfig, DistilTask};
use super::training::{draw_batch, edm_loss, EdmTask};
use super::{Cc2Config, PointWiseNet};
use crate::data::{PointNormalisation, ShowerSet};
use crate::engine::checkpoint::save_weights;
use crate::engine::rng::{normal, normals, stream};
use crate::engine::st::ExportMeta;
use crate::engine::{LossHistory, Result, TrainError, Trainer};
use crate::{infer_device, train_device};
use burn::module::Module;
use calogen_data::PointClouds;
use calogen_geometry::Geometry;
use calogen_models::caloclouds3::{Cc3Config, PointNorm, CONFIG_FILE};
use calogen_models::postprocess::TiltShift;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub struct RunSummary {
    pub steps: u64,
    pub history: LossHistory,
    /// Held-out EDM loss of the EMA weights (fixed noise), at start and end of this invocation.
    pub eval_before: f64,
    pub eval_after: f64,
    pub weights: PathBuf,
}

/// Held-out loss with a fixed stream, so values are comparable across a run.
pub fn eval_loss(
    model: &PointWiseNet,
    showers: &PointClouds,
    norm: &PointNormalisation,
    cfg: &Cc2Config,
    batches: usize,
) -> f64 {
    let mut rng = stream(cfg.trainer.seed, "eval");
    let device = infer_device();
    let (b, n) = (cfg.batch.showers, cfg.batch.points_per_shower);
    let e = &cfg.edm;
    let mut total = 0.0;
    for _ in 0..batches {
        let batch = draw_batch(showers, norm, &cfg.cond, b, n, &mut rng);
        let sigma: Vec<f64> = (0..b)
            .map(|_| (e.p_mean + e.p_std * normal(&mut rng) as f64).exp())
            .collect();
        let eps = normals(&mut rng, b * n * 4);
        total += edm_loss(model, &batch, &sigma, &eps, e.sigma_data, &device).into_scalar::<f64>();
    }
    total / batches as f64
}

pub fn metadata(
    cfg: &Cc2Config,
    norm: &PointNormalisation,
    n_layers: usize,
) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("model".into(), "caloclouds2-pointwise-net".into()),
        ("config".into(), cfg.to_toml()),
        (
            "normalisation".into(),
            toml::to_string(norm).expect("serialises"),
        ),
        ("n_layers".into(), n_layers.to_string()),
        ("inference".into(), inference_json(cfg, norm, n_layers)),
    ])
}

/// Everything the fused inference in `calogen-models` needs, as JSON (that crate reads no TOML).
pub fn inference_json(cfg: &Cc2Config, norm: &PointNormalisation, n_layers: usize) -> String {
    let st = |s: &crate::data::Standardiser| serde_json::json!({"mean": s.mean, "std": s.std});
    serde_json::json!({
        "features": cfg.net.features,
        "hidden": cfg.net.hidden,
        "time_dim": cfg.net.time_dim,
        "cond_dim": cfg.net.cond_dim,
        "sigma_data": cfg.edm.sigma_data,
        "sigma_min": cfg.edm.sigma_min,
        "sigma_max": cfg.edm.sigma_max,
        "rho": cfg.edm.rho,
        "steps": cfg.edm.steps,
        "energy_scale_mev": cfg.cond.energy_scale_mev,
        "points_scale": cfg.cond.points_scale,
        "n_layers": n_layers,
        "norm": {"x": st(&norm.x), "y": st(&norm.y), "z": st(&norm.z), "ln_e": st(&norm.ln_e)},
    })
    .to_string()
}

/// Rewrites exported weights with the current metadata (e.g. to add the `inference` entry to a
/// file written by an older build); `model` kind is kept.
pub fn reexport(src: &Path, dst: &Path) -> Result<()> {
    let (net, meta) = load(src, &infer_device())?;
    let mut m = metadata(&meta.cfg, &meta.norm, meta.n_layers);
    m.insert("model".into(), meta.model);
    save_weights(dst, &net, m)
}

/// The showers of `data` (last [`crate::data::showers::N_EVAL`] held out) with the config's
/// preprocessing: with `data.tilt_geometry` each layer moved back by the shower axis' drift.
pub fn open_set(cfg: &Cc2Config, data: &Path) -> Result<ShowerSet> {
    let mut set = ShowerSet::open(data, crate::data::showers::N_EVAL)?;
    let needs_direction = cfg.cond.direction || cfg.data.tilt_geometry.is_some();
    if needs_direction && set.train.direction.is_none() {
        return Err(TrainError::Config(format!(
            "{}: `p_norm_local`: cond.direction and data.tilt_geometry need showers with incident \
             directions",
            data.display()
        )));
    }
    if let Some(name) = &cfg.data.tilt_geometry {
        let bad = |msg: String| TrainError::Config(format!("data.tilt_geometry `{name}`: {msg}"));
        let tilt = match Geometry::load(name).map_err(|e| bad(e.to_string()))? {
            Geometry::Planar(g) => TiltShift::planar(&g).map_err(|e| bad(e.to_string()))?,
            _ => return Err(bad("not a planar geometry".into())),
        };
        if tilt.n_layers() < set.n_layers {
            return Err(bad(format!(
                "{} layers, {} has {}",
                tilt.n_layers(),
                data.display(),
                set.n_layers
            )));
        }
        for part in [&mut set.train, &mut set.eval] {
            tilt.remove_clouds(part)
                .map_err(|e| bad(format!("{}: {e}", data.display())))?;
        }
    }
    Ok(set)
}

/// Trains (or resumes) in `out_dir`: `checkpoint.safetensors` and, at the end,
/// `pointwise_net_ema.safetensors`.
pub fn train(cfg: &Cc2Config, data: &Path, out_dir: &Path) -> Result<RunSummary> {
    std::fs::create_dir_all(out_dir)?;
    let set = open_set(cfg, data)?;
    let norm = PointNormalisation::fit(&set.train);
    let device = train_device();
    let ckpt = out_dir.join("checkpoint.safetensors");
    let net = cfg.net.clone();
    let mut t = Trainer::resume_or_new(
        cfg.trainer.clone(),
        |r| PointWiseNet::new(&net, r, &device),
        &ckpt,
    )?;
    t.extra = metadata(cfg, &norm, set.n_layers);
    let eval_before = eval_loss(&t.ema.model, &set.eval, &norm, cfg, 4);
    let task = EdmTask {
        showers: &set.train,
        norm,
        cfg,
        device: device.clone(),
    };
    t.run(&task, Some(&ckpt), u64::MAX)?;
    let eval_after = eval_loss(&t.ema.model, &set.eval, &norm, cfg, 4);
    let weights = out_dir.join("pointwise_net_ema.safetensors");
    save_weights(&weights, &t.ema.model, metadata(cfg, &norm, set.n_layers))?;
    Ok(RunSummary {
        steps: t.step,
        history: t.history.clone(),
        eval_before,
        eval_after,
        weights,
    })
}

/// What an exported PointWise Net file holds besides the weights.
#[derive(Debug, Clone)]
pub struct NetMeta {
    pub cfg: Cc2Config,
    pub norm: PointNormalisation,
    pub n_layers: usize,
    /// `caloclouds2-pointwise-net` (EDM teacher) or `caloclouds2-consistency` (one step).
    pub model: String,
}

/// Loads exported PointWise Net weights (EDM or distilled) onto `device`.
pub fn load(path: &Path, device: &burn::tensor::Device) -> Result<(PointWiseNet, NetMeta)> {
    let meta = ExportMeta::load(path)?;
    let cfg = Cc2Config::from_toml(meta.get("config")?)?;
    let norm: PointNormalisation = meta.toml("normalisation")?;
    let n_layers = meta
        .get("n_layers")?
        .parse()
        .map_err(|e| meta.bad(format!("n_layers: {e}")))?;
    let model = meta.get("model")?.to_string();
    let net = PointWiseNet::new(&cfg.net, &mut stream(0, "init"), device);
    let (net, _) = crate::engine::checkpoint::load_weights(path, net)?;
    Ok((
        net,
        NetMeta {
            cfg,
            norm,
            n_layers,
            model,
        },
    ))
}

/// Held-out distillation loss (fixed stream) of `model` against the target `target`.
pub fn eval_distil_loss(task: &DistilTask, model: &PointWiseNet, target: &PointWiseNet) -> f64 {
    let mut rng = stream(task.distil.trainer.seed, "eval");
    let mut total = 0.0;
    let batches = 4;
    for _ in 0..batches {
        let (batch, n_idx, eps) = task.draw(&mut rng);
        total += task
            .loss_for(model, target, &batch, &n_idx, &eps)
            .into_scalar::<f64>();
    }
    total / batches as f64
}

/// Consistency distillation of the EDM teacher `teacher` (exported weights) in `out_dir`:
/// `distil_checkpoint.safetensors` (resumable) and `consistency_ema.safetensors` (the target
/// EMA θ⁻, the one-step sampling weights).
pub fn distil(
    teacher: &Path,
    dcfg: &DistilConfig,
    data: &Path,
    out_dir: &Path,
) -> Result<RunSummary> {
    std::fs::create_dir_all(out_dir)?;
    let (teacher_net, meta) = load(teacher, &infer_device())?;
    if meta.model != "caloclouds2-pointwise-net" {
        return Err(crate::engine::TrainError::Config(format!(
            "{}: model `{}` is not an EDM PointWise Net",
            teacher.display(),
            meta.model
        )));
    }
    let set = open_set(&meta.cfg, data)?;
    let device = train_device();
    let ckpt = out_dir.join("distil_checkpoint.safetensors");
    let mut t = Trainer::resume_or_new(
        dcfg.trainer(),
        |_| load(teacher, &device).expect("teacher loaded above").0,
        &ckpt,
    )?;
    let mut export = metadata(&meta.cfg, &meta.norm, meta.n_layers);
    export.insert("model".into(), "caloclouds2-consistency".into());
    export.insert("distil".into(), dcfg.to_toml());
    t.extra = export.clone();
    let task = |showers| DistilTask {
        showers,
        norm: meta.norm,
        cfg: &meta.cfg,
        distil: dcfg,
        teacher: &teacher_net,
        device: device.clone(),
    };
    let plain = |m: &PointWiseNet| m.valid();
    let eval_before = eval_distil_loss(&task(&set.eval), &plain(&t.model), &t.ema.model);
    t.run(&task(&set.train), Some(&ckpt), u64::MAX)?;
    let eval_after = eval_distil_loss(&task(&set.eval), &plain(&t.model), &t.ema.model);
    let weights = out_dir.join("consistency_ema.safetensors");
    save_weights(&weights, &t.ema.model, export)?;
    if meta.cfg.cond.direction {
        write_cc3_config(&weights, &meta.cfg, &meta.norm)?;
    }
    Ok(RunSummary {
        steps: t.step,
        history: t.history.clone(),
        eval_before,
        eval_after,
        weights,
    })
}

/// Writes `cc3_cm_config.json` beside a one-step model conditioned on [E, direction], so the
/// CaloClouds3 pipeline of `calogen-models` runs it like the official network (`calogen generate
/// --model caloclouds3 --net FILE`). Tensor names and shapes are read back from `weights`.
pub fn write_cc3_config(weights: &Path, cfg: &Cc2Config, norm: &PointNormalisation) -> Result<()> {
    let file = crate::engine::st::StFile::load(weights)?;
    let mut widths = vec![cfg.net.features];
    widths.extend(&cfg.net.hidden);
    widths.push(cfg.net.features);
    let cc3 = Cc3Config {
        point_dim: cfg.net.features,
        cond_dim: cfg.net.cond_dim,
        time_dim: cfg.net.time_dim,
        fourier_features: cfg.net.time_dim / 2,
        ctx_dim: cfg.net.ctx_dim(),
        layer_in: widths[..widths.len() - 1].to_vec(),
        layer_out: widths[1..].to_vec(),
        residual: false,
        sigma_data: cfg.edm.sigma_data,
        sigma_min: cfg.edm.sigma_min,
        sigma_max: cfg.edm.sigma_max,
        incident_energy_rescale_gev: cfg.cond.energy_scale_mev / 1000.0,
        point_norm: PointNorm {
            x_mean: norm.x.mean,
            x_std: norm.x.std,
            y_mean: norm.y.mean,
            y_std: norm.y.std,
            z_mean: norm.z.mean,
            z_std: norm.z.std,
            log_e_mean: norm.ln_e.mean,
            log_e_std: norm.ln_e.std,
            // Trained on our showers with the exact normalisation: no deployment factor.
            xy_calibration: 1.0,
        },
        tensor_names: file
            .tensors
            .iter()
            .map(|(k, (_, shape, _))| (k.clone(), shape.clone()))
            .collect(),
        original_state_dict_keys: BTreeMap::new(),
        scale_factors: None,
    };
    let json = serde_json::to_string_pretty(&cc3).expect("config serialises");
    let dst = weights.with_file_name(CONFIG_FILE);
    calogen_data::atomic::write(&dst, json)?;
    Ok(())
}
