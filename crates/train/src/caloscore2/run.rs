//! Whole runs: training of both networks into a model folder, and the progressive distillation
//! of its voxel network level by level. Both resume from their checkpoints when started again.
//!
//! Training output (`OUT`): `checkpoint.safetensors` (resumable), `heldout.h5` (the held-back
//! raw showers, CaloChallenge format, for `calogen evaluate`), `heldout_loss.tsv` (held-out
//! losses of the EMA weights every `eval_every` steps) and, at the end, the model folder files
//! `family.json` + `caloscore2.safetensors` (EMA weights).
//!
//! Distillation output (`OUT`): one folder `steps_N` per level (a model folder once the level is
//! done, with its `checkpoint.safetensors` while it runs), `distil_loss.tsv`, and the final level
//! copied to `OUT` itself.

use super::config::{DistilConfig, TrainConfig};
use super::data::{Cs2Data, Preprocessing};
use super::distil::{eval_distil, DistilTask};
use super::export::{load_model, save_model, FAMILY_FILE};
use super::model::{Cs2Nets, VoxelNet};
use super::training::{eval_losses, VTask};
use crate::engine::{params, Result, TrainError, Trainer};
use crate::{infer_device, train_device};
use burn::module::Module;
use calogen_data::formats::calochallenge::CaloChallengeWriter;
use calogen_models::caloscore2::config::{Grid, WEIGHTS_FILE};
use std::io::Write;
use std::path::{Path, PathBuf};

pub const CHECKPOINT: &str = "checkpoint.safetensors";
pub const HELDOUT_FILE: &str = "heldout.h5";
pub const HELDOUT_LOSS: &str = "heldout_loss.tsv";

pub struct RunSummary {
    pub steps: u64,
    /// (step, held-out layer loss, held-out voxel loss) of this invocation's evaluations.
    pub heldout: Vec<(u64, f64, f64)>,
    pub train_history: Vec<(u64, f64)>,
    pub model_dir: PathBuf,
}

fn append_line(path: &Path, header: &str, line: &str) -> Result<()> {
    let new = !path.exists();
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    if new {
        writeln!(f, "{header}")?;
    }
    writeln!(f, "{line}")?;
    Ok(())
}

fn write_heldout(dir: &Path, data: &Cs2Data) -> Result<()> {
    let dst = dir.join(HELDOUT_FILE);
    if dst.exists() {
        return Ok(());
    }
    let mut w = CaloChallengeWriter::create(&dst, data.geometry.n_voxels)?;
    w.append(&data.eval_raw)?;
    w.finish()?;
    Ok(())
}

/// Trains (or resumes) both networks in `out`, which becomes a model folder.
pub fn train(cfg: &TrainConfig, files: &[&Path], out: &Path) -> Result<RunSummary> {
    cfg.check()?;
    std::fs::create_dir_all(out)?;
    let data = Cs2Data::open(files, &cfg.model, &cfg.data, None)?;
    eprintln!(
        "caloscore2: {} training and {} held-out showers; threshold {} MeV; max ΣE/E_inc {:.3}",
        data.train.len(),
        data.eval.len(),
        data.threshold_mev,
        data.max_total_ratio
    );
    write_heldout(out, &data)?;
    train_on(cfg, &data, out)
}

/// The training loop on prepared data (tests call it with a few showers).
pub fn train_on(cfg: &TrainConfig, data: &Cs2Data, out: &Path) -> Result<RunSummary> {
    std::fs::create_dir_all(out)?;
    let grid = Grid::of(&data.geometry);
    let nl = data.geometry.layers.len();
    let device = train_device();
    let ckpt = out.join(CHECKPOINT);
    let model = cfg.model.clone();
    let mut t = Trainer::resume_or_new(
        cfg.trainer.clone(),
        |r| Cs2Nets::new(&model, nl, &grid, r, &device),
        &ckpt,
    )?;
    t.extra.insert("caloscore2_train".into(), cfg.to_toml());
    let task = VTask {
        feats: &data.train,
        batch: cfg.batch,
        time_dim: cfg.model.time_embedding,
        device: device.clone(),
    };
    let log = out.join(HELDOUT_LOSS);
    let mut heldout = Vec::new();
    let mut evaluate = |t: &Trainer<Cs2Nets>| -> Result<()> {
        let (l, v) = eval_losses(
            &t.ema.model,
            &data.eval,
            cfg.eval_batch,
            cfg.eval_batches,
            cfg.model.time_embedding,
            cfg.trainer.seed,
        );
        eprintln!("step {} held-out loss: layer {l:.5} voxel {v:.5}", t.step);
        append_line(
            &log,
            "step\tlayer_loss\tvoxel_loss",
            &format!("{}\t{l}\t{v}", t.step),
        )?;
        heldout.push((t.step, l, v));
        Ok(())
    };
    evaluate(&t)?;
    let every = if cfg.eval_every == 0 {
        u64::MAX
    } else {
        cfg.eval_every
    };
    while t.step < cfg.trainer.steps {
        let stop = (t.step / every).saturating_add(1).saturating_mul(every);
        t.run(&task, Some(&ckpt), stop)?;
        evaluate(&t)?;
    }
    let pre = data.pre.clone();
    save_model(
        out,
        &t.ema.model.layer,
        &t.ema.model.voxel,
        &cfg.model,
        &pre,
        &grid,
    )?;
    Ok(RunSummary {
        steps: t.step,
        heldout,
        train_history: t.history.points.clone(),
        model_dir: out.to_path_buf(),
    })
}

