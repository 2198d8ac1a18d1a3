//! The resumable training loop. Given the seed, a run is deterministic: all randomness (batches,
//! noise levels, noise) comes from one ChaCha8 stream whose position is checkpointed with the
//! weights, the EMA and Adam's state, so a run killed midway continues to the same result.

use super::checkpoint::Checkpoint;
use super::clip::clip_grad_norm;
use super::{progress, rng, Ema, LrSchedule, Result, RngState};
use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::{Bytes, Tensor};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// A model plus how to compute its loss on one random batch.
pub trait TrainTask {
    type Model: Module;
    /// Scalar loss of one step; every random number must come from `rng`.
    fn loss(&self, model: &Self::Model, rng: &mut ChaCha8Rng) -> Tensor<1>;

    /// The loss when it also needs the EMA copy of the model (consistency distillation uses the
    /// EMA as its target network); by default the EMA is not used.
    fn loss_with_ema(
        &self,
        model: &Self::Model,
        _ema: &Self::Model,
        rng: &mut ChaCha8Rng,
    ) -> Tensor<1> {
        self.loss(model, rng)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainerConfig {
    pub seed: u64,
    pub steps: u64,
    pub lr: f64,
    pub schedule: LrSchedule,
    pub beta_1: f32,
    pub beta_2: f32,
    pub epsilon: f32,
    /// Global gradient-norm bound; 0 disables clipping.
    pub clip_grad_norm: f64,
    pub ema_decay: f64,
    /// Steps between checkpoints; 0: only at the end.
    pub checkpoint_every: u64,
    /// Steps averaged into one loss-history entry.
    pub log_every: u64,
}

impl Default for TrainerConfig {
    /// CaloClouds II (paper 000, Sec. 3.3): Adam, constant 1e-4; EMA decay 0.9999 as in EDM.
    fn default() -> Self {
        Self {
            seed: 0,
            steps: 1000,
            lr: 1e-4,
            schedule: LrSchedule::Constant,
            beta_1: 0.9,
            beta_2: 0.999,
            epsilon: 1e-8,
            clip_grad_norm: 0.0,
            ema_decay: 0.9999,
            checkpoint_every: 0,
            log_every: 50,
        }
    }
}

/// Mean loss per `log_every` window: `(last step of window, mean)`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LossHistory {
    pub points: Vec<(u64, f64)>,
    window: Vec<f64>,
}

impl LossHistory {
    fn push(&mut self, step: u64, loss: f64, every: u64) {
        self.window.push(loss);
        if self.window.len() as u64 >= every.max(1) {
            let m = self.window.iter().sum::<f64>() / self.window.len() as f64;
            self.points.push((step, m));
            self.window.clear();
        }
    }

    fn encode(&self) -> String {
        let pts: Vec<String> = self
            .points
            .iter()
            .map(|(s, l)| format!("{s}:{l}"))
            .collect();
        let win: Vec<String> = self.window.iter().map(|l| l.to_string()).collect();
        format!("{}|{}", pts.join(","), win.join(","))
    }

    fn decode(s: &str) -> Self {
        let (pts, win) = s.split_once('|').unwrap_or((s, ""));
        Self {
            points: pts
                .split(',')
                .filter_map(|p| {
                    let (a, b) = p.split_once(':')?;
                    Some((a.parse().ok()?, b.parse().ok()?))
                })
                .collect(),
            window: win.split(',').filter_map(|l| l.parse().ok()).collect(),
        }
    }
}

pub struct Trainer<M: Module> {
    pub cfg: TrainerConfig,
    pub model: M,
    pub ema: Ema<M>,
    optim: ModuleOptimizer,
    /// Optimizer steps taken so far.
    pub step: u64,
    rng: ChaCha8Rng,
    pub history: LossHistory,
    /// Caller metadata stored in every checkpoint (model config, normalisation).
    pub extra: BTreeMap<String, String>,
}

impl<M: Module> Trainer<M> {
    fn adam(cfg: &TrainerConfig) -> ModuleOptimizer {
        AdamConfig::new()
            .with_beta_1(cfg.beta_1)
            .with_beta_2(cfg.beta_2)
            .with_epsilon(cfg.epsilon)
            .init()
    }

