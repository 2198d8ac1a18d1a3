//! Generic training loop pieces: seeded RNG streams, Adam with global-norm clipping, EMA of
//! weights, learning-rate schedules, safetensors checkpoints and a resumable loop.

pub mod checkpoint;
pub mod clip;
pub mod ema;
pub mod params;
pub mod progress;
pub mod rng;
pub mod schedule;
pub mod st;
pub mod trainer;

pub use checkpoint::Checkpoint;
pub use ema::Ema;
pub use rng::{stream, RngState};
pub use schedule::LrSchedule;
pub use trainer::{LossHistory, TrainTask, Trainer, TrainerConfig};

/// Errors of the training engine.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("{path}: {msg}")]
    Checkpoint { path: String, msg: String },
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Data(#[from] calogen_data::DataError),
    #[error("config: {0}")]
    Config(String),
}

pub type Result<T> = std::result::Result<T, TrainError>;