/// A copy of `net`'s weights in a fresh module on `device`.
fn copy_voxel(net: &VoxelNet, fresh: VoxelNet) -> VoxelNet {
    let ps: std::collections::HashMap<String, Vec<f32>> = params::collect(net)
        .into_iter()
        .map(|p| (p.path, p.values))
        .collect();
    super::export::load_values(fresh, &|p| ps.get(p).cloned())
        .expect("same architecture: every parameter present")
}

pub struct DistilSummary {
    /// (student steps, held-out distillation loss before, after) per level run now.
    pub levels: Vec<(usize, f64, f64)>,
    pub model_dir: PathBuf,
}

/// Progressive distillation of the model folder `teacher` down to `to_steps` voxel steps, in
/// `out` (resumable: finished levels are reused, a running level resumes its checkpoint).
pub fn distil(
    teacher: &Path,
    dcfg: &DistilConfig,
    files: &[&Path],
    out: &Path,
    to_steps: usize,
) -> Result<DistilSummary> {
    std::fs::create_dir_all(out)?;
    let geometry0 = {
        let f = crate::engine::st::StFile::load(&teacher.join(WEIGHTS_FILE))?;
        let json = f
            .metadata
            .get(calogen_models::caloscore2::config::CONFIG_KEY)
            .cloned();
        let cfg = json
            .and_then(|j| {
                calogen_models::caloscore2::config::Cs2Config::from_json(&j, "teacher").ok()
            })
            .ok_or_else(|| {
                TrainError::Config(format!("{}: not a CaloScore v2 model", teacher.display()))
            })?;
        super::data::load_geometry(&cfg)?
    };
    let grid = Grid::of(&geometry0);
    let plain = infer_device();
    let first = load_model(teacher, &grid, &plain)?;
    let mut n = first.cfg.voxel_steps;
    if to_steps == 0
        || to_steps >= n
        || !n.is_multiple_of(to_steps)
        || !(n / to_steps).is_power_of_two()
    {
        return Err(TrainError::Config(format!(
            "--to-steps {to_steps}: must be the teacher's {n} voxel steps halved one or more times"
        )));
    }
    let pre: Preprocessing = first.pre.clone();
    let data = Cs2Data::open(files, &first.cfg, &dcfg.data, Some(pre.clone()))?;
    let mut cfg = first.cfg.clone();
    let layer = first.nets.layer;
    let mut teacher_voxel = first.nets.voxel;
    let device = train_device();
    let mut levels = Vec::new();
    let log = out.join("distil_loss.tsv");
    while n > to_steps {
        let student_steps = n / 2;
        let dir = out.join(format!("steps_{student_steps}"));
        if dir.join(WEIGHTS_FILE).exists() {
            let m = load_model(&dir, &grid, &plain)?;
            teacher_voxel = m.nets.voxel;
            cfg = m.cfg;
            n = student_steps;
            continue;
        }
        std::fs::create_dir_all(&dir)?;
        let g3 = teacher_voxel.grid();
        let nl = data.geometry.layers.len();
        let mut t = Trainer::resume_or_new(
            dcfg.trainer.clone(),
            |r| {
                let fresh = VoxelNet::new(&cfg, nl, &g3, r, &device);
                copy_voxel(&teacher_voxel, fresh)
            },
            &dir.join(CHECKPOINT),
        )?;
        t.extra.insert("caloscore2_distil".into(), dcfg.to_toml());
        let task = |feats| DistilTask {
            teacher: &teacher_voxel,
            feats,
            student_steps,
            batch: dcfg.batch,
            time_dim: cfg.time_embedding,
            device: device.clone(),
        };
        let seed = dcfg.trainer.seed;
        let before = eval_distil(&task(&data.eval), &t.model.valid(), dcfg.eval_batches, seed);
        t.run(&task(&data.train), Some(&dir.join(CHECKPOINT)), u64::MAX)?;
        let after = eval_distil(&task(&data.eval), &t.ema.model, dcfg.eval_batches, seed);
        eprintln!(
            "distillation to {student_steps} steps: held-out loss {before:.5} -> {after:.5} ({} steps)",
            t.step
        );
        append_line(
            &log,
            "student_steps\ttrain_steps\theldout_before\theldout_after",
            &format!("{student_steps}\t{}\t{before}\t{after}", t.step),
        )?;
        cfg.voxel_steps = student_steps;
        save_model(&dir, &layer, &t.ema.model, &cfg, &pre, &grid)?;
        levels.push((student_steps, before, after));
        teacher_voxel = t.ema.model.clone();
        n = student_steps;
    }
    let last = out.join(format!("steps_{to_steps}"));
    for f in [WEIGHTS_FILE, FAMILY_FILE] {
        calogen_data::atomic::copy(last.join(f), out.join(f))?;
    }
    Ok(DistilSummary {
        levels,
        model_dir: out.to_path_buf(),
    })
}