    /// A fresh run; `build` gets the `init` stream of the seed (weights are part of the seeded
    /// result) and must put the model on the autodiff device.
    pub fn new(cfg: TrainerConfig, build: impl FnOnce(&mut ChaCha8Rng) -> M) -> Self {
        let model = build(&mut rng::stream(cfg.seed, "init"));
        Self {
            ema: Ema::new(&model, cfg.ema_decay),
            optim: Self::adam(&cfg),
            rng: rng::stream(cfg.seed, "train"),
            step: 0,
            history: LossHistory::default(),
            extra: BTreeMap::new(),
            model,
            cfg,
        }
    }

    /// Continues from `ckpt` if it exists, else starts fresh.
    pub fn resume_or_new(
        cfg: TrainerConfig,
        build: impl Fn(&mut ChaCha8Rng) -> M,
        ckpt: &Path,
    ) -> Result<Self> {
        let mut t = Self::new(cfg, &build);
        if !ckpt.exists() {
            return Ok(t);
        }
        let (c, model, ema) = Checkpoint::load(ckpt, t.model, t.ema.model)?;
        t.model = model;
        t.ema.model = ema;
        t.optim = Self::adam(&t.cfg)
            .from_bytes(Bytes::from_bytes_vec(c.optimizer))
            .map_err(|e| super::TrainError::Checkpoint {
                path: ckpt.display().to_string(),
                msg: format!("optimizer state: {e:?}"),
            })?;
        t.step = c.step;
        t.rng = c.rng.restore();
        t.history = c
            .extra
            .get("loss_history")
            .map(|s| LossHistory::decode(s))
            .unwrap_or_default();
        t.extra = c.extra;
        t.extra.remove("loss_history");
        Ok(t)
    }

    pub fn save(&self, path: &Path) -> Result<()> {
        let mut extra = self.extra.clone();
        extra.insert("loss_history".into(), self.history.encode());
        let optimizer = self
            .optim
            .into_bytes()
            .map_err(|e| super::TrainError::Checkpoint {
                path: path.display().to_string(),
                msg: format!("optimizer state: {e:?}"),
            })?
            .to_vec();
        Checkpoint {
            step: self.step,
            rng: RngState::of(&self.rng),
            optimizer,
            extra,
        }
        .save(path, &self.model, &self.ema.model)
    }

    /// One optimizer step; returns the loss before the update.
    pub fn train_step<T: TrainTask<Model = M>>(&mut self, task: &T) -> f64 {
        let loss = task.loss_with_ema(&self.model, &self.ema.model, &mut self.rng);
        let value = loss.clone().into_scalar::<f64>();
        let mut grads = GradientsParams::from_grads(loss.backward(), &self.model);
        if self.cfg.clip_grad_norm > 0.0 {
            clip_grad_norm(&self.model, &mut grads, self.cfg.clip_grad_norm);
        }
        let lr = self.cfg.schedule.lr(self.cfg.lr, self.step);
        self.model = self.optim.step(lr, self.model.clone(), grads);
        self.ema.update(&self.model);
        self.step += 1;
        self.history.push(self.step, value, self.cfg.log_every);
        value
    }

    /// Trains until `min(stop_at, cfg.steps)` steps, checkpointing to `ckpt` every
    /// `checkpoint_every` steps and at the end. `stop_at` lets tests (and schedulers) stop a run
    /// midway as a kill would.
    pub fn run<T: TrainTask<Model = M>>(
        &mut self,
        task: &T,
        ckpt: Option<&Path>,
        stop_at: u64,
    ) -> Result<()> {
        let end = stop_at.min(self.cfg.steps);
        let pb = progress::bar(self.cfg.steps, self.step);
        let t0 = std::time::Instant::now();
        while self.step < end {
            let n_logged = self.history.points.len();
            let loss = self.train_step(task);
            // Background runs (no terminal) still need a readable log.
            if pb.is_hidden() && self.history.points.len() > n_logged {
                if let Some((s, l)) = self.history.points.last() {
                    eprintln!(
                        "step {s}/{} loss {l:.5} ({:.0} s)",
                        self.cfg.steps,
                        t0.elapsed().as_secs_f64()
                    );
                }
            }
            pb.set_position(self.step);
            if self.step.is_multiple_of(10) {
                pb.set_message(format!("loss {loss:.4}"));
            }
            if let Some(p) = ckpt {
                let every = self.cfg.checkpoint_every;
                if every > 0 && self.step.is_multiple_of(every) {
                    self.save(p)?;
                }
            }
        }
        pb.finish_and_clear();
        if let Some(p) = ckpt {
            self.save(p)?;
        }
        Ok(())
    }
}
