//! Training for calogen: a small engine on burn (Adam, clipping, EMA, schedules, resumable
//! safetensors checkpoints) and the CaloClouds II models (paper 000): the PointWise Net EDM
//! diffusion model and the ShowerFlow; and the CaloChallenge 3D CNN ResNet-18 classifier
//! (paper 003 §8.3) used as an evaluation metric.
//!
//! Inference stays in `calogen-models`; this crate writes safetensors with documented tensor names
//! so a hand-fused inference can load what is trained here.
//!
//! Backend: burn's Flex CPU backend, single thread (see `examples/engine_choice.rs`).

pub mod caloclouds2;
pub mod caloscore2;
pub mod data;
pub mod engine;
pub mod nn;
pub mod resnet;
pub mod showerflow;

/// The training device: Flex CPU with autodiff. Inference and EMA copies use `Device::flex()`.
pub fn train_device() -> burn::tensor::Device {
    burn::tensor::Device::flex().autodiff()
}

/// The plain (no autodiff) device for sampling and evaluation.
pub fn infer_device() -> burn::tensor::Device {
    burn::tensor::Device::flex()
}
