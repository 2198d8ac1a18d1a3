//! The training config (TOML): the model's [`Cs2Config`] (the contract with inference) plus batch,
//! data split and the engine's trainer settings.

use crate::engine::{Result, TrainError, TrainerConfig};
use calogen_models::caloscore2::config::Cs2Config;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DataConfig {
    /// Showers held back at the end of EVERY file (evaluation and held-out losses).
    pub eval_per_file: usize,
    /// Voxels below this energy (MeV) are zeroed before the features are made: the CaloChallenge
    /// evaluation applies the same cut (15.15 keV for datasets 2 and 3), so the model never spends
    /// capacity on deposits the evaluation cannot see. `None`: the geometry's own threshold.
    pub threshold_mev: Option<f64>,
}

impl Default for DataConfig {
    fn default() -> Self {
        Self {
            eval_per_file: 500,
            threshold_mev: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainConfig {
    pub model: Cs2Config,
    /// Showers per step (both networks see the same showers, with their own t and noise).
    pub batch: usize,
    pub data: DataConfig,
    /// Steps between held-out evaluations of the EMA weights (0: only at start and end).
    pub eval_every: u64,
    /// Held-out batches per evaluation, of `eval_batch` showers (a fixed stream: comparable).
    pub eval_batches: usize,
    pub eval_batch: usize,
    pub trainer: TrainerConfig,
}

impl Default for TrainConfig {
    /// Measured on one thread (`examples/cs2_step_time.rs`, test profile, shared 2-vCPU machine):
    /// a step of both networks takes 0.53 / 1.0 / 2.4 s at batch 4 / 8 / 16 (~125–150 ms per
    /// shower, the U-Net's forward ~50 ms of it); batch 8 × 5 000 steps is ~1.4 h on one core.
    fn default() -> Self {
        Self {
            model: Cs2Config::default(),
            batch: 8,
            data: DataConfig::default(),
            eval_every: 250,
            eval_batches: 8,
            eval_batch: 16,
            trainer: TrainerConfig {
                steps: 5_000,
                lr: 1e-3,
                clip_grad_norm: 1.0,
                ema_decay: 0.999,
                checkpoint_every: 100,
                log_every: 50,
                ..TrainerConfig::default()
            },
        }
    }
}

impl TrainConfig {
    pub fn from_toml(s: &str) -> Result<Self> {
        let c: Self = toml::from_str(s).map_err(|e| TrainError::Config(e.to_string()))?;
        c.check()?;
        Ok(c)
    }

    pub fn check(&self) -> Result<()> {
        self.model
            .check("caloscore2 config [model]")
            .map_err(|e| TrainError::Config(e.to_string()))?;
        if self.batch == 0 {
            return Err(TrainError::Config("batch must be > 0".into()));
        }
        Ok(())
    }

    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("config serialises")
    }
}

/// Progressive distillation settings (one level = one halving of the voxel network's steps).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DistilConfig {
    pub batch: usize,
    pub data: DataConfig,
    /// Held-out batches (of `batch`) for the loss before and after each level.
    pub eval_batches: usize,
    /// Training steps per level (the student is re-initialised from the teacher at each level).
    pub trainer: TrainerConfig,
}

impl Default for DistilConfig {
    fn default() -> Self {
        Self {
            batch: 8,
            data: DataConfig::default(),
            eval_batches: 4,
            trainer: TrainerConfig {
                steps: 500,
                lr: 2e-4,
                clip_grad_norm: 1.0,
                ema_decay: 0.99,
                checkpoint_every: 50,
                log_every: 50,
                ..TrainerConfig::default()
            },
        }
    }
}

impl DistilConfig {
    pub fn from_toml(s: &str) -> Result<Self> {
        let c: Self = toml::from_str(s).map_err(|e| TrainError::Config(e.to_string()))?;
        if c.batch == 0 {
            return Err(TrainError::Config("batch must be > 0".into()));
        }
        Ok(c)
    }

    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("config serialises")
    }
}
